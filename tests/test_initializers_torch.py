"""The PyTorch-convention initializers against torch.nn.init itself, and Keras 3's input_axes/output_axes.

Each torch-convention class fills the same (out, in, ...) shape as torch's function with the same
arguments; a two-sample Kolmogorov-Smirnov test must not reject at p < 1e-6, which a correct
implementation does once in a million runs. With 2·10^5 values a side the test rejects when the two
CDFs differ by more than 0.0085 somewhere, which a normal's scale error of 4% exceeds (0.24 × 4%);
fan_in and fan_out swapped on (500, 400) is a 12% error, rejected with p < 1e-100 (tested below).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from scipy import stats

from trainspec import initializers

torch = pytest.importorskip("torch")
SIGNIFICANCE = 1e-6
SHAPES = ((500, 400), (64, 32, 5, 5))  # fan_in != fan_out, and a conv kernel (out, in, kh, kw)

CASES = [
    ("XavierUniform", {"gain": 1.7}, torch.nn.init.xavier_uniform_, {"gain": 1.7}),
    ("XavierNormal", {"gain": 0.5}, torch.nn.init.xavier_normal_, {"gain": 0.5}),
    ("KaimingUniform", {}, torch.nn.init.kaiming_uniform_, {}),
    ("KaimingUniform", {"a": 0.3, "mode": "fan_out"}, torch.nn.init.kaiming_uniform_, {"a": 0.3, "mode": "fan_out"}),
    ("KaimingNormal", {"nonlinearity": "tanh"}, torch.nn.init.kaiming_normal_, {"nonlinearity": "tanh"}),
    ("KaimingNormal", {"mode": "fan_out", "nonlinearity": "selu"}, torch.nn.init.kaiming_normal_,
     {"mode": "fan_out", "nonlinearity": "selu"}),
    ("TruncNormal", {"std": 0.02}, torch.nn.init.trunc_normal_, {"std": 0.02}),
    ("TruncNormal", {"mean": 1.0, "std": 2.0, "a": 0.0, "b": 5.0}, torch.nn.init.trunc_normal_,
     {"mean": 1.0, "std": 2.0, "a": 0.0, "b": 5.0}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "ours", "function", "theirs"), CASES, ids=lambda x: str(x))
@pytest.mark.parametrize("shape", SHAPES)
def test_same_distribution_as_torch(name, ours, function, theirs, shape):
    generator = torch.Generator().manual_seed(5)
    expected = function(torch.empty(shape, dtype=torch.float64), generator=generator, **theirs).numpy().ravel()
    actual = getattr(initializers, name)(**ours, seed=5)(shape, "float64").ravel()
    assert stats.ks_2samp(actual, expected).pvalue > SIGNIFICANCE


def test_the_test_sees_fans_swapped():
    """The same comparison rejects kaiming_uniform_ read with the other fan (the classic layout slip)."""
    shape = SHAPES[0]
    theirs = torch.nn.init.kaiming_uniform_(torch.empty(shape, dtype=torch.float64), mode="fan_out").numpy()
    ours = initializers.KaimingUniform(seed=5)(shape, "float64")
    assert stats.ks_2samp(ours.ravel(), theirs.ravel()).pvalue < 1e-100


def test_trunc_normal_keeps_to_its_absolute_bounds():
    values = initializers.TruncNormal(mean=1.0, std=2.0, a=0.0, b=5.0, seed=1)((1000, 100), "float32")
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
    with pytest.raises(ValueError) as raised:
        initializers.TruncNormal(**arguments)
    for word in words:
        assert word in str(raised.value)


def test_torch_layout_needs_two_dimensions_and_no_fan_avg():
    with pytest.raises(ValueError, match="rank at least 2"):
        initializers.KaimingNormal()((10,))
    with pytest.raises(ValueError, match="fan_avg"):
        initializers.KaimingNormal(mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity"):
        initializers.KaimingUniform(nonlinearity="gelu")


@pytest.mark.parametrize("nonlinearity", initializers.KaimingNormal.choices[1].options)
def test_gains_are_calculate_gains(nonlinearity):
    expected = torch.nn.init.calculate_gain(nonlinearity, 0.3)
    assert initializers.KaimingNormal(a=0.3, nonlinearity=nonlinearity)._scalar_inputs["gain"] == pytest.approx(
        expected, rel=4 * np.finfo(np.float64).eps
    )


# ----------------------------------------------------------------- Keras 3's input_axes / output_axes


@pytest.mark.parametrize(
    ("shape", "input_axes", "output_axes"),
    [((3, 3, 16, 32), [0, 1, 2], [0, 1, 3]), ((8, 6, 4), [0], [1, 2]), ((5, 7), [-1], [-2])],
)
def test_axes_give_keras_fans(shape, input_axes, output_axes):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("keras")
    from keras.src.initializers.random_initializers import compute_fans

    initializer = initializers.HeUniform(input_axes=input_axes, output_axes=output_axes, seed=1)
    fan_in, fan_out = compute_fans(shape, input_axes=input_axes, output_axes=output_axes)
    assert initializer._fans(shape) == (fan_in, fan_out)
    assert np.abs(initializer(shape, "float64")).max() <= math.sqrt(6 / fan_in)
    rebuilt = initializers.HeUniform.from_config(initializer.get_config())
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
    with pytest.raises(error) as raised:
        initializers.GlorotUniform(**arguments)(shape)
    for word in words:
        assert word in str(raised.value)
