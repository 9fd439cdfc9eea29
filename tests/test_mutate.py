"""`trainspec mutate`: the one-line mutants it makes, its probe's sense of "the same", and a sample run in CI.

The sample is small (the full run is hours); its catch rate and the larger run's go in the closing notes.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
from helpers import GENERATED_DIR, PACKAGE, SPECS_DIR, package, run_trainspec

from codegen.load import load_registry
from codegen.lower import optimizer as optimizers
from codegen.tools import mutate


def _mutants(source: str) -> set[str]:
    tree = ast.parse(source)
    roots = [node.value for node in tree.body]
    return {m.after for m in mutate.mutants_of_text(source, roots, target="spec", kind="optimizer", spec="X", path="x")}


def test_every_operator_number_sign_and_root_is_changed_once():
    assert _mutants("x = a + b * 2") == {"x = a - b * 2", "x = a + b / 2", "x = a + b * 3"}
    assert _mutants("y = -sqrt(v) ** 2") == {"y = sqrt(v) ** 2", "y = -v ** 2", "y = -sqrt(v) ** 3"}
    # Parentheses stay where precedence needs them.
    assert "z = (a + b) / c" in _mutants("z = (a + b) * c")


def test_what_a_spec_declares_for_tests_and_docs_is_left_alone():
    mutants = mutate.spec_mutants(SPECS_DIR)
    assert mutants and all("Typical(" not in m.before or m.before.count("(") > 1 for m in mutants)
    adamax = (SPECS_DIR / "optimizers" / "adamax.py").read_text(encoding="utf-8").splitlines()
    typical = next(i for i, line in enumerate(adamax, 1) if line.strip().startswith("typical=Typical("))
    assert not [m for m in mutants if m.path == "optimizers/adamax.py" and m.line == typical]


def test_kernel_mutants_edit_the_compiled_loops():
    mutants = mutate.kernel_mutants(GENERATED_DIR, PACKAGE, SPECS_DIR)
    adam = [m for m in mutants if m.spec == "Adam"]
    assert any("m_new = m + k1 * (g - m)" in m.before for m in adam)
    assert {m.kind for m in mutants} >= {"optimizer", "schedule", "estimator"}


def test_the_probe_tells_a_change_from_rounding():
    base = [np.array([1.0, 2.0, 3.0]), "ValueError"]
    assert not mutate.differs(base, [np.array([1.0, 2.0, 3.0 + 1e-12]), "ValueError"])
    assert mutate.differs(base, [np.array([1.0, 2.0, 3.0 + 1e-6]), "ValueError"])
    assert mutate.differs(base, [np.array([1.0, 2.0, np.nan]), "ValueError"])
    assert mutate.differs(base, [np.array([1.0, 2.0, 3.0]), "TypeError"])


def test_a_sample_of_mutants_is_caught(tmp_path: Path):
    """Three mutants drawn over every spec and every generated kernel: each that changes behaviour is caught."""
    report = tmp_path / "mutants.json"
    result = run_trainspec("mutate", "--sample", "3", "--seed", "2026", "--json", str(report), timeout=3000)
    outcomes = json.loads(report.read_text(encoding="utf-8"))
    assert len(outcomes) == 3, result.stdout
    survived = [f"{o['path']}:{o['line']}: {o['after']}" for o in outcomes if o["verdict"] == "survived"]
    assert not survived, result.stdout
    assert result.returncode == 0 and "caught" in result.stdout.splitlines()[-1], result.stdout + result.stderr


def test_the_probe_runs_every_kernel_of_every_optimizer_and_its_defaults():
    """A mutant in a kernel the probe never runs, or of a default it never uses, would pass for equivalent: one
    configuration per variant, then the spec's defaults (only the arguments without one given)."""
    trainspec = package()
    for spec in load_registry(SPECS_DIR).optimizers:
        cls = trainspec.OPTIMIZERS[spec.name]
        *variants, defaults = mutate.optimizer_configs(spec)
        chosen = [mutate.constructed(cls, config) for config in variants]
        assert [o.variant.name for o in chosen] == [v.name for v in optimizers.lower(spec).variants], spec.name
        assert set(defaults) == {h.argument for h in spec.hyperparameters if h.default is None}, spec.name
