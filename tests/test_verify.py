"""``trainspec verify``: each spec against the library class it declares as computing its formula, the other
conventions named, and wrong implementations caught.

The specs come from the registry under test: a spec declaring a ``same=True`` counterpart in torch, keras or optax
is verified against it, with every flag off and with each flag on. The real libraries are the ``reference`` extra
(torch 2.13 CPU, keras 3.15 on the torch backend, JAX on the CPU with optax), which .ci/run installs; a test that
needs one skips without it. Every run is 300 steps in float64 and in float32, with hyperparameters drawn at random
by the referee from their typical ranges (seeded); the tolerance is the referee's, √(machine epsilon): 1.5e-8 in
float64, against which correct implementations measure ~1e-14 and the conventions differ by 1e-6 or more, and
3.5e-4 in float32, where correct implementations measured at most 1e-4 (TorchRAdam with decoupled decay: torch
rounds 1 − ηλ to float32 before the product) and most below 1e-5. torch steps with its default dtype set to the
run's: it keeps some scalars of a step as tensors of the default dtype, and TorchASGD's η_t, rounded to float32,
moved a float64 trajectory by 4.1e-8 of its displacement (9.5e-16 with the default dtype float64).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from helpers import SPECS_DIR, package
from wrong_optimizers import ONE_LINE_SLIPS

from codegen.cli import main
from codegen.load import load_registry
from codegen.referee import optimizer_adapters as external
from codegen.referee.coverage import Variant
from codegen.referee.optimizer import (
    draw,
    problem,
    reads_the_rate_each_step,
    relative_errors,
    run_coverage,
    tolerance,
    variants,
    verify,
)
from codegen.referee.optimizer_adapters import LIBRARIES

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
REGISTRY = load_registry(SPECS_DIR)
SPECS = REGISTRY.optimizers
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}
STEPS = 300
trainspec = package()


def conformance_cases(library: str) -> list[str]:
    """Every spec declaring a counterpart in ``library`` that computes its formula."""
    return [spec.name for spec in SPECS if any(c.library == library and c.same for c in spec.counterparts)]


def _declares_none(spec, library: str) -> bool:
    """Neither the spec nor another registered convention of its method declares a counterpart in ``library``."""
    method = [other for other in SPECS if other.method_name == spec.method_name]
    return not any(c.library == library for other in method for c in other.counterparts)


CONFORMANCE = [(library, spec) for library in LIBRARIES for spec in conformance_cases(library)]
SEEDS = {"keras": 3}
"""The seed per library, 1 where not given (Keras's own seed 1 draws the same as torch's)."""


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("library", "spec"), CONFORMANCE, ids=str)
def test_spec_matches_its_counterpart_in_every_variant(library: str, spec: str, dtype: str) -> None:
    """The referee's whole matrix: each flag on, each momentum-like hyperparameter at 0, Keras's weight decay and
    clipping, a scheduled learning rate. keras computes its clipping scales in float32 inside a float64 run
    (optimizer_adapters.KERAS_FLOAT32_INSIDE), so those variants run in float32 only; its float32 decay factor is
    modelled exactly, except under a schedule, which runs here with weight_decay=0 where the decay is on."""
    pytest.importorskip(library)
    elsewhere = _backend_elsewhere(library, spec)
    if elsewhere:
        _verify_on_backend(elsewhere, spec, dtype)
        return
    covered = run_coverage(REGISTRY, spec, library, steps=STEPS, seed=SEEDS.get(library, 1), dtype=dtype)
    assert covered.passed, covered.report(every=STEPS)
    if not reads_the_rate_each_step(SPECS_BY_NAME[spec]):  # Rprop: a schedule has nothing to change, and is not run
        assert [skipped.label for skipped in covered.skipped] == ["schedule"]
        return
    if "schedule" in [skipped.label for skipped in covered.skipped]:
        covered = run_coverage(
            REGISTRY, spec, library, steps=STEPS, seed=1, dtype=dtype, given={"weight_decay": 0.0}, chosen=["schedule"]
        )
        assert covered.passed, covered.report(every=STEPS)
    assert "schedule" in [variant.label for variant, _ in covered.runs]


def _backend_elsewhere(library: str, spec: str) -> str | None:
    """The Keras backend to verify ``spec`` on where its counterpart computes it on other backends than this
    process's (Keras picks its backend once per process)."""
    backends = external.declared(SPECS_BY_NAME[spec], library).backends
    if library != "keras" or not backends or external.keras_backend() in backends:
        return None
    return backends[0]


