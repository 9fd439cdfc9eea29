"""The Keras-style API of the generated initializers: spellings, lookup, config, seeds, dtypes and bad input.

Every initializer of the registry under test (``tests/helpers.py``) is covered. Its names, defaults, domains,
choices and ranks are the spec's declarations; independently, where a spec declares that another library has
the same method under the same argument names (a ``same=True`` counterpart without an argument mapping: Keras's
class for a Keras-convention spec, torch's function for a torch-convention one), the defaults are that
library's own, read off its signature.
"""

from __future__ import annotations

import inspect
import math
import os

import numpy as np
import pytest
import sympy

from codegen.language.common import admits
from codegen.load import load_registry
from codegen.lower.initializer import Resolved, resolve
from codegen.referee.initializer import draw
from codegen.referee.initializer_adapters import call_arguments, imported
from tests.helpers import SPECS_DIR, package, submodule_of

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
SPECS = {spec.name: spec for spec in load_registry(SPECS_DIR).initializers}
RESOLVED = [resolve(spec, SPECS) for _, spec in sorted(SPECS.items())]
RANDOM = [resolved for resolved in RESOLVED if resolved.random]
generated = package()
initializers = generated.initializers

# The parameters of a library's initializer that trainspec's classes do not have: the tensor torch fills and its
# random stream. (Keras's seed is trainspec's seed: its default is compared with the rest.)
PLUMBING = {"torch": {"tensor", "generator"}, "keras": set()}


def _name(resolved: Resolved) -> str:
    return resolved.spec.name


def cls_of(resolved: Resolved) -> type:
    return getattr(initializers, resolved.spec.name)


def named(name: str) -> type:
    """The class of a spec this test names on purpose; skipped where the registry under test lacks it."""
    if name not in SPECS:
        pytest.skip(f"the registry under test has no {name}")
    return getattr(initializers, name)


def drawn(resolved: Resolved, seed: int, **given) -> dict:
    """Arguments away from the defaults: each drawn from its typical range, each choice among its options."""
    return draw(resolved, cls_of(resolved), np.random.default_rng(seed), given)


def made(resolved: Resolved, **given) -> object:
    """An instance of the class: ``given`` arguments, the required ones at their example values."""
    return cls_of(resolved)(**(resolved.required_examples | given))


def seeded(resolved: Resolved, seed: int) -> dict:
    return {"seed": seed} if resolved.random else {}


def a_shape(resolved: Resolved, dimensions: tuple[int, ...] = (12, 9, 3, 2)) -> tuple[int, ...]:
    """A shape of rank 2, or the nearest rank the spec takes."""
    lowest, highest = resolved.ranks
    rank = max(lowest, 2 if highest is None else min(2, highest))
    return dimensions[:rank]


# ----------------------------------------------------------------- names, lookup, config


@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_every_initializer_exists_in_both_spellings(resolved):
    cls = cls_of(resolved)
    for name in (resolved.spec.name, resolved.spec.module_name):
        assert getattr(initializers, name) is cls and getattr(generated, name) is cls
        assert initializers.INITIALIZERS[name] is cls


def test_the_lookup_table_holds_the_registry_and_nothing_else():
    names = {name for spec in SPECS.values() for name in (spec.name, spec.module_name)}
    assert set(initializers.INITIALIZERS) == names


@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_defaults_are_the_specs(resolved):
    """The generated class's config at its defaults: the spec's declared defaults, and the runtime's own keys
    (seed for random initializers; Keras's input_axes and output_axes) all None."""
    config = made(resolved).get_config()
    declared = {h.argument: h.default for h in resolved.arguments} | resolved.required_examples
    declared |= {c.argument: c.default for c in resolved.choices}
    assert {name: config[name] for name in declared} == declared
    rest = {name: value for name, value in config.items() if name not in declared}
    assert set(rest) <= {"seed", "input_axes", "output_axes"} and set(rest.values()) <= {None}
    assert ("seed" in rest) == resolved.random


SAME_BY_NAME = [
    (resolved, counterpart)
    for resolved in RESOLVED
    for counterpart in resolved.spec.counterparts
    if counterpart.same and not counterpart.arguments
]


@pytest.mark.parametrize(
    ("resolved", "counterpart"), SAME_BY_NAME, ids=[f"{r.spec.name}-{c.name}" for r, c in SAME_BY_NAME]
)
def test_defaults_are_the_librarys(resolved, counterpart):
    """The library's signature takes the arguments and choices the spec passes it by name, and its defaults are the
    class's (seed, input_axes and output_axes included, where the library has them)."""
    pytest.importorskip(counterpart.library)
    parameters = inspect.signature(imported(counterpart)).parameters
    theirs = {name: p.default for name, p in parameters.items() if name not in PLUMBING[counterpart.library]}
    names = [h.argument for h in resolved.arguments] + [c.argument for c in resolved.choices]
    assert set(call_arguments(resolved, counterpart, dict.fromkeys(names))) <= set(theirs)
    config = made(resolved).get_config()
    shared = set(theirs) & set(config)
    assert {name: config[name] for name in shared} == {name: theirs[name] for name in shared}


