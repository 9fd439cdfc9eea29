"""The porting chapter: for every method of the registry, each library class that computes one of its conventions,
with the library's argument names and the spec's defaults; the lines that read ε; every mapping declared between two
conventions, with the generated check that proves it (or its counterexample)."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
import sympy

from codegen.build import SPECS_DIR, generate
from codegen.emit.docs.optimizer import element_symbols
from codegen.language.optimizer import OptimizerSpec
from codegen.language.relations import Equivalence, SpecUpdate
from codegen.load import load_registry
from codegen.printers.latex import latex, number_formula, texttt

REGISTRY = load_registry(SPECS_DIR)
METHODS: dict[str, list[OptimizerSpec]] = defaultdict(list)
for _spec in REGISTRY.optimizers:
    METHODS[_spec.method_name].append(_spec)
LIBRARIES = ("keras", "torch", "optax")


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return {path: file.text for path, file in generate(SPECS_DIR).files.items()}


def chapter_section(files: dict[str, str], method: str) -> str:
    chapter = files["docs/optimizers/porting.tex"]
    start = chapter.index(f"\\label{{sec:porting:{method}}}")
    following = chapter.find("\\subsection{", start)
    return chapter[start : following if following >= 0 else len(chapter)]


@pytest.mark.parametrize("method", list(METHODS))
def test_each_library_class_is_listed_with_its_argument_names_and_defaults(files, method):
    section = chapter_section(files, method)
    for spec in METHODS[method]:
        defaults = {h.symbol: h.default for h in spec.hyperparameters}
        for counterpart in spec.counterparts:
            if not counterpart.same or counterpart.library not in LIBRARIES:
                continue
            path = r"\allowbreak{}".join(texttt(part) for part in counterpart.name.replace(".", ".\n").split("\n"))
            row = next(line for line in section.splitlines() if f"{path}: {spec.name}" in line)
            named = counterpart.arguments or tuple((h.argument, h.symbol) for h in spec.hyperparameters)
            for name, value in named:
                if isinstance(value, sympy.Symbol) and defaults.get(value) is not None:
                    assert f"{texttt(name)} = ${number_formula(defaults[value])}$" in row, (counterpart.name, name)


@pytest.mark.parametrize("method", list(METHODS))
def test_the_lines_that_read_epsilon_are_shown(files, method):
    section = chapter_section(files, method)
    for spec in METHODS[method]:
        epsilon = next((h.symbol for h in spec.hyperparameters if h.argument == "epsilon"), None)
        for number, (_, rhs) in enumerate(spec.update, start=1):
            reads = epsilon is not None and epsilon in sympy.sympify(rhs).free_symbols
            line = f"\\text{{{spec.name}, line {number}:}}"
            assert (line in section) == reads, line
            if reads:
                shown = section.split(line, 1)[1].splitlines()[0]
                assert latex(rhs, spec.latex_names, variables=element_symbols(spec)) in shown


@pytest.mark.parametrize("method", list(METHODS))
def test_every_mapping_between_two_conventions_cites_the_check_that_proves_it(files, method):
    section = chapter_section(files, method)
    names = {spec.name for spec in METHODS[method]}
    modules = {spec.source: spec.module_name for spec in REGISTRY.optimizers}
    declared = [
        relation
        for relation in REGISTRY.relations
        if isinstance(relation, Equivalence)
        and isinstance(relation.right, SpecUpdate)
        and {relation.left.spec, relation.right.spec} <= names
        and relation.left.spec != relation.right.spec
    ]
    assert section.count(r"\item {\raggedright") == len(declared)
    for relation in declared:
        module = modules[relation.source]
        citation = f"{texttt(f'test_{relation.name}')} in {texttt(f'checks/test_{module}_relations.py')}"
        item = next(line for line in section.splitlines() if citation in line)
        assert ("Equal" if relation.holds else "Not equal") in item
        assert f"def test_{relation.name}() -> None:" in files[f"checks/test_{module}_relations.py"]
        for old, new in itertools.chain(relation.left.substitution.items(), relation.right.substitution.items()):
            side = relation.left if old in relation.left.substitution else relation.right
            symbols = next(s for s in METHODS[method] if s.name == side.spec).latex_names
            pair = f"{latex(sympy.sympify(old), symbols)} \\mapsto {latex(sympy.sympify(new), symbols)}"
            assert pair in item, (relation.name, pair)
