"""Hand-written support the generated modules import: argument checks, state, the step driver."""

from codegen.runtime.optimizer import Domain, KernelVariant, Optimizer, Switch

__all__ = ["Domain", "KernelVariant", "Optimizer", "Switch"]
