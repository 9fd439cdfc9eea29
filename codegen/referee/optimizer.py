"""``trainspec verify``: run a spec and an implementation on the same random problem and say where they part.

Both sides start from the same parameters, get the same stream of gradients
(independent of the parameters, so a difference is the optimizer's alone) and
the same hyperparameters, drawn at random from their typical ranges
(``typical_range``: where the spec declares the method is used, and ε large
enough that where it sits shows). The spec side is trainspec's generated
class (checked against the 50-digit reference by the test suite).
Per step the referee records the largest relative error, normwise against the
displacement so far: max|w_impl − w_spec| / max|w_spec − w_0|. The first step
where it exceeds the tolerance is the divergence. Then it looks for what the
implementation computes instead: every other registered convention of the
same method, and a few classic slips applied to the spec itself (ε moved
across the root, bias correction dropped, β and 1 − β swapped).
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType

import numpy as np
import sympy

import trainspec
from codegen.language.common import Hyperparameter, typical_range
from codegen.language.optimizer import OptimizerSpec, g, t, w
from codegen.load import Registry
from codegen.lower.relations import select_variant
from codegen.referee import optimizer_adapters as external
from codegen.referee.verdict import Candidate, Verdict

SHAPES = ((7,), (3, 4))


def tolerance(dtype: np.dtype) -> float:
    """√(machine epsilon): two correct evaluations of one formula agree to ~1e-13 relative in float64 after 300
    steps (measured against torch and Keras), while a different convention at these hyperparameters differs by
    1e-6 or more; the square root sits between them with a margin of ~1000 on each side."""
    return math.sqrt(float(np.finfo(dtype).eps))


def verify(
    registry: Registry,
    spec_name: str,
    against: str,
    *,
    steps: int = 300,
    seed: int = 0,
    dtype: str = "float64",
    flags: Mapping[str, bool] | None = None,
    package: ModuleType = trainspec,
) -> Verdict:
    """Referee ``against`` on ``spec_name``'s random problem; see the module docstring. The spec side is the class
    ``package`` (a generated package) built for it."""
    spec = registry.get(spec_name)
    if not isinstance(spec, OptimizerSpec):
        raise ValueError(f"{spec_name} is not an optimizer spec")
    implementation = external.implementation(against, spec, registry)
    rng = np.random.default_rng(seed)
    arguments = draw(spec, rng, implementation.accepts, flags or {}, implementation.requires)
    start, gradients = problem(rng, steps, np.dtype(dtype))
    actual = trajectory(implementation.make(dict(arguments)), start, gradients)
    expected = spec_trajectory(package.OPTIMIZERS[spec.name], arguments, start, gradients)
    errors = relative_errors(actual, expected)
    limit = tolerance(np.dtype(dtype))
    diverged = np.nonzero(~(errors <= limit))[0]
    first = int(diverged[0]) + 1 if diverged.size else None
    matches = []
    if first is not None:
        for candidate in candidates(registry, package, spec, arguments, start, gradients):
            error = float(np.max(relative_errors(actual, candidate.run())))
            if error <= limit:
                matches.append((candidate.label, candidate.explanation, error))
    return Verdict(spec.name, against, steps, limit, arguments, errors, first, matches, notes=implementation.notes)


# ----------------------------------------------------------------------------- the problem


def draw(
    spec: OptimizerSpec,
    rng: np.random.Generator,
    accepts: frozenset[str] | None,
    flags: Mapping[str, bool],
    requires: Mapping[str, object] | None = None,
) -> dict[str, float | bool]:
    """Random hyperparameters by the spec's argument names, each drawn from its typical range as a float32 number
    (Keras keeps η in float32); the values ``requires`` pins, and those the spec's constraints demand, set exactly.

    Only the arguments the implementation takes are drawn (``accepts``); the others keep their defaults.
    """
    chosen: dict[str, float | bool] = {}
    for argument, hyperparameter in external.scalar_arguments(spec).items():
        if accepts is None or argument in accepts:
            chosen[argument] = float(np.float32(typical_value(hyperparameter, rng)))
    flag_names = set(external.flags(spec))
    unknown = sorted(set(flags) - flag_names)
    if unknown:
        raise ValueError(f"{spec.name} has no flag {unknown[0]!r}; flags: {', '.join(sorted(flag_names)) or 'none'}")
    chosen.update({name: bool(flags.get(name, False)) for name in sorted(flag_names)})
    drawn = {h.symbol: chosen[name] for name, h in external.scalar_arguments(spec).items() if name in chosen}
    for argument, value in (requires or {}).items():
        chosen[argument] = float(value.xreplace(drawn)) if isinstance(value, sympy.Basic) else value
    return meet_constraints(spec, chosen)


def typical_value(hyperparameter: Hyperparameter, rng: np.random.Generator) -> float:
    """A value drawn from the hyperparameter's typical range: log-uniform or uniform, as the range says."""
    return typical_point(hyperparameter, rng.random())


