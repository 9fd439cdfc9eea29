"""The generated check module of an estimator: its statements proven from the sampling, its class exercised.

The spec's batch size, mean and variance are printed into the module as SymPy
source, so a reader sees exactly what is proven. Three kinds of test:

- proofs for every ``N`` (and ``B``): the mean and variance counted from
  uniform sampling without replacement equal the stated ones, and a derived
  spec's statements are its parent's under the substitution;
- enumeration in exact rationals over every batch of small training sets,
  which needs no algebra at all;
- the generated class: every epoch visits each example once (or drops the
  stated remainder), every batch position is a uniform sample (over every
  order of a small set), epochs are reproducible from the seed, and its
  variance factor is the stated variance.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen.emit.common import Emitted, docstring
from codegen.language.estimator import B, EstimatorSpec
from codegen.load import Registry
from codegen.lower.estimator import Lowered
from codegen.printers.source import code

# The batch sizes the class is exercised at, where it has a batch_size argument: 1, sizes that leave a remainder
# and sizes that do not on the training sets the tests use, and one larger than some of them.
EXERCISED_SIZES = (1, 3, 4, 8, 40)


@dataclass(frozen=True)
class EstimatorChecks:
    summary: str
    package: str
    class_name: str
    statements: tuple[tuple[str, str], ...]
    """(name, SymPy source) of the spec's batch size, mean and variance, and its parent's."""
    parent: str
    """The parent's name, or empty."""
    substitution: str
    """The derivation's substitution as a SymPy dict source, or empty."""
    settings: str
    """The constructor keywords the class is exercised with, as a Python list of dicts."""
    shuffled: bool


def estimator_check_module(lowered: Lowered, registry: Registry, package: str) -> Emitted:
    spec = lowered.spec
    statements = _statements("", spec)
    parent, substitution = "", ""
    if spec.derived_from is not None:
        parent_spec = next(s for s in registry.of("estimator") if s.name == spec.derived_from.parent)
        statements += _statements("PARENT_", parent_spec)
        parent = parent_spec.name
        substitution = "{" + ", ".join(f"{code(s)}: {code(v)}" for s, v in spec.derived_from.substitution) + "}"
    model = EstimatorChecks(
        summary=docstring(f"Checks of {spec.name} ({spec.source}): {spec.title.lower()}.", indent=""),
        package=package,
        class_name=spec.name,
        statements=statements,
        parent=parent,
        substitution=substitution,
        settings=_settings(spec, lowered),
        shuffled=lowered.shuffled,
    )
    return Emitted(f"checks/test_{spec.module_name}_estimator.py", "checks/estimator.py.jinja", model, spec.source)


def _statements(prefix: str, spec: EstimatorSpec) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f"{prefix}{name}", code(value))
        for name, value in (("BATCH_SIZE", spec.batch_size), ("MEAN", spec.mean), ("VARIANCE", spec.variance))
    )


def _settings(spec: EstimatorSpec, lowered: Lowered) -> str:
    sized = [a.argument for a in spec.arguments if a.symbol == B]
    settings: list[dict] = [{}]
    if sized:
        settings = [{sized[0]: size} for size in EXERCISED_SIZES]
    if lowered.shuffled:
        settings = [{**s, "seed": 7} for s in settings]
    if lowered.partial:
        settings = [{**s, "last_batch": policy} for s in settings for policy in ("keep", "drop")]
    return "[" + ", ".join(repr(s) for s in settings) + "]"
