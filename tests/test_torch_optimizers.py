"""``trainspec.torch``: every optimizer spec as a ``torch.optim.Optimizer``, against the NumPy class and torch itself.

The torch classes run the NumPy classes' kernels with the same per-step
scalars, so wherever the two APIs are given the same steps their results are
compared bit for bit (``torch.equal``), not within a tolerance. Against
``torch.optim`` itself (other code, other rounding) the tolerance is stated
where it is used.
"""

from __future__ import annotations

import copy
import inspect
import io

import numpy as np
import pytest
from helpers import package, submodule_of
from optimizer_cases import SPECS, Case, all_cases, arguments

torch = pytest.importorskip("torch")
trainspec = package()
torch_optimizers = submodule_of("torch")

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
CASES = {case.id: case for case in all_cases(DTYPES)}
SHAPES = ((3, 4), (5,), (2, 1, 3))
STEPS = 4


def torch_dtype(dtype: np.dtype) -> torch.dtype:
    return torch.float32 if dtype == np.float32 else torch.float64


def starting_params(dtype: np.dtype, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def gradient_steps(dtype: np.dtype, steps: int = STEPS, seed: int = 1) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[(rng.standard_normal(shape) * 0.1).astype(dtype) for shape in SHAPES] for _ in range(steps)]


def train_torch(optimizer_class, params: list[torch.Tensor], grads, **settings):
    optimizer = optimizer_class(params, **settings)
    for step in grads:
        for p, g in zip(params, step):
            p.grad = torch.from_numpy(g.copy())
        optimizer.step()
    return optimizer


def test_every_optimizer_spec_has_a_torch_class_with_its_arguments() -> None:
    assert set(torch_optimizers.OPTIMIZERS) >= {spec.name for spec in SPECS}
    for spec in SPECS:
        numpy_class = trainspec.optimizers.get(spec.name)
        torch_class = torch_optimizers.get(spec.name)
        assert issubclass(torch_class, torch.optim.Optimizer)
        expected = dict(inspect.signature(numpy_class).parameters)
        expected.pop("name")
        actual = dict(inspect.signature(torch_class).parameters)
        assert next(iter(actual)) == "params"
        actual.pop("params")
        assert {n: p.default for n, p in actual.items()} == {n: p.default for n, p in expected.items()}, spec.name


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_the_torch_class_steps_as_the_numpy_class_bit_for_bit(case_id: str) -> None:
    case: Case = CASES[case_id]
    settings = arguments(case, np.random.default_rng(7))
    grads = gradient_steps(case.dtype)
    numpy_params = starting_params(case.dtype)
    numpy_optimizer = trainspec.optimizers.get(case.spec.name)(**settings)
    for step in grads:
        numpy_optimizer.apply(step, numpy_params)
    assert numpy_optimizer.variant.name == case.variant
    params = [torch.from_numpy(p) for p in starting_params(case.dtype)]
    optimizer = train_torch(torch_optimizers.get(case.spec.name), params, grads, **settings)
    for index, (p, expected) in enumerate(zip(params, numpy_params)):
        assert torch.equal(p, torch.from_numpy(expected)), f"params[{index}]"
        state = optimizer.state[p]
        assert state["step"] == STEPS
        for name, array in numpy_optimizer.get_state()["slots"][index].items():
            assert torch.equal(state[name], torch.from_numpy(array)), f"params[{index}] state {name}"


KERAS_SPECS = [spec for spec in SPECS if spec.base_options == "keras"]


