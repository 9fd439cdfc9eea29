"""``trainspec verify`` for controllers: another implementation, fed the same metrics, set the spec's rates?

The referee draws the arguments from their typical ranges (``--arg`` pins any)
and a metric sequence of ``--steps`` epochs that improves, stalls, improves by
less than a threshold would count and worsens, as a validation loss does (an
accuracy for ``mode="max"``). It runs each variant: every choice at its
default, then each other case of each choice. Each epoch it compares the rate
the implementation sets with the spec's generated class: the error per epoch
relative to the spec's rate, against a tolerance of √eps ≈ 1.5e-8 (float64:
PyTorch keeps the rate as a Python float, Optax runs in float64 here; a correct implementation agrees to a
few roundings per cut, where a cut changes the rate by ``1 - factor`` ≥ 10%
of it) or 2⁸·eps ≈ 3.1e-5 (float32: Keras keeps the rate in a float32
variable). On divergence it says what the implementation computes instead:
another case of a choice, or the spec with one comparison of its update
flipped (``<`` ↔ ``≤``: a cut one epoch late or early), the line named.

The implementations: ``torch`` (``torch.optim.lr_scheduler.ReduceLROnPlateau``
on an SGD optimizer, its ``step(metric)`` once per epoch, the group's rate read
after it), ``keras`` (the ``keras.callbacks.ReduceLROnPlateau`` callback, its
``on_epoch_end`` with the metric in the logs, the optimizer's rate read after
it), ``optax`` (``optax.contrib.reduce_on_plateau``, its ``update`` with the
metric as ``value``, the rate the starting one times its ``scale``), or
``module:name``: a class or function called with the spec's argument
names that returns an object with ``step(metric) -> rate``, as the generated
classes are.
"""

from __future__ import annotations

import argparse
import math
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import sympy

import trainspec
from codegen.language.common import Counterpart
from codegen.language.controller import ControllerSpec, m
from codegen.load import Registry
from codegen.lower.controller import Line, stepped, variant_for
from codegen.referee import coverage
from codegen.referee.coverage import DEFAULTS, Coverage, Variant
from codegen.referee.optimizer_adapters import called, imported, user_object
from codegen.referee.schedule import draw_number
from codegen.referee.verdict import Candidate, Verdict

MEASURE = "relative error against the spec's rate"
LIBRARIES = ("torch", "keras", "optax")
_TOLERANCES = {"float64": math.sqrt(2.0**-52), "float32": 2.0**8 * 2.0**-23}


@dataclass(frozen=True)
class ControllerImplementation:
    label: str
    rates: Callable[[Mapping[str, Any], list[float]], np.ndarray]
    dtype: str
    notes: tuple[str, ...] = ()


def verify(
    registry: Registry,
    spec_name: str,
    against: str,
    *,
    steps: int = 300,
    seed: int = 0,
    given: Mapping[str, Any] | None = None,
    package: ModuleType = trainspec,
) -> Verdict:
    """Referee ``against`` on ``spec_name`` over ``steps`` epochs; ``given`` pins arguments and choices."""
    spec = registry.get(spec_name)
    if not isinstance(spec, ControllerSpec):
        raise ValueError(f"{spec_name} is not a controller spec")
    if steps < 2:
        raise ValueError(f"--steps must be at least 2 epochs, got {steps}")
    implementation = _implementation(against, spec)
    rng = np.random.default_rng(seed)
    arguments = draw(spec, rng, given or {})
    metrics = drawn_metrics(rng, steps, arguments.get("mode") == "max")
    actual = implementation.rates(arguments, metrics)
    expected = spec_rates(spec, arguments, metrics, package)
    errors = relative_errors(actual, expected)
    limit = _TOLERANCES[implementation.dtype]
    diverged = np.nonzero(~(errors <= limit))[0]
    first = int(diverged[0]) + 1 if diverged.size else None
    matches = [] if first is None else _matches(spec, arguments, metrics, actual, limit)
    return Verdict(
        spec.name,
        against,
        steps,
        limit,
        dict(arguments),
        errors,
        first,
        matches,
        measure=MEASURE,
        first_step=1,
        argument_label="arguments",
        notes=implementation.notes,
        unit="epoch",
    )


