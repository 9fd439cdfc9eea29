"""PyTorch's ``LinearLR``: the rate scaled by a factor that moves linearly from start_factor to end_factor.

Over the first ``total_iters`` steps the factor goes from ``start_factor``
to ``end_factor`` in equal steps, and stays there. PyTorch computes each
rate from the previous one (a ratio of consecutive factors), so its rounding
adds up over the ramp; the closed form here has none of it.
``total_iters = 0`` would hold ``start_factor`` forever in PyTorch (its ramp
starts at step 1): the domain starts at 1.
"""

from sympy import Interval, Min, Range, Rational, Symbol, oo

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
f_s = Symbol("f_s", positive=True)
f_e = Symbol("f_e", nonnegative=True)
T = Symbol("T", integer=True, positive=True)
q = Symbol("q", nonnegative=True)

SPEC = ScheduleSpec(
    name="LinearLR",
    aliases=("linear_lr",),
    summary="lr times a factor moving linearly from start_factor to end_factor over total_iters steps.",
    arguments=(
        Hyperparameter(
            eta, "lr", None, Interval.open(0, oo), "the optimizer's rate", typical=Typical(1e-3, 1e-1, log=True)
        ),
        Hyperparameter(
            f_s,
            "start_factor",
            Rational(1, 3),
            Interval.Lopen(0, 1),
            "the factor at step 0",
            typical=Typical(0.01, 0.5, log=True),
        ),
        Hyperparameter(
            f_e, "end_factor", 1.0, Interval(0, 1), "the factor from total_iters on", typical=Typical(0.5, 1.0)
        ),
        Hyperparameter(
            T,
            "total_iters",
            5,
            Range(1, oo),
            "the steps of the ramp",
            typical=Typical(1 / 20, 1 / 5, per_run=True),
        ),
    ),
    definitions=((q, Min(k, T) / T),),
    value=eta * (f_s + (f_e - f_s) * q),
    example=Example({"lr": 0.1, "start_factor": 0.1, "end_factor": 1.0, "total_iters": 100}, steps=300),
    past_the_end="end_factor times lr.",
    library="PyTorch (torch.optim.lr_scheduler.LinearLR)",
    conventions=(
        (
            "Optax",
            r"\texttt{linear\_schedule} from $f_s\eta$ to $f_e\eta$ over $T$ steps is the same ramp, written with the "
            "rates, not factors.",
        ),
    ),
    latex_names={eta: r"\eta", f_s: "f_s", f_e: "f_e", T: "T", q: "q"},
    counterparts=(
        Counterpart(
            "torch.optim.lr_scheduler.LinearLR",
            arguments=(("optimizer", eta), ("start_factor", f_s), ("end_factor", f_e), ("total_iters", T)),
        ),
    ),
)

_eta = Symbol("eta_1", positive=True)
_s = Symbol("s_1", positive=True)
_e = Symbol("e_1", nonnegative=True)
_T = Symbol("T_1", integer=True, positive=True)
_NUMBERS = {_eta: 0.1, _s: 0.1, _e: 0.9, _T: 10}
_CALL = Call("LinearLR", {"lr": _eta, "start_factor": _s, "end_factor": _e, "total_iters": _T})

RELATIONS = (
    ValueAt(
        name="starts_at_start_factor",
        description="At step 0 the rate is start_factor times lr.",
        call=_CALL,
        step=0,
        expected=_s * _eta,
        example=_NUMBERS,
    ),
    ValueAt(
        name="reaches_end_factor",
        description="At step total_iters the rate is end_factor times lr.",
        call=_CALL,
        step=_T,
        expected=_e * _eta,
        example=_NUMBERS,
    ),
    Identity(
        name="linear_lr_to_the_full_rate_is_linear_warmup",
        description=(
            "LinearLR(lr, start_factor s, end_factor 1, total_iters T) is LinearWarmup from s·lr over T steps in front "
            "of the constant rate lr (ConstantLR with factor 1)."
        ),
        lhs=Call("LinearLR", {"lr": _eta, "start_factor": _s, "end_factor": 1, "total_iters": _T}),
        rhs=Call(
            "LinearWarmup",
            {
                "schedule": Call("ConstantLR", {"lr": _eta, "factor": 1, "total_iters": 1}),
                "warmup_steps": _T,
                "initial_learning_rate": _s * _eta,
            },
        ),
        steps=lambda instance: range(instance[_T] + 3),
        instances=({_T: 1}, {_T: 2}, {_T: 7}),
        example={_eta: 0.1, _s: 0.1},
    ),
)
