"""Optax's ``contrib.reduce_on_plateau``: a scale on the updates, times ``factor`` once the average metric has not
improved for ``patience`` evaluations.

The metric is averaged over ``accumulation_size`` calls (a validation loss
each call: 1, the default); each time the average is complete it improves on
the best so far if it is below ``(1 - rtol)·best - atol``, or it adds a
plateau epoch. A cooldown in progress forgets the plateau and counts down;
otherwise, when the plateau reaches ``patience``, the scale becomes
``max(factor·scale, min_scale)`` and the cooldown starts. The rate is the
starting rate times the scale (Optax multiplies the updates by it).
"""

from sympy import Eq, Interval, Max, Piecewise, Range, Rational, Symbol, oo

from codegen.language.controller import (
    ControllerCall,
    ControllerSpec,
    ControllerState,
    Counterpart,
    Example,
    Hyperparameter,
    Trajectory,
    Typical,
    eta,
    eta_0,
    initial_rate,
    m,
)
from specs.controllers._examples import PLATEAUS

factor = Symbol("f", positive=True)
patience = Symbol("P", integer=True, positive=True)
rtol = Symbol("r", nonnegative=True)
atol = Symbol("a", nonnegative=True)
cooldown = Symbol("C", integer=True, nonnegative=True)
size = Symbol("N", integer=True, positive=True)
min_scale = Symbol("sigma_min", nonnegative=True)
best = Symbol("best", real=True)
plateau = Symbol("n_plateau", integer=True, nonnegative=True)
counter = Symbol("n_cool", integer=True, nonnegative=True)
scale = Symbol("sigma", positive=True)
count = Symbol("n_acc", integer=True, nonnegative=True)
average = Symbol("mean", real=True)
counted = Symbol("n_new")
due = Symbol("due")
improved = Symbol("improved")
current = Symbol("n_curr")
cooling = Symbol("cooling")
hit = Symbol("hit")

SPEC = ControllerSpec(
    name="OptaxReduceOnPlateau",
    aliases=("optax_reduce_on_plateau",),
    summary="A scale on the rate, times factor once the averaged metric has not improved for patience evaluations.",
    arguments=(
        initial_rate(),
        Hyperparameter(
            factor, "factor", 0.1, Interval.open(0, 1), "what the scale is multiplied by", typical=Typical(0.1, 0.9)
        ),
        Hyperparameter(patience, "patience", 10, Range(1, oo), "plateau epochs before a cut", typical=Typical(1, 6)),
        Hyperparameter(
            rtol,
            "rtol",
            1e-4,
            Interval(0, 1),
            "the least improvement that counts, relative to the best",
            typical=Typical(1e-4, 1e-1, log=True),
        ),
        Hyperparameter(
            atol,
            "atol",
            0.0,
            Interval(0, oo),
            "the least improvement that counts, absolute",
            typical=Typical(1e-5, 1e-3, log=True),
        ),
        Hyperparameter(
            cooldown,
            "cooldown",
            0,
            Range(0, oo),
            "evaluations after a cut that count no plateau",
            typical=Typical(0, 4),
        ),
        Hyperparameter(
            size,
            "accumulation_size",
            1,
            Range(1, oo),
            "metrics averaged into one evaluation",
            typical=Typical(1, 3),
        ),
        Hyperparameter(
            min_scale,
            "min_scale",
            0.0,
            Interval(0, oo),
            "the scale is never cut below this",
            typical=Typical(1e-6, 1e-4, log=True),
        ),
    ),
    state=(
        ControllerState(best, "best_value", oo, "the best averaged metric so far"),
        ControllerState(plateau, "plateau_count", 0, "evaluations since the last improvement", integer=True),
        ControllerState(counter, "cooldown_count", 0, "evaluations of cooldown left", integer=True),
        ControllerState(scale, "scale", 1, "what the updates are multiplied by"),
        ControllerState(count, "count", 0, "metrics averaged so far", integer=True),
        ControllerState(average, "avg_value", 0, "their average"),
        ControllerState(eta, "learning_rate", eta_0, "the rate in effect: the starting rate times the scale"),
    ),
    update=(
        (counted, count + 1),
        (average, (count * average + m) / counted),
        (count, counted),
        (due, Piecewise((1, Eq(count, size)), (0, True))),
        (improved, Piecewise((1, Eq(due, 1) & (average < (1 - rtol) * best - atol)), (0, True))),
        (best, Piecewise((average, Eq(improved, 1)), (best, True))),
        (current, Piecewise((0, Eq(improved, 1)), (plateau + 1, True))),
        (cooling, Piecewise((1, counter > 0), (0, True))),
        (hit, Piecewise((1, Eq(due, 1) & Eq(cooling, 0) & Eq(current, patience)), (0, True))),
        (plateau, Piecewise((plateau, Eq(due, 0)), (0, Eq(cooling, 1) | Eq(hit, 1)), (current, True))),
        (
            scale,
            Piecewise(
                (scale, Eq(due, 0) | Eq(cooling, 1)),
                (Max(scale * factor, min_scale), Eq(hit, 1)),
                (Max(scale, min_scale), True),
            ),
        ),
        (counter, Piecewise((counter, Eq(due, 0)), (counter - 1, Eq(cooling, 1)), (cooldown, Eq(hit, 1)), (0, True))),
        (count, Piecewise((0, Eq(due, 1)), (count, True))),
        (average, Piecewise((0, Eq(due, 1)), (average, True))),
        (eta, eta_0 * scale),
    ),
    example=Example(
        {"learning_rate": 0.1, "factor": 0.5, "patience": 3, "cooldown": 2},
        metrics=PLATEAUS,
    ),
    library="Optax (optax.contrib.reduce_on_plateau)",
    conventions=(
        (
            "Keras 3",
            r"the \texttt{ReduceLROnPlateau} callback counts its cooldown down before it looks at the metric, so "
            r"it counts a plateau one epoch sooner after a cooldown; its threshold is absolute only.",
        ),
    ),
    latex_names={
        factor: "f",
        patience: "P",
        rtol: "r",
        atol: "a",
        cooldown: "C",
        size: "N",
        min_scale: r"\sigma_{\min}",
        best: "b",
        plateau: r"n_{\mathrm{plateau}}",
        counter: r"n_{\mathrm{cool}}",
        scale: r"\sigma",
        count: r"n_{\mathrm{acc}}",
        average: r"\bar m",
        counted: r"n'",
        due: "d",
        improved: "u",
        current: r"n_{\mathrm{curr}}",
        cooling: "c",
        hit: "h",
    },
    counterparts=(
        Counterpart(
            "optax.contrib.reduce_on_plateau",
            arguments=(
                ("optimizer", eta_0),
                ("factor", factor),
                ("patience", patience),
                ("rtol", rtol),
                ("atol", atol),
                ("cooldown", cooldown),
                ("accumulation_size", size),
                ("min_scale", min_scale),
            ),
        ),
    ),
)