@pytest.mark.parametrize("clipping", [{"clipnorm": 0.05}, {"clipvalue": 0.02}, {"global_clipnorm": 0.1}])
@pytest.mark.parametrize("spec", KERAS_SPECS, ids=lambda spec: spec.name)
def test_keras_clipping_clips_as_the_numpy_class(spec, clipping: dict) -> None:
    grads = gradient_steps(np.dtype(np.float64))
    numpy_params = starting_params(np.dtype(np.float64))
    numpy_optimizer = trainspec.optimizers.get(spec.name)(**clipping)
    for step in grads:
        numpy_optimizer.apply(step, numpy_params)
    params = [torch.from_numpy(p) for p in starting_params(np.dtype(np.float64))]
    train_torch(torch_optimizers.get(spec.name), params, grads, **clipping)
    assert all(torch.equal(p, torch.from_numpy(e)) for p, e in zip(params, numpy_params))


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_state_dict_resumes_bit_exactly_through_a_weights_only_load(spec) -> None:
    optimizer_class = torch_optimizers.get(spec.name)
    grads = gradient_steps(np.dtype(np.float32), steps=6)
    straight = [torch.from_numpy(p) for p in starting_params(np.dtype(np.float32))]
    train_torch(optimizer_class, straight, grads)

    first = [torch.from_numpy(p) for p in starting_params(np.dtype(np.float32))]
    optimizer = train_torch(optimizer_class, first, grads[:3])
    saved = io.BytesIO()
    torch.save(optimizer.state_dict(), saved)
    saved.seek(0)
    resumed = [p.clone() for p in first]
    again = optimizer_class(resumed)
    again.load_state_dict(torch.load(saved, weights_only=True))
    for step in grads[3:]:
        for p, g in zip(resumed, step):
            p.grad = torch.from_numpy(g.copy())
        again.step()
    assert all(torch.equal(a, b) for a, b in zip(resumed, straight))


def test_each_parameter_group_steps_with_its_own_hyperparameters() -> None:
    dtype = np.dtype(np.float64)
    grads = gradient_steps(dtype)
    together = [torch.from_numpy(p) for p in starting_params(dtype)]
    optimizer = torch_optimizers.Adam(
        [{"params": together[:2]}, {"params": together[2:], "learning_rate": 0.1, "beta_1": 0.5}], learning_rate=0.01
    )
    for step in grads:
        for p, g in zip(together, step):
            p.grad = torch.from_numpy(g.copy())
        optimizer.step()
    apart = [torch.from_numpy(p) for p in starting_params(dtype)]
    train_torch(torch_optimizers.Adam, apart[:2], [step[:2] for step in grads], learning_rate=0.01)
    train_torch(torch_optimizers.Adam, apart[2:], [step[2:] for step in grads], learning_rate=0.1, beta_1=0.5)
    assert all(torch.equal(a, b) for a, b in zip(together, apart))
    assert optimizer.param_groups[1]["lr"] == 0.1 and optimizer.param_groups[1]["beta_1"] == 0.5


def test_the_learning_rate_is_read_from_the_group_at_every_step() -> None:
    """A torch scheduler and a hand-set ``group["lr"]`` give the same steps, bit for bit."""
    dtype = np.dtype(np.float64)
    grads = gradient_steps(dtype, steps=9)
    scheduled = [torch.from_numpy(p) for p in starting_params(dtype)]
    optimizer = torch_optimizers.Adam(scheduled, learning_rate=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    by_hand = [torch.from_numpy(p) for p in starting_params(dtype)]
    manual = torch_optimizers.Adam(by_hand, learning_rate=0.1)
    for index, step in enumerate(grads):
        manual.param_groups[0]["lr"] = 0.1 * 0.5 ** (index // 3)
        for params, optimizer_ in ((scheduled, optimizer), (by_hand, manual)):
            for p, g in zip(params, step):
                p.grad = torch.from_numpy(g.copy())
            optimizer_.step()
        scheduler.step()
    assert all(torch.equal(a, b) for a, b in zip(scheduled, by_hand))
    constant = [torch.from_numpy(p) for p in starting_params(dtype)]
    train_torch(torch_optimizers.Adam, constant, grads, learning_rate=0.1)
    assert not torch.equal(constant[0], scheduled[0])  # the schedule did change the steps


def test_torch_adam_trains_as_torch_optim_adam_under_a_scheduler() -> None:
    """TorchAdam against torch's own Adam (another formula for the same update: ε added to the root of v̂) in
    float64. Each step agrees to a few ulps; over 30 steps the differences stay below 1e-12 relative to the
    parameters (measured: about 1e-16), far below the 1e-3 that a wrong bias correction or ε placement makes."""
    dtype = np.dtype(np.float64)
    grads = gradient_steps(dtype, steps=30)
    ours = [torch.from_numpy(p) for p in starting_params(dtype)]
    theirs = [torch.from_numpy(p) for p in starting_params(dtype)]
    optimizers = (
        torch_optimizers.TorchAdam(ours, learning_rate=0.05, weight_decay=0.01),
        torch.optim.Adam(theirs, lr=0.05, weight_decay=0.01),
    )
    schedulers = [torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=30) for o in optimizers]
    for step in grads:
        for params, optimizer, scheduler in zip((ours, theirs), optimizers, schedulers):
            for p, g in zip(params, step):
                p.grad = torch.from_numpy(g.copy())
            optimizer.step()
            scheduler.step()
    for a, b in zip(ours, theirs):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-12 * b.abs().max().item())


