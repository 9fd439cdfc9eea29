"""Gradient descent by batch size: every estimator spec's files and class, its stated variance measured on the
runtime's batches, build errors for bad specs, argument errors, proof steps that fail on a wrong statement, and the
experiments the docs draw."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import sympy
from helpers import GENERATED_DIR, PACKAGE, SPECS_DIR

from codegen.errors import SpecError
from codegen.language.estimator import B, N, sigma
from codegen.load import load_registry
from codegen.proofs.estimator import counted_moments, enumerated_moments, population, prove_equal
from codegen.proofs.package import generated_package
from codegen.tools import training
from codegen.validate.estimator import validate

REGISTRY = load_registry(SPECS_DIR)
ESTIMATORS = REGISTRY.of("estimator")
GENERATED = generated_package(GENERATED_DIR / PACKAGE, PACKAGE)


def _defaults(spec) -> dict:
    return {argument.symbol: argument.default for argument in spec.arguments}


def test_the_three_training_modes_are_registered():
    assert {"FullBatch", "MiniBatch", "SingleSample"} <= {spec.name for spec in ESTIMATORS}


@pytest.mark.parametrize("spec", ESTIMATORS, ids=lambda spec: spec.name)
def test_every_estimator_has_a_class_a_section_and_checks(spec):
    for path in (
        f"{PACKAGE}/training/{spec.module_name}.py",
        f"docs/training/{spec.module_name}.tex",
        f"checks/test_{spec.module_name}_estimator.py",
    ):
        assert (GENERATED_DIR / path).is_file(), path
    assert GENERATED.training.get(spec.name) is getattr(GENERATED, spec.name)
    assert GENERATED.training.get(spec.module_name) is getattr(GENERATED, spec.name)


@pytest.mark.parametrize("spec", ESTIMATORS, ids=lambda spec: spec.name)
def test_batches_have_the_size_the_spec_declares(spec):
    """The class's batches at its defaults hold the spec's batch size evaluated at N (the last may hold fewer)."""
    estimator = getattr(GENERATED, spec.name)(**({"seed": 3} if estimator_shuffles(spec) else {}))
    for examples in (1, 2, 31, 32, 33, 100):
        declared = int(sympy.sympify(spec.batch_size).subs({N: examples, **_defaults(spec)}))
        batches = estimator.epoch(examples)
        assert [batch.size for batch in batches[:-1]] == [declared] * (len(batches) - 1)
        assert 0 < batches[-1].size <= declared and sum(batch.size for batch in batches) == examples


def estimator_shuffles(spec) -> bool:
    return getattr(GENERATED, spec.name).shuffled


@pytest.mark.parametrize("spec", ESTIMATORS, ids=lambda spec: spec.name)
def test_the_stated_variance_is_measured_on_the_runtimes_batches(spec):
    """Over 4000 epochs of 50 examples, the variance of the first batch's mean gradient is the stated one.

    Tolerance: the sample variance of 4000 draws has a relative standard error of about sqrt(2/4000) = 2.2% (a
    batch mean of many examples is close to normal); 5 standard errors, 11%. The seed is fixed, so the test
    is deterministic; the bound says how far a correct runtime can land.
    """
    examples, epochs = 50, 4000
    gradients = np.random.default_rng(11).normal(size=examples) ** 3  # skewed per-example gradients
    estimator = getattr(GENERATED, spec.name)(**({"seed": 5} if estimator_shuffles(spec) else {}))
    means = np.array([gradients[estimator.epoch(examples, e)[0]].mean() for e in range(epochs)])
    size = int(sympy.sympify(spec.batch_size).subs({N: examples, **_defaults(spec)}))
    stated = float(sympy.sympify(spec.variance).subs({N: examples, B: size, sigma: gradients.std()}))
    assert estimator.variance_factor(examples) * gradients.var() == pytest.approx(stated, rel=1e-12, abs=1e-15)
    if stated == 0:
        assert np.ptp(means) <= 8 * np.finfo(float).eps * np.abs(gradients).max()  # the same set, summed again
    else:
        assert means.var() == pytest.approx(stated, rel=5 * np.sqrt(2 / epochs))
        assert abs(means.mean() - gradients.mean()) <= 5 * np.sqrt(stated / epochs)


# ----------------------------------------------------------------------------- bad specs


def _spec_folder(tmp_path, body: str):
    folder = tmp_path / "specs" / "training"
    folder.mkdir(parents=True)
    (folder / "mini_batch.py").write_text((SPECS_DIR / "training" / "mini_batch.py").read_text(encoding="utf-8"))
    header = """
        from sympy import Interval, Range, Symbol, oo
        from codegen.language.common import Hyperparameter
        from codegen.language.estimator import B, Derivation, EstimatorSpec, N, g_bar, sigma
        z = Symbol("z")
        TEXTS = dict(aliases=("bad",), title="Bad", legend="bad", summary="")
    """
    (folder / "bad.py").write_text(textwrap.dedent(header) + textwrap.dedent(body))
    return tmp_path / "specs"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "SPEC = EstimatorSpec(name='Bad', batch_size=z, mean=g_bar, variance=0, **TEXTS)",
            r"specs/training/bad.py: Bad: symbol 'z': batch_size uses z",
        ),
        (
            "SPEC = EstimatorSpec(name='Bad', batch_size=N / 2, mean=g_bar, variance=0, **TEXTS)",
            r"batch_size N/2 must be a positive integer",
        ),
        (
            "SPEC = EstimatorSpec(name='Bad', batch_size=N, mean=g_bar, variance=g_bar**2, **TEXTS)",
            r"symbol 'sigma': variance g_bar\*\*2 must vanish",
        ),
        (
            """SPEC = EstimatorSpec(name='Bad', batch_size=B, mean=g_bar, variance=sigma**2 / B, **TEXTS,
                   arguments=(Hyperparameter(B, "batch_size", 8, Interval(1, oo), ""),))""",
            r"symbol 'B': argument 'batch_size' counts examples",
        ),
        (
            """SPEC = EstimatorSpec(name='Bad', batch_size=B, mean=g_bar, variance=sigma**2 / B, **TEXTS,
                   arguments=(Hyperparameter(B, "seed", 8, Range(1, oo), ""),))""",
            r"argument 'seed' is not usable as a Python name \(or is reserved\)",
        ),
        (
            """SPEC = EstimatorSpec(name='Bad', batch_size=N, mean=g_bar, variance=0, **TEXTS,
                   derived_from=Derivation("Nope", ()))""",
            r"derived from 'Nope', which is no estimator here; known: Bad, MiniBatch",
        ),
    ],
)
def test_bad_estimator_specs_fail_naming_file_and_symbol(tmp_path, body, message):
    registry = load_registry(_spec_folder(tmp_path, body))
    bad = next(spec for spec in registry.of("estimator") if spec.name == "Bad")
    with pytest.raises(SpecError, match=message):
        validate(bad, registry)


# ----------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: GENERATED.MiniBatch(batch_size=0), ValueError, "batch_size must be >= 1, got 0"),
        (lambda: GENERATED.MiniBatch(batch_size=2.5), TypeError, "batch_size must be an integer, got 2.5"),
        (lambda: GENERATED.MiniBatch(batch_size=True), TypeError, "batch_size must be an integer, got True"),
        (lambda: GENERATED.MiniBatch(seed=-1), ValueError, "seed must be >= 0, got -1"),
        (
            lambda: GENERATED.MiniBatch(last_batch="last"),
            ValueError,
            "last_batch must be one of keep, drop, got 'last'",
        ),
        (lambda: GENERATED.MiniBatch(seed=0).epoch(0), ValueError, "examples must be >= 1, got 0"),
        (lambda: GENERATED.MiniBatch(seed=0).epoch(10, -1), ValueError, "number must be >= 0, got -1"),
        (lambda: GENERATED.MiniBatch(8, seed=0, last_batch="drop").epoch(5), ValueError, "8 > 5 examples"),
        (lambda: GENERATED.FullBatch(seed=1), TypeError, "unexpected keyword argument 'seed'"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_seed_left_as_none_is_drawn_and_kept():
    first, second = GENERATED.MiniBatch(), GENERATED.MiniBatch()
    assert first.seed != second.seed
    again = GENERATED.MiniBatch.from_config(first.get_config())
    assert all(np.array_equal(a, b) for a, b in zip(first.epoch(100, 4), again.epoch(100, 4)))


# ----------------------------------------------------------------------------- the proof steps can fail


def test_the_proofs_reject_the_variance_without_the_finite_population_correction():
    with pytest.raises(AssertionError, match="residual"):
        prove_equal(counted_moments(B)[1], sigma**2 / B, "Var without (N - B)/(N - 1)")
    gradients = [sympy.Rational(value) for value in (-3, 1, 4, 7)]
    _, variance = population(gradients)
    assert enumerated_moments(gradients, 2)[1] != variance / 2


# ----------------------------------------------------------------------------- the docs' experiments


@pytest.fixture(scope="module")
def runs():
    x, y = training.breast_cancer()
    return training.train_by_batch_size(GENERATED, x, y)


def test_training_by_batch_size_behaves_as_the_docs_say(runs):
    """Per epoch, N evaluations for each; the full batch lowers the loss at every step; the smaller the batch, the
    more of its steps raise it."""
    for run in runs:
        assert np.array_equal(run.evaluations[:: run.steps_per_epoch], 569 * np.arange(training.EPOCHS + 1))
        assert run.losses[-1] < run.losses[0] == pytest.approx(np.log(2))
    assert [run.steps_per_epoch for run in runs] == [1, 18, 569]
    raised = [np.mean(np.diff(run.losses) > 0) for run in runs]
    assert raised[0] == 0 < raised[1] < raised[2]


def test_the_figures_draw_every_run_and_trajectory(tmp_path):
    written = training.draw(GENERATED, tmp_path, "test")
    assert sorted(path.relative_to(tmp_path).as_posix() for path in written) == sorted(
        f"{figure}.tex" for figure in training.FIGURES
    )
    for path in written:
        picture = path.read_text(encoding="utf-8")
        assert picture.count("\\color{") >= 3 and "\\qbezier" in picture
    for landscape in training.LANDSCAPES:
        for name, arguments in landscape.optimizers:
            path = training.trajectory(GENERATED, landscape, name, arguments)
            assert np.all(np.isfinite(path)), (landscape.name, name, arguments)
