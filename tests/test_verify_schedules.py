"""``trainspec verify`` on schedules: each spec against its torch and Keras counterpart, and wrong schedules caught.

The real libraries are the ``reference`` extra (torch 2.13 CPU, keras 3.15 on the torch backend). Every run
is 300 steps with arguments drawn by the referee (seeded); choices and optional arguments that change the
counterpart are pinned so that each form is covered. Tolerances are the referee's, normwise against the
largest rate so far: √eps ≈ 1.5e-8 in float64, 2^8 eps ≈ 3.1e-5 in float32 (Keras in its default float32),
against which correct implementations measure ≤ 1e-14 (float64) and ≤ 3 eps (Keras float32) while a step
shifted by one moves the rate by 6.7e-4 of its scale or more.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from codegen.build import SPECS_DIR
from codegen.cli import main
from codegen.load import load_registry
from codegen.referee import schedule_adapters as schedule_external
from codegen.referee.schedule import draw, spec_rates, tolerance, verify

pytest.importorskip("torch")
os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
REGISTRY = load_registry(SPECS_DIR)
SEEDS = (1, 2)
STEPS = 300
WRONG = "tests.wrong_schedules"

TORCH_COUNTERPARTS = [
    ("ExponentialDecay", {"staircase": False}),  # ExponentialLR
    ("ExponentialDecay", {"staircase": True}),  # StepLR
    ("NaturalExpDecay", {"staircase": False}),
    ("NaturalExpDecay", {"staircase": True}),
    ("CosineDecay", {"warmup_target": None}),  # CosineAnnealingLR
    ("CosineDecay", {"warmup_target": 0.05}),  # LinearLR + CosineAnnealingLR in a SequentialLR
    ("LinearWarmup", {}),
    ("PolynomialDecay", {}),  # PolynomialLR
    ("CosineDecayRestarts", {"t_mul": 1.0}),  # CosineAnnealingWarmRestarts
    ("CosineDecayRestarts", {"t_mul": 2.0}),
    ("CyclicLR", {"mode": "triangular"}),
    ("CyclicLR", {"mode": "triangular2"}),
    ("CyclicLR", {"mode": "exp_range"}),
    ("PiecewiseConstantDecay", {}),  # MultiStepLR
]
KERAS_COUNTERPARTS = [
    ("ExponentialDecay", {"staircase": False}),
    ("ExponentialDecay", {"staircase": True}),
    ("NaturalExpDecay", {}),  # ExponentialDecay(decay_rate=exp(-decay_rate))
    ("InverseTimeDecay", {"staircase": False}),
    ("InverseTimeDecay", {"staircase": True}),
    ("PolynomialDecay", {"cycle": False}),
    ("PolynomialDecay", {"cycle": True}),
    ("CosineDecay", {"warmup_target": None}),
    ("CosineDecay", {"warmup_target": 0.05}),
    ("CosineDecayRestarts", {}),
    ("PiecewiseConstantDecay", {}),
    ("LinearWarmup", {}),  # CosineDecay with a warmup target
]


def _label(value) -> str:
    return str(value)


@pytest.mark.parametrize(("spec", "given"), TORCH_COUNTERPARTS, ids=_label)
def test_spec_matches_its_torch_counterpart(spec, given):
    for seed in SEEDS:
        verdict = verify(REGISTRY, spec, "torch", steps=STEPS, seed=seed, given=given)
        assert verdict.passed, verdict.report(every=STEPS)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("spec", "given"), KERAS_COUNTERPARTS, ids=_label)
def test_spec_matches_its_keras_counterpart(spec, given, dtype):
    pytest.importorskip("keras")
    for seed in SEEDS:
        verdict = verify(REGISTRY, spec, "keras", steps=STEPS, seed=seed, dtype=dtype, given=given)
        assert verdict.passed, verdict.report(every=STEPS)


def test_keras_in_float32_needs_the_float32_tolerance():
    """Keras really computes in float32 there: its rounding is beyond the float64 tolerance, within float32's."""
    pytest.importorskip("keras")
    verdict = verify(REGISTRY, "CosineDecay", "keras", steps=STEPS, seed=1, dtype="float32")
    assert verdict.passed, verdict.report(every=STEPS)
    assert tolerance(np.float64) < float(np.max(verdict.errors)) <= tolerance(np.float32)


def test_cosine_annealing_is_compared_up_to_t_max_only():
    """Past T_max torch's CosineAnnealingLR rises again while the spec stays at its floor: the cap is needed."""
    spec = REGISTRY.get("CosineDecay")
    implementation = schedule_external.implementation("torch", spec, np.dtype(np.float64))
    arguments = draw({s.name: s for s in REGISTRY.schedules}, spec, np.random.default_rng(1), STEPS, {})
    arguments = implementation.constrain({**arguments, "warmup_target": None})
    decay_steps = arguments["decay_steps"]
    assert implementation.horizon(arguments) == decay_steps + 1 < STEPS
    rates, expected = implementation.rates(arguments, STEPS), spec_rates(spec, arguments, STEPS)
    within = np.abs(rates[: decay_steps + 1] - expected[: decay_steps + 1]) / expected[0]
    assert np.max(within) <= tolerance(np.float64)
    past = np.abs(rates[decay_steps + 1 :] - expected[decay_steps + 1 :]) / expected[0]
    assert past[0] > tolerance(np.float64)  # already the first step past T_max
    assert np.max(past) > 0.1


