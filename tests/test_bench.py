"""Smoke test of ``trainspec bench`` at a tiny size, and a check that its NumPy baseline is the same update.

The rows come from the registry under test and the classes from the package under test (``helpers``). No timing
is asserted: timings depend on the machine and its load.
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import SPECS_DIR, package, submodule_of

from codegen.load import load_registry
from codegen.tools import bench_optimizers as bench

SPECS = load_registry(SPECS_DIR).optimizers
trainspec = package()
runtime = submodule_of("runtime.multi_tensor")
CASES = bench.cases(SPECS, trainspec)


# Run in a process of its own, as `trainspec bench` runs: the optax contender loads JAX, which is multithreaded, and
# a fork of a process that has loaded it may deadlock (the build forks its workers, later in this session).
REPORT_SCRIPT = (
    "from helpers import SPECS_DIR, package\n"
    "from codegen.load import load_registry\n"
    "from codegen.tools import bench_optimizers as bench\n"
    "specs = load_registry(SPECS_DIR).optimizers\n"
    "bench.run(size=10_000, repeats=1, small_count=3, small_size=100, specs=specs, package=package())\n"
)


@pytest.fixture(scope="module")
def report() -> str:
    """The printed report of a tiny run."""
    result = subprocess.run(
        [sys.executable, "-c", REPORT_SCRIPT],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _table_rows(report: str, first_header_cell: str, second_cell: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header starts with these two cells."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header_cell} | {second_cell}"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_every_optimizer_has_a_row(report: str) -> None:
    rows = _table_rows(report, "optimizer", "trainspec ms")
    labels = [row[0] for row in rows]
    assert sorted({label.split()[0] for label in labels}) == sorted(spec.name for spec in SPECS)
    assert len(labels) == len(set(labels)), "one row per variant"
    # The spec's own options give extra rows: every option's name shows up in some label.
    for spec in SPECS:
        shown = {word for label in labels if label.split()[0] == spec.name for word in label.split()[1:]}
        assert shown == {option.argument for option in spec.options}, spec.name


def test_torch_columns_are_the_declared_counterparts(report: str) -> None:
    """A row has a torch timing exactly where its spec declares a torch counterpart (torch runs every mode on the
    CPU that it supports: foreach for each of these classes)."""
    pytest.importorskip("torch")
    declared = {spec.name for spec in SPECS if any(c.library == "torch" for c in spec.counterparts)}
    for row in _table_rows(report, "optimizer", "trainspec ms"):
        timed = row[6] != "—" or row[7] != "—"
        assert timed == (row[0].split()[0] in declared), row


@pytest.mark.parametrize(("library", "column"), [("keras", 9), ("optax", 11)])
def test_keras_and_optax_columns_are_the_declared_counterparts(report: str, library: str, column: int) -> None:
    """A row has a keras (or optax) timing exactly where its spec declares a counterpart in that library, and the
    ratio beside it."""
    if importlib.util.find_spec(library) is None:  # not imported here: see REPORT_SCRIPT
        pytest.skip(f"{library} is not installed")
    declared = {spec.name for spec in SPECS if any(c.library == library for c in spec.counterparts)}
    assert declared
    for row in _table_rows(report, "optimizer", "trainspec ms"):
        assert (row[column] != "—") == (row[0].split()[0] in declared), row
        assert (row[column + 1] != "—") == (row[column] != "—"), row


def test_rows_are_complete(report: str) -> None:
    for rows in (_table_rows(report, "optimizer", "trainspec ms"), _table_rows(report, "optimizer", "trainspec µs")):
        widths = {len(row) for row in rows}
        assert len(widths) == 1, widths
        for row in rows:
            assert float(row[1].split()[0]) > 0, row  # the trainspec time was measured
    for row in _table_rows(report, "optimizer", "trainspec ms"):
        assert row[5] != "—", f"{row[0]}: the NumPy baseline must run for every optimizer"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.label)
def test_numpy_baseline_is_the_kernels_update(case: bench.Case) -> None:
    """Three float64 steps of the bench's NumPy evaluation of the spec against the generated optimizer.

    Both compute the same formulas and differ only in operation order (hoisting,
    shared subexpressions), a few float64 ulps of the magnitudes involved;
    1e-12 of each array's largest magnitude leaves three orders of headroom.
    """
    rng = np.random.default_rng(7)
    param, grad = rng.standard_normal(1000), rng.standard_normal(1000)
    optimizer = case.optimizer_class(**case.config)
    kernel_param = param.copy()
    optimizer.build([kernel_param])
    state = optimizer.get_state()
    arrays = {"param": param.copy(), "grad": grad, **state["slots"][0]}
    update = bench.NumpyUpdate(case.variant)
    scalars = update.initial_scalars(case.full_config(), bench.scalar_state(state))
    for step in (1, 2, 3):
        optimizer.apply([grad], [kernel_param])
        scalars = update(arrays, scalars, step)
    after = optimizer.get_state()
    expected = {"param": kernel_param, **after["slots"][0]}
    for state in case.variant.tensor_state:
        arrays[state.name], expected[state.name] = np.array(scalars[state.symbol]), after["tensor_state"][0][state.name]
    for name, value in expected.items():
        scale = float(np.max(np.abs(value)))
        np.testing.assert_allclose(arrays[name], value, rtol=0, atol=1e-12 * scale, err_msg=name)


def _adam_case_or_skip() -> bench.Case:
    """The case of Adam at its defaults: the tests below check its known arrays on purpose."""
    adam = next((case for case in CASES if case.label == "Adam"), None)
    if adam is None:
        pytest.skip("Adam is not registered")
    return adam


def test_bytes_are_counted_from_the_kernel_plan() -> None:
    """The byte count comes from the kernel plan: Adam reads w, g, m, v and writes w, m, v."""
    adam = _adam_case_or_skip()
    assert adam.passes == ((("param", "grad", "momentum", "velocity"), ("param", "momentum", "velocity")),)
    assert adam.bytes_per_step(10) == 7 * 10 * 4


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.label)
def test_a_variant_with_sums_over_the_tensor_counts_both_passes(case: bench.Case) -> None:
    """Its roofline reads and writes what each pass does: the pass computing the sums, then the update."""
    plan = bench.plan_kernel(case.variant)
    assert len(case.passes) == (1 if plan.reduction is None else 2)
    assert case.passes[-1] == (tuple(n for n, _ in plan.loads), tuple(n for n, _ in plan.stores))


def test_threaded_split_matches_one_call() -> None:
    """The runtime's split (the caller takes the first chunk) updates every element exactly as one call does.

    Elementwise IEEE arithmetic without fastmath gives the same bits whichever thread or
    loop path (vector body or remainder) computes an element, so equality is exact.
    """
    _adam_case_or_skip()
    adam = submodule_of("optimizers.adam")
    size = runtime.PARALLEL_MIN_SIZE + 12_345  # above the threshold, and not a multiple of the thread count
    rng = np.random.default_rng(3)
    param, grad = (rng.standard_normal(size, dtype=np.float32) for _ in range(2))
    start = [param, grad, np.zeros(size, np.float32), np.zeros(size, np.float32)]
    scalars = tuple(np.float32(x) for x in adam.adam_scalars(1e-3, 0.9, 0.999, 1e-7, 1)[0])
    split, whole = ([a.copy() for a in start] for _ in range(2))
    runtime.run_kernel(adam.adam_kernel, tuple(split), scalars)
    adam.adam_kernel(*whole, *scalars)
    for name, a, b in zip(("param", "grad", "momentum", "velocity"), split, whole):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert not np.array_equal(split[0], start[0]), "the step changed the parameters"


def test_the_resnet50_workload_has_resnet50s_parameters() -> None:
    """torchvision documents ResNet-50 as 25,557,032 parameters in 161 tensors (weights and biases)."""
    bench_torch = pytest.importorskip("codegen.tools.bench_torch")
    shapes = bench_torch.resnet50_shapes()
    assert len(shapes) == 161
    assert sum(math.prod(shape) for shape in shapes) == 25_557_032
    transformer = bench_torch.transformer_shapes()
    assert len(transformer) == 289
    assert abs(sum(math.prod(shape) for shape in transformer) - 101e6) < 0.5e6


def test_the_torch_table_times_every_contender(monkeypatch) -> None:
    bench_torch = pytest.importorskip("codegen.tools.bench_torch")
    monkeypatch.setattr(bench_torch, "WORKLOADS", {"tiny": [(3, 4), (5,)]})
    report = bench_torch.run(repeats=2)
    row = next(line for line in report.splitlines() if line.startswith("| tiny |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1:3] == ["2", "17"]
    assert all(float(cell) > 0 for cell in cells[3:7])  # four contenders' milliseconds
    assert all(cell.endswith("×") for cell in cells[7:9])
