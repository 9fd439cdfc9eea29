"""The spec model of weight initializers: what a file in ``specs/initializers/`` declares.

An initializer draws every element of a new weight array from one distribution
whose parameters are SymPy expressions of the arguments and of two symbols
derived from the array's shape, ``fan_in`` and ``fan_out`` (Keras's
``compute_fans``, declared here for any rank as expressions of ``shape`` and
``rank``). The distribution is data: a ``Family`` (normal, truncated normal,
uniform, constant, identity, orthogonal) and its parameters.

String-valued arguments (VarianceScaling's ``mode`` and ``distribution``) are
``Choice`` s; the spec has one ``Case`` per combination of their options, each
built by substitution from one general expression, and the generated class
dispatches on the strings. A named initializer that is a special case of
another (GlorotUniform of VarianceScaling, Zeros of Constant) declares only
``derived_from``: its choices and some arguments fixed, and ``resolve`` derives
its distribution by substitution in the parent's case. Nothing is written twice.

The truncated normal's correction constant (the standard deviation of a unit
normal truncated at ±2, 0.8796…) is derived here by integration, not typed in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import ClassVar

import sympy
from sympy import Eq, IndexedBase, Integer, Piecewise, Product, Symbol, exp, sqrt

from codegen.language.common import Constraint, Counterpart, Hyperparameter, Named, Typical

# What spec files import from here: the vocabulary of this kind, and the pieces every kind shares.
__all__ = [
    "CONSTANTS",
    "DEFINING_INTEGRALS",
    "FAMILIES",
    "FANS",
    "LAYOUTS",
    "MATRIX_SHAPE",
    "RECEPTIVE_FIELD",
    "STREAM_BLOCK",
    "TORCH_FANS",
    "TORCH_RECEPTIVE_FIELD",
    "TRUNCATED_BOUNDS",
    "TRUNCATION",
    "Case",
    "Choice",
    "ClosedForm",
    "Comparison",
    "Constraint",
    "Counterpart",
    "Derivation",
    "Distribution",
    "Family",
    "Hyperparameter",
    "InitializerSpec",
    "ScaledCounterpart",
    "SeedExample",
    "Typical",
    "cols",
    "constant_values",
    "distribution",
    "distribution_variance",
    "family_variance",
    "fan_in",
    "fan_out",
    "gain",
    "i",
    "j",
    "k",
    "keras_truncated_normal",
    "lower",
    "maxval",
    "mean",
    "minval",
    "q_ij",
    "r_jj",
    "rank",
    "rows",
    "shape",
    "stddev",
    "torch_nonlinearity",
    "truncated_std",
    "truncated_std_definition",
    "truncated_std_integrals",
    "truncated_variance",
    "u",
    "upper",
    "value",
    "x",
    "z",
]

# ----------------------------------------------------------------- the shape and its fans

shape = IndexedBase("shape", integer=True, positive=True)
"""The array's shape: ``shape[0] ... shape[rank - 1]``, every dimension at least 1."""
rank = Symbol("rank", integer=True, nonnegative=True)
"""The number of dimensions."""
k = Symbol("k", integer=True, nonnegative=True)
"""A dimension's index in products over the shape."""

fan_in = Symbol("fan_in", integer=True, positive=True)
"""Keras's fan_in; Keras stores kernels as ``(*receptive field, in, out)``."""
fan_out = Symbol("fan_out", integer=True, positive=True)
"""Keras's fan_out."""

RECEPTIVE_FIELD = Product(shape[k], (k, 0, rank - 3))
"""The product of the leading (spatial) dimensions of a convolution kernel; 1 for rank 2."""

# Keras ``compute_fans``: rank 0 gives (1, 1), rank 1 (n, n), rank >= 2 the last two
# dimensions times the receptive field (an empty product for rank 2). Keras then takes
# max(1, fan); every dimension is at least 1 here (a zero dimension is rejected), so
# each fan is already at least 1 and the max is omitted.
FANS = {
    fan_in: Piecewise((Integer(1), Eq(rank, 0)), (shape[0], Eq(rank, 1)), (shape[rank - 2] * RECEPTIVE_FIELD, True)),
    fan_out: Piecewise((Integer(1), Eq(rank, 0)), (shape[0], Eq(rank, 1)), (shape[rank - 1] * RECEPTIVE_FIELD, True)),
}

