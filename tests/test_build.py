"""The build and its command line: up to date, deterministic, honest headers, lazy compilation."""

from __future__ import annotations

import ast
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
from codegen.cache import BuildCache
from codegen.cli import main
from codegen.kinds import KINDS
from codegen.load import load_registry


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed specs, copied, built into an empty folder beside them (as in the repository), through the
    command line's code and without the cache."""
    repository = tmp_path_factory.mktemp("fresh")
    specs = shutil.copytree(SPECS_DIR, repository / "specs", ignore=shutil.ignore_patterns("__pycache__"))
    out = repository / "generated"
    assert main(["build", "--specs", str(specs), "--out", str(out), "--no-cache"]) == 0
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
    out = _copied(fresh_build, tmp_path)
    stale, missing, extra = (f"trainspec/optimizers/{name}.py" for name in ("adam", "sgd", "not_from_a_spec"))
    with (out / stale).open("a", encoding="utf-8") as stream:
        stream.write("# edited by hand\n")
    (out / missing).unlink()
    (out / extra).write_text("# not from any spec\n", encoding="utf-8")
    before = tree(out)

    code = main(["build", "--check", "--specs", str(out.parent / "specs"), "--out", str(out)])

    output = capsys.readouterr()
    assert code != 0
    report = set(output.out.splitlines())
    assert {f"stale: {stale}", f"missing: {missing}", f"extra: {extra}"} <= report, output.out
    assert len([line for line in report if re.match(r"(stale|missing|extra): ", line)]) == 3, output.out
    assert "trainspec build" in output.err
    assert tree(out) == before, "--check must write nothing"


def test_build_repairs_what_check_reported(fresh_build: Path, tmp_path: Path) -> None:
    out = _copied(fresh_build, tmp_path)
    (out / "trainspec" / "optimizers" / "adam.py").write_text("# stale\n", encoding="utf-8")
    (out / "trainspec" / "optimizers" / "sgd.py").unlink()
    (out / "trainspec" / "optimizers" / "not_from_a_spec.py").write_text("# extra\n", encoding="utf-8")
    folders = ["--specs", str(out.parent / "specs"), "--out", str(out)]
    assert main(["build", *folders]) == 0
    assert files_of(out) == files_of(fresh_build)
    assert main(["build", "--check", *folders]) == 0


def _copied(out: Path, tmp_path: Path) -> Path:
    """A copy of a built output and the specs beside it, which its checks read (relative to their own folder)."""
    shutil.copytree(out.parent / "specs", tmp_path / "specs")
    return shutil.copytree(out, tmp_path / "generated")


def test_rebuild_changes_nothing(fresh_build: Path, capsys: pytest.CaptureFixture) -> None:
    before = tree(fresh_build)
    assert main(["build", "--specs", str(fresh_build.parent / "specs"), "--out", str(fresh_build)]) == 0
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
        if path.startswith("trainspec/runtime/"):  # the hand-written runtime, copied as it is
            assert generated.text == (GENERATED_DIR / path).read_text(encoding="utf-8"), path
            continue
        head = "\n".join(generated.text.splitlines()[:3])
        assert "generated" in head.lower() and "do not edit" in head, f"{path} has no generated header:\n{head}"
        assert generated.source in head, f"{path}: its header does not name its source {generated.source}"
    optimizers = {spec.source for spec in load_registry(SPECS_DIR).optimizers}
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
    listed = {line.split()[0] for line in output.splitlines() if line.startswith("  ") and line[2] != " "}
    assert names <= listed
    # Grouped by kind, under headings in the order of the table of kinds, each spec under its own kind's.
    headings = [line for line in output.splitlines() if line and not line[0].isspace()]
    assert [h.rpartition(" (")[0] for h in headings] == [kind.title for kind in KINDS]
    for kind in KINDS:
        block = output.split(f"{kind.title} (", 1)[1].split("\n\n", 1)[0]
        assert all(f"  {spec.name} " in block for spec in load_registry(SPECS_DIR).of(kind.name)), kind.name


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
    counts = {}  # by the module that defines each kernel: another module may import it
    for module_name, module in sorted(sys.modules.items()):
        if module_name.startswith("trainspec."):
            for value in vars(module).values():
                if isinstance(value, numba.core.registry.CPUDispatcher):
                    counts[f"{value.py_func.__module__}.{value.py_func.__name__}"] = len(value.overloads)
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
    """The probe above can fail: one step compiles exactly what it runs, the kernel over a table's rows (which
    compiles the element kernel inside it) and the runtime's address reader."""
    overloads = _overloads_in_fresh_process("--step")
    compiled = {name for name, count in overloads.items() if count}
    assert compiled == {"trainspec.optimizers.adam.adam_kernel_rows", "trainspec.runtime.multi_tensor._address"}


