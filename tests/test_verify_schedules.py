"""``trainspec verify`` on schedules: each spec against its declared torch and Keras counterparts, slips caught.

The real libraries are the ``reference`` extra (torch 2.13 CPU, keras 3.15 on the torch backend). Every run
is 300 steps with arguments drawn by the referee (seeded) from each spec's typical ranges; every form of a spec
is covered (each combination of its choices, each optional argument None or set, each value its formula
branches on), against every library it declares a counterpart in. Tolerances are the referee's, normwise
against the largest rate so far: √eps ≈ 1.5e-8 in float64, 2^8 eps ≈ 3.1e-5 in float32 (Keras in its default
float32), against which correct implementations measure ≤ 1e-14 (float64) and ≤ 3 eps (Keras float32) while a
step shifted by one moves the rate by 6.7e-4 of its scale or more.
"""

from __future__ import annotations

import importlib
import json
import math
import os

import numpy as np
import pytest
import sympy
from helpers import SPECS_DIR, package

from codegen.cli import main
from codegen.language.schedule import Call, ScheduleCounterpart, ScheduleSpec
from codegen.load import load_registry
from codegen.lower.schedule import variants
from codegen.referee import schedule_adapters as schedule_external
from codegen.referee.schedule import draw, draw_number, relative_errors, spec_rates, tolerance, verify

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
REGISTRY = load_registry(SPECS_DIR)
SPECS = {spec.name: spec for spec in REGISTRY.schedules}
PACKAGE = package()
SEEDS = (1, 2)
STEPS = 300
WRONG = "tests.wrong_schedules"
LIBRARIES = tuple(schedule_external.LIBRARIES)


def _spec(name: str) -> ScheduleSpec:
    """The registered spec of that name; a test about one spec's behaviour is skipped where it is not registered."""
    if name not in SPECS:
        pytest.skip(f"{name} is not in the registry under test")
    return SPECS[name]


def _libraries(spec: ScheduleSpec) -> set[str]:
    """The libraries ``spec`` declares a counterpart of its own formula in."""
    return {c.library for c in spec.counterparts if c.same}


def _branch_values(spec: ScheduleSpec) -> dict[str, float]:
    """Arguments the formula branches on equality with a number (CosineDecayRestarts's ``Eq(t_mul, 1)``)."""
    names = {a.symbol: a.argument for a in spec.scalar_arguments}
    expressions = [spec.value, *(e for _, e in spec.definitions)]
    expressions += [e for choice in spec.choices for case in choice.cases for e in case.define.values()]
    found = {}
    for expression in expressions:
        for equality in sympy.sympify(expression).atoms(sympy.Eq):
            for side, other in (equality.args, equality.args[::-1]):
                if side in names and other.is_number:
                    found[names[side]] = float(other)
    return found


def forms(spec: ScheduleSpec) -> list[dict]:
    """Given arguments for each form: every combination of choices, each optional argument None or set, and each
    value the formula branches on (tests/test_schedules_external.py runs them too)."""
    found = [dict(zip([c.argument for c in spec.choices], v.selection)) for v in variants(spec)]
    rng = np.random.default_rng(0)
    for rule in spec.when_none:
        value = draw_number(spec.argument(rule.argument), rng, STEPS)
        found = [{**form, rule.argument: None} for form in found] + [{**form, rule.argument: value} for form in found]
    return found + [{name: value} for name, value in _branch_values(spec).items()]


def label(value) -> str:
    if isinstance(value, dict):
        return ",".join(f"{name}={label(item)}" for name, item in value.items()) or "drawn"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


COUNTERPART_RUNS = [
    pytest.param(spec.name, library, form, id=f"{spec.name}-{library}-{label(form)}")
    for spec in REGISTRY.schedules
    for library in LIBRARIES
    if library in _libraries(spec)
    for form in forms(spec)
]


@pytest.mark.parametrize(("spec", "library", "given"), COUNTERPART_RUNS)
def test_spec_matches_its_counterpart(spec, library, given):
    pytest.importorskip(library)
    if library == "keras":
        pytest.importorskip("keras")
    for dtype in ("float64",) if library == "torch" else ("float64", "float32"):
        for seed in SEEDS:
            verdict = verify(REGISTRY, spec, library, steps=STEPS, seed=seed, dtype=dtype, given=given, package=PACKAGE)
            assert verdict.passed, verdict.report(every=STEPS)


