"""The schedule pipeline: validation, printing, the proof steps (that they can fail), docs, plots and the CLI."""

from __future__ import annotations

import shutil
import subprocess
import textwrap

import numpy as np
import pytest
import sympy

import trainspec.schedules as S
from codegen.build import generate
from codegen.cli import main
from codegen.emit.code.schedule import schedule_module
from codegen.emit.docs.figure import figure
from codegen.errors import SpecError
from codegen.language.schedule import Call
from codegen.load import load_registry
from codegen.lower.schedule import call_value, variants
from codegen.plan import plan_schedule
from codegen.printers.python import ScalarPrinter
from codegen.proofs.schedule import (
    confirm_close,
    prove_equal_at,
    prove_identical,
    prove_periodic,
)
from codegen.tools.pdf import draw_figures
from codegen.validate.schedule import validate as validate_schedule
from tests.helpers import GENERATED_DIR, SPECS_DIR

REGISTRY = load_registry(SPECS_DIR)
SPECS = {spec.name: spec for spec in REGISTRY.schedules}


# ----------------------------------------------------------------------------- generation


def schedule_files() -> dict[str, str]:
    """What the build generates from the schedules' spec files, by path."""
    sources = {spec.source for spec in REGISTRY.schedules}
    return {path: f.text for path, f in generate(SPECS_DIR).files.items() if f.source in sources}


def test_schedule_files_are_deterministic_and_up_to_date():
    first = schedule_files()
    assert first == schedule_files()
    for path, text in first.items():
        assert (GENERATED_DIR / path).read_text(encoding="utf-8") == text, f"{path} is stale: run trainspec build"


def test_every_schedule_has_a_module_a_section_and_the_issue_list_is_covered():
    paths = set(schedule_files())
    for spec in REGISTRY.schedules:
        assert f"trainspec/schedules/{spec.module_name}.py" in paths
        assert f"docs/schedules/{spec.module_name}.tex" in paths
    wanted = {
        "PiecewiseConstantDecay",
        "ExponentialDecay",
        "NaturalExpDecay",
        "InverseTimeDecay",
        "PolynomialDecay",
        "CosineDecay",
        "LinearWarmup",
        "CyclicLR",
        "CosineDecayRestarts",
    }
    assert wanted <= set(SPECS)


DEFAULTS = [
    (spec, argument)
    for spec in REGISTRY.schedules
    for argument in spec.scalar_arguments
    if isinstance(argument.default, float) and not any(rule.argument == argument.argument for rule in spec.when_none)
]


@pytest.mark.parametrize(("spec", "argument"), DEFAULTS, ids=[f"{s.name}-{a.argument}" for s, a in DEFAULTS])
def test_a_default_reads_as_a_number_is_written(spec, argument):
    """The arguments table writes a default as the optimizers' tables do: a whole number without ".0" (Keras's
    warmup_steps=0, not 0.0), and it reads back as the declared value."""
    section = (GENERATED_DIR / "docs" / "schedules" / f"{spec.module_name}.tex").read_text(encoding="utf-8")
    escaped = argument.argument.replace("_", r"\_\allowbreak{}")
    row = next(line for line in section.splitlines() if line.startswith(rf"\texttt{{{escaped}}} & "))
    shown = row.split(" & ")[2].strip("$")
    assert ".0" not in shown or not argument.default.is_integer()
    assert (
        float(sympy.sympify(shown.replace(r" \cdot 10^{", "e").replace("10^{", "1e").rstrip("}"))) == argument.default
    )


def kernel_model(spec):
    """The printed kernel of ``spec``'s first variant."""
    plans = tuple(plan_schedule(variant) for variant in variants(spec))
    return schedule_module(spec, plans, "trainspec").model.kernels[0]


def test_printer_writes_exact_floor_log_and_list_sums():
    restarts = kernel_model(SPECS["CosineDecayRestarts"])
    assert any("floor_log(" in line.value for line in restarts.lines)
    assert not any("math.log" in line.value for line in restarts.lines)
    piecewise = kernel_model(SPECS["PiecewiseConstantDecay"])
    assert piecewise.arguments == ("boundaries", "values")
    assert "sum([" in piecewise.lines[0].value and "len(boundaries)" in piecewise.lines[0].value
    printer = ScalarPrinter()
    x = sympy.Symbol("x")
    assert printer.doprint(sympy.floor(x / 3)) == "math.floor((1/3)*x)"