@pytest.mark.parametrize(
    ("spec", "against", "library"),
    [
        ("InverseTimeDecay", "torch", "torch.optim.lr_scheduler"),
        ("CyclicLR", "keras", "keras.optimizers.schedules"),
    ],
)
def test_no_counterpart_is_a_clear_error(spec, against, library):
    with pytest.raises(ValueError, match=f"{library} has no counterpart of {spec}"):
        verify(REGISTRY, spec, against)


# (spec, wrong function, pinned arguments, the slips the referee must name, the first step that differs)
WRONG_IMPLEMENTATIONS = [
    (
        "CosineDecay",
        "cosine_decay_one_step_early",
        {},
        {"CosineDecay with the step shifted by one (k → k + 1)"},
        lambda a: 0,
    ),
    (
        "CosineDecay",
        "cosine_decay_warmup_inside_decay_steps",
        {"warmup_target": 0.05},
        {"CosineDecay with the warmup counted inside decay_steps (decay_steps → decay_steps − warmup_steps)"},
        lambda a: a["warmup_steps"] + 1,  # both decays start at the target; they part one step later
    ),
    (
        "CosineDecay",
        "cosine_decay_absolute_alpha",
        {"warmup_target": None},
        {"CosineDecay with alpha applied as an absolute rate (alpha → alpha / the decay's start rate)"},
        lambda a: 1,  # the decay starts at the same rate
    ),
    (
        "CosineDecay",
        "cosine_decay_absolute_alpha",
        {"warmup_target": 0.05},
        {"CosineDecay with alpha applied as an absolute rate (alpha → alpha / the decay's start rate)"},
        lambda a: a["warmup_steps"] + 1,
    ),
    (
        "ExponentialDecay",
        "exponential_decay_staircase_ignored",
        {"staircase": True},
        {"ExponentialDecay with the staircase dropped (staircase=False)"},
        lambda a: 1,
    ),
    (
        "NaturalExpDecay",
        "natural_exp_decay_as_exponential",
        {"staircase": False},
        {"ExponentialDecay with the same arguments"},
        lambda a: 1,
    ),
    (
        "PiecewiseConstantDecay",
        "piecewise_constant_switching_at_boundary",
        {},
        # For a step function, switching one step early is the same as a schedule one step ahead.
        {
            "PiecewiseConstantDecay with boundary steps on the other side (< ↔ ≤ where the step is compared)",
            "PiecewiseConstantDecay with the step shifted by one (k → k + 1)",
        },
        lambda a: a["boundaries"][0],
    ),
    (
        "CyclicLR",
        "cyclic_lr_always_triangular",
        {"mode": "triangular2"},
        {"CyclicLR with mode='triangular' instead of 'triangular2'"},
        lambda a: int(a["step_size_up"] + (a["step_size_down"] or a["step_size_up"])) + 1,  # the second cycle
    ),
]


@pytest.mark.parametrize(
    ("spec", "function", "given", "slips", "first"), WRONG_IMPLEMENTATIONS, ids=[w[1] for w in WRONG_IMPLEMENTATIONS]
)
def test_wrong_implementation_fails_with_the_slip_named(spec, function, given, slips, first):
    for seed in SEEDS:
        verdict = verify(REGISTRY, spec, f"{WRONG}:{function}", steps=STEPS, seed=seed, given=given)
        assert not verdict.passed
        assert {label for label, _, _ in verdict.matches} == slips, verdict.report(every=STEPS)
        assert verdict.first_divergent == first(verdict.arguments), verdict.report(every=STEPS)


@pytest.mark.parametrize(
    ("spec", "function", "given"),
    [
        ("CosineDecay", "correct_cosine_decay", {"warmup_target": None}),
        ("CosineDecay", "correct_cosine_decay", {"warmup_target": 0.05}),
        ("PiecewiseConstantDecay", "correct_piecewise_constant", {}),
        ("LinearWarmup", "correct_linear_warmup", {}),  # the following schedule comes as a callable
    ],
)
def test_correct_user_implementation_passes(spec, function, given):
    for seed in SEEDS:
        verdict = verify(REGISTRY, spec, f"{WRONG}:{function}", steps=STEPS, seed=seed, given=given)
        assert verdict.passed, verdict.report(every=STEPS)


def test_unknown_mistake_fails_and_matches_nothing():
    verdict = verify(REGISTRY, "LinearWarmup", f"{WRONG}:linear_warmup_not_rebased", steps=STEPS, seed=1)
    assert not verdict.passed
    assert verdict.first_divergent == verdict.arguments["warmup_steps"]  # the first step of the following schedule
    assert verdict.matches == []
    assert "It matches no registered convention and none of the known slips." in verdict.report()


def test_cli_exit_status(capsys):
    arguments = ["verify", "CosineDecay", "--steps", "50", "--against"]
    assert main([*arguments, f"{WRONG}:correct_cosine_decay"]) == 0
    assert "PASS: " in capsys.readouterr().out
    assert main([*arguments, f"{WRONG}:cosine_decay_one_step_early"]) == 1
    out = capsys.readouterr().out
    assert "FAIL: first diverges at step 0" in out
    assert "matches CosineDecay with the step shifted by one (k → k + 1)" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["InverseTimeDecay", "--against", "torch"], "torch.optim.lr_scheduler has no counterpart of InverseTimeDecay"),
        (["CosineDecay", "--against", "torch", "--dtype", "float32"], "use --dtype float64"),
        (["CosineDecay", "--against", "torch", "--flag", "amsgrad"], "--flag is for optimizers"),
    ],
)
def test_cli_refuses_what_it_cannot_referee(capsys, arguments, message):
    assert main(["verify", *arguments]) == 2
    assert message in capsys.readouterr().err