_eta = Symbol("eta_1", positive=True)
_d = Rational(1, 100)
_WANDERING = tuple(
    Rational(value)
    for value in ("1", "0.9", "0.9", "0.9", "0.9", "0.85", "0.8499", "0.84", "0.84", "0.84", "0.84", "0.84", "0.83")
)

RELATIONS = (
    Trajectory(
        name="two_metrics_make_one_evaluation",
        description=(
            "With accumulation_size 2 the metric is averaged in pairs and the scale changes only at the end of a "
            "pair: a flat metric is cut after patience pairs (patience 1)."
        ),
        call=ControllerCall(
            "OptaxReduceOnPlateau", {"learning_rate": _eta, "factor": 0.5, "patience": 1, "accumulation_size": 2}
        ),
        metrics=(1,) * 8,
        expected=(_eta, _eta, _eta, _eta / 2, _eta / 2, _eta / 4, _eta / 4, _eta / 8),
        example={_eta: 0.1},
    ),
    Trajectory(
        name="optax_is_keras_without_cooldown",
        description=(
            "Without cooldown, Optax's reduce_on_plateau with patience P, rtol 0 and atol d sets the rates of "
            "Keras's callback with patience P and min_delta d (here on a metric that improves, stalls and improves "
            "by less than d)."
        ),
        call=ControllerCall(
            "OptaxReduceOnPlateau", {"learning_rate": _eta, "factor": 0.5, "patience": 3, "rtol": 0, "atol": _d}
        ),
        metrics=_WANDERING,
        expected=ControllerCall(
            "ReduceLROnPlateau", {"learning_rate": _eta, "factor": 0.5, "patience": 3, "min_delta": _d}
        ),
        example={_eta: 0.1},
    ),
    Trajectory(
        name="a_cooldown_is_counted_differently_from_keras",
        description=(
            "With a cooldown Optax and Keras part: Keras counts its cooldown down first and may count a plateau in "
            "the same epoch (patience 2, cooldown 1, a flat metric)."
        ),
        call=ControllerCall(
            "OptaxReduceOnPlateau", {"learning_rate": _eta, "factor": 0.5, "patience": 2, "cooldown": 1}
        ),
        metrics=(1,) * 10,
        expected=ControllerCall(
            "ReduceLROnPlateau", {"learning_rate": _eta, "factor": 0.5, "patience": 2, "cooldown": 1}
        ),
        example={_eta: 0.1},
        holds=False,
    ),
)
