"""PyTorch's ``ReduceLROnPlateau``: the rate times ``factor`` once the metric has not improved for more than
``patience`` epochs.

Each epoch (``scheduler.step(metric)``) the metric improves on the best so far
by more than ``threshold`` (relative: beyond ``best·(1 ∓ threshold)``;
absolute: beyond ``best ∓ threshold``), or it counts a bad epoch. During a
cooldown the bad epochs are counted and then forgotten. When more than
``patience`` bad epochs have passed, the rate becomes ``max(factor·rate,
min_lr)`` (unless that changes it by ``eps`` or less), the cooldown starts and
the count restarts. ``best`` starts at +∞ (``mode="min"``) or -∞ (``"max"``),
so the first epoch always improves.
"""

from sympy import Eq, Interval, Max, Piecewise, Range, Rational, Symbol, oo

from codegen.language.controller import (
    Case,
    Choice,
    ControllerCall,
    ControllerSpec,
    ControllerState,
    Counterpart,
    Example,
    Hyperparameter,
    Trajectory,
    Typical,
    eta,
    initial_rate,
    m,
)
from specs.controllers._examples import PLATEAUS

factor = Symbol("f", positive=True)
patience = Symbol("P", integer=True, nonnegative=True)
threshold = Symbol("theta", nonnegative=True)
cooldown = Symbol("C", integer=True, nonnegative=True)
min_lr = Symbol("eta_min", nonnegative=True)
eps = Symbol("epsilon", nonnegative=True)
best = Symbol("best", real=True)
bad = Symbol("n_bad", integer=True, nonnegative=True)
counter = Symbol("n_cool", integer=True, nonnegative=True)
sign = Symbol("s")
bound = Symbol("bound")
better = Symbol("better")
cooling = Symbol("cooling")
reduce = Symbol("reduce")
reduced = Symbol("reduced")

SPEC = ControllerSpec(
    name="TorchReduceLROnPlateau",
    aliases=("torch_reduce_lr_on_plateau",),
    summary="The rate times factor once the metric has not improved for more than patience epochs (PyTorch).",
    arguments=(
        initial_rate(),
        Hyperparameter(
            factor, "factor", 0.1, Interval.open(0, 1), "what the rate is multiplied by", typical=Typical(0.1, 0.9)
        ),
        Hyperparameter(
            patience, "patience", 10, Range(0, oo), "bad epochs tolerated before a cut", typical=Typical(0, 6)
        ),
        Hyperparameter(
            threshold,
            "threshold",
            1e-4,
            Interval.Ropen(0, 1),
            "the least improvement that counts",
            typical=Typical(1e-4, 1e-1, log=True),
        ),
        Hyperparameter(
            cooldown, "cooldown", 0, Range(0, oo), "epochs after a cut that count no bad epoch", Typical(0, 4)
        ),
        Hyperparameter(
            min_lr,
            "min_lr",
            0.0,
            Interval(0, oo),
            "the rate is never cut below this",
            typical=Typical(1e-7, 1e-5, log=True),
        ),
        Hyperparameter(
            eps,
            "eps",
            1e-8,
            Interval(0, oo),
            "a cut smaller than this is not made",
            typical=Typical(1e-10, 1e-8, log=True),
        ),
    ),
    choices=(
        Choice(
            "mode",
            (
                Case("min", ""),
                Case("max", "max", {sign: 1, better: Piecewise((1, m > bound), (0, True)), best: -oo}),
            ),
            "min",
            "min: the metric should fall (a loss); max: rise (an accuracy)",
        ),
        Choice(
            "threshold_mode",
            (Case("rel", ""), Case("abs", "abs", {bound: best + sign * threshold})),
            "rel",
            "rel: an improvement beyond threshold times best; abs: beyond threshold itself",
        ),
    ),
    state=(
        ControllerState(best, "best", oo, "the best metric so far"),
        ControllerState(bad, "num_bad_epochs", 0, "epochs since the last improvement", integer=True),
        ControllerState(counter, "cooldown_counter", 0, "epochs of cooldown left", integer=True),
        ControllerState(eta, "learning_rate", initial_rate().symbol, "the rate in effect"),
    ),
    update=(
        (sign, -1),
        (bound, best * (1 + sign * threshold)),
        (better, Piecewise((1, m < bound), (0, True))),
        (best, Piecewise((m, Eq(better, 1)), (best, True))),
        (bad, Piecewise((0, Eq(better, 1)), (bad + 1, True))),
        (cooling, Piecewise((1, counter > 0), (0, True))),
        (counter, counter - cooling),
        (bad, bad * (1 - cooling)),
        (reduce, Piecewise((1, bad > patience), (0, True))),
        (reduced, Max(eta * factor, min_lr)),
        (eta, Piecewise((reduced, Eq(reduce, 1) & (eta - reduced > eps)), (eta, True))),
        (counter, Piecewise((cooldown, Eq(reduce, 1)), (counter, True))),
        (bad, Piecewise((0, Eq(reduce, 1)), (bad, True))),
    ),
    example=Example(
        {"learning_rate": 0.1, "factor": 0.5, "patience": 3, "cooldown": 2},
        metrics=PLATEAUS,
    ),
    library="PyTorch (torch.optim.lr_scheduler.ReduceLROnPlateau)",
    conventions=(
        (
            "Keras 3",
            r"the \texttt{ReduceLROnPlateau} callback cuts after \texttt{patience} bad epochs, not more than "
            r"\texttt{patience}; its threshold \texttt{min\_delta} is absolute; its cooldown starts only after a "
            r"cut that changed the rate, and the epochs of a cooldown are not counted at all.",
        ),
    ),
    latex_names={
        factor: "f",
        patience: "P",
        threshold: r"\theta",
        cooldown: "C",
        min_lr: r"\eta_{\min}",
        eps: r"\epsilon",
        best: r"b",
        bad: r"n_{\mathrm{bad}}",
        counter: r"n_{\mathrm{cool}}",
        sign: "s",
        bound: r"\beta",
        better: "u",
        cooling: "c",
        reduce: "r",
        reduced: r"\tilde\eta",
    },
    counterparts=(
        Counterpart(
            "torch.optim.lr_scheduler.ReduceLROnPlateau",
            arguments=(
                ("optimizer", initial_rate().symbol),
                ("mode", "mode"),
                ("factor", factor),
                ("patience", patience),
                ("threshold", threshold),
                ("threshold_mode", "threshold_mode"),
                ("cooldown", cooldown),
                ("min_lr", min_lr),
                ("eps", eps),
            ),
        ),
    ),
)

