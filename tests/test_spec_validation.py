"""A malformed spec stops the build: exit code 2, a message naming the file and the symbol, nothing written.

Each case copies the bundled Adagrad spec into a temporary specs folder and
breaks it in one way. The unbroken copy must build (so every failure below is
caused by its mutation), and the output folder must be byte-for-byte what it
was before, whether it did not exist or held a previous good build.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers import SPECS_DIR, imported_package, run_trainspec, tree

from codegen.cli import main
from codegen.load import load_registry
from codegen.validate.optimizer import warnings

ORIGINAL = (SPECS_DIR / "optimizers" / "adagrad.py").read_text(encoding="utf-8")
BROKEN_FILE = "adagrad_broken.py"

SYMBOLS_LINE = 'A, A0, epsilon = symbols("A A_0 epsilon")'
# The declaration of epsilon, however the spec's formatter has laid it out.
EPSILON_DEFAULT = re.search(r'Hyperparameter\(\s*epsilon,\s*"epsilon",\s*1e-7,', ORIGINAL).group(0)
EPSILON_DOMAIN = re.search(r'Hyperparameter\(\s*epsilon,\s*"epsilon",\s*1e-7,\s*Interval\(0, oo\),', ORIGINAL).group(0)
UPDATE_START = "    update=(\n"
PARAMETER_UPDATE = "(w, w - eta * g / sqrt(A + epsilon)),"


@dataclass(frozen=True)
class Breakage:
    """One way to break the spec: text replacements, and what the error must say."""

    name: str
    replacements: tuple[tuple[str, str], ...]
    symbol: str | None
    says: str

    def apply(self, text: str) -> str:
        for old, new in self.replacements:
            # A change in the bundled spec must fail here, not silently leave a valid spec.
            assert text.count(old) == 1, f"{old!r} does not occur exactly once in specs/optimizers/adagrad.py"
            text = text.replace(old, new)
        return text


def _import(name: str) -> tuple[str, str]:
    return SYMBOLS_LINE, f"from codegen.language.optimizer import {name}\n{SYMBOLS_LINE}"


def _declare(*names: str) -> tuple[str, str]:
    return SYMBOLS_LINE, SYMBOLS_LINE + "\n" + "\n".join(f'{n} = symbols("{n}")' for n in names)


BREAKAGES = (
    Breakage(
        "undefined symbol",
        (_declare("rho"), (PARAMETER_UPDATE, "(w, w - eta * rho * g / sqrt(A + epsilon)),")),
        "rho",
        "undefined symbol",
    ),
    Breakage(
        "hyperparameter never used",
        (
            _declare("rho"),
            (
                "    hyperparameters=(\n",
                '    hyperparameters=(\n        Hyperparameter(rho, "rho", 0.5, Interval(0, 1), "unused"),\n',
            ),
        ),
        "rho",
        "never used",
    ),
    Breakage(
        "state without initial value",
        (('State(A, "accumulator", A0,', 'State(A, "accumulator", None,'),),
        "A",
        "no initial value",
    ),
    Breakage("assignment to the gradient", ((UPDATE_START, UPDATE_START + "        (g, 2 * g),\n"),), "g", "input"),
    Breakage(
        "assignment to the step",
        (_import("t"), (UPDATE_START, UPDATE_START + "        (t, t + 1),\n")),
        "t",
        "input",
    ),
    Breakage(
        "assignment to a hyperparameter",
        ((UPDATE_START, UPDATE_START + "        (epsilon, 2 * epsilon),\n"),),
        "epsilon",
        "input",
    ),
    Breakage(
        "assignment to the learning rate",
        ((UPDATE_START, UPDATE_START + "        (eta, eta / 2),\n"),),
        "eta",
        "input",
    ),
    Breakage(
        "default outside its domain",
        ((EPSILON_DEFAULT, EPSILON_DEFAULT.replace("1e-7", "-1e-7")),),
        "epsilon",
        "outside its domain",
    ),
    Breakage(
        "cyclic assignments",
        (
            _declare("a", "b"),
            (UPDATE_START, UPDATE_START + "        (a, b + g),\n        (b, 2 * a),\n"),
            (PARAMETER_UPDATE, "(w, w - eta * b / sqrt(A + epsilon)),"),
        ),
        "b",
        "cyclic",
    ),
    Breakage(
        "local used before it is assigned",
        (_declare("d"), (PARAMETER_UPDATE, "(w, w - eta * d),\n        (d, g / sqrt(A + epsilon)),")),
        "d",
        "before it is assigned",
    ),
    Breakage(
        "option whose substitution changes nothing",
        (
            _import("Option"),
            ("    references=(\n", '    options=(Option("cubed", when_off={g**3: g}),),\n    references=(\n'),
        ),
        "cubed",
        "changes nothing",
    ),
    Breakage(
        "option whose off form disagrees with its off value",
        (
            _import("Option"),
            (
                "    references=(\n",
                '    options=(Option("epsilon", when_off={epsilon: 1}, kind="nonzero"),),\n    references=(\n',
            ),
        ),
        "epsilon",
        "its off form runs when epsilon = 0, but sets epsilon to 1",
    ),
    # Malformed declarations that once crashed the build with a traceback instead of naming the culprit.
    Breakage(
        "assignment to an expression",
        ((PARAMETER_UPDATE, PARAMETER_UPDATE + "\n        (2 * A, A),"),),
        "2*A",
        "left-hand side",
    ),
    Breakage(
        "right-hand side that is not an expression",
        ((PARAMETER_UPDATE, '(w, "w - g"),'),),
        "w",
        "not an expression",
    ),
    Breakage(
        "hyperparameter without a default",
        ((EPSILON_DEFAULT, EPSILON_DEFAULT.replace("1e-7", "None")),),
        "epsilon",
        "hyperparameter 'epsilon' has no default",
    ),
    Breakage(
        "domain that is not an Interval",
        ((EPSILON_DOMAIN, EPSILON_DOMAIN.replace("Interval(0, oo)", "(0, oo)")),),
        "epsilon",
        "the domain of 'epsilon' is (0, oo), not a SymPy Interval",
    ),
    Breakage(
        "default that is not a number",
        ((EPSILON_DEFAULT, EPSILON_DEFAULT.replace("1e-7", '"1e-7"')),),
        "epsilon",
        "not a number",
    ),
    Breakage(
        "initial value made of the parameter",
        (('State(A, "accumulator", A0,', 'State(A, "accumulator", 2 * w,'),),
        "A",
        "initial value uses ['w'], which are not hyperparameters (a state may also start as a copy of the parameter",
    ),
    Breakage(
        "optimizer-wide state starting as the parameter",
        (('State(A, "accumulator", A0, "sum of squared gradients")', 'State(A, "accumulator", w, "s", "optimizer")'),),
        "A",
        "optimizer-wide state cannot start as the parameter",
    ),
    Breakage(
        "state per tensor assigned per element",
        (('State(A, "accumulator", A0, "sum of squared gradients")', 'State(A, "accumulator", A0, "s", "tensor")'),),
        "A",
        "A is state with one value per tensor (scope='tensor'), but its assignment reads per-element values",
    ),
    Breakage(
        "optimizer-wide state assigned per element",
        (('State(A, "accumulator", A0, "sum of squared gradients")', 'State(A, "accumulator", A0, "s", "optimizer")'),),
        "A",
        "A is state with one value for the whole optimizer (scope='optimizer'), but its assignment reads per-element",
    ),
    Breakage(
        "state of an unknown scope",
        (('State(A, "accumulator", A0, "sum of squared gradients")', 'State(A, "accumulator", A0, "s", "layer")'),),
        "A",
        "scope 'layer' is none of 'parameter', 'tensor', 'optimizer'",
    ),
    Breakage(
        "initial value that is not an expression",
        (('State(A, "accumulator", A0,', 'State(A, "accumulator", "A0",'),),
        "A",
        "neither a number nor an expression",
    ),
    Breakage(
        "division by zero",
        ((PARAMETER_UPDATE, "(w, w - eta * g / sqrt(A + epsilon) + epsilon / 0),"),),
        "w",
        "divides by zero",
    ),
    Breakage(
        "undefined function",
        (
            (SYMBOLS_LINE, SYMBOLS_LINE + '\nclip = Function("clip")'),
            ("from sympy import", "from sympy import Function,"),
            (PARAMETER_UPDATE, "(w, w - eta * clip(g) / sqrt(A + epsilon)),"),
        ),
        "clip",
        "undefined function",
    ),
    Breakage(
        "function without a kernel form",
        (
            ("from sympy import", "from sympy import besselj,"),
            (PARAMETER_UPDATE, "(w, w - eta * besselj(0, g) / sqrt(A + epsilon)),"),
        ),
        "besselj",
        "has no kernel form; an update may use Max, Min, Abs, sign, exp, log, Piecewise",
    ),
    Breakage(
        "branch without a last (value, True)",
        (
            ("from sympy import", "from sympy import Piecewise,"),
            (PARAMETER_UPDATE, "(w, w - eta * Piecewise((g, g > 0)) / sqrt(A + epsilon)),"),
        ),
        "w",
        "has no last (value, True)",
    ),
    Breakage(
        "branch on something that is not a comparison",
        (
            ("from sympy import", "from sympy import Contains, Piecewise,"),
            (PARAMETER_UPDATE, "(w, w - eta * Piecewise((g, Contains(g, Interval(0, 1))), (0, True)) / sqrt(A)),"),
        ),
        "w",
        "is not a comparison",
    ),
    Breakage(
        "a condition assigned as a value",
        (_declare("positive"), (UPDATE_START, UPDATE_START + "        (positive, g > 0),\n")),
        "positive",
        "is a condition, not a value",
    ),
    Breakage(
        "file that raises on import",
        (("SPEC = ", 'raise RuntimeError("deliberately broken")\nSPEC = '),),
        None,
        "RuntimeError: deliberately broken",
    ),
    Breakage("file with a syntax error", ((PARAMETER_UPDATE, PARAMETER_UPDATE + " ((("),), None, "SyntaxError"),
    Breakage("file without SPEC", (("SPEC = ", "SPECIFICATION = "),), None, "defines no SPEC"),
)


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A previous good build from the unbroken copy: the state a failed build must leave alone."""
    root = tmp_path_factory.mktemp("good")
    specs = root / "specs"
    specs.mkdir()
    (specs / "adagrad.py").write_text(ORIGINAL, encoding="utf-8")
    assert main(["build", "--specs", str(specs), "--out", str(root / "out")]) == 0
    assert (root / "out" / "trainspec" / "optimizers" / "adagrad.py").is_file()
    return root / "out"


