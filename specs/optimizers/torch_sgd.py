"""PyTorch's SGD (``torch.optim.SGD``): momentum buffer without the learning rate, dampening, L2 decay.

Not a substitution of Keras's SGD: Keras's velocity holds η (v ← μv − ηg), PyTorch's
buffer does not (b ← μb + (1 − d)g, then w ← w − ηb), and on the first step PyTorch
sets b ← g, undampened. The dampening in effect is d·min(t − 1, 1): 0 at t = 1, d after.
The two agree for a constant η (relation below), not under a schedule.
"""

from sympy import Eq, Interval, Min, Piecewise, oo, symbols

from codegen.language.optimizer import (
    Constraint,
    Convention,
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    Option,
    State,
    Typical,
    eta,
    g,
    learning_rate,
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate

mu, dampening, lambda_l2 = symbols("mu tau lambda_l2")
b, g_l2, d_t, direction = symbols("b g_l2 tau_t direction")

SPEC = OptimizerSpec(
    name="TorchSGD",
    aliases=("torch_sgd",),
    summary="Gradient descent as torch.optim.SGD computes it: the buffer holds gradients, not steps.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(mu, "momentum", 0.0, Interval(0, 1), "momentum coefficient", typical=Typical(0.5, 0.95)),
        Hyperparameter(
            dampening,
            "dampening",
            0.0,
            Interval(0, 1),
            "the buffer takes (1 - dampening) g",
            typical=Typical(0.1, 0.9),
        ),
        Hyperparameter(
            lambda_l2,
            "weight_decay",
            0.0,
            Interval(0, oo),
            "L2 penalty: λw is added to g",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
    ),
    state=(State(b, "momentum_buffer", 0, "momentum buffer: a moving sum of gradients, learning rate excluded"),),
    update=(
        (g_l2, g + lambda_l2 * w),
        # PyTorch starts the buffer at the first gradient itself, undampened: no dampening on step 1.
        (d_t, dampening * Min(t - 1, 1)),
        (b, mu * b + (1 - d_t) * g_l2),
        (direction, g_l2 + mu * b),
        (w, w - eta * direction),
    ),
    options=(
        # Without momentum torch keeps no buffer, so its dampening has nothing to dampen: it steps along g itself.
        Option(
            "momentum",
            when_off={mu: 0, dampening: 0, b: g_l2},
            kind="nonzero",
            description="no buffer is kept (and dampening does nothing)",
        ),
        Option(
            "nesterov",
            when_off={direction: b},
            applies_to=(w,),
            description="look-ahead: step along g + μb",
        ),
        Option("weight_decay", when_off={lambda_l2: 0}, kind="nonzero", description="no L2 term"),
    ),
    constraints=(
        Constraint(
            (mu > 0) & Eq(dampening, 0), "Nesterov momentum needs momentum > 0 and no dampening", when="nesterov"
        ),
    ),
    base_options="none",
    convention="PyTorch",
    references=(
        "B. T. Polyak, Some methods of speeding up the convergence of iteration methods, 1964.",
        "I. Sutskever, J. Martens, G. Dahl, G. Hinton, On the importance of initialization "
        "and momentum in deep learning, ICML 2013.",
    ),
    conventions=(
        Convention(
            "Keras 3",
            r"\texttt{SGD} keeps $\eta$ in the velocity, $v \leftarrow \mu v - \eta g$, has no dampening and "
            r"starts from $v = 0$: identical for a constant $\eta$ and dampening 0, not under a schedule.",
        ),
    ),
    latex_names={
        mu: r"\mu",
        dampening: r"\tau",
        d_t: r"\tau_t",
        g_l2: r"\tilde g",
        lambda_l2: r"\lambda",
        direction: "d",
    },
    method="sgd",
    counterparts=(
        Counterpart(
            "torch.optim.SGD",
            arguments=(
                ("lr", eta),
                ("momentum", mu),
                ("dampening", dampening),
                ("weight_decay", lambda_l2),
                ("nesterov", "nesterov"),
            ),
        ),
        Counterpart(
            "optax.sgd",
            arguments=(("learning_rate", eta), ("momentum", mu), ("nesterov", "nesterov")),
            requires=(("dampening", 0.0), ("weight_decay", 0.0)),
            note="optax.sgd has no dampening and no L2 term; its momentum None is momentum 0",
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="keras_sgd_momentum_is_torch_sgd_momentum_for_constant_rate",
        statement="For a constant η, Keras's SGD momentum is PyTorch's (dampening 0): Keras's velocity is −η·b.",
        left=SpecUpdate("SGD", options={"momentum": True}),
        right=SpecUpdate("TorchSGD", options={"momentum": True}, substitution={dampening: 0}),
        state_map={symbols("v"): -eta * b},
    ),
    Equivalence(
        name="keras_sgd_nesterov_is_torch_sgd_nesterov_for_constant_rate",
        statement="For a constant η, Keras's Nesterov SGD is PyTorch's (dampening 0): Keras's velocity is −η·b.",
        left=SpecUpdate("SGD", options={"momentum": True, "nesterov": True}),
        right=SpecUpdate("TorchSGD", options={"momentum": True, "nesterov": True}, substitution={dampening: 0}),
        state_map={symbols("v"): -eta * b},
    ),
    Equivalence(
        name="keras_sgd_momentum_is_not_torch_sgd_under_a_schedule",
        statement=(
            "Under a schedule (η changing from step to step) Keras's SGD momentum is not PyTorch's: Keras's velocity "
            "keeps past steps' learning rates, PyTorch multiplies the whole buffer by the current one."
        ),
        left=SpecUpdate("SGD", options={"momentum": True}, substitution={eta: eta * t}),
        right=SpecUpdate("TorchSGD", options={"momentum": True}, substitution={dampening: 0, eta: eta * t}),
        holds=False,
    ),
    Equivalence(
        name="torch_sgd_without_momentum_ignores_dampening",
        statement=(
            "TorchSGD without momentum is gradient descent on the L2-penalised gradient, w ← w − η(g + λw): "
            "torch.optim.SGD keeps no buffer then, and its dampening does nothing."
        ),
        left=SpecUpdate("TorchSGD", options={"weight_decay": True}),
        right=WrittenUpdate(
            "torch.optim.SGD as documented, momentum 0", assignments=((w, w - eta * (g + lambda_l2 * w)),)
        ),
    ),
    Equivalence(
        name="torch_sgd_is_pytorch_documented_sgd",
        statement="TorchSGD with momentum and dampening is torch.optim.SGD's documented algorithm.",
        left=SpecUpdate("TorchSGD", options={"momentum": True}),
        right=WrittenUpdate(
            "torch.optim.SGD as documented (momentum, dampening; b = g on the first step)",
            assignments=(
                (b, Piecewise((g, Eq(t, 1)), (mu * b + (1 - dampening) * g, True))),
                (w, w - eta * b),
            ),
            initial={b: 0},
        ),
        state_map={b: b},
    ),
)
