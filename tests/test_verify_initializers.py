"""``trainspec verify`` on initializers: each spec against keras.initializers and torch.nn.init, wrong ones caught.

The real libraries are the ``reference`` extra (torch 2.13 CPU, keras 3.15 on the torch backend). Each run draws
``VALUES`` = 4·10^5 values over two shapes (about 2·10^5 each; the CLI's default is 10^6) with the referee's
seeded arguments. Every test of the referee rejects at p < 1e-6, so a correct implementation fails a run with
probability below 1e-5 (about 10 tests a run) and the ~40 runs here together below 4e-4 for a seed chosen at
random; the seeds are fixed, so the outcome is deterministic. At this size the KS test rejects beyond
D = 0.006 per shape, and the closest slip the tests look for (an untruncated normal of the same variance) lies
at D = 0.0167: by the DKW inequality a sample from it passes with probability below 1e-19.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os

import numpy as np
import pytest
from scipy import stats

from codegen.cli import main
from codegen.language.initializer import Counterpart
from codegen.load import load_registry
from codegen.lower.initializer import parameters_at, resolve
from codegen.referee import initializer_adapters as initializer_external
from codegen.referee.initializer import sample_shapes
from codegen.referee.initializer import verify as referee
from codegen.referee.statistics import ALPHA, Law, critical, ks_distance
from tests.helpers import SPECS_DIR, package, submodule_of

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
REGISTRY = load_registry(SPECS_DIR)
SPECS = {spec.name: spec for spec in REGISTRY.initializers}
RESOLVED = [resolve(spec, SPECS) for _, spec in sorted(SPECS.items())]
VALUES = 400_000
WRONG = "tests.wrong_initializers"


def verify(spec: str, against: str, **options):
    """The referee on the registry and the build under test."""
    return referee(REGISTRY, spec, against, package=package(), **options)


def named(name: str) -> str:
    """A spec this test names on purpose; skipped where the registry under test lacks it."""
    if name not in SPECS:
        pytest.skip(f"the registry under test has no {name}")
    return name


def _label(value) -> str:
    return str(value)


def _failed(verdict) -> set[str]:
    return {check.name for result in verdict.results for check in result.checks if not check.passed}


def _matched(verdict) -> str:
    return " | ".join(label for label, _, _ in verdict.matches)


def _counterparts(library: str, same: bool) -> list[tuple[str, dict]]:
    """(spec, the options the counterpart covers) for every counterpart in ``library`` with this ``same``."""
    return [
        (resolved.spec.name, {name: value for name, value in c.requires if isinstance(value, str)})
        for resolved in RESOLVED
        for c in resolved.spec.counterparts
        if c.library == library and c.same == same
    ]


# ----------------------------------------------------------------------------- the real libraries


@pytest.mark.parametrize(("spec", "given"), _counterparts("keras", same=True), ids=_label)
def test_keras_draws_the_spec_distribution(spec, given):
    """Every initializer with a Keras counterpart that draws its distribution does, but for the truncated normals
    of Keras's torch backend, which lets a few values escape (the next test): there, every test but the support
    passes."""
    pytest.importorskip("keras")
    verdict = verify(spec, "keras", values=VALUES, seed=1, given=given)
    truncated = verdict.results[0].law.family == "truncated_normal"
    if truncated and not verdict.passed:
        assert _failed(verdict) == {"support"}, verdict.report()
        assert all("m = 4 fits" in line for line in verdict.diagnosis) and verdict.diagnosis, verdict.report()
    else:
        assert verdict.passed, verdict.report()


def test_kerass_torch_backend_lets_truncated_values_escape():
    """At 10^6 values the four-draw cap of Keras's torch backend shows: 4.3e-6 of the values lie outside ±2σ."""
    pytest.importorskip("keras")
    verdict = verify(named("TruncatedNormal"), "keras", seed=0)
    assert not verdict.passed
    assert _failed(verdict) == {"support"}, verdict.report()
    assert verdict.diagnosis and all("m = 4 fits" in line for line in verdict.diagnosis), verdict.report()
    assert "4 normals per value" in verdict.report()


@pytest.mark.parametrize(("spec", "given"), _counterparts("torch", same=True), ids=_label)
def test_torch_draws_the_spec_distribution(spec, given):
    pytest.importorskip("torch")
    verdict = verify(spec, "torch", values=VALUES, seed=2, given=given)
    assert verdict.passed, verdict.report()


@pytest.mark.parametrize(("spec", "given"), _counterparts("torch", same=False), ids=_label)
def test_torch_counterparts_in_another_convention_fail_and_are_named(spec, given):
    """A counterpart that does the same job in torch's convention (an untruncated normal for a truncated one) fails,
    and the referee says what it draws instead."""
    pytest.importorskip("torch")
    verdict = verify(spec, "torch", values=VALUES, seed=3, given=given)
    assert not verdict.passed
    assert verdict.matches, verdict.report()