@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_get_by_either_name_builds_a_default_instance(resolved):
    """Or, for a class with a required argument, says which and how to give it."""
    for identifier in (resolved.spec.name, resolved.spec.module_name, cls_of(resolved)):
        if resolved.required_examples:
            message = rf"{resolved.spec.name} has no default for {next(iter(resolved.required_examples))}; build it as"
            with pytest.raises(TypeError, match=message):
                initializers.get(identifier)
        else:
            assert type(initializers.get(identifier)) is cls_of(resolved)


@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_get_passes_through_none_and_instances(resolved):
    instance = made(resolved, **drawn(resolved, 1))
    assert initializers.get(None) is None
    assert initializers.get(instance) is instance


def test_get_rejects_unknown_names_listing_the_known_ones():
    known = sorted(SPECS.values(), key=lambda spec: spec.name)[0].module_name
    with pytest.raises(ValueError, match=rf"unknown initializer '{known}m'.*{known}"):
        initializers.get(f"{known}m")
    with pytest.raises(ValueError, match="cannot interpret"):
        initializers.get(3.5)


@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_config_round_trips_to_an_initializer_that_fills_the_same_values(resolved):
    cls, shape = cls_of(resolved), a_shape(resolved)
    initializer = cls(**drawn(resolved, 2), **seeded(resolved, 3))
    rebuilt = cls.from_config(initializer.get_config())
    assert rebuilt.get_config() == initializer.get_config()
    serialized = initializers.deserialize(initializers.serialize(initializer))
    assert serialized.get_config() == initializer.get_config()
    assert np.array_equal(rebuilt(shape), initializer(shape))
    assert np.array_equal(serialized(shape), initializer(shape))


ALIASES = [
    (resolved, choice.argument, alias, option)
    for resolved in RESOLVED
    for choice in resolved.choices
    for alias, option in choice.aliases
]


@pytest.mark.parametrize(
    ("resolved", "choice", "alias", "option"), ALIASES, ids=[f"{r.spec.name}-{c}={a}" for r, c, a, _ in ALIASES]
)
def test_an_alias_is_its_option(resolved, choice, alias, option):
    cls, shape = cls_of(resolved), a_shape(resolved, (40, 30, 3, 2))
    arguments = drawn(resolved, 4, **{choice: option})
    spelled = cls(**{**arguments, choice: alias}, **seeded(resolved, 1))
    assert spelled.get_config()[choice] == option
    assert np.array_equal(spelled(shape), cls(**arguments, **seeded(resolved, 1))(shape))


@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_arguments_read_as_attributes(resolved):
    arguments = drawn(resolved, 5)
    initializer = made(resolved, **arguments, **seeded(resolved, 1))
    assert {name: getattr(initializer, name) for name in arguments} == arguments
    if resolved.random:
        assert initializer.seed == 1


# ----------------------------------------------------------------- seeds


@pytest.mark.parametrize("resolved", RANDOM, ids=_name)
def test_an_int_seed_gives_the_same_array_at_every_call_and_on_every_instance(resolved):
    cls, shape = cls_of(resolved), a_shape(resolved, (64, 32, 3, 2))
    arguments = drawn(resolved, 6)
    first = cls(**arguments, seed=42)
    assert np.array_equal(first(shape), first(shape))
    assert np.array_equal(first(shape), cls(**arguments, seed=42)(shape))
    assert not np.array_equal(first(shape), cls(**arguments, seed=43)(shape))


@pytest.mark.parametrize("resolved", RANDOM, ids=_name)
def test_no_seed_repeats_within_an_instance_and_differs_between_instances(resolved):
    """Keras 3: an unseeded initializer draws its seed once, when it is built."""
    shape = a_shape(resolved, (50, 10, 3, 2))
    one, two = made(resolved), made(resolved)
    assert np.array_equal(one(shape), one(shape))
    assert not np.array_equal(one(shape), two(shape))
    assert one.get_config()["seed"] is None


@pytest.mark.parametrize("resolved", RANDOM, ids=_name)
def test_a_generator_seed_gives_new_values_at_every_call_reproducibly(resolved):
    """The counterpart of Keras's SeedGenerator: stateful, and reproducible from its own seed."""
    shape = a_shape(resolved, (30, 20, 3, 2))
    draws, replay = (made(resolved, seed=np.random.default_rng(9)) for _ in range(2))
    first, second = draws(shape), draws(shape)
    assert not np.array_equal(first, second)
    assert np.array_equal(first, replay(shape)) and np.array_equal(second, replay(shape))


