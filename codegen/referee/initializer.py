"""``trainspec verify`` for initializers: test a large sample from an implementation against the exact distribution
the spec promises for each shape, and say what it draws from instead.

The spec's promise for a shape is exact: ``parameters_at`` evaluates the
spec's case (family and parameters as SymPy expressions of the fans, the
arguments and constants) at the shape's fans, which come from the spec's
generated class (``compute_fans``: Keras's layout for Keras specs, torch's for
torch-convention ones). The referee draws the arguments at random (seeded)
from each one's typical range (declared in the spec, or derived from its
domain: ``typical_range``) and the choices among their options, then one
array per shape from the implementation: a 2-D matrix and a
convolution kernel (two 2-D matrices, tall and wide, for Identity and
Orthogonal), sized to about ``values`` elements in all, each with
``fan_in ≠ fan_out`` (ratio 2) so that a swap of the fans shows.

Random families (normal, truncated normal, uniform), per shape, each test at
significance ``ALPHA``:

* Kolmogorov–Smirnov against the exact CDF (``D = sup |F_n − F|``; p-value
  from Kolmogorov's limiting distribution beyond 10^4 values, see ``EXACT_KS_UP_TO``);
* mean: ``z = (x̄ − μ)/(σ/√n)``, two-sided normal p-value (CLT);
* variance: ``z = (s² − σ²)/√((μ₄ − σ⁴)/n)`` with the exact fourth central
  moment μ₄ (scipy), two-sided normal p-value;
* support (bounded families): no value outside ``[lower, upper]`` /
  ``[minval, maxval]`` beyond 4 ulps of the bound in the sample's dtype (an
  implementation computes its bounds in that dtype, a few roundings);
* reach (bounded families): the lowest value at most ``F⁻¹(t)`` and the
  highest at least ``F⁻¹(1 − t)``, ``t = −ln(ALPHA)/n``: a correct sampler
  misses either with probability ``(1 − t)^n ≤ ALPHA``. A sampler cut short
  of its bounds fails here.

Exact families: Constant and Identity must equal ``value`` / ``gain·I`` to
the bit (in the sample's dtype). Orthogonal (2-D only; Keras and torch
flatten higher ranks differently): ``QᵀQ = gain²·I`` on the orthonormal side
within √eps of the dtype; the entries of ``Q/gain`` against their exact
marginal (a coordinate ``x`` of a uniform unit vector in ``R^m`` has
``x² ~ Beta(1/2, (m − 1)/2)``; KS as above, measured on Haar matrices of this
size to behave as for independent values); and the signs of the diagonal of
``Q/gain``, which for a Haar matrix are independent fair coins (flipping a
row's sign keeps the Haar law): a binomial test. Without the sign fix a
Householder QR's ``Q`` has a lopsided diagonal (85 of 500 positive, measured).

Why ``ALPHA = 1e-6``. A correct implementation fails one test with
probability 1e-6, the whole run (about 10 tests) below 1e-5: a referee run in
CI on every spec must essentially never cry wolf. It costs no power at this
sample size: at n = 5·10^5 per shape the KS test rejects beyond
``D ≈ 0.0038`` (at the 5% level it would be 0.0019), while the slips it must
catch lie far beyond (measured on HeNormal and TruncatedNormal at the CLI's
shapes): an untruncated normal of the same variance at KS distance 0.0167,
the correction constant dropped 0.032, ±2 absolute truncation at stddev 1.5
0.072, the fans swapped 0.087, the uniform limit √variance 0.21. By the
Dvoretzky–Kiefer–Wolfowitz inequality a sample from an alternative at
distance δ passes with probability at most ``2·exp(−2n(δ − D)²)``: 10^-72
for the closest of them. The report prints this bound for the closest
alternative, and lists those too close to tell apart: drawn arguments can make
a registered initializer coincide with the spec (torch's TruncNormal with
a = -2, b = 2 is RandomNormal for a stddev of 0.03).

A truncated normal's absolute bounds that are arguments (torch's ``a``,
``b``) are drawn 0.5 to 2.5 standard deviations from the drawn mean, so that
the cut matters. Where the only failure is values past a truncated normal's
bounds, the report says which capped rejection sampler leaves that many out
(one that gives up after m draws keeps a fraction P_out^m outside): Keras 3.15
on its torch backend keeps the first of 4 draws, 4.3e-6 of the values.

On failure, it looks for what the implementation draws from instead: every
registered initializer of a compatible family (normal and truncated normal
together, uniform, or the same exact family) with the spec's argument values
carried over where it shares the argument's symbol or takes the argument as
the same parameter of its family (TruncNormal's ``std`` and TruncatedNormal's
``stddev`` are both the normal's stddev), defaults for the rest, in each of
its cases, evaluated at the same fans (the
same layer, whatever its layout), and the spec's own distribution with one
classic slip each (the fans swapped, ±2 absolute truncation, the correction
constant dropped, a normal for a truncated normal or the reverse, the uniform
limit √variance, fan_avg not halved, the gain dropped); a slip is offered only
where it changes the distribution. A candidate matches where its KS test
passes at the same level on every shape (exact families: where its exact
check passes).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import sympy
from scipy import stats

import trainspec
from codegen.language.common import admits, example_value, typical_range
from codegen.language.initializer import (
    Case,
    Distribution,
    InitializerSpec,
    constant_values,
    distribution,
    distribution_variance,
    fan_in,
    fan_out,
    truncated_std,
)
from codegen.load import Registry
from codegen.lower.initializer import Resolved, arguments_as_parameters, parameters_at, resolve
from codegen.referee import coverage
from codegen.referee import initializer_adapters as initializer_external
from codegen.referee.coverage import DEFAULTS, Coverage, Skipped, Variant
from codegen.referee.statistics import (
    ALPHA,
    RANDOM,
    Law,
    Sample,
    Shape,
    ShapeResult,
    candidate_passes,
    checks_for,
    critical,
    ks_distance,
    outside_count,
)
from codegen.referee.verdict import Verdict

DEFAULT_VALUES = 10**6
"""Values drawn in all, over the shapes."""

DRAWS = 100
"""Draws of the arguments before giving up on meeting the spec's constraints (every one of the bundled specs' typical
ranges meets them at the first)."""
KINDS = {"truncated_normal": "normal"}  # the families a candidate may have: normal and truncated normal together


# ----------------------------------------------------------------------------- the verdict


@dataclass
class InitializerVerdict(Verdict):
    """``Verdict`` with one entry per shape: ``errors`` holds each shape's smallest p-value, ``tolerance`` ALPHA."""

    results: tuple[ShapeResult, ...] = ()
    power: str = ""
    diagnosis: tuple[str, ...] = ()
    considered: tuple[str, ...] = ()
    """The alternatives that were looked for (registered initializers and slips that change the distribution)."""
    FIGURE = "smallest p"

    @property
    def figure(self) -> float:
        return float(np.min(self.errors))

    def report(self, command: str | None = None, every: int | None = None) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items()) or "(none)"
        lines = [command or self.command(), f"{self.argument_label}: {shown}"]
        lines += self.notes
        lines.append(f"tests: {self.measure}")
        for result in self.results:
            layout = f" ({result.layout})" if result.layout else ""
            lines.append(
                f"shape {result.shape}{layout}: fans (fan_in, fan_out) = {result.fans}; promised {result.law.text()}"
            )
            for check in result.checks:
                p = "" if check.p_value is None else f"  p = {check.p_value:.3g}"
                lines.append(f"  {check.name:11} {'ok  ' if check.passed else 'FAIL'}  {check.text}{p}")
        if self.power:
            lines.append(self.power)
        if self.passed:
            lines.append(
                f"PASS: {self.against} draws {self.spec}'s distribution on every shape "
                f"(no test rejects at p < {self.tolerance:g})."
            )
            return "\n".join(lines)
        failing = self.results[self.first_divergent - 1]
        failed = "; ".join(f"{c.name}: {c.text}" for c in failing.checks if not c.passed)
        lines.append(f"FAIL: first fails on shape {failing.shape}: {failed}.")
        lines += self.diagnosis
        if not self.matches and not self.diagnosis:
            lines.append("It matches no registered initializer and none of the known slips.")
        random = self.results[0].law.family in RANDOM
        for label, explanation, p in self.matches:
            how = f"KS p >= {p:.2g} on every shape" if random else "on every shape"
            lines.append(f"matches {label}, not {self.spec} ({how}): {explanation}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- the referee


def verify(
    registry: Registry,
    spec_name: str,
    against: str,
    *,
    values: int = DEFAULT_VALUES,
    seed: int = 0,
    dtype: str = "float64",
    given: Mapping[str, Any] | None = None,
    at_defaults: bool = False,
    package: ModuleType = trainspec,
) -> InitializerVerdict:
    """Referee ``against`` on ``spec_name`` with about ``values`` values; ``given`` pins arguments or choices, and
    with ``at_defaults`` a choice not given takes its default (a variant run) instead of a random option.

    ``package`` is the generated package whose classes hold the spec's fans and check its arguments.
    """
    spec = registry.get(spec_name)
    if not isinstance(spec, InitializerSpec):
        raise ValueError(f"{spec_name} is not an initializer spec")
    if values < 1000:
        raise ValueError(f"--values must be at least 1000, got {values}")
    specs = {s.name: s for s in registry.initializers}
    resolved = resolve(spec, specs)
    cls = generated_class(spec, package)
    implementation = initializer_external.implementation(against, resolved, cls.compute_fans)
    rng = np.random.default_rng(seed)
    arguments = implementation.constrain(draw(resolved, cls, rng, given or {}, at_defaults), given or {})
    numbers, choices = _split(resolved, arguments)
    family = parameters_at(resolved, numbers, choices, (1, 1))[0]
    results, samples = [], []
    for shape in sample_shapes(resolved, cls.compute_fans, family, values):
        fans = tuple(int(f) for f in cls.compute_fans(shape))
        law = Law.of(*parameters_at(resolved, numbers, choices, fans))
        sample = Sample(_drawn(implementation, shape, dtype, int(rng.integers(2**31 - 1)), arguments))
        layout = implementation.layout(shape, arguments)
        results.append(ShapeResult(shape, fans, law, tuple(checks_for(law, sample)), layout))
        samples.append(sample)
    failing = [index for index, result in enumerate(results) if not result.passed]
    first = failing[0] + 1 if failing else None
    found = alternatives(specs, resolved, numbers, choices, results)
    matches = [] if first is None else _matches(found, samples, results)
    return InitializerVerdict(
        spec.name,
        against,
        sum(s.array.size for s in samples),
        ALPHA,
        {**numbers, **choices},
        np.array([r.worst for r in results]),
        first,
        matches,
        measure=_measure(family, dtype, samples),
        argument_label="arguments",
        notes=implementation.notes(arguments, family),
        results=tuple(results),
        power=power(results, samples, found) if family in RANDOM else "",
        diagnosis=escapes(results, samples) if first is not None else (),
        considered=tuple(a.label for a in found),
    )


def generated_class(spec: InitializerSpec, package: ModuleType = trainspec) -> type:
    cls = package.initializers.INITIALIZERS.get(spec.name)
    if cls is None:
        where = f"{package.__name__}.initializers"
        raise ValueError(f"{spec.name} has no generated class in {where}: run `trainspec build`")
    return cls


def _measure(family: str, dtype: str, samples: Sequence[Sample]) -> str:
    sizes = " + ".join(f"{s.array.size}" for s in samples)
    if family in RANDOM:
        tests = "KS against the exact CDF, mean, variance" + (", support, reach" if family != "normal" else "")
    elif family == "orthogonal":
        tests = "QᵀQ = gain²·I, KS of the entries against the Haar marginal, signs of the diagonal"
    else:
        tests = "every element exactly as promised"
    return f"{tests}; {sizes} values in {dtype}; each test rejects at p < {ALPHA:g}"


def _drawn(
    implementation: initializer_external.InitializerImplementation,
    shape: Shape,
    dtype: str,
    seed: int,
    arguments: Mapping,
) -> np.ndarray:
    array = implementation.draw(shape, dtype, seed, arguments)
    if tuple(array.shape) != tuple(shape):
        raise ValueError(f"{implementation.label} returned shape {tuple(array.shape)} for shape {shape}")
    return array


# ----------------------------------------------------------------------------- arguments and shapes


def draw(
    resolved: Resolved, cls: type, rng: np.random.Generator, given: Mapping[str, Any], at_defaults: bool = False
) -> dict[str, Any]:
    """Arguments by the spec's names: float32-exact numbers drawn from each one's typical range, and choices drawn
    among their options (``at_defaults``: each at its default); ``given`` pins any (a choice by any spelling Keras
    accepts). Drawn again where the spec's constraints refuse them (the generated class checks them), up to
    ``DRAWS`` times."""
    names = {h.argument for h in resolved.arguments} | {c.argument for c in resolved.choices}
    unknown = sorted(set(given) - names)
    if unknown:
        raise ValueError(f"{resolved.spec.name} has no argument {unknown[0]!r}")
    for _ in range(DRAWS):
        drawn = _drawn_once(resolved, rng, given, at_defaults)
        try:
            cls(**drawn)  # ValueError names the argument and the constraint
        except ValueError as error:
            refused = error
            continue
        return drawn
    raise refused


def _drawn_once(
    resolved: Resolved, rng: np.random.Generator, given: Mapping[str, Any], at_defaults: bool
) -> dict[str, Any]:
    drawn: dict[str, Any] = {}
    for h in resolved.arguments:
        typical = typical_range(h)
        if typical.log:
            value = math.exp(rng.uniform(math.log(typical.low), math.log(typical.high)))
        else:
            value = rng.uniform(typical.low, typical.high)
        if isinstance(h.domain, sympy.Range):  # a count or a fan: whole numbers only
            value = round(value)
        drawn[h.argument] = float(np.float32(value))
    drawn.update(_absolute_bounds(resolved, drawn, rng))
    for choice in resolved.choices:
        option = choice.options[int(rng.integers(len(choice.options)))]
        drawn[choice.argument] = choice.default if at_defaults else option
    drawn.update(given)
    for choice in resolved.choices:
        drawn[choice.argument] = dict(choice.aliases).get(drawn[choice.argument], drawn[choice.argument])
    return drawn


def _absolute_bounds(resolved: Resolved, drawn: Mapping[str, Any], rng: np.random.Generator) -> dict[str, float]:
    """Bounds that are arguments themselves (torch's trunc_normal_ a, b), drawn 0.5 to 2.5 standard deviations from
    the drawn mean, so that the cut matters (a default ±2 around a small stddev would cut nothing)."""
    bounds: dict[str, float] = {}
    for case in resolved.cases:
        names = {parameter: argument for argument, parameter in arguments_as_parameters(resolved, case).items()}
        if case.distribution.family != "truncated_normal" or not {"mean", "stddev", "lower", "upper"} <= set(names):
            continue
        mean, sd = drawn[names["mean"]], drawn[names["stddev"]]
        bounds[names["lower"]] = float(np.float32(mean - rng.uniform(0.5, 2.5) * sd))
        bounds[names["upper"]] = float(np.float32(mean + rng.uniform(0.5, 2.5) * sd))
    return bounds


def _split(resolved: Resolved, arguments: Mapping) -> tuple[dict[str, float], dict[str, str]]:
    choices = {c.argument for c in resolved.choices}
    numbers = {name: value for name, value in arguments.items() if name not in choices}
    return numbers, {name: value for name, value in arguments.items() if name in choices}


def sample_shapes(resolved: Resolved, compute_fans: Callable, family: str, values: int) -> list[Shape]:
    """Shapes of about ``values`` elements in all, each with fan_in and fan_out a factor 2 apart.

    A matrix (2c, c) and a kernel with a 3×3 window, in whichever of the two layouts gives the spec's fans a ratio
    of 2; Identity and Orthogonal (matrices) get (2c, c) and (c, 2c).
    """
    if family in ("identity", "orthogonal"):
        side = max(2, round(math.sqrt(values / 4)))
        return [(2 * side, side), (side, 2 * side)]
    side = max(2, round(math.sqrt(values / 4)))
    channels = max(1, round(math.sqrt(values / 36)))
    shapes = [(2 * side, side)]
    lowest, highest = resolved.ranks
    if highest is None or highest >= 4:
        kernels = [(3, 3, channels, 2 * channels), (2 * channels, channels, 3, 3)]
        shapes.append(next((k for k in kernels if _fan_ratio(compute_fans(k)) == 2), kernels[0]))
    return [shape for shape in shapes if len(shape) >= lowest]


def _fan_ratio(fans: tuple[int, int]) -> float:
    return max(fans) / min(fans)


# ----------------------------------------------------------------------------- what else it may draw from


@dataclass(frozen=True)
class Alternative:
    """Another distribution the implementation may draw from, one law per shape."""

    label: str
    explanation: str
    laws: tuple[Law, ...]
    names: tuple[str, ...] = ()
    """The registered initializers it stands for (none for a slip): one label each when equal laws merge."""


def alternatives(
    specs: Mapping[str, InitializerSpec], resolved: Resolved, numbers, choices, results
) -> list[Alternative]:
    """Registered initializers (the spec's other choices among them), then the spec with one slip each; those that
    promise the spec's own law on every shape are left out, and equal ones merged."""
    fans = [r.fans for r in results]
    promised = [r.law for r in results]
    found = _registered(specs, resolved, numbers, choices, fans) + _slipped(resolved, numbers, choices, fans, promised)
    found += _kernel_fans_swapped(resolved, numbers, choices, results)
    found = [a for a in found if _kind(a.laws[0].family) == _kind(promised[0].family)]
    found = [a for a in found if not all(law.same(p) for law, p in zip(a.laws, promised))]
    return _merged(found)


def _registered(specs, resolved: Resolved, numbers, choices, fans) -> list[Alternative]:
    """Every case of every registered initializer that has one of the spec's family kind, with the spec's numbers."""
    kind = _kind(parameters_at(resolved, numbers, choices, fans[0])[0])
    found = []
    for other in specs.values():
        relative = resolve(other, specs)
        if kind not in {_kind(case.distribution.family) for case in relative.cases}:
            continue
        arguments = _carried(resolved, relative, numbers)
        shown = {h.argument: arguments.get(h.argument, example_value(h)) for h in relative.arguments}
        for combination in itertools.product(*(_distinct_options(c) for c in relative.choices)):
            chosen = {c.argument: option for c, option in zip(relative.choices, combination)}
            laws = _laws(relative, arguments, chosen, fans)
            if laws is not None and not (other.name == resolved.spec.name and chosen == choices):
                found.append(Alternative(_call_text(other, shown, chosen), "", laws, (other.name,)))
    return found


def _kind(family: str) -> str:
    return KINDS.get(family, family)


def _carried(resolved: Resolved, relative: Resolved, numbers: Mapping[str, float]) -> dict[str, float]:
    """The spec's numbers that ``relative`` takes, within its domains: where it has the argument's symbol, or takes
    an argument as the same parameter of its family (TruncNormal's ``std`` and TruncatedNormal's ``stddev``)."""
    by_symbol = {h.symbol: numbers[h.argument] for h in resolved.arguments if h.argument in numbers}
    by_parameter = {p: numbers[name] for name, p in _taken_as_parameters(resolved).items() if name in numbers}
    parameters = _taken_as_parameters(relative)
    carried = {}
    for h in relative.arguments:
        value = by_symbol.get(h.symbol, by_parameter.get(parameters.get(h.argument)))
        if value is not None and admits(h.domain, value):
            carried[h.argument] = value
    return carried


def _taken_as_parameters(resolved: Resolved) -> dict[str, str]:
    """Argument → the parameter of its family that some case takes it as (``arguments_as_parameters``)."""
    return {name: p for case in resolved.cases for name, p in arguments_as_parameters(resolved, case).items()}


def _distinct_options(choice) -> tuple[str, ...]:
    """A choice's options, one per distinct value where the choice sets a symbol (torch's nonlinearity: the seven
    with gain 1 are one candidate, named by the first)."""
    values = dict(choice.values)  # a choice that sets a symbol lists each option's value
    if not values:
        return choice.options
    first: dict = {}
    for option in choice.options:
        first.setdefault(sympy.sympify(values[option]), option)
    return tuple(first.values())


def _laws(resolved: Resolved, arguments, choices, fans) -> tuple[Law, ...] | None:
    try:
        laws = tuple(Law.of(*parameters_at(resolved, arguments, choices, f)) for f in fans)
    except (TypeError, ValueError, KeyError, ZeroDivisionError):  # undefined at these arguments: not a candidate
        return None
    return laws if all(all(math.isfinite(v) for _, v in law.parameters) for law in laws) else None


def _call_text(spec: InitializerSpec, arguments: Mapping, choices: Mapping) -> str:
    """``torch KaimingNormal(a=0.0, mode='fan_in')``: the layout named where it is not Keras's."""
    prefix = f"{spec.layout} " if spec.layout not in (None, "keras") else ""
    inner = ", ".join(f"{k}={v!r}" for k, v in {**arguments, **choices}.items())
    return f"{prefix}{spec.name}({inner})" if inner else f"{prefix}{spec.name}"


def _merged(found: list[Alternative]) -> list[Alternative]:
    """One entry per distinct law: equal ones named together (``A = B``), each registered initializer once."""
    merged: list[Alternative] = []
    for alternative in found:
        for index, kept in enumerate(merged):
            if all(a.same(b) for a, b in zip(alternative.laws, kept.laws)):
                if not set(alternative.names) & set(kept.names):
                    merged[index] = Alternative(
                        f"{kept.label} = {alternative.label}",
                        " ".join(e for e in (kept.explanation, alternative.explanation) if e),
                        kept.laws,
                        kept.names + alternative.names,
                    )
                break
        else:
            merged.append(alternative)
    return merged


def _matches(found: list[Alternative], samples: Sequence[Sample], results: Sequence[ShapeResult]) -> list:
    """The alternatives the samples pass as on every shape: (label, explanation, smallest KS p-value)."""
    matches = []
    for alternative in found:
        outcomes = [candidate_passes(law, sample) for law, sample in zip(alternative.laws, samples)]
        if all(passed for passed, _ in outcomes):
            what = difference(alternative.laws[0], results[0].law, results[0].shape)
            matches.append(
                (alternative.label, f"{what}. {alternative.explanation}".strip(), min(p for _, p in outcomes))
            )
    return matches


def difference(law: Law, promised: Law, shape: Shape) -> str:
    """What separates a candidate's law from the spec's, in words."""
    if law.family in RANDOM and law.family != promised.family:
        ratio = law.moments()[1] / promised.moments()[1]
        variance = "same variance" if math.isclose(ratio, 1.0, rel_tol=1e-9) else f"{ratio:.4g} times the variance"
        return f"{_family_words(law.family)} instead of {_family_words(promised.family)}, {variance}"
    changed = [
        f"{name} {value:.6g} instead of {theirs:.6g}"
        for (name, value), (_, theirs) in zip(law.parameters, promised.parameters)
        if not math.isclose(value, theirs, rel_tol=1e-12, abs_tol=1e-300)
    ]
    return f"{', '.join(changed)} on shape {shape}"


def _family_words(family: str) -> str:
    return {"normal": "untruncated normal", "truncated_normal": "truncated normal"}.get(family, family)


# ----------------------------------------------------------------------------- classic slips

Rewrite = Callable[[Distribution], Distribution | None]


def _each(rewrite: Callable[[sympy.Expr], sympy.Expr]) -> Rewrite:
    def apply(d: Distribution) -> Distribution:
        return Distribution(d.family, tuple((p, rewrite(sympy.sympify(e))) for p, e in d.parameters))

    return apply


def _not_halved(expression: sympy.Expr) -> sympy.Expr:
    average = (fan_in + fan_out) / 2
    return expression.replace(
        lambda node: isinstance(node, sympy.Add) and sympy.expand(node - average) == 0, lambda node: 2 * node
    )


def _untruncated_same_variance(d: Distribution) -> Distribution | None:
    if d.family != "truncated_normal":
        return None
    return distribution("normal", mean=d.values[_symbol(d, "mean")], stddev=sympy.sqrt(distribution_variance(d)))


def _truncation_dropped(d: Distribution) -> Distribution | None:
    if d.family != "truncated_normal":
        return None
    return distribution("normal", mean=d.values[_symbol(d, "mean")], stddev=d.values[_symbol(d, "stddev")])


def _truncated_at(d: Distribution, lower: sympy.Expr, upper: sympy.Expr) -> Distribution:
    values = {p.name: e for p, e in d.parameters}
    return distribution("truncated_normal", mean=values["mean"], stddev=values["stddev"], lower=lower, upper=upper)


def _absolute_two(d: Distribution) -> Distribution | None:
    return _truncated_at(d, sympy.Integer(-2), sympy.Integer(2)) if d.family == "truncated_normal" else None


def _relative_two(d: Distribution) -> Distribution | None:
    if d.family != "truncated_normal":
        return None
    values = {p.name: e for p, e in d.parameters}
    return _truncated_at(d, values["mean"] - 2 * values["stddev"], values["mean"] + 2 * values["stddev"])


def _truncated_instead(d: Distribution, corrected: bool) -> Distribution | None:
    if d.family != "normal":
        return None
    values = {p.name: e for p, e in d.parameters}
    sd = values["stddev"] / truncated_std if corrected else values["stddev"]
    return distribution(
        "truncated_normal", mean=values["mean"], stddev=sd, lower=values["mean"] - 2 * sd, upper=values["mean"] + 2 * sd
    )


def _uniform_third(d: Distribution) -> Distribution | None:
    depends_on_fans = any(sympy.sympify(e).free_symbols & {fan_in, fan_out} for _, e in d.parameters)
    if d.family != "uniform" or not depends_on_fans:
        return None
    return _each(lambda e: e / sympy.sqrt(3))(d)


def _gain_dropped(d: Distribution) -> Distribution | None:
    if d.family not in ("identity", "orthogonal"):
        return None
    return Distribution(d.family, tuple((p, sympy.Integer(1) if p.name == "gain" else e) for p, e in d.parameters))


def _symbol(d: Distribution, name: str) -> sympy.Symbol:
    return next(p for p, _ in d.parameters if p.name == name)


def slips() -> list[tuple[str, str, Rewrite]]:
    """The classic slips as rewrites of a case's distribution: (label, explanation, rewrite); a rewrite returns None
    where it does not apply to the family. The caller keeps those that change the law."""
    share = float(constant_values(17)[truncated_std]) ** 2
    return [
        (
            "fan_in and fan_out swapped",
            "The fans read from the other layout: a Keras (..., in, out) kernel read as torch's (out, in, ...), or "
            "the reverse.",
            _each(lambda e: e.xreplace({fan_in: fan_out, fan_out: fan_in})),
        ),
        (
            "fan_avg as fan_in + fan_out",
            "The average of the fans not halved: the variance is half the promised one.",
            _each(_not_halved),
        ),
        (
            "the truncation's correction constant dropped",
            f"The stddev not divided by 0.8796 (the standard deviation of a unit normal truncated at ±2) before "
            f"truncating at ±2 stddev: the variance is {share:.4f} times the promised one.",
            _each(lambda e: e.xreplace({truncated_std: 1})),
        ),
        (
            "an untruncated normal of the same variance",
            "No value is cut, so the tails beyond ±2 stddev are there (as in torch.nn.init's kaiming_normal_ and "
            "xavier_normal_).",
            _untruncated_same_variance,
        ),
        (
            "the truncation dropped",
            f"A normal with the same stddev, uncut: wider tails, and variance stddev² instead of {share:.4f}·stddev².",
            _truncation_dropped,
        ),
        (
            "the cut at ±2 absolute",
            "Truncated to [-2, 2] in absolute units instead of mean ∓ 2·stddev: torch.nn.init.trunc_normal_'s "
            "a=-2, b=2 are absolute.",
            _absolute_two,
        ),
        (
            "the cut at mean ∓ 2·stddev",
            "Truncated at two standard deviations from the mean (Keras's rule) instead of the absolute bounds.",
            _relative_two,
        ),
        (
            "a truncated normal with the same stddev",
            f"Values beyond mean ∓ 2·stddev redrawn where the spec cuts nothing: variance {share:.4f}·stddev².",
            lambda d: _truncated_instead(d, corrected=False),
        ),
        (
            "a truncated normal of the same variance",
            "Truncated at ±2 of a stddev divided by 0.8796 (Keras's truncated normal) where the spec cuts nothing.",
            lambda d: _truncated_instead(d, corrected=True),
        ),
        (
            "the uniform limit sqrt(variance)",
            "U(-L, L) with L = sqrt(variance) instead of sqrt(3·variance): U(-L, L) has variance L²/3, so the "
            "values' variance is a third of the promised one.",
            _uniform_third,
        ),
        ("the gain dropped", "Gain 1 instead of the argument (as torch.nn.init.eye_, which has none).", _gain_dropped),
    ]


def _slipped(resolved: Resolved, numbers, choices, fans, promised) -> list[Alternative]:
    found = []
    for label, explanation, rewrite in slips():
        cases = []
        for case in resolved.cases:
            rewritten = rewrite(case.distribution)
            cases.append(Case(case.settings, rewritten if rewritten is not None else case.distribution))
        if all(c.distribution == r.distribution for c, r in zip(cases, resolved.cases)):
            continue
        laws = _laws(dataclasses.replace(resolved, cases=tuple(cases)), numbers, choices, fans)
        if laws is not None:
            found.append(Alternative(f"{resolved.spec.name} with {label}", explanation, laws))
    return found


def _kernel_fans_swapped(resolved: Resolved, numbers, choices, results) -> list[Alternative]:
    """The spec with fan_in and fan_out swapped on convolution kernels only (rank > 2): a layout read the wrong way
    round for kernels, while matrices come out right."""
    fans = [(r.fans[1], r.fans[0]) if len(r.shape) > 2 else r.fans for r in results]
    if fans == [r.fans for r in results]:
        return []
    laws = _laws(resolved, numbers, choices, fans)
    label = f"{resolved.spec.name} with fan_in and fan_out swapped for convolution kernels only (rank > 2)"
    explanation = (
        "the fans of a kernel (height, width, in, out) were read the other way round, while a matrix's were right: "
        "a layout mistake in the kernel branch of compute_fans."
    )
    return [] if laws is None else [Alternative(label, explanation, laws)]


# ----------------------------------------------------------------------------- power and diagnosis


def power(results: Sequence[ShapeResult], samples: Sequence[Sample], found: Sequence[Alternative]) -> str:
    """What the test can tell from the spec: the DKW bound on the chance that a sample from the closest alternative
    passes as the spec, and the alternatives too close to tell apart at these arguments and this sample size."""
    if not found:
        return "power: no registered initializer or slip differs from the spec here."
    bounds = sorted((_pass_bound(results, samples, alternative), alternative.label) for alternative in found)
    told = [(bound, label) for bound, label in bounds if bound[0] <= math.log10(ALPHA)]
    close = [f"{label} (KS distance {bound[1]:.2g})" for bound, label in bounds if bound[0] > math.log10(ALPHA)]
    lines = []
    if told:
        (log10, distance, limit, shape), label = told[-1]
        lines.append(
            f"power: of {len(found)} alternatives the closest the test tells apart is {label}: KS distance "
            f"{distance:.3g} on shape {shape}, where the test rejects beyond {limit:.2g}; a sample from it passes "
            f"with probability <= 10^{log10:.0f} (DKW: 2·exp(-2n(distance - {limit:.2g})²))."
        )
    if close:
        lines.append(f"too close to the spec to tell apart with these arguments and values: {'; '.join(close)}.")
    return "\n".join(lines)


def _pass_bound(results, samples, alternative: Alternative) -> tuple[float, float, float, Shape]:
    """(log10 of the DKW bound, KS distance, critical distance, shape) at the shape that tells it apart best.

    A sample from the alternative G passes only if sup|F_n − G| ≥ δ − D (δ = sup|F − G|, D the critical distance),
    which has probability at most 2·exp(−2n(δ − D)²) (Dvoretzky–Kiefer–Wolfowitz, Massart's constant).
    """
    per_shape = []
    for result, law, sample in zip(results, alternative.laws, samples):
        n = sample.sorted.size
        distance, limit = ks_distance(result.law, law), critical(n)
        log10 = (math.log(2) - 2 * n * max(distance - limit, 0.0) ** 2) / math.log(10)
        per_shape.append((min(log10, 0.0), distance, limit, result.shape))
    return min(per_shape)


def escapes(results: Sequence[ShapeResult], samples: Sequence[Sample]) -> tuple[str, ...]:
    """Where the only failure is values past a truncated normal's bounds: how many, and which capped rejection
    sampler leaves that many (one that gives up after m draws keeps a value outside with probability P_out^m)."""
    lines = []
    for result, sample in zip(results, samples):
        failed = [c.name for c in result.checks if not c.passed]
        if result.law.family != "truncated_normal" or failed != ["support"]:
            continue
        outside, total = outside_count(result.law, sample), sample.sorted.size
        share = result.law.outside_mass()
        if not 0 < share < 1:
            continue
        # The cap m most likely to leave this many outside (Poisson), then whether that many fits it at ALPHA.
        tries = max(range(1, 11), key=lambda m: stats.poisson(total * share**m).logpmf(outside))
        expected = total * share**tries
        p = min(1.0, 2 * float(min(stats.poisson(expected).cdf(outside), stats.poisson(expected).sf(outside - 1))))
        lines.append(
            f"shape {result.shape}: every other test passes, but {outside} of {total} values ({outside / total:.1e}) "
            f"escape the bounds. A rejection sampler that gives up after m draws keeps a value outside with "
            f"probability P_out^m, P_out = {share:.4f} (the normal's mass outside): m = {tries} "
            f"{'fits' if p >= ALPHA else 'does not fit'} ({expected:.2g} expected, Poisson p = {p:.2g})."
        )
    return tuple(lines)


def variants(resolved: Resolved, against: str, pinned: Mapping[str, Any]) -> tuple[list[Variant], list[Skipped]]:
    """The runs that cover the spec: every choice at its default, then each other option of each choice; those a
    library has no counterpart computing (torch has no truncated variance scaling), apart with the reason. Nothing
    that ``pinned`` fixes is varied."""
    found = [Variant(DEFAULTS)]
    for choice in resolved.choices:
        found += coverage.other_options(choice.argument, choice.options, choice.default)
    kept, skipped = [], []
    for variant in coverage.unpinned(found, pinned):
        why = _uncovered(resolved, against, {**pinned, **variant.settings})
        covered = _nearest_covered(resolved, against, variant, pinned) if why else variant
        if why:
            skipped.append(Skipped(variant.label, why + (f"; run as {covered.label}" if covered else "")))
        if covered is not None and all(covered.settings != other.settings for other in kept):
            kept.append(covered)
    if not kept:  # the library has only another form: run the defaults, and the verdict says what it computes
        return found[:1], [s for s in skipped if s.label != DEFAULTS]
    return kept, skipped


def _nearest_covered(resolved: Resolved, against: str, variant: Variant, pinned: Mapping[str, Any]) -> Variant | None:
    """``variant`` with the fewest other choices changed from their defaults at which the library has a counterpart
    computing the spec (torch's kaiming_normal_ for mode=fan_out: untruncated); None if there is none."""
    free = [c for c in resolved.choices if c.argument not in {**pinned, **variant.settings}]
    for count in range(1, len(free) + 1):
        for changed in itertools.combinations(free, count):
            for options in itertools.product(*(c.options for c in changed)):
                extra = {c.argument: option for c, option in zip(changed, options) if option != c.default}
                settings = {**variant.settings, **extra}
                if len(extra) == count and not _uncovered(resolved, against, {**pinned, **settings}):
                    label = ",".join(f"{name}={value}" for name, value in settings.items())
                    return Variant(label, settings)
    return None


def _uncovered(resolved: Resolved, against: str, settings: Mapping[str, Any]) -> str:
    """Why library ``against`` has no counterpart computing the spec at these choices (empty when it has one)."""
    if against not in initializer_external.LIBRARIES:
        return ""
    choices = {c.argument: settings.get(c.argument, c.default) for c in resolved.choices}
    for counterpart in initializer_external.declared(resolved, against):
        if all(choices.get(name, value) == value for name, value in counterpart.requires):
            if counterpart.same:
                return ""
            because = f": {counterpart.note}" if counterpart.note else ""
            return f"{counterpart.name} does the same job in another form here{because}"
    return ""


def verify_command(registry: Registry, arguments: argparse.Namespace, package: ModuleType) -> Coverage:
    """``trainspec verify`` for an initializer, with the command line's arguments: every variant, or those chosen."""
    coverage.refuse_optimizer_options(arguments, "an initializer")
    resolved = resolve(registry.get(arguments.spec), {s.name: s for s in registry.initializers})
    given = coverage.parsed_assignments(arguments.arg)
    found, skipped = variants(resolved, arguments.against, given)
    return coverage.run_command(
        arguments,
        found,
        skipped,
        lambda variant: verify(
            registry,
            arguments.spec,
            arguments.against,
            values=arguments.values,
            seed=arguments.seed,
            dtype=arguments.dtype,
            given={**given, **variant.settings},
            at_defaults=True,
            package=package,
        ),
    )