def _drawn_for(spec: ScheduleSpec, library: str, given: dict, seed: int = 1):
    """The implementation, and the drawn arguments it applies to, as verify has them."""
    implementation = schedule_external.implementation(library, spec, np.dtype(np.float64), SPECS, PACKAGE)
    return implementation, implementation.constrain(draw(SPECS, spec, np.random.default_rng(seed), STEPS, given))


def _capped() -> list:
    """The runs whose counterpart matches the spec over its first steps only (a declared horizon within the run)."""
    found = []
    for spec in REGISTRY.schedules:
        for library in _libraries(spec):
            if not any(isinstance(c, ScheduleCounterpart) and c.horizon is not None for c in spec.counterparts):
                continue
            for form in forms(spec):
                implementation, arguments = _drawn_for(spec, library, form)
                if (implementation.horizon(arguments) or STEPS) < STEPS:
                    found.append(pytest.param(spec.name, library, form, id=f"{spec.name}-{library}-{label(form)}"))
    return found


@pytest.mark.parametrize(("spec", "library", "given"), _capped())
def test_a_counterpart_is_compared_up_to_its_horizon_only(spec, library, given):
    """Within its horizon it matches; at the first step past it, it does not (CosineAnnealingLR rises again)."""
    pytest.importorskip(library)
    implementation, arguments = _drawn_for(SPECS[spec], library, given)
    horizon = implementation.horizon(arguments)
    # One step past the horizon, and no further: OneCycleLR raises past its total_steps.
    steps = horizon + 1
    errors = relative_errors(implementation.rates(arguments, steps), spec_rates(SPECS[spec], arguments, steps, PACKAGE))
    assert np.max(errors[:horizon]) <= tolerance(np.float64)
    assert errors[horizon] > tolerance(np.float64)


@pytest.mark.parametrize(
    ("spec", "library"),
    [
        pytest.param(spec.name, library, id=f"{spec.name}-{library}")
        for spec in REGISTRY.schedules
        for library in LIBRARIES
        if library not in _libraries(spec)
    ],
)
def test_no_counterpart_is_a_clear_error(spec, library):
    with pytest.raises(ValueError, match=f"{schedule_external.LIBRARIES[library]} has no counterpart of {spec}"):
        verify(REGISTRY, spec, library, package=PACKAGE)


def test_keras_in_float32_needs_the_float32_tolerance():
    """Keras really computes in float32 there: its rounding is beyond the float64 tolerance, within float32's."""
    pytest.importorskip("keras")
    _spec("CosineDecay")
    verdict = verify(REGISTRY, "CosineDecay", "keras", steps=STEPS, seed=1, dtype="float32", package=PACKAGE)
    assert verdict.passed, verdict.report(every=STEPS)
    assert tolerance(np.float64) < float(np.max(verdict.errors)) <= tolerance(np.float32)


# ----------------------------------------------------------------------------- a user's function, every spec


def _generated(name: str, shift: int):
    """The generated schedule as a user's ``rate(step, **arguments)``, read ``shift`` steps ahead."""

    def rate(step: int, **arguments) -> float:
        return PACKAGE.schedules.SCHEDULES[name](**arguments)(step + shift)

    return rate


@pytest.fixture
def user_function(monkeypatch):
    """Puts a function into the module that ``--against tests.wrong_schedules:NAME`` imports, for one test."""
    module = importlib.import_module(WRONG)

    def put(function) -> str:
        monkeypatch.setattr(module, "under_test", function, raising=False)
        return f"{WRONG}:under_test"

    return put


@pytest.mark.parametrize("spec", [pytest.param(s.name, id=s.name) for s in REGISTRY.schedules])
def test_the_generated_schedule_passes_as_a_user_function(spec, user_function):
    """The user adapter hands over every kind of argument as documented: numbers, choices, Nones, lists, schedules."""
    target = user_function(_generated(spec, 0))
    for seed in SEEDS:
        verdict = verify(REGISTRY, spec, target, steps=STEPS, seed=seed, package=PACKAGE)
        assert verdict.passed, verdict.report(every=STEPS)
        assert np.max(verdict.errors) == 0.0


