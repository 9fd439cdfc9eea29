"""A new spec needs no edit anywhere else: add one of each kind to a copy of the registry, build it, and the
registry-iterating tests and the new spec's generated checks run on it, green, with nothing else touched.

The optimizer is the README's own example, read from the README, so the instructions there stay true.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, run_trainspec

PACKAGE = "trainspec_with_new_specs"

SCHEDULE = '''"""The transformer's inverse-square-root decay: the initial rate over sqrt(1 + k/decay_steps)."""

from sympy import Interval, Symbol, oo, sqrt

from codegen.language.common import Hyperparameter
from codegen.language.schedule import Call, Example, ScheduleSpec, ValueAt, k

eta_0 = Symbol("eta_0", positive=True)
D = Symbol("D", positive=True)

SPEC = ScheduleSpec(
    name="InverseSqrtDecay",
    aliases=("inverse_sqrt_decay",),
    summary="The initial rate divided by the square root of 1 + k/decay_steps.",
    arguments=(
        Hyperparameter(eta_0, "initial_learning_rate", None, Interval(0, oo), "the rate at step 0"),
        Hyperparameter(D, "decay_steps", None, Interval.open(0, oo), "the steps over which the rate falls by sqrt(2)"),
    ),
    definitions=(),
    value=eta_0 / sqrt(1 + k / D),
    example=Example({"initial_learning_rate": 0.1, "decay_steps": 50}, steps=500),
    past_the_end="It never ends: the rate keeps falling like 1/sqrt(k).",
    latex_names={eta_0: r"\\eta_0", D: "D"},
)

RELATIONS = (
    ValueAt(
        name="halves_the_square_at_decay_steps",
        description="At step decay_steps the rate is initial_learning_rate / sqrt(2).",
        call=Call("InverseSqrtDecay", {"initial_learning_rate": eta_0, "decay_steps": D}),
        step=D,
        expected=eta_0 / sqrt(2),
        example={eta_0: 0.1, D: 40},
    ),
)
'''

INITIALIZER = '''"""Symmetric: every element an independent uniform draw on [-limit, limit]."""

from sympy import Interval, Symbol, oo

from codegen.language.initializer import Case, Hyperparameter, InitializerSpec, distribution

limit = Symbol("limit", positive=True)

SPEC = InitializerSpec(
    name="Symmetric",
    aliases=("symmetric",),
    summary="Independent draws from a uniform distribution on [-limit, limit].",
    arguments=(Hyperparameter(limit, "limit", 0.05, Interval.open(0, oo), "the largest magnitude of a value"),),
    cases=(Case((), distribution("uniform", minval=-limit, maxval=limit)),),
)
'''

ESTIMATOR = '''"""Pairs: every step averages the gradients of two examples."""

from codegen.language.estimator import derive, g_bar, sigma, N
from specs.training.mini_batch import SPEC as MINI_BATCH

SPEC = derive(
    MINI_BATCH,
    {MINI_BATCH.batch_size: 2},
    name="PairBatch",
    aliases=("pair_batch",),
    title="Gradient descent on pairs",
    legend="pairs",
    summary="Each step averages the gradients of two examples, drawn without replacement.",
    mean=g_bar,
    variance=sigma**2 * (N - 2) / (2 * (N - 1)),
)
'''

# The modules that iterate the registry, by the kind they cover; each must collect tests of the new spec.
MODULES = {
    "QHM": ("test_runtime_api.py", "test_kernels_vs_reference.py"),
    "InverseSqrtDecay": ("test_schedules_kernels.py", "test_verify_schedules.py"),
    "Symmetric": ("test_initializers_api.py", "test_initializers_statistics.py"),
    "PairBatch": ("test_training.py",),
}


def _readme_example() -> tuple[str, str]:
    """The file name and text of the README's "Adding or editing a method" spec."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"say `(specs/optimizers/\w+\.py)`:\s*```python\n(.*?)```", readme, re.DOTALL)
    assert found, "the README's 'Adding or editing a method' example is gone"
    return found.group(1), found.group(2)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment that points the tests at a copy of specs/ with three new specs, built elsewhere."""
    root = tmp_path_factory.mktemp("new-specs")
    specs, out = root / "specs", root / "out"
    shutil.copytree(REPO / "specs", specs, ignore=shutil.ignore_patterns("__pycache__"))
    optimizer_path, optimizer = _readme_example()
    (root / optimizer_path).write_text(optimizer, encoding="utf-8")
    (specs / "schedules" / "inverse_sqrt_decay.py").write_text(SCHEDULE, encoding="utf-8")
    (specs / "initializers" / "symmetric.py").write_text(INITIALIZER, encoding="utf-8")
    (specs / "training" / "pair_batch.py").write_text(ESTIMATOR, encoding="utf-8")
    built = run_trainspec("build", "--specs", str(specs), "--out", str(out), "--package", PACKAGE, "--no-cache")
    assert built.returncode == 0, built.stderr
    return {"TRAINSPEC_TEST_SPECS": str(specs), "TRAINSPEC_TEST_OUT": str(out), "TRAINSPEC_TEST_PACKAGE": PACKAGE}


def _pytest(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments],
        cwd=REPO,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=1800,
    )


def test_the_build_generates_every_file_of_the_new_specs(build: dict[str, str]) -> None:
    out = Path(build["TRAINSPEC_TEST_OUT"])
    for path in (
        f"{PACKAGE}/optimizers/qhm.py",
        f"{PACKAGE}/schedules/inverse_sqrt_decay.py",
        f"{PACKAGE}/initializers/symmetric.py",
        "docs/optimizers/qhm.tex",
        "docs/schedules/inverse_sqrt_decay.tex",
        "docs/initializers/symmetric.tex",
        f"{PACKAGE}/training/pair_batch.py",
        "docs/training/pair_batch.tex",
    ):
        assert (out / path).is_file(), f"{path} was not generated"


@pytest.mark.parametrize("name", MODULES)
def test_registry_tests_run_on_the_new_spec(build: dict[str, str], name: str) -> None:
    modules = [str(REPO / "tests" / module) for module in MODULES[name]]
    collected = _pytest(build, "--collect-only", "-q", *modules)
    assert collected.returncode == 0, collected.stdout[-3000:]
    for module in MODULES[name]:
        assert re.search(rf"{module}::\S*{name}", collected.stdout), f"{module} collects no test of {name}"
    result = _pytest(build, "-q", "-k", name, *modules)
    assert result.returncode == 0, result.stdout[-5000:]


def test_the_new_specs_generated_checks_pass(build: dict[str, str]) -> None:
    """The schedule's declared relation, the initializer's derived claims and the estimator's statements; QHM
    declares no relation."""
    checks = Path(build["TRAINSPEC_TEST_OUT"]) / "checks"
    pattern = "qhm|inverse_sqrt|symm|pair_batch"
    new = [str(path) for path in sorted(checks.glob("test_*.py")) if re.search(pattern, path.name)]
    assert [Path(path).name for path in new] == [
        "test_inverse_sqrt_decay_schedule.py",
        "test_pair_batch_estimator.py",
        "test_symmetric_initializer.py",
    ]
    result = _pytest(build, "-q", *new)
    assert result.returncode == 0, result.stdout[-5000:]
