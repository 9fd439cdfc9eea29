"""The Keras-style API of every generated optimizer class: arguments, config, state, input checks, base options.

Every spec of the registry under test is covered, its class taken from the package under test (``helpers``).
Expected arguments come from the spec's declarations: the generated signature must be exactly them, and, for a
spec that declares a counterpart computing its formula (``same=True``), the real library's own defaults, read from
its signature through the declared argument mapping, must be the spec's too. Clipping and weight decay follow
Keras (keras/src/optimizers/base_optimizer.py: ``_clip_gradients``, then ``_apply_weight_decay``, then the step).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import SPECS_DIR, package, submodule_of
from optimizer_cases import all_cases, arguments

from codegen.language.optimizer import Counterpart, OptimizerSpec
from codegen.load import load_registry
from codegen.lower.relations import select_variant
from codegen.referee import optimizer_adapters as adapters
from codegen.referee.optimizer import Problem, interpret, meet_constraints, typical_point

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
SPECS = load_registry(SPECS_DIR).optimizers
SPEC_OF = {spec.name: spec for spec in SPECS}
trainspec = package()
multi_tensor = submodule_of("runtime.multi_tensor")
CLASSES = [trainspec.OPTIMIZERS[spec.name] for spec in SPECS]

# Keras's base options, in Keras's order, after a Keras 3 class's own arguments (keras.optimizers.Optimizer).
KERAS_BASE_OPTIONS = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


def _spec(cls: type) -> OptimizerSpec:
    return SPEC_OF[cls.__name__]


def _class_or_skip(name: str) -> type:
    """The class of a spec a test checks on purpose; the test skips where the registry has no such spec."""
    if name not in SPEC_OF:
        pytest.skip(f"{name} is not registered")
    return trainspec.OPTIMIZERS[name]


def own_arguments(spec: OptimizerSpec) -> dict[str, object]:
    """The spec's own arguments with their defaults, in order: its hyperparameters, then its flags."""
    arguments: dict[str, object] = {h.argument: h.default for h in spec.hyperparameters}
    arguments.update({option.argument: option.default for option in spec.options if option.kind == "flag"})
    return arguments


def declared_arguments(spec: OptimizerSpec) -> dict[str, object]:
    """The constructor arguments the spec declares, in order, with their defaults: its own, then Keras's base
    options (a Keras 3 spec; ``weight_decay`` defaults to the spec's own default) and a name."""
    arguments = own_arguments(spec)
    if spec.base_options == "keras":
        arguments.update(dict.fromkeys(KERAS_BASE_OPTIONS))
        arguments["weight_decay"] = spec.weight_decay_default
    return {**arguments, "name": None}


def changed_arguments(spec: OptimizerSpec) -> dict[str, object]:
    """Every own argument of the spec away from its default, in signature order: flags on, each value at a point of
    its typical range that is neither its default nor the value that switches its option off. Then the values a
    constraint demands (PyTorch's Nesterov momentum: no dampening) are set exactly. The richest variant runs, and a
    misplaced positional argument shows."""
    off = {option.argument: option.off_value for option in spec.options if option.kind != "flag"}
    changed: dict[str, object] = {}
    for argument, default in own_arguments(spec).items():
        if isinstance(default, bool):
            changed[argument] = True
            continue
        points = (typical_point(spec.hyperparameter(argument), fraction) for fraction in (1 / 3, 2 / 3))
        changed[argument] = next(p for p in points if p not in (default, off.get(argument)))
    return meet_constraints(spec, changed)


def _base_options_on(spec: OptimizerSpec) -> dict:
    """The Keras base options turned on, for the specs that take them (the others have none)."""
    return {"weight_decay": 0.01, "clipnorm": 1.0} if spec.base_options == "keras" else {}


CONFIGS: dict[str, Callable[[OptimizerSpec], dict]] = {
    "defaults": lambda spec: {},
    "all options on": lambda spec: {**changed_arguments(spec), **_base_options_on(spec)},
}

SHAPES = ((3, 4), (5,), ())


def _class_id(cls: type) -> str:
    return cls.__name__


def _arrays(seed: int, dtype: type = np.float64, shapes: tuple = SHAPES) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def _gradient_stream(steps: int, dtype: type = np.float64) -> list[list[np.ndarray]]:
    return [_arrays(100 + step, dtype) for step in range(steps)]


def _copies(arrays: list[np.ndarray]) -> list[np.ndarray]:
    return [a.copy() for a in arrays]


def _same_arrays(first: list[np.ndarray], second: list[np.ndarray]) -> bool:
    return len(first) == len(second) and all(
        a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
        for a, b in zip(first, second)
    )


def _same_state(first: dict, second: dict) -> bool:
    """Two ``get_state()`` results hold the same values, arrays compared bit for bit."""
    if {k: v for k, v in first.items() if k != "slots"} != {k: v for k, v in second.items() if k != "slots"}:
        return False
    if first["slots"] is None or second["slots"] is None:
        return first["slots"] is second["slots"]
    return len(first["slots"]) == len(second["slots"]) and all(
        a.keys() == b.keys() and _same_arrays([a[k] for k in a], [b[k] for k in a])
        for a, b in zip(first["slots"], second["slots"])
    )


# ----------------------------------------------------------------------------------- arguments


def test_the_package_has_one_class_per_spec() -> None:
    assert sorted({cls.__name__ for cls in trainspec.OPTIMIZERS.values()}) == sorted(SPEC_OF)


@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_keras_base_options_exactly_for_the_keras_3_specs(cls: type) -> None:
    """The Keras 3 classes take the base options; the PyTorch and legacy tf.keras ones do not (their specs)."""
    assert cls.keras_base_options == (_spec(cls).base_options == "keras")


