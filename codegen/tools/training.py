"""The figures of the docs' part on gradient descent by batch size, computed with the generated package.

Two experiments, both deterministic (fixed seeds, float64, one thread):

- ``train_by_batch_size``: a logistic regression on scikit-learn's
  breast-cancer data set trained with the generated ``SGD`` kernel, once per
  estimator (full batch, mini-batch, single sample), its training loss
  recorded after every step;
- ``trajectories``: the generated optimizers on the Rosenbrock and Beale
  functions, from one start, with their exact gradients.

``draw`` writes the four pictures the part inputs (``FIGURES``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import sympy

from codegen.emit.docs.estimator import FIGURES
from codegen.emit.docs.figure import Axis, Figure, Series, figure_file, plot
from codegen.render import render

COLOURS = ("black", "red", "blue", "teal", "orange", "violet", "brown", "olive")

EPOCHS = 20
LEARNING_RATE = 0.1
MINI_BATCH = 32
SEED = 0


@dataclass(frozen=True)
class Run:
    """One training run: the loss before any step and after each, against the gradient evaluations so far."""

    label: str
    evaluations: np.ndarray
    losses: np.ndarray
    steps_per_epoch: int

    def per_epoch(self) -> np.ndarray:
        """The loss at the start and after each epoch."""
        return self.losses[:: self.steps_per_epoch]


def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's breast-cancer data: features standardised, a column of ones for the bias, labels 0 or 1."""
    from sklearn.datasets import load_breast_cancer  # an optional dependency, needed by `trainspec docs` alone

    features, labels = load_breast_cancer(return_X_y=True)
    standardised = (features - features.mean(axis=0)) / features.std(axis=0)
    return np.hstack([standardised, np.ones((features.shape[0], 1))]), labels.astype(np.float64)


