"""PyTorch's ``OneCycleLR``: up from max_lr/div_factor to max_lr, then down to far below the start, in one cycle.

The cycle has two phases (or three, with ``three_phase``), each ending at a
step PyTorch computes as a float: the first at ``p·N - 1``, the last at
``N - 1``, and with three phases the middle one at ``2p·N - 2``. Within a
phase the completed fraction ``x`` anneals the rate from the phase's start
to its end, along half a cosine (``cos``) or a straight line (``linear``).
With two phases: ``initial → max_lr → min_lr``; with three:
``initial → max_lr → initial → min_lr``, where ``initial = max_lr /
div_factor`` and ``min_lr = initial / final_div_factor``.

Every phase must have a positive length (``p·N > 1``; with three phases
also ``N(1 - 2p) > -1``), or PyTorch divides by zero. PyTorch raises past
step ``N``; here the rate stays at ``min_lr`` from step ``N - 1`` on.
PyTorch also cycles the optimizer's momentum inversely; not modelled here.
"""

from sympy import Interval, Min, Piecewise, Range, Rational, Symbol, cos, oo, pi

from codegen.language.schedule import (
    Call,
    Case,
    Choice,
    Example,
    Hyperparameter,
    ScheduleCounterpart,
    ScheduleSpec,
    Typical,
    ValueAt,
    k,
)

eta_max = Symbol("eta_max", positive=True)
N = Symbol("N_steps", integer=True, positive=True)
p = Symbol("p", positive=True)
d = Symbol("d", positive=True)
d_f = Symbol("d_f", positive=True)
eta_i, eta_min = Symbol("eta_i", positive=True), Symbol("eta_min", positive=True)
s = Symbol("s", nonnegative=True)
E_1, E_2 = Symbol("E_1", real=True), Symbol("E_2", real=True)
x_1, x_2, x_3 = Symbol("x_1", real=True), Symbol("x_2", real=True), Symbol("x_3", real=True)
c_1, c_2, c_3 = Symbol("c_1", real=True), Symbol("c_2", real=True), Symbol("c_3", real=True)
eta_t = Symbol("eta_t", positive=True)


def cosine(x: Symbol):
    """The fraction of the way still to go, along half a cosine: 1 at x = 0, 0 at x = 1."""
    return (1 + cos(pi * x)) / 2


def anneal(start: Symbol, end: Symbol, remaining: Symbol):
    return end + (start - end) * remaining