def _verify_on_backend(backend: str, spec: str, dtype: str) -> None:
    """The whole matrix, as a user runs it: ``trainspec verify`` in a process on ``backend``."""
    pytest.importorskip(backend)
    command = [sys.executable, "-m", "codegen", "verify", spec, "--against", "keras", "--steps", str(STEPS)]
    command += ["--seed", str(SEEDS["keras"]), "--dtype", dtype]
    environment = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("PASS"), result.stdout


def test_keras_on_torch_recovers_schedule_free_x_from_the_new_z() -> None:
    """Keras 3.15's ScheduleFreeAdamW on its torch backend saves z before the update as ``momentum.value``, the
    tensor the in-place update then changes, and recovers x from the new z. The referee names that slip (here
    without warmup, whose factor the torch backend also rounds to float32); on JAX it passes (the test above)."""
    pytest.importorskip("keras")
    if external.keras_backend() != "torch":
        pytest.skip("Keras runs on another backend in this process")
    covered = run_coverage(REGISTRY, "ScheduleFreeAdamW", "keras", steps=30, given={"warmup_steps": 0.0})
    (variant, verdict), *_ = covered.runs
    assert variant.label == "defaults" and not verdict.passed
    labels = [label for label, _, _ in verdict.matches]
    assert labels == [
        "ScheduleFreeAdamW with z read after its update (line 3), in line 2: x_last ← (w - z*(1 - beta_1))/beta_1"
    ], labels


OUTPUT_SEQUENCES = [
    pytest.param(spec.name, state.name, id=f"{spec.name}-{state.name}")
    for spec in SPECS
    for state in spec.state
    if state.output and external.declared(spec, "torch") is not None
]


@pytest.mark.parametrize(("name", "state"), OUTPUT_SEQUENCES)
def test_an_output_sequence_follows_the_counterparts_state_of_that_name(name: str, state: str) -> None:
    """A second parameter sequence (ASGD's average) is what the user evaluates, yet the parameter never reads it, so
    the parameter's trajectory cannot vouch for it: torch's state of the same name, 300 float64 steps, each within
    the referee's tolerance of the spec's, normwise against its displacement."""
    torch = pytest.importorskip("torch")
    spec = REGISTRY.get(name)
    chosen = external.implementation("torch", spec, REGISTRY)
    rng = np.random.default_rng(1)
    arguments = draw(spec, rng, chosen.accepts, {}, chosen.requires)
    start, gradients = problem(rng, STEPS, np.dtype(np.float64))
    ours, params = trainspec.optimizers.get(name)(**arguments), [p.copy() for p in start]
    counterpart = external.declared(spec, "torch")
    tensors = [torch.from_numpy(p.copy()).requires_grad_() for p in start]
    torch.set_default_dtype(torch.float64)  # torch keeps ASGD's η and μ in the default dtype
    try:
        theirs = external.imported(counterpart)(
            tensors, foreach=False, **external.call_arguments(counterpart, spec, arguments)
        )
        expected, actual = [np.zeros(sum(p.size for p in start))], [np.zeros(sum(p.size for p in start))]
        for grads in gradients:
            ours.apply([gradient.copy() for gradient in grads], params)
            for tensor, gradient in zip(tensors, grads):
                tensor.grad = torch.from_numpy(gradient.copy())
            theirs.step()
            expected.append(np.concatenate([theirs.state[tensor][state].numpy().ravel() for tensor in tensors]))
            actual.append(np.concatenate([slots[state].ravel() for slots in ours.get_state()["slots"]]))
    finally:
        torch.set_default_dtype(torch.float32)
    errors = relative_errors(np.array(actual), np.array(expected))
    assert errors.max() <= tolerance(np.dtype(np.float64)), (errors.max(), int(errors.argmax()) + 1)


