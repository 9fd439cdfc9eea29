"""The build and its command line: up to date, deterministic, honest headers, lazy compilation."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from helpers import GENERATED_DIR, REPO, SPECS_DIR, files_of, run_trainspec, tree, tree_diff

from codegen.build import generate
from codegen.cli import main
from codegen.load import load_registry


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed specs built into an empty folder, through the command line's code."""
    out = tmp_path_factory.mktemp("fresh") / "generated"
    assert main(["build", "--out", str(out)]) == 0
    return out


def test_committed_tree_passes_check(capsys: pytest.CaptureFixture) -> None:
    code = main(["build", "--check"])
    output = capsys.readouterr()
    assert code == 0, output.out + output.err + "\nrun `trainspec build` and commit generated/"


def test_generated_matches_a_fresh_build(fresh_build: Path) -> None:
    expected, committed = files_of(fresh_build), files_of(GENERATED_DIR)
    if expected != committed:
        diff = tree_diff(expected, committed, "fresh build", "generated")
        pytest.fail(f"generated/ is out of date with specs/; run `trainspec build`.\n{diff}")


def test_check_names_every_stale_missing_and_extra_file(
    fresh_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # A copy of an up-to-date tree (a fresh build, so this test does not depend on generated/ being current).
    out = shutil.copytree(fresh_build, tmp_path / "generated")
    stale, missing, extra = "optimizers/adam.py", "optimizers/sgd.py", "optimizers/not_from_a_spec.py"
    with (out / stale).open("a", encoding="utf-8") as stream:
        stream.write("# edited by hand\n")
    (out / missing).unlink()
    (out / extra).write_text("# not from any spec\n", encoding="utf-8")
    before = tree(out)

    code = main(["build", "--check", "--out", str(out)])

    output = capsys.readouterr()
    assert code != 0
    report = set(output.out.splitlines())
    assert {f"stale: {stale}", f"missing: {missing}", f"extra: {extra}"} <= report, output.out
    assert len([line for line in report if re.match(r"(stale|missing|extra): ", line)]) == 3, output.out
    assert "trainspec build" in output.err
    assert tree(out) == before, "--check must write nothing"


def test_build_repairs_what_check_reported(fresh_build: Path, tmp_path: Path) -> None:
    out = shutil.copytree(fresh_build, tmp_path / "generated")
    (out / "optimizers" / "adam.py").write_text("# stale\n", encoding="utf-8")
    (out / "optimizers" / "sgd.py").unlink()
    (out / "optimizers" / "lion.py").write_text("# extra\n", encoding="utf-8")
    assert main(["build", "--out", str(out)]) == 0
    assert files_of(out) == files_of(fresh_build)
    assert main(["build", "--check", "--out", str(out)]) == 0


def test_rebuild_changes_nothing(fresh_build: Path, capsys: pytest.CaptureFixture) -> None:
    before = tree(fresh_build)
    assert main(["build", "--out", str(fresh_build)]) == 0
    assert " 0 changed" in capsys.readouterr().out
    assert tree(fresh_build) == before


def test_output_is_identical_under_any_hash_seed(tmp_path: Path) -> None:
    """Set and dict orders inside SymPy follow string hashing; the output must not."""
    folders = {}
    for seed in ("0", "12345"):
        folders[seed] = tmp_path / f"seed_{seed}"
        result = run_trainspec("build", "--out", str(folders[seed]), env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
    first, second = files_of(folders["0"]), files_of(folders["12345"])
    assert first, "the build wrote nothing"
    assert first == second, tree_diff(first, second, "PYTHONHASHSEED=0", "PYTHONHASHSEED=12345")


def test_every_file_says_generated_from_its_spec() -> None:
    report = generate(SPECS_DIR)
    assert report.files
    for path, generated in report.files.items():
        head = "\n".join(generated.text.splitlines()[:3])
        assert "generated" in head.lower() and "do not edit" in head, f"{path} has no generated header:\n{head}"
        assert generated.source in head, f"{path}: its header does not name its source {generated.source}"
    optimizers = {spec.source for spec in load_registry(SPECS_DIR).specs}
    named = {generated.source for generated in report.files.values()}
    assert optimizers <= named, f"optimizer specs with no generated file naming them: {sorted(optimizers - named)}"


def test_no_timestamps_or_versions_in_output() -> None:
    report = generate(SPECS_DIR)
    versions = {name: importlib.metadata.version(name) for name in ("trainspec", "sympy", "numba", "jinja2", "numpy")}
    date = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}:\d{2}\b")
    for path, generated in report.files.items():
        assert not date.search(generated.text), f"{path} contains a date or time: {date.search(generated.text)[0]}"
        for name, version in versions.items():
            assert not re.search(rf"(?<![\d.]){re.escape(version)}(?![\d.])", generated.text), (
                f"{path} contains the {name} version {version}"
            )


def _spec_files() -> list[Path]:
    """Spec files found independently of codegen.load: every module in specs/ not named _*."""
    return sorted(p for p in SPECS_DIR.rglob("*.py") if not p.name.startswith("_") and "__pycache__" not in p.parts)


def test_list_prints_every_spec(capsys: pytest.CaptureFixture) -> None:
    assert main(["list"]) == 0
    output = capsys.readouterr().out
    files = _spec_files()
    assert files
    for spec_file in files:
        assert spec_file.relative_to(REPO).as_posix() in output, f"{spec_file} is missing from `trainspec list`"
    names = {re.search(r'\bname="(\w+)"', f.read_text(encoding="utf-8"))[1] for f in files}
    listed = {line.split()[0] for line in output.splitlines() if line and not line[0].isspace()}
    assert names <= listed


def test_list_of_a_specs_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(SPECS_DIR / "optimizers" / "adam.py", specs / "adam.py")
    assert main(["list", "--specs", str(specs)]) == 0
    output = capsys.readouterr().out
    assert "Adam" in output and "specs/adam.py" in output
    assert "SGD" not in output


# Run in a fresh interpreter: after importing trainspec, is any kernel compiled (or loaded from cache)?
_COMPILED_AT_IMPORT = """
import json, sys
import numba.core.registry
import trainspec

def overloads():
    counts = {}
    for module_name, module in sorted(sys.modules.items()):
        if module_name.startswith("trainspec."):
            for name, value in vars(module).items():
                if isinstance(value, numba.core.registry.CPUDispatcher):
                    counts[f"{module_name}.{name}"] = len(value.overloads)
    return counts

if "--step" in sys.argv:
    import numpy as np
    trainspec.Adam().apply([np.ones(3)], [np.ones(3)])
print(json.dumps(overloads()))
"""


def _overloads_in_fresh_process(*arguments: str) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", _COMPILED_AT_IMPORT, *arguments], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_nothing_compiles_at_import() -> None:
    overloads = _overloads_in_fresh_process()
    import trainspec

    kernels = {
        f"{v.kernel.__module__}.{v.kernel.__name__}"
        for cls in trainspec.OPTIMIZERS.values()
        for v in cls.variants.values()
    }
    assert kernels <= set(overloads), f"kernels not found as dispatchers: {sorted(kernels - set(overloads))}"
    compiled = {name: count for name, count in overloads.items() if count}
    assert not compiled, f"compiled at import: {compiled}"


def test_the_import_check_sees_compilation() -> None:
    """The probe above can fail: one step compiles exactly the kernel it runs."""
    overloads = _overloads_in_fresh_process("--step")
    compiled = {name for name, count in overloads.items() if count}
    assert compiled == {"trainspec.optimizers.adam.adam_kernel"}


def test_generated_python_compiles_without_warnings() -> None:
    """A stray backslash from a LaTeX description would be an invalid escape (an error in future Pythons)."""
    for path, generated in generate(SPECS_DIR).files.items():
        if path.endswith(".py"):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                compile(generated.text, path, "exec")


def test_a_spec_that_only_changes_defaults_shares_its_parents_kernels():
    """Keras's AdamW is Adam's update with another default: its module imports Adam's kernels, prints none."""
    import trainspec
    import trainspec.optimizers.adam as adam
    import trainspec.optimizers.adamw as adamw

    assert adamw.VARIANTS is adam.VARIANTS
    assert "numba" not in (GENERATED_DIR / "optimizers" / "adamw.py").read_text("utf-8")
    assert trainspec.AdamW().variant is trainspec.Adam(weight_decay=0.004).variant
