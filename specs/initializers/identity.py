"""Identity: gain times the identity matrix, for any 2-D shape (ones on the main diagonal)."""

from sympy import Interval, Symbol, oo

from codegen.language.initializer import (
    Case,
    Counterpart,
    Hyperparameter,
    InitializerSpec,
    ScaledCounterpart,
    Typical,
    distribution,
)

gain = Symbol("gain", real=True)

SPEC = InitializerSpec(
    name="Identity",
    aliases=("identity",),
    summary=(
        "The identity matrix times a gain; rectangular shapes get ones on the main diagonal. Only for 2-D shapes."
    ),
    arguments=(
        # Drawn away from 1, where a gain ignored would pass.
        Hyperparameter(
            gain, "gain", 1.0, Interval.open(-oo, oo), "the value on the diagonal", typical=Typical(1.25, 2.0)
        ),
    ),
    cases=(Case((), distribution("identity", gain=gain)),),
    ranks=(2, 2),
    notes=("torch.nn.init.eye_ builds the same matrix without a gain.",),
    counterparts=(
        Counterpart("keras.initializers.Identity"),
        ScaledCounterpart("torch.nn.init.eye_", times=gain, note="eye_ takes no gain"),
    ),
)