@pytest.mark.parametrize(
    ("spec", "against", "expected"),
    [
        ("Adam", "torch", "TorchAdam"),
        ("TorchAdam", "keras", "Keras 3 Adam"),
        ("RMSprop", "torch", "TorchRMSprop"),
        ("Adagrad", "torch", "TorchAdagrad"),
        ("Adamax", "torch", "TorchAdamax"),
        ("Nadam", "torch", "TorchNAdam"),
    ],
)
def test_other_convention_is_named(spec: str, against: str, expected: str) -> None:
    """Chosen pairs of conventions of one method: the referee fails the one and names the other."""
    if not {spec, expected.split()[-1]} <= {s.name for s in SPECS}:
        pytest.skip(f"{spec} or {expected} is not registered")
    pytest.importorskip(against)
    verdict = verify(REGISTRY, spec, against, steps=STEPS, seed=4, package=trainspec)
    assert not verdict.passed
    assert any(expected in label for label, _, _ in verdict.matches), verdict.report(every=STEPS)


NO_COUNTERPART = [(spec.name, library) for spec in SPECS for library in LIBRARIES if _declares_none(spec, library)]


@pytest.mark.parametrize(("spec", "library"), NO_COUNTERPART, ids=lambda value: str(value))
def test_a_spec_without_a_counterpart_is_refused_with_a_clear_message(spec: str, library: str, capsys) -> None:
    with pytest.raises(ValueError, match=rf"{LIBRARIES[library]} has no counterpart of {spec}"):
        verify(REGISTRY, spec, library, steps=5, package=trainspec)
    assert main(["verify", spec, "--against", library, "--specs", str(SPECS_DIR), "--steps", "5"]) == 2
    assert f"has no counterpart of {spec}" in capsys.readouterr().err


def test_a_pinned_argument_takes_its_required_value() -> None:
    """A counterpart declared for part of a spec (``requires``) is run, and the spec with it, at the pinned value:
    here TorchSGD's dampening pinned to an expression of its momentum."""
    pytest.importorskip("torch")
    if "TorchSGD" not in {spec.name for spec in SPECS}:
        pytest.skip("TorchSGD is not registered")
    spec = REGISTRY.get("TorchSGD")
    momentum = spec.hyperparameter("momentum").symbol
    pinned = dataclasses.replace(spec.counterparts[0], requires=(("dampening", momentum / 2),))
    changed = dataclasses.replace(spec, counterparts=(pinned,))
    optimizers = tuple(changed if other is spec else other for other in SPECS)
    registry = dataclasses.replace(REGISTRY, by_kind={**REGISTRY.by_kind, "optimizer": optimizers})
    verdict = verify(registry, "TorchSGD", "torch", steps=STEPS, seed=6, package=trainspec)
    assert verdict.arguments["dampening"] == verdict.arguments["momentum"] / 2 != 0
    assert verdict.passed, verdict.report(every=STEPS)


def _adam_or_skip() -> None:
    """The wrong implementations are Adam's (tests/wrong_optimizers.py)."""
    if "Adam" not in {spec.name for spec in SPECS}:
        pytest.skip("Adam is not registered")


@pytest.mark.parametrize(
    ("function", "slip"),
    [
        ("adam_epsilon_inside_root", "epsilon moved inside the root, in line 4: w ← "),
        ("adam_without_bias_correction", "every bias correction dropped"),
        ("adam_beta_swapped", "beta_1 and 1 − beta_1 swapped everywhere"),
        *((f"adam_{name}", cause) for name, cause in ONE_LINE_SLIPS.items()),
        ("adagrad_starting_at_zero", "the accumulator (A) starting at 0 instead of A_0"),
    ],
)
def test_wrong_implementation_fails_with_the_slip_named(function: str, slip: str) -> None:
    """One-line bugs, each caught and its cause named as a single change of one line of the spec's algorithm (or of
    a starting value), derived from the spec (codegen/referee/slips.py), not listed by hand; the only match."""
    name = function.partition("_")[0].capitalize()
    if name not in {spec.name for spec in SPECS}:
        pytest.skip(f"{name} is not registered")
    verdict = verify(REGISTRY, name, f"tests.wrong_optimizers:{function}", steps=STEPS, seed=5, package=trainspec)
    assert not verdict.passed
    labels = [label for label, _, _ in verdict.matches]
    assert len(labels) == 1 and slip in labels[0], verdict.report(every=STEPS)


def test_correct_user_implementation_passes() -> None:
    _adam_or_skip()
    verdict = verify(REGISTRY, "Adam", "tests.wrong_optimizers:correct_adam", steps=STEPS, seed=5, package=trainspec)
    assert verdict.passed, verdict.report(every=STEPS)


