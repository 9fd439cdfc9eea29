"""The LaTeX formula documentation: it shows the specs' own math, and it builds to a PDF.

The .tex files are parsed back here with their own small parsers and compared
with the specs' own expressions, printed here: a doc that showed a lowered,
simplified or hand-typed formula fails.
The PDF test runs latexmk for real; without latexmk it fails under CI and is
skipped elsewhere.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import re
import shutil
import subprocess
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import sympy

from codegen.build import SPECS_DIR, generate
from codegen.emit.docs import optimizer as docmodels
from codegen.emit.docs.master import VERSION_FILE
from codegen.errors import SpecError
from codegen.kinds import KINDS
from codegen.language.optimizer import OptimizerSpec, eta, g, t, w
from codegen.language.relations import Equivalence, WrittenUpdate
from codegen.load import load_registry
from codegen.lower.optimizer import settings, with_weight_decay
from codegen.output import compare, write
from codegen.printers.latex import latex, prose, text, texttt
from codegen.tools.pdf import DocsBuildError, build_pdf, specs_date

REGISTRY = load_registry(SPECS_DIR)
SPECS = REGISTRY.optimizers
SPEC_IDS = [spec.name for spec in SPECS]

STEP_LINE = re.compile(
    r"^(?P<number>\d+)?(?P<mark>\^\{\\dagger\})? &\\quad ?(?P<condition>.*?)& &\\quad& (?P<target>.+?) "
    r"&(?P<relation>\\leftarrow|\\coloneqq) (?P<value>.+?)(?: \\\\)?$"
)
"""A line of the algorithm: its number (none on a branch after the first), the option condition, the assignment."""
BRANCH = re.compile(r"^\\textbf\{(?P<keyword>if|else if|else)\}(?:\\ (?P<condition>.+))?\\colon$")
INITIAL_LINE = re.compile(
    r"^(?P<target>.+?) &\\leftarrow (?P<value>.+?) &\\qquad& \\text\{(?P<scope>[^}]*)\}(?: \\\\)?$"
)
TABLE_ROW = re.compile(r"^(?P<cells>.+ & .+) \\\\$")


def requires_latexmk() -> str:
    """latexmk's path; a missing latexmk fails the test under CI and skips it elsewhere."""
    latexmk = shutil.which("latexmk")
    if latexmk is None:
        message = "latexmk is not installed (apt-get install latexmk texlive-latex-base texlive-latex-recommended)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return latexmk


def sympy_latex(expr, spec: OptimizerSpec) -> str:
    """The spec's own expression (not its lowered form), printed with the spec's names and its per-element
    quantities placed as the papers place them."""
    return latex(sympy.sympify(expr), spec.latex_names, variables=docmodels.element_symbols(spec))


def untt(cell: str) -> str:
    """The text inside ``\\texttt{...}``, with its escapes undone."""
    match = re.fullmatch(r"\\texttt\{(.*)\}", cell)
    assert match, f"not a \\texttt cell: {cell!r}"
    text = re.sub(r"\\char(\d+)\{\}", lambda m: chr(int(m[1])), match[1])
    return re.sub(r"\\([&%#$])", r"\1", text)


def parse_default(cell: str) -> float | None:
    """A default cell back to a number: ``$0.9$``, ``$10^{-7}$``, ``$2.5 \\cdot 10^{-5}$``, ``None``."""
    if cell.startswith(r"\texttt"):
        assert untt(cell) == "None"
        return None
    body = re.fullmatch(r"\$(.*)\$", cell)[1]
    power = re.fullmatch(r"(?:(-?[0-9.]+) \\cdot )?10\^\{(-?[0-9]+)\}", body)
    if power:
        return float(f"{power[1] or '1'}e{power[2]}")
    return float(body)