TORCH_RECEPTIVE_FIELD = Product(shape[k], (k, 2, rank - 1))
"""PyTorch stores kernels as ``(out, in, *receptive field)``: the trailing dimensions; 1 for rank 2."""

# torch.nn.init's fans: defined for rank >= 2 only (a torch layout spec declares ranks (2, None)).
TORCH_FANS = {fan_in: shape[1] * TORCH_RECEPTIVE_FIELD, fan_out: shape[0] * TORCH_RECEPTIVE_FIELD}

LAYOUTS = {"keras": FANS, "torch": TORCH_FANS}
"""How each library reads fan_in and fan_out off a shape; a spec names its ``layout``."""

rows = Symbol("rows", integer=True, positive=True)
cols = Symbol("cols", integer=True, positive=True)
MATRIX_SHAPE = {rows: Product(shape[k], (k, 0, rank - 2)), cols: shape[rank - 1]}
"""How Orthogonal flattens a shape of rank >= 2 to a matrix (Keras): all leading dimensions are rows."""

STREAM_BLOCK = 1 << 20
"""Values per random stream: a flat array is filled in blocks of this many values, block b from the b-th child
stream of the seed. Part of the output's definition: changing it changes every seeded array."""

# ----------------------------------------------------------------- the truncated normal

TRUNCATION = Integer(2)
"""Keras's truncated normal keeps values within this many standard deviations of the mean."""

z = Symbol("z", real=True)
"""A standard normal variate."""
u = Symbol("u", real=True)
"""A standard uniform variate on [0, 1)."""

truncated_std = Symbol("truncated_std", positive=True)
"""The standard deviation of a unit normal truncated to [-2, 2]: ``truncated_std_definition()``."""


def truncated_std_integrals() -> sympy.Expr:
    """sqrt(E[z^2 | |z| <= 2]) for z ~ N(0, 1), as unevaluated integrals (the definition the docs show)."""
    weight = exp(-(z**2) / 2)
    mass = sympy.Integral(weight, (z, -TRUNCATION, TRUNCATION))
    return sqrt(sympy.Integral(z**2 * weight, (z, -TRUNCATION, TRUNCATION)) / mass)


@functools.cache
def truncated_std_definition() -> sympy.Expr:
    """Derived: ``truncated_std_integrals()`` evaluated in closed form by SymPy.

    Keras divides the wanted standard deviation by this constant before it
    truncates, so the truncated values have the wanted standard deviation.
    """
    # risch=False: SymPy's heuristic integrator alone, twice as fast here as with its Risch attempt.
    evaluated = truncated_std_integrals().replace(
        lambda e: isinstance(e, sympy.Integral), lambda e: e.doit(risch=False)
    )
    return sqrt(sympy.expand(evaluated**2))


CONSTANTS = {truncated_std: truncated_std_definition}
"""Named constants a spec may use; each maps to the function that derives its closed form."""
DEFINING_INTEGRALS = {truncated_std: truncated_std_integrals}
"""Each named constant as the integrals that define it, unevaluated."""


@functools.cache
def constant_values(digits: int = 30) -> dict[sympy.Symbol, sympy.Float]:
    """Every named constant to ``digits`` significant digits, by quadrature of its defining integrals: the closed
    form's digits (a test holds them equal) in a fifth of the time SymPy takes to derive the closed form, which a
    build that re-emits only the initializers' index need not wait for. Callers read the dictionary; none may
    change it."""
    return {symbol: sympy.N(define(), digits) for symbol, define in DEFINING_INTEGRALS.items()}


# ----------------------------------------------------------------- distribution families

mean, stddev = sympy.symbols("mean stddev", real=True)
lower, upper = sympy.symbols("lower upper", real=True)
"""The truncated normal's bounds on the values, absolute (Keras: mean ∓ 2 stddev; PyTorch: a and b)."""
x = Symbol("x", real=True)
"""One drawn value, before it is accepted (truncated families test it against their bounds)."""
minval, maxval = sympy.symbols("minval maxval", real=True)
value = Symbol("value", real=True)
gain = Symbol("gain", real=True)
q_ij, r_jj = sympy.symbols("q_ij r_jj", real=True)
"""Orthogonal: an element of Q, and the diagonal element of R in its column."""
i, j = sympy.symbols("i j", integer=True, nonnegative=True)
"""Row and column of a 2-D element."""