SPEC = ScheduleSpec(
    name="OneCycleLR",
    aliases=("one_cycle_lr",),
    summary="One cycle: up from max_lr/div_factor to max_lr, then down to max_lr/(div_factor·final_div_factor).",
    arguments=(
        Hyperparameter(
            eta_max, "max_lr", None, Interval.open(0, oo), "the peak rate", typical=Typical(1e-3, 1e-1, log=True)
        ),
        Hyperparameter(
            N,
            "total_steps",
            None,
            Range(1, oo),
            "the steps of the cycle",
            typical=Typical(1 / 2, 1, per_run=True),
        ),
        Hyperparameter(
            p,
            "pct_start",
            0.3,
            Interval.open(0, 1),
            "the fraction of the cycle spent rising",
            typical=Typical(0.1, 0.45),
        ),
        Hyperparameter(
            d, "div_factor", 25.0, Interval.open(0, oo), "max_lr over the starting rate", typical=Typical(5.0, 50.0)
        ),
        Hyperparameter(
            d_f,
            "final_div_factor",
            1e4,
            Interval.open(0, oo),
            "the starting rate over the final one",
            typical=Typical(10.0, 1e4, log=True),
        ),
    ),
    definitions=(
        (eta_i, eta_max / d),
        (eta_min, eta_i / d_f),
        (s, Min(k, N - 1)),
        (E_1, p * N - 1),
        (E_2, N - 1),
        (x_1, s / E_1),
        (x_2, (s - E_1) / (E_2 - E_1)),
        (x_3, 0),  # there is a third phase only with three_phase
        (c_1, cosine(x_1)),
        (c_2, cosine(x_2)),
        (c_3, cosine(x_3)),
        (eta_t, Piecewise((anneal(eta_i, eta_max, c_1), s <= E_1), (anneal(eta_max, eta_min, c_2), True))),
    ),
    value=eta_t,
    choices=(
        Choice(
            "anneal_strategy",
            (Case("cos", ""), Case("linear", "linear", {c_1: 1 - x_1, c_2: 1 - x_2, c_3: 1 - x_3})),
            default="cos",
            description="along half a cosine, or a straight line",
        ),
        Choice(
            "three_phase",
            (
                Case(False, ""),
                Case(
                    True,
                    "three_phase",
                    {
                        E_2: 2 * p * N - 2,
                        x_3: (s - E_2) / (N - 1 - E_2),
                        eta_t: Piecewise(
                            (anneal(eta_i, eta_max, c_1), s <= E_1),
                            (anneal(eta_max, eta_i, c_2), s <= E_2),
                            (anneal(eta_i, eta_min, c_3), True),
                        ),
                    },
                ),
            ),
            default=False,
            description="back down to the starting rate before the final descent",
        ),
    ),
    example=Example({"max_lr": 0.1, "total_steps": 500, "pct_start": 0.3}, steps=600),
    past_the_end="min_lr (PyTorch raises past step total_steps).",
    library="PyTorch (torch.optim.lr_scheduler.OneCycleLR)",
    references=(
        "L. N. Smith, N. Topin, Super-convergence: very fast training of neural networks using large learning rates, "
        "2018.",
    ),
    conventions=(
        (
            "PyTorch",
            r"also cycles the momentum (or $\beta_1$) between \texttt{max\_momentum} and \texttt{base\_momentum}; "
            "not modelled here.",
        ),
        (
            "Optax",
            r"\texttt{cosine\_onecycle\_schedule} and \texttt{linear\_onecycle\_schedule} place the phases "
            r"by fractions of the steps, without PyTorch's $-1$.",
        ),
    ),
    latex_names={
        eta_max: r"\eta_{\max}",
        N: "N",
        p: "p",
        d: "d",
        d_f: "d_f",
        eta_i: r"\eta_i",
        eta_min: r"\eta_{\min}",
        s: r"\bar k",
        E_1: "E_1",
        E_2: "E_2",
        x_1: "x_1",
        x_2: "x_2",
        x_3: "x_3",
        c_1: "c_1",
        c_2: "c_2",
        c_3: "c_3",
        eta_t: r"\eta_k",
    },
    counterparts=(
        ScheduleCounterpart(
            "torch.optim.lr_scheduler.OneCycleLR",
            arguments=(
                ("optimizer", eta_max),
                ("max_lr", eta_max),
                ("total_steps", N),
                ("pct_start", p),
                ("anneal_strategy", "anneal_strategy"),
                ("div_factor", d),
                ("final_div_factor", d_f),
                ("three_phase", "three_phase"),
                ("cycle_momentum", False),
            ),
            horizon=N,
            note=(
                "compared over steps 0 .. total_steps - 1; cycle_momentum=False: the rate only, trainspec does not "
                "model the momentum cycling"
            ),
        ),
    ),
)

_eta = Symbol("eta_1", positive=True)
_NUMBERS = {_eta: 0.1}


def _call(**choices) -> Call:
    exact = {"pct_start": Rational(1, 4), "div_factor": 25, "final_div_factor": 10**4}
    return Call("OneCycleLR", {"max_lr": _eta, "total_steps": 100, **exact, **choices})


RELATIONS = (
    ValueAt(
        name="starts_at_max_lr_over_div_factor",
        description="At step 0 the rate is max_lr / div_factor.",
        call=_call(),
        step=0,
        expected=_eta / 25,
        example=_NUMBERS,
    ),
    ValueAt(
        name="ends_at_min_lr",
        description="At the last step, total_steps - 1, the rate is max_lr / (div_factor · final_div_factor).",
        call=_call(),
        step=99,
        expected=_eta / 25 / 10**4,
        example=_NUMBERS,
    ),
    ValueAt(
        name="three_phase_ends_at_min_lr",
        description="With three phases too, the last step's rate is max_lr / (div_factor · final_div_factor).",
        call=_call(three_phase=True),
        step=99,
        expected=_eta / 25 / 10**4,
        example=_NUMBERS,
    ),
)