def test_a_trainspec_schedule_as_learning_rate_steps_as_in_the_numpy_class() -> None:
    dtype = np.dtype(np.float32)
    grads = gradient_steps(dtype, steps=6)
    schedule = trainspec.schedules.get("CosineDecay")(initial_learning_rate=0.1, decay_steps=5)
    numpy_params = starting_params(dtype)
    numpy_optimizer = trainspec.optimizers.Adam(learning_rate=schedule)
    for step in grads:
        numpy_optimizer.apply(step, numpy_params)
    params = [torch.from_numpy(p) for p in starting_params(dtype)]
    optimizer = train_torch(torch_optimizers.Adam, params, grads, learning_rate=schedule)
    assert all(torch.equal(p, torch.from_numpy(e)) for p, e in zip(params, numpy_params))
    saved = io.BytesIO()
    torch.save(optimizer.state_dict(), saved)
    saved.seek(0)
    assert torch.load(saved, weights_only=True)["param_groups"][0]["lr_schedule"]["class_name"] == "CosineDecay"


def test_a_closure_is_evaluated_with_gradients_enabled_and_its_loss_returned() -> None:
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    optimizer = torch_optimizers.SGD([w], learning_rate=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert loss.item() == 5.0
    assert torch.equal(w.detach(), torch.tensor([0.8, -1.6]))  # w − 0.1·2w, exact in float32 for these values


# --------------------------------------------------------------------------- bad input: refused, nothing changed


def _trained_adam() -> tuple[torch.optim.Optimizer, list[torch.Tensor]]:
    params = [torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2, 2))]
    optimizer = torch_optimizers.Adam(params, learning_rate=0.1)
    for p in params:
        p.grad = torch.full_like(p, 0.5)
    optimizer.step()
    return optimizer, params


def _snapshot(optimizer: torch.optim.Optimizer) -> dict:
    params = [p.detach().clone() for group in optimizer.param_groups for p in group["params"]]
    return copy.deepcopy(optimizer.state_dict()), params


def _unchanged(optimizer: torch.optim.Optimizer, before) -> bool:
    state, params = before
    now_state, now_params = _snapshot(optimizer)
    same_state = all(
        now_state["state"][i]["step"] == s["step"] and torch.equal(now_state["state"][i]["momentum"], s["momentum"])
        for i, s in state["state"].items()
    )
    return same_state and all(torch.equal(a, b) for a, b in zip(now_params, params))


def _assign_grad_of_another_dtype(p: torch.Tensor) -> None:
    p.grad_dtype = None  # torch refuses such a gradient unless told to allow it
    p.grad = torch.ones(p.shape, dtype=torch.float64)