@pytest.mark.parametrize(("spec", "torch_spec"), [("GlorotNormal", "XavierNormal"), ("HeNormal", "KaimingNormal")])
def test_torch_normals_are_untruncated(spec, torch_spec):
    """torch's xavier_normal_ and kaiming_normal_ are untruncated: the referee names the torch-convention spec
    that draws the same and the slip (torch/nn/init.py: both call tensor.normal_)."""
    pytest.importorskip("torch")
    named(torch_spec)
    verdict = verify(named(spec), "torch", values=VALUES, seed=3)
    assert {"KS", "support"} <= _failed(verdict), verdict.report()
    assert "untruncated normal instead of truncated normal, same variance" in verdict.report()
    assert torch_spec in _matched(verdict), verdict.report()
    assert f"{spec} with an untruncated normal of the same variance" in _matched(verdict), verdict.report()
    assert spec not in [label for label, _, _ in verdict.matches]


def test_the_report_says_how_torch_laid_out_each_shape():
    """A Keras (in, out) kernel is torch's (out, in) tensor: the report says how each shape was filled."""
    pytest.importorskip("torch")
    verdict = verify(named("HeNormal"), "torch", values=VALUES, seed=3)
    for result in verdict.results:
        torch_shape = (result.shape[-1], result.shape[-2], *result.shape[:-2])
        assert result.layout == f"filled as the torch shape {torch_shape}, the same fans"


def test_torch_variance_scaling_reaches_scales_up_to_two():
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match="scale <= 2"):
        verify(named("VarianceScaling"), "torch", values=VALUES, given={"scale": 3.0, "mode": "fan_in"})


def test_torch_layout_matches_torchs_own_fans():
    """The adapter's fans and layouts agree with torch's private fan computation on Keras kernels."""
    torch = pytest.importorskip("torch")
    from torch.nn.init import _calculate_fan_in_and_fan_out

    kernels = submodule_of("initializers.kernels")
    for shape in [(64, 32), (3, 3, 16, 40), (5, 7, 9), (2, 3, 4, 5, 6)]:
        order = initializer_external.layout_for(shape, kernels.compute_fans(shape), kernels.torch_compute_fans)
        tensor = torch.empty(tuple(shape[axis] for axis in order))
        assert tuple(_calculate_fan_in_and_fan_out(tensor)) == tuple(kernels.compute_fans(shape))
        assert kernels.torch_compute_fans(tuple(tensor.shape)) == _calculate_fan_in_and_fan_out(tensor)


# ----------------------------------------------------------------------------- user implementations


def test_a_correct_implementation_passes():
    verdict = verify(named("HeNormal"), f"{WRONG}:correct_he_normal", values=VALUES, seed=4)
    assert verdict.passed, verdict.report()


def test_a_correct_uniform_passes():
    verdict = verify(named("HeUniform"), f"{WRONG}:correct_he_uniform", values=VALUES, seed=4, dtype="float32")
    assert verdict.passed, verdict.report()


WRONG_CASES = [
    ("HeNormal", "he_normal_fans_swapped", {}, "HeNormal with fan_in and fan_out swapped", {"KS", "variance"}),
    (
        "HeNormal",
        "he_normal_kernel_fans_swapped",
        {},
        "HeNormal with fan_in and fan_out swapped for convolution kernels only (rank > 2)",
        {"KS", "variance"},
    ),
    ("HeNormal", "he_normal_without_correction", {}, "correction constant dropped", {"KS", "variance", "reach"}),
    (
        "TruncatedNormal",
        "truncated_normal_cut_at_two",
        {"mean": 0.0, "stddev": 1.5},  # ±2 absolute is ±1.33σ here, not ±2σ
        "TruncatedNormal with the cut at ±2 absolute",
        {"KS", "variance", "reach"},
    ),
    ("HeUniform", "he_uniform_sqrt_variance", {}, "the uniform limit sqrt(variance)", {"KS", "variance", "reach"}),
    ("Identity", "identity_without_gain", {}, "Identity with the gain dropped", {"exact"}),
]


@pytest.mark.parametrize(("spec", "function", "given", "slip", "failing"), WRONG_CASES, ids=_label)
def test_a_wrong_implementation_fails_and_its_slip_is_named(spec, function, given, slip, failing):
    verdict = verify(named(spec), f"{WRONG}:{function}", values=VALUES, seed=5, given=given)
    assert not verdict.passed
    assert failing <= _failed(verdict), verdict.report()
    assert slip in _matched(verdict), verdict.report()