@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_argument_names_order_and_defaults_are_the_specs(cls: type) -> None:
    parameters = inspect.signature(cls).parameters
    expected = declared_arguments(_spec(cls))
    assert list(parameters) == list(expected)
    for argument, default in expected.items():
        actual = parameters[argument].default
        assert actual == default and type(actual) is type(default), f"{argument}: {actual!r}, expected {default!r}"
    config = cls().get_config()
    assert {k: config[k] for k in expected if k != "name"} == {k: v for k, v in expected.items() if k != "name"}


def _defaults(spec: OptimizerSpec) -> dict[str, object]:
    """The spec's defaults by argument name, Keras's base weight_decay included where the spec sets it."""
    return {name: default for name, default in declared_arguments(spec).items() if default is not None}


SAME_COUNTERPARTS = [(spec, counterpart) for spec in SPECS for counterpart in spec.counterparts if counterpart.same]


def _counterpart_id(value: object) -> str:
    return value.name if isinstance(value, (OptimizerSpec, Counterpart)) else str(value)


@pytest.mark.parametrize(("spec", "counterpart"), SAME_COUNTERPARTS, ids=_counterpart_id)
def test_a_counterpart_computing_the_spec_takes_every_argument(spec: OptimizerSpec, counterpart) -> None:
    """The mapping names every argument and flag (or pins it): none is left at a library default unseen."""
    taken = adapters.read_arguments(counterpart, spec) | {name for name, _ in counterpart.requires}
    assert taken == {*adapters.scalar_arguments(spec), *adapters.flags(spec)}


@pytest.mark.parametrize(("spec", "counterpart"), SAME_COUNTERPARTS, ids=_counterpart_id)
def test_library_defaults_are_the_spec_defaults(spec: OptimizerSpec, counterpart) -> None:
    """The library's own defaults, read from its signature and taken through the declared mapping, are the spec's:
    a counterpart computing the spec's formula is the same convention, defaults included. An argument the library
    requires (Optax's learning_rate) has no default to agree with: the spec's is its own, and a library that
    requires every argument (optax.sign_sgd) is skipped. A library default None agrees with a spec default that
    switches the same feature off (optax.sgd's momentum). A default the spec declares broken is left out."""
    pytest.importorskip(counterpart.library)
    parameters = inspect.signature(adapters.imported(counterpart)).parameters
    expected = adapters.call_arguments(counterpart, spec, _defaults(spec))
    assert set(expected) <= set(parameters), f"{counterpart.name} takes no {sorted(set(expected) - set(parameters))}"
    defaulted = {keyword for keyword in expected if parameters[keyword].default is not inspect.Parameter.empty}
    defaulted -= set(counterpart.broken_defaults)
    if not defaulted:
        pytest.skip(f"{counterpart.name} requires every argument it takes: no default to compare")
    switched_off = _off_by_none(spec, counterpart, {keyword: parameters[keyword].default for keyword in defaulted})
    defaulted -= switched_off
    assert {keyword: parameters[keyword].default for keyword in defaulted} == {k: expected[k] for k in defaulted}


BROKEN_DEFAULTS = [(spec, counterpart) for spec, counterpart in SAME_COUNTERPARTS if counterpart.broken_defaults]


@pytest.mark.parametrize(("spec", "counterpart"), BROKEN_DEFAULTS, ids=_counterpart_id)
def test_a_default_declared_broken_is_broken(spec: OptimizerSpec, counterpart) -> None:
    """A library default the spec declares broken gives another first step than the spec's default (measured here,
    so that a fixed library turns this red): the library with those arguments left out, the rest as mapped. The
    control: with them passed, the same step, to within float64 rounding of the step (relative 1e-9)."""
    pytest.importorskip(counterpart.library)
    keywords = adapters.call_arguments(counterpart, spec, _defaults(spec))
    left = {keyword: value for keyword, value in keywords.items() if keyword not in counterpart.broken_defaults}
    start, grads = _arrays(1), _gradient_stream(1)[0]
    expected = _copies(start)
    _class_or_skip(spec.name)().apply(grads, expected)
    for given, same in ((keywords, True), (left, False)):
        params = _copies(start)
        adapters.library_stepper(counterpart, given)(params, grads, 1)
        steps = [(p - s, e - s) for p, e, s in zip(params, expected, start)]
        close = all(np.allclose(taken, wanted, rtol=1e-9, atol=0) for taken, wanted in steps)
        assert close == same, (
            f"{counterpart.name} with {sorted(given)}: the first step {'differs' if same else 'agrees'}"
        )


def _off_by_none(spec: OptimizerSpec, counterpart, defaults: dict) -> set[str]:
    """The keywords whose library default None means the feature is off (optax.sgd's momentum=None), where the
    spec's default switches the same feature off (its momentum 0): they agree."""
    arguments = {h.symbol: h for h in spec.hyperparameters}
    options = {option.argument: option for option in spec.options if option.kind != "flag"}
    agreeing = set()
    for keyword, declaration in adapters.mapping(counterpart, spec).items():
        hyperparameter = arguments.get(declaration)
        option = options.get(hyperparameter.argument) if hyperparameter else None
        if defaults.get(keyword, 0) is None and option and hyperparameter.default == option.off_value:
            agreeing.add(keyword)
    return agreeing


@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_positional_arguments_follow_keras_order(cls: type) -> None:
    changed = changed_arguments(_spec(cls))
    config = cls(*changed.values()).get_config()
    assert {k: config[k] for k in changed} == changed


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_config_round_trip(cls: type, config: str) -> None:
    optimizer = cls(**CONFIGS[config](_spec(cls)), name="mine")
    saved = optimizer.get_config()
    assert json.loads(json.dumps(saved)) == saved, "a config must survive JSON, as Keras configs do"
    copy = cls.from_config(json.loads(json.dumps(saved)))
    assert type(copy) is cls and copy.get_config() == saved
    assert copy.variant is optimizer.variant
    params, copy_params = _arrays(1), _arrays(1)
    for grads in _gradient_stream(3):
        optimizer.apply(grads, params)
        copy.apply(grads, copy_params)
    assert _same_arrays(params, copy_params)


