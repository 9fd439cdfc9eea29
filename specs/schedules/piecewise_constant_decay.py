"""Keras ``PiecewiseConstantDecay``: ``values[j]`` between boundaries, the earlier value *at* a boundary.

The spec is written once for any number ``n`` of boundaries: the index of
the value in effect is the number of boundaries strictly below the step,
``j = sum_i [b_i < k]``, so step ``b_i`` itself still uses ``values[i]``.
The kernel takes ``boundaries`` and ``values`` as arrays and counts the same
way. Keras computes the value as a sum of indicator times value, so one
infinite or NaN value spoils every step; here the values must be finite and
only the selected one is read.
"""

from sympy import IndexedBase, Piecewise, Sum, Symbol

from codegen.language.schedule import (
    Call,
    Counterpart,
    Each,
    Example,
    ListArgument,
    ScheduleSpec,
    Typical,
    ValueAt,
    k,
)

n = Symbol("n", integer=True, positive=True)
b = IndexedBase("b", real=True)
v = IndexedBase("v", real=True)
i = Symbol("i", integer=True, nonnegative=True)
j = Symbol("j", integer=True, nonnegative=True)

SPEC = ScheduleSpec(
    name="PiecewiseConstantDecay",
    aliases=("piecewise_constant_decay",),
    summary="A constant value between consecutive boundaries; a boundary step keeps the earlier value.",
    arguments=(
        ListArgument(
            b,
            "boundaries",
            n,
            "the steps after which the next value starts",
            increasing=True,
            typical=Typical(0.0, 1.0, per_run=True),
        ),
        ListArgument(
            v,
            "values",
            n + 1,
            "the value up to the first boundary, between each pair, after the last",
            typical=Typical(1e-4, 1e-1, log=True),
        ),
    ),
    length=n,
    definitions=((j, Sum(Piecewise((1, b[i] < k), (0, True)), (i, 0, n - 1))),),
    value=v[j],
    example=Example({"boundaries": [100, 250, 400], "values": [0.1, 0.05, 0.02, 0.005]}, steps=500),
    past_the_end="The last value.",
    conventions=(
        (
            "Optax",
            r"\texttt{piecewise\_constant\_schedule} multiplies by scales and switches at $k \ge b$, "
            "one step earlier.",
        ),
    ),
    latex_names={n: "n", b: "b", v: "v", i: "i", j: "j"},
    counterparts=(
        Counterpart(
            "torch.optim.lr_scheduler.MultiStepLR",
            arguments=(("optimizer", v[0]), ("milestones", Each(b[i] + 1, i, "boundaries")), ("gamma", v[1] / v[0])),
            requires=(("values", Each(v[0] * (v[1] / v[0]) ** i, i, "values")),),
            note="values made geometric: MultiStepLR multiplies by one gamma, from step boundaries[i] + 1 on",
        ),
        Counterpart("keras.optimizers.schedules.PiecewiseConstantDecay"),
    ),
)

_B = Symbol("B", integer=True, positive=True)
_C = Symbol("C", integer=True, positive=True)
_v = [Symbol(f"v_{index}", real=True) for index in range(3)]
_CALL = Call("PiecewiseConstantDecay", {"boundaries": [_B, _B + _C + 1], "values": _v})
_NUMBERS = {_B: 10, _C: 4, _v[0]: 0.1, _v[1]: 0.05, _v[2]: 0.01}

RELATIONS = (
    ValueAt(
        name="boundary_keeps_earlier_value",
        description="At a boundary step the earlier value is still in effect.",
        call=_CALL,
        step=_B,
        expected=_v[0],
        example=_NUMBERS,
    ),
    ValueAt(
        name="next_value_after_boundary",
        description="The step after a boundary takes the next value.",
        call=_CALL,
        step=_B + 1,
        expected=_v[1],
        example=_NUMBERS,
    ),
    ValueAt(
        name="last_value_past_the_end",
        description="Past the last boundary the last value holds.",
        call=_CALL,
        step=_B + _C + 2,
        expected=_v[2],
        example=_NUMBERS,
    ),
)
