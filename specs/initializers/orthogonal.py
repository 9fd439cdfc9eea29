"""Orthogonal: a random (Haar-distributed) matrix with orthonormal rows or columns, times a gain."""

from sympy import Interval, Symbol, oo

from codegen.language.initializer import Case, Counterpart, Hyperparameter, InitializerSpec, Typical, distribution

gain = Symbol("gain", real=True)

SPEC = InitializerSpec(
    name="Orthogonal",
    aliases=("orthogonal",),
    summary=(
        "A random orthogonal matrix times a gain: the Q of the QR decomposition of a standard normal matrix, "
        "each column multiplied by the sign of R's diagonal element in it, so that Q is uniformly (Haar) "
        "distributed. Shapes of rank above 2 are flattened to (product of all leading dimensions, last dimension)."
    ),
    arguments=(
        # Drawn away from 1, where a gain ignored would pass.
        Hyperparameter(
            gain, "gain", 1.0, Interval.open(-oo, oo), "multiplies the orthogonal matrix", typical=Typical(1.25, 2.0)
        ),
    ),
    cases=(Case((), distribution("orthogonal", gain=gain)),),
    ranks=(2, None),
    references=(
        "A. M. Saxe, J. L. McClelland, S. Ganguli, Exact solutions to the nonlinear dynamics of learning in deep "
        "linear neural networks, ICLR 2014.",
        "F. Mezzadri, How to generate random matrices from the classical compact groups, Notices of the AMS 54(5), "
        "2007 (the sign fix that makes Q Haar-distributed).",
    ),
    notes=(
        "torch.nn.init.orthogonal_ flattens as (shape[0], product of the rest), so the same shape of rank "
        "above 2 gives a differently laid out matrix.",
    ),
    counterparts=(
        Counterpart("keras.initializers.Orthogonal"),
        Counterpart(
            "torch.nn.init.orthogonal_",
            (("gain", gain),),
            note="it flattens to (shape[0], the rest), Keras to (the rest, shape[-1]): alike for 2-D shapes only",
        ),
    ),
)