def _spec_folder(tmp_path, name: str, source: str):
    folder = tmp_path / "specs" / "schedules"
    folder.mkdir(parents=True)
    for spec in ("exponential_decay.py", "piecewise_constant_decay.py"):
        shutil.copy(SPECS_DIR / "schedules" / spec, folder / spec)
    (folder / name).write_text(textwrap.dedent(source))
    return tmp_path / "specs"


BAD_SPEC_HEADER = """
    from sympy import Interval, Symbol, oo
    from codegen.language.schedule import Derivation, Example, ScheduleSpec, k
    from codegen.language.common import Hyperparameter
    a = Symbol("a", positive=True)
    z = Symbol("z")
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            """SPEC = ScheduleSpec(name="Bad", aliases=("bad",), summary="", example=Example({"a": 1.0}, 10),
               arguments=(Hyperparameter(a, "a", None, Interval.open(0, oo), ""),), definitions=(), value=a * z)""",
            r"specs/schedules/bad.py: Bad: symbol 'z': the value uses z",
        ),
        (
            """SPEC = ScheduleSpec(name="Bad", aliases=("bad",), summary="", example=Example({"a": 1.0}, 10),
               arguments=(Hyperparameter(a, "a", -1.0, Interval.open(0, oo), ""),), definitions=(), value=a)""",
            r"symbol 'a': default -1.0 of 'a' is outside",
        ),
        (
            """SPEC = ScheduleSpec(name="Bad", aliases=("bad",), summary="", example=Example({"a": 1.0}, 10),
               arguments=(Hyperparameter(a, "a", None, Interval.open(0, oo), ""),), definitions=(), value=a,
               derived_from=Derivation("Nope", {}))""",
            r"derived_from names an unknown schedule 'Nope'",
        ),
        (
            """SPEC = ScheduleSpec(name="Bad", aliases=("bad",), summary="", example=Example({}, 10),
               arguments=(Hyperparameter(a, "a", None, Interval.open(0, oo), ""),), definitions=(), value=a)""",
            r"the example must set the required argument 'a'",
        ),
        (
            """SPEC = ScheduleSpec(name="Bad", aliases=("bad",), summary="", example=Example({"step": 1.0}, 10),
               arguments=(Hyperparameter(a, "step", None, Interval.open(0, oo), ""),), definitions=(), value=a)""",
            r"argument 'step' is not usable as a Python name \(or is reserved\)",
        ),
    ],
)
def test_bad_schedule_specs_fail_naming_file_and_symbol(tmp_path, body, message):
    specs = _spec_folder(tmp_path, "bad.py", BAD_SPEC_HEADER + textwrap.indent(textwrap.dedent(body), "    "))
    registry = load_registry(specs)
    bad = next(spec for spec in registry.schedules if spec.name == "Bad")
    with pytest.raises(SpecError, match=message):
        validate_schedule(bad, registry)


# ----------------------------------------------------------------------------- the proof steps can fail


def _value(name: str, **arguments):
    return call_value(SPECS, Call(name, arguments))


def test_periodicity_proof_rejects_a_schedule_that_is_not_periodic():
    s = sympy.Symbol("s", positive=True)
    triangular2 = _value("CyclicLR", base_lr=0, max_lr=1, step_size_up=s, mode="triangular2")
    with pytest.raises(AssertionError, match="residual"):
        prove_periodic(triangular2, 2 * s)
    prove_periodic(_value("CyclicLR", base_lr=0, max_lr=1, step_size_up=s), 2 * s)


def test_identity_proof_rejects_the_wrong_rate():
    lam = sympy.Symbol("lam", nonnegative=True)
    natural = _value("NaturalExpDecay", initial_learning_rate=1, decay_steps=7, decay_rate=lam)
    prove_identical(
        natural, _value("ExponentialDecay", initial_learning_rate=1, decay_steps=7, decay_rate=sympy.exp(-lam))
    )
    with pytest.raises(AssertionError, match="residual"):
        prove_identical(
            natural, _value("ExponentialDecay", initial_learning_rate=1, decay_steps=7, decay_rate=sympy.exp(lam))
        )


def test_boundary_convention_matters():
    """Optax switches at k >= b, Keras at k > b: boundaries one step earlier do not prove the staircase identity."""
    r = sympy.Symbol("r", positive=True)
    staircase = _value("ExponentialDecay", initial_learning_rate=1, decay_steps=4, decay_rate=r, staircase=True)
    keras = _value("PiecewiseConstantDecay", boundaries=[3, 7], values=[1, r, r**2])
    prove_equal_at(staircase, keras, range(12))
    shifted = _value("PiecewiseConstantDecay", boundaries=[4, 8], values=[1, r, r**2])
    with pytest.raises(AssertionError, match=r"k = 4: residual"):
        prove_equal_at(staircase, shifted, range(12))


def test_kernel_confirmation_catches_a_wrong_value():
    schedule = S.CosineDecay(0.1, 20)
    bound_math = _value("CosineDecay", initial_learning_rate=sympy.Symbol("eta_0"), decay_steps=20)
    numbers = {sympy.Symbol("eta_0"): 0.1}
    values = schedule.values(21)
    confirm_close(values, bound_math, numbers, range(21), "right")
    values[7] = np.nextafter(np.nextafter(values[7], 1), 1) * (1 + 1e-14)
    with pytest.raises(AssertionError, match="k = 7"):
        confirm_close(values, bound_math, numbers, range(21), "wrong")


# ----------------------------------------------------------------------------- docs and plots


def test_plot_is_drawn_from_the_compiled_kernel_when_the_pdf_is_built(tmp_path):
    """``trainspec docs`` draws each example with the generated kernels, into the figure its section inputs."""
    docs = tmp_path / "docs"
    shutil.copytree(GENERATED_DIR / "docs", docs)
    drawn = draw_figures(GENERATED_DIR, "trainspec", SPECS_DIR, docs)
    assert len([path for path in drawn if path.parent.name == "schedules"]) == len(REGISTRY.schedules)

    def built(value):  # the example's schedules, one level deep, as a user builds them
        if isinstance(value, list) and all(isinstance(item, Call) for item in value):
            return [built(item) for item in value]
        return getattr(S, value.schedule)(**value.arguments) if isinstance(value, Call) else value

    for spec in REGISTRY.schedules:
        arguments = {name: built(value) for name, value in spec.example.arguments.items()}
        compiled = getattr(S, spec.name)(**arguments).values(spec.example.steps + 1)
        picture = (docs / "figures" / "schedules" / f"{spec.module_name}.tex").read_text(encoding="utf-8")
        assert all(f"\\qbezier{segment}" in picture for segment in figure(compiled).curves[0].segments), spec.name
        section = (docs / "schedules" / f"{spec.module_name}.tex").read_text(encoding="utf-8")
        assert f"\\input{{figures/schedules/{spec.module_name}}}" in section


def test_plot_keeps_the_jumps_of_a_step_function():
    values = S.PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.25]).values(301)
    drawn = figure(values)
    # Thinning keeps the corners: few segments, and a vertical one at each jump.
    assert len(drawn.curves[0].segments) <= 8
    assert "(333.3,420.0)(335.0,315.0)(336.7,210.0)" in drawn.curves[0].segments


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk is not installed")
def test_schedule_sections_typeset(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(GENERATED_DIR / "docs" / "schedules", docs / "schedules")
    draw_figures(GENERATED_DIR, "trainspec", SPECS_DIR, docs)
    (docs / "main.tex").write_text(
        "\\documentclass{article}\\usepackage{amsmath}\\begin{document}\\input{schedules/schedules}\\end{document}\n"
    )
    result = subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "main.tex"],
        cwd=docs,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    log = (docs / "main.log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log, log[log.index("Overfull") :][:500]


def test_cli_plots_a_schedule(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "sgdr.png"
    arguments = ["plot-schedule", "CosineDecayRestarts", "--initial-learning-rate", "0.1", "--first-decay-steps"]
    assert main([*arguments, "100", "--steps", "1000", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    warmup = tmp_path / "warmup.png"
    composed = ["plot-schedule", "linear_warmup", "--schedule", "CosineDecay(0.1, decay_steps=900)"]
    assert main([*composed, "--warmup-steps", "100", "--out", str(warmup)]) == 0
    assert warmup.is_file()


def test_cli_reports_bad_arguments(tmp_path, capsys):
    arguments = ["plot-schedule", "ExponentialDecay", "--initial-learning-rate", "0.1", "--decay-steps", "0"]
    assert main([*arguments, "--decay-rate", "0.5", "--out", str(tmp_path / "x.png")]) == 1
    assert "decay_steps must be > 0, got 0.0" in capsys.readouterr().err
    assert main(["plot-schedule", "Nope"]) == 1
    assert "unknown schedule 'Nope'" in capsys.readouterr().err