def test_cli_exit_status(capsys) -> None:
    _adam_or_skip()
    assert main(["verify", "Adam", "--against", "tests.wrong_optimizers:correct_adam", "--steps", "20"]) == 0
    assert main(["verify", "Adam", "--against", "tests.wrong_optimizers:adam_beta_swapped", "--steps", "20"]) == 1
    assert "FAIL: first diverges at step" in capsys.readouterr().out


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_the_variants_cover_every_option_base_option_and_a_schedule(spec) -> None:
    """Against a user's function that names every Keras base option: a variant per flag switched, per
    momentum-like hyperparameter at its off value, per base option of a Keras-convention spec, and a schedule."""
    implementation = dataclasses.replace(
        external.implementation("tests.wrong_optimizers:correct_adam", spec, REGISTRY),
        base_options=external.KERAS_BASE_OPTIONS,
    )
    found, skipped = variants(spec, implementation, {}, "float64")
    labels = [variant.label for variant in found]
    if reads_the_rate_each_step(spec):
        assert labels[0] == "defaults" and labels[-1] == "schedule" and not skipped
    else:  # Rprop: the rate is where the step sizes start, and a schedule has nothing to change
        assert labels[0] == "defaults" and [s.label for s in skipped] == ["schedule"]
    assert len(set(labels)) == len(labels)
    for option in spec.options:
        if option.kind == "flag":  # switched away from its default: on, or off for one on by default
            expected = f"{option.argument}=False" if option.default else option.argument
        else:
            expected = f"{option.argument}={option.off_value:g}"
        assert expected in labels, (expected, labels)
    if spec.base_options == "keras":
        assert set(external.KERAS_BASE_OPTIONS) <= {label.partition("=")[0] for label in labels}