def test_generated_python_compiles_without_warnings() -> None:
    """A stray backslash from a LaTeX description would be an invalid escape (an error in future Pythons)."""
    for path, generated in generate(SPECS_DIR).files.items():
        if path.endswith(".py"):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                compile(generated.text, path, "exec")


def test_a_spec_that_only_changes_defaults_shares_its_parents_kernels():
    """Keras's AdamW is Adam's update with another default: its module imports Adam's kernels, prints none."""
    import trainspec.optimizers.adam as adam
    import trainspec.optimizers.adamw as adamw

    assert {v.kernel for v in adamw.VARIANTS.values()} == {v.kernel for v in adam.VARIANTS.values()}
    assert {v.scalars for v in adamw.VARIANTS.values()} <= {v.scalars for v in adam.VARIANTS.values()}
    assert "numba" not in (GENERATED_DIR / "trainspec" / "optimizers" / "adamw.py").read_text("utf-8")


def _function_texts(module: Path) -> list[str]:
    """The text of every top-level function a generated module writes, its own name taken out."""
    functions = [node for node in ast.parse(module.read_text("utf-8")).body if isinstance(node, ast.FunctionDef)]
    return [ast.unparse(node).replace(f"def {node.name}(", "def _(", 1) for node in functions]


@pytest.mark.parametrize("spec", load_registry(SPECS_DIR).optimizers, ids=lambda spec: spec.name)
@pytest.mark.parametrize("backend", ["optimizers", "triton"])
def test_no_function_is_written_twice_where_it_can_be_imported(spec, backend: str) -> None:
    """Within a module, and between a module and those of the specs its file imports (TorchAdamW's no-decay
    kernel is TorchAdam's): an identical function is written once and imported where it is used again, in the
    NumPy modules and in the Triton ones."""
    registry = load_registry(SPECS_DIR)
    folder = GENERATED_DIR / "trainspec" / backend
    own = _function_texts(folder / f"{spec.module_name}.py")
    assert len(own) == len(set(own)), f"{spec.name} writes a function twice"
    for other in registry.optimizers:
        if other.source in registry.imported_by(spec.source):
            again = set(own) & set(_function_texts(folder / f"{other.module_name}.py"))
            assert not again, f"{spec.name} writes again {len(again)} function(s) of {other.name}, which it imports"


# ----------------------------------------------------------------------------- the cache


@pytest.fixture
def specs_copy(tmp_path: Path) -> Path:
    return shutil.copytree(SPECS_DIR, tmp_path / "specs", ignore=shutil.ignore_patterns("__pycache__"))


def _texts(report) -> dict[str, str]:
    return {path: file.text for path, file in report.files.items()}


def test_a_build_from_the_cache_equals_a_build_without_it(specs_copy: Path, tmp_path: Path) -> None:
    cache, out = BuildCache(tmp_path / "cache"), tmp_path / "generated"
    first = generate(specs_copy, out, cache=cache)
    second = generate(specs_copy, out, cache=cache)
    assert first.cached == 0 and second.cached == second.units
    assert _texts(second) == _texts(first) == _texts(generate(specs_copy, out))


def _readers(specs: Path, edited: Path) -> set[Path]:
    """The spec files that read ``edited``, found from their text alone: those that import its module or name one
    of its specs in a string, and those that read such a file."""
    texts = {path: path.read_text(encoding="utf-8") for path in specs.rglob("*.py") if path.name != "__init__.py"}
    found, pending = set(), [edited]
    while pending:
        read = pending.pop()
        module = ".".join(("specs", *read.relative_to(specs).with_suffix("").parts))
        marks = [f"from {module} import", *(f'"{name}"' for name in re.findall(r'\bname="(\w+)"', texts[read]))]
        for path, text in texts.items():
            if path not in found and path != edited and any(mark in text for mark in marks):
                found.add(path)
                pending.append(path)
    return found