_eta = Symbol("eta_1", positive=True)
_FLAT = (1.0,) * 10  # the first epoch improves on +oo; none after it

RELATIONS = (
    Trajectory(
        name="a_flat_metric_cuts_every_patience_plus_one_epochs",
        description=(
            "A metric that stops improving after the first epoch cuts the rate by factor after patience + 1 bad "
            "epochs, then again every patience + 1 epochs (patience 2, no cooldown)."
        ),
        call=ControllerCall(
            "TorchReduceLROnPlateau", {"learning_rate": _eta, "factor": 0.5, "patience": 2, "eps": 0.0}
        ),
        metrics=_FLAT,
        expected=(_eta, _eta, _eta, _eta / 2, _eta / 2, _eta / 2, _eta / 4, _eta / 4, _eta / 4, _eta / 8),
        example={_eta: 0.1},
    ),
    Trajectory(
        name="cooldown_delays_the_next_cut",
        description="A cooldown of 2 epochs after each cut adds 2 epochs before the next (patience 2, flat metric).",
        call=ControllerCall(
            "TorchReduceLROnPlateau",
            {"learning_rate": _eta, "factor": 0.5, "patience": 2, "cooldown": 2, "eps": 0.0},
        ),
        metrics=_FLAT,
        expected=(_eta, _eta, _eta, _eta / 2, _eta / 2, _eta / 2, _eta / 2, _eta / 2, _eta / 4, _eta / 4),
        example={_eta: 0.1},
    ),
    Trajectory(
        name="min_lr_is_a_floor",
        description="The rate stops at min_lr: a cut below it is made to min_lr, and none after.",
        call=ControllerCall(
            "TorchReduceLROnPlateau",
            {"learning_rate": Rational(1, 10), "factor": Rational(1, 10), "patience": 0, "min_lr": Rational(1, 500)},
        ),
        metrics=(1, 1, 1, 1, 1),
        expected=(Rational(1, 10), Rational(1, 100), Rational(1, 500), Rational(1, 500), Rational(1, 500)),
    ),
)