def typical_point(hyperparameter: Hyperparameter, fraction: float) -> float:
    """The point ``fraction`` of the way through the hyperparameter's typical range, on a log scale where the range
    is log-uniform."""
    typical = typical_range(hyperparameter)
    if typical.log:
        low, high = math.log(typical.low), math.log(typical.high)
        return math.exp(low + fraction * (high - low))
    return typical.low + fraction * (typical.high - typical.low)


def meet_constraints(spec: OptimizerSpec, chosen: dict[str, float | bool]) -> dict[str, float | bool]:
    """``chosen`` with every equality that a constraint in force demands set exactly (PyTorch's Nesterov momentum:
    no dampening). A constraint is in force when it names no flag, or its flag is on in ``chosen``."""
    arguments = {h.symbol: h.argument for h in spec.hyperparameters}
    for constraint in spec.constraints:
        if constraint.when is None or chosen.get(constraint.when):
            for equality in constraint.condition.atoms(sympy.Eq):
                symbol, value = sorted(equality.args, key=lambda side: not isinstance(side, sympy.Symbol))
                chosen[arguments[symbol]] = float(value)
    return chosen


def problem(rng: np.random.Generator, steps: int, dtype: np.dtype) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Starting parameters N(0, 1), and gradients N(0, 1) times a per-coordinate scale over two decades."""
    start = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    scales = [10.0 ** rng.uniform(-1, 1, shape) for shape in SHAPES]
    gradients = [[(s * rng.standard_normal(s.shape)).astype(dtype) for s in scales] for _ in range(steps)]
    return start, gradients


def trajectory(step: external.Stepper, start: Sequence[np.ndarray], gradients) -> np.ndarray:
    """The flattened parameters after every step, shape (steps + 1, n)."""
    params = [p.copy() for p in start]
    rows = [np.concatenate([p.ravel() for p in params])]
    for index, grads in enumerate(gradients, start=1):
        step(params, [gr.copy() for gr in grads], index)
        rows.append(np.concatenate([p.ravel() for p in params]))
    return np.array(rows, dtype=np.float64)


def relative_errors(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per step: the largest |difference| over the largest displacement of the expected parameters so far."""
    displacement = np.abs(expected - expected[0]).max(axis=1)
    scale = np.maximum.accumulate(displacement)[1:]
    difference = np.abs(actual - expected).max(axis=1)[1:]
    difference = np.where(np.isnan(difference), np.inf, difference)
    return difference / np.where(scale > 0, scale, np.finfo(np.float64).tiny)


# ----------------------------------------------------------------------------- the spec and its relatives


def spec_trajectory(optimizer_class: type, arguments: Mapping, start, gradients) -> np.ndarray:
    """The trajectory of a generated class built with ``arguments`` (its own argument names)."""
    optimizer = optimizer_class(**arguments)

    def step(params, grads, _t):
        optimizer.apply(grads, params)

    return trajectory(step, start, gradients)