def section(text: str, heading: str) -> str:
    """The lines of ``text`` under ``\\subsection*{heading}``, up to the next heading."""
    start = text.index(f"\\subsection*{{{heading}}}")
    following = text.find("\\subsection*{", start + 1)
    return text[start : following if following >= 0 else len(text)]


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the tables in ``text``, split into cells (header rows excluded)."""
    rows = []
    for line in text.splitlines():
        match = TABLE_ROW.match(line)
        if match and not line.startswith(("Argument &", "Symbol &")):
            rows.append(match["cells"].split(" & "))
    return rows


@pytest.fixture(scope="module")
def generated() -> dict:
    return generate(SPECS_DIR).files


@pytest.fixture(scope="module")
def files(generated) -> dict[str, str]:
    return {path: file.text for path, file in generated.items()}


def doc_of(files: dict[str, str], spec: OptimizerSpec) -> str:
    return files[f"docs/optimizers/{spec.module_name}.tex"]


# ----------------------------------------------------------------------------- the math shown is the spec's


def algorithm_steps(text: str) -> list[list[re.Match]]:
    """The algorithm's lines, grouped by assignment: a numbered line, then the branches after it."""
    steps: list[list[re.Match]] = []
    for match in filter(None, map(STEP_LINE.match, text.splitlines())):
        if match["number"]:
            steps.append([match])
        elif steps:
            steps[-1].append(match)
    return steps


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_a_keras_step_starts_with_the_weight_decay_lower_fuses(files, spec):
    """Before line 1, unnumbered: the base option's decay, printed from the assignment ``codegen.lower`` puts first
    in every kernel of a Keras-convention spec; none in another convention's box."""
    first = next(filter(None, map(STEP_LINE.match, doc_of(files, spec).splitlines())))
    if spec.base_options != "keras":
        assert first["number"] == "1"
        return
    (_, decayed), *_ = with_weight_decay(spec)[0]
    assert first["number"] is None
    assert first["condition"] == rf"\textbf{{if}}\ {latex(docmodels.weight_decay, docmodels.BASE_NAMES)} \neq 0\colon"
    assert first["value"] == latex(decayed, docmodels.BASE_NAMES)


def specialised_value(spec: OptimizerSpec, lhs, rhs, setting: tuple[bool, ...]):
    """The assignment's value with the substitution of every option ``setting`` turns off (the spec language's
    meaning of an option, applied here without the generator)."""
    value = sympy.sympify(rhs)
    for option, on in zip(spec.options, setting):
        if not on and (not option.applies_to or lhs in option.applies_to):
            value = value.subs(option.when_off)
    return value


def literal_tests(spec: OptimizerSpec) -> dict[str, tuple[int, bool]]:
    """How the box writes each option on and off, mapped to (the option's index, the switch it tests for)."""
    literals = {}
    for index, option in enumerate(spec.options):
        if option.kind == "flag":
            literals[texttt(option.argument)] = (index, True)
            literals[rf"\text{{not}}\ {texttt(option.argument)}"] = (index, False)
        else:
            symbol = sympy_latex(spec.hyperparameter(option.argument).symbol, spec)
            value = sympy_latex(sympy.nsimplify(option.off_value), spec)
            literals[rf"{symbol} \neq {value}"] = (index, True)
            literals[f"{symbol} = {value}"] = (index, False)
    return literals


def holds(condition: str, setting: tuple[bool, ...], literals: dict[str, tuple[int, bool]]) -> bool:
    """``condition`` (terms joined by "or", each of literals joined by "and", in parentheses when more than one)."""
    terms = [term.removeprefix("(").removesuffix(")") for term in condition.split(r"\ \text{or}\ ")]
    return any(
        all(setting[literals[literal][0]] == literals[literal][1] for literal in term.split(r"\ \text{and}\ "))
        for term in terms
    )


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_each_update_line_is_sympy_latex_of_the_spec_assignment(files, spec):
    """One numbered line per assignment. Where options change it, one branch per form: the branch the conditions
    select for a setting of the options shows the assignment under that setting, and the general form (every
    option on) is among them."""
    steps = algorithm_steps(doc_of(files, spec))
    assert [int(branches[0]["number"]) for branches in steps] == list(range(1, len(spec.update) + 1))
    updated = {w, *(s.symbol for s in spec.state)}
    literals = literal_tests(spec)
    for branches, (lhs, rhs) in zip(steps, spec.update):
        for match in branches:
            assert match["target"] == sympy_latex(lhs, spec)
            assert match["relation"] == (r"\leftarrow" if lhs in updated else r"\coloneqq")
        assert sympy_latex(rhs, spec) in [match["value"] for match in branches], f"{lhs}: the general form is missing"
        if len(branches) == 1 and not branches[0]["condition"]:
            assert branches[0]["value"] == sympy_latex(rhs, spec)
            continue
        for setting in settings(spec, spec.options):
            chosen = None
            for match in branches:
                branch = BRANCH.match(match["condition"])
                assert branch, f"{lhs}: not a branch: {match['condition']!r}"
                if branch["keyword"] == "else" or holds(branch["condition"], setting, literals):
                    chosen = match
                    break
            if chosen is not None:
                expected = specialised_value(spec, lhs, rhs, setting)
                assert chosen["value"] == sympy_latex(expected, spec), f"{lhs} with the options {setting}"


def written_forms(spec: OptimizerSpec) -> list[Equivalence]:
    """The equivalences in ``spec``'s file between the spec itself and an update written out."""
    return [
        relation
        for relation in REGISTRY.relations
        if isinstance(relation, Equivalence)
        and relation.holds
        and relation.source == spec.source
        and relation.left.spec == spec.name
        and not relation.left.substitution
        and isinstance(relation.right, WrittenUpdate)
    ]


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_each_written_form_proven_equal_is_shown_with_its_check(files, spec):
    text = doc_of(files, spec)
    forms = written_forms(spec)
    box = section(text, "The same update, written otherwise") if forms else ""
    assert box.count("Written out, proven equal by") == len(forms)
    check_module = files.get(f"checks/test_{spec.module_name}_relations.py", "")
    for relation in forms:
        citation = f"{texttt(f'test_{relation.name}')} in {texttt(f'checks/test_{spec.module_name}_relations.py')}"
        assert citation in box, relation.name
        assert f"def test_{relation.name}() -> None:" in check_module, f"{relation.name}: no such check"
        shown = box.split(citation, 1)[1].split(r"\end{alignat*}", 1)[0]
        targets = [line.split(" &", 1)[0] for line in shown.splitlines() if " &" in line]
        assert len(targets) == len(relation.right.assignments), relation.name
        assert sympy_latex(w, spec) in targets, "the form updates the parameter"


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_once_per_step_marks_exactly_the_lines_that_read_no_element(files, spec):
    # Propagate "varies by element" forward from w, g and per-element state, independently of docmodels.
    varying = {w, g, *(s.symbol for s in spec.state if s.scope == "parameter")}
    expected = []
    for lhs, rhs in spec.update:
        reads_element = bool(sympy.sympify(rhs).free_symbols & varying)
        expected.append(not reads_element)
        if reads_element:
            varying.add(lhs)
    marks = [bool(branches[0]["mark"]) for branches in algorithm_steps(doc_of(files, spec))]
    assert marks == expected


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_initial_state_is_printed_from_state_initial(files, spec):
    lines = [m for m in map(INITIAL_LINE.match, doc_of(files, spec).splitlines()) if m]
    assert [(m["target"], m["value"]) for m in lines] == [
        (sympy_latex(s.symbol, spec), sympy_latex(s.initial, spec)) for s in spec.state
    ]
    for match, state in zip(lines, spec.state):
        assert ("every element" in match["scope"]) == (state.scope == "parameter")


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_every_hyperparameter_appears_with_its_default_and_domain(files, spec):
    rows = {untt(cells[0]): cells for cells in table_rows(section(doc_of(files, spec), "Hyperparameters"))}
    assert list(rows) == [h.argument for h in spec.hyperparameters]
    for h in spec.hyperparameters:
        _, symbol, default, domain, _ = rows[h.argument]
        assert parse_default(default) == h.default, h.argument
        assert symbol == f"${sympy_latex(h.symbol, spec)}$"
        assert domain == f"${sympy_latex(h.domain, spec)}$"


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_symbol_table_lists_every_symbol_of_the_update(files, spec):
    rows = table_rows(section(doc_of(files, spec), "Symbols"))
    listed = [cells[0] for cells in rows]
    symbols = {lhs for lhs, _ in spec.update}
    symbols |= set().union(*(sympy.sympify(rhs).free_symbols for _, rhs in spec.update))
    symbols |= {h.symbol for h in spec.hyperparameters} | {s.symbol for s in spec.state}
    assert sorted(listed) == sorted(f"${sympy_latex(symbol, spec)}$" for symbol in symbols)
    assert len(set(listed)) == len(listed), "a symbol is listed twice"
    roles = dict(zip(listed, (cells[1] for cells in rows)))
    assert roles[f"${sympy_latex(w, spec)}$"] == "parameter"
    if t in symbols:
        assert roles["$t$"] == "step"
    assert roles[f"${sympy_latex(eta, spec)}$"] == "hyperparameter"


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_options_show_their_substitution(files, spec):
    options = section(doc_of(files, spec), "Options")
    rows = {untt(cells[0]): cells for cells in table_rows(options)}
    assert list(rows) == [option.argument for option in spec.options]
    for option in spec.options:
        when_off = rows[option.argument][3]
        for old, new in option.when_off.items():
            assert f"{sympy_latex(old, spec)} \\mapsto {sympy_latex(new, spec)}" in when_off
        if option.applies_to:
            targets = ", ".join(f"${sympy_latex(target, spec)}$" for target in option.applies_to)
            assert f"in the update of {targets} only" in when_off


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_conventions_and_references_are_in_the_section(files, spec):
    text = doc_of(files, spec)
    conventions = section(text, "Other conventions") if spec.conventions else ""
    for convention in spec.conventions:
        assert f"\\item[{convention.library}] {convention.note}\n" in conventions
    references = section(text, "References") if spec.references else ""
    for reference in spec.references:
        assert reference.replace("&", r"\&") in references


def test_master_inputs_every_part_and_the_part_every_section(files):
    master = files["docs/trainspec.tex"]
    assert master.startswith("% Generated by trainspec from ")
    version, *inputs = re.findall(r"^\\input\{(.+)\}$", master, flags=re.MULTILINE)
    # The version, which `trainspec docs` writes when it typesets (no generated file carries one); then one part per
    # kind of spec, each a document the kind generates for itself, in the order of the kinds.
    assert version == Path(VERSION_FILE).stem
    assert inputs == [kind.part for kind in KINDS if REGISTRY.of(kind.name)]
    assert inputs[0] == "optimizers/optimizers"  # the kinds' order: the optimizers first
    for part in inputs:
        assert f"docs/{part}.tex" in files, f"the master inputs {part}, which is not generated"
    sections = re.findall(r"^\\input\{(.+)\}$", files["docs/optimizers/optimizers.tex"], flags=re.MULTILINE)
    # The general part on the base options first, then one section per spec, then the porting chapter.
    expected = ["optimizers/base_options", *(f"optimizers/{spec.module_name}" for spec in SPECS), "optimizers/porting"]
    assert sections == expected
    for spec in SPECS:
        text = doc_of(files, spec)
        assert text.startswith(f"% Generated by trainspec from {spec.source}; do not edit.\n")
        assert f"\\section{{{spec.name}}}" in text


def test_base_section_prints_the_weight_decay_that_lower_fuses_into_every_kernel(files):
    master = files["docs/optimizers/base_options.tex"]
    names = docmodels.BASE_NAMES
    for spec in (s for s in SPECS if s.base_options == "keras"):  # other conventions have no Keras base options
        (_, decayed), *_ = with_weight_decay(spec)[0]
        line = f"{latex(w, names)} \\leftarrow {latex(decayed, names)}"
        assert f"\n{line}\n" in master, spec.name
    rows = {untt(cells[0]): cells for cells in table_rows(section_between(master, "Keras base options", "Decoupled"))}
    assert list(rows) == ["weight_decay", "clipnorm", "clipvalue", "global_clipnorm"]
    assert all(parse_default(cells[2]) is None for cells in rows.values())


def section_between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


# ----------------------------------------------------------------------------- the base options shown are the runtime's


def _exact(values: np.ndarray) -> list[sympy.Rational]:
    return [sympy.Rational(float(x)) for x in values]


def _exact_norm(values: np.ndarray) -> sympy.Expr:
    return sympy.sqrt(sum(x**2 for x in _exact(values)))


def _clipped_by_runtime(argument: str, c: float, grads: list[np.ndarray]) -> list[np.ndarray]:
    """The gradient the runtime steps with: SGD with η = 1 from w = 0 lands exactly on −g."""
    from trainspec import SGD

    params = [np.zeros_like(grad) for grad in grads]
    SGD(learning_rate=1.0, **{argument: c}).apply([grad.copy() for grad in grads], params)
    return [-p for p in params]


@pytest.mark.parametrize("c", [0.3, 50.0], ids=["clipping", "not-clipping"])
def test_clipping_formulas_shown_are_what_the_runtime_applies(c):
    rng = np.random.default_rng(7)
    grads = [rng.normal(size=32), rng.normal(size=32), rng.normal(size=32)]
    rules = {rule.argument: rule for rule in docmodels.clipping_rules()}
    # np.linalg.norm of 32 squares and the scale's 3 roundings: relative error ≤ (32 + 3)·2⁻⁵³ < 2⁻⁴⁷.
    norm_rtol = 2.0**-47
    exact_c = sympy.Rational(c)

    rule = rules["clipnorm"]
    for grad, got in zip(grads, _clipped_by_runtime("clipnorm", c, grads)):
        values = {docmodels.CLIP: exact_c, docmodels.TENSOR_NORM: _exact_norm(grad)}
        want = [float(rule.clipped.subs({**values, rule.target: x}).evalf(30)) for x in _exact(grad)]
        np.testing.assert_allclose(got, want, rtol=norm_rtol, atol=0)

    rule = rules["clipvalue"]  # min and max round nothing: exact
    for grad, got in zip(grads, _clipped_by_runtime("clipvalue", c, grads)):
        want = [float(rule.clipped.subs({docmodels.CLIP: exact_c, rule.target: x})) for x in _exact(grad)]
        np.testing.assert_array_equal(got, want)

    rule = rules["global_clipnorm"]
    norms = [_exact_norm(grad) for grad in grads]
    joint = docmodels.global_norm_definition().replace(
        lambda e: isinstance(e, sympy.Sum),
        lambda e: sympy.Add(*(e.function.subs(docmodels.TENSOR_NORM_J, n) for n in norms)),
    )
    values = {docmodels.CLIP: exact_c, docmodels.GLOBAL_NORM: joint}
    for grad, got in zip(grads, _clipped_by_runtime("global_clipnorm", c, grads)):
        want = [float(rule.clipped.subs({**values, rule.target: x}).evalf(30)) for x in _exact(grad)]
        # The joint norm sums 96 squares: ≤ (96 + 4)·2⁻⁵³ < 2⁻⁴⁶.
        np.testing.assert_allclose(got, want, rtol=2.0**-46, atol=0)


def test_weight_decay_formula_shown_is_what_the_runtime_applies():
    from trainspec import SGD

    _, decayed = docmodels.weight_decay_assignment()
    rng = np.random.default_rng(3)
    param = rng.normal(size=16)
    learning_rate, decay = 0.05, 0.3
    after = param.copy()
    SGD(learning_rate=learning_rate, weight_decay=decay).apply([np.zeros_like(param)], [after])
    weight_decay = docmodels.weight_decay
    want = [
        float(decayed.subs({w: x, eta: sympy.Rational(learning_rate), weight_decay: sympy.Rational(decay)}))
        for x in _exact(param)
    ]
    # Two products and a difference (or w·(1 − λη)): at most 4 roundings of half an ulp each.
    np.testing.assert_allclose(after, want, rtol=4 * 2.0**-53, atol=0)


# ----------------------------------------------------------------------------- escaping


def test_a_condition_reads_what_varies_first():
    """SymPy's Piecewise stores k < W as W > k; the docs print it as written, the step (or what varies with it)
    first, and leave a comparison alone where neither or both sides vary."""
    k, W, n = sympy.symbols("k W n", positive=True)
    branches = sympy.Piecewise((1, k < W), (2, sympy.Le(W, n)), (3, k >= n + k**2 - 1), (0, True))
    printed = latex(branches, {}, frozenset({k}))
    assert "k < W" in printed and "W > k" not in printed
    assert sympy.latex(branches.args[1].cond) in printed
    assert r"k \geq n + k^{2} - 1" in printed  # both sides vary: as stored
    assert "W > k" in latex(branches, {})


def test_an_update_reads_as_the_papers_write_it():
    """Coefficients before the quantities that vary per element, those first in a sum; a half taken out of a
    product; a branch in display style with "if". Each expected string is written out by hand."""
    beta, m, g_, eps, v, a, x, k, W = sympy.symbols("beta m g epsilon v a x k W", positive=True)
    variables = frozenset({m, g_, v})
    assert latex(beta * m + (1 - beta) * g_, {}, variables=variables) == r"\beta m + \left(1 - \beta\right) g"
    assert latex(eps + sympy.sqrt(v), {}, variables=variables) == r"\sqrt{v} + \epsilon"
    assert latex(m * (1 - beta) / (eps + sympy.sqrt(v)), {}, variables=variables) == (
        r"\frac{\left(1 - \beta\right) m}{\sqrt{v} + \epsilon}"
    )
    assert latex(beta * m + (1 - beta) * g_, {}) == r"\beta m + g \left(1 - \beta\right)"  # SymPy's own order
    assert latex((1 - a) * (1 + sympy.cos(x)) / 2, {}) == (
        r"\frac{1}{2} \left(1 - a\right) \left(1 + \cos{\left(x \right)}\right)"
    )
    one_factor = latex(a * (1 + sympy.cos(x)) / 2, {})  # one parenthesised factor: one fraction
    assert one_factor == r"\frac{a \left(1 + \cos{\left(x \right)}\right)}{2}"
    assert latex(sympy.Piecewise((x / W, k < W), (1, True)), {}, frozenset({k})) == (
        r"\begin{cases} \displaystyle \frac{x}{W} & \text{if } k < W \\ \displaystyle 1 & \text{otherwise} \end{cases}"
    )


def test_prose_with_unbalanced_dollar_or_untypesettable_characters_names_the_spec():
    spec = SPECS[0]
    with pytest.raises(SpecError, match=re.escape(spec.source) + ".*unbalanced"):
        prose("costs $5", spec.source, spec.name, "a note")
    with pytest.raises(SpecError, match=re.escape(spec.source) + ".*'☃'"):
        prose("the rate ☃", spec.source, spec.name, "a note")
    assert prose(r"rate $\eta_t$ & more", spec.source, spec.name, "x") == r"rate $\eta_t$ \& more"
    assert text("the rate η̂ ± 1") == r"the rate \ensuremath{\hat{\eta}} \ensuremath{\pm} 1"


PROSE = "a_b & 50% #1 {x} <y> |z| back\\slash café"
ARGUMENT = "l2_shrinkage{x}<y>|z|\\w"


def test_escaped_text_round_trips_through_latex(tmp_path):
    requires_latexmk()
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    docs = tmp_path / "out" / "docs"
    docs.mkdir(parents=True)
    body = f"{text(PROSE)}\n\n{texttt(ARGUMENT)}\n"
    (docs / "trainspec.tex").write_text(f"\\documentclass{{article}}\n\\begin{{document}}\n{body}\\end{{document}}\n")
    pdf = build_pdf(tmp_path / "out", tmp_path / "pdf" / "escape.pdf")
    shown = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True)
    lines = [unicodedata.normalize("NFC", line) for line in shown.stdout.splitlines() if line.strip()]
    # Roman type draws \_ as a rule, which copies as a space; the typewriter keeps every character.
    assert lines[0] == PROSE.replace("_", " ")
    assert lines[1] == ARGUMENT


# ----------------------------------------------------------------------------- the PDF


@dataclass(frozen=True)
class Built:
    out: Path
    pdf: Path
    files: dict


@pytest.fixture(scope="module")
def built(tmp_path_factory, generated) -> Built:
    requires_latexmk()
    # A package of its own name: the plots are drawn with its kernels, beside the installed trainspec.
    out = tmp_path_factory.mktemp("docs_package") / "docs_package"
    files = generate(SPECS_DIR, out, package=out.name).files
    write(files, out)
    pdf = build_pdf(out, tmp_path_factory.mktemp("build") / "trainspec.pdf", package=out.name)
    return Built(out, pdf, files)


def pdf_page_count(pdf: Path) -> int:
    """The page count from the root page tree (pdfTeX compresses it into an object stream)."""
    data = pdf.read_bytes()
    texts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            texts.append(zlib.decompressobj().decompress(data[match.end() :]))
        except zlib.error:
            continue
    counts = [int(n) for text in texts for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", text)]
    assert counts, "no page tree found"
    return max(counts)


def test_pdf_builds_with_a_page_per_optimizer(built):
    data = built.pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    # Contents, the general sections, then each optimizer starts on a new page.
    assert pdf_page_count(built.pdf) >= 2 + len(SPECS)
    assert len(data) > 50_000


def test_pdf_text_has_every_section_and_argument(built):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; the .tex checks above still ran")
    text = subprocess.run(["pdftotext", str(built.pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = set(text.splitlines())
    for spec in SPECS:
        assert spec.name in lines, f"no heading {spec.name} in the PDF"
        for h in spec.hyperparameters:
            assert h.argument in text, f"{spec.name}: {h.argument} missing from the PDF"


def test_pdf_has_a_title_and_the_date_the_specs_last_changed(built):
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    info = subprocess.run(["pdfinfo", "-isodates", str(built.pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Title"].strip() == "trainspec: the formulas of training"
    expected = datetime.datetime.fromtimestamp(specs_date(SPECS_DIR), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    assert fields["CreationDate"].strip().startswith(expected)
    assert specs_date(SPECS_DIR) > datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC).timestamp()
    # The title page: the version the package is installed as, and the specs' date (LaTeX's \today), not the clock's.
    assert fields["Keywords"].strip() == f"version {importlib.metadata.version('trainspec')}"
    first_page = subprocess.run(
        ["pdftotext", "-l", "1", str(built.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    day = datetime.datetime.fromtimestamp(specs_date(SPECS_DIR), datetime.UTC)
    assert f"Version {importlib.metadata.version('trainspec')}, {day:%B} {day.day}, {day.year}" in first_page


def test_pdf_build_writes_nothing_into_the_generated_folder(built):
    assert compare(built.files, built.out) == []


def test_latex_failure_names_the_log_and_keeps_the_folder_clean(tmp_path):
    requires_latexmk()
    docs = tmp_path / "out" / "docs"
    docs.mkdir(parents=True)
    (docs / "trainspec.tex").write_text("\\documentclass{article}\n\\begin{document}\n\\nosuchmacro\n\\end{document}\n")
    pdf = tmp_path / "pdf" / "broken.pdf"
    with pytest.raises(DocsBuildError, match=r"Undefined control sequence.*broken\.log") as error:
        build_pdf(tmp_path / "out", pdf)
    assert (tmp_path / "pdf" / "broken.log").is_file(), str(error.value)
    assert not pdf.exists()
    assert sorted(p.name for p in docs.iterdir()) == ["trainspec.tex"]


def test_missing_latexmk_is_a_clear_error(tmp_path, monkeypatch, generated):
    write({path: file for path, file in generated.items() if path.startswith("docs/")}, tmp_path)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(DocsBuildError, match="latexmk is not installed"):
        build_pdf(tmp_path, tmp_path / "trainspec.pdf")


def test_missing_master_says_to_build_first(tmp_path):
    with pytest.raises(DocsBuildError, match="trainspec build"):
        build_pdf(tmp_path, tmp_path / "trainspec.pdf")