@pytest.mark.parametrize("resolved", RANDOM, ids=_name)
def test_values_do_not_depend_on_the_number_of_threads(resolved, monkeypatch):
    """Several random blocks, and a ragged last one: the block layout, not the threads, fixes the streams."""
    cls = cls_of(resolved)
    shape = a_shape(resolved, (3 * cls.block_size + 17, 1, 1, 1))
    parallel = made(resolved, seed=11)(shape)
    monkeypatch.setattr(submodule_of("runtime.initializer"), "THREADS", 1)
    assert np.array_equal(made(resolved, seed=11)(shape), parallel)


@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_fill_in_place_matches_a_new_array_and_returns_it(resolved):
    shape = a_shape(resolved, (25, 40, 3, 2))
    out = np.empty(shape, dtype=np.float64)
    initializer = made(resolved, **drawn(resolved, 7), **seeded(resolved, 2))
    assert initializer.fill(out) is out
    assert np.array_equal(out, initializer(shape, "float64"))


@pytest.mark.parametrize("dtype", ["float32", "float64", np.float32, np.dtype("float64")])
@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_dtypes(resolved, dtype):
    values = made(resolved, **seeded(resolved, 1))(a_shape(resolved, (4, 4, 2, 2)), dtype)
    assert values.dtype == np.dtype(dtype)


def test_float32_is_the_float64_stream_rounded_once():
    """Both dtypes draw the same float64 variates; float32 rounds each value once (and its scalars too, here exact
    in float32)."""
    random_normal = named("RandomNormal")
    single = random_normal(mean=0.25, stddev=2.0, seed=1)((1000,), "float32")
    double = random_normal(mean=0.25, stddev=2.0, seed=1)((1000,), "float64")
    assert np.array_equal(single, double.astype(np.float32))


def test_rank_zero_and_one_shapes_use_keras_fans():
    """Rank 0: fans (1, 1); rank 1: (n, n). HeUniform's limit is sqrt(6 / fan_in) (keras/src/initializers/
    random_initializers.py: compute_fans and HeUniform)."""
    he_uniform = named("HeUniform")
    assert he_uniform(seed=1)(()).shape == ()
    assert abs(float(he_uniform(seed=1)(()))) <= math.sqrt(6)
    assert np.abs(he_uniform(seed=1)((600,))).max() <= math.sqrt(6 / 600)


# ----------------------------------------------------------------- bad input, rejected before anything is written


def _outside(domain: sympy.Set) -> list[float]:
    """Values outside an argument's domain: infinities, NaN, and beyond each finite end."""
    candidates = [math.inf, -math.inf]
    candidates += [float(end) + step for end, step in ((domain.inf, -1.0), (domain.sup, 1.0)) if end.is_finite]
    if isinstance(domain, sympy.Range):  # whole numbers only
        candidates.append(float(domain.inf) + 0.5)
    return [math.nan] + [value for value in candidates if not admits(domain, value)]


ARGUMENTS = [(resolved, h) for resolved in RESOLVED for h in resolved.arguments]


@pytest.mark.parametrize(("resolved", "h"), ARGUMENTS, ids=[f"{r.spec.name}-{h.argument}" for r, h in ARGUMENTS])
def test_arguments_outside_their_domain_are_refused_by_name(resolved, h):
    for value in _outside(h.domain):
        with pytest.raises(ValueError, match=rf"{h.argument} must lie in .*got {value!r}"):
            made(resolved, **{h.argument: value})
    for value in (True, "0.1", None):
        with pytest.raises(TypeError, match=f"{h.argument} must be a number"):
            made(resolved, **{h.argument: value})


CHOICES = [(resolved, choice) for resolved in RESOLVED for choice in resolved.choices]


@pytest.mark.parametrize(("resolved", "choice"), CHOICES, ids=[f"{r.spec.name}-{c.argument}" for r, c in CHOICES])
def test_unknown_options_are_refused_listing_the_known_ones(resolved, choice):
    accepted = ", ".join(repr(option) for option in (*choice.options, *dict(choice.aliases)))
    with pytest.raises(ValueError, match=rf"{choice.argument} must be one of {accepted}; got 'bogus'"):
        made(resolved, **{choice.argument: "bogus"})