def test_two_absolute_is_the_truncation_dropped_when_stddev_is_small():
    """With stddev ≪ 1 a cut at ±2 absolute cuts nothing: the referee names both readings, honestly."""
    spec = named("TruncatedNormal")
    verdict = verify(spec, f"{WRONG}:truncated_normal_cut_at_two", values=VALUES, seed=0)
    assert verdict.arguments["stddev"] < 0.1
    assert "the cut at ±2 absolute" in _matched(verdict) and "the truncation dropped" in _matched(verdict)


def test_orthogonal_without_the_sign_fix_fails_the_sign_test():
    verdict = verify(named("Orthogonal"), f"{WRONG}:orthogonal_without_sign_fix", values=VALUES, seed=6)
    assert _failed(verdict) == {"signs"}, verdict.report()
    assert "not Haar-distributed" in verdict.report()


def test_a_capped_rejection_sampler_is_diagnosed():
    spec = named("TruncatedNormal")
    verdict = verify(spec, f"{WRONG}:truncated_normal_three_tries", values=VALUES, seed=7)
    assert _failed(verdict) == {"support"}, verdict.report()
    assert verdict.diagnosis and all("m = 3 fits" in line for line in verdict.diagnosis), verdict.report()


# ----------------------------------------------------------------------------- the referee itself


def _slips_considered(name: str) -> str:
    verdict = verify(named(name), f"{WRONG}:correct_he_normal", values=10_000, seed=8)
    parts = [part for label in verdict.considered for part in label.split(" = ")]
    return " | ".join(part.removeprefix(f"{name} with ") for part in parts if part.startswith(f"{name} with "))


def test_slips_are_offered_only_where_they_change_the_distribution():
    glorot, he = _slips_considered("GlorotNormal"), _slips_considered("HeNormal")
    # Glorot's fan_avg is symmetric in the fans; He's fan_in has no average to halve.
    assert "fan_avg as fan_in + fan_out" in glorot and "swapped" not in glorot
    assert "fan_in and fan_out swapped" in he and "fan_avg" not in he
    for slips in (glorot, he):
        assert "correction constant dropped" in slips and "the cut at ±2 absolute" in slips
        assert "mean ∓ 2·stddev" not in slips  # already Keras's cut
        assert "sqrt(variance)" not in slips and "gain dropped" not in slips  # uniform and matrix slips only


def test_same_seed_same_report():
    pytest.importorskip("torch")
    first = verify(named("HeNormal"), "torch", values=20_000, seed=9)
    second = verify("HeNormal", "torch", values=20_000, seed=9)
    assert first.report() == second.report()


@pytest.mark.parametrize("resolved", [r for r in RESOLVED if r.uses_fans], ids=lambda r: r.spec.name)
def test_the_shapes_tell_the_fans_apart_in_either_layout(resolved):
    """Each sampled shape has fan_in and fan_out a factor 2 apart by the spec's own compute_fans; a spec that takes
    kernels gets a 2-D matrix and a convolution kernel."""
    cls = package().initializers.INITIALIZERS[resolved.spec.name]
    shapes = sample_shapes(resolved, cls.compute_fans, resolved.cases[0].distribution.family, VALUES)
    if resolved.ranks[1] is None:
        assert [len(shape) for shape in shapes] == [2, 4]
    for shape in shapes:
        fan_in, fan_out = cls.compute_fans(shape)
        assert max(fan_in, fan_out) == 2 * min(fan_in, fan_out), shape


def test_law_cdf_is_scipys():
    """The referee's own CDFs (written with scipy.special for speed) against scipy.stats' distributions."""
    x = np.linspace(-3, 3, 1001)
    pairs = [
        (Law.of("normal", {"mean": 0.3, "stddev": 0.7}), stats.norm(0.3, 0.7)),
        (
            Law.of("truncated_normal", {"mean": 0.3, "stddev": 0.7, "lower": -0.5, "upper": 1.5}),
            stats.truncnorm((-0.5 - 0.3) / 0.7, (1.5 - 0.3) / 0.7, loc=0.3, scale=0.7),
        ),
        (Law.of("uniform", {"minval": -0.4, "maxval": 0.9}), stats.uniform(-0.4, 1.3)),
    ]
    for law, frozen in pairs:
        np.testing.assert_allclose(law.cdf(x), frozen.cdf(x), rtol=0, atol=1e-14)
        assert math.isclose(law.ppf(0.01), frozen.ppf(0.01), rel_tol=1e-12)


def test_the_test_sees_what_it_must():
    """At the CLI's 10^6 values (5·10^5 per shape) the slips the referee names lie far beyond the KS test's
    critical distance: fans swapped and ±2 absolute truncation by 10 to 20 times it."""
    he = resolve(SPECS[named("HeNormal")], SPECS)
    fans = (1000, 500)
    promised = Law.of(*parameters_at(he, {}, {}, fans))
    swapped = Law.of(*parameters_at(he, {}, {}, fans[::-1]))
    limit = critical(500_000)
    assert ks_distance(promised, swapped) > 20 * limit
    truncated = resolve(SPECS[named("TruncatedNormal")], SPECS)
    relative = Law.of(*parameters_at(truncated, {"mean": 0.0, "stddev": 1.5}, {}, fans))
    absolute = Law.of("truncated_normal", {"mean": 0.0, "stddev": 1.5, "lower": -2.0, "upper": 2.0})
    assert ks_distance(relative, absolute) > 10 * limit
    assert limit < 0.004 and ALPHA == 1e-6


