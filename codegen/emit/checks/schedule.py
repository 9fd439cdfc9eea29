"""The generated check module of a schedule: the relations beside its spec, and its ``derived_from``.

Every statement becomes two tests. The first proves it with SymPy on the
math printed into the module (so a reader sees exactly what is proven, and
the proof does not depend on the spec loader). The second builds the
generated schedules of the same package with the relation's example numbers
and checks the same statement on their kernels, each value within the stated
tolerance of the exact value (``codegen.proofs.schedule``).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from codegen.emit.common import Emitted, docstring, string_literal
from codegen.errors import SpecError
from codegen.language.common import exact
from codegen.language.schedule import (
    SCHEDULE_RELATIONS,
    Bounded,
    Call,
    Continuous,
    Identity,
    JumpAt,
    Periodic,
    ScheduleSpec,
    ValueAt,
    k,
)
from codegen.lower.schedule import Bound, bind, call_value, derivation_value, full_value, variants
from codegen.printers.source import call_text, code

PACKAGE = "PACKAGE"
"""What the generated checks call the package they test (``PACKAGE.CosineDecay(...)``)."""

# Steps for the numeric confirmation of a statement proven for every step.
CONFIRM_STEPS = 240
METHOD = (
    "identities and periodicity for a symbolic step k (floor and ceiling",
    "arguments expanded, then simplify); statements with floor or Piecewise on",
    "symbolic arguments exactly at every listed step of each listed instance,",
    "the other arguments left symbolic.",
)


@dataclass(frozen=True)
class TestModel:
    name: str
    doc: str
    body: tuple[str, ...]


@dataclass(frozen=True)
class CheckModuleModel:
    summary: str
    source: str
    method: tuple[str, ...]
    imports: tuple[str, ...]
    helpers: tuple[str, ...]
    spec_names: tuple[str, ...]
    symbols: tuple[str, ...]
    tests: tuple[TestModel, ...]
    package: str


def schedule_check_module(spec: ScheduleSpec, specs: dict, relations: tuple, package: str) -> Emitted | None:
    """``checks/test_<module>_schedule.py`` for ``spec``, or None when its file states nothing to check."""
    own = [r for r in relations if isinstance(r, SCHEDULE_RELATIONS) and r.source == spec.source]
    writer = _ChecksWriter(specs)
    tests = [t for r in own for t in _relation_tests(writer, r)]
    if spec.derived_from is not None:
        tests += writer.derivation_tests(spec)
    if not tests:
        return None
    model = writer.module_model(spec, tests, package)
    return Emitted(f"checks/test_{spec.module_name}_schedule.py", "checks/schedule.py.jinja", model, spec.source)


def _relation_tests(writer: _ChecksWriter, relation) -> list[TestModel]:
    """The tests of one relation; a relation that cannot be checked as declared is an error naming it and its file."""
    try:
        return writer.relation_tests(relation)
    except SpecError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        message = error.args[0] if error.args else type(error).__name__
        raise SpecError(relation.source, f"relation {relation.name!r}: {message}") from error


def numbers_text(numbers: dict) -> str:
    items = sorted(numbers.items(), key=lambda item: str(item[0]))
    return "{" + ", ".join(f"{code(symbol)}: {value!r}" for symbol, value in items) + "}"


def _range_text(steps: range) -> str:
    if not isinstance(steps, range) or steps.step != 1:
        raise ValueError(f"steps must be a range with step 1, got {steps!r}")
    return f"range({steps.start}, {steps.stop})"


def _numeric_call(call: Call, example: dict) -> Call:
    """``call`` with every undefined function replaced by the example's concrete schedule for it."""
    return Call(call.schedule, {name: _numeric(value, example) for name, value in call.arguments.items()})


def _numeric(value: object, example: dict) -> object:
    if isinstance(value, Call):
        return _numeric_call(value, example)
    if isinstance(value, list):  # a list of schedules
        return [_numeric(item, example) for item in value]
    if isinstance(value, sympy.FunctionClass) and value in example:
        return example[value]
    return value


def _numbers(example: dict, instance: dict) -> dict:
    """The numbers the kernels get: the example's and the instance's values of symbols."""
    return {s: v for s, v in {**example, **instance}.items() if isinstance(s, sympy.Symbol)}


def _build(call: Call, numbers: dict) -> str:
    return call_text(call, {s: sympy.sympify(v) for s, v in numbers.items()}, PACKAGE)


