"""Identity: gain times the identity matrix, for any 2-D shape (ones on the main diagonal)."""

from sympy import Interval, Symbol, oo

from codegen.language.common import Hyperparameter
from codegen.language.initializer import Case, InitializerSpec, distribution

gain = Symbol("gain", real=True)

SPEC = InitializerSpec(
    name="Identity",
    aliases=("identity",),
    summary=(
        "The identity matrix times a gain; rectangular shapes get ones on the main diagonal. Only for 2-D shapes."
    ),
    arguments=(Hyperparameter(gain, "gain", 1.0, Interval.open(-oo, oo), "the value on the diagonal"),),
    cases=(Case((), distribution("identity", gain=gain)),),
    ranks=(2, 2),
    notes=("torch.nn.init.eye_ builds the same matrix without a gain.",),
)