@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_a_rate_set_between_steps_is_the_rate_of_the_next(cls: type) -> None:
    """``optimizer.learning_rate = value`` (a controller's rate after an epoch), as Keras allows: the steps from then
    on are those of an optimizer built with that rate and given the same state; a rate outside the domain is refused
    and changes nothing."""
    arguments = CONFIGS["defaults"](_spec(cls))
    rate = cls(**arguments).learning_rate
    optimizer, params = cls(**arguments), _arrays(1)
    grads = _gradient_stream(4)
    for step_grads in grads[:2]:
        optimizer.apply(step_grads, params)
    optimizer.learning_rate = rate / 2
    with pytest.raises(ValueError, match="learning_rate must lie in"):
        optimizer.learning_rate = -1.0
    assert optimizer.learning_rate == rate / 2
    reference = cls(**{**arguments, "learning_rate": rate / 2})
    reference_params = _copies(params)
    reference.build(reference_params)
    reference.set_state(optimizer.get_state())
    for step_grads in grads[2:]:
        optimizer.apply(step_grads, params)
        reference.apply(step_grads, reference_params)
    assert _same_arrays(params, reference_params)


def test_a_rate_cannot_be_set_on_an_optimizer_built_with_a_schedule() -> None:
    cls = _class_or_skip("SGD")
    optimizer = cls(learning_rate=trainspec.schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="was built with the schedule ExponentialDecay"):
        optimizer.learning_rate = 0.05
    assert optimizer.learning_rate == 0.1


# ----------------------------------------------------------------------------------- state


def _run(optimizer: object, params: list[np.ndarray], grads_stream: list[list[np.ndarray]]) -> None:
    for grads in grads_stream:
        optimizer.apply(grads, params)


def _resume_case(cls: type, config: str, dtype: type) -> tuple:
    """N steps, a checkpoint, M more steps: the trajectory a restored optimizer must reproduce."""
    stream = _gradient_stream(7, dtype)
    before, after = stream[:3], stream[3:]
    optimizer = cls(**CONFIGS[config](_spec(cls)))
    params = _arrays(1, dtype)
    _run(optimizer, params, before)
    checkpoint = optimizer.get_state()
    checkpoint_params = _copies(params)
    _run(optimizer, params, after)
    return optimizer, checkpoint, checkpoint_params, after, params


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_get_state_set_state_resumes_bit_exactly(cls: type, config: str, dtype: type) -> None:
    optimizer, checkpoint, checkpoint_params, after, final_params = _resume_case(cls, config, dtype)

    resumed = cls.from_config(optimizer.get_config())
    resumed.set_state(checkpoint)
    params = _copies(checkpoint_params)
    _run(resumed, params, after)

    assert _same_arrays(params, final_params)
    assert _same_state(resumed.get_state(), optimizer.get_state())
    if checkpoint["slots"][0] or checkpoint["optimizer_state"]:
        # The check can fail: without the restored state the same steps land elsewhere.
        fresh = cls.from_config(optimizer.get_config())
        params = _copies(checkpoint_params)
        _run(fresh, params, after)
        assert not _same_arrays(params, final_params)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_save_state_load_state_resumes_bit_exactly(cls: type, config: str, tmp_path: Path) -> None:
    stream = _gradient_stream(7)
    optimizer = cls(**CONFIGS[config](_spec(cls)))
    params = _arrays(1)
    _run(optimizer, params, stream[:3])
    optimizer.save_state(tmp_path / "state.npz")
    checkpoint_params = _copies(params)
    _run(optimizer, params, stream[3:])

    resumed = cls.from_config(optimizer.get_config())
    resumed.load_state(tmp_path / "state.npz")
    _run(resumed, checkpoint_params, stream[3:])

    assert _same_arrays(checkpoint_params, params)
    assert _same_state(resumed.get_state(), optimizer.get_state())


@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_state_of_an_unbuilt_optimizer_round_trips(cls: type, tmp_path: Path) -> None:
    optimizer = cls()
    optimizer.save_state(tmp_path / "empty.npz")
    resumed = cls()
    resumed.load_state(tmp_path / "empty.npz")
    assert _same_state(resumed.get_state(), optimizer.get_state())
    params, expected = _arrays(1), _arrays(1)
    resumed.apply(_arrays(2), params)
    cls().apply(_arrays(2), expected)
    assert _same_arrays(params, expected)


def test_nadam_momentum_product_is_saved_and_restored(tmp_path: Path) -> None:
    """Nadam's product of momenta is one scalar for the whole optimizer, not per parameter."""
    nadam = _class_or_skip("Nadam")
    optimizer, checkpoint, checkpoint_params, after, final_params = _resume_case(nadam, "defaults", np.float64)
    product = checkpoint["optimizer_state"]["momentum_product"]
    # Π_3 = μ_1 μ_2 μ_3 with μ_t = β1 (1 − ½·0.96^t) (keras/src/optimizers/nadam.py), from the default β1 = 0.9.
    expected = math.prod(0.9 * (1 - 0.5 * 0.96**t) for t in (1, 2, 3))
    assert product == pytest.approx(expected, rel=1e-14)

    optimizer.set_state(checkpoint)
    optimizer.save_state(tmp_path / "nadam.npz")
    restored = nadam()
    restored.load_state(tmp_path / "nadam.npz")
    assert restored.get_state()["optimizer_state"]["momentum_product"] == product
    params = _copies(checkpoint_params)
    _run(restored, params, after)
    assert _same_arrays(params, final_params)

    # Everything restored but the product (reset to its start, 1): the trajectory differs.
    forgetful = nadam()
    forgetful.set_state({**checkpoint, "optimizer_state": {"momentum_product": 1.0}})
    params = _copies(checkpoint_params)
    _run(forgetful, params, after)
    assert not _same_arrays(params, final_params)


