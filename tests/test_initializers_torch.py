"""The generated initializers against torch.nn.init itself, and Keras 3's input_axes/output_axes.

Every initializer of the registry under test that declares a torch.nn.init counterpart drawing its
distribution (``same=True``) fills the same shapes as that function, called as the spec declares it
(its argument mapping, the options it covers, a factor applied afterwards, the array laid out so that
torch reads the spec's fans), with arguments drawn from their typical ranges. Where the elements are
independent draws, a two-sample Kolmogorov-Smirnov test must not reject at p < 1e-6, which a correct
implementation does once in a million runs. With 2·10^5 values a side the test rejects when the two
CDFs differ by more than 0.0085 somewhere, which a normal's scale error of 4% exceeds (0.24 × 4%);
fan_in and fan_out swapped on (500, 400) is a 12% error, rejected with p < 1e-100 (tested below).
Initializers that draw nothing must fill the same array exactly.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import sympy
from scipy import stats

from codegen.language.initializer import FAMILIES, family_variance
from codegen.load import load_registry
from codegen.lower.initializer import resolve
from codegen.referee.initializer import draw
from codegen.referee.initializer_adapters import implementation, settle
from tests.helpers import SPECS_DIR, package

torch = pytest.importorskip("torch")
SIGNIFICANCE = 1e-6
SHAPES = ((500, 400), (64, 32, 5, 5))  # fan_in != fan_out, and a conv kernel
SPECS = {spec.name: spec for spec in load_registry(SPECS_DIR).initializers}
initializers = package().initializers

RESOLVED = [resolve(spec, SPECS) for _, spec in sorted(SPECS.items())]


def _comparable(family: str) -> bool:
    """Exact families compare array by array, independent draws by the two-sample test (Orthogonal's entries are
    neither: ``trainspec verify`` tests its matrices)."""
    return not FAMILIES[family].random or family_variance(family) is not None


# Every initializer with a torch counterpart that draws its distribution, with the options each covers pinned.
SAME = [
    (resolved, dict(counterpart.requires))
    for resolved in RESOLVED
    if all(_comparable(case.distribution.family) for case in resolved.cases)
    for counterpart in resolved.spec.counterparts
    if counterpart.library == "torch" and counterpart.same
]


def _label(item) -> str:
    resolved, given = item
    return f"{resolved.spec.name}({', '.join(f'{k}={v}' for k, v in given.items())})"


def named(name: str) -> type:
    """The class of a spec this test names on purpose; skipped where the registry under test lacks it."""
    if name not in SPECS:
        pytest.skip(f"the registry under test has no {name}")
    return getattr(initializers, name)


def _shapes(resolved) -> list[tuple[int, ...]]:
    lowest, highest = resolved.ranks
    return [shape for shape in SHAPES if lowest <= len(shape) and (highest is None or len(shape) <= highest)]


@pytest.mark.parametrize("item", SAME, ids=_label)
@pytest.mark.parametrize("seed", [5, 6])
def test_same_distribution_as_torch(item, seed):
    resolved, given = item
    cls = getattr(initializers, resolved.spec.name)
    arguments = draw(resolved, cls, np.random.default_rng(seed), given)
    torch_init = implementation("torch", resolved, cls.compute_fans)
    counterpart, arguments = settle(resolved, "torch", torch_init.constrain(arguments, given))
    assert counterpart.same, f"{counterpart.name} covers {arguments}, not a same=True counterpart"
    family = resolved.case(**{c.argument: arguments[c.argument] for c in resolved.case_choices}).distribution.family
    for shape in _shapes(resolved):
        expected = torch_init.draw(shape, "float64", seed, arguments).ravel()
        actual = cls(**arguments, **({"seed": seed} if resolved.random else {}))(shape, "float64").ravel()
        if FAMILIES[family].random:
            assert stats.ks_2samp(actual, expected).pvalue > SIGNIFICANCE, shape
        else:
            assert np.array_equal(actual, expected), shape


def test_the_test_sees_fans_swapped():
    """The same comparison rejects kaiming_uniform_ read with the other fan (the classic layout slip)."""
    shape = SHAPES[0]
    kaiming_uniform = named("KaimingUniform")
    theirs = torch.nn.init.kaiming_uniform_(torch.empty(shape, dtype=torch.float64), mode="fan_out").numpy()
    ours = kaiming_uniform(seed=5)(shape, "float64")
    assert stats.ks_2samp(ours.ravel(), theirs.ravel()).pvalue < 1e-100


def test_trunc_normal_keeps_to_its_absolute_bounds():
    values = named("TruncNormal")(mean=1.0, std=2.0, a=0.0, b=5.0, seed=1)((1000, 100), "float32")
    assert values.min() >= 0.0 and values.max() <= 5.0
    assert values.min() < 0.01 and values.max() > 4.99  # it reaches them


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"a": 1.0, "b": 1.0}, ["a must be below b", "a=1.0", "b=1.0"]),
        ({"mean": 0.0, "std": 1.0, "a": 6.0, "b": 7.0}, ["1e-4", "a=6.0"]),
    ],
)
def test_trunc_normal_refuses_empty_or_far_bounds(arguments, words):
    trunc_normal = named("TruncNormal")
    with pytest.raises(ValueError) as raised:
        trunc_normal(**arguments)
    for word in words:
        assert word in str(raised.value)


def test_torch_layout_needs_two_dimensions_and_no_fan_avg():
    kaiming_normal, kaiming_uniform = named("KaimingNormal"), named("KaimingUniform")
    with pytest.raises(ValueError, match="rank at least 2"):
        kaiming_normal()((10,))
    with pytest.raises(ValueError, match="fan_avg"):
        kaiming_normal(mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity"):
        kaiming_uniform(nonlinearity="gelu")


# Every option of every choice that sets a gain (torch's nonlinearity): the gain torch.nn.init.calculate_gain gives.
GAINS = [
    (resolved, choice, option)
    for resolved in RESOLVED
    for choice in resolved.valued_choices
    if choice.argument == "nonlinearity"
    for option in choice.options
]


@pytest.mark.parametrize(("resolved", "choice", "option"), GAINS, ids=[f"{r.spec.name}-{o}" for r, _, o in GAINS])
def test_gains_are_calculate_gains(resolved, choice, option):
    used = set().union(*(sympy.sympify(value).free_symbols for _, value in choice.values))
    slope = next(h.argument for h in resolved.arguments if h.symbol in used)  # calculate_gain's param
    initializer = getattr(initializers, resolved.spec.name)(**{slope: 0.3, choice.argument: option})
    expected = torch.nn.init.calculate_gain(option, 0.3)
    assert initializer._scalar_inputs[choice.sets.name] == pytest.approx(expected, rel=4 * np.finfo(np.float64).eps)


# ----------------------------------------------------------------- Keras 3's input_axes / output_axes


@pytest.mark.parametrize(
    ("shape", "input_axes", "output_axes"),
    [((3, 3, 16, 32), [0, 1, 2], [0, 1, 3]), ((8, 6, 4), [0], [1, 2]), ((5, 7), [-1], [-2])],
)
def test_axes_give_keras_fans(shape, input_axes, output_axes):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("keras")
    from keras.src.initializers.random_initializers import compute_fans

    he_uniform = named("HeUniform")
    initializer = he_uniform(input_axes=input_axes, output_axes=output_axes, seed=1)
    fan_in, fan_out = compute_fans(shape, input_axes=input_axes, output_axes=output_axes)
    assert initializer._fans(shape) == (fan_in, fan_out)
    assert np.abs(initializer(shape, "float64")).max() <= math.sqrt(6 / fan_in)
    rebuilt = he_uniform.from_config(initializer.get_config())
    assert np.array_equal(rebuilt(shape), initializer(shape))


@pytest.mark.parametrize(
    ("arguments", "shape", "error", "words"),
    [
        ({"input_axes": [0]}, (4, 4), ValueError, ["both", "output_axes"]),
        ({"input_axes": [0], "output_axes": [5]}, (4, 4), ValueError, ["output_axes=[5]", "(4, 4)"]),
        ({"input_axes": [0, -2], "output_axes": [1]}, (4, 4), ValueError, ["input_axes=[0, -2]", "twice"]),
        ({"input_axes": "0", "output_axes": [1]}, (4, 4), TypeError, ["input_axes", "'0'"]),
        ({"input_axes": [0.5], "output_axes": [1]}, (4, 4), TypeError, ["input_axes", "0.5"]),
    ],
)
def test_bad_axes_are_refused(arguments, shape, error, words):
    glorot_uniform = named("GlorotUniform")
    with pytest.raises(error) as raised:
        glorot_uniform(**arguments)(shape)
    for word in words:
        assert word in str(raised.value)