@dataclass(frozen=True)
class Family:
    """A kind of distribution: its parameters and how one value is made from a variate.

    ``sample`` gives one element from the ``variate`` (``z`` standard normal,
    ``u`` standard uniform, or none) and the ``parameters``; ``accept``, if
    given, is the condition the drawn value ``x`` must meet (the variate is
    drawn again until it does). Testing the value itself, not the variate,
    keeps every stored value within the bounds after rounding to the dtype.
    Identity fills a 2-D array by row ``i`` and column ``j``; Orthogonal
    scales each element of the Q of a QR decomposition by the sign of R's
    diagonal in its column.

    ``variate_dtype`` is the precision the variate is drawn in: ``"array"``
    (the array's dtype, as NumPy's float32 ``random`` does) or ``"float64"``.
    """

    kind: str
    parameters: tuple[sympy.Symbol, ...]
    sample: sympy.Expr
    variate: sympy.Symbol | None = None
    accept: sympy.Basic | None = None
    random: bool = True
    description: str = ""
    variate_dtype: str = "array"


# Normal variates are drawn in float64 for every dtype: Numba's float32 ziggurat is about 4x slower
# than its float64 one (measured, numba 0.68.1); the value is rounded to the dtype once, when stored.
FAMILIES = {
    family.kind: family
    for family in (
        Family("normal", (mean, stddev), mean + stddev * z, z, description="normal", variate_dtype="float64"),
        Family(
            "truncated_normal",
            (mean, stddev, lower, upper),
            mean + stddev * z,
            z,
            accept=(lower <= x) & (x <= upper),
            description="normal restricted to [lower, upper], values outside redrawn",
            variate_dtype="float64",
        ),
        Family("uniform", (minval, maxval), minval + (maxval - minval) * u, u, description="uniform"),
        Family("constant", (value,), value, random=False, description="constant"),
        Family(
            "identity",
            (gain,),
            Piecewise((gain, Eq(i, j)), (Integer(0), True)),
            random=False,
            description="scaled identity matrix",
        ),
        Family("orthogonal", (gain,), gain * sympy.sign(r_jj) * q_ij, description="scaled random orthogonal matrix"),
    )
}


@functools.cache
def family_variance(kind: str) -> sympy.Expr | None:
    """The variance of one element in terms of the family's parameters, derived by SymPy.

    None for the families whose elements are not independent draws (constant,
    identity, orthogonal).
    """
    if kind == "truncated_normal":
        return truncated_variance(mean, stddev, lower, upper)
    if kind == "normal":
        # From the moment generating function M(t) = exp(μt + σ²t²/2): Var = M''(0) − M'(0)² (no integration).
        t = Symbol("t", real=True)
        generating = exp(mean * t + stddev**2 * t**2 / 2)
        return sympy.simplify((sympy.diff(generating, t, 2) - sympy.diff(generating, t) ** 2).subs(t, 0))
    if kind == "uniform":
        x = Symbol("x", real=True)
        centre = (minval + maxval) / 2
        return sympy.factor(sympy.integrate((x - centre) ** 2 / (maxval - minval), (x, minval, maxval)))
    return None


def truncated_variance(
    mu: sympy.Expr, sigma: sympy.Expr, low: sympy.Expr, high: sympy.Expr, *, named: bool = False
) -> sympy.Expr:
    """The variance of N(mu, sigma²) restricted to [low, high], from the standard normal's φ and Φ.

    With the bounds at mu ∓ 2·sigma (Keras) it is sigma²·truncated_std², by the constant's
    definition; otherwise the textbook form σ²(1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²),
    α, β the bounds in standard deviations from the mean, Z = Φ(β) − Φ(α). ``named`` keeps φ, Φ,
    α and β as names (for the docs, with ``TRUNCATED_BOUNDS`` saying what α and β are).
    """
    alpha, beta = sympy.cancel((low - mu) / sigma), sympy.cancel((high - mu) / sigma)
    if (alpha, beta) == (-TRUNCATION, TRUNCATION):
        return sigma**2 * truncated_std**2
    if named:
        alpha, beta = TRUNCATED_BOUNDS
        phi, cdf = sympy.Function("varphi"), sympy.Function("Phi")
    else:
        phi = sympy.Lambda(z, exp(-(z**2) / 2) / sqrt(2 * sympy.pi))
        cdf = sympy.Lambda(z, (1 + sympy.erf(z / sqrt(2))) / 2)
    mass = cdf(beta) - cdf(alpha)
    shift = (phi(alpha) - phi(beta)) / mass
    return sigma**2 * (1 + (alpha * phi(alpha) - beta * phi(beta)) / mass - shift**2)