@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_get_state_is_a_copy(cls: type) -> None:
    optimizer = cls(**CONFIGS["all options on"](_spec(cls)))
    params = _arrays(1)
    optimizer.apply(_arrays(2), params)
    state = optimizer.get_state()
    if not state["slots"][0]:
        pytest.skip(f"{optimizer.variant.name} keeps no per-parameter state")
    kept = {name: array.copy() for name, array in state["slots"][0].items()}
    optimizer.apply(_arrays(3), params)
    assert all(np.array_equal(state["slots"][0][name], kept[name]) for name in kept)


# ------------------------------------------------------------------------------ bad input


def _snapshot(optimizer: object, *lists: list[np.ndarray]) -> tuple:
    return optimizer.get_state(), [_copies(arrays) for arrays in lists]


def _assert_untouched(optimizer: object, snapshot: tuple, *lists: list[np.ndarray]) -> None:
    state, arrays = snapshot
    assert _same_state(optimizer.get_state(), state), "the optimizer's state changed"
    for before, now in zip(arrays, lists):
        assert _same_arrays(now, before), "an array changed"


def _transposed(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array.T).T


def _strided(array: np.ndarray) -> np.ndarray:
    wide = np.zeros((*array.shape[:-1], 2 * array.shape[-1]), array.dtype)
    wide[..., ::2] = array
    return wide[..., ::2]


