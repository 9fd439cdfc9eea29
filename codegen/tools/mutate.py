"""``trainspec mutate``: one-line changes to the specs and to the generated kernels, each followed by the tests that
should notice it. The catch rate says how much the project's checks prove on their own.

A mutant is one edit of one line: an operator swapped (``+`` and ``-``, ``*`` and ``/``), an exponent or another
number raised by one, a minus sign or a square root dropped. Spec mutants edit a line of a spec file's ``SPEC``
declaration and are built; kernel mutants edit a line of a compiled function in a generated module of an unmutated
build. Each mutant then goes through

1. a probe, which runs the method in the mutant's build and in the unmutated one, side by side: a few steps of an
   optimizer in each of its variants at drawn hyperparameters, a schedule's values at drawn arguments, a
   controller's rates on drawn metrics in each of its variants, an initializer's fills, an estimator's batches. A
   mutant whose outputs agree everywhere (within ``SAME``) is equivalent: it changes no behaviour, and is not
   counted;
2. the tests of its spec: its generated checks and every generated check that names it, and the test modules of
   its kind, with ``-k`` on its name, pointed at the mutant's build (``TRAINSPEC_TEST_SPECS``, ``_OUT``,
   ``_PACKAGE``). A build that refuses a spec mutant catches it too.

A behaviour-changing mutant that nothing fails survived. ``--sample N`` draws N mutants (seeded); the run prints
one line per mutant and the catch rate. It needs the repository's ``tests/`` (a checkout, not an installed copy).
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from codegen.build import REPO, SPECS_DIR
from codegen.language.schedule import Call
from codegen.load import load_registry
from codegen.lower import optimizer as optimizers
from codegen.lower.initializer import resolve
from codegen.progress import Progress
from codegen.proofs.package import generated_package
from codegen.referee import controller as controller_referee
from codegen.referee import initializer as initializer_referee
from codegen.referee import schedule as schedule_referee
from codegen.referee.optimizer import meet_constraints, typical_point
from codegen.referee.schedule_adapters import build

TESTS = REPO / "tests"
BASELINE, MUTANT = "trainspec_baseline", "trainspec_mutant"
SAME = 1e-9
"""Outputs this close (relative to their size, float64) count as the same: a mutant that moves them less changes
no behaviour a test could hold against it."""
TEST_MODULES = {
    "optimizer": ("test_kernels_vs_reference.py", "test_runtime_api.py", "test_relations.py", "test_verify.py"),
    "schedule": ("test_schedules_kernels.py", "test_schedules_external.py", "test_verify_schedules.py"),
    "controller": ("test_controllers.py",),
    "initializer": (
        "test_initializers_api.py",
        "test_initializers_statistics.py",
        "test_initializers_torch.py",
        "test_initializers_keras.py",
        "test_verify_initializers.py",
    ),
    "estimator": ("test_training.py",),
}
"""The test modules that iterate the registry of each kind: ``-k NAME`` selects a spec's tests in them."""
KERNEL_FOLDERS = {
    "optimizer": "optimizers",
    "schedule": "schedules",
    "controller": "controllers",
    "initializer": "initializers",
    "estimator": "training",
}
TEST_TIMEOUT_S = 900
PROBE_STEPS = 20
"""Optimizer steps the probe takes: past the first few, where some methods switch form (RAdam's rectification)."""


# ----------------------------------------------------------------------------- mutants


@dataclass(frozen=True)
class Mutant:
    """One edit of one line of ``path`` (relative to the specs folder, or to the build for a kernel)."""

    target: str
    """``spec`` or ``kernel``."""
    kind: str
    spec: str
    path: str
    line: int
    before: str
    after: str

    @property
    def label(self) -> str:
        return f"{self.path}:{self.line}: {self.before.strip()}  ->  {self.after.strip()}"


_SWAPPED = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}