TRUNCATED_BOUNDS = sympy.symbols("alpha beta", real=True)
"""The truncated normal's bounds in standard deviations from its mean, as the docs name them."""


def distribution_variance(distribution: Distribution, *, named: bool = False) -> sympy.Expr | None:
    """The variance of one element of ``distribution`` (None where elements are not independent draws)."""
    values = distribution.values
    if distribution.family == "truncated_normal":
        return truncated_variance(values[mean], values[stddev], values[lower], values[upper], named=named)
    variance = family_variance(distribution.family)
    return None if variance is None else variance.xreplace(values)


def keras_truncated_normal(mu: sympy.Expr, sigma: sympy.Expr) -> Distribution:
    """Keras's truncated normal: N(mu, sigma²) restricted to mu ∓ 2·sigma."""
    return distribution(
        "truncated_normal", mean=mu, stddev=sigma, lower=mu - TRUNCATION * sigma, upper=mu + TRUNCATION * sigma
    )


# ----------------------------------------------------------------- the spec


@dataclass(frozen=True)
class Distribution:
    """One family with its parameters as expressions of fan_in, fan_out, arguments and constants."""

    family: str
    parameters: tuple[tuple[sympy.Symbol, sympy.Expr], ...]

    @property
    def values(self) -> dict[sympy.Symbol, sympy.Expr]:
        return dict(self.parameters)

    def subs(self, substitution: dict) -> Distribution:
        return Distribution(self.family, tuple((p, sympy.sympify(e).subs(substitution)) for p, e in self.parameters))


@dataclass(frozen=True)
class Choice:
    """A string argument with a fixed set of options (VarianceScaling's ``mode``)."""

    argument: str
    options: tuple[str, ...]
    default: str
    description: str
    aliases: tuple[tuple[str, str], ...] = ()
    """Other spellings Keras accepts, and the option each means (``("normal", "truncated_normal")``)."""
    option_descriptions: tuple[tuple[str, str], ...] = ()
    sets: sympy.Symbol | None = None
    """A valued choice: instead of selecting a case, each option gives this symbol a value
    (PyTorch's ``nonlinearity`` sets the gain), an expression of the arguments (``values``)."""
    values: tuple[tuple[str, sympy.Expr], ...] = ()

    @property
    def selects_case(self) -> bool:
        return self.sets is None


@dataclass(frozen=True)
class Case:
    """The distribution for one combination of the choices' options (empty without choices)."""

    settings: tuple[tuple[str, str], ...]
    distribution: Distribution

    @property
    def name(self) -> str:
        return "_".join(option for _, option in self.settings)