def _read_only(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.flags.writeable = False
    return array


# Each case turns valid (grads, params) into invalid ones at position i, the first or second of
# three parameters: with the bad entry second, a check done array by array would already have
# updated the first, which the test would see.
BAD_INPUTS: dict[str, tuple[Callable, type, str]] = {
    "one gradient too few": (lambda g, p, i: (g[:-1], p), ValueError, r"got 2 gradients for 3 parameters"),
    "gradient of the wrong shape": (
        lambda g, p, i: (_replace(g, i, np.zeros(g[i].size + 1)), p),
        ValueError,
        r"grads\[{i}\] has shape \(13,\) but params\[{i}\] has shape \(3, 4\)",
    ),
    "integer parameter": (
        lambda g, p, i: (_replace(g, i, g[i].astype(np.int64)), _replace(p, i, p[i].astype(np.int64))),
        TypeError,
        r"params\[{i}\] has dtype int64",
    ),
    "float16 parameter": (
        lambda g, p, i: (_replace(g, i, g[i].astype(np.float16)), _replace(p, i, p[i].astype(np.float16))),
        TypeError,
        r"params\[{i}\] has dtype float16",
    ),
    "integer gradient": (
        lambda g, p, i: (_replace(g, i, g[i].astype(np.int32)), p),
        TypeError,
        r"grads\[{i}\] has dtype int32",
    ),
    "gradient dtype differs from the parameter's": (
        lambda g, p, i: (_replace(g, i, g[i].astype(np.float32)), p),
        TypeError,
        r"grads\[{i}\] has dtype float32 but params\[{i}\] has dtype float64",
    ),
    "transposed parameter": (
        lambda g, p, i: (g, _replace(p, i, _transposed(p[i]))),
        ValueError,
        r"params\[{i}\] is not C-contiguous",
    ),
    "strided parameter": (
        lambda g, p, i: (g, _replace(p, i, _strided(p[i]))),
        ValueError,
        r"params\[{i}\] is not C-contiguous",
    ),
    "transposed gradient": (
        lambda g, p, i: (_replace(g, i, _transposed(g[i])), p),
        ValueError,
        r"grads\[{i}\] is not C-contiguous",
    ),
    "strided gradient": (
        lambda g, p, i: (_replace(g, i, _strided(g[i])), p),
        ValueError,
        r"grads\[{i}\] is not C-contiguous",
    ),
    "read-only parameter": (
        lambda g, p, i: (g, _replace(p, i, _read_only(p[i]))),
        ValueError,
        r"params\[{i}\] is read-only",
    ),
    "a list instead of an array": (
        lambda g, p, i: (_replace(g, i, g[i].tolist()), p),
        TypeError,
        r"grads\[{i}\] must be a numpy.ndarray, got list",
    ),
    # [p1, p1, p2] or [p0, p0, p2]: either way the repeat is params[1].
    "the same parameter twice": (
        lambda g, p, i: (g, _replace(p, i, p[1 - i])),
        ValueError,
        r"params\[1\] is the same array as params\[0\]",
    ),
}


def _replace(arrays: list, index: int, value: object) -> list:
    arrays = list(arrays)
    arrays[index] = value
    return arrays


def _valid_step(cls: type, steps_before: int) -> tuple:
    optimizer = cls()
    params = _arrays(1, shapes=((3, 4), (3, 4), (5,)))
    for step in range(steps_before):
        optimizer.apply(_arrays(10 + step, shapes=((3, 4), (3, 4), (5,))), params)
    return optimizer, _arrays(20, shapes=((3, 4), (3, 4), (5,))), params


@pytest.mark.parametrize("position", [0, 1], ids=["bad first", "bad second"])
@pytest.mark.parametrize("built", [False, True], ids=["fresh", "after 2 steps"])
@pytest.mark.parametrize("case", BAD_INPUTS, ids=str)
@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_bad_input_raises_and_changes_nothing(cls: type, case: str, built: bool, position: int) -> None:
    make_bad, error, message = BAD_INPUTS[case]
    optimizer, grads, params = _valid_step(cls, 2 if built else 0)
    bad_grads, bad_params = make_bad(grads, params, position)
    arrays = [[a for a in bad_grads if isinstance(a, np.ndarray)], bad_params, grads, params]
    snapshot = _snapshot(optimizer, *arrays)

    with pytest.raises(error, match=message.format(i=position)):
        optimizer.apply(bad_grads, bad_params)

    _assert_untouched(optimizer, snapshot, *arrays)
    assert optimizer.iterations == (2 if built else 0)
    optimizer.apply(grads, params)  # and it still works afterwards, as one that never saw the bad input
    twin, twin_grads, twin_params = _valid_step(cls, 2 if built else 0)
    twin.apply(twin_grads, twin_params)
    assert optimizer.iterations == twin.iterations == (3 if built else 1)
    assert _same_arrays(params, twin_params)


MISMATCHES = {
    "fewer parameters": (lambda arrays: arrays[:2], "built for 3 parameters, got 2"),
    "other shapes": (lambda arrays: [a.reshape(4, 3) for a in arrays[:2]] + arrays[2:], r"state '\w+' was built"),
    "other dtype": (lambda arrays: [a.astype(np.float32) for a in arrays], r"state '\w+' was built"),
}


@pytest.mark.parametrize("mismatch", MISMATCHES, ids=str)
@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_parameters_must_match_the_built_state(cls: type, mismatch: str) -> None:
    optimizer, grads, params = _valid_step(cls, 1)
    change, message = MISMATCHES[mismatch]
    if mismatch != "fewer parameters" and not optimizer.get_state()["slots"][0]:
        pytest.skip(f"{optimizer.variant.name} keeps no per-parameter state to mismatch")
    bad_grads, bad_params = change(grads), change(params)
    snapshot = _snapshot(optimizer, bad_grads, bad_params, params)
    with pytest.raises(ValueError, match=message):
        optimizer.apply(bad_grads, bad_params)
    _assert_untouched(optimizer, snapshot, bad_grads, bad_params, params)


# Constructor arguments that must be refused, with the words the message must contain.
BAD_ARGUMENTS = [
    ("Adam", {"beta_1": 1.0}, ValueError, ["beta_1", "1.0"]),
    ("Adam", {"beta_2": -0.1}, ValueError, ["beta_2", "-0.1"]),
    ("Adam", {"learning_rate": 0}, ValueError, ["learning_rate", "0"]),
    ("Adam", {"learning_rate": -1e-3}, ValueError, ["learning_rate", "-0.001"]),
    ("Adam", {"learning_rate": math.inf}, ValueError, ["learning_rate", "inf"]),
    ("Adam", {"epsilon": -1}, ValueError, ["epsilon", "-1"]),
    ("Adam", {"learning_rate": math.nan}, ValueError, ["learning_rate", "nan"]),
    ("Adam", {"beta_1": float("nan")}, ValueError, ["beta_1", "nan"]),
    ("Adam", {"learning_rate": "0.01"}, TypeError, ["learning_rate", "0.01"]),
    ("Adam", {"amsgrad": 1}, TypeError, ["amsgrad", "1"]),
    ("Adam", {"amsgrad": "yes"}, TypeError, ["amsgrad", "yes"]),
    ("RMSprop", {"rho": 1.5}, ValueError, ["rho", "1.5"]),
    ("RMSprop", {"centered": None}, TypeError, ["centered", "None"]),
    ("Adadelta", {"epsilon": 0.0}, ValueError, ["epsilon", "0.0"]),
    ("Ftrl", {"learning_rate_power": 0.5}, ValueError, ["learning_rate_power", "0.5"]),
    ("Ftrl", {"l1_regularization_strength": -1.0}, ValueError, ["l1_regularization_strength", "-1.0"]),
    ("SGD", {"momentum": True}, TypeError, ["momentum", "True"]),
    ("SGD", {"learning_rate": 0.1, "momentum": True, "nesterov": True}, TypeError, ["momentum", "True"]),
    ("SGD", {"momentum": 1.5}, ValueError, ["momentum", "1.5"]),
    ("SGD", {"nesterov": 1}, TypeError, ["nesterov", "1"]),
    ("SGD", {"weight_decay": -0.1}, ValueError, ["weight_decay", "-0.1"]),
    ("SGD", {"clipnorm": 0.0}, ValueError, ["clipnorm", "0.0"]),
    ("SGD", {"clipvalue": -1.0}, ValueError, ["clipvalue", "-1.0"]),
    ("SGD", {"global_clipnorm": math.nan}, ValueError, ["global_clipnorm", "nan"]),
    ("SGD", {"clipnorm": 1.0, "clipvalue": 0.5}, ValueError, ["clipnorm", "clipvalue"]),
    ("SGD", {"clipnorm": 1.0, "global_clipnorm": 0.5}, ValueError, ["clipnorm", "global_clipnorm"]),
    ("Adam", {"lr": 0.01}, TypeError, ["lr"]),
    # torch.optim.SGD refuses these too: Nesterov momentum needs a momentum and no dampening.
    ("TorchSGD", {"momentum": 0.9, "dampening": 0.1, "nesterov": True}, ValueError, ["dampening=0.1"]),
    ("TorchSGD", {"nesterov": True}, ValueError, ["momentum=0.0", "nesterov"]),
]


@pytest.mark.parametrize(
    ("name", "arguments", "error", "words"), BAD_ARGUMENTS, ids=lambda x: x if isinstance(x, str) else None
)
def test_bad_arguments_are_refused_with_a_clear_message(name: str, arguments: dict, error: type, words: list) -> None:
    cls = _class_or_skip(name)
    with pytest.raises(error) as raised:
        cls(**arguments)
    for word in words:
        assert word in str(raised.value), f"{word!r} not in the message: {raised.value}"


def _outside(domain: object) -> list[float]:
    """Values just outside a domain, on each finite side; the boundary itself where it is open."""
    values = []
    if math.isfinite(domain.lower):
        values.append(domain.lower if domain.lower_open else domain.lower - 0.25)
    if math.isfinite(domain.upper):
        values.append(domain.upper if domain.upper_open else domain.upper + 0.25)
    return values


@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_every_hyperparameter_rejects_values_outside_its_domain(cls: type) -> None:
    arguments = inspect.signature(cls).parameters
    for domain in cls.domains:
        assert domain.argument in arguments, f"{domain.argument} is not a constructor argument"
        values = [*_outside(domain), math.nan]
        assert len(values) >= 2, f"{domain.argument}: no finite bound to step over"
        for value in values:
            with pytest.raises(ValueError, match=rf"{domain.argument}\b.*{re.escape(repr(value))}"):
                cls(**{domain.argument: value})


@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_every_flag_must_be_a_bool(cls: type) -> None:
    for flag in (s.argument for s in cls.switches if s.kind == "flag"):
        for value in (1, 0, "True", None):
            with pytest.raises(TypeError, match=rf"{flag}\b.*{re.escape(repr(value))}"):
                cls(**{flag: value})


# ------------------------------------------------------------------------------ state restore


def _broken_states(optimizer: object) -> dict[str, dict]:
    # Every broken state also moves the step count on, so a restore that assigned part of it would show.
    state = {**optimizer.get_state(), "iterations": optimizer.iterations + 5}
    slots = state["slots"]
    name = next(iter(slots[0]), None)
    other = next((cls.__name__ for cls in CLASSES if cls is not type(optimizer)), "AnotherOptimizer")
    cases = {
        "another optimizer's state": {**state, "optimizer": other},
        "another variant's state": {**state, "variant": state["variant"] + "_other"},
        "negative iterations": {**state, "iterations": -1},
        "fractional iterations": {**state, "iterations": 2.5},
        "unknown optimizer-wide state": {**state, "optimizer_state": {**state["optimizer_state"], "bogus": 1.0}},
    }
    if name is not None:
        cases["a slot missing"] = {**state, "slots": [{k: v for k, v in s.items() if k != name} for s in slots]}
        cases["an unknown slot"] = {**state, "slots": [{**s, "bogus": s[name]} for s in slots]}
        cases["an integer slot"] = {**state, "slots": [{**s, name: s[name].astype(np.int64)} for s in slots]}
        cases["a slot of another shape"] = {**state, "slots": [{**s, name: np.zeros(7)} for s in slots]}
        cases["a slot of another dtype"] = {**state, "slots": [{**s, name: s[name].astype(np.float32)} for s in slots]}
        cases["a parameter's slots missing"] = {**state, "slots": slots[:-1]}
    for key in state["optimizer_state"]:
        cases[f"{key} not a number"] = {**state, "optimizer_state": {**state["optimizer_state"], key: "abc"}}
    return cases


@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_bad_state_restore_raises_and_changes_nothing(cls: type) -> None:
    optimizer = _valid_step(cls, 2)[0]
    for case, broken in _broken_states(optimizer).items():
        before = optimizer.get_state()
        with pytest.raises((ValueError, TypeError)):
            optimizer.set_state(broken)
        assert _same_state(optimizer.get_state(), before), f"{case}: a refused restore changed the state"


@pytest.mark.parametrize("cls", CLASSES, ids=_class_id)
def test_restored_state_of_the_wrong_shape_is_refused_before_the_step(cls: type) -> None:
    """``set_state`` cannot know the parameters' shapes; the next step checks them before touching anything."""
    optimizer, grads, params = _valid_step(cls, 2)
    state = optimizer.get_state()
    if not state["slots"][0]:
        pytest.skip(f"{optimizer.variant.name} keeps no per-parameter state")
    wrong = {**state, "slots": [{k: np.zeros(7) for k in s} for s in state["slots"]]}
    restored = cls()
    restored.set_state(wrong)
    snapshot = _snapshot(restored, grads, params)
    with pytest.raises(ValueError, match=r"state '\w+' was built for float64\[7\]"):
        restored.apply(grads, params)
    _assert_untouched(restored, snapshot, grads, params)


@pytest.mark.parametrize(
    "spoil",
    [lambda data: data[: len(data) // 2], lambda data: b"not a state file", lambda data: data[:100] + bytes(200)],
    ids=["truncated", "garbage", "corrupted"],
)
def test_a_broken_state_file_is_named_and_changes_nothing(spoil, tmp_path: Path) -> None:
    adam_class = _class_or_skip("Adam")
    adam = adam_class()
    adam.apply(_arrays(2), _arrays(1))
    path = tmp_path / "adam.npz"
    adam.save_state(path)
    path.write_bytes(spoil(path.read_bytes()))
    before = adam.get_state()
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))} is not an optimizer state saved by save_state"):
        adam.load_state(path)
    assert _same_state(adam.get_state(), before)


