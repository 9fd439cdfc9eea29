"""The initializer generator: spec checks, derivation by substitution, hoisting, and the truncation constant."""

from __future__ import annotations

import dataclasses

import pytest
import sympy

from codegen.emit.docs.initializer import one_root
from codegen.errors import SpecError
from codegen.language.common import Hyperparameter, Typical, example_value
from codegen.language.initializer import (
    CONSTANTS,
    FAMILIES,
    Case,
    Choice,
    ClosedForm,
    Derivation,
    InitializerSpec,
    constant_values,
    distribution,
    fan_in,
    truncated_std,
    truncated_std_definition,
)
from codegen.load import load_registry
from codegen.lower.initializer import check_drawn_symbols, fans_of, parameters_at, resolve
from codegen.plan import plan_family
from codegen.validate.initializer import validate
from tests.helpers import SPECS_DIR


def lowered(spec: InitializerSpec, specs: dict):
    """``spec`` through the build's first two stages: validated, then resolved against ``specs``."""
    validate(spec)
    return resolve(spec, specs)


scale = sympy.Symbol("scale", positive=True)
BASE = InitializerSpec(
    name="Base",
    aliases=("base",),
    summary="a test parent",
    arguments=(Hyperparameter(scale, "scale", 1.0, sympy.Interval.open(0, sympy.oo), "scale"),),
    cases=(Case((), distribution("normal", mean=0, stddev=sympy.sqrt(scale / fan_in))),),
    source="specs/initializers/base.py",
)


def test_the_derived_constant_is_kerass_literal():
    """Keras types 0.87962566103423978 in its TruncatedNormal; the spec language derives it by integration."""
    assert abs(float(sympy.N(truncated_std_definition(), 30)) - 0.87962566103423978) < 1e-16


def test_the_constants_quadrature_gives_the_closed_forms_digits():
    for symbol, define in CONSTANTS.items():
        assert sympy.N(define(), 30) == constant_values(30)[symbol], symbol


def test_a_derived_spec_is_its_parent_with_the_substitution():
    child = InitializerSpec("Child", ("child",), "fixed", derived_from=Derivation("Base", arguments=(("scale", 2),)))
    resolved = lowered(child, {"Base": BASE, "Child": child})
    assert resolved.arguments == ()
    assert resolved.cases[0].distribution.values[sympy.Symbol("stddev", real=True)] == sympy.sqrt(2 / fan_in)
    assert resolved.parent.spec is BASE


@pytest.mark.parametrize(
    ("derivation", "message"),
    [
        (Derivation("Missing"), "derived from unknown initializer 'Missing'"),
        (Derivation("Base", arguments=(("gain", 2),)), "Base has no argument 'gain' to fix"),
        (Derivation("Base", choices=(("mode", "fan_in"),)), "Base has no option mode='fan_in'"),
    ],
)
def test_bad_derivations_name_the_file_and_the_problem(derivation, message):
    child = InitializerSpec("Child", ("child",), "bad", derived_from=derivation, source="specs/initializers/child.py")
    with pytest.raises(SpecError, match=f"specs/initializers/child.py: Child: {message}"):
        lowered(child, {"Base": BASE, "Child": child})


def test_an_unknown_family_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown distribution family 'laplace'; known: .*normal.*uniform"):
        distribution("laplace", loc=0, scale=1)


def test_a_stray_symbol_is_named():
    stray = sympy.Symbol("oops")
    spec = InitializerSpec(
        "Stray", ("stray",), "bad", cases=(Case((), distribution("normal", mean=stray, stddev=1)),), source="s.py"
    )
    with pytest.raises(SpecError, match="symbol 'oops'"):
        lowered(spec, {"Stray": spec})


def test_a_spec_needs_a_distribution():
    spec = InitializerSpec("Empty", ("empty",), "nothing", source="e.py")
    with pytest.raises(SpecError, match="declares no distribution"):
        lowered(spec, {"Empty": spec})


def test_a_default_outside_its_domain_is_rejected():
    sigma = sympy.Symbol("sigma", real=True)
    spec = InitializerSpec(
        "Negative",
        ("negative",),
        "bad default",
        arguments=(Hyperparameter(sigma, "stddev", -1.0, sympy.Interval(0, sympy.oo), "sd"),),
        cases=(Case((), distribution("normal", mean=0, stddev=sigma)),),
        source="n.py",
    )
    with pytest.raises(SpecError, match=r"default -1\.0 of stddev is outside"):
        lowered(spec, {"Negative": spec})