def test_an_edited_spec_rebuilds_what_reads_it_and_nothing_else(specs_copy: Path, tmp_path: Path) -> None:
    cache, out = BuildCache(tmp_path / "cache"), tmp_path / "generated"
    generate(specs_copy, out, cache=cache)
    lion = specs_copy / "optimizers" / "lion.py"
    lion.write_text(lion.read_text(encoding="utf-8").replace('"beta_2", 0.99,', '"beta_2", 0.98,'), encoding="utf-8")
    edited = generate(specs_copy, out, cache=cache)
    # Lion's own files, the optimizers' index (it lists every optimizer file), the package, and the files of each
    # spec that reads Lion's file (Signum's relations compare it with Lion; SignSGD is derived from Signum).
    assert edited.units - edited.cached == 3 + len(_readers(specs_copy, lion))
    assert _texts(edited) == _texts(generate(specs_copy, out))
    assert "beta_2=0.98" in edited.files["trainspec/optimizers/lion.py"].text


def test_an_edited_helper_rebuilds_the_specs_that_import_it(specs_copy: Path, tmp_path: Path) -> None:
    """A helper file (its name starts with ``_``: no spec) is an input of every spec file that imports it."""
    helpers = sorted(path for path in specs_copy.rglob("_*.py") if path.name != "__init__.py")
    if not helpers:
        pytest.skip("no spec file imports a helper")
    cache, out = BuildCache(tmp_path / "cache"), tmp_path / "generated"
    generate(specs_copy, out, cache=cache)
    helper = helpers[0]
    helper.write_text(helper.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    edited = generate(specs_copy, out, cache=cache)
    readers = _readers(specs_copy, helper)
    assert readers, f"no spec file imports {helper.name}"
    # Each reader's files, the index of its kind (it lists every file of the kind) and the package.
    kinds = {path.parent.name for path in readers}
    assert edited.units - edited.cached == len(readers) + len(kinds) + 1


def test_work_ordered_by_recorded_costs_builds_the_same_files(specs_copy: Path, tmp_path: Path) -> None:
    """The second build knows what each unit took and starts the longest first: the files must not move."""
    cache, out = BuildCache(tmp_path / "cache"), tmp_path / "generated"
    cold = generate(specs_copy, out, cache=cache)
    assert len(cache.costs()) == cold.units and all(seconds >= 0 for seconds in cache.costs().values())
    for entry in (tmp_path / "cache").glob("*.json"):
        if entry.name != "costs.json":
            entry.unlink()
    warm = generate(specs_copy, out, cache=cache)
    assert warm.cached == 0
    assert _texts(warm) == _texts(cold)


def test_a_damaged_cache_entry_is_built_again(specs_copy: Path, tmp_path: Path) -> None:
    cache, out = BuildCache(tmp_path / "cache"), tmp_path / "generated"
    clean = _texts(generate(specs_copy, out, cache=cache))
    for entry in (tmp_path / "cache").glob("*.json"):
        text = entry.read_text(encoding="utf-8")
        entry.write_text(text[: len(text) // 2], encoding="utf-8")  # cut short
    rebuilt = generate(specs_copy, out, cache=cache)
    assert rebuilt.cached == 0 and _texts(rebuilt) == clean


def test_the_cache_never_hides_a_stale_file(specs_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """--check compares what the specs give with what is on disk, whether the build came from the cache or not."""
    out = tmp_path / "generated"
    folders = ["--specs", str(specs_copy), "--out", str(out)]
    assert main(["build", *folders]) == 0
    assert main(["build", "--check", *folders]) == 0
    module = out / "trainspec" / "optimizers" / "sgd.py"
    module.write_text(module.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    assert main(["build", "--check", *folders]) == 1
    assert "stale: trainspec/optimizers/sgd.py" in capsys.readouterr().out
