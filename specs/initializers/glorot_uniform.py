"""GlorotUniform: VarianceScaling(scale=1, mode='fan_avg', distribution='uniform')."""

from sympy import sqrt

from codegen.language.initializer import ClosedForm, Counterpart, Derivation, InitializerSpec, fan_in, fan_out

GLOROT = "X. Glorot, Y. Bengio, Understanding the difficulty of training deep feedforward neural networks, AISTATS 2010"

SPEC = InitializerSpec(
    name="GlorotUniform",
    aliases=("glorot_uniform",),
    summary="Xavier uniform: uniform on ±√(6/(fan_in + fan_out)).",
    derived_from=Derivation(
        "VarianceScaling",
        choices=(("mode", "fan_avg"), ("distribution", "uniform")),
        arguments=(("scale", 1),),
    ),
    counterparts=(
        Counterpart("keras.initializers.GlorotUniform"),
        Counterpart("torch.nn.init.xavier_uniform_"),
    ),
    references=(GLOROT + ".",),
    default_of=("keras.layers.Dense(kernel_initializer)", "keras.layers.Conv2D(kernel_initializer)"),
)

# Stated as published, independently of the derivation above; the generated checks prove they agree.
RELATIONS = (ClosedForm("GlorotUniform", "maxval", sqrt(6 / (fan_in + fan_out)), GLOROT + ", eq. 16"),)
