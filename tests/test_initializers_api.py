"""The Keras-style API of the generated initializers: spellings, lookup, config, seeds, dtypes and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import trainspec
from trainspec import initializers
from trainspec.runtime import initializer as runtime

# Keras 3's names and defaults (reference/semantics.md §4.2), stated here independently of the specs.
KERAS_DEFAULTS = {
    "RandomNormal": {"mean": 0.0, "stddev": 0.05, "seed": None},
    "TruncatedNormal": {"mean": 0.0, "stddev": 0.05, "seed": None},
    "RandomUniform": {"minval": -0.05, "maxval": 0.05, "seed": None},
    "Zeros": {},
    "Ones": {},
    "Constant": {"value": 0.0},
    "VarianceScaling": {
        "scale": 1.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
        "seed": None,
        "input_axes": None,
        "output_axes": None,
    },
    "GlorotNormal": {"seed": None, "input_axes": None, "output_axes": None},
    "GlorotUniform": {"seed": None, "input_axes": None, "output_axes": None},
    "HeNormal": {"seed": None, "input_axes": None, "output_axes": None},
    "HeUniform": {"seed": None, "input_axes": None, "output_axes": None},
    "LecunNormal": {"seed": None, "input_axes": None, "output_axes": None},
    "LecunUniform": {"seed": None, "input_axes": None, "output_axes": None},
    "Identity": {"gain": 1.0},
    "Orthogonal": {"gain": 1.0, "seed": None},
}
# torch.nn.init's signatures and defaults (torch 2.13), generator left out.
TORCH_DEFAULTS = {
    "XavierUniform": {"gain": 1.0, "seed": None},
    "XavierNormal": {"gain": 1.0, "seed": None},
    "KaimingUniform": {"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu", "seed": None},
    "KaimingNormal": {"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu", "seed": None},
    "TruncNormal": {"mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0, "seed": None},
}
SNAKE = {
    "RandomNormal": "random_normal",
    "TruncatedNormal": "truncated_normal",
    "RandomUniform": "random_uniform",
    "Zeros": "zeros",
    "Ones": "ones",
    "Constant": "constant",
    "VarianceScaling": "variance_scaling",
    "GlorotNormal": "glorot_normal",
    "GlorotUniform": "glorot_uniform",
    "HeNormal": "he_normal",
    "HeUniform": "he_uniform",
    "LecunNormal": "lecun_normal",
    "LecunUniform": "lecun_uniform",
    "Identity": "identity",
    "Orthogonal": "orthogonal",
    "XavierUniform": "xavier_uniform",
    "XavierNormal": "xavier_normal",
    "KaimingUniform": "kaiming_uniform",
    "KaimingNormal": "kaiming_normal",
    "TruncNormal": "trunc_normal",
}


# ----------------------------------------------------------------- names, lookup, config


def test_every_keras_initializer_exists_in_both_spellings():
    for name, snake in SNAKE.items():
        cls = getattr(initializers, name)
        assert getattr(initializers, snake) is cls
        assert getattr(trainspec, name) is cls and getattr(trainspec, snake) is cls
        assert initializers.INITIALIZERS[name] is cls and initializers.INITIALIZERS[snake] is cls
    assert set(initializers.INITIALIZERS) == set(SNAKE) | set(SNAKE.values())


@pytest.mark.parametrize("name", sorted(KERAS_DEFAULTS | TORCH_DEFAULTS))
def test_defaults_are_keras_or_torch_defaults(name):
    assert getattr(initializers, name)().get_config() == (KERAS_DEFAULTS | TORCH_DEFAULTS)[name]


@pytest.mark.parametrize("name", sorted(SNAKE))
def test_get_by_either_name_builds_a_default_instance(name):
    for identifier in (name, SNAKE[name]):
        instance = initializers.get(identifier)
        assert type(instance) is getattr(initializers, name)


def test_get_passes_through_none_instances_and_classes():
    instance = initializers.HeNormal(seed=1)
    assert initializers.get(None) is None
    assert initializers.get(instance) is instance
    assert type(initializers.get(initializers.Zeros)) is initializers.Zeros


def test_get_rejects_unknown_names_listing_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown initializer 'he_uniformm'.*he_uniform"):
        initializers.get("he_uniformm")
    with pytest.raises(ValueError, match="cannot interpret"):
        initializers.get(3.5)


CONFIGURED = [
    initializers.RandomNormal(mean=0.5, stddev=2.0, seed=3),
    initializers.TruncatedNormal(mean=-1.0, stddev=0.25, seed=4),
    initializers.RandomUniform(minval=-1.0, maxval=3.0, seed=5),
    initializers.Constant(value=7.5),
    initializers.VarianceScaling(scale=0.1, mode="fan_avg", distribution="uniform", seed=6),
    initializers.HeUniform(seed=7),
    initializers.Identity(gain=3.0),
    initializers.Orthogonal(gain=0.5, seed=8),
]


@pytest.mark.parametrize("initializer", CONFIGURED, ids=lambda i: type(i).__name__)
def test_config_round_trips_to_an_initializer_that_fills_the_same_values(initializer):
    rebuilt = type(initializer).from_config(initializer.get_config())
    assert rebuilt.get_config() == initializer.get_config()
    serialized = initializers.deserialize(initializers.serialize(initializer))
    assert serialized.get_config() == initializer.get_config()
    assert np.array_equal(rebuilt((12, 9)), initializer((12, 9)))
    assert np.array_equal(serialized((12, 9)), initializer((12, 9)))


def test_normal_is_an_alias_of_truncated_normal():
    alias = initializers.VarianceScaling(distribution="normal", seed=1)
    assert alias.get_config()["distribution"] == "truncated_normal"
    assert np.array_equal(alias((40, 30)), initializers.VarianceScaling(seed=1)((40, 30)))


def test_arguments_read_as_attributes():
    initializer = initializers.VarianceScaling(scale=2.0, mode="fan_out", seed=1)
    assert (initializer.scale, initializer.mode, initializer.distribution, initializer.seed) == (
        2.0,
        "fan_out",
        "truncated_normal",
        1,
    )


# ----------------------------------------------------------------- seeds


def test_an_int_seed_gives_the_same_array_at_every_call_and_on_every_instance():
    first = initializers.GlorotUniform(seed=42)
    assert np.array_equal(first((64, 32)), first((64, 32)))
    assert np.array_equal(first((64, 32)), initializers.GlorotUniform(seed=42)((64, 32)))
    assert not np.array_equal(first((64, 32)), initializers.GlorotUniform(seed=43)((64, 32)))


def test_no_seed_repeats_within_an_instance_and_differs_between_instances():
    """Keras 3: an unseeded initializer draws its seed once, when it is built."""
    one, two = initializers.RandomNormal(), initializers.RandomNormal()
    assert np.array_equal(one((50,)), one((50,)))
    assert not np.array_equal(one((50,)), two((50,)))
    assert one.get_config()["seed"] is None


def test_a_generator_seed_gives_new_values_at_every_call_reproducibly():
    """The counterpart of Keras's SeedGenerator: stateful, and reproducible from its own seed."""
    draws = initializers.HeNormal(seed=np.random.default_rng(9))
    replay = initializers.HeNormal(seed=np.random.default_rng(9))
    first, second = draws((30, 20)), draws((30, 20))
    assert not np.array_equal(first, second)
    assert np.array_equal(first, replay((30, 20))) and np.array_equal(second, replay((30, 20)))


