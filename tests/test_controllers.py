"""The controllers (learning rates set from a metric, once per epoch): kernels, state, arguments, and the referee.

Every test iterates the registry: a new controller spec needs no edit here. The kernels are compared with the spec's
update run in exact arithmetic (``codegen.lower.controller.run``), within the stated tolerance of
``codegen.proofs.controller``; the libraries through ``trainspec verify``'s referee.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
from helpers import GENERATED_DIR, PACKAGE, SPECS_DIR, package

from codegen.cli import main
from codegen.emit.docs.figure import figure
from codegen.language.controller import ControllerCall
from codegen.load import load_registry
from codegen.lower.controller import run
from codegen.proofs.controller import TOLERANCE
from codegen.referee import controller as referee
from codegen.tools.pdf import draw_figures

REGISTRY = load_registry(SPECS_DIR)
SPECS = REGISTRY.of("controller")
S = package()
SEEDS = (1, 2)
EXACT_EPOCHS = 60  # the exact run is SymPy's: a few seconds for 60 epochs
EPOCHS = 300

VARIANTS = [
    pytest.param(spec, {choice.argument: case.when}, id=f"{spec.name}-{choice.argument}={case.when}")
    for spec in SPECS
    for choice in spec.choices
    for case in choice.cases
] + [pytest.param(spec, {}, id=f"{spec.name}-defaults") for spec in SPECS if not spec.choices]


def _class(spec):
    return S.controllers.CONTROLLERS[spec.name]


def _drawn(spec, seed: int, given: dict, epochs: int):
    rng = np.random.default_rng(seed)
    arguments = referee.draw(spec, rng, given)
    return arguments, referee.drawn_metrics(rng, epochs, arguments.get("mode") == "max")


@pytest.mark.parametrize(("spec", "given"), VARIANTS)
def test_the_kernel_sets_the_exact_updates_rates(spec, given):
    """Each variant's kernel, stepped on drawn metrics with drawn arguments, sets the rates of the spec's update run
    exactly, within the stated tolerance; and the runs cut the rate at least once (else they would show nothing)."""
    for seed in SEEDS:
        arguments, metrics = _drawn(spec, seed, given, EXACT_EPOCHS)
        controller = _class(spec)(**arguments)
        rates = np.array([controller.step(metric) for metric in metrics])
        exact = np.array([float(rate) for rate in run(spec, ControllerCall(spec.name, arguments), metrics)])
        assert np.max(np.abs(rates - exact) / exact) <= TOLERANCE
        assert len(set(rates.tolist())) > 1, "no cut in the run: draw a longer one"


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_a_restored_state_continues_as_the_uninterrupted_run(spec):
    """``state_dict`` after some epochs, through JSON, into a new instance: the same rates from there on."""
    arguments, metrics = _drawn(spec, 3, {}, EPOCHS)
    whole = _class(spec)(**arguments)
    expected = [whole.step(metric) for metric in metrics]
    first = _class(spec)(**arguments)
    for metric in metrics[:100]:
        first.step(metric)
    second = _class(spec).from_config(json.loads(json.dumps(first.get_config())))
    second.load_state_dict(json.loads(json.dumps(first.state_dict())))
    assert second.epochs == 100
    assert [second.step(metric) for metric in metrics[100:]] == expected[100:]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_a_bad_state_is_refused_and_changes_nothing(spec):
    controller = _class(spec)(**_drawn(spec, 4, {}, 2)[0])
    controller.step(1.0)
    saved = controller.state_dict()
    count = next(name for name in controller.state_names if name in controller.counts)
    bad_states = [
        ({k: v for k, v in saved.items() if k != "learning_rate"}, ValueError, "missing \\['learning_rate'\\]"),
        ({**saved, "extra": 1}, ValueError, "unknown \\['extra'\\]"),
        ({**saved, "learning_rate": "0.1"}, TypeError, "learning_rate must be a number"),
        ({**saved, count: 1.5}, ValueError, f"{count} must be a whole number >= 0"),
        ({**saved, "epochs": -1}, ValueError, "epochs must be a whole number >= 0"),
        ("not a dict", TypeError, "takes a dict"),
    ]
    for state, error, message in bad_states:
        with pytest.raises(error, match=message):
            controller.load_state_dict(state)
        assert controller.state_dict() == saved


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_bad_arguments_and_metrics_are_refused_by_name(spec):
    arguments = {**_drawn(spec, 5, {}, 2)[0], "patience": 3}
    cls = _class(spec)
    with pytest.raises(ValueError, match=f"{spec.name}: factor must be > 0 and < 1, got 1.5"):
        cls(**{**arguments, "factor": 1.5})
    with pytest.raises(ValueError, match=f"{spec.name}: patience must be an integer"):
        cls(**{**arguments, "patience": 2.5})
    for choice in spec.choices:
        with pytest.raises(ValueError, match=f"{spec.name}: {choice.argument} must be one of .*, got 'avg'"):
            cls(**{**arguments, choice.argument: "avg"})
    controller = cls(**arguments)
    with pytest.raises(TypeError, match=f"{spec.name}.step takes the metric as a real number, got str"):
        controller.step("0.5")
    with pytest.raises(TypeError, match=f"{spec.name}.step takes the metric as a real number, got bool"):
        controller.step(True)
    with pytest.raises(TypeError, match=f"{spec.name}.step takes one metric, got ndarray"):
        controller.step(np.ones(2))
    assert controller.epochs == 0
    assert cls(**arguments).step(math.nan) == arguments["learning_rate"]  # NaN never improves; one epoch cuts nothing
    assert controller.step(np.array(0.5)) == controller.step(np.float32(0.5)) == arguments["learning_rate"]
    torch = pytest.importorskip("torch")
    assert controller.step(torch.tensor(0.5)) == arguments["learning_rate"]  # as PyTorch's scheduler takes it


COUNTERPART_RUNS = [
    pytest.param(spec.name, counterpart.library, id=f"{spec.name}-{counterpart.library}")
    for spec in SPECS
    for counterpart in spec.counterparts
    if counterpart.same
]


@pytest.mark.parametrize(("spec", "library"), COUNTERPART_RUNS)
def test_the_library_sets_the_specs_rates(spec, library):
    """Every variant, 300 epochs, two seeds: the library's own class, as its users step it."""
    pytest.importorskip(library)
    variants = [{}] + [
        {choice.argument: case.when}
        for choice in REGISTRY.get(spec).choices
        for case in choice.cases
        if case.when != choice.default
    ]
    for seed in SEEDS:
        for given in variants:
            verdict = referee.verify(REGISTRY, spec, library, steps=EPOCHS, seed=seed, given=given, package=S)
            assert verdict.passed, verdict.report(every=EPOCHS)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_the_generated_class_passes_as_a_users_implementation(spec):
    verdict = referee.verify(REGISTRY, spec.name, f"{S.__name__}.controllers:{spec.name}", steps=EPOCHS, package=S)
    assert verdict.passed and np.max(verdict.errors) == 0.0