def _branch_before(bound: Bound, at: int, example: dict) -> sympy.Expr:
    """The branch of a composition's Piecewise in effect at step ``at - 1``: its conditions decided with the numbers
    of the call and of the example."""
    numbers = {s: exact(v) for s, v in {**example, **bound.numbers}.items()}
    for branch, condition in bound.value.args:
        if sympy.sympify(condition).xreplace({**numbers, k: at - 1}) == sympy.true:
            return branch
    raise ValueError(f"no branch of {bound.value} applies at step {at - 1}")


def _integer(expression: sympy.Expr, numbers: dict) -> int:
    value = sympy.sympify(expression).xreplace({s: sympy.sympify(v) for s, v in numbers.items()})
    if not value.is_Integer:
        raise ValueError(f"{expression} is not a whole number with {numbers}")
    return int(value)


def _pair(relation, proof: list[str], confirm: list[str]) -> list[TestModel]:
    doc = relation.description
    return [
        TestModel(f"test_{relation.name}", docstring(doc), tuple(proof)),
        TestModel(f"test_{relation.name}_on_kernels", docstring(f"{doc} (on the generated kernels)"), tuple(confirm)),
    ]


# Functions of the spec model that printed math may use.
_SPEC_NAMES = ("Element",)
# SymPy names a spec symbol may not take in a check module, which imports them.
_SHADOWED = frozenset({"S", "N", "E", "I", "O", "Q", "pi", "oo", "Symbol", "Function"})


