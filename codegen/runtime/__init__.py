"""Hand-written support the generated modules import: argument checks, state, the step driver."""

from codegen.runtime.optimizer import Constraint, Domain, KernelVariant, Optimizer, Switch

__all__ = ["Constraint", "Domain", "KernelVariant", "Optimizer", "Switch"]
