"""The model of one estimator module: its batch size and relative variance as printed code, and its class."""

from __future__ import annotations

from dataclasses import dataclass

from codegen.emit.common import Emitted, docstring
from codegen.language.estimator import B, N
from codegen.lower.estimator import Lowered
from codegen.printers.python import ScalarPrinter
from codegen.printers.text import interval_text

KEYWORDS = (("seed", "None"), ("last_batch", '"keep"'))
"""The runtime's keyword arguments: ``seed`` for a class that shuffles, ``last_batch`` for one that can end an
epoch in a partial batch."""


@dataclass(frozen=True)
class EstimatorModule:
    """Everything the module template lays out, as finished strings."""

    class_name: str
    summary: str
    docstring: str
    signature: str
    """The constructor's parameters after ``self``."""
    passed: str
    """What the constructor passes on to the runtime."""
    arguments: str
    """The runtime's table of the class's own arguments: (name, default, lowest value)."""
    shuffled: bool
    partial: bool
    size: str
    relative_variance: str


def estimator_module(lowered: Lowered, package: str) -> Emitted:
    """The module of one estimator in ``package``: a ``Batches`` class with its size and variance printed."""
    spec = lowered.spec
    keywords = tuple(
        (name, default) for (name, default), used in zip(KEYWORDS, (lowered.shuffled, lowered.partial)) if used
    )
    own = tuple(f"{a.argument}={a.default!r}" for a in spec.arguments)
    parameters = (*own, *(("*",) if keywords else ()), *(f"{name}={default}" for name, default in keywords))
    passed = (*(f"{a.argument}={a.argument}" for a in spec.arguments), *(f"{n}={n}" for n, _ in keywords))
    printer = ScalarPrinter({N: "examples", **{a.symbol: f"self.{a.argument}" for a in spec.arguments}})
    variance = ScalarPrinter({N: "examples", B: "size"})
    model = EstimatorModule(
        class_name=spec.name,
        summary=docstring(f"{spec.name}: {spec.summary}", indent=""),
        docstring=docstring(_class_docstring(lowered, keywords)),
        signature=", ".join(("self", *parameters)),
        passed=", ".join(passed),
        arguments="(" + "".join(f'("{a.argument}", {a.default!r}, {a.domain.inf}), ' for a in spec.arguments) + ")",
        shuffled=lowered.shuffled,
        partial=lowered.partial,
        size=printer.doprint(lowered.batch_size),
        relative_variance=variance.doprint(lowered.variance_factor),
    )
    return Emitted(f"{package}/training/{spec.module_name}.py", "code/estimator.py.jinja", model, spec.source)


def _class_docstring(lowered: Lowered, keywords: tuple[tuple[str, str], ...]) -> str:
    spec = lowered.spec
    lines = [f"{spec.title}. {spec.summary}", "", f"Generated from {spec.source}."]
    if spec.description:
        lines += ["", spec.description]
    lines += ["", "Arguments:"]
    lines += [
        f"    {a.argument}: {a.description}; {interval_text(a.domain)}; default {a.default}." for a in spec.arguments
    ]
    described = {
        "seed": "the seed of every epoch's order (epoch e is drawn from [seed, e]); None draws one.",
        "last_batch": '"keep" makes the examples left over at the end of an epoch a smaller batch; "drop" leaves '
        "them out of that epoch.",
    }
    lines += [f"    {name}: {described[name]}" for name, _ in keywords]
    if lines[-1] == "Arguments:":
        lines[-1] = "It takes no arguments."
    return "\n".join(lines)