def _specs_with(folder: Path, files: dict[str, str]) -> Path:
    specs = folder / "specs"
    specs.mkdir()
    for name, text in files.items():
        (specs / name).write_text(text, encoding="utf-8")
    return specs


def test_unbroken_copy_builds(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    specs = _specs_with(tmp_path, {BROKEN_FILE: ORIGINAL})
    assert main(["build", "--specs", str(specs), "--out", str(tmp_path / "out")]) == 0
    error = capsys.readouterr().err
    assert "error" not in error
    assert "warning" not in error
    assert (tmp_path / "out" / "trainspec" / "optimizers" / "adagrad.py").is_file()


@pytest.mark.parametrize("previous", ["no output folder", "previous good build"])
@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.name)
def test_bad_spec_fails_and_writes_nothing(
    breakage: Breakage, previous: str, good_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    specs = _specs_with(tmp_path, {BROKEN_FILE: breakage.apply(ORIGINAL)})
    out = tmp_path / "out"
    if previous == "previous good build":
        shutil.copytree(good_build, out)
    before = tree(out)

    code = main(["build", "--specs", str(specs), "--out", str(out)])

    error = capsys.readouterr().err
    assert code == 2, error
    assert f"specs/{BROKEN_FILE}" in error
    assert breakage.says in error
    if breakage.symbol is not None:
        assert f"symbol {breakage.symbol!r}" in error
    assert tree(out) == before, "a failed build changed the output folder"


def test_a_division_that_a_zero_gradient_makes_0_by_0_is_a_warning(tmp_path: Path) -> None:
    """ε = 0 and an accumulator starting at 0: the first zero gradient divides 0 by 0. The build goes on."""
    no_epsilon = EPSILON_DEFAULT.replace("1e-7", "0.0")
    from_zero = ('"initial_accumulator_value",\n            0.1,', '"initial_accumulator_value",\n            0.0,')
    breakage = Breakage("0/0", ((EPSILON_DEFAULT, no_epsilon), from_zero), "w", "")
    specs = _specs_with(tmp_path, {BROKEN_FILE: breakage.apply(ORIGINAL)})

    result = run_trainspec("build", "--specs", str(specs), "--out", str(tmp_path / "out"))

    assert result.returncode == 0, result.stderr
    assert f"warning: specs/{BROKEN_FILE}: Adagrad: symbol 'w': with a zero gradient at the first step" in result.stderr
    assert "is nan" in result.stderr
    assert (tmp_path / "out" / "trainspec" / "optimizers" / "adagrad.py").is_file()


def test_duplicate_spec_names(good_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    specs = _specs_with(tmp_path, {"adagrad.py": ORIGINAL, "adagrad_again.py": ORIGINAL})
    out = shutil.copytree(good_build, tmp_path / "out")
    before = tree(out)

    code = main(["build", "--specs", str(specs), "--out", str(out)])

    error = capsys.readouterr().err
    assert code == 2, error
    # The second file is the culprit; the message also names the file it clashes with.
    assert "specs/adagrad_again.py" in error
    assert "already used by specs/adagrad.py" in error
    assert "'adagrad'" in error
    assert tree(out) == before


def test_check_mode_also_rejects_a_bad_spec(good_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    specs = _specs_with(tmp_path, {BROKEN_FILE: BREAKAGES[0].apply(ORIGINAL)})
    assert main(["build", "--check", "--specs", str(specs), "--out", str(good_build)]) == 2
    assert "symbol 'rho'" in capsys.readouterr().err


def test_command_line_exit_code_and_message(good_build: Path, tmp_path: Path) -> None:
    """The installed entry point, in a fresh process, reports the same way."""
    specs = _specs_with(tmp_path, {BROKEN_FILE: BREAKAGES[1].apply(ORIGINAL)})
    out = shutil.copytree(good_build, tmp_path / "out")
    before = tree(out)

    result = run_trainspec("build", "--specs", str(specs), "--out", str(out))

    assert result.returncode == 2, result.stderr
    assert f"specs/{BROKEN_FILE}" in result.stderr
    assert "symbol 'rho'" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(out) == before


# A schedule relation that cannot be checked as declared: the bundled ConstantLR (and the schedule its identity
# names), with one relation added.
SCHEDULE_FILES = ("constant_lr.py", "piecewise_constant_decay.py")
CONSTANT_LR = (SPECS_DIR / "schedules" / "constant_lr.py").read_text(encoding="utf-8")
RELATIONS_END = "\n)\n"
SCHEDULE_BREAKAGES = {
    "a relation about a schedule that does not exist": (
        "",
        '    ValueAt(name="other", description="Other.", call=Call("Nowhere", {}), step=0, expected=1, example={}),',
        "no schedule is named 'Nowhere'; the schedules: ConstantLR, PiecewiseConstantDecay",
    ),
    "a step count given as a fraction": (
        "",
        '    ValueAt(name="late", description="Late.", call=_CALL, step=_T, expected=_eta, '
        "example={**_NUMBERS, _T: 10.5}),",
        "is not a whole number",
    ),
}


@pytest.mark.parametrize("name", SCHEDULE_BREAKAGES)
def test_a_schedule_relation_that_cannot_be_checked_names_its_file(name: str, tmp_path: Path) -> None:
    imports, relation, says = SCHEDULE_BREAKAGES[name]
    assert CONSTANT_LR.endswith(RELATIONS_END)
    broken = imports + CONSTANT_LR[: -len(RELATIONS_END)] + "\n" + relation + RELATIONS_END
    files = {file: (SPECS_DIR / "schedules" / file).read_text(encoding="utf-8") for file in SCHEDULE_FILES}
    specs = _specs_with(tmp_path, {**files, "constant_lr.py": broken})
    out = tmp_path / "out"

    result = run_trainspec("build", "--specs", str(specs), "--out", str(out))

    assert result.returncode == 2, result.stderr
    assert "specs/constant_lr.py" in result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("spec", load_registry(SPECS_DIR).optimizers, ids=lambda spec: spec.name)
def test_no_bundled_optimizer_is_warned_about(spec) -> None:
    """Every bundled update stays finite after a zero gradient; a norm held above a floor by Max (Fromage) once read
    as an infinity, because the sum over the tensor was substituted after the values instead of before."""
    assert warnings(spec) == ()


def test_an_infinity_inside_a_maximum_is_a_warning_not_a_traceback(tmp_path: Path) -> None:
    """η/A with A starting at 0 is an infinity inside Max, which SymPy refuses to compare: the build warns."""
    from_zero = ('"initial_accumulator_value",\n            0.1,', '"initial_accumulator_value",\n            0.0,')
    unbounded = (PARAMETER_UPDATE, "(w, w - eta * Max(eta / A, g) / sqrt(A + epsilon)),")
    breakage = Breakage(
        "1/0 in Max", ((SYMBOLS_LINE, f"from sympy import Max\n{SYMBOLS_LINE}"), from_zero, unbounded), "w", ""
    )
    specs = _specs_with(tmp_path, {BROKEN_FILE: breakage.apply(ORIGINAL)})

    result = run_trainspec("build", "--specs", str(specs), "--out", str(tmp_path / "out"))

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"warning: specs/{BROKEN_FILE}: Adagrad: symbol 'w': with a zero gradient at the first step" in result.stderr


def test_a_quotient_alone_inside_a_maximum_builds_and_computes(tmp_path: Path) -> None:
    """1/A as an argument of Max, and 1/A² in a sum, are quotients outside any product: the kernel divides a prelude
    1 by them (a literal in the loop would change its dtype). They once stopped the build with a printer traceback,
    and a square in a denominator was printed k/A*A."""
    quotient = (PARAMETER_UPDATE, "(w, w - eta * Max(1 / A, g + 1 / A**2) / sqrt(A + epsilon)),")
    specs = _specs_with(
        tmp_path,
        {
            BROKEN_FILE: Breakage(
                "1/A in Max", ((SYMBOLS_LINE, f"from sympy import Max\n{SYMBOLS_LINE}"), quotient), "w", ""
            ).apply(ORIGINAL)
        },
    )
    assert main(["build", "--specs", str(specs), "--out", str(tmp_path / "out"), "--package", "quotient_in_max"]) == 0

    rng = np.random.default_rng(3)
    with imported_package(tmp_path / "out", "quotient_in_max") as built:
        for dtype in (np.float32, np.float64):
            param, grad = rng.standard_normal(64).astype(dtype), rng.standard_normal(64).astype(dtype)
            optimizer = built.Adagrad(learning_rate=0.1, initial_accumulator_value=0.5)
            expected = param.astype(np.float64)
            accumulator = 0.5 + grad.astype(np.float64) ** 2
            expected -= 0.1 * np.maximum(1 / accumulator, grad + 1 / accumulator**2) / np.sqrt(accumulator + 1e-7)
            optimizer.apply([grad], [param])
            # A few roundings of the dtype per element: 8 units of its precision relative to the step's scale.
            assert param.dtype == dtype
            np.testing.assert_allclose(param, expected, rtol=0, atol=8 * np.finfo(dtype).eps * np.abs(expected).max())


CONTROLLER = (SPECS_DIR / "controllers" / "torch_reduce_lr_on_plateau.py").read_text(encoding="utf-8")
CONTROLLER_BREAKAGES = {
    "an unknown symbol in the update": (
        ("(reduced, Max(eta * factor, min_lr)),", '(reduced, Max(eta * factor, min_lr + Symbol("q"))),'),
        "reduced",
        "reads q: neither an argument, the metric m, state, nor assigned before",
    ),
    "the rate never assigned": (
        ("        (eta, Piecewise((reduced, Eq(reduce, 1) & (eta - reduced > eps)), (eta, True))),\n", ""),
        "eta",
        "the update never assigns the rate eta",
    ),
    "an initial value that reads state": (
        ('ControllerState(bad, "num_bad_epochs", 0,', 'ControllerState(bad, "num_bad_epochs", best,'),
        "n_bad",
        "the initial value of n_bad reads ['best'], which are no arguments",
    ),
    "a function without a kernel form": (
        ("(reduced, Max(eta * factor, min_lr)),", "(reduced, Max(eta * factor, min_lr) * gamma(eta)),"),
        "reduced",
        "uses gamma; a controller may use Max, Min, Abs, Piecewise",
    ),
    "a case replacing no local": (
        ('Case("abs", "abs", {bound: best + sign * threshold})', 'Case("abs", "abs", {Symbol("zz"): 1})'),
        "zz",
        "replaces zz: no local or state",
    ),
    "a branch without an otherwise": (
        (
            "(cooling, Piecewise((1, counter > 0), (0, True))),",
            "(cooling, Piecewise((1, counter > 0), (0, counter < 0))),",
        ),
        "cooling",
        "needs a last branch (value, True)",
    ),
    "a default outside the domain": (
        ('factor, "factor", 0.1, Interval.open(0, 1)', 'factor, "factor", 1.5, Interval.open(0, 1)'),
        "f",
        "default 1.5 of 'factor' is outside",
    ),
    "an example without the starting rate": (
        ('{"learning_rate": 0.1, "factor": 0.5, "patience": 3, "cooldown": 2}', '{"factor": 0.5}'),
        None,
        "the example must set the required argument 'learning_rate'",
    ),
}


@pytest.mark.parametrize("name", CONTROLLER_BREAKAGES)
def test_a_bad_controller_spec_is_named_and_writes_nothing(name: str, tmp_path: Path) -> None:
    (old, new), symbol, says = CONTROLLER_BREAKAGES[name]
    assert CONTROLLER.count(old) == 1, f"{old!r} is not once in the bundled controller spec"
    text = CONTROLLER.replace(old, new).replace("from sympy import ", "from sympy import gamma, ", 1)
    specs = _specs_with(tmp_path, {"controller.py": text})
    out = tmp_path / "out"

    result = run_trainspec("build", "--specs", str(specs), "--out", str(out))

    assert result.returncode == 2, result.stderr
    assert "specs/controller.py" in result.stderr and says in result.stderr, result.stderr
    if symbol is not None:
        assert f"symbol {symbol!r}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_the_unbroken_controller_spec_builds_alone(tmp_path: Path) -> None:
    """Every failure above comes from its one change: the bundled spec, alone in a folder, builds."""
    specs = _specs_with(tmp_path, {"controller.py": CONTROLLER})
    result = run_trainspec("build", "--specs", str(specs), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "trainspec" / "controllers" / "torch_reduce_lr_on_plateau.py").is_file()