def candidates(
    registry: Registry, package: ModuleType, spec: OptimizerSpec, arguments, start, gradients
) -> list[Candidate]:
    """Other conventions of the same method, each with the values of the arguments it shares with the spec, then
    the spec with one classic slip each."""
    found = []
    for other in registry.optimizers:
        if other is spec or other.method_name != spec.method_name:
            continue
        shared = external.carried(arguments, spec, other, registry)
        found.append(
            Candidate(
                f"{other.convention} {other.name} ({other.module_name})",
                difference(spec, other),
                lambda other=other, shared=shared: spec_trajectory(
                    package.OPTIMIZERS[other.name], shared, start, gradients
                ),
            )
        )
    flags = {k: v for k, v in arguments.items() if isinstance(v, bool)}
    for label, substitution in slips(spec, flags):
        found.append(
            Candidate(
                f"{spec.name} with {label}",
                f"the implementation computes {spec.name} with {label}.",
                lambda s=substitution: interpret(spec, flags, s, arguments, start, gradients),
            )
        )
    return found


def difference(spec: OptimizerSpec, other: OptimizerSpec) -> str:
    """What separates two conventions, from their derivation records and convention notes."""
    for child, parent in ((other, spec), (spec, other)):
        derivation = child.derived_from
        if derivation is not None and derivation.parent == parent.name:
            return f"{child.name} is {parent.name} with {derivation.text}: {derivation.note}"
    for note in spec.conventions:
        if note.library == other.convention:
            return f"{other.convention}: {_plain(note.note)}"
    return f"{other.name} is another convention of the same method ({other.convention})."


_GLYPHS = (
    (r"\hat\epsilon", "ε̂"),
    (r"\epsilon", "ε"),
    (r"\beta_2", "β2"),
    (r"\beta_1", "β1"),
    (r"\lambda", "λ"),
    (r"\eta", "η"),
    (r"\rho", "ρ"),
    (r"\alpha", "α"),
    (r"\kappa", "κ"),
    (r"\psi", "ψ"),
    (r"\mu", "μ"),
    (r"\to", "→"),
    (r"\max", "max"),
    (r"\texttt", ""),
    ("$", ""),
)


def _plain(latex: str) -> str:
    """LaTeX from a spec's notes as plain text for a terminal."""
    latex = re.sub(r"\\sqrt\{([^{}]*)\}", r"√(\1)", latex)
    for old, new in _GLYPHS:
        latex = latex.replace(old, new)
    return latex.replace("{", "").replace("}", "")


# ----------------------------------------------------------------------------- classic slips


def slips(spec: OptimizerSpec, flags: Mapping[str, bool]) -> list[tuple[str, Callable]]:
    """Rewrites of the spec's update that model the usual mistakes; only those that change it are kept.

    A term added to a square root or under it (ε) may move across it; a decay rate (a hyperparameter in [0, 1]
    that the update weighs against 1 − itself: β, ρ) may lose its bias correction or swap with 1 − itself.
    """
    variant = select_variant(spec, flags)
    found: list[tuple[str, Callable]] = []
    for h in spec.hyperparameters:
        shown = sympy.pretty(h.symbol)
        found.append((f"{shown} moved inside the root", lambda e, s=h.symbol: _move_inside(e, s)))
        found.append((f"{shown} moved outside the root", lambda e, s=h.symbol: _move_outside(e, s)))
    decays = [h.symbol for h in spec.hyperparameters if _is_decay_rate(h, variant.assignments)]
    if decays:
        corrections = {beta**t: 0 for beta in decays}
        found.append(("the bias correction dropped (1 − β^t → 1)", lambda e: e.subs(corrections)))
    for beta in decays:
        found.append((f"{beta} and 1 − {beta} swapped", lambda e, b=beta: e.xreplace({b: 1 - b})))
    return [(label, rewrite) for label, rewrite in found if any(rewrite(rhs) != rhs for _, rhs in variant.assignments)]


