"""What every referee of ``trainspec verify`` returns: the errors step by step, and what the implementation matches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

AROUND = 2
"""Steps listed either side of the first divergence."""


@dataclass(frozen=True)
class Candidate:
    """Another update the implementation may compute: a registered convention or a slip applied to the spec."""

    label: str
    explanation: str
    run: Callable[[], np.ndarray]


@dataclass
class Verdict:
    spec: str
    against: str
    steps: int
    tolerance: float
    arguments: dict[str, float | bool]
    errors: np.ndarray
    first_divergent: int | None
    matches: list[tuple[str, str, float]]
    # How the error is measured, the number of the first step, what the arguments are called and what the referee
    # adjusted (a counterpart may cover fewer steps): the optimizers' wording unless a referee says otherwise.
    measure: str = "largest relative error, normwise against the displacement, or the rounding of |w| if larger"
    first_step: int = 1
    argument_label: str = "hyperparameters"
    notes: tuple[str, ...] = ()
    unit: str = "step"
    """What one comparison is: a step, or a controller's epoch."""

    FIGURE = "largest error"
    """What ``figure`` is, for a table of verdicts."""

    @property
    def passed(self) -> bool:
        return self.first_divergent is None

    @property
    def figure(self) -> float:
        """The one number that sums the run up: the largest error (an initializer's verdict: the smallest p)."""
        return float(np.max(self.errors))

    def report(self, command: str | None = None, every: int | None = None) -> str:
        """The verdict for a person or a CI log: ``command`` (the command line that reproduces the run) first,
        then the arguments, and the error step by step only where it matters: around the first divergence.
        ``every``: also each ``every``-th step's error."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        lines = [command or self.command(), f"{self.argument_label}: {shown}"]
        lines += self.notes
        lines.append(f"tolerance: {self.tolerance:.3g} ({self.measure})")
        unit = self.unit
        lines += [
            f"{unit} {s:4d}  {e:.3e}" for s, e in enumerate(self.errors, start=self.first_step) if self._shown(s, every)
        ]
        lines.append(f"largest relative error over {self.steps} {unit}s: {float(np.max(self.errors)):.3e}")
        if self.passed:
            lines.append(f"PASS: {self.against} computes {self.spec} within {self.tolerance:.3g}.")
            return "\n".join(lines)
        lines.append(f"FAIL: first diverges at {unit} {self.first_divergent} (error {self._first_error:.3e}).")
        if not self.matches:
            lines.append("It matches no registered convention and none of the known slips.")
        for label, explanation, error in self.matches:
            lines.append(f"matches {label}, not {self.spec} (largest error {error:.1e}): {explanation}")
        return "\n".join(lines)

    def command(self) -> str:
        """The shortest command line naming this check (the CLI passes the full one to ``report``)."""
        return f"trainspec verify {self.spec} --against {self.against}"

    def _shown(self, step: int, every: int | None) -> bool:
        """Whether the report lists ``step``: the two steps either side of the first divergence, and every
        ``every``-th step when asked."""
        near = self.first_divergent is not None and abs(step - self.first_divergent) <= AROUND
        return near or (every is not None and step % every == 0)

    @property
    def _first_error(self) -> float:
        return float(self.errors[self.first_divergent - self.first_step])
