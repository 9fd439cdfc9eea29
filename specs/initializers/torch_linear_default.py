"""PyTorch's default weights of ``nn.Linear`` and ``nn.Conv*``: ``kaiming_uniform_(w, a=sqrt(5))``.

``reset_parameters`` of torch's linear and convolution layers calls ``kaiming_uniform_`` with ``a = sqrt(5)``,
the leaky_relu gain sqrt(2 / (1 + a²)) = sqrt(1/3), and mode fan_in: the bound g·sqrt(3 / fan_in) is
1/sqrt(fan_in), the uniform initialization of the original torch7 layers (LeCun's, 1998). The layers' biases are
U(±1/sqrt(fan_in)) too, fan_in being the weight's.
"""

from sympy import sqrt

from codegen.language.initializer import ClosedForm, Counterpart, Derivation, InitializerSpec, fan_in

SPEC = InitializerSpec(
    name="TorchLinearDefault",
    aliases=("torch_linear_default",),
    summary="PyTorch's default nn.Linear and nn.Conv weights: kaiming_uniform_ with a = √5, i.e. U(±1/√fan_in).",
    derived_from=Derivation(
        "KaimingUniform",
        choices=(("nonlinearity", "leaky_relu"), ("mode", "fan_in")),
        arguments=(("a", sqrt(5)),),
    ),
    references=("torch.nn.Linear.reset_parameters and torch.nn.modules.conv._ConvNd.reset_parameters, PyTorch 2.13.",),
    counterparts=(
        Counterpart(
            "torch.nn.init.kaiming_uniform_",
            arguments=(("a", sqrt(5)), ("mode", "fan_in"), ("nonlinearity", "leaky_relu")),
            note="what nn.Linear and nn.Conv call on their weights",
        ),
    ),
    default_of=("torch.nn.Linear(weight)", "torch.nn.Conv2d(weight)"),
)

RELATIONS = (
    ClosedForm(
        "TorchLinearDefault",
        "maxval",
        1 / sqrt(fan_in),
        "the bound torch.nn.Linear documents for its weights: U(-sqrt(k), sqrt(k)), k = 1/in_features",
    ),
)