def test_an_argument_without_a_default_is_required_and_checked_at_the_middle_of_its_typical_range():
    """Such an argument once stopped the emitter with a TypeError traceback. It is now one the class requires (a
    bias's weight_fan_in); where one value must stand for it, it takes the geometric middle of a log range, whole
    in a whole-number domain."""
    n = sympy.Symbol("n", integer=True, positive=True)
    count = Hyperparameter(n, "n", None, sympy.Range(1, sympy.oo), "a count", typical=Typical(1, 4096, log=True))
    spec = InitializerSpec(
        "Required",
        ("required",),
        "no default",
        arguments=(count,),
        cases=(Case((), distribution("normal", mean=0, stddev=1 / sympy.sqrt(n))),),
        source="r.py",
    )
    resolved = lowered(spec, {"Required": spec})
    assert example_value(count) == 64.0
    assert parameters_at(resolved, {}, {}, (3, 3)) == ("normal", {"mean": 0.0, "stddev": 0.125})
    assert parameters_at(resolved, {"n": 4.0}, {}, (3, 3)) == ("normal", {"mean": 0.0, "stddev": 0.5})


def test_hoisting_keeps_per_element_work_in_the_loop_only():
    plan = plan_family(FAMILIES["uniform"])
    hoisted = dict(plan.hoisted)
    (width,) = [s for s in plan.scalars if s in hoisted]
    minval, maxval = FAMILIES["uniform"].parameters
    assert hoisted[width] == maxval - minval
    assert sympy.expand(plan.sample - (minval + width * sympy.Symbol("u", real=True))) == 0
    truncated = plan_family(FAMILIES["truncated_normal"])
    assert truncated.hoisted == ()  # its bounds are parameters: nothing is left to hoist
    assert truncated.scalars == FAMILIES["truncated_normal"].parameters


_REGISTERED = {spec.name: spec for spec in load_registry(SPECS_DIR).initializers}


@pytest.mark.parametrize("name", sorted(_REGISTERED))
def test_every_registered_initializer_validates_and_resolves(name):
    resolved = lowered(_REGISTERED[name], _REGISTERED)
    assert resolved.cases and all(case.distribution.family in FAMILIES for case in resolved.cases)


@pytest.mark.parametrize("name", sorted(n for n, spec in _REGISTERED.items() if spec.derived_from is not None))
def test_every_derived_initializer_states_a_published_closed_form(name):
    """A derived initializer's generated checks compare its derivation with its parent's; a closed form stated
    independently (the paper's or the library's documented formula) is what ties the derivation to the literature."""
    relations = load_registry(SPECS_DIR).relations
    assert any(isinstance(r, ClosedForm) and r.initializer == name for r in relations), name


def test_he_normal_uses_the_constant_symbolically():
    """HeNormal's stddev is sqrt(2/fan_in) divided by the named constant, not by a number typed in."""
    if "HeNormal" not in _REGISTERED:
        pytest.skip("the registry under test has no HeNormal")
    he_normal = lowered(_REGISTERED["HeNormal"], _REGISTERED)
    stddev = he_normal.cases[0].distribution.values[sympy.Symbol("stddev", real=True)]
    assert truncated_std in stddev.free_symbols
    assert sympy.simplify(stddev * truncated_std - sympy.sqrt(2 / fan_in)) == 0


@pytest.mark.parametrize(
    ("shape", "fans"), [((), (1, 1)), ((9,), (9, 9)), ((4, 6), (4, 6)), ((2, 3, 4), (6, 8)), ((5, 5, 3, 7), (75, 175))]
)
def test_the_symbolic_fans_evaluate_to_kerass(shape, fans):
    assert fans_of(shape) == fans


@pytest.mark.parametrize("name", ["fan_in", "seed", "x0", "lambda"])
def test_argument_symbols_may_not_take_names_the_generated_code_uses(name):
    symbol = sympy.Symbol(name, real=True)
    spec = InitializerSpec(
        "Clash",
        ("clash",),
        "bad name",
        arguments=(Hyperparameter(symbol, "value", 0.0, sympy.Interval(-sympy.oo, sympy.oo), "v"),),
        cases=(Case((), distribution("constant", value=symbol)),),
        source="c.py",
    )
    with pytest.raises(SpecError, match=f"symbol '{name}'"):
        lowered(spec, {"Clash": spec})


# ----------------------------------------------------------------- derived specs with arguments and valued choices

_gain = sympy.Symbol("gain", positive=True)
_GAIN = Hyperparameter(_gain, "gain", 1.0, sympy.Interval.open(0, sympy.oo), "g")