@pytest.mark.parametrize("spec", [pytest.param(s.name, id=s.name) for s in REGISTRY.schedules])
def test_a_schedule_one_step_early_fails_with_the_slip_named(spec, user_function):
    target = user_function(_generated(spec, 1))
    changing = 0
    for seed in SEEDS:
        arguments = draw(SPECS, SPECS[spec], np.random.default_rng(seed), STEPS, {})  # as verify draws them
        rates = spec_rates(SPECS[spec], arguments, STEPS + 1, PACKAGE)
        if np.all(relative_errors(rates[1:], rates[:-1]) <= tolerance(np.float64)):
            continue  # these arguments give a rate that no shift changes within the run
        changing += 1
        verdict = verify(REGISTRY, spec, target, steps=STEPS, given=arguments, package=PACKAGE)
        assert not verdict.passed
        assert f"{spec} with the step shifted by one (k → k + 1)" in {m[0] for m in verdict.matches}, verdict.report()
    if not changing:
        pytest.skip(f"{spec}'s drawn rates do not change within {STEPS} steps: no shift to catch")


# ----------------------------------------------------------------------------- one slip each, on purpose

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
    (
        "LinearWarmup",
        "linear_warmup_dividing_by_one_less",
        {},
        {"LinearWarmup with dividing by warmup_steps − 1 instead of warmup_steps"},
        lambda a: 1,
    ),
    (
        "ExponentialDecay",
        "exponential_decay_rounding",
        {"staircase": True},
        {"ExponentialDecay with floor taken as round (⌊x⌋ → ⌊x + 1/2⌋)"},
        lambda a: math.ceil(a["decay_steps"] / 2),  # the first step nearer the next stair
    ),
    (
        "LinearWarmup",
        "linear_warmup_not_rebased",
        {},
        {"LinearWarmup with the schedules it runs not re-based (each at step k, not k − its first step)"},
        lambda a: a["warmup_steps"],  # the first step of the following schedule
    ),
    (
        "JoinSchedules",
        "join_not_rebased",
        {},
        {"JoinSchedules with the schedules it runs not re-based (each at step k, not k − its first step)"},
        lambda a: a["boundaries"][0],
    ),
    (
        "JoinSchedules",
        "join_switching_after_the_boundary",
        {},
        {"JoinSchedules with boundary steps on the other side (< ↔ ≤ where the step is compared)"},
        lambda a: a["boundaries"][0],
    ),
]


@pytest.mark.parametrize(
    ("spec", "function", "given", "slips", "first"), WRONG_IMPLEMENTATIONS, ids=[w[1] for w in WRONG_IMPLEMENTATIONS]
)
def test_wrong_implementation_fails_with_the_slip_named(spec, function, given, slips, first):
    for name in {spec} | {slip.partition(" ")[0] for slip in slips}:
        _spec(name)
    for seed in SEEDS:
        verdict = verify(REGISTRY, spec, f"{WRONG}:{function}", steps=STEPS, seed=seed, given=given, package=PACKAGE)
        assert not verdict.passed
        assert {slip for slip, _, _ in verdict.matches} == slips, verdict.report(every=STEPS)
        assert verdict.first_divergent == first(verdict.arguments), verdict.report(every=STEPS)


@pytest.mark.parametrize(
    ("spec", "function", "given"),
    [
        ("CosineDecay", "correct_cosine_decay", {"warmup_target": None}),
        ("CosineDecay", "correct_cosine_decay", {"warmup_target": 0.05}),
        ("PiecewiseConstantDecay", "correct_piecewise_constant", {}),
        ("LinearWarmup", "correct_linear_warmup", {}),  # the following schedule comes as a callable
        ("JoinSchedules", "correct_join", {}),  # the schedules come as a list of callables
    ],
    ids=label,
)
def test_correct_hand_written_implementation_passes(spec, function, given):
    _spec(spec)
    for seed in SEEDS:
        verdict = verify(REGISTRY, spec, f"{WRONG}:{function}", steps=STEPS, seed=seed, given=given, package=PACKAGE)
        assert verdict.passed, verdict.report(every=STEPS)