def test_state_of_another_optimizer_is_refused_from_a_file(tmp_path: Path) -> None:
    adam_class, rmsprop_class = _class_or_skip("Adam"), _class_or_skip("RMSprop")
    adam = adam_class()
    adam.apply(_arrays(2), _arrays(1))
    adam.save_state(tmp_path / "adam.npz")
    rmsprop = rmsprop_class()
    with pytest.raises(ValueError, match="Adam"):
        rmsprop.load_state(tmp_path / "adam.npz")
    amsgrad = adam_class(amsgrad=True)
    with pytest.raises(ValueError, match="adam_amsgrad"):
        amsgrad.load_state(tmp_path / "adam.npz")
    assert amsgrad.get_state()["slots"] is None and amsgrad.iterations == 0


# ------------------------------------------------------------------ clipping and weight decay


def _norm(array: np.ndarray) -> float:
    """The L2 norm with an exactly rounded sum (math.fsum), independent of numpy.linalg."""
    return math.sqrt(math.fsum(float(x) * float(x) for x in array.ravel()))


def _clip_reference(option: str, c: float, grads: list[np.ndarray]) -> list[np.ndarray]:
    """Keras's clipping (keras/src/optimizers/base_optimizer.py, ``_clip_gradients``), in float64."""
    if option == "clipvalue":
        return [np.minimum(np.maximum(g, -c), c) for g in grads]
    if option == "clipnorm":
        return [g * (c / max(_norm(g), c)) for g in grads]
    if option == "global_clipnorm":
        total = math.sqrt(math.fsum(_norm(g) ** 2 for g in grads))
        return [g * (c / max(total, c)) for g in grads]
    return list(grads)