def _is_decay_rate(hyperparameter: Hyperparameter, assignments) -> bool:
    """In [0, 1], and weighed against 1 − itself somewhere in the update (a moving average's rate)."""
    inside = hyperparameter.domain.is_subset(sympy.Interval(0, 1))
    return bool(inside) and any(rhs.has(1 - hyperparameter.symbol) for _, rhs in assignments)


def _move_inside(expression: sympy.Expr, epsilon: sympy.Symbol) -> sympy.Expr:
    """√X + ε → √(X + ε)."""

    def rewrite(node):
        if isinstance(node, sympy.Add) and epsilon in node.args:
            roots = [a for a in node.args if isinstance(a, sympy.Pow) and a.exp == sympy.Rational(1, 2)]
            if roots:
                # Compared by value: once SymPy's cache has evicted a symbol, an equal one need not be the same object.
                rest = [a for a in node.args if a not in (epsilon, roots[0])]
                return sympy.Add(sympy.sqrt(roots[0].base + epsilon), *rest)
        return node

    return expression.replace(lambda n: isinstance(n, sympy.Add), rewrite)


def _move_outside(expression: sympy.Expr, epsilon: sympy.Symbol) -> sympy.Expr:
    """√(X + ε) → √X + ε."""

    def rewrite(node):
        base = node.base
        if isinstance(base, sympy.Add) and epsilon in base.args:
            root = sympy.sqrt(sympy.Add(*(a for a in base.args if a != epsilon))) + epsilon
            return root if node.exp == sympy.Rational(1, 2) else 1 / root
        return node

    return expression.replace(lambda n: isinstance(n, sympy.Pow) and abs(n.exp) == sympy.Rational(1, 2), rewrite)


def interpret(spec: OptimizerSpec, flags, rewrite: Callable, arguments, start, gradients) -> np.ndarray:
    """The spec's variant with ``rewrite`` applied, evaluated in float64 NumPy, tensor by tensor (a sum over the
    tensor is over each one's elements): a diagnosis, not a kernel."""
    variant = select_variant(spec, flags)
    values = {h.symbol: float(arguments.get(h.argument, h.default or 0.0)) for h in spec.hyperparameters}
    assignments = [(lhs, rewrite(rhs)) for lhs, rhs in variant.assignments]
    inputs = sorted({w, g, t, *values, *(s.symbol for s in variant.state), *(lhs for lhs, _ in assignments)}, key=str)
    modules = [{"tensor_sum": np.sum}, "numpy"]
    functions = [(lhs, sympy.lambdify(inputs, rhs, modules)) for lhs, rhs in assignments]
    initial = {s.symbol: float(sympy.sympify(s.initial).xreplace(values)) for s in variant.state}
    tensors: list[dict] = []  # each tensor's state, from one step to the next

    def step(params, grads, index):
        if not tensors:
            tensors.extend({symbol: np.full(p.size, value) for symbol, value in initial.items()} for p in params)
        for p, grad, env in zip(params, grads, tensors):
            env.update(values)
            env.update({w: p.ravel().astype(np.float64), g: grad.ravel().astype(np.float64), t: index})
            for lhs, function in functions:
                env[lhs] = function(*(env.get(symbol, 0.0) for symbol in inputs))
            p[...] = np.broadcast_to(env[w], (p.size,)).reshape(p.shape)

    return trajectory(step, start, gradients)


def verify_command(registry: Registry, arguments: argparse.Namespace, package: ModuleType) -> Verdict:
    """``trainspec verify`` for an optimizer, with the command line's arguments."""
    flags = {name: True for name in arguments.flag}
    return verify(
        registry,
        arguments.spec,
        arguments.against,
        steps=arguments.steps,
        seed=arguments.seed,
        dtype=arguments.dtype,
        package=package,
        flags=flags,
    )
