"""PyTorch's ``ConstantLR``: the rate scaled by a constant factor for the first steps, then the rate itself.

PyTorch multiplies the optimizer's rate by ``factor`` at step 0 and divides
it back at step ``total_iters``, so from there on its rate is
``lr·factor·(1/factor)``, within a rounding of ``lr``. A factor of 0 passes
PyTorch's check but divides by zero at ``total_iters``: the domain leaves it
out. ``total_iters = 0`` would scale forever (PyTorch divides back only at
``k = total_iters > 0``): the domain starts at 1.
"""

from sympy import Interval, Piecewise, Range, Rational, Symbol, oo

from codegen.language.schedule import (
    Call,
    Counterpart,
    Example,
    Hyperparameter,
    Identity,
    ScheduleSpec,
    Typical,
    ValueAt,
    k,
)

eta = Symbol("eta", positive=True)
factor = Symbol("f", positive=True)
T = Symbol("T", integer=True, positive=True)

SPEC = ScheduleSpec(
    name="ConstantLR",
    aliases=("constant_lr",),
    summary="lr·factor for the first total_iters steps, then lr.",
    arguments=(
        Hyperparameter(
            eta, "lr", None, Interval.open(0, oo), "the optimizer's rate", typical=Typical(1e-3, 1e-1, log=True)
        ),
        Hyperparameter(
            factor,
            "factor",
            Rational(1, 3),
            Interval.Lopen(0, 1),
            "what the rate is multiplied by until total_iters",
            typical=Typical(0.1, 0.9),
        ),
        Hyperparameter(
            T,
            "total_iters",
            5,
            Range(1, oo),
            "the first step at the full rate",
            typical=Typical(1 / 20, 1 / 5, per_run=True),
        ),
    ),
    definitions=(),
    value=Piecewise((eta * factor, k < T), (eta, True)),
    example=Example({"lr": 0.1, "factor": 0.25, "total_iters": 100}, steps=300),
    past_the_end="lr.",
    library="PyTorch (torch.optim.lr_scheduler.ConstantLR)",
    conventions=(
        (
            "Keras 3",
            r"\texttt{PiecewiseConstantDecay} with boundaries $[T - 1]$ and values $[f\eta, \eta]$ is the "
            "same schedule.",
        ),
    ),
    latex_names={eta: r"\eta", factor: "f", T: "T"},
    counterparts=(
        Counterpart(
            "torch.optim.lr_scheduler.ConstantLR",
            arguments=(("optimizer", eta), ("factor", factor), ("total_iters", T)),
        ),
    ),
)

_eta = Symbol("eta_1", positive=True)
_f = Symbol("f_1", positive=True)
_T = Symbol("T_1", integer=True, positive=True)
_NUMBERS = {_eta: 0.1, _f: 0.25, _T: 10}
_CALL = Call("ConstantLR", {"lr": _eta, "factor": _f, "total_iters": _T})

RELATIONS = (
    ValueAt(
        name="scaled_until_total_iters",
        description="At step total_iters - 1, the last scaled step, the rate is factor times lr.",
        call=_CALL,
        step=_T - 1,
        expected=_f * _eta,
        example=_NUMBERS,
    ),
    ValueAt(
        name="full_rate_from_total_iters",
        description="At step total_iters the rate is lr.",
        call=_CALL,
        step=_T,
        expected=_eta,
        example=_NUMBERS,
    ),
    Identity(
        name="constant_lr_is_keras_piecewise_constant_decay",
        description=(
            "PyTorch's ConstantLR(lr, factor, T) is Keras's PiecewiseConstantDecay with the one boundary T - 1 and "
            "the values [factor·lr, lr]: a boundary step keeps the earlier value."
        ),
        lhs=_CALL,
        rhs=Call("PiecewiseConstantDecay", {"boundaries": [_T - 1], "values": [_f * _eta, _eta]}),
        steps=lambda instance: range(instance[_T] + 3),
        instances=({_T: 1}, {_T: 2}, {_T: 7}),
        example={_eta: 0.1, _f: 0.25},
    ),
)