@dataclass(frozen=True)
class Derivation:
    """A special case of another initializer: some of its choices and arguments fixed."""

    parent: str
    choices: tuple[tuple[str, str], ...] = ()
    arguments: tuple[tuple[str, sympy.Expr], ...] = ()
    """Parent arguments fixed, to numbers or to expressions of the derived spec's own arguments."""
    restrict: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Parent choices kept, with only these options (PyTorch's kaiming has no ``fan_avg``)."""

    def text(self) -> str:
        """``VarianceScaling(scale=2, mode='fan_in', distribution='uniform')``."""
        settings = [f"{name}={sympy.sstr(v)}" for name, v in self.arguments]
        settings += [f"{name}={option!r}" for name, option in self.choices]
        settings += [f"{name} in {options!r}" for name, options in self.restrict]
        return f"{self.parent}({', '.join(settings)})"


@dataclass(frozen=True)
class InitializerSpec(Named):
    """One Keras initializer, declared once."""

    kind: ClassVar[str] = "initializer"
    name: str
    aliases: tuple[str, ...]
    summary: str
    arguments: tuple[Hyperparameter, ...] = ()
    choices: tuple[Choice, ...] = ()
    cases: tuple[Case, ...] = ()
    derived_from: Derivation | None = None
    constraints: tuple[Constraint, ...] = ()
    ranks: tuple[int, int | None] = (0, None)
    """The ranks a shape may have: (lowest, highest or None)."""
    layout: str | None = None
    """Where the fans are read off the shape: ``"keras"`` (the default) or ``"torch"`` (``LAYOUTS``)."""
    references: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    latex_names: dict = field(default_factory=dict)
    counterparts: tuple[Counterpart, ...] = ()
    """This initializer in ``torch.nn.init`` and ``keras.initializers`` (``Counterpart``, ``ScaledCounterpart``).
    Where a library has several (one per option of a choice), ``requires`` names the options each covers; the
    first declared whose required options hold is used, one with ``same=True`` before any other."""
    default_of: tuple[str, ...] = ()
    """The layer arguments this initializer is the default of, as their library names them
    (``"keras.layers.Dense(kernel_initializer)"``): the docs' table of layer defaults."""
    source: str = "<unknown>"


def distribution(family: str, **parameters: sympy.Expr) -> Distribution:
    """A distribution of ``family`` with its parameters by name (``mean=0, stddev=s``)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown distribution family {family!r}; known: {', '.join(sorted(FAMILIES))}")
    symbols = {p.name: p for p in FAMILIES[family].parameters}
    unknown = sorted(set(parameters) - set(symbols))
    if unknown or len(parameters) != len(symbols):
        raise ValueError(f"family {family} takes {sorted(symbols)}, got {sorted(parameters)}")
    return Distribution(family, tuple((symbols[name], sympy.sympify(parameters[name])) for name in symbols))


def torch_nonlinearity(gain_symbol: sympy.Symbol, negative_slope: sympy.Symbol) -> Choice:
    """PyTorch's ``nonlinearity`` argument: the gain ``torch.nn.init.calculate_gain`` gives each activation.

    ``negative_slope`` is the leaky ReLU's slope (kaiming's ``a``).
    """
    unit = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
    gains = {
        **dict.fromkeys((*unit, "sigmoid"), Integer(1)),
        "tanh": sympy.Rational(5, 3),
        "relu": sqrt(2),
        "leaky_relu": sqrt(2 / (1 + negative_slope**2)),
        "selu": sympy.Rational(3, 4),
    }
    return Choice(
        "nonlinearity",
        tuple(gains),
        "leaky_relu",
        "the activation that follows, which sets the gain g (torch.nn.init.calculate_gain)",
        sets=gain_symbol,
        values=tuple(gains.items()),
    )


# ----------------------------------------------------------------- counterparts in other libraries


@dataclass(frozen=True)
class ScaledCounterpart(Counterpart):
    """A counterpart whose values are multiplied afterwards by ``times``, an expression of the spec's symbols.

    For a method another library has at one scale only: ``torch.nn.init.eye_`` takes no gain, so Identity's
    counterpart is ``eye_`` times ``gain``. Without ``arguments``, the spec's arguments that ``times`` does not use
    are passed under their own names.
    """

    times: sympy.Expr = sympy.S.One


# ----------------------------------------------------------------- relations (checked by the generated tests)


@dataclass(frozen=True)
class ClosedForm:
    """A published closed form of one parameter of a case, stated independently of the derivation."""

    initializer: str
    parameter: str
    expected: sympy.Expr
    citation: str
    settings: tuple[tuple[str, str], ...] = ()
    source: str = "<unknown>"


@dataclass(frozen=True)
class SeedExample:
    """A code example names ``promised`` but calls ``written`` (the original design document's): show the two differ."""

    promised: str
    written: str
    note: str
    source: str = "<unknown>"


@dataclass(frozen=True)
class Comparison:
    """Two initializers, each with some arguments and choices set, compared for every shape.

    ``claim`` is ``"identical"`` (the same family, every parameter equal as a function of the
    fans) or ``"same variance"`` (equal variance, but a different distribution: the supports
    differ, as for Keras's truncated HeNormal and PyTorch's untruncated kaiming_normal_).
    Settings map argument names to numbers or expressions, and choice names to options.
    """

    statement: str
    left: str
    right: str
    claim: str
    left_settings: tuple[tuple[str, object], ...] = ()
    right_settings: tuple[tuple[str, object], ...] = ()
    source: str = "<unknown>"