def logistic_loss(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """The mean cross-entropy of the logistic model, computed without overflow."""
    z = x @ w
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def logistic_gradient(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The mean of the examples' gradients: ``xᵀ(σ(xw) - y) / n``."""
    probabilities = 0.5 * (1.0 + np.tanh(0.5 * (x @ w)))  # σ(z), with no overflow for large |z|
    return x.T @ (probabilities - y) / x.shape[0]


def train_by_batch_size(package: ModuleType, x: np.ndarray, y: np.ndarray) -> list[Run]:
    """The logistic regression trained once per estimator of ``package``, with its SGD kernel, from w = 0."""
    estimators = (
        package.training.FullBatch(),
        package.training.MiniBatch(batch_size=MINI_BATCH, seed=SEED),
        package.training.SingleSample(seed=SEED),
    )
    runs = []
    for estimator in estimators:
        w = np.zeros(x.shape[1])
        optimizer = package.SGD(learning_rate=LEARNING_RATE)
        evaluations, losses = [0], [logistic_loss(w, x, y)]
        for _, batch in estimator.epochs(x.shape[0], EPOCHS):
            optimizer.apply([logistic_gradient(w, x[batch], y[batch])], [w])
            evaluations.append(evaluations[-1] + batch.size)
            losses.append(logistic_loss(w, x, y))
        label = f"{type(estimator).__name__}" + (f" (B = {MINI_BATCH})" if hasattr(estimator, "batch_size") else "")
        runs.append(Run(label, np.array(evaluations), np.array(losses), estimator.steps_per_epoch(x.shape[0])))
    return runs


# ----------------------------------------------------------------------------- optimizers on test functions

_x, _y = sympy.symbols("x y")
ROSENBROCK = (1 - _x) ** 2 + 100 * (_y - _x**2) ** 2
BEALE = (sympy.Rational(3, 2) - _x + _x * _y) ** 2 + (sympy.Rational(9, 4) - _x + _x * _y**2) ** 2
BEALE += (sympy.Rational(21, 8) - _x + _x * _y**3) ** 2


SEED_OPTIMIZERS = (
    ("SGD", {"learning_rate": 1e-3}),
    ("SGD", {"learning_rate": 1e-3, "momentum": 0.9}),
    ("SGD", {"learning_rate": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"learning_rate": 0.5}),
    ("RMSprop", {"learning_rate": 0.01}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adam", {"learning_rate": 0.05}),
    ("Nadam", {"learning_rate": 0.05}),
)
"""The classic optimizers the figures compare, with the rates they use: (class name, arguments)."""


@dataclass(frozen=True)
class Landscape:
    name: str
    function: sympy.Expr
    start: tuple[float, float]
    minimum: tuple[float, float]
    x: Axis
    y: Axis
    steps: int
    optimizers: tuple[tuple[str, dict], ...]
    """(class name, arguments) of each optimizer, in legend order."""


LANDSCAPES = (
    Landscape(
        "rosenbrock",
        ROSENBROCK,
        start=(-1.2, 1.0),
        minimum=(1.0, 1.0),
        x=Axis("$x$", -1.5, 1.5, ticks=(-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5)),
        y=Axis("$y$", -0.5, 1.75, ticks=(-0.5, 0.0, 0.5, 1.0, 1.5)),
        steps=2000,
        optimizers=SEED_OPTIMIZERS,
    ),
    Landscape(
        "beale",
        BEALE,
        start=(1.0, 1.5),
        minimum=(3.0, 0.5),
        x=Axis("$x$", 0.0, 3.5, ticks=(0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5)),
        y=Axis("$y$", -1.0, 1.75, ticks=(-1.0, -0.5, 0.0, 0.5, 1.0, 1.5)),
        steps=2000,
        optimizers=SEED_OPTIMIZERS,
    ),
)


def trajectory(package: ModuleType, landscape: Landscape, name: str, arguments: dict) -> np.ndarray:
    """The points an optimizer of ``package`` visits on ``landscape``, from its start: (steps + 1, 2)."""
    gradient = _gradient(landscape.function)
    point = np.array(landscape.start)
    optimizer = getattr(package, name)(**arguments)
    visited = [point.copy()]
    for _ in range(landscape.steps):
        optimizer.apply([gradient(point)], [point])
        visited.append(point.copy())
    return np.array(visited)


def _gradient(function: sympy.Expr) -> Callable[[np.ndarray], np.ndarray]:
    """The exact gradient of ``function`` of x and y, as a function of a point."""
    partials = [sympy.lambdify((_x, _y), sympy.diff(function, v), "math") for v in (_x, _y)]
    return lambda point: np.array([partial(point[0], point[1]) for partial in partials])


def _label(name: str, arguments: dict) -> str:
    """``SGD (momentum 0.9, nesterov, rate 0.001)``."""
    settings = [key if value is True else f"{key} {value:g}" for key, value in arguments.items()]
    return f"{name} ({', '.join(settings)})".replace("learning_rate", "rate")


# ----------------------------------------------------------------------------- the figures


def figures(package: ModuleType) -> dict[str, Figure]:
    """Every figure of the part, by its path (relative to docs/, without .tex)."""
    x, y = breast_cancer()
    runs = train_by_batch_size(package, x, y)
    loss = Axis("training loss", 0.02, 1.0, log=True, ticks=(0.02, 0.05, 0.1, 0.2, 0.5, 1.0))
    by_epoch = [Series(np.arange(EPOCHS + 1), run.per_epoch(), COLOURS[i], run.label) for i, run in enumerate(runs)]
    by_evaluation = [
        Series(np.maximum(run.evaluations, 1), run.losses, COLOURS[i], run.label) for i, run in enumerate(runs)
    ]
    drawn = {
        FIGURES[0]: plot(by_epoch, Axis("epoch", 0.0, float(EPOCHS), ticks=(0.0, 5.0, 10.0, 15.0, 20.0)), loss),
        FIGURES[1]: plot(by_evaluation, Axis("gradient evaluations", 1.0, float(EPOCHS * x.shape[0]), log=True), loss),
    }
    for path, landscape in zip(FIGURES[2:], LANDSCAPES):
        paths = [
            Series(*trajectory(package, landscape, name, arguments).T, COLOURS[i], _label(name, arguments), i == 0)
            for i, (name, arguments) in enumerate(landscape.optimizers)
        ]
        drawn[path] = plot(paths, landscape.x, landscape.y, height=700, marks=[(*landscape.minimum, "black")])
    return drawn


def draw(package: ModuleType, docs: Path, source: str) -> list[Path]:
    """Write every figure of the part into ``docs``; returns their paths."""
    written = []
    for path, drawn in figures(package).items():
        target = docs / f"{path}.tex"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(figure_file(f"{path}.tex", drawn, source)).text, encoding="utf-8")
        written.append(target)
    return written