def _variations(node: ast.expr) -> Iterator[ast.expr]:
    """The one-node changes of ``node``: an operator swapped, a number raised by one, a sign or a root dropped."""
    if isinstance(node, ast.BinOp) and type(node.op) in _SWAPPED:
        yield ast.BinOp(node.left, _SWAPPED[type(node.op)](), node.right)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and _number(node.right) is not None:
        yield ast.BinOp(node.left, ast.Pow(), ast.Constant(_number(node.right) + 1))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield node.operand
    elif isinstance(node, ast.Constant) and _number(node) is not None:
        yield ast.Constant(_number(node) + 1)
    elif isinstance(node, ast.Call) and _called(node) in {"sqrt", "math.sqrt", "np.sqrt"} and len(node.args) == 1:
        yield node.args[0]


def _number(node: ast.expr) -> int | float | None:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def _called(node: ast.Call) -> str:
    return ast.unparse(node.func)


# What a spec declares for its tests, its docs or the referee, not for the method: left alone.
_NOT_THE_METHOD = re.compile(r"(Counterpart|Typical|Example|ClosedForm|Comparison|Reference)$")


def _nodes(root: ast.AST) -> Iterator[ast.AST]:
    """The nodes under ``root``, but for calls that declare no part of the method (``_NOT_THE_METHOD``)."""
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Call) and _NOT_THE_METHOD.search(_called(node).rpartition(".")[2]):
            continue
        if isinstance(node, ast.keyword) and node.arg in {"latex_names", "counterparts", "example", "typical"}:
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def mutants_of_text(text: str, roots: list[ast.AST], **fields: str) -> list[Mutant]:
    """Every one-line mutant of the expressions under ``roots`` (nodes of ``text``'s tree)."""
    lines = text.splitlines()
    found = []
    for root in roots:
        for node in _nodes(root):
            if not isinstance(node, ast.expr) or node.lineno != node.end_lineno:
                continue
            line = lines[node.lineno - 1]
            for changed in _variations(node):
                after = line[: node.col_offset] + ast.unparse(changed) + line[node.end_col_offset :]
                if after != line:
                    found.append(Mutant(line=node.lineno, before=line, after=after, **fields))
    return sorted(set(found), key=lambda m: (m.path, m.line, m.after))


def spec_mutants(specs_dir: Path) -> list[Mutant]:
    """The mutants of every spec file's ``SPEC`` declaration (documentation strings left alone)."""
    registry = load_registry(specs_dir)
    found = []
    for spec in registry.everything:
        path = registry.files[spec.source]
        text = path.read_text(encoding="utf-8")
        roots = [
            node.value
            for node in ast.parse(text).body
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "SPEC" for t in node.targets)
        ]
        relative = path.relative_to(Path(specs_dir).resolve()).as_posix()
        found += mutants_of_text(text, roots, target="spec", kind=spec.kind, spec=spec.name, path=relative)
    return found


def kernel_mutants(out: Path, package: str, specs_dir: Path) -> list[Mutant]:
    """The mutants of the statements of every compiled function (and every estimator method) of each spec's module."""
    found = []
    for spec in load_registry(specs_dir).everything:
        relative = f"{package}/{KERNEL_FOLDERS[spec.kind]}/{spec.module_name}.py"
        path = out / relative
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        functions = [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.FunctionDef)]
        compiled = [f for f in functions if spec.kind == "estimator" or _compiled(f)]
        statements = [s for f in compiled for s in ast.walk(f) if isinstance(s, _STATEMENTS)]
        roots = [s.value for s in statements if s.value is not None]
        found += mutants_of_text(text, roots, target="kernel", kind=spec.kind, spec=spec.name, path=relative)
    return found


_STATEMENTS = (ast.Assign, ast.AugAssign, ast.Return)


def _compiled(function: ast.FunctionDef) -> bool:
    return any("njit" in ast.unparse(decorator) for decorator in function.decorator_list)


# ----------------------------------------------------------------------------- the probe


