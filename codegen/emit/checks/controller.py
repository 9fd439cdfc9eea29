"""The generated checks of one controller: each statement proven by running its update exactly, then on the kernels.

A ``Trajectory`` becomes two tests. The proof states the update of the
variant the call selects, its arguments substituted (numbers exact, the
call's symbols kept), the initial state and the metrics, and runs it with
``codegen.proofs.controller``; the rates it states are expressions, or another
controller's update run on the same metrics. The confirmation builds the
generated classes with the example's numbers and steps them in float64.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

import sympy

from codegen.emit.checks.schedule import TestModel
from codegen.emit.common import Emitted, docstring, string_literal
from codegen.errors import SpecError
from codegen.language.common import exact
from codegen.language.controller import CONTROLLER_RELATIONS, ControllerCall, ControllerSpec, Trajectory
from codegen.lower.controller import run, variant_for
from codegen.printers.source import code

PACKAGE = "PACKAGE"


@dataclass(frozen=True)
class ControllerChecks:
    summary: str
    imports: tuple[str, ...]
    helpers: tuple[str, ...]
    symbols: tuple[str, ...]
    tests: tuple[TestModel, ...]
    package: str


def controller_check_module(
    spec: ControllerSpec, specs: dict[str, ControllerSpec], relations: tuple, package: str
) -> Emitted | None:
    """``checks/test_<module>_controller.py`` for ``spec``, or None when its file states nothing to check."""
    own = [r for r in relations if isinstance(r, CONTROLLER_RELATIONS) and r.source == spec.source]
    if not own:
        return None
    writer = _Writer(specs)
    tests = []
    for relation in own:
        try:
            tests += writer.trajectory(relation)
        except (KeyError, TypeError, ValueError) as error:
            message = error.args[0] if error.args else type(error).__name__
            raise SpecError(relation.source, f"relation {relation.name!r}: {message}") from error
    return Emitted(
        f"checks/test_{spec.module_name}_controller.py",
        "checks/controller.py.jinja",
        writer.model(tests, package),
        spec.source,
    )


class _Writer:
    """Builds the tests of one module, remembering every symbol it prints so as to declare them."""

    def __init__(self, specs: dict[str, ControllerSpec]):
        self.specs = specs
        self.mentioned: dict[str, sympy.Symbol] = {}

    def show(self, expression: object) -> str:
        expression = sympy.sympify(expression)
        for symbol in expression.free_symbols:
            if self.mentioned.setdefault(symbol.name, symbol) != symbol:
                raise ValueError(f"two symbols are named {symbol.name!r}")
        return code(expression)

    def model(self, tests: list[TestModel], package: str) -> ControllerChecks:
        text = "\n".join(line for test in tests for line in test.body)
        identifiers = set(re.findall(r"\b[A-Za-z_][A-Za-z_0-9]*\b", text)) - set(self.mentioned)
        imports = sorted({n for n in identifiers if hasattr(sympy, n) and not keyword.iskeyword(n)} | {"Symbol"})
        helpers = sorted(set(re.findall(r"\b(prove_\w+|confirm_\w+|run_exactly)\(", text)))
        symbols = tuple(f"{name} = {sympy.srepr(symbol)}" for name, symbol in sorted(self.mentioned.items()))
        summary = (
            "Checks of the controllers' statements: each proven by running the update exactly, then on the kernels."
        )
        return ControllerChecks(
            docstring(summary, indent=""), tuple(imports), tuple(helpers), symbols, tuple(tests), package
        )

    def _run(self, call: ControllerCall, name: str) -> list[str]:
        """Lines that state ``call``'s update and initial state as ``{name}_update`` and ``{name}_initial``."""
        spec = self.specs[call.controller]
        unknown = set(call.arguments) - {a.argument for a in spec.arguments} - {c.argument for c in spec.choices}
        if unknown:
            raise KeyError(f"{spec.name} has no argument(s) {sorted(unknown)}")
        variant = variant_for(spec, {c.argument: call.arguments.get(c.argument, c.default) for c in spec.choices})
        values = {a.symbol: exact(call.arguments.get(a.argument, a.default)) for a in spec.arguments}
        if any(value is None or value == sympy.nan for value in values.values()):
            raise KeyError(f"{spec.name}: every argument without a default needs a value")
        lines = [f"{name}_update = ("]
        lines += [f"    ({self.show(lhs)}, {self.show(rhs.xreplace(values))})," for lhs, rhs in variant.update]
        lines += [")"]
        initial = ", ".join(
            f"{self.show(s)}: {self.show(sympy.sympify(v).xreplace(values))}" for s, v in variant.initial
        )
        lines.append(f"{name}_initial = {{{initial}}}")
        return lines

    def _built(self, call: ControllerCall, numbers: dict) -> str:
        """Python that builds the generated class of ``call`` with the example's numbers for its symbols."""
        given = []
        for key, value in call.arguments.items():
            if isinstance(value, str):
                given.append(f"{key}={value!r}")
                continue
            number = sympy.sympify(value).xreplace({s: exact(v) for s, v in numbers.items()})
            if not number.is_number:
                raise ValueError(f"the example gives no number for {number}")
            given.append(f"{key}={int(number)!r}" if number.is_Integer else f"{key}={float(number)!r}")
        return f"{PACKAGE}.controllers.{call.controller}({', '.join(given)})"

    def trajectory(self, relation: Trajectory) -> list[TestModel]:
        what = string_literal(relation.name)
        metrics = "[" + ", ".join(self.show(exact(x)) for x in relation.metrics) + "]"
        floats = "[" + ", ".join(repr(float(exact(x))) for x in relation.metrics) + "]"
        numbers = {s: exact(v) for s, v in relation.example.items()}
        proof = [*self._run(relation.call, "stated"), f"metrics = {metrics}"]
        confirm = [f"controller = {self._built(relation.call, numbers)}"]
        if isinstance(relation.expected, ControllerCall):
            proof += self._run(relation.expected, "other")
            proof.append("other = run_exactly(other_update, other_initial, metrics)")
            other = self._built(relation.expected, numbers)
            if relation.holds:
                proof.append(f"prove_rates(stated_update, stated_initial, metrics, other, {what})")
                confirm += [f"other = {other}", f"expected = [other.step(metric) for metric in {floats}]"]
                confirm.append(f"confirm_rates(controller, {floats}, expected, {what})")
            else:
                epoch = self._parting(relation)
                proof.append("stated = run_exactly(stated_update, stated_initial, metrics)")
                proof.append(f"assert prove_rates_differ(stated, other, metrics, {what}) == {epoch}")
                confirm.append(f"confirm_rates_differ(controller, {other}, {floats}, {epoch}, {what})")
        else:
            if not relation.holds:
                raise ValueError("a Trajectory with stated rates holds; holds=False compares two controllers")
            expected = "[" + ", ".join(self.show(rate) for rate in relation.expected) + "]"
            proof.append(f"prove_rates(stated_update, stated_initial, metrics, {expected}, {what})")
            rates = [float(sympy.sympify(r).xreplace(numbers)) for r in relation.expected]
            confirm.append(f"confirm_rates(controller, {floats}, {rates!r}, {what})")
        doc = relation.description
        return [
            TestModel(f"test_{relation.name}", docstring(doc), tuple(proof)),
            TestModel(
                f"test_{relation.name}_on_kernels", docstring(f"{doc} (on the generated kernels)"), tuple(confirm)
            ),
        ]

    def _parting(self, relation: Trajectory) -> int:
        """The first epoch at which the two controllers of a statement that does not hold part, exactly."""
        stated = run(self.specs[relation.call.controller], relation.call, relation.metrics)
        other = run(self.specs[relation.expected.controller], relation.expected, relation.metrics)
        for epoch, (one, two) in enumerate(zip(stated, other), 1):
            if sympy.simplify(one - two) != 0:
                return epoch
        raise ValueError("the two controllers agree at every epoch: the statement holds")