def test_values_do_not_depend_on_the_number_of_threads(monkeypatch):
    """Several random blocks, and a ragged last one: the block layout, not the threads, fixes the streams."""
    shape = (3 * initializers.kernels.BLOCK_SIZE + 17,)
    parallel = initializers.TruncatedNormal(seed=11)(shape)
    monkeypatch.setattr(runtime, "THREADS", 1)
    assert np.array_equal(initializers.TruncatedNormal(seed=11)(shape), parallel)


def test_fill_in_place_matches_a_new_array_and_returns_it():
    out = np.empty((25, 40), dtype=np.float64)
    initializer = initializers.LecunNormal(seed=2)
    assert initializer.fill(out) is out
    assert np.array_equal(out, initializer((25, 40), "float64"))


@pytest.mark.parametrize("dtype", ["float32", "float64", np.float32, np.dtype("float64")])
def test_dtypes(dtype):
    assert initializers.RandomUniform(seed=1)((4, 4), dtype).dtype == np.dtype(dtype)


def test_float32_is_the_float64_stream_rounded_once():
    """Both dtypes draw the same float64 variates; float32 rounds each value once (and its scalars too)."""
    single = initializers.RandomNormal(mean=0.25, stddev=2.0, seed=1)((1000,), "float32")
    double = initializers.RandomNormal(mean=0.25, stddev=2.0, seed=1)((1000,), "float64")
    assert np.array_equal(single, double.astype(np.float32))


