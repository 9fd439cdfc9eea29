"""Generated pytest modules that prove the relations declared beside the specs.

Every spec file that declares ``RELATIONS`` gets ``checks/test_<module>_relations.py``:
per relation, one test that proves it with SymPy and, when a generated kernel
computes one of its updates, one that confirms it numerically on the kernels
of the same output folder. The engine is library code
(``codegen.verify.relations``); the generated module states, in each test's
docstring, exactly what is proved.
"""

from __future__ import annotations

import textwrap
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from codegen.errors import SpecError
from codegen.load import Registry
from codegen.render import GeneratedFile, header, render
from codegen.verify.relations import (
    Relation,
    check_relation,
    describe,
    describe_confirmation,
    has_kernel,
    optimizer_relations,
)

DOCSTRING_WIDTH = 112  # with the 4 spaces of a function body, inside the project's 120 columns


NO_KERNEL = (
    "No numeric confirmation: no generated kernel computes these updates "
    "(a substitution here is more than a hyperparameter value)."
)


@dataclass(frozen=True)
class ConfirmationModel:
    summary: str
    docstring: tuple[str, ...]
    seed: int


@dataclass(frozen=True)
class RelationModel:
    name: str
    summary: str
    docstring: tuple[str, ...]
    confirmations: tuple[ConfirmationModel, ...]


@dataclass(frozen=True)
class ChecksModuleModel:
    source: str
    relations: tuple[RelationModel, ...]
    specs_location: str


def check_files(registry: Registry, specs_location: str = 'REPO / "specs"') -> list[GeneratedFile]:
    """The generated check modules for ``registry``; a relation that cannot be proved as declared fails the build.

    ``specs_location`` is the specs folder as Python source (``REPO / 'specs'``): the modules load the specs there.
    """
    relations = optimizer_relations(registry)
    _check_unique(relations)
    for relation in relations:
        check_relation(relation, registry)
    files = []
    for source in dict.fromkeys(relation.source for relation in relations):
        model = _module_model(source, [r for r in relations if r.source == source], registry, specs_location)
        text = render("checks.py.jinja", module=model, header=header(source))
        files.append(GeneratedFile(f"checks/test_{_module_name(source, registry)}_relations.py", text, source))
    return files


def _check_unique(relations: tuple[Relation, ...]) -> None:
    seen: dict[str, str] = {}
    for relation in relations:
        if relation.name in seen:
            message = f"relation name {relation.name!r} is already used in {seen[relation.name]}"
            raise SpecError(relation.source, message)
        seen[relation.name] = relation.source


def _module_name(source: str, registry: Registry) -> str:
    for spec in registry.specs:
        if spec.source == source:
            return spec.module_name
    return PurePosixPath(source).stem


def _module_model(source: str, relations: list[Relation], registry: Registry, specs_location: str) -> ChecksModuleModel:
    return ChecksModuleModel(
        source, tuple(_relation_model(relation, registry) for relation in relations), specs_location
    )


def _relation_model(relation: Relation, registry: Registry) -> RelationModel:
    confirmations = ()
    if has_kernel(relation, registry):
        summary = f"Numeric confirmation of {relation.name} on the generated kernels."
        body = _docstring_body(describe_confirmation(relation, registry))
        confirmations = (ConfirmationModel(summary, body, zlib.crc32(relation.name.encode())),)
    lines = describe(relation, registry)
    if not confirmations:
        lines.append(NO_KERNEL)
    summary, *rest = _wrap(relation.statement, "")
    body = (*(("    " + line) for line in rest), *_docstring_body(lines))
    return RelationModel(relation.name, summary, body, confirmations)


def _docstring_body(lines: list[str]) -> tuple[str, ...]:
    """The docstring after its summary: a blank line, then each line wrapped with a hanging indent."""
    body = [""]
    for line in lines:
        body.extend(("    " + piece).rstrip() for piece in _wrap(line, "    "))
    return tuple(body)


def _wrap(text: str, hanging: str) -> list[str]:
    escaped = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return textwrap.wrap(escaped, DOCSTRING_WIDTH, subsequent_indent=hanging, break_long_words=False) or [""]