def verify_command(registry: Registry, arguments: argparse.Namespace, package: ModuleType) -> Coverage:
    """``trainspec verify`` for a controller, with the command line's arguments: every variant, or those chosen."""
    coverage.refuse_optimizer_options(arguments, "a controller")
    if arguments.dtype != "float64":
        raise ValueError(
            "a controller computes in its library's precision (torch and optax in float64, Keras in float32): "
            "--dtype is for optimizers and schedules"
        )
    spec = registry.get(arguments.spec)
    given = coverage.parsed_assignments(arguments.arg)
    return coverage.run_command(
        arguments,
        variants(spec, given),
        (),
        lambda variant: verify(
            registry,
            arguments.spec,
            arguments.against,
            steps=arguments.steps,
            seed=arguments.seed,
            given={**given, **variant.settings},
            package=package,
        ),
    )


def variants(spec: ControllerSpec, pinned: Mapping[str, Any]) -> list[Variant]:
    """The runs that cover ``spec``: every choice at its default, then each other case of each choice; nothing that
    ``pinned`` fixes is varied."""
    found = [Variant(DEFAULTS)]
    for choice in spec.choices:
        found += coverage.other_options(choice.argument, (case.when for case in choice.cases), choice.default)
    return coverage.unpinned(found, pinned)


# ----------------------------------------------------------------------------- what is drawn