class _ChecksWriter:
    """Builds the tests of one module, remembering every symbol and function it prints so as to declare them."""

    def __init__(self, specs: dict[str, ScheduleSpec]):
        self.specs = specs
        self.mentioned: dict[str, sympy.Basic] = {}
        self.clash: str | None = None

    def show(self, expression: sympy.Expr) -> str:
        expression = sympy.sympify(expression)
        for item in (*expression.free_symbols, *(a.func for a in expression.atoms(AppliedUndef))):
            name = item.name if isinstance(item, sympy.Symbol) else item.__name__
            if self.mentioned.get(name, item) != item or name in _SHADOWED:
                self.clash = name
            self.mentioned[name] = item
        return code(expression)

    def module_model(self, spec: ScheduleSpec, tests: list[TestModel], package: str) -> CheckModuleModel:
        if self.clash is not None:
            message = f"symbol name {self.clash!r} is used twice or shadows a SymPy name in the checks"
            raise SpecError(spec.source, message, spec=spec.name)
        text = "\n".join(line for test in tests for line in test.body)
        symbols = sorted((n, s) for n, s in self.mentioned.items() if isinstance(s, sympy.Symbol))
        functions = sorted(n for n, s in self.mentioned.items() if not isinstance(s, sympy.Symbol))
        identifiers = set(re.findall(r"\b[A-Za-z_][A-Za-z_0-9]*\b", text)) - set(self.mentioned)
        sympy_names = {n for n in identifiers if hasattr(sympy, n) and not keyword.iskeyword(n) and n != PACKAGE}
        imports = sorted({*sympy_names, "Symbol", *(["Function"] if functions else [])})
        helpers = sorted(set(re.findall(r"\b(prove_\w+|confirm_\w+)\(", text)))
        spec_names = tuple(sorted(n for n in _SPEC_NAMES if re.search(rf"\b{n}\(", text)))
        lines = [f"{n} = {sympy.srepr(s)}" for n, s in symbols] + [f'{n} = Function("{n}")' for n in functions]
        summary = f"Checks of {spec.source}: each statement proven with SymPy, then confirmed on the generated kernels."
        return CheckModuleModel(
            docstring(summary, indent=""),
            spec.source,
            METHOD,
            tuple(imports),
            tuple(helpers),
            spec_names,
            tuple(lines),
            tuple(tests),
            package,
        )

    def relation_tests(self, relation) -> list[TestModel]:
        kinds = {
            Identity: self.identity,
            Periodic: self.periodic,
            Bounded: self.bounded,
            ValueAt: self.value_at,
            JumpAt: self.jump,
            Continuous: self.jump,
        }
        return kinds[type(relation)](relation)

    def value(self, call: Call) -> sympy.Expr:
        return call_value(self.specs, call)

    def math(self, calls: tuple[Call, ...], example: dict, instance: dict) -> tuple[list[str], str, str]:
        """The math of ``calls`` in the shape the kernels compute it: values, numbers and definitions, printed.

        Numbers stay symbols and definitions stay separate (``bind``), so
        that the reference's rounding bound counts the operations the kernel
        performs; with several calls each is renamed apart (``p__a``, ``p__b``).
        Instance values are structural and substituted.
        """
        numbers = _numbers(example, {})
        definitions: dict = {}
        values = []
        tags = [""] if len(calls) == 1 else [chr(ord("a") + i) for i in range(len(calls))]
        structural = {s: exact(v) for s, v in instance.items()}
        for call, tag in zip(calls, tags):
            bound = bind(self.specs, _numeric_call(call, example), tag)
            for symbol, value in bound.numbers.items():
                if numbers.get(symbol, value) != value:
                    raise ValueError(f"{symbol} has two numbers in one check: {numbers[symbol]} and {value}")
                numbers[symbol] = value
            definitions.update({s: e.xreplace(structural) for s, e in bound.definitions.items()})
            values.append(bound.value.xreplace(structural))
        used = set().union(*(e.free_symbols for e in (*values, *definitions.values())))
        numbers = {s: v for s, v in numbers.items() if s in used}
        shown = "{" + ", ".join(f"{self.show(s)}: {self.show(e)}" for s, e in definitions.items()) + "}"
        return [self.show(v) for v in values], numbers_text(numbers), shown

    def identity(self, relation: Identity) -> list[TestModel]:
        lhs, rhs = self.value(relation.lhs), self.value(relation.rhs)
        proof, confirm = [], []
        instances = relation.instances if relation.steps is not None else ({},)
        for instance in instances:
            substitution = {s: exact(v) for s, v in instance.items()}
            label = ", ".join(f"{s} = {v}" for s, v in instance.items())
            what = relation.name + (f", {label}" if label else "")
            shown = string_literal(what)
            left, right = self.show(lhs.xreplace(substitution)), self.show(rhs.xreplace(substitution))
            if relation.steps is None:
                steps = f"range({CONFIRM_STEPS})"
                proof.append(f"prove_identical({left}, {right}, {shown})")
            else:
                steps = _range_text(relation.steps(instance))
                proof.append(f"prove_equal_at({left}, {right}, {steps}, {shown})")
            numbers = _numbers(relation.example, instance)
            (left_math, right_math), reference_numbers, definitions = self.math(
                (relation.lhs, relation.rhs), relation.example, instance
            )
            confirm += [
                f"steps = {steps}",
                f"left = {_build(_numeric_call(relation.lhs, relation.example), numbers)}.values(steps)",
                f"right = {_build(_numeric_call(relation.rhs, relation.example), numbers)}.values(steps)",
                f"numbers = {reference_numbers}",
                f"definitions = {definitions}",
                f"confirm_identical(left, right, {left_math}, {right_math}, numbers, steps, {shown}, definitions)",
            ]
        return _pair(relation, proof, confirm)

    def periodic(self, relation: Periodic) -> list[TestModel]:
        expression, period_text = self.show(self.value(relation.call)), self.show(relation.period)
        proof = [f'prove_periodic({expression}, {period_text}, "{relation.name}")']
        numbers = _numbers(relation.example, {})
        period = _integer(relation.period, numbers)
        (math,), reference_numbers, definitions = self.math((relation.call,), relation.example, {})
        confirm = [
            f"values = {_build(_numeric_call(relation.call, relation.example), numbers)}.values({4 * period})",
            f"math = {math}",
            f"numbers = {reference_numbers}",
            f"definitions = {definitions}",
            f'confirm_close(values, math, numbers, range({4 * period}), "{relation.name}", definitions)',
            f'confirm_periodic(values, math, numbers, {period}, "{relation.name}", definitions)',
        ]
        return _pair(relation, proof, confirm)

    def bounded(self, relation: Bounded) -> list[TestModel]:
        expression = self.value(relation.call)
        proof, confirm = [], []
        for instance in relation.instances:
            substitution = {s: exact(v) for s, v in instance.items()}
            steps = relation.steps(instance)
            label = ", ".join(f"{s} = {v}" for s, v in instance.items())
            proof.append(
                f"prove_bounded({self.show(expression.xreplace(substitution))}, {self.show(relation.lower)}, "
                f'{self.show(relation.upper)}, {_range_text(steps)}, "{relation.name}, {label}")'
            )
            numbers = {s: sympy.sympify(v) for s, v in _numbers(relation.example, instance).items()}
            lower = float(sympy.sympify(relation.lower).xreplace(numbers))
            upper = float(sympy.sympify(relation.upper).xreplace(numbers))
            confirm.append(
                f"confirm_within({_build(relation.call, numbers)}.values({3 * len(steps)}), {lower!r}, {upper!r}, "
                f'"{relation.name}, {label}")'
            )
        return _pair(relation, proof, confirm)

    def value_at(self, relation: ValueAt) -> list[TestModel]:
        expression, step_text = self.show(self.value(relation.call)), self.show(relation.step)
        proof = [f'prove_value_at({expression}, {step_text}, {self.show(relation.expected)}, "{relation.name}")']
        numbers = _numbers(relation.example, {})
        numeric = _numeric_call(relation.call, relation.example)
        (math,), reference_numbers, definitions = self.math((relation.call,), relation.example, {})
        expected = sympy.sympify(relation.expected)
        given_values = {
            applied: self.value(relation.example[applied.func]).xreplace({k: applied.args[0]})
            for applied in expected.atoms(AppliedUndef)
        }
        step = _integer(relation.step, numbers)
        confirm = [
            f"schedule = {_build(numeric, numbers)}",
            f"numbers = {reference_numbers}",
            f"definitions = {definitions}",
            f'confirm_close([schedule({step})], {math}, numbers, [{step}], "{relation.name}", definitions)',
            # Within the rounding of what the kernel computes (the schedule's formula), not of the expected value's.
            f"confirm_close([schedule({step})], {self.show(expected.xreplace(given_values))}, numbers, [{step}], "
            f'"{relation.name}: the expected value", definitions, computed={math})',
        ]
        return _pair(relation, proof, confirm)

    def jump(self, relation: JumpAt) -> list[TestModel]:
        expression = self.value(relation.call)
        at_text, size = self.show(relation.at), self.show(relation.size)
        proof = [f'prove_jump({self.show(expression)}, {at_text}, {size}, "{relation.name}")']
        numbers = _numbers(relation.example, {})
        bound = bind(self.specs, _numeric_call(relation.call, relation.example))
        if not isinstance(bound.value, sympy.Piecewise):
            raise ValueError(
                "a JumpAt statement is about a composition (a spec with Then or Join): its value must be a Piecewise"
            )
        (math,), reference_numbers, definitions = self.math((relation.call,), relation.example, {})
        at = _integer(relation.at, numbers)
        before = self.show(_branch_before(bound, at, numbers))
        confirm = [
            f"schedule = {_build(_numeric_call(relation.call, relation.example), numbers)}",
            f"numbers = {reference_numbers}",
            f"definitions = {definitions}",
            "# The formula in effect before the boundary (its kernel) taken to it, and the value there.",
            f'confirm_close([schedule.continued({at})], {before}, numbers, [{at}], "{relation.name}", definitions)',
            f'confirm_close([schedule({at})], {math}, numbers, [{at}], "{relation.name}", definitions)',
        ]
        return _pair(relation, proof, confirm)

    def derivation_tests(self, spec: ScheduleSpec) -> list[TestModel]:
        derivation = spec.derived_from
        parent = self.specs[derivation.parent]
        symbols = {spec.symbol_of(name): value for name, value in spec.example.arguments.items()}
        kept = [a.argument for a in parent.arguments if a.argument not in derivation.arguments]
        proof, confirm = [], []
        for variant in variants(spec):
            own = self.show(full_value(spec, variant))
            derived = self.show(derivation_value(self.specs, spec, variant))
            what = f"{spec.name} ({variant.name}) is {parent.name} with {derivation.note}"
            shown = string_literal(what)
            proof.append(f"prove_identical({own}, {derived}, {shown})")
            selection = dict(zip((c.argument for c in spec.choices), variant.selection))
            # The calls with the spec's own symbols as arguments; the numbers come with the example.
            own_call = Call(spec.name, {**{n: spec.symbol_of(n) for n in spec.example.arguments}, **selection})
            parent_arguments = {name: spec.symbol_of(name) for name in kept}
            parent_call = Call(parent.name, {**parent_arguments, **derivation.arguments, **selection})
            # The parent's kernel gets the replaced arguments as floats; its exact math is at those floats.
            replaced = {s: exact(v) for s, v in symbols.items()}
            as_given = {name: float(sympy.sympify(e).xreplace(replaced)) for name, e in derivation.arguments.items()}
            numeric_parent = Call(parent.name, {**parent_arguments, **as_given, **selection})
            (own_math, parent_math), numbers, definitions = self.math((own_call, numeric_parent), symbols, {})
            confirm += [
                f"steps = range({spec.example.steps})",
                f"own = {_build(own_call, symbols)}.values(steps)",
                f"parent = {_build(parent_call, symbols)}.values(steps)",
                f"numbers = {numbers}",
                f"definitions = {definitions}",
                f"confirm_identical(own, parent, {own_math}, {parent_math}, numbers, steps, {shown}, definitions)",
            ]
        doc = f"{spec.name} is {parent.name} with {derivation.note} (derived_from)."
        return [
            TestModel("test_derived_from", docstring(doc), tuple(proof)),
            TestModel(
                "test_derived_from_on_kernels", docstring(doc[:-1] + ", on the generated kernels."), tuple(confirm)
            ),
        ]