def test_rank_zero_and_one_shapes_use_keras_fans():
    """Rank 0: fans (1, 1); rank 1: (n, n). HeUniform's limit is sqrt(6 / fan_in)."""
    assert initializers.HeUniform(seed=1)(()).shape == ()
    assert abs(float(initializers.HeUniform(seed=1)(()))) <= math.sqrt(6)
    assert np.abs(initializers.HeUniform(seed=1)((600,))).max() <= math.sqrt(6 / 600)


# ----------------------------------------------------------------- bad input, rejected before anything is written


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: initializers.RandomNormal(stddev=-0.1), ValueError, r"stddev must lie in \[0, inf\), got -0.1"),
        (lambda: initializers.TruncatedNormal(stddev=-1), ValueError, r"stddev must lie in .*got -1.0"),
        (lambda: initializers.TruncatedNormal(stddev=math.nan), ValueError, "stddev must lie in"),
        (lambda: initializers.RandomNormal(mean=math.inf), ValueError, r"mean must lie in \(-inf, inf\)"),
        (lambda: initializers.RandomNormal(stddev=True), TypeError, "stddev must be a number"),
        (lambda: initializers.RandomNormal(stddev="0.1"), TypeError, "stddev must be a number"),
        (
            lambda: initializers.RandomUniform(minval=0.5, maxval=0.1),
            ValueError,
            r"minval must not exceed maxval \(\(minval <= maxval\)\), got maxval=0.1, minval=0.5",
        ),
        (lambda: initializers.VarianceScaling(scale=0.0), ValueError, r"scale must lie in \(0, inf\), got 0.0"),
        (lambda: initializers.VarianceScaling(mode="fan_sum"), ValueError, "mode must be one of 'fan_in'.*'fan_sum'"),
        (
            lambda: initializers.VarianceScaling(distribution="gaussian"),
            ValueError,
            "distribution must be one of 'truncated_normal', 'untruncated_normal', 'uniform', 'normal'; got 'gaussian'",
        ),
        (lambda: initializers.HeNormal(seed=-1), ValueError, "seed must be None, a non-negative int"),
        (lambda: initializers.HeNormal(seed=1.5), ValueError, "seed must be None"),
        (lambda: initializers.HeNormal(seed=True), ValueError, "seed must be None"),
    ],
)
def test_bad_arguments_name_the_argument_and_the_value(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize(
    ("initializer", "shape", "error", "message"),
    [
        (initializers.GlorotUniform(seed=0), (3, 0), ValueError, r"every dimension .* at least 1, got shape \(3, 0\)"),
        (initializers.GlorotUniform(seed=0), (4, -2), ValueError, r"at least 1, got shape \(4, -2\)"),
        (initializers.Zeros(), (2.5, 3), TypeError, "shape must be a tuple of ints"),
        (initializers.Zeros(), "abc", TypeError, "shape must be a tuple of ints"),
        (initializers.Identity(), (2, 3, 4), ValueError, r"Identity needs .* rank exactly 2, got shape \(2, 3, 4\)"),
        (initializers.Identity(), (5,), ValueError, "Identity needs a shape of rank exactly 2"),
        (initializers.Orthogonal(seed=0), (5,), ValueError, r"Orthogonal needs .* rank at least 2, got shape \(5,\)"),
        (initializers.Orthogonal(seed=0), (), ValueError, "Orthogonal needs a shape of rank at least 2"),
    ],
)  # fmt: skip
def test_bad_shapes_are_rejected_before_anything_is_allocated(initializer, shape, error, message, monkeypatch):
    monkeypatch.setattr(np, "empty", _no_allocation)
    with pytest.raises(error, match=message):
        initializer(shape)


def _no_allocation(*args, **kwargs):
    raise AssertionError("allocated an array before rejecting the shape")


@pytest.mark.parametrize("dtype", ["int32", "float16", "complex128", "bogus"])
def test_bad_dtypes_are_rejected(dtype):
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        initializers.Ones()((2, 2), dtype)


def test_fill_rejects_bad_arrays_and_leaves_them_untouched():
    identity = initializers.Identity()
    cube = np.full((2, 3, 4), 9.0)
    with pytest.raises(ValueError, match="rank exactly 2"):
        identity.fill(cube)
    assert np.all(cube == 9.0)
    transposed = np.full((4, 6), 9.0).T
    with pytest.raises(ValueError, match="not C-contiguous"):
        identity.fill(transposed)
    assert np.all(transposed == 9.0)
    frozen = np.full((3, 3), 9.0)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        identity.fill(frozen)
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        identity.fill(np.zeros((3, 3), dtype=np.int64))
    with pytest.raises(TypeError, match=r"out must be a numpy\.ndarray"):
        identity.fill([[0.0]])