def optimizer_configs(spec) -> list[dict]:
    """Constructor arguments that select each variant (each kernel) of ``spec`` in turn: its hyperparameters at an
    interior point of their typical ranges, each option on or off as the variant has it; and last the spec's
    defaults (a required argument at that point), so that a changed default changes what the probe sees."""
    lowered = optimizers.lower(spec)
    point = {h.argument: typical_point(h, 0.37) for h in spec.hyperparameters}
    configs = []
    for variant in lowered.variants:
        config = dict(point)
        for option in lowered.options:
            on = option.argument in variant.enabled
            if option.kind == "flag":
                config[option.argument] = on
            else:  # Keras's weight_decay is no hyperparameter of the spec: a typical rate
                config[option.argument] = point.get(option.argument, 0.004) if on else option.off_value
        configs.append(meet_constraints(spec, config))
    configs.append({h.argument: point[h.argument] for h in spec.hyperparameters if h.default is None})
    return configs


def _optimizer_outputs(package, spec) -> list:
    cls = package.OPTIMIZERS[spec.name]
    outputs = []
    for arguments in optimizer_configs(spec):
        rng = np.random.default_rng(0)
        params = [rng.standard_normal((7, 5)), rng.standard_normal(9)]
        try:
            optimizer = constructed(cls, arguments)
            for _ in range(PROBE_STEPS):
                optimizer.apply([rng.standard_normal(p.shape) for p in params], params)
            outputs.append(np.concatenate([p.ravel() for p in params]))
        except (ValueError, TypeError, ZeroDivisionError) as error:
            outputs.append(type(error).__name__)
    return outputs


def constructed(cls: type, arguments: dict) -> object:
    """``cls`` built with those of ``arguments`` it takes (a hyperparameter of the spec may be no argument)."""
    taken = inspect.signature(cls).parameters
    return cls(**{name: value for name, value in arguments.items() if name in taken})


def _schedule_outputs(package, spec, specs) -> list:
    outputs = []
    for seed in range(4):
        arguments = schedule_referee.draw(specs, spec, np.random.default_rng(seed), 300, {}, at_defaults=seed == 0)
        try:
            outputs.append(build(Call(spec.name, arguments), package).values(300))
        except (ValueError, TypeError, ZeroDivisionError) as error:
            outputs.append(type(error).__name__)
    return outputs


def _controller_outputs(package, spec) -> list:
    cls = package.controllers.CONTROLLERS[spec.name]
    outputs = []
    for seed, variant in enumerate(controller_referee.variants(spec, {})):
        rng = np.random.default_rng(seed)
        arguments = controller_referee.draw(spec, rng, variant.settings)
        metrics = controller_referee.drawn_metrics(rng, 200, arguments.get("mode") == "max")
        try:
            controller = cls(**arguments)
            outputs.append(np.array([controller.step(metric) for metric in metrics]))
        except (ValueError, TypeError, ZeroDivisionError) as error:
            outputs.append(type(error).__name__)
    return outputs


def _initializer_outputs(package, spec, specs) -> list:
    resolved = resolve(spec, specs)
    cls = package.initializers.INITIALIZERS[spec.name]
    outputs = []
    for seed in range(4):
        arguments = initializer_referee.draw(resolved, cls, np.random.default_rng(seed), {}, at_defaults=seed == 0)
        made = cls(**arguments, **({"seed": 1} if resolved.random else {}))
        for shape in ((8, 8), (3, 3, 4, 5)):
            try:
                outputs.append(made(shape, "float64"))
            except (ValueError, TypeError) as error:
                outputs.append(type(error).__name__)
    return outputs


def _estimator_outputs(package, spec) -> list:
    cls = package.training.ESTIMATORS[spec.name]
    estimator = cls(**({"seed": 3} if cls.shuffled else {}))
    outputs = []
    for examples in (1, 7, 37, 64):
        outputs += [np.concatenate(estimator.epoch(examples, e)) for e in range(2)]
        outputs.append(np.array([estimator.steps_per_epoch(examples), estimator.variance_factor(examples)]))
    return outputs


def outputs(package, spec, registry) -> list:
    if spec.kind == "optimizer":
        return _optimizer_outputs(package, spec)
    if spec.kind == "schedule":
        return _schedule_outputs(package, spec, {s.name: s for s in registry.schedules})
    if spec.kind == "controller":
        return _controller_outputs(package, spec)
    if spec.kind == "initializer":
        return _initializer_outputs(package, spec, {s.name: s for s in registry.initializers})
    return _estimator_outputs(package, spec)


