"""PyTorch's default biases of ``nn.Linear`` and ``nn.Conv*``: U(±1/sqrt(n)), n the layer weight's fan_in.

``reset_parameters`` of torch's linear and convolution layers draws the weight first (TorchLinearDefault), then
the bias uniformly on ±1/sqrt(fan_in), fan_in read off the weight: ``in_features`` for ``nn.Linear``,
``in_channels / groups`` times the kernel's size for ``nn.Conv*``. A bias's own shape does not say it, so it
is an argument, with no default. Torch has no initializer function for it; ``uniform_`` with these bounds
draws the same values.
"""

from sympy import Range, Symbol, oo, sqrt

from codegen.language.initializer import (
    ClosedForm,
    Counterpart,
    Derivation,
    Hyperparameter,
    InitializerSpec,
    Typical,
)

weight_fan_in = Symbol("weight_fan_in", integer=True, positive=True)
bound = 1 / sqrt(weight_fan_in)

SPEC = InitializerSpec(
    name="TorchLinearBiasDefault",
    aliases=("torch_linear_bias_default",),
    summary="PyTorch's default nn.Linear and nn.Conv biases: U(±1/√n), n the fan_in of the layer's weight.",
    arguments=(
        Hyperparameter(
            weight_fan_in,
            "weight_fan_in",
            None,
            Range(1, oo),
            "fan_in of the layer's weight: in_features for nn.Linear, in_channels / groups times the kernel's size "
            "for nn.Conv",
            typical=Typical(1, 4096, log=True),
        ),
    ),
    derived_from=Derivation("RandomUniform", arguments=(("minval", -bound), ("maxval", bound))),
    ranks=(1, 1),
    layout="torch",
    references=("torch.nn.Linear.reset_parameters and torch.nn.modules.conv._ConvNd.reset_parameters, PyTorch 2.13.",),
    latex_names={weight_fan_in: r"n_{W}"},
    counterparts=(
        Counterpart(
            "torch.nn.init.uniform_",
            arguments=(("a", -bound), ("b", bound)),
            note="what nn.Linear and nn.Conv call on their biases, after their weights",
        ),
    ),
    default_of=("torch.nn.Linear(bias)", "torch.nn.Conv2d(bias)"),
)

RELATIONS = (
    ClosedForm(
        "TorchLinearBiasDefault",
        "maxval",
        1 / sqrt(weight_fan_in),
        "the bound torch.nn.Linear documents for its bias: U(-sqrt(k), sqrt(k)), k = 1/in_features",
    ),
)
