"""PyTorch ``CyclicLR``: the rate cycles between ``base_lr`` and ``max_lr`` (Keras has no such schedule).

Only the learning rate is modelled; PyTorch's ``scale_fn``/``scale_mode``
hooks and its momentum cycling are not. ``mode`` picks the amplitude's
scale: 1 (triangular), halved each cycle (triangular2), or ``gamma**k``
(exp_range, per step). The step is PyTorch's ``last_epoch`` when the
scheduler is stepped once per batch, which is the 0-based step ``k``.
"""

from sympy import Interval, Piecewise, Rational, Symbol, floor, oo

from codegen.language.schedule import (
    Bounded,
    Call,
    Case,
    Choice,
    Counterpart,
    Example,
    Hyperparameter,
    Periodic,
    ScheduleSpec,
    Typical,
    ValueAt,
    WhenNone,
    k,
)

eta_b = Symbol("eta_b", nonnegative=True)
eta_m = Symbol("eta_m", nonnegative=True)
u = Symbol("u", positive=True)
d = Symbol("d", positive=True)
gamma = Symbol("gamma", positive=True)
L = Symbol("cycle_length", positive=True)
rr = Symbol("up_fraction", positive=True)
c = Symbol("cycle", integer=True, positive=True)
x = Symbol("position", nonnegative=True)
h = Symbol("height", nonnegative=True)
sc = Symbol("scale", positive=True)

SPEC = ScheduleSpec(
    name="CyclicLR",
    aliases=("cyclic_lr",),
    summary="Linear up from base_lr to max_lr in step_size_up steps, down in step_size_down, repeat.",
    arguments=(
        Hyperparameter(
            eta_b, "base_lr", None, Interval(0, oo), "the low end of each cycle", typical=Typical(1e-4, 1e-2, log=True)
        ),
        Hyperparameter(
            eta_m,
            "max_lr",
            None,
            Interval(0, oo),
            "the high end of the first cycle",
            typical=Typical(1e-2, 1e-1, log=True),
        ),
        Hyperparameter(
            u,
            "step_size_up",
            2000.0,
            Interval.open(0, oo),
            "steps from base_lr up to the peak",
            typical=Typical(1 / 20, 1 / 6, per_run=True),
        ),
        Hyperparameter(
            d,
            "step_size_down",
            None,
            Interval.open(0, oo),
            "steps back down (None: step_size_up)",
            typical=Typical(1 / 20, 1 / 6, per_run=True),
        ),
        # Typical: exp_range's amplitude fades over a run of some hundred steps, not at once.
        Hyperparameter(
            gamma, "gamma", 1.0, Interval.open(0, oo), "the per-step factor of exp_range", typical=Typical(0.99, 0.999)
        ),
    ),
    definitions=(
        (L, u + d),
        (rr, u / L),
        (c, floor(1 + k / L)),
        (x, 1 + k / L - c),
        (h, Piecewise((x / rr, x <= rr), ((x - 1) / (rr - 1), True))),
        (sc, 1),
    ),
    value=eta_b + (eta_m - eta_b) * h * sc,
    choices=(
        Choice(
            "mode",
            (
                Case("triangular", "triangular"),
                Case("triangular2", "triangular2", {sc: Rational(1, 2) ** (c - 1)}),
                Case("exp_range", "exp_range", {sc: gamma**k}),
            ),
            default="triangular",
            description="the amplitude's scale: 1, halved every cycle, or gamma to the power k",
        ),
    ),
    when_none=(WhenNone("step_size_down", {d: u}, "a symmetric cycle"),),
    example=Example({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 60, "mode": "triangular2"}, steps=600),
    past_the_end="It never ends: the cycle repeats.",
    library="PyTorch (torch.optim.lr_scheduler.CyclicLR)",
    references=("L. N. Smith, Cyclical learning rates for training neural networks, WACV 2017.",),
    conventions=(
        (
            "PyTorch",
            r"the constructor also sets the optimizer's momentum (or $\beta_1$) to \texttt{max\_momentum} and "
            r"cycles it inversely; not modelled here.",
        ),
        ("Optax", "has no cyclical schedule."),
    ),
    latex_names={
        eta_b: r"\eta_{\mathrm{base}}",
        eta_m: r"\eta_{\max}",
        u: "U",
        d: "V",
        gamma: r"\gamma",
        L: "L",
        rr: "r",
        c: "c",
        x: "x",
        h: "h",
        sc: r"\sigma",
    },
    counterparts=(
        Counterpart(
            "torch.optim.lr_scheduler.CyclicLR",
            arguments=(
                ("optimizer", eta_b),
                ("base_lr", eta_b),
                ("max_lr", eta_m),
                ("step_size_up", u),
                ("step_size_down", "step_size_down"),
                ("mode", "mode"),
                ("gamma", gamma),
                ("cycle_momentum", False),
            ),
            note="cycle_momentum=False: the rate only, trainspec does not model the momentum cycling",
        ),
    ),
)

_delta = Symbol("Delta", positive=True)  # max_lr - base_lr > 0, so that the bounds are decided exactly
_step = Symbol("s_up", positive=True)
_TRIANGULAR = Call("CyclicLR", {"base_lr": eta_b, "max_lr": eta_b + _delta, "step_size_up": _step})

RELATIONS = (
    Periodic(
        name="triangular_period",
        description="The triangular cycle (step_size_down = step_size_up = S) repeats every 2S steps.",
        call=_TRIANGULAR,
        period=2 * _step,
        example={eta_b: 0.01, _delta: 0.09, _step: 7},
    ),
    Bounded(
        name="triangular_within_base_and_max",
        description="The triangular rate stays within [base_lr, max_lr] over a whole period (hence every step).",
        call=_TRIANGULAR,
        lower=eta_b,
        upper=eta_b + _delta,
        steps=lambda instance: range(2 * instance[_step]),
        instances=({_step: 1}, {_step: 2}, {_step: 5}, {_step: 8}),
        example={eta_b: 0.01, _delta: 0.09},
    ),
    ValueAt(
        name="triangular_peak",
        description="The triangular rate reaches max_lr at step step_size_up.",
        call=_TRIANGULAR,
        step=_step,
        expected=eta_b + _delta,
        example={eta_b: 0.01, _delta: 0.09, _step: 7},
    ),
)