def test_unknown_mistake_fails_and_matches_nothing():
    _spec("LinearWarmup")
    verdict = verify(
        REGISTRY, "LinearWarmup", f"{WRONG}:linear_warmup_squared_ramp", steps=STEPS, seed=1, package=PACKAGE
    )
    assert not verdict.passed
    assert verdict.first_divergent == 1  # the ramp's first step after 0
    assert verdict.matches == []
    assert "It matches no registered convention and none of the known slips." in verdict.report()


def test_a_following_schedule_outside_the_pattern_is_a_clear_error():
    """LinearWarmup's counterparts are a warmup in front of a CosineDecay: another following schedule is refused."""
    _spec("LinearWarmup")
    following = Call("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 50, "warmup_target": 0.2})
    for library in _libraries(SPECS["LinearWarmup"]):
        with pytest.raises(ValueError, match=r"needs schedule=CosineDecay\(.*\) with its other arguments at"):
            verify(REGISTRY, "LinearWarmup", library, given={"schedule": following}, package=PACKAGE)


# ----------------------------------------------------------------------------- the command line


def test_cli_exit_status(capsys):
    _spec("CosineDecay")
    arguments = ["verify", "CosineDecay", "--specs", str(SPECS_DIR), "--steps", "50", "--against"]
    assert main([*arguments, f"{WRONG}:correct_cosine_decay"]) == 0
    assert "PASS: " in capsys.readouterr().out
    assert main([*arguments, f"{WRONG}:cosine_decay_one_step_early"]) == 1
    out = capsys.readouterr().out
    assert "FAIL: first diverges at step 0" in out
    assert "matches CosineDecay with the step shifted by one (k → k + 1)" in out


def _refused() -> list:
    """(arguments, message): what the command line refuses to referee, for specs of the registry under test."""
    found = []
    missing = [(s.name, lib) for s in REGISTRY.schedules for lib in LIBRARIES if lib not in _libraries(s)]
    if missing:
        name, library = missing[0]
        message = f"{schedule_external.LIBRARIES[library]} has no counterpart of {name}"
        found.append(pytest.param([name, "--against", library], message, id="no counterpart"))
    torch_specs = [s.name for s in REGISTRY.schedules if "torch" in _libraries(s)]
    if torch_specs:
        arguments = [torch_specs[0], "--against", "torch", "--dtype", "float32"]
        found.append(pytest.param(arguments, "use --dtype float64", id="torch in float32"))
    name = REGISTRY.schedules[0].name
    found.append(pytest.param([name, "--against", "torch", "--flag", "amsgrad"], "--flag is for optimizers", id="flag"))
    return found


@pytest.mark.parametrize(("arguments", "message"), _refused())
def test_cli_refuses_what_it_cannot_referee(capsys, arguments, message):
    assert main(["verify", *arguments, "--specs", str(SPECS_DIR)]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_choice_runs_whatever_the_seed(capsys, seed):
    """A staircase bug (the continuous form whatever staircase says) is caught at every seed: the matrix runs
    staircase=True as a variant of its own, where a drawn choice left it to the seed."""
    _spec("ExponentialDecay")
    target = f"{WRONG}:exponential_decay_staircase_ignored"
    command = ["verify", "ExponentialDecay", "--against", target, "--steps", "60", "--seed", str(seed), "--quiet"]
    assert main([*command, "--specs", str(SPECS_DIR)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("PASS defaults") and lines[2].startswith("FAIL staircase=True: matches ")


def test_an_argument_is_pinned_and_a_choice_with_it(capsys):
    """--arg pins a number and a choice in every variant; the matrix then varies nothing pinned."""
    _spec("ExponentialDecay")
    arguments = ["verify", "ExponentialDecay", "--against", f"{WRONG}:exponential_decay_staircase_ignored", "--json"]
    arguments += ["--steps", "40", "--arg", "decay_rate=0.5", "--arg", "staircase=False", "--specs", str(SPECS_DIR)]
    assert main(arguments) == 0  # the bug does not show without the staircase
    report = json.loads(capsys.readouterr().out)
    assert [v["variant"] for v in report["variants"]] == ["defaults"]
    assert report["variants"][0]["arguments"]["decay_rate"] == 0.5