@pytest.mark.parametrize(
    ("spoil", "error", "message"),
    [
        (lambda ps: setattr(ps[1], "grad", torch.ones(2, 2).to_sparse()), TypeError, r"params'\]\[1\] has a sparse"),
        (lambda ps: _assign_grad_of_another_dtype(ps[1]), TypeError, "torch.float32 but its gradient is torch.float64"),
        (lambda ps: setattr(ps[1].grad, "data", torch.ones(4)), ValueError, r"has shape \[2, 2\] but its gradient"),
    ],
    ids=["sparse", "dtype", "shape"],
)
def test_a_bad_gradient_is_refused_before_any_parameter_changes(spoil, error, message) -> None:
    optimizer, params = _trained_adam()
    for p in params:
        p.grad = torch.full_like(p, 0.5)
    before = _snapshot(optimizer)
    spoil(params)
    with pytest.raises(error, match=message):
        optimizer.step()
    assert _unchanged(optimizer, before)  # params[0], checked first, was not stepped either


def test_a_bad_hyperparameter_set_in_a_group_is_refused_before_anything_changes() -> None:
    optimizer, _ = _trained_adam()
    optimizer.param_groups[0]["beta_1"] = 1.5
    before = _snapshot(optimizer)
    with pytest.raises(ValueError, match=r"param_groups\[0\]: beta_1 must lie in \[0, 1\), got 1.5"):
        optimizer.step()
    assert _unchanged(optimizer, before)


@pytest.mark.parametrize(
    ("params", "settings", "error", "message"),
    [
        (lambda: [torch.zeros(3, dtype=torch.int64)], {}, TypeError, r"dtype torch.int64; .* float32 and float64"),
        (lambda: [torch.zeros(3, dtype=torch.complex64)], {}, TypeError, "dtype torch.complex64"),
        (lambda: [torch.zeros(3, dtype=torch.float16)], {}, TypeError, "dtype torch.float16"),
        (lambda: [torch.zeros(3, device="meta")], {}, ValueError, "is on meta; .* CPU and CUDA tensors"),
        (lambda: [torch.zeros(4, 4).t()], {}, ValueError, "is not contiguous"),
        (lambda: [torch.zeros(3)] * 2, {}, ValueError, r"\['params'\]\[1\] is the same tensor as .*\[0\]"),
        (lambda: [torch.zeros(3)], {"learning_rate": -1.0}, ValueError, r"learning_rate must lie in \(0, inf\)"),
        (lambda: [torch.zeros(3)], {"amsgrad": 1}, TypeError, "amsgrad must be True or False"),
        (lambda: [{"params": [torch.zeros(3)], "betta_1": 0.5}], {}, TypeError, "Adam has no argument 'betta_1'"),
        (lambda: [{"params": [torch.zeros(3)], "lr": 0.1, "learning_rate": 0.1}], {}, TypeError, "both"),
    ],
    ids=["int", "complex", "float16", "device", "strided", "twice", "domain", "flag", "unknown", "lr-twice"],
)
def test_bad_parameters_and_arguments_are_refused_with_a_message_naming_them(params, settings, error, message):
    with pytest.raises(error, match=message):
        torch_optimizers.Adam(params(), **settings)


def test_an_option_switched_on_after_the_first_step_is_named() -> None:
    optimizer, params = _trained_adam()
    optimizer.param_groups[0]["amsgrad"] = True
    for p in params:
        p.grad = torch.full_like(p, 0.5)
    with pytest.raises(ValueError, match="has no state 'velocity_hat'"):
        optimizer.step()


def test_state_of_another_shape_loaded_is_named_at_the_next_step() -> None:
    optimizer, _ = _trained_adam()
    state = optimizer.state_dict()
    other = [torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(4))]
    loaded = torch_optimizers.Adam(other, learning_rate=0.1)
    loaded.load_state_dict(state)
    for p in other:
        p.grad = torch.full_like(p, 0.5)
    with pytest.raises(ValueError, match=r"\['params'\]\[1\] is torch.float32\[4\] but its state 'momentum'"):
        loaded.step()
    assert torch.equal(other[0].detach(), torch.ones(3))