def differs(before: list, after: list) -> bool:
    """Whether two probes' outputs differ by more than ``SAME`` anywhere."""
    if len(before) != len(after):
        return True
    for a, b in zip(before, after):
        if isinstance(a, str) or isinstance(b, str):
            if a != b:
                return True
            continue
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape or not np.array_equal(np.isfinite(a), np.isfinite(b)):
            return True
        finite = np.isfinite(a)
        scale = max(np.abs(a[finite]).max(initial=0.0), 1e-300)
        if np.any(np.abs(a[finite] - b[finite]) > SAME * scale) or not np.array_equal(a[~finite], b[~finite]):
            return True
    return False


def probe_command(baseline: Path, mutant: Path, specs_dir: Path, spec_name: str) -> bool:
    """In this process: does the mutant's build behave differently from the baseline's for ``spec_name``?"""
    registry = load_registry(specs_dir)
    spec = registry.get(spec_name)
    before = outputs(generated_package(baseline / BASELINE, BASELINE), spec, registry)
    after = outputs(generated_package(mutant / MUTANT, MUTANT), spec, registry)
    return differs(before, after)


# ----------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    verdict: str
    """``caught``, ``survived``, or ``equivalent`` (the probe saw no change)."""
    by: str
    """What caught it: the build's message, or the first failing test."""


def _build(specs: Path, out: Path, package: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "codegen", "build", "--specs", str(specs), "--out", str(out), "--package", package]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=TEST_TIMEOUT_S, check=False)


def _edited(root: Path, mutant: Mutant) -> None:
    path = root / mutant.path
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[mutant.line - 1] == mutant.before, f"{mutant.path}:{mutant.line} is not the line the mutant edits"
    lines[mutant.line - 1] = mutant.after
    path.write_text("\n".join(lines), encoding="utf-8")


def _first_failure(output: str) -> str:
    """The first failing test of a pytest run, a generated check named from its build folder (``checks/...``)."""
    found = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)
    if not found:
        return output.strip().splitlines()[-1] if output.strip() else "pytest failed"
    return re.sub(r"^.*/out/", "", found.group(1))


def _tests(mutant: Mutant, specs: Path, out: Path) -> str:
    """The first test of ``mutant``'s spec that fails on its build, or empty."""
    environment = {
        **os.environ,
        "TRAINSPEC_TEST_SPECS": str(specs),
        "TRAINSPEC_TEST_OUT": str(out),
        "TRAINSPEC_TEST_PACKAGE": MUTANT,
    }
    name = re.compile(rf"\b{re.escape(mutant.spec)}\b")
    checks = [str(p) for p in sorted((out / "checks").glob("test_*.py")) if name.search(p.read_text(encoding="utf-8"))]
    modules = [str(TESTS / module) for module in TEST_MODULES[mutant.kind]]
    for selection in ([*checks], [*modules, "-k", mutant.spec]):
        if not selection or selection[0] == "-k":
            continue
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *selection]
        result = subprocess.run(
            command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=TEST_TIMEOUT_S, check=False
        )
        if result.returncode not in (0, 5):  # 5: nothing selected
            return _first_failure(result.stdout + result.stderr)
    return ""


def _changed(baseline: Path, out: Path, specs_dir: Path, spec: str) -> bool:
    command = [sys.executable, "-m", "codegen.tools.mutate", str(baseline), str(out), str(specs_dir), spec]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=TEST_TIMEOUT_S, check=False)
    if result.returncode != 0 or result.stdout.strip() not in {"changed", "same"}:
        return True  # the mutant's build breaks where the baseline's runs: that is a change
    return result.stdout.strip() == "changed"