def test_a_hand_written_controller_passes_and_a_cut_one_epoch_early_is_named():
    pytest.importorskip("torch")
    spec = "TorchReduceLROnPlateau"
    if spec not in {s.name for s in SPECS}:
        pytest.skip(f"{spec} is not registered")
    correct = referee.verify(REGISTRY, spec, "tests.wrong_controllers:TorchPlateau", steps=EPOCHS, seed=1, package=S)
    assert correct.passed, correct.report()
    early = referee.verify(
        REGISTRY, spec, "tests.wrong_controllers:TorchPlateauCuttingEarly", steps=EPOCHS, seed=1, package=S
    )
    assert not early.passed
    labels = [label for label, _, _ in early.matches]
    assert labels == [f"{spec} with patience < num_bad_epochs as patience <= num_bad_epochs (line 9: reduce)"]
    assert f"FAIL: first diverges at epoch {early.first_divergent} " in early.report()  # epochs, not steps


def test_a_library_without_a_counterpart_is_a_usage_error(capsys):
    keras_only = next(
        (s.name for s in SPECS if {c.library for c in s.counterparts} == {"keras"}),
        None,
    )
    if keras_only is None:
        pytest.skip("no controller with a Keras counterpart only")
    assert main(["verify", keras_only, "--against", "torch", "--steps", "10"]) == 2
    assert f"torch has no counterpart of {keras_only}" in capsys.readouterr().err


def test_the_docs_plot_each_controllers_example_from_its_kernel(tmp_path):
    """``trainspec docs`` draws the rate after each epoch of each example, set by the generated class, into the
    figure its section inputs."""
    docs = tmp_path / "docs"
    shutil.copytree(GENERATED_DIR / "docs", docs)
    drawn = draw_figures(GENERATED_DIR, PACKAGE, SPECS_DIR, docs)
    assert len([path for path in drawn if path.parent.name == "controllers"]) == len(SPECS)
    for spec in SPECS:
        controller = _class(spec)(**spec.example.arguments)
        rates = [controller.step(metric) for metric in spec.example.metrics]
        picture = (docs / "figures" / "controllers" / f"{spec.module_name}.tex").read_text(encoding="utf-8")
        assert all(f"\\qbezier{segment}" in picture for segment in figure(rates, 1, "epoch").curves[0].segments)
        section = (docs / "controllers" / f"{spec.module_name}.tex").read_text(encoding="utf-8")
        assert f"\\input{{figures/controllers/{spec.module_name}}}" in section


def test_a_precision_asked_of_a_controller_is_a_usage_error(capsys):
    assert main(["verify", SPECS[0].name, "--against", "torch", "--dtype", "float32", "--steps", "5"]) == 2
    assert "a controller computes in its library's precision" in capsys.readouterr().err