CLIPPING = {"none": None, "clipvalue": 0.5, "clipnorm": 1.0, "global_clipnorm": 1.5}


def _sgd_step(w: np.ndarray, g: np.ndarray, eta: float, decay: float) -> np.ndarray:
    """Keras's decoupled decay, then its SGD step with μ = 0 (keras/src/optimizers/base_optimizer.py,
    ``_apply_weight_decay``; keras/src/optimizers/sgd.py): w ← (w − λ η w) − η g, in float64."""
    return (w - decay * eta * w) - eta * g


@pytest.mark.parametrize("weight_decay", [None, 0.1], ids=["no decay", "weight_decay"])
@pytest.mark.parametrize("clipping", CLIPPING, ids=str)
def test_sgd_clipping_and_weight_decay_follow_keras(clipping: str, weight_decay: float | None) -> None:
    """Plain SGD, step by step from the kernel's own previous weights, against the formula in NumPy."""
    eta, c, decay = 0.3, CLIPPING[clipping], weight_decay or 0.0
    optimizer = _class_or_skip("SGD")(
        learning_rate=eta, weight_decay=weight_decay, **({} if c is None else {clipping: c})
    )
    shapes = ((3, 4), (6,))
    params = _arrays(1, shapes=shapes)
    for step in range(3):
        # Clipping acts at every step: 2 < ‖g0‖ < 3.1 is above every bound, ‖g1‖ < 0.65 below them.
        grads = [g * s for g, s in zip(_arrays(50 + step, shapes=shapes), (1.0, 0.2))]
        kept, before = _copies(grads), _copies(params)
        optimizer.apply(grads, params)
        assert _same_arrays(grads, kept), "the caller's gradients were modified"
        clipped = _clip_reference(clipping, c, grads)
        for w, g, raw, got in zip(before, clipped, grads, params):
            want = _sgd_step(w, g, eta, decay)
            # About 7 roundings (η·λ, ·w, −, the clip scale, ·g, η·, −), each at most half an ulp of a
            # term bounded by |w| + |ηg|; the norm's sum (BLAS against fsum) adds at most n ulp relative.
            bound = (8 + g.size) * np.finfo(np.float64).eps * (np.abs(w) + eta * np.abs(g))
            assert np.all(np.abs(got - want) <= bound), f"step {step}: {np.max(np.abs(got - want) / bound)} bounds"
            if raw is grads[0]:
                # The comparison tells the options apart: without them the step lands far outside the bound.
                plain = _sgd_step(w, raw, eta, 0.0)
                assert (c is None and decay == 0) == bool(np.all(np.abs(plain - want) <= 1e3 * bound))


