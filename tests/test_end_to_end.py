"""The main use case: write a new spec, build, import the generated package, train; edit a spec, rebuild.

Everything happens in a temporary folder with its own specs and output, so
the committed ``specs/`` and ``generated/`` are never touched. The new
optimizer is Keras 3's Adamax, written here from its formula rather than
copied from the bundled spec; its expected trajectory is written
independently in NumPy below.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers import GENERATED_DIR, SPECS_DIR, imported_package, tree

from codegen.cli import main

ADAMAX_SPEC = '''"""Adamax: Adam with the infinity norm in place of the second moment (Keras 3 convention)."""

from sympy import Abs, Interval, Max, oo, symbols

from codegen.language.optimizer import Hyperparameter, OptimizerSpec, State, eta, g, learning_rate, t, w

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")
m, u = symbols("m u")

SPEC = OptimizerSpec(
    name="Adamax",
    aliases=("adamax",),
    summary="Adam whose second moment is an exponentially weighted infinity norm.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(beta_1, "beta_1", 0.9, Interval.Ropen(0, 1), "decay rate of the first moment"),
        Hyperparameter(beta_2, "beta_2", 0.999, Interval.Ropen(0, 1), "decay rate of the infinity norm"),
        Hyperparameter(epsilon, "epsilon", 1e-7, Interval(0, oo), "added to the norm"),
    ),
    state=(
        State(m, "momentum", 0, "first moment"),
        State(u, "norm", 0, "exponentially weighted infinity norm"),
    ),
    update=(
        (m, m + (1 - beta_1) * (g - m)),
        (u, Max(beta_2 * u, Abs(g))),
        (w, w - eta * m / ((1 - beta_1**t) * (u + epsilon))),
    ),
)
'''

# The edit: PyTorch's placement of epsilon (inside the max) and a new default.
ADAMAX_EDITS = (
    ("(u, Max(beta_2 * u, Abs(g))),", "(u, Max(beta_2 * u, Abs(g) + epsilon)),"),
    ("(w, w - eta * m / ((1 - beta_1**t) * (u + epsilon))),", "(w, w - eta * m / ((1 - beta_1**t) * u)),"),
    ('"beta_2", 0.999,', '"beta_2", 0.99,'),
)


def adamax_reference(
    w: np.ndarray, grads: list[np.ndarray], lr: float, beta_1: float, beta_2: float, eps: float, torch_eps: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Adamax in float64 NumPy, from its published formula: the Keras form, or PyTorch's with ``torch_eps``.

    Returns the final weights and, per element, the sum of the step sizes taken (for the error bound).
    """
    w = w.astype(np.float64)
    m, u, travelled = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        if torch_eps:
            u = np.maximum(beta_2 * u, np.abs(g) + eps)
            step = lr / (1 - beta_1**t) * m / u
        else:
            u = np.maximum(beta_2 * u, np.abs(g))
            step = lr * m / ((1 - beta_1**t) * (u + eps))
        w = w - step
        travelled += np.abs(step)
    return w, travelled


