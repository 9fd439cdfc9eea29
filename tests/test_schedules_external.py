"""The schedule specs against PyTorch's own schedulers (the ``reference`` extra; skipped without torch).

PyTorch's scheduler, stepped once per batch, gives the learning rate of the
k-th update as the group's ``lr`` before the k-th ``optimizer.step()``. Its
value must lie within the tolerance of the spec's exact value: PyTorch
evaluates the same quantities in float64 in another order (CyclicLR) or
from a recursively kept position (CosineAnnealingWarmRestarts), so it gets
twice the allowance of our own kernels, which are checked within twice the
first-order rounding bound (tests/test_schedules_kernels.py): four times it.
"""

from __future__ import annotations

import pytest

import trainspec.schedules as S
from codegen.language.schedule import Call
from codegen.load import load_registry
from codegen.lower.schedule import bind
from codegen.proofs.schedule_reference import reference
from tests.helpers import SPECS_DIR

torch = pytest.importorskip("torch")
SPECS = {spec.name: spec for spec in load_registry(SPECS_DIR).schedules}
PYTORCH_FACTOR = 4.0


def _torch_rates(make_scheduler, initial_lr: float, steps: int) -> list[float]:
    parameter = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([parameter], lr=initial_lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    return rates


def _assert_near_spec(name: str, arguments: dict, rates: list[float]) -> None:
    bound = bind(SPECS, Call(name, arguments))
    ours = getattr(S, name)(**arguments).values(len(rates))
    failures = []
    for step, (theirs, mine) in enumerate(zip(rates, ours.tolist())):
        ref = reference(bound.value, bound.numbers, step, bound.definitions)
        if ref.error(theirs) > PYTORCH_FACTOR * ref.bound or ref.error(mine) > 2 * ref.bound:
            failures.append((step, theirs, mine, float(ref.value)))
    assert not failures, failures[:5]


@pytest.mark.parametrize(
    ("mode", "down", "gamma"), [("triangular", None, 1.0), ("triangular2", 3, 1.0), ("exp_range", 5, 0.995)]
)
def test_cyclic_lr_matches_pytorch(mode, down, gamma):
    arguments = dict(base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=down, mode=mode, gamma=gamma)

    def scheduler(optimizer):
        return torch.optim.lr_scheduler.CyclicLR(
            optimizer, 0.01, 0.1, step_size_up=7, step_size_down=down, mode=mode, gamma=gamma, cycle_momentum=False
        )

    _assert_near_spec("CyclicLR", arguments, _torch_rates(scheduler, 0.1, 150))


@pytest.mark.parametrize("t_mul", [1, 2, 3])
def test_cosine_decay_restarts_matches_cosine_annealing_warm_restarts(t_mul):
    """Keras CosineDecayRestarts with m_mul = 1 and an integer t_mul is PyTorch's CAWR with eta_min = alpha lr0."""
    lr0, first, alpha = 0.1, 5, 0.25  # alpha a power of two: alpha * lr0 is exact, as PyTorch's eta_min
    arguments = dict(initial_learning_rate=lr0, first_decay_steps=first, t_mul=float(t_mul), alpha=alpha)

    def scheduler(optimizer):
        return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, first, T_mult=t_mul, eta_min=alpha * lr0)

    _assert_near_spec("CosineDecayRestarts", arguments, _torch_rates(scheduler, lr0, 200))