@pytest.mark.parametrize("seed", [-1, 1.5, True, "1"])
@pytest.mark.parametrize("resolved", RANDOM, ids=_name)
def test_bad_seeds_are_refused(resolved, seed):
    with pytest.raises(ValueError, match=r"seed must be None, a non-negative int or a numpy\.random\.Generator"):
        made(resolved, seed=seed)


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("RandomNormal", {"stddev": -0.1}, r"stddev must lie in \[0, inf\), got -0.1"),
        (
            "RandomUniform",
            {"minval": 0.5, "maxval": 0.1},
            r"minval must not exceed maxval \(minval <= maxval\), got maxval=0.1, minval=0.5",
        ),
        (
            "VarianceScaling",
            {"distribution": "gaussian"},
            "distribution must be one of 'truncated_normal', 'untruncated_normal', 'uniform', 'normal'; got 'gaussian'",
        ),
    ],
)
def test_messages_name_the_argument_the_value_and_the_rule(name, arguments, message):
    """Keras's spellings of the rules (keras/src/initializers/random_initializers.py), in full."""
    with pytest.raises(ValueError, match=message):
        named(name)(**arguments)


def _bad_shapes(resolved: Resolved) -> list[tuple[object, type, str]]:
    """Shapes every initializer refuses, and those outside the ranks its spec declares: (shape, error, message)."""
    name, (lowest, highest) = resolved.spec.name, resolved.ranks
    bad = [
        ((3, 0), ValueError, r"every dimension .* at least 1, got shape \(3, 0\)"),
        ((4, -2), ValueError, r"at least 1, got shape \(4, -2\)"),
        ((2.5, 3), TypeError, "shape must be a tuple of ints"),
        ("abc", TypeError, "shape must be a tuple of ints"),
    ]
    wanted = f"exactly {lowest}" if lowest == highest else f"at least {lowest}"
    if lowest > 0:
        bad.append(((5,) * (lowest - 1), ValueError, rf"{name} needs a shape of rank {wanted}"))
    if highest is not None:
        bad.append(((2,) * (highest + 1), ValueError, rf"{name} needs a shape of rank {wanted}"))
    return bad


@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_bad_shapes_are_rejected_before_anything_is_allocated(resolved, monkeypatch):
    initializer = made(resolved, **seeded(resolved, 0))
    monkeypatch.setattr(np, "empty", _no_allocation)
    for shape, error, message in _bad_shapes(resolved):
        with pytest.raises(error, match=message):
            initializer(shape)


def _no_allocation(*args, **kwargs):
    raise AssertionError("allocated an array before rejecting the shape")


@pytest.mark.parametrize("dtype", ["int32", "float16", "complex128", "bogus"])
@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_bad_dtypes_are_rejected(resolved, dtype):
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        made(resolved, **seeded(resolved, 0))(a_shape(resolved), dtype)


@pytest.mark.parametrize("resolved", RESOLVED, ids=_name)
def test_fill_rejects_bad_arrays_and_leaves_them_untouched(resolved):
    initializer = made(resolved, **seeded(resolved, 0))
    shape = a_shape(resolved, (4, 6, 3, 2))
    bad = [
        (np.full((*shape[:-1], 2 * shape[-1]), 9.0)[..., ::2], ValueError, "not C-contiguous"),
        (np.full(shape, 9.0), ValueError, "read-only"),
        (np.full(shape, 9, dtype=np.int64), TypeError, "dtype must be float32 or float64"),
    ]
    bad[1][0].flags.writeable = False
    if resolved.ranks[0] > 0:
        bad.append((np.full((5,) * (resolved.ranks[0] - 1), 9.0), ValueError, "needs a shape of rank"))
    for out, error, message in bad:
        with pytest.raises(error, match=message):
            initializer.fill(out)
        assert np.all(out == 9)
    with pytest.raises(TypeError, match=r"out must be a numpy\.ndarray"):
        initializer.fill([[0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("value", [2.5, 0.0, -0.0, np.nan, np.inf], ids=["2.5", "0", "-0", "nan", "inf"])
def test_the_streaming_fill_writes_exactly_its_stretch_of_the_array(dtype, value) -> None:
    """Every length around the 32-byte vector and every misalignment: the stretch holds the value bit for bit
    (-0.0 keeps its sign, so it cannot take the memset path), and the elements around it are untouched."""
    fill_stream = submodule_of("runtime.streaming").fill_stream
    expected = np.array([value], dtype)
    for size in (0, 1, 3, 7, 8, 9, 16, 33, 1000):
        for offset in range(4):
            array = np.full(size + offset + 5, 7, dtype)
            fill_stream(array[offset : offset + size], expected[0])
            stretch = array[offset : offset + size]
            assert (stretch.view(np.uint8).reshape(size, expected.itemsize) == expected.view(np.uint8)).all()
            assert (array[:offset] == 7).all() and (array[offset + size :] == 7).all(), (size, offset)
