"""One ``trainspec verify`` run covers the spec's variants: a short run per variant, reported as one table.

A variant pins what the referee would otherwise leave at its default: a flag on,
a momentum-like hyperparameter at the value that switches its feature off, a
choice at another option, a base option (weight decay, clipping) on, or a
learning rate that follows a schedule. Each referee lists its spec's variants
(``variants``); this module selects among them, runs them, and reports.
"""

from __future__ import annotations

import argparse
import ast
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from codegen.progress import Progress
from codegen.referee.verdict import Verdict

DEFAULTS = "defaults"
"""The label of the variant that pins nothing: every option at its default."""


@dataclass(frozen=True)
class Variant:
    """One run of the matrix: ``settings`` pins arguments, flags or choices by name; ``drawn`` names base options
    drawn from their typical range (Keras's clipping); ``schedule``: the learning rate follows the run's schedule."""

    label: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    drawn: tuple[str, ...] = ()
    schedule: bool = False


@dataclass(frozen=True)
class Skipped:
    label: str
    why: str


@dataclass
class Coverage:
    """The verdicts of one run's variants, in order, and the variants it could not run, each with the reason."""

    command: str
    runs: list[tuple[Variant, Verdict]]
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.runs) and all(verdict.passed for _, verdict in self.runs)

    def report(self, every: int | None = None) -> str:
        """The table of variants, then the full report of each that failed (the steps around its divergence and
        what it matches); a pass is the table alone."""
        lines = [self.command, *self._table()]
        lines += [f"not run: {skipped.label}: {skipped.why}" for skipped in self.skipped]
        for variant, verdict in self.runs:
            if not verdict.passed or every is not None:
                lines += ["", f"[{variant.label}]", *verdict.report(every=every).splitlines()[1:]]
        lines.append(self._summary())
        return "\n".join(lines)

    def quiet(self) -> str:
        """One line per variant, then the summary."""
        rows = [f"{'PASS' if v.passed else 'FAIL'} {variant.label}: {_outcome(v)}" for variant, v in self.runs]
        rows += [f"SKIP {skipped.label}: {skipped.why}" for skipped in self.skipped]
        return "\n".join([self.command, *rows, self._summary()])

    def as_json(self) -> str:
        return json.dumps(
            {
                "command": self.command,
                "passed": self.passed,
                "variants": [_variant_json(variant, verdict) for variant, verdict in self.runs],
                "not_run": [{"variant": s.label, "why": s.why} for s in self.skipped],
            },
            indent=2,
        )

    def _table(self) -> list[str]:
        width = max([len("variant"), *(len(variant.label) for variant, _ in self.runs)])
        figure = self.runs[0][1].FIGURE if self.runs else Verdict.FIGURE
        lines = [f"{'variant':<{width}}  {figure:>13}  {'diverges at':>11}  verdict"]
        for variant, verdict in self.runs:
            first = "-" if verdict.first_divergent is None else str(verdict.first_divergent)
            error = f"{verdict.figure:.3e}"
            outcome = "pass" if verdict.passed else _outcome(verdict)
            lines.append(f"{variant.label:<{width}}  {error:>13}  {first:>11}  {outcome}")
        return lines

    def _summary(self) -> str:
        failed = [variant.label for variant, verdict in self.runs if not verdict.passed]
        if not self.runs:
            return "nothing was run."
        spec, against = self.runs[0][1].spec, self.runs[0][1].against
        if not failed:
            counted = f"all {len(self.runs)} variants" if len(self.runs) > 1 else "the one variant run"
            return f"PASS: {against} computes {spec} in {counted}."
        counted = f"{len(failed)} of {len(self.runs)} variants"
        return f"FAIL: {against} diverges from {spec} in {counted}: {', '.join(failed)}."


def _outcome(verdict: Verdict) -> str:
    """A verdict in a few words: pass, or what the implementation matches instead."""
    if verdict.passed:
        return f"pass ({verdict.FIGURE} {verdict.figure:.1e})"
    if verdict.matches:
        return "matches " + "; ".join(label for label, _, _ in verdict.matches)
    return "diverges (no registered convention or slip matches)"


def _variant_json(variant: Variant, verdict: Verdict) -> dict[str, Any]:
    return {
        "variant": variant.label,
        "passed": verdict.passed,
        verdict.FIGURE.replace(" ", "_"): verdict.figure,
        "tolerance": verdict.tolerance,
        "first_divergent": verdict.first_divergent,
        "arguments": {name: _plain(value) for name, value in verdict.arguments.items()},
        "matches": [{"label": label, "explanation": text, "error": error} for label, text, error in verdict.matches],
        "notes": list(verdict.notes),
    }


def _plain(value: Any) -> Any:
    """A value JSON can hold: numbers, bools, strings, None and lists as they are; anything else as its text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return repr(value)


def run(variants: Sequence[Variant], verify_one: Callable[[Variant], Verdict]) -> list[tuple[Variant, Verdict]]:
    """Each variant's verdict, in order; on a terminal, the variant running is shown (``codegen.progress``)."""
    runs = []
    with Progress() as progress:
        for index, variant in enumerate(variants, 1):
            progress.step(f"verify: {index}/{len(variants)} {variant.label}")
            runs.append((variant, verify_one(variant)))
    return runs


def run_command(
    arguments: argparse.Namespace,
    variants: Sequence[Variant],
    skipped: Sequence[Skipped],
    verify_one: Callable[[Variant], Verdict],
) -> Coverage:
    """The run the command line asks for: the variants ``--variant`` names (all without it), one verdict each, and
    those that could not run unless it names some."""
    runs = run(selected(variants, arguments.variant), verify_one)
    return Coverage(arguments.command_line, runs, [] if arguments.variant else list(skipped))


def other_options(argument: str, options: Iterable[Any], default: Any) -> list[Variant]:
    """A variant per option of a choice but its default (the defaults variant runs that one)."""
    return [Variant(f"{argument}={option}", {argument: option}) for option in options if option != default]


def selected(variants: Sequence[Variant], names: Iterable[str]) -> list[Variant]:
    """The variants ``names`` asks for (all when it is empty); an unknown name is an error listing the known."""
    names = list(names)
    if not names:
        return list(variants)
    known = {variant.label: variant for variant in variants}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"no variant {unknown[0]!r} in this run; variants: {', '.join(known)}")
    return [variant for variant in variants if variant.label in names]


def unpinned(variants: Iterable[Variant], pinned: Mapping[str, Any]) -> list[Variant]:
    """The variants that change nothing the user pinned (``--arg``, ``--flag``)."""
    return [v for v in variants if not (set(v.settings) | set(v.drawn)) & set(pinned)]


def refuse_optimizer_options(arguments: argparse.Namespace, kind: str) -> None:
    """``--flag`` and ``--schedule`` belong to optimizers: for ``kind`` (a schedule, an initializer) a usage error."""
    if arguments.flag or arguments.schedule:
        option = "--flag" if arguments.flag else "--schedule"
        raise ValueError(f"{option} is for optimizers; give {kind}'s arguments and choices with --arg")


def parsed_assignments(texts: Iterable[str]) -> dict[str, Any]:
    """``name=value`` pairs from the command line; a value is read as a Python literal (0.9, True, None, 'fan_in')
    and as plain text where it is none (fan_in)."""
    found: dict[str, Any] = {}
    for text in texts:
        name, equals, value = text.partition("=")
        if not equals or not name.strip():
            raise ValueError(f"--arg takes name=value, got {text!r}")
        found[name.strip()] = literal(value.strip())
    return found


def literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