def test_pytorchs_momentum_under_a_schedule_is_told_from_keras(capsys) -> None:
    """Keras's SGD keeps η in its velocity, PyTorch's buffer does not: equal at a constant rate, so only the
    scheduled variant tells them apart, and it names TorchSGD."""
    pytest.importorskip("torch")
    assert main(["verify", "SGD", "--against", "torch", "--steps", "50", "--quiet"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "PASS defaults" in lines[1] and any(line.startswith("PASS nesterov") for line in lines)
    assert [line for line in lines if line.startswith("FAIL schedule: matches PyTorch TorchSGD")]
    assert (
        main(
            [
                "verify",
                "SGD",
                "--against",
                "torch",
                "--steps",
                "50",
                "--variant",
                "schedule",
                "--schedule",
                "ExponentialDecay:staircase=True",
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "learning rate: ExponentialDecay:staircase=True at steps 0 .. 49" in out


def test_a_pinned_argument_is_used_in_every_variant_and_no_variant_changes_it(capsys) -> None:
    pytest.importorskip("torch")
    arguments = ["verify", "TorchSGD", "--against", "torch", "--steps", "20", "--json"]
    assert main([*arguments, "--arg", "momentum=0.25", "--arg", "dampening=0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and report["command"].endswith("--arg momentum=0.25 --arg dampening=0")
    assert all(v["arguments"]["momentum"] == 0.25 and v["arguments"]["dampening"] == 0 for v in report["variants"])
    assert {v["variant"] for v in report["variants"]} == {"defaults", "nesterov", "weight_decay=0", "schedule"}


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--arg", "beta_3=0.5"], "TorchSGD has no argument or flag 'beta_3'"),
        (["--arg", "momentum"], "--arg takes name=value, got 'momentum'"),
        (["--variant", "amsgrad"], "no variant 'amsgrad' in this run; variants: defaults, momentum=0"),
        (["--schedule", "Cosine"], "--schedule 'Cosine': 'Cosine' is not a schedule spec; schedules: "),
        (["--arg", "momentum=1.5"], "momentum"),
    ],
)
def test_a_bad_pin_or_variant_is_a_usage_error_naming_it(option: list[str], message: str, capsys) -> None:
    pytest.importorskip("torch")
    assert main(["verify", "TorchSGD", "--against", "torch", "--steps", "5", *option]) == 2
    assert message in capsys.readouterr().err


def test_quiet_prints_one_line_per_variant_and_skipped_variants_say_why(capsys) -> None:
    _adam_or_skip()
    pytest.importorskip("keras")
    assert main(["verify", "Adam", "--against", "keras", "--steps", "10", "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[1:-1]] == [
        "PASS defaults",
        "PASS amsgrad",
        "PASS weight_decay",
        "PASS beta_1=0",
        "PASS beta_2=0",
        "PASS clipvalue",
        "PASS schedule",
        "SKIP clipnorm",
        "SKIP global_clipnorm",
    ]
    assert "keras's torch backend computes max(norm, clipnorm) in float32" in lines[8]
    assert lines[-1] == "PASS: keras computes Adam in all 7 variants."


def test_kerass_float32_decay_factor_is_modelled_not_tolerated() -> None:
    """keras rounds 1 − λη to float32 even in a float64 run: without the model of that rounding its weight-decay
    variant diverges far beyond the tolerance; with it, the two agree to float64 rounding."""
    _adam_or_skip()
    pytest.importorskip("keras")
    variant = Variant("weight_decay", drawn=("weight_decay",))
    modelled = verify(REGISTRY, "Adam", "keras", steps=STEPS, seed=3, variant=variant)
    assert modelled.passed and np.max(modelled.errors) < 1e-12, modelled.report()
    assert any("keras rounds its decay factor" in note for note in modelled.notes)
    implementation = external.implementation("keras", REGISTRY.get("Adam"), REGISTRY)
    unmodelled = dataclasses.replace(implementation, rounded=None)
    with mock.patch.object(external, "implementation", return_value=unmodelled):
        plain = verify(REGISTRY, "Adam", "keras", steps=STEPS, seed=3, variant=variant)
    assert not plain.passed and np.max(plain.errors) > 100 * plain.tolerance


def test_a_base_option_reaches_a_function_that_names_it() -> None:
    _adam_or_skip()
    covered = run_coverage(REGISTRY, "Adam", "tests.wrong_optimizers:adam_with_clipnorm", steps=STEPS, seed=2)
    assert "clipnorm" in [variant.label for variant, _ in covered.runs]
    assert "clipvalue" not in [variant.label for variant, _ in covered.runs]
    assert covered.passed, covered.report()


@pytest.mark.parametrize(
    ("spec", "target", "library"),
    [
        ("Adam", "KerasAdamInTorch", "torch"),
        ("SGD", "KerasSGDByHand", "keras"),
        ("SGD", "keras_sgd_in_optax", "optax"),
    ],
)
def test_an_implementation_in_a_librarys_form_is_run_as_that_library_runs_it(spec, target, library) -> None:
    """A torch.optim.Optimizer subclass, a Keras Optimizer subclass and a function building an optax
    GradientTransformation, each written by hand (tests/library_optimizers.py), are told apart by what
    ``module:name`` refers to, run through their library's adapter over the whole matrix, and pass."""
    for needed in ("torch", "keras", "optax"):
        pytest.importorskip(needed)
    if spec not in {s.name for s in SPECS}:
        pytest.skip(f"{spec} is not registered")
    covered = run_coverage(REGISTRY, spec, f"tests.library_optimizers:{target}", steps=STEPS, seed=1)
    assert covered.passed, covered.report()
    labels = [variant.label for variant, _ in covered.runs]
    assert "schedule" in labels and len(labels) >= 3, labels
    assert ("weight_decay" in labels) == (library == "keras")  # a Keras subclass inherits the base options


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("BUILT_TRANSFORM", "is an optax GradientTransformation, its hyperparameters fixed when it was built"),
        ("NotAnOptimizer", "is a class, but no torch.optim.Optimizer or keras.optimizers.Optimizer"),
        ("no_such_name", "tests.library_optimizers has no 'no_such_name'"),
    ],
)
def test_an_object_of_no_known_form_is_a_usage_error(target: str, message: str, capsys) -> None:
    for needed in ("torch", "keras", "optax"):
        pytest.importorskip(needed)
    assert main(["verify", "SGD", "--against", f"tests.library_optimizers:{target}", "--steps", "5"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("target", "raised"),
    [
        ("RefusesItsArguments", "RuntimeError: this optimizer is not finished"),
        ("FailsOnItsSecondStep", "TypeError: an unsupported operand"),
        ("optax_sgd_that_fails_to_build", "KeyError: 'momentum_dtype'"),
    ],
)
def test_a_library_form_that_raises_exits_3_naming_it(target: str, raised: str, capsys) -> None:
    """Whatever a class or factory in a library's form raises, built or stepping, is the implementation's error:
    exit 3, its name and error, its own frames and none of the referee's."""
    for needed in ("torch", "keras", "optax"):
        pytest.importorskip(needed)
    assert main(["verify", "SGD", "--against", f"tests.library_optimizers:{target}", "--steps", "5"]) == 3
    err = capsys.readouterr().err
    assert f"error: tests.library_optimizers:{target} raised {raised}" in err
    assert "library_optimizers.py" in err and "/codegen/" not in err


def test_parameters_that_never_change_get_a_hint(capsys) -> None:
    _adam_or_skip()
    target = "tests.wrong_optimizers:adam_writing_copies"
    assert main(["verify", "Adam", "--against", target, "--steps", "5", "--variant", "defaults"]) == 1
    assert f"the parameters never changed: {target} must update the arrays it is given in place" in (
        capsys.readouterr().out
    )


def test_a_package_that_was_not_built_is_named_in_the_error(tmp_path: Path, capsys) -> None:
    arguments = ["verify", "Adam", "--against", "torch", "--out", str(tmp_path), "--package", "never_built"]
    assert main([*arguments, "--steps", "5"]) == 2
    assert f"no generated package never_built in {tmp_path.resolve()}" in capsys.readouterr().err


def test_the_console_script_finds_a_users_module_in_the_working_directory(tmp_path: Path) -> None:
    """`trainspec` (unlike `python -m`) does not put the working directory on sys.path; verify searches it."""
    _adam_or_skip()
    shutil.copy(Path(__file__).parent / "wrong_optimizers.py", tmp_path / "my_adam.py")
    script = Path(sys.executable).parent / "trainspec"
    if not script.exists():
        pytest.skip("the trainspec console script is not installed next to this Python")
    command = [str(script), "verify", "Adam", "--against", "my_adam:correct_adam", "--steps", "5"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout


def test_the_report_reproduces_the_run_and_is_short_on_a_pass(capsys) -> None:
    pytest.importorskip("torch")
    arguments = ["TorchAdam", "--against", "torch", "--steps", "30", "--seed", "4"]
    assert main(["verify", *arguments, "--flag", "amsgrad", "--arg", "weight_decay=0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "trainspec verify TorchAdam --against torch --steps 30 --dtype float64 --seed 4 --flag amsgrad "
        "--arg weight_decay=0.5"
    )
    assert not [line for line in lines if line.startswith("step ")]
    assert lines[1].split() == ["variant", "largest", "error", "diverges", "at", "verdict"]
    labels = [line.split()[0] for line in lines[2:-1]]
    assert labels == ["defaults", "beta_1=0", "beta_2=0", "schedule"]  # amsgrad and weight decay pinned
    assert lines[-1] == "PASS: torch computes TorchAdam in all 4 variants."


def test_a_failing_report_lists_the_steps_around_the_first_divergence(capsys) -> None:
    _adam_or_skip()
    arguments = ["Adam", "--against", "tests.wrong_optimizers:adam_beta_swapped", "--steps", "30"]
    arguments += ["--variant", "defaults"]
    assert main(["verify", *arguments]) == 1
    out = capsys.readouterr().out
    first = int(re.search(r"FAIL: first diverges at step (\d+)", out).group(1))
    listed = [int(step) for step in re.findall(r"^step +(\d+)", out, re.MULTILINE)]
    assert listed == [s for s in range(first - 2, first + 3) if 1 <= s <= 30]
    assert main(["verify", *arguments, "--every", "10"]) == 1
    listed = {int(step) for step in re.findall(r"^step +(\d+)", capsys.readouterr().out, re.MULTILINE)}
    assert {10, 20, 30} <= listed


def test_an_implementation_that_raises_exits_3_with_its_own_traceback(capsys) -> None:
    _adam_or_skip()
    assert main(["verify", "Adam", "--against", "tests.wrong_optimizers:adam_that_raises", "--steps", "5"]) == 3
    err = capsys.readouterr().err
    assert "error: tests.wrong_optimizers:adam_that_raises raised ZeroDivisionError: the user's own bug" in err
    assert "wrong_optimizers.py" in err and "codegen" not in err  # the user's frames only


def test_an_implementation_that_returns_new_arrays_is_told_to_update_in_place(capsys) -> None:
    _adam_or_skip()
    target = "tests.wrong_optimizers:adam_returning_new_arrays"
    assert main(["verify", "Adam", "--against", target, "--steps", "5"]) == 3
    assert "returned a list and left params unchanged: it must update the arrays in params in place" in (
        capsys.readouterr().err
    )