def draw(spec: ControllerSpec, rng: np.random.Generator, given: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments by the spec's names from their typical ranges (float32-exact numbers, whole counts), every choice
    at its default; ``given`` pins any."""
    names = {a.argument for a in spec.arguments} | {c.argument for c in spec.choices}
    unknown = sorted(set(given) - names)
    if unknown:
        raise ValueError(f"{spec.name} has no argument {unknown[0]!r}; it has: {', '.join(sorted(names))}")
    drawn: dict[str, Any] = {a.argument: draw_number(a, rng, 1) for a in spec.arguments}
    drawn.update({c.argument: c.default for c in spec.choices})
    drawn.update(given)
    for choice in spec.choices:
        choice.case(drawn[choice.argument])  # a KeyError naming the cases for a value that is none of them
    return drawn


def drawn_metrics(rng: np.random.Generator, epochs: int, rising: bool) -> list[float]:
    """A validation loss over ``epochs``: stretches that improve by 0.1% to 10% an epoch, stalls that repeat a value
    or drift up, and improvements too small for a threshold of 1e-3 to count; rounded to 5 digits, so that a stall
    repeats its value exactly. An accuracy (``rising``) is one less it."""
    level, metrics = 1.0, []
    for _ in range(epochs):
        kind = rng.random()
        if kind < 0.35:
            level *= 1 - rng.uniform(1e-3, 0.1)
        elif kind < 0.45:
            level *= 1 - rng.uniform(0.0, 1e-3)
        elif kind < 0.6:
            level *= 1 + rng.uniform(0.0, 0.02)
        metrics.append(float(f"{level:.5g}"))
    return [1.0 - value for value in metrics] if rising else metrics


def spec_rates(spec: ControllerSpec, arguments: Mapping, metrics: list[float], package: ModuleType) -> np.ndarray:
    """The rates the spec's generated class sets on ``metrics``, one per epoch."""
    controller = package.controllers.CONTROLLERS[spec.name](**arguments)
    return np.array([controller.step(metric) for metric in metrics])


def relative_errors(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per epoch: |difference| over the spec's rate (a rate is positive); NaN counts as infinitely wrong."""
    difference = np.abs(np.asarray(actual, dtype=np.float64) - expected) / np.abs(expected)
    return np.where(np.isnan(difference), np.inf, difference)


# ----------------------------------------------------------------------------- the implementations


def _implementation(against: str, spec: ControllerSpec) -> ControllerImplementation:
    if against in LIBRARIES:
        counterpart = next((c for c in spec.counterparts if c.library == against and c.same), None)
        if counterpart is None:
            raise ValueError(f"{against} has no counterpart of {spec.name}")
        keywords = _keywords(counterpart, spec)
        note = f"against {counterpart.name}, stepped once per epoch with the epoch's metric"
        if against == "torch":
            return ControllerImplementation(counterpart.name, _torch(counterpart, keywords), "float64", (note,))
        if against == "optax":
            scaled = "the rate is the starting rate times the transformation's scale, in float64 (jax_enable_x64)"
            return ControllerImplementation(counterpart.name, _optax(counterpart, keywords), "float64", (note, scaled))
        keras_note = "Keras keeps the rate in the optimizer's float32 variable"
        return ControllerImplementation(counterpart.name, _keras(counterpart, keywords), "float32", (note, keras_note))
    if ":" in against:
        return ControllerImplementation(against, _user(against), "float64")
    raise ValueError(f"--against must be torch, keras, optax or module:name, not {against!r}")


def _keywords(counterpart: Counterpart, spec: ControllerSpec) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """The counterpart's keywords from drawn arguments: a SymPy expression of the spec's symbols, evaluated; the
    name of an argument or choice, its value."""
    names = {a.symbol: a.argument for a in spec.arguments}

    def keywords(arguments: Mapping[str, Any]) -> dict[str, Any]:
        found = {}
        for keyword, declared in counterpart.arguments:
            if isinstance(declared, sympy.Basic):
                values = {symbol: arguments[names[symbol]] for symbol in declared.free_symbols}
                found[keyword] = values[declared] if declared in values else float(declared.xreplace(values))
            else:
                found[keyword] = arguments[declared]
        return found

    return keywords


def _torch(counterpart: Counterpart, keywords: Callable) -> Callable:
    def rates(arguments: Mapping[str, Any], metrics: list[float]) -> np.ndarray:
        import torch

        given = keywords(arguments)
        parameter = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        optimizer = torch.optim.SGD([parameter], lr=float(given.pop("optimizer")))
        scheduler = called(counterpart.name, imported(counterpart), optimizer, **given)
        found = []
        for metric in metrics:
            called(counterpart.name, scheduler.step, metric)
            found.append(float(optimizer.param_groups[0]["lr"]))
        return np.array(found)

    return rates


def _keras(counterpart: Counterpart, keywords: Callable) -> Callable:
    def rates(arguments: Mapping[str, Any], metrics: list[float]) -> np.ndarray:
        import keras

        given = keywords(arguments)
        model = types.SimpleNamespace(optimizer=keras.optimizers.SGD(learning_rate=float(given.pop("optimizer"))))
        callback = called(counterpart.name, imported(counterpart), monitor="val_loss", **given)
        callback.set_model(model)
        callback.on_train_begin()
        found = []
        for epoch, metric in enumerate(metrics):
            called(counterpart.name, callback.on_epoch_end, epoch, {"val_loss": metric})
            found.append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
        return np.array(found)

    return rates


def _optax(counterpart: Counterpart, keywords: Callable) -> Callable:
    def rates(arguments: Mapping[str, Any], metrics: list[float]) -> np.ndarray:
        import jax

        jax.config.update("jax_enable_x64", True)  # else JAX keeps the metric and the scale in float32
        given = keywords(arguments)
        start = float(given.pop("optimizer"))
        transform = called(counterpart.name, imported(counterpart), **given)
        parameters = jax.numpy.zeros(1)
        state = transform.init(parameters)
        found = []
        for metric in metrics:
            _, state = called(counterpart.name, transform.update, parameters, state, parameters, value=metric)
            found.append(start * float(state.scale))
        return np.array(found)

    return rates


def _user(target: str) -> Callable:
    make = user_object(target)
    if not callable(make):
        raise ValueError(f"{target} is a {type(make).__name__}: give a class or function that builds a controller")

    def rates(arguments: Mapping[str, Any], metrics: list[float]) -> np.ndarray:
        controller = called(target, make, **arguments)
        return np.array([float(called(target, controller.step, metric)) for metric in metrics])

    return rates


# ----------------------------------------------------------------------------- what else it may compute


def _matches(spec: ControllerSpec, arguments: Mapping, metrics: list[float], actual: np.ndarray, limit: float) -> list:
    found = []
    for candidate in candidates(spec, arguments, metrics):
        error = float(np.max(relative_errors(actual, candidate.run())))
        if error <= limit:
            found.append((candidate.label, candidate.explanation, error))
    return found


def candidates(spec: ControllerSpec, arguments: Mapping, metrics: list[float]) -> list[Candidate]:
    """The spec's other choices, then the spec with one comparison of its update flipped (``<`` ↔ ``≤``)."""
    found = []
    for choice in spec.choices:
        for case in choice.cases:
            if case.when != arguments[choice.argument]:
                other = {**arguments, choice.argument: case.when}
                found.append(
                    Candidate(
                        f"{spec.name} with {choice.argument}={case.when!r} instead of {arguments[choice.argument]!r}",
                        f"{choice.argument}: {choice.description}.",
                        lambda other=other: _float_rates(spec, other, metrics),
                    )
                )
    variant = variant_for(spec, {c.argument: arguments[c.argument] for c in spec.choices})
    names = {m: sympy.Symbol("metric"), **{a.symbol: sympy.Symbol(a.argument) for a in spec.arguments}}
    names.update({s.symbol: sympy.Symbol(s.name) for s in spec.state})
    for line, (lhs, rhs) in enumerate(variant.update, 1):
        for relation in sorted(rhs.atoms(sympy.core.relational.Relational), key=sympy.default_sort_key):
            flipped = _FLIPPED.get(type(relation))
            if flipped is None:
                continue
            update = list(variant.update)
            update[line - 1] = (lhs, rhs.xreplace({relation: flipped(*relation.args)}))
            before, after = (sympy.sstr(r.xreplace(names)) for r in (relation, flipped(*relation.args)))
            found.append(
                Candidate(
                    f"{spec.name} with {before} as {after} (line {line}: {names.get(lhs, lhs)})",
                    "a comparison on the other side of its boundary: a cut, an improvement or a cooldown decided one "
                    "epoch early or late where the values meet exactly.",
                    lambda update=tuple(update): _float_rates(spec, arguments, metrics, update),
                )
            )
    return found


_FLIPPED = {
    sympy.StrictLessThan: sympy.LessThan,
    sympy.LessThan: sympy.StrictLessThan,
    sympy.StrictGreaterThan: sympy.GreaterThan,
    sympy.GreaterThan: sympy.StrictGreaterThan,
}


def _float_rates(spec: ControllerSpec, arguments: Mapping, metrics: list[float], update: tuple | None = None):
    """The rates of ``spec`` (or of ``update``, a variant's assignments changed) in float64 arithmetic: a
    diagnosis, not a kernel."""
    variant = variant_for(spec, {c.argument: arguments[c.argument] for c in spec.choices})
    values = {a.symbol: arguments[a.argument] for a in spec.arguments}
    lines = [_float_line(lhs, rhs.xreplace(values)) for lhs, rhs in update or variant.update]
    initial = {s: float(sympy.sympify(v).xreplace(values)) for s, v in variant.initial}
    return np.array(stepped(lines, initial, metrics))


def _float_line(lhs: sympy.Symbol, rhs: sympy.Expr) -> Line:
    read = sorted(rhs.free_symbols, key=str)
    function = sympy.lambdify(read, rhs, modules=["math"])
    return lhs, lambda values: function(*(values[symbol] for symbol in read))
