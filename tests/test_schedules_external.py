"""Every torch counterpart a schedule spec declares, against the spec's exact value (the ``reference`` extra).

PyTorch's scheduler, stepped once per batch, gives the learning rate of the
k-th update as the group's ``lr`` before the k-th ``optimizer.step()``
(torch/optim/lr_scheduler.py); it is run as ``trainspec verify`` runs it, for
each form of the spec (tests/test_verify_schedules.py's ``forms``), with
arguments drawn from the spec's typical ranges, over the steps where it
computes the spec (its declared horizon). Each rate must lie within the
tolerance of the spec's exact value at that step:

- 4 times the first-order float64 rounding bound of the spec's expression:
  PyTorch evaluates the same quantities in float64 in another order
  (CyclicLR) or from a recursively kept position (CosineAnnealingWarmRestarts),
  so it gets twice the allowance of our own kernels, which are checked within
  twice that bound (tests/test_schedules_kernels.py);
- plus (k + 1) eps of the largest rate so far: a chainable scheduler computes
  each rate from the previous one (ExponentialLR multiplies by its gamma at
  every step, MultiStepLR at each milestone), so its rounding adds up step
  by step, which the bound of the closed form does not count. Measured over
  300 steps: at most 0.14 (k + 1) eps of that scale, where the bound alone
  is exceeded 12 times over (ExponentialLR for NaturalExpDecay).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SPECS_DIR
from test_verify_schedules import forms, label

from codegen.language.schedule import Call
from codegen.load import load_registry
from codegen.lower.schedule import bind
from codegen.proofs.schedule_reference import reference
from codegen.referee import schedule_adapters as schedule_external
from codegen.referee.schedule import draw

pytest.importorskip("torch")
REGISTRY = load_registry(SPECS_DIR)
SPECS = {spec.name: spec for spec in REGISTRY.schedules}
PYTORCH_FACTOR = 4.0
EPS = float(np.finfo(np.float64).eps)
STEPS = 300
SEED = 1


@pytest.mark.parametrize(
    ("name", "given"),
    [
        pytest.param(spec.name, form, id=f"{spec.name}-{label(form)}")
        for spec in REGISTRY.schedules
        if any(c.library == "torch" and c.same for c in spec.counterparts)
        for form in forms(spec)
    ],
)
def test_torch_counterpart_follows_the_exact_spec(name, given):
    spec = SPECS[name]
    implementation = schedule_external.implementation("torch", spec, np.dtype(np.float64), SPECS)
    arguments = implementation.constrain(draw(SPECS, spec, np.random.default_rng(SEED), STEPS, given))
    steps = min(STEPS, implementation.horizon(arguments) or STEPS)
    rates = implementation.rates(arguments, steps)
    bound = bind(SPECS, Call(name, arguments))
    failures, scale = [], 0.0
    for step, rate in enumerate(rates.tolist()):
        ref = reference(bound.value, bound.numbers, step, bound.definitions)
        scale = max(scale, abs(float(ref.value)))
        if ref.error(rate) > PYTORCH_FACTOR * ref.bound + (step + 1) * EPS * scale:
            failures.append((step, rate, float(ref.value)))
    assert not failures, failures[:5]