def _write_specs(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _edit(path: Path, edits: tuple[tuple[str, str], ...]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def _adagrad_default(path: Path, new: str) -> tuple[str, str]:
    """The edit that sets the Adagrad spec's initial_accumulator_value default to ``new``, however it is laid out."""
    old = re.search(r'"initial_accumulator_value",\s*0\.1,', path.read_text(encoding="utf-8")).group(0)
    return old, old.replace("0.1", new)


def _train(cls: type, steps: int, **arguments: float) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(7)
    start = rng.standard_normal((4, 5))
    grads = [rng.standard_normal((4, 5)) for _ in range(steps)]
    params = start.copy()
    optimizer = cls(**arguments)
    for g in grads:
        optimizer.apply([g], [params])
    return start, grads, params


def _assert_close(got: np.ndarray, want: np.ndarray, start: np.ndarray, travelled: np.ndarray, steps: int) -> None:
    # Float64 both sides; per step the kernel may hoist and reassociate the step's ~6 operations and
    # round w once: at most ~8 ulp of |w| + |step| per step, accumulated over the steps.
    bound = 8 * steps * np.finfo(np.float64).eps * (np.abs(start) + travelled + np.abs(want))
    error = np.abs(got - want)
    assert np.all(error <= bound), f"worst error {np.max(error / bound):.2f} bounds"


@dataclass(frozen=True)
class Project:
    specs: Path
    out: Path
    package: str
    """Unique per test, so never the installed trainspec."""

    def build(self, *options: str) -> int:
        return main(["build", *options, "--specs", str(self.specs), "--out", str(self.out), "--package", self.package])

    def module(self, path: str) -> Path:
        """A file of the generated package."""
        return self.out / self.package / path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A specs folder with the new Adamax spec and a copy of the bundled Adagrad, and an output folder."""
    specs = _write_specs(
        tmp_path / "specs",
        {"adamax.py": ADAMAX_SPEC, "adagrad.py": (SPECS_DIR / "optimizers" / "adagrad.py").read_text("utf-8")},
    )
    return Project(specs, tmp_path / "out", f"e2e_{tmp_path.name}")


def test_new_spec_builds_imports_and_trains(project: Project, capsys: pytest.CaptureFixture) -> None:
    assert project.build() == 0
    assert f"created {project.package}/optimizers/adamax.py" in capsys.readouterr().out
    assert project.build("--check") == 0

    with imported_package(project.out, project.package) as package:
        assert Path(package.__file__).parent == project.out / project.package, "imported the wrong package"
        assert sorted(package.OPTIMIZERS) == ["Adagrad", "Adamax", "adagrad", "adamax"]
        adamax = package.get("adamax")
        assert adamax is package.Adamax
        defaults = {name: p.default for name, p in inspect.signature(adamax).parameters.items()}
        assert defaults["learning_rate"] == 0.001
        assert (defaults["beta_1"], defaults["beta_2"], defaults["epsilon"]) == (0.9, 0.999, 1e-7)

        steps = 25
        start, grads, got = _train(adamax, steps, learning_rate=0.01)
        want, travelled = adamax_reference(start, grads, 0.01, 0.9, 0.999, 1e-7, torch_eps=False)
        _assert_close(got, want, start, travelled, steps)
        # The edited form below lands elsewhere: the comparison can tell the two apart.
        other, _ = adamax_reference(start, grads, 0.01, 0.9, 0.999, 1e-7, torch_eps=True)
        assert np.max(np.abs(other - want)) > 1e3 * np.max(np.abs(got - want))

        # The Keras base options come with the new class for free.
        optimizer = adamax(weight_decay=0.01, clipnorm=1.0)
        params = np.ones(3)
        optimizer.apply([np.full(3, 2.0)], [params])
        assert np.all(params < 1.0)
        with pytest.raises(ValueError, match="beta_1"):
            adamax(beta_1=1.0)


def test_edited_spec_regenerates_its_kernel(project: Project, capsys: pytest.CaptureFixture) -> None:
    assert project.build() == 0
    before = {path.name: path.read_text("utf-8") for path in project.module("optimizers").glob("*.py")}
    _edit(project.specs / "adamax.py", ADAMAX_EDITS)
    _edit(project.specs / "adagrad.py", (_adagrad_default(project.specs / "adagrad.py", "0.5"),))

    assert project.build("--check") == 1
    stale = {f"stale: {project.package}/optimizers/{name}.py" for name in ("adamax", "adagrad")}
    assert stale <= set(capsys.readouterr().out.split("\n"))
    assert project.build() == 0
    output = capsys.readouterr().out
    assert all(f"updated {project.package}/optimizers/{name}.py" in output for name in ("adamax", "adagrad"))
    after = {path.name: path.read_text("utf-8") for path in project.module("optimizers").glob("*.py")}
    assert after["adamax.py"] != before["adamax.py"]

    with imported_package(project.out, project.package) as package:
        defaults = {name: p.default for name, p in inspect.signature(package.Adamax).parameters.items()}
        assert defaults["beta_2"] == 0.99
        steps = 25
        start, grads, got = _train(package.Adamax, steps, learning_rate=0.01, epsilon=1e-3)
        want, travelled = adamax_reference(start, grads, 0.01, 0.9, 0.99, 1e-3, torch_eps=True)
        _assert_close(got, want, start, travelled, steps)

        # The bundled spec's edited default reaches its class: Adagrad's first step divides by sqrt(0.5 + g² + ε).
        assert inspect.signature(package.Adagrad).parameters["initial_accumulator_value"].default == 0.5
        start, grads, got = _train(package.Adagrad, 1, learning_rate=0.1)
        want = start - 0.1 * grads[0] / np.sqrt(0.5 + grads[0] ** 2 + 1e-7)
        # One step in float64: a handful of roundings, each at most half an ulp of |w| + |step|.
        assert np.all(np.abs(got - want) <= 8 * np.finfo(np.float64).eps * (np.abs(start) + np.abs(want - start)))


def test_a_spec_removed_from_the_folder_is_removed_from_the_output(
    project: Project, capsys: pytest.CaptureFixture
) -> None:
    assert project.build() == 0
    (project.specs / "adagrad.py").unlink()
    assert project.build() == 0
    assert f"removed {project.package}/optimizers/adagrad.py" in capsys.readouterr().out
    assert not project.module("optimizers/adagrad.py").exists()
    with imported_package(project.out, project.package) as package:
        assert sorted(package.OPTIMIZERS) == ["Adamax", "adamax"]
        assert not hasattr(package, "Adagrad")


def test_building_elsewhere_leaves_the_committed_tree_alone(project: Project) -> None:
    committed = tree(GENERATED_DIR, skip_tool_folders=True), tree(SPECS_DIR, skip_tool_folders=True)
    assert project.build() == 0
    _edit(project.specs / "adamax.py", ADAMAX_EDITS)
    assert project.build() == 0
    assert (tree(GENERATED_DIR, skip_tool_folders=True), tree(SPECS_DIR, skip_tool_folders=True)) == committed


def test_relation_checks_prove_the_specs_they_were_built_from(project: Project) -> None:
    """A build of another folder writes relation checks that load that folder's specs, not the bundled ones."""
    _edit(project.specs / "adagrad.py", (_adagrad_default(project.specs / "adagrad.py", "0.5"),))
    assert project.build() == 0
    checks = project.out / "checks" / "test_adagrad_relations.py"
    loader = importlib.util.spec_from_file_location(f"checks_{project.package}", checks)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)  # defines the tests and loads REGISTRY; runs none of them
    adagrad = next(spec for spec in module.REGISTRY.optimizers if spec.name == "Adagrad")
    assert adagrad.hyperparameter("initial_accumulator_value").default == 0.5
