"""Keras's ``ReduceLROnPlateau`` callback: the rate times ``factor`` once the metric has not improved for
``patience`` epochs.

At the end of each epoch a cooldown in progress is counted down first, and
forgets the epochs without improvement. The metric then improves on the best
so far by more than ``min_delta`` (an absolute margin), or, outside a
cooldown, it adds an epoch without improvement. After ``patience`` of them the
rate becomes ``max(factor·rate, min_lr)``, if it is still above ``min_lr``,
and the cooldown starts. ``best`` starts at +∞ (``mode="min"``) or -∞
(``"max"``): Keras starts it at None, which every metric improves on. Keras's
``mode="auto"`` picks ``min`` for a loss; here the mode is given.
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
delta = Symbol("delta", nonnegative=True)
cooldown = Symbol("C", integer=True, nonnegative=True)
min_lr = Symbol("eta_min", nonnegative=True)
best = Symbol("best", real=True)
wait = Symbol("n_wait", integer=True, nonnegative=True)
counter = Symbol("n_cool", integer=True, nonnegative=True)
cooling = Symbol("cooling")
improved = Symbol("improved")
counting = Symbol("counting")
reduce = Symbol("reduce")

SPEC = ControllerSpec(
    name="ReduceLROnPlateau",
    aliases=("reduce_lr_on_plateau",),
    summary="The rate times factor once the metric has not improved for patience epochs (Keras's callback).",
    arguments=(
        initial_rate(),
        Hyperparameter(
            factor, "factor", 0.1, Interval.open(0, 1), "what the rate is multiplied by", typical=Typical(0.1, 0.9)
        ),
        Hyperparameter(
            patience, "patience", 10, Range(1, oo), "epochs without improvement before a cut", typical=Typical(1, 6)
        ),
        Hyperparameter(
            delta,
            "min_delta",
            1e-4,
            Interval(0, oo),
            "the least improvement that counts",
            typical=Typical(1e-4, 1e-2, log=True),
        ),
        Hyperparameter(
            cooldown, "cooldown", 0, Range(0, oo), "epochs after a cut that count no epoch", typical=Typical(0, 4)
        ),
        Hyperparameter(
            min_lr,
            "min_lr",
            0.0,
            Interval(0, oo),
            "the rate is never cut below this",
            typical=Typical(1e-7, 1e-5, log=True),
        ),
    ),
    choices=(
        Choice(
            "mode",
            (
                Case("min", ""),
                Case("max", "max", {improved: Piecewise((1, m - delta > best), (0, True)), best: -oo}),
            ),
            "min",
            "min: the metric should fall (a loss); max: rise (an accuracy)",
        ),
    ),
    state=(
        ControllerState(best, "best", oo, "the best metric so far"),
        ControllerState(wait, "wait", 0, "epochs without improvement, outside cooldowns", integer=True),
        ControllerState(counter, "cooldown_counter", 0, "epochs of cooldown left", integer=True),
        ControllerState(eta, "learning_rate", initial_rate().symbol, "the rate in effect"),
    ),
    update=(
        (cooling, Piecewise((1, counter > 0), (0, True))),
        (counter, counter - cooling),
        (wait, wait * (1 - cooling)),
        (improved, Piecewise((1, m + delta < best), (0, True))),
        (best, Piecewise((m, Eq(improved, 1)), (best, True))),
        (counting, Piecewise((1, Eq(improved, 0) & (counter <= 0)), (0, True))),
        (wait, Piecewise((0, Eq(improved, 1)), (wait + counting, True))),
        (reduce, Piecewise((1, Eq(counting, 1) & (wait >= patience) & (eta > min_lr)), (0, True))),
        (eta, Piecewise((Max(eta * factor, min_lr), Eq(reduce, 1)), (eta, True))),
        (counter, Piecewise((cooldown, Eq(reduce, 1)), (counter, True))),
        (wait, Piecewise((0, Eq(reduce, 1)), (wait, True))),
    ),
    example=Example(
        {"learning_rate": 0.1, "factor": 0.5, "patience": 3, "cooldown": 2},
        metrics=PLATEAUS,
    ),
    library="Keras 3 (keras.callbacks.ReduceLROnPlateau)",
    conventions=(
        (
            "Keras 3",
            r"keeps the rate in the optimizer's float32 variable and compares in float32: its rates are the float32 "
            r"roundings of these.",
        ),
        (
            "PyTorch",
            r"\texttt{ReduceLROnPlateau} cuts after more than \texttt{patience} bad epochs, its threshold is "
            r"relative by default, and it counts the bad epochs of a cooldown and then forgets them.",
        ),
    ),
    latex_names={
        factor: "f",
        patience: "P",
        delta: r"\delta",
        cooldown: "C",
        min_lr: r"\eta_{\min}",
        best: "b",
        wait: r"n_{\mathrm{wait}}",
        counter: r"n_{\mathrm{cool}}",
        cooling: "c",
        improved: "u",
        counting: "a",
        reduce: "r",
    },
    counterparts=(
        Counterpart(
            "keras.callbacks.ReduceLROnPlateau",
            arguments=(
                ("optimizer", initial_rate().symbol),
                ("mode", "mode"),
                ("factor", factor),
                ("patience", patience),
                ("min_delta", delta),
                ("cooldown", cooldown),
                ("min_lr", min_lr),
            ),
        ),
    ),
)

_eta = Symbol("eta_1", positive=True)
# Improvements, a plateau, improvements smaller than the margin, a long plateau: every branch of both updates.
_WANDERING = tuple(
    Rational(value)
    for value in ("1", "0.9", "0.9", "0.9", "0.9", "0.85", "0.8499", "0.84", "0.84", "0.84", "0.84", "0.84", "0.83")
)

RELATIONS = (
    Trajectory(
        name="a_flat_metric_cuts_every_patience_epochs",
        description=(
            "A metric that stops improving after the first epoch cuts the rate by factor after patience epochs, "
            "then again every patience epochs (patience 2, no cooldown)."
        ),
        call=ControllerCall("ReduceLROnPlateau", {"learning_rate": _eta, "factor": 0.5, "patience": 2}),
        metrics=(1,) * 8,
        expected=(_eta, _eta, _eta / 2, _eta / 2, _eta / 4, _eta / 4, _eta / 8, _eta / 8),
        example={_eta: 0.1},
    ),
    Trajectory(
        name="keras_is_torch_with_one_less_patience",
        description=(
            "Without cooldown, Keras's callback with patience P and min_delta d sets the rates of PyTorch's "
            "ReduceLROnPlateau with patience P - 1, an absolute threshold d and eps 0 (here on a metric that "
            "improves, stalls and improves by less than d)."
        ),
        call=ControllerCall(
            "ReduceLROnPlateau", {"learning_rate": _eta, "factor": 0.5, "patience": 3, "min_delta": Rational(1, 100)}
        ),
        metrics=_WANDERING,
        expected=ControllerCall(
            "TorchReduceLROnPlateau",
            {
                "learning_rate": _eta,
                "factor": 0.5,
                "patience": 2,
                "threshold": Rational(1, 100),
                "threshold_mode": "abs",
                "eps": 0,
            },
        ),
        example={_eta: 0.1},
    ),
    Trajectory(
        name="a_cooldown_is_counted_differently",
        description=(
            "With a cooldown the two part: PyTorch counts the bad epochs of a cooldown and forgets them, Keras "
            "does not count them, so its next cut comes an epoch earlier (patience 2 and 1, cooldown 2)."
        ),
        call=ControllerCall("ReduceLROnPlateau", {"learning_rate": _eta, "factor": 0.5, "patience": 2, "cooldown": 2}),
        metrics=(1,) * 8,
        expected=ControllerCall(
            "TorchReduceLROnPlateau",
            {
                "learning_rate": _eta,
                "factor": 0.5,
                "patience": 1,
                "cooldown": 2,
                "threshold_mode": "abs",
                "threshold": 0.0001,
                "eps": 0,
            },
        ),
        example={_eta: 0.1},
        holds=False,
    ),
)