# ----------------------------------------------------------------------------- the command line


def test_cli_exit_status(capsys):
    arguments = ["verify", named("HeNormal"), "--specs", str(SPECS_DIR), "--values", str(VALUES), "--against"]
    assert main([*arguments, f"{WRONG}:correct_he_normal"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out
    command = f"trainspec verify {named('HeNormal')} --against {WRONG}:correct_he_normal --values {VALUES} --dtype"
    assert out.splitlines()[0].startswith(command)  # the line that reproduces the run, the dtype in it
    assert main([*arguments, f"{WRONG}:he_normal_fans_swapped"]) == 1
    out = capsys.readouterr().out
    assert "FAIL: first fails on shape" in out and "fan_in and fan_out swapped" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["HeNormal", "--against", "torch", "--flag", "amsgrad"], "--flag is for optimizers"),
        (["HeNormal", "--against", "jax"], "--against must be torch, keras or module:function"),
        (["HeNormal", "--against", f"{WRONG}:he_normal_wrong_shape"], "returned shape"),
        (["HeNormal", "--against", "no_such_module:f"], "cannot import"),
        (["HeNormal", "--against", "torch", "--values", "10"], "at least 1000"),
    ],
    ids=_label,
)
def test_cli_refuses_what_it_cannot_referee(capsys, arguments, message):
    named(arguments[0])
    assert main(["verify", *arguments, "--specs", str(SPECS_DIR)]) == 2
    assert message in capsys.readouterr().err


WITHOUT = [
    (r.spec.name, library)
    for r in RESOLVED
    for library in initializer_external.LIBRARIES
    if not any(c.library == library for c in r.spec.counterparts)
]


@pytest.mark.parametrize(("spec", "library"), WITHOUT, ids=_label)
def test_a_library_the_spec_declares_no_counterpart_in_is_refused(spec, library):
    where = initializer_external.LIBRARIES[library]
    with pytest.raises(ValueError, match=f"{where} has no counterpart of {spec}: its spec declares none"):
        verify(spec, library, values=1000)


def test_an_unknown_counterpart_is_a_clear_error():
    pytest.importorskip("torch")
    spec = SPECS[named("HeNormal")]
    wrong = dataclasses.replace(spec, counterparts=(Counterpart("torch.nn.init.no_such_init_"),))
    resolved = resolve(wrong, {**SPECS, wrong.name: wrong})
    with pytest.raises(ValueError, match=r"torch\.nn\.init has no no_such_init_ \(a counterpart the spec declares\)"):
        initializer_external.implementation("torch", resolved, package().initializers.HeNormal.compute_fans)


def test_an_argument_is_pinned_in_every_variant(capsys):
    """ "Is nn.Linear's default init kaiming_uniform_(a=√5)?": --arg pins a (and a choice), the matrix varies the
    rest, and the report gives each variant's smallest p-value."""
    named("KaimingUniform")
    pytest.importorskip("torch")
    arguments = ["verify", "KaimingUniform", "--against", "torch", "--values", "20000", "--json"]
    arguments += ["--arg", "a=2.23606797749979", "--arg", "nonlinearity=leaky_relu", "--specs", str(SPECS_DIR)]
    assert main(arguments) == 0
    report = json.loads(capsys.readouterr().out)
    assert [v["variant"] for v in report["variants"]] == ["defaults", "mode=fan_out"]
    assert all(v["arguments"]["a"] == 2.23606797749979 and v["smallest_p"] >= ALPHA for v in report["variants"])


def test_a_variant_the_library_has_only_in_another_form_runs_in_the_nearest_it_has(capsys):
    """torch has no truncated variance scaling: each mode runs with an untruncated normal instead, and the report
    says so; a run that pins the truncation runs it, and the verdict names what torch draws instead."""
    named("VarianceScaling")
    pytest.importorskip("torch")
    arguments = ["verify", "VarianceScaling", "--against", "torch", "--values", "20000", "--specs", str(SPECS_DIR)]
    assert main([*arguments, "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "PASS mode=fan_out,distribution=untruncated_normal" in "\n".join(lines)
    assert any(line.startswith("SKIP defaults: torch.nn.init.kaiming_normal_ does the same job") for line in lines)
    assert main([*arguments, "--arg", "distribution=truncated_normal", "--variant", "defaults"]) == 1
    assert "matches VarianceScaling(" in capsys.readouterr().out
