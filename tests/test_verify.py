"""``trainspec verify``: each convention spec against the real library, and wrong implementations caught.

The real libraries are the ``reference`` extra (torch 2.13 CPU, keras 3.15 on the torch backend), which
.ci/run installs. Every run is 300 float64 steps with hyperparameters drawn at random by the referee
(seeded); the tolerance is the referee's, √(float64 machine epsilon) ≈ 1.5e-8, against which correct
implementations measure ~1e-14 and the conventions differ by 1e-6 or more.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.build import SPECS_DIR
from codegen.cli import main
from codegen.load import load_registry
from codegen.referee.optimizer import verify

pytest.importorskip("torch")
os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
REGISTRY = load_registry(SPECS_DIR)
STEPS = 300

TORCH_CONVENTIONS = [
    ("TorchAdam", {}),
    ("TorchAdam", {"amsgrad": True}),
    ("TorchAdamW", {}),
    ("TorchAdamW", {"amsgrad": True}),
    ("TorchSGD", {}),
    ("TorchRMSprop", {}),
    ("TorchRMSprop", {"centered": True}),
    ("TorchAdagrad", {}),
    ("TorchAdadelta", {}),
    ("TorchAdamax", {}),
    ("TorchNAdam", {}),
]
KERAS_CONVENTIONS = [
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    # AdamW is left out: at float64, keras 3.15 (torch backend) applies its decoupled decay
    # w - λ·η·w with an effective η off in the 5th to 7th digit (measured with zero gradients: η = 0.01 acts as
    # 0.01·(1 - 1.29e-5), 0.1 as 0.1·(1 - 9.5e-7), 0.5 exactly), beyond the float64 tolerance.
    ("SGD", {}),
    ("SGD", {"nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"centered": True}),
    ("Adagrad", {}),
    ("Adadelta", {}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Lion", {}),
]


@pytest.mark.parametrize(("spec", "flags"), TORCH_CONVENTIONS, ids=lambda x: str(x))
def test_torch_convention_matches_torch(spec, flags):
    for seed in (1, 2):
        verdict = verify(REGISTRY, spec, "torch", steps=STEPS, seed=seed, flags=flags)
        assert verdict.passed, verdict.report(every=STEPS)


@pytest.mark.parametrize(("spec", "flags"), KERAS_CONVENTIONS, ids=lambda x: str(x))
def test_keras_convention_matches_keras(spec, flags):
    pytest.importorskip("keras")
    verdict = verify(REGISTRY, spec, "keras", steps=STEPS, seed=3, flags=flags)
    assert verdict.passed, verdict.report(every=STEPS)


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
def test_other_convention_is_named(spec, against, expected):
    if against == "keras":
        pytest.importorskip("keras")
    verdict = verify(REGISTRY, spec, against, steps=STEPS, seed=4)
    assert not verdict.passed
    assert any(expected in label for label, _, _ in verdict.matches), verdict.report(every=STEPS)


@pytest.mark.parametrize(
    ("function", "slip"),
    [
        ("adam_epsilon_inside_root", "ε moved inside the root"),
        ("adam_without_bias_correction", "the bias correction dropped"),
        ("adam_beta_swapped", "beta_1 and 1 − beta_1 swapped"),
    ],
)
def test_wrong_implementation_fails_with_the_slip_named(function, slip):
    verdict = verify(REGISTRY, "Adam", f"tests.wrong_optimizers:{function}", steps=STEPS, seed=5)
    assert not verdict.passed
    labels = [label for label, _, _ in verdict.matches]
    assert any(slip in label for label in labels), verdict.report(every=STEPS)


def test_correct_user_implementation_passes():
    verdict = verify(REGISTRY, "Adam", "tests.wrong_optimizers:correct_adam", steps=STEPS, seed=5)
    assert verdict.passed, verdict.report(every=STEPS)


def test_cli_exit_status(capsys):
    assert main(["verify", "Adam", "--against", "tests.wrong_optimizers:correct_adam", "--steps", "20"]) == 0
    assert main(["verify", "Adam", "--against", "tests.wrong_optimizers:adam_beta_swapped", "--steps", "20"]) == 1
    assert "FAIL: first diverges at step" in capsys.readouterr().out


def test_the_console_script_finds_a_users_module_in_the_working_directory(tmp_path):
    """`trainspec` (unlike `python -m`) does not put the working directory on sys.path; verify searches it."""
    shutil.copy(Path(__file__).parent / "wrong_optimizers.py", tmp_path / "my_adam.py")
    script = Path(sys.executable).parent / "trainspec"
    if not script.exists():
        pytest.skip("the trainspec console script is not installed next to this Python")
    command = [str(script), "verify", "Adam", "--against", "my_adam:correct_adam", "--steps", "5"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout
