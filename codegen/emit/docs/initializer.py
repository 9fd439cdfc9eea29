"""The LaTeX of the initializers: an overview, one section each, the variance-scaling family, and their part.

``docs/initializers/overview.tex`` opens the part (the fans, the truncation
constant, seeds); ``docs/initializers/<name>.tex`` is one subsection per
initializer (its distribution, the parameters as formulas of the fans, the
variance that results, the defaults); ``variance_scaling_family.tex``
tabulates the family; ``initializers.tex`` inputs them in a reader's order.
Every formula is printed by SymPy from the specs. Only amsmath and
booktabs/tabularx (texlive-latex-base and -recommended) are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sympy

from codegen.emit.code.initializer import KERNELS_SOURCE
from codegen.emit.common import Emitted
from codegen.language.common import Hyperparameter
from codegen.language.initializer import (
    CONSTANTS,
    FANS,
    MATRIX_SHAPE,
    STREAM_BLOCK,
    TRUNCATED_BOUNDS,
    TRUNCATION,
    Case,
    InitializerSpec,
    cols,
    constant_values,
    distribution_variance,
    fan_in,
    fan_out,
    gain,
    lower,
    maxval,
    mean,
    minval,
    rank,
    rows,
    shape,
    stddev,
    truncated_std,
    truncated_std_integrals,
    upper,
    value,
)
from codegen.lower.initializer import Resolved, variance_scaling_settings
from codegen.printers.latex import latex, latex_number, text, texttt

PART = "docs/initializers/initializers.tex"
PART_SOURCE = "the specs in specs/initializers/"

NAMES = {
    fan_in: r"n_{\mathrm{in}}",
    fan_out: r"n_{\mathrm{out}}",
    truncated_std: "c",
    shape.label: "d",
    rank: "r",
    rows: r"n_{\mathrm{rows}}",
    cols: r"n_{\mathrm{cols}}",
    mean: r"\mu",
    stddev: r"\sigma",
    minval: "a",
    maxval: "b",
    lower: r"w_{\mathrm{lo}}",
    upper: r"w_{\mathrm{hi}}",
    gain: "g",
    value: "v",
}
"""How the shared symbols print; a spec's ``latex_names`` add to these (and name its own)."""


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]


@dataclass(frozen=True)
class InitializerDoc:
    name: str
    label: str
    spelling: str
    summary: str
    source: str
    derivation: str
    kind: str
    formulas: tuple[tuple[str, str], ...]
    variance: str
    cases: tuple[Row, ...]
    arguments: tuple[Row, ...]
    ranks: str
    references: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class OverviewDoc:
    fan_in: str
    fan_out: str
    rows: str
    cols: str
    constant: str
    constant_value: str
    integrals: str
    truncation: str
    block_size: str


def _names(resolved: Resolved) -> dict:
    names = dict(NAMES)
    item = resolved
    while item is not None:
        names.update(item.spec.latex_names)
        item = item.parent
    return names


def _distribution_kind(case: Case, names: dict) -> str:
    """``w \\sim ...`` for one case, with the parameters by their family names."""
    family = case.distribution.family
    if family == "normal":
        return r"w \sim \mathcal{N}(\mu, \sigma^2)"
    if family == "truncated_normal":
        return r"w \sim \mathcal{N}(\mu, \sigma^2) \text{ restricted to } [w_{\mathrm{lo}},\ w_{\mathrm{hi}}]"
    if family == "uniform":
        return r"w \sim \mathcal{U}(a, b)"
    if family == "constant":
        return r"w = v \text{ for every element}"
    if family == "identity":
        return r"W = g\, I_{n_{\mathrm{rows}} \times n_{\mathrm{cols}}}"
    return r"W = g\, Q, \quad Q \text{ Haar-distributed with orthonormal columns (rows if wide)}"


def _variance(case: Case, names: dict) -> str:
    variance = distribution_variance(case.distribution, named=True)
    if variance is None:
        return ""
    if not variance.free_symbols & set(TRUNCATED_BOUNDS):
        return latex(sympy.factor(variance), names)
    # A truncated normal with bounds of its own: the textbook form, α and β said in words.
    alpha, beta = (latex(b, names) for b in TRUNCATED_BOUNDS)
    return (
        latex(variance, names) + rf", \text{{ with }} {alpha} = (w_{{\mathrm{{lo}}}} - \mu)/\sigma,\ "
        rf"{beta} = (w_{{\mathrm{{hi}}}} - \mu)/\sigma,\ \varphi, \Phi \text{{ the standard normal's density and CDF}}"
    )


def _formulas(case: Case, names: dict) -> tuple[tuple[str, str], ...]:
    """Each parameter's formula, leaving out those that read ``x = x`` (the argument that is the parameter, μ = μ,
    or one written with the same letter, PyTorch's std as σ)."""
    pairs = ((latex(p, names), latex(e, names)) for p, e in case.distribution.parameters)
    return tuple((parameter, formula) for parameter, formula in pairs if parameter != formula)


def _default_text(h: Hyperparameter) -> str:
    return r"\textit{required}" if h.default is None else latex_number(h.default)


def _argument_rows(resolved: Resolved) -> tuple[Row, ...]:
    rows_ = [
        Row((rf"\texttt{{{text(h.argument)}}}", f"${latex(h.symbol, _names(resolved))}$", _default_text(h),
             f"${latex(h.domain, {})}$", text(h.description)))
        for h in resolved.arguments
    ]  # fmt: skip
    names = _names(resolved)
    for c in resolved.choices:
        options = ", ".join(rf"\texttt{{{text(o)}}}" for o in c.options)
        if not c.selects_case:  # each option sets a symbol: list the values
            values = dict(c.values)
            options = "; ".join(
                rf"\texttt{{{text(o)}}}: ${latex(c.sets, names)} = {latex(values[o], names)}$" for o in c.options
            )
        aliases = "".join(rf"; \texttt{{{text(a)}}} means \texttt{{{text(o)}}}" for a, o in c.aliases)
        rows_.append(
            Row((rf"\texttt{{{text(c.argument)}}}", "", rf"\texttt{{{text(c.default)}}}", options + aliases,
                 text(c.description)))
        )  # fmt: skip
    if resolved.random:
        rows_.append(
            Row((r"\texttt{seed}", "", r"\texttt{None}", r"int $\ge 0$, Generator",
                 "an int repeats its values at every call; None draws a seed once; a Generator gives new values"))
        )  # fmt: skip
    return tuple(rows_)


def _case_rows(resolved: Resolved, names: dict) -> tuple[Row, ...]:
    if len(resolved.cases) < 2:
        return ()
    result = []
    for case in resolved.cases:
        settings = ", ".join(rf"\texttt{{{text(option)}}}" for _, option in case.settings)
        formulas = ", ".join(f"${p} = {e}$" for p, e in _formulas(case, names))
        result.append(Row((settings, text(case.distribution.family), formulas, f"${_variance(case, names)}$")))
    return tuple(result)


def initializer_doc(resolved: Resolved) -> InitializerDoc:
    spec = resolved.spec
    names = _names(resolved)
    single = resolved.cases[0] if len(resolved.cases) == 1 else None
    lowest, highest = resolved.ranks
    ranks = (
        "any rank"
        if (lowest, highest) == (0, None)
        else (f"rank {lowest} only" if lowest == highest else f"rank {lowest} or more")
    )
    return InitializerDoc(
        name=spec.name,
        label=section_label(spec),
        spelling=rf"\texttt{{{spec.name}}} = \texttt{{{text(spec.module_name)}}}",
        summary=text(spec.summary),
        source=rf"\texttt{{{text(spec.source)}}}",
        derivation=text(spec.derived_from.text()) if spec.derived_from else "",
        kind=_distribution_kind(single, names) if single else "",
        formulas=_formulas(single, names) if single else (),
        variance=_variance(single, names) if single else "",
        cases=_case_rows(resolved, names),
        arguments=_argument_rows(resolved),
        ranks=ranks,
        references=tuple(text(r) for r in spec.references),
        notes=tuple(text(n) for n in spec.notes),
    )


def overview_doc() -> OverviewDoc:
    definition = CONSTANTS[truncated_std]()
    return OverviewDoc(
        fan_in=latex(FANS[fan_in], NAMES),
        fan_out=latex(FANS[fan_out], NAMES),
        rows=latex(MATRIX_SHAPE[rows], NAMES),
        cols=latex(MATRIX_SHAPE[cols], NAMES),
        constant=latex(definition, NAMES),
        constant_value=f"{float(constant_values(30)[truncated_std]):.16f}",
        integrals=latex(truncated_std_integrals(), NAMES),
        truncation=latex(TRUNCATION, NAMES),
        block_size=f"{STREAM_BLOCK:,}".replace(",", r"\,"),
    )


def family_rows(resolved: tuple[Resolved, ...]) -> tuple[Row, ...]:
    """The VarianceScaling family: the general rule (its fan_in cases with n for the fan), then each member."""
    fan = sympy.Symbol("n", positive=True)
    general, members = [], []
    for item in resolved:
        names = {**_names(item), fan: "n"}
        for case in item.cases:
            settings = variance_scaling_settings(item, case)
            if settings is None:
                continue
            scale, mode = settings
            if item.spec.derived_from is None:
                if mode != "fan_in":
                    continue
                case = Case(case.settings, case.distribution.subs({fan_in: fan}))
                general.append(_family_row(item.spec.name, scale, "any", case, names))
            else:
                members.append(_family_row(item.spec.name, scale, mode, case, names))
    return (*general, *members)


def _family_row(name: str, scale: sympy.Expr, mode: str, case: Case, names: dict) -> Row:
    family = case.distribution.family
    symbol, parameter = (r"\sigma", stddev) if family != "uniform" else ("b", maxval)
    mode_text = r"any ($n$)" if mode == "any" else rf"\texttt{{{text(mode)}}}"
    formula = f"${symbol} = {_root_latex(case.distribution.values[parameter], names)}$"
    return Row(
        (text(name), f"${latex(scale, names)}$", mode_text, text(family), formula, f"${_variance(case, names)}$")
    )


def section_label(spec: InitializerSpec) -> str:
    """The label of an initializer's section, which other sections refer to."""
    return f"sec:init:{spec.module_name}"


def one_root(expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``expr`` as ``outside · √inside`` with its square roots under one, where it has several: ``√3·√s/√n`` is
    ``(1, 3s/n)``, as a reader writes it (SymPy splits the root of a product of positive symbols into a product of
    roots). None where it has fewer than two roots."""
    factors = sympy.Mul.make_args(expr)
    roots = [f for f in factors if f.is_Pow and f.exp in (sympy.S.Half, -sympy.S.Half)]
    if len(roots) < 2:
        return None
    outside = sympy.Mul(*(f for f in factors if f not in roots))
    return outside, sympy.factor(sympy.Mul(*(root**2 for root in roots)))


def _root_latex(expr: sympy.Expr, names: dict) -> str:
    combined = one_root(expr)
    if combined is None:
        return latex(expr, names)
    outside, inside = combined
    root = rf"\sqrt{{{latex(inside, names)}}}"
    return root if outside == 1 else f"{latex(outside, names)} {root}"


def reading_order(resolved: tuple[Resolved, ...]) -> list[str]:
    """The files in the order a reader wants them: plain draws, constants, the variance-scaling family
    (the general rule, its members, the table), then the matrices; within a group, parents first."""

    def group(item: Resolved) -> int:
        family = item.cases[0].distribution.family
        if any(variance_scaling_settings(item, case) for case in item.cases):
            return 2
        if family in ("identity", "orthogonal"):
            return 3
        return 1 if family == "constant" else 0

    ordered = sorted(resolved, key=lambda item: (group(item), item.parent is not None))
    names = [item.spec.module_name for item in ordered]
    family_members = [item.spec.module_name for item in ordered if group(item) == 2]
    if family_members:
        names.insert(names.index(family_members[-1]) + 1, "variance_scaling_family")
    return names


def initializer_section(resolved: Resolved) -> Emitted:
    spec = resolved.spec
    return Emitted(
        f"docs/initializers/{spec.module_name}.tex",
        "docs/initializer.tex.jinja",
        initializer_doc(resolved),
        spec.source,
    )


def overview() -> Emitted:
    """The opening of the part: the fans, the truncation constant, seeds (the same for every initializer)."""
    return Emitted(
        "docs/initializers/overview.tex", "docs/initializers_overview.tex.jinja", overview_doc(), KERNELS_SOURCE
    )


@dataclass(frozen=True)
class FamilyTable:
    rows: tuple[Row, ...]
    truncation: str
    """The truncation constant c to four digits (the overview derives it)."""


@dataclass(frozen=True)
class InitializersPart:
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class LayerDefault:
    layer: str
    initializer: str
    summary: str


@dataclass(frozen=True)
class LayerDefaults:
    rows: tuple[LayerDefault, ...]


LAYER_DEFAULTS = "docs/initializers/layer_defaults.tex"


def layer_defaults(resolved: tuple[Resolved, ...]) -> Emitted:
    """The table of the layers' default initializers, from each spec's ``default_of``, by layer."""
    rows = sorted(
        (
            LayerDefault(
                texttt(layer),
                rf"{text(item.spec.name)} (\S\ref{{{section_label(item.spec)}}})",
                text(item.spec.summary),
            )
            for item in resolved
            for layer in item.spec.default_of
        ),
        key=lambda row: row.layer,
    )
    return Emitted(LAYER_DEFAULTS, "docs/layer_defaults.tex.jinja", LayerDefaults(tuple(rows)), PART_SOURCE)


def family_table(resolved: tuple[Resolved, ...]) -> Emitted:
    return Emitted(
        "docs/initializers/variance_scaling_family.tex",
        "docs/variance_scaling_family.tex.jinja",
        FamilyTable(family_rows(resolved), f"{float(constant_values(30)[truncated_std]):.4f}"),
        PART_SOURCE,
    )


def initializers_part(resolved: tuple[Resolved, ...]) -> Emitted:
    """The document that inputs the overview, every section in a reader's order, then the layers' defaults."""
    sections = (f"initializers/{name}" for name in reading_order(resolved))
    inputs = ("initializers/overview", *sections, Path(LAYER_DEFAULTS).relative_to("docs").with_suffix("").as_posix())
    return Emitted(PART, "docs/initializers.tex.jinja", InitializersPart(inputs), PART_SOURCE)