def try_mutant(mutant: Mutant, scratch: Path, specs_dir: Path, baseline: Path, clean: Path) -> Outcome:
    work = Path(tempfile.mkdtemp(dir=scratch))
    specs, out = work / "specs", work / "out"
    if mutant.target == "spec":
        shutil.copytree(specs_dir, specs, ignore=shutil.ignore_patterns("__pycache__"))
        _edited(specs, mutant)
        built = _build(specs, out, MUTANT)
        if built.returncode != 0:
            lines = [line for line in built.stderr.splitlines() if line.startswith("error:")]
            return Outcome(mutant, "caught", f"the build: {(lines or built.stderr.splitlines() or ['failed'])[0]}")
    else:
        specs = specs_dir
        shutil.copytree(clean, out)
        _edited(out, mutant)
    try:
        if not _changed(baseline, out, specs_dir, mutant.spec):
            return Outcome(mutant, "equivalent", "")
        failed = _tests(mutant, specs, out)
        return Outcome(mutant, "caught" if failed else "survived", failed)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(
    sample: int, seed: int, targets: tuple[str, ...], kinds: tuple[str, ...], specs_dir: Path = SPECS_DIR
) -> list[Outcome]:
    """Build the baseline, draw the mutants, try each; prints one line per mutant and the catch rate."""
    if not TESTS.is_dir():
        raise RuntimeError(f"trainspec mutate runs the repository's tests; {TESTS} is missing: run it in a checkout")
    with tempfile.TemporaryDirectory(prefix="trainspec-mutate-") as folder:
        scratch = Path(folder)
        # The unmutated build a kernel mutant copies sits as deep as each mutant's: its checks find the specs by a
        # relative path.
        baseline, clean = scratch / "baseline", scratch / "clean" / "out"
        for out, package in ((baseline, BASELINE), (clean, MUTANT)):
            built = _build(specs_dir, out, package)
            if built.returncode != 0:
                raise RuntimeError(f"the unmutated specs do not build: {built.stderr.strip()}")
        every = spec_mutants(specs_dir) + kernel_mutants(clean, MUTANT, specs_dir)
        found = [m for m in every if m.target in targets and m.kind in kinds]
        chosen = random.Random(seed).sample(found, min(sample, len(found))) if sample else found
        print(f"{len(found)} mutants; trying {len(chosen)} (seed {seed})", flush=True)
        outcomes: list[Outcome] = []
        controls: dict[str, str] = {}
        with Progress() as progress:
            for index, mutant in enumerate(chosen, 1):
                progress.step(f"mutate: {index}/{len(chosen)} {mutant.label}")
                if mutant.spec not in controls:  # the same tests on the unmutated build must pass
                    controls[mutant.spec] = _tests(mutant, specs_dir, clean)
                    if controls[mutant.spec]:
                        raise RuntimeError(f"{controls[mutant.spec]} fails on the unmutated build: fix it first")
                outcome = try_mutant(mutant, scratch, specs_dir, baseline, clean)
                outcomes.append(outcome)
                progress.close()
                print(f"{outcome.verdict:10} {mutant.label}", flush=True)
                if outcome.by:
                    print(f"{'':10} by {outcome.by}", flush=True)
    print(summary(outcomes))
    return outcomes


def summary(outcomes: list[Outcome]) -> str:
    changed = [o for o in outcomes if o.verdict != "equivalent"]
    caught = [o for o in changed if o.verdict == "caught"]
    by_build = [o for o in caught if o.by.startswith("the build")]
    rate = f"{100 * len(caught) / len(changed):.0f}%" if changed else "no mutant changed behaviour"
    return (
        f"caught {len(caught)} of {len(changed)} behaviour-changing mutants ({rate}; {len(by_build)} refused by the "
        f"build); {len(outcomes) - len(changed)} equivalent"
    )


def report_json(outcomes: list[Outcome]) -> str:
    return json.dumps([{**asdict(o.mutant), "verdict": o.verdict, "by": o.by} for o in outcomes], indent=1)


if __name__ == "__main__":  # the probe, in a process of its own (two generated packages side by side)
    baseline_out, mutant_out, specs_folder, spec_name = sys.argv[1:5]
    print("changed" if probe_command(Path(baseline_out), Path(mutant_out), Path(specs_folder), spec_name) else "same")