def _child(**fields) -> InitializerSpec:
    """A spec derived from VarianceScaling, on purpose: the derivation features it has (choices to restrict)."""
    if "VarianceScaling" not in _REGISTERED:
        pytest.skip("the registry under test has no VarianceScaling")
    fields.setdefault("derived_from", Derivation("VarianceScaling", arguments=(("scale", _gain**2),)))
    return InitializerSpec("Child", ("child",), "a child", source="specs/initializers/child.py", **fields)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "symbol 'gain': scale is fixed to gain\\*\\*2, which uses undeclared symbols"),
        (
            {"arguments": (_GAIN,), "derived_from": Derivation("VarianceScaling", restrict=(("mode", ("fan_out",)),))},
            "restricting mode to \\('fan_out',\\) drops the default 'fan_in'",
        ),
        (
            {"arguments": (_GAIN,), "choices": (Choice("k", ("a", "b"), "a", "k", sets=_gain, values=(("a", 1),)),)},
            "symbol 'gain': valued choice k: needs exactly one value per option",
        ),
        ({"arguments": (_GAIN,), "layout": "jax"}, "unknown layout 'jax'"),
    ],
)
def test_bad_derived_specs_name_the_problem(fields, message):
    child = _child(**fields)
    with pytest.raises(SpecError, match=f"specs/initializers/child.py: Child: {message}"):
        lowered(child, {**_REGISTERED, "Child": child})


def test_a_valued_choice_sets_its_symbol_and_the_derivation_uses_it():
    level = sympy.Symbol("level", positive=True)
    choice = Choice("size", ("small", "large"), "small", "", sets=_gain, values=(("small", 1), ("large", 2 * level)))
    child = _child(
        arguments=(Hyperparameter(level, "level", 3.0, sympy.Interval.open(0, sympy.oo), "l"),),
        choices=(choice,),
        derived_from=Derivation(
            "VarianceScaling", arguments=(("scale", _gain**2),), choices=(("distribution", "untruncated_normal"),)
        ),
        layout="torch",
    )
    resolved = lowered(child, {**_REGISTERED, "Child": child})
    assert [h.argument for h in resolved.arguments] == ["level"]
    assert [c.argument for c in resolved.choices] == ["mode", "size"]
    assert resolved.layout == "torch" and len(resolved.cases) == 3  # one per mode; size selects no case
    family, parameters = parameters_at(resolved, {"level": 1.5}, {"size": "large", "mode": "fan_out"}, (4, 9))
    assert family == "normal" and parameters["stddev"] == pytest.approx(3.0 / 3.0, rel=1e-15)  # 2·1.5 / sqrt(9)


def test_a_derivation_that_fixes_a_valued_choice_gives_its_symbol_that_value():
    """KaimingUniform with nonlinearity fixed to relu draws with the gain sqrt(2) written in: no free gain is left
    for the generated code to name (it would be a NameError at run time)."""
    if "KaimingUniform" not in _REGISTERED:
        pytest.skip("the registry under test has no KaimingUniform")
    child = InitializerSpec(
        "Child",
        ("child",),
        "relu's kaiming_uniform_ by fan_in",
        derived_from=Derivation("KaimingUniform", choices=(("nonlinearity", "relu"), ("mode", "fan_in"))),
        source="specs/initializers/child.py",
    )
    resolved = lowered(child, {**_REGISTERED, "Child": child})
    (case,) = resolved.cases
    maxval = dict(case.distribution.parameters)[sympy.Symbol("maxval", real=True)]
    assert sympy.simplify(maxval - sympy.sqrt(6 / fan_in)) == 0
    assert maxval.free_symbols == {fan_in}


def test_a_case_that_draws_with_an_undefined_symbol_is_refused():
    """The last guard before code is generated: a name the generated module would not define is a build error."""
    resolved = lowered(_REGISTERED["RandomNormal"], _REGISTERED)
    stray = sympy.Symbol("stray")
    broken = dataclasses.replace(resolved, cases=(Case((), distribution("normal", mean=stray, stddev=1)),))
    with pytest.raises(SpecError, match="RandomNormal: symbol 'stray': the normal case"):
        check_drawn_symbols(broken)


def test_the_family_table_writes_each_parameter_under_one_root_and_keeps_its_value():
    """The docs' variance-scaling table prints √3·√s/√n as √(3s/n): the combined form must be the same number, and
    leave no root inside its root. Every distribution parameter of every case of the registry is tried."""
    specs = {spec.name: spec for spec in load_registry(SPECS_DIR).initializers}
    combined = 0
    for spec in specs.values():
        for case in resolve(spec, specs).cases:
            for parameter in case.distribution.values.values():
                form = one_root(sympy.sympify(parameter))
                if form is None:
                    continue
                outside, inside = form
                assert not any(power.exp.q == 2 for power in inside.atoms(sympy.Pow)), (spec.name, inside)
                assert sympy.simplify(outside * sympy.sqrt(inside) - parameter) == 0, (spec.name, parameter)
                combined += 1
    assert combined >= 5, "the registry's uniform bounds (√3·√s/√n and the like) are combined"
