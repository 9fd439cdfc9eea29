"""The variants of every optimizer spec of the registry under test, and constructor arguments that select each.

A case is one spec, one setting of its switches (the variant it selects) and
one dtype; its arguments are drawn from the typical ranges the spec declares
(inside its domains), with a switched-off hyperparameter at its off value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy
from helpers import SPECS_DIR

from codegen.language.optimizer import Hyperparameter, OptimizerSpec
from codegen.load import load_registry
from codegen.lower.optimizer import WEIGHT_DECAY, lower
from codegen.referee.optimizer import meet_constraints, typical_value

SPECS = tuple(spec for spec in load_registry(SPECS_DIR).optimizers if isinstance(spec, OptimizerSpec))


@dataclass(frozen=True)
class Case:
    """One spec, one setting of its switches (the variant it selects), one dtype."""

    spec: OptimizerSpec = field(hash=False, compare=False)
    switches: tuple[tuple[str, bool], ...]
    variant: str
    dtype: np.dtype

    @property
    def id(self) -> str:
        on = "+".join(argument for argument, value in self.switches if value) or "plain"
        return f"{self.spec.name}-{on}-{self.dtype.name}"


def all_cases(dtypes: tuple[np.dtype, ...]) -> list[Case]:
    cases = []
    for spec in SPECS:
        lowered = lower(spec)
        arguments = [option.argument for option in lowered.options]
        for switches, variant in lowered.selection:
            for dtype in dtypes:
                cases.append(Case(spec, tuple(zip(arguments, switches)), variant, dtype))
    return cases


def draw(hyperparameter: Hyperparameter, rng: np.random.Generator) -> float:
    """A value from the hyperparameter's typical range, which must lie inside its declared domain (checked)."""
    value = typical_value(hyperparameter, rng)
    assert hyperparameter.domain.contains(sympy.Float(value)) == sympy.true, (hyperparameter.argument, value)
    return value


def arguments(case: Case, rng: np.random.Generator) -> dict[str, object]:
    """Constructor arguments of the generated class that select ``case``'s variant."""
    switches = dict(case.switches)
    options = {option.argument: option for option in lower(case.spec).options}
    chosen: dict[str, object] = {}
    for hyperparameter in case.spec.hyperparameters:
        option = options.get(hyperparameter.argument)
        if option is not None and option.kind != "flag" and not switches[hyperparameter.argument]:
            chosen[hyperparameter.argument] = option.off_value
        else:
            chosen[hyperparameter.argument] = draw(hyperparameter, rng)
    for option in case.spec.options:
        if option.kind == "flag":
            chosen[option.argument] = switches[option.argument]
    if case.spec.base_options == "keras":  # another convention's weight_decay is its own hyperparameter, drawn above
        chosen["weight_decay"] = draw(WEIGHT_DECAY, rng) if switches["weight_decay"] else None
    return meet_constraints(case.spec, chosen)  # an equality a constraint demands (no dampening) is met exactly