def _signs(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


# Gradients whose norms are powers of two and clip bounds hit exactly, so every clipped value is
# exact in binary: (bound, gradients, the gradients clipped by hand).
EXACT_CLIPPING = {
    # ‖g0‖ = 1 is halved by the bound 0.5; ‖g1‖ = 0.25 stays.
    "clipnorm": (
        0.5,
        [0.5 * _signs(1, -1, 1, 1).reshape(2, 2), 0.125 * _signs(1, -1, 1, -1)],
        [0.25 * _signs(1, -1, 1, 1).reshape(2, 2), 0.125 * _signs(1, -1, 1, -1)],
    ),
    "clipvalue": (
        0.25,
        [0.5 * _signs(1, -1, 1, 1).reshape(2, 2), 0.125 * _signs(1, -1, 1, -1)],
        [0.25 * _signs(1, -1, 1, 1).reshape(2, 2), 0.125 * _signs(1, -1, 1, -1)],
    ),
    # N = sqrt(1 + 1 + 2) = 2 over all tensors: the bound 1 halves every one of them.
    "global_clipnorm": (
        1.0,
        [0.5 * _signs(1, -1, 1, 1).reshape(2, 2), 0.5 * _signs(1, -1, 1, -1), 0.5 * _signs(1, 1, -1, 1, 1, -1, 1, 1)],
        [
            0.25 * _signs(1, -1, 1, 1).reshape(2, 2),
            0.25 * _signs(1, -1, 1, -1),
            0.25 * _signs(1, 1, -1, 1, 1, -1, 1, 1),
        ],
    ),
}


@pytest.mark.parametrize("cls", [cls for cls in CLASSES if _spec(cls).base_options != "keras"], ids=_class_id)
def test_classes_without_base_options_refuse_them(cls: type) -> None:
    """PyTorch and legacy tf.keras classes clip nothing: a Keras base option must be refused, not ignored."""
    options = ["clipnorm", "clipvalue", "global_clipnorm"]
    if "weight_decay" not in own_arguments(_spec(cls)):
        options.append("weight_decay")
    for option in options:
        with pytest.raises(TypeError, match=option):
            cls(**{option: 1.0})


def ignores_the_scale(spec: OptimizerSpec, grads: list[np.ndarray], scaled: list[np.ndarray]) -> bool:
    """Whether the spec's own update, evaluated from its equations in float64 (not by the generated kernel) at its
    defaults, steps bit for bit alike for ``grads`` and for ``scaled`` three times over.

    Every case of EXACT_CLIPPING scales each gradient tensor by one power of two, the same at every step (clipvalue
    too: all entries of a tensor have the same magnitude), so an update invariant under g → c·g (c > 0), such as a
    step by sign(β1 m + (1 − β1) g) with m a running mean of g (Lion), computes the very same bits.
    """
    start = _arrays(3, shapes=[g.shape for g in grads])
    defaults = {h.argument: h.default for h in spec.hyperparameters}
    variant = select_variant(spec, {})
    plain, rescaled = (interpret(spec, variant, defaults, Problem(start, [stream] * 3)) for stream in (grads, scaled))
    return bool(np.array_equal(plain, rescaled))


@pytest.mark.parametrize("clipping", EXACT_CLIPPING)
@pytest.mark.parametrize("cls", [cls for cls in CLASSES if _spec(cls).base_options == "keras"], ids=_class_id)
def test_clipping_equals_stepping_with_clipped_gradients(cls: type, clipping: str) -> None:
    """For every class: clipping in the optimizer is the same step as passing clipped gradients, bit for bit."""
    bound, grads, clipped = EXACT_CLIPPING[clipping]
    shapes = [g.shape for g in grads]
    clipping_optimizer, plain, unclipped_optimizer = cls(**{clipping: bound}), cls(), cls()
    params, expected, unclipped = _arrays(3, shapes=shapes), _arrays(3, shapes=shapes), _arrays(3, shapes=shapes)
    kept = _copies(grads)
    for _ in range(3):
        clipping_optimizer.apply(grads, params)
        plain.apply(clipped, expected)
        unclipped_optimizer.apply(grads, unclipped)
    assert _same_arrays(grads, kept), "the caller's gradients were modified"
    assert _same_arrays(params, expected)
    if ignores_the_scale(_spec(cls), grads, clipped):
        # Here the check runs the other way round: the step ignores the scale clipping applies, as the spec's does.
        # Bit for bit where the invariance is exact in floating point too (Lion's sign); where it holds in exact
        # arithmetic only (LAMB's r/‖r‖ with gradients of one magnitude per tensor, summed in another order), to
        # 1e-12 relative: these float64 parameters are of order 1, and a scale not ignored moves them by over 1e-3.
        close = all(np.allclose(a, b, rtol=1e-12, atol=0) for a, b in zip(unclipped, params))
        assert close, "the spec's update ignores this scaling, the kernel's does not"
    else:
        assert not _same_arrays(unclipped, params), "clipping had no effect on this case"


# Clipping is a Keras base option: the classes without base options run only the unclipped case.
GRADIENT_CASES = [
    (cls, clipping)
    for cls in CLASSES
    for clipping in CLIPPING
    if _spec(cls).base_options == "keras" or clipping == "none"
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize(("cls", "clipping"), GRADIENT_CASES, ids=lambda x: x.__name__ if isinstance(x, type) else x)
def test_gradients_are_never_modified(cls: type, config: str, clipping: str) -> None:
    arguments = CONFIGS[config](_spec(cls))
    arguments.pop("clipnorm", None)
    if CLIPPING[clipping] is not None:
        arguments[clipping] = CLIPPING[clipping]
    for dtype in (np.float64, np.float32):
        params, grads = _arrays(1, dtype), _arrays(2, dtype)
        kept, before = _copies(grads), _copies(params)
        optimizer = cls(**arguments)
        for _ in range(2):  # two steps: Optax's Rprop applies each step one step late
            optimizer.apply(grads, params)
        assert _same_arrays(grads, kept), "the caller's gradients were modified"
        assert not _same_arrays(params, before), "the steps did nothing, so they prove nothing"


# ------------------------------------------------------------------ multi-tensor rows and threads

ROW_CASES = {case.id: case for case in all_cases((np.dtype(np.float32), np.dtype(np.float64)))}


def _steps_with(case, rng_seed: int = 5) -> list[np.ndarray]:
    rng = np.random.default_rng(rng_seed)
    params = [np.asarray(rng.standard_normal(shape), case.dtype) for shape in ((3, 7), (40,), (), (2, 1, 5))]
    optimizer = trainspec.optimizers.get(case.spec.name)(**arguments(case, np.random.default_rng(7)))
    for _ in range(3):
        optimizer.apply([np.asarray(rng.standard_normal(p.shape) * 0.1, case.dtype) for p in params], params)
    return params


@pytest.mark.parametrize("case_id", sorted(ROW_CASES))
def test_tensors_cut_into_rows_and_shared_by_threads_step_as_whole_tensors(case_id: str, monkeypatch) -> None:
    """Chunks of 4 elements, and every step shared between the threads: the same bits as whole tensors on one
    thread (each element's arithmetic is the same whichever row and thread computes it). A variant with sums over
    the tensor adds them chunk by chunk: the same chunks give the same bits on one thread as shared."""
    case = ROW_CASES[case_id]
    if any(v.reduction is not None for v in trainspec.optimizers.get(case.spec.name).variants.values()):
        monkeypatch.setattr(multi_tensor, "CHUNK", 4)
    whole = _steps_with(case)
    monkeypatch.setattr(multi_tensor, "CHUNK", 4)
    monkeypatch.setattr(multi_tensor, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setattr(multi_tensor, "THREADS", 2)
    for index, (a, b) in enumerate(zip(_steps_with(case), whole)):
        np.testing.assert_array_equal(a, b, err_msg=f"params[{index}]")


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("CosineDecay(0.1, decay_steps=100)", "decay_steps=100, alpha=0, warmup_target=None, warmup_steps=0)"),
        ("PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.25])", "boundaries=(100, 200), values=(1, 0.5, 0.25))"),
        ("SGD(learning_rate=0.01, momentum=0.9)", "SGD(learning_rate=0.01, momentum=0.9, nesterov=False)"),
        ("Adam(epsilon=1e-8)", "beta_2=0.999, epsilon=1e-08, amsgrad=False)"),
        ("VarianceScaling(2.0, seed=4)", "VarianceScaling(scale=2, mode='fan_in', distribution='truncated_normal'"),
    ],
)
def test_reprs_show_whole_numbers_as_integers_and_rebuild_the_object(source: str, shown: str) -> None:
    """A repr is the call that rebuilds the object, in the fewest characters: ``decay_steps=100``, not ``100.0``."""
    built = eval(source, vars(trainspec))
    assert shown in repr(built)
    assert eval(repr(built), vars(trainspec)).get_config() == built.get_config()
