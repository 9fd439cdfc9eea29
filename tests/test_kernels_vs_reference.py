"""Every generated kernel against its spec, evaluated without the generator (``codegen.verify.reference``).

For every spec of the registry under test and every setting of its options
(``weight_decay`` included), the generated optimizer class of the package under
test (runtime, per-step scalars and kernel together) trains ``SIZE``
parameters for ``STEPS`` steps in float32 and float64, with hyperparameters
drawn from their typical ranges (``typical_range``, inside their declared
domains) and gradients spread over five decades, with exact zeros. The reference evaluates
the spec's assignments at 50 digits and carries a forward error bound beside
each value (how it is built: the reference's docstring). Tolerances:

- one step: the reference steps from the kernel's own state (exact inputs).
  The kernel must land within the one-step bound: two roundings of relative
  u per operation of the spec's expression, at the precision where the
  operation runs (float64 for the per-step scalars, plus one rounding where a
  scalar is cast to float32; the array's dtype in the loop). For
  ``w ← w − η·g`` in float32 that is about 2u·|η·g| + 2u·|w − η·g| + the cast
  of η, i.e. a few ulps of the inputs, not of the result: where the result
  cancels (``m + (1-β)(g-m) ≈ 0``) its own ulps are tiny, so a flat ulp count
  of the result would be wrong. The kernels measure about half the bound: one
  rounding per operation, as expected of the same formula.
- whole trajectory: the reference runs on from its own state, its bound
  carried from step to step through the update's signed sensitivities. The
  kernel's 200-step trajectory must stay inside it, and the bound must stay
  below 2^14 u of the parameters' scale, or agreement would prove little.

Controls show the checks can fail: float32-rounded scalars in a float64
kernel and scalars off by 2^-12 in a float32 kernel are caught; a hand-written
kernel that rounds to the next coarser format leaves the bound. The compiled
kernels are checked too: float32 stays float32, and every element loop is
SIMD-vectorised.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numba
import numpy as np
import pytest
import sympy
from helpers import package, submodule_of
from numba import types
from optimizer_cases import SPECS, Case, all_cases, arguments

from codegen.language.optimizer import Hyperparameter, OptimizerSpec, State, eta, g, learning_rate, tensor_sum, w
from codegen.lower.optimizer import lower
from codegen.proofs.optimizer_reference import Reference, StepResult, join

STEPS = 200
SIZE = 16
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
trainspec = package()
CASES = {case.id: case for case in all_cases(DTYPES)}


def gradients(rng: np.random.Generator, dtype: np.dtype, steps: int) -> np.ndarray:
    """Each coordinate at its own scale over five decades; 10% exact zeros; coordinate 0 never gets one."""
    scale = 10.0 ** rng.uniform(-3, 2, SIZE)
    grads = scale * rng.standard_normal((steps, SIZE))
    grads[rng.random((steps, SIZE)) < 0.1] = 0.0
    grads[:, 0] = 0.0
    return grads.astype(dtype)


# --------------------------------------------------------------------------- running and comparing


@dataclass
class Worst:
    """The worst error seen, as a fraction of the bound, and where it happened."""

    ratio: float = 0.0
    where: str = "nowhere"
    ulps: float = 0.0  # the worst error in ulps of the reference result, for the report

    def record(self, result: StepResult, symbol: sympy.Symbol, kernel: np.ndarray, dtype: np.dtype, at: str) -> None:
        reference = result.values(symbol)[: kernel.size]
        radius = result.radius(symbol)[: kernel.size]
        error = np.array([abs(float(r - float(k))) for k, r in zip(kernel, reference)])
        error = np.where(np.isnan(error), np.inf, error)
        ratio = np.divide(error, radius, out=np.where(error > 0, np.inf, 0.0), where=radius > 0)
        exact = np.abs(result.quantities[symbol].approx[: kernel.size]).astype(dtype)
        self.ulps = max(self.ulps, float(np.max(error / np.spacing(exact))))
        index = int(np.argmax(ratio))
        if ratio[index] > self.ratio:
            self.ratio = float(ratio[index])
            ulps = error[index] / np.spacing(exact[index])
            self.where = (
                f"{at}, {symbol} element {index}: kernel {float(kernel[index])!r}, reference "
                f"{float(reference[index])!r}, error {error[index]:.3g} ({ulps:.3g} ulp of the result), "
                f"bound {radius[index]:.3g}"
            )


@dataclass
class Outcome:
    one_step: Worst = field(default_factory=Worst)
    trajectory: Worst = field(default_factory=Worst)
    final_bound: float = 0.0  # the trajectory bound on w after the last step, relative to max |w|
    final_error: float = 0.0  # the kernel's distance from the reference trajectory, relative to max |w|


Mutation = Callable[[tuple[float, ...]], tuple[float, ...]]


def run(case: Case, steps: int = STEPS, mutation: Mutation | None = None) -> Outcome:
    """Train with the generated class and follow it with the reference, step by step."""
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    chosen = arguments(case, rng)
    optimizer = trainspec.OPTIMIZERS[case.spec.name](**chosen)
    assert optimizer.variant.name == case.variant, "the class selects another variant than the lowering"
    if mutation is not None:
        optimizer.variant = dataclasses.replace(optimizer.variant, scalars=mutated(optimizer.variant.scalars, mutation))
    reference = Reference(case.spec, dict(case.switches), chosen, case.dtype)
    param = rng.standard_normal(SIZE).astype(case.dtype)
    optimizer.build([param])
    trajectory = reference.initial(param)
    outcome = Outcome()
    for step, grad in enumerate(gradients(rng, case.dtype, steps), start=1):
        before, param_before = optimizer.get_state(), param.copy()
        optimizer.apply([grad], [param])
        after = optimizer.get_state()
        scalars = {**before["optimizer_state"], **before["tensor_state"][0]}
        exact = reference.kernel_inputs(param_before, before["slots"][0], scalars, trajectory)
        both = reference.step(join(exact, trajectory), np.concatenate([grad, grad]), step, tensors=(SIZE, SIZE))
        one, own = both.part(0, SIZE), both.part(SIZE, 2 * SIZE)
        for symbol, kernel in kernel_outputs(case.spec, param, after).items():
            dtype = case.dtype if kernel.size == SIZE else np.dtype(np.float64)
            outcome.one_step.record(one, symbol, kernel, dtype, f"step {step}")
            outcome.trajectory.record(own, symbol, kernel, dtype, f"step {step}")
        trajectory = reference.carried(own)
    scale = float(np.max(np.abs(param)))
    outcome.final_bound = float(np.max(own.radius(w))) / scale
    outcome.final_error = max(abs(float(r - float(k))) for k, r in zip(param, own.values(w))) / scale
    return outcome


def mutated(scalars: Callable, mutation: Mutation) -> Callable:
    """The variant's per-step scalar function with ``mutation`` applied to the scalars it hands the kernel."""

    def wrong(*arguments: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
        loop_scalars, optimizer_state = scalars(*arguments)
        return mutation(loop_scalars), optimizer_state

    return wrong


def kernel_outputs(spec: OptimizerSpec, param: np.ndarray, state: dict) -> dict[sympy.Symbol, np.ndarray]:
    """What the kernel keeps after a step: ``w`` and each state it holds, by spec symbol."""
    outputs = {w: param}
    for declared in spec.state:
        if declared.name in state["slots"][0]:
            outputs[declared.symbol] = state["slots"][0][declared.name]
        elif declared.name in state["optimizer_state"]:
            outputs[declared.symbol] = np.array([state["optimizer_state"][declared.name]])
        elif declared.name in state["tensor_state"][0]:
            outputs[declared.symbol] = np.array([state["tensor_state"][0][declared.name]])
    return outputs


@functools.cache
def outcome_of(case_id: str) -> Outcome:
    return run(CASES[case_id])


# --------------------------------------------------------------------------- numeric agreement


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_every_variant_is_exercised(spec: OptimizerSpec) -> None:
    exercised = {case.variant for case in CASES.values() if case.spec is spec}
    assert exercised == {variant.name for variant in lower(spec).variants}


@pytest.mark.parametrize("case_id", list(CASES))
def test_one_step_error_is_within_the_rounding_bound(case_id: str) -> None:
    worst = outcome_of(case_id).one_step
    assert worst.ratio <= 1.0, f"one step exceeds its rounding bound by {worst.ratio:.3g}x at {worst.where}"


# Updates for which the first-order trajectory bound may say nothing, each recognised from the variant's own
# equations, with the reason. Such a case leaves the trajectory test only where its bound is indeed past the limit
# (the rule cannot hide a case whose bound says something); the one-step test still runs for it (and passes at
# under half its bound at every step: the kernel is right step by step). Coordinate 0 never gets a gradient
# (``gradients``), so with an L2 term its gradient is λw, nearly constant from step to step.
_SIGN = (
    "the step is η·sign(…) (Lion: sign(β1 m + (1 − β1) g)): wherever the argument lies within its radius of 0 the "
    "bound must allow a flip, 2η, and the carried bound grows past 2^14 u (a few % of |w| in float32) while the "
    "kernel stays within 1e-5 of |w| from the reference"
)
_CANCELLING_ROOT = (
    "the update divides by the root of a difference of averages with nothing added to keep it from 0 (centered "
    "RMSprop's sqrt(v − ḡ²), ε outside the root), and its gradient carries an L2 term: with the nearly constant "
    "gradient λw of coordinate 0 the difference cancels to about 0, where the root's derivative is unbounded, so "
    "the propagated bound becomes huge or NaN (infinite sensitivity), not a statement about the kernel"
)

_SUMMED = (
    "the update reads sums over the tensor (LAMB's ‖w‖ and ‖r‖): a sum keeps no signed part of its terms' errors, "
    "so every element's carried error enters every element's next step whole, and the bound grows with the size "
    "and the steps (to 2.7e-12 of |w| after 200 float64 steps of Lamb with weight decay) while the kernel stays "
    "within 1e-15 of |w| from the reference"
)


def trajectory_bound_may_say_nothing(case: Case) -> str | None:
    """Why the trajectory bound may not judge ``case``'s variant (see the reasons above), or None."""
    variant = next(v for v in lower(case.spec).variants if v.name == case.variant)
    states = {state.symbol for state in variant.state}
    inlined = _inlined(variant.assignments, {w, *states})
    if any(rhs.has(sympy.sign) for rhs in inlined.values()):
        return _SIGN
    if any(rhs.has(tensor_sum) for rhs in inlined.values()):
        return _SUMMED
    roots = [p for rhs in inlined.values() for p in rhs.atoms(sympy.Pow) if abs(p.exp) == sympy.Rational(1, 2)]
    if any(_difference_of_squares(root.base, states) for root in roots) and _gradient_depends_on_w(inlined, states):
        return _CANCELLING_ROOT
    return None


def _inlined(assignments, kept: set) -> dict[sympy.Symbol, sympy.Expr]:
    """Each assigned symbol's right-hand side with the locals before it written out (``kept`` stay symbols)."""
    definitions: dict[sympy.Symbol, sympy.Expr] = {}
    inlined = {}
    for lhs, rhs in assignments:
        inlined[lhs] = rhs.xreplace(definitions)
        if lhs not in kept:
            definitions[lhs] = inlined[lhs]
    return inlined


def _difference_of_squares(base: sympy.Expr, states: set) -> bool:
    """``base`` is a sum of states alone, one of them squared and subtracted (v − ḡ²)."""
    squares = [-term for term in sympy.Add.make_args(base) if term.could_extract_minus_sign()]
    subtracted = any(square.is_Pow and square.exp == 2 and square.base in states for square in squares)
    return subtracted and base.free_symbols <= states


def _gradient_depends_on_w(inlined: dict[sympy.Symbol, sympy.Expr], states: set) -> bool:
    """A local of the update combines g with w (an L2 term g + λw)."""
    return any(lhs not in {w, *states} and rhs.has(g) and rhs.has(w) for lhs, rhs in inlined.items())


def _bound_limit(case_id: str) -> float:
    # The bound must still say something after 200 steps: at most 2^14 unit roundoffs of the parameters'
    # scale (about 80 per step; 1e-3 in float32, 2e-12 in float64), or agreement would prove little.
    return 2.0**14 * float(np.finfo(CASES[case_id].dtype).eps) / 2


@pytest.mark.parametrize("case_id", list(CASES))
def test_trajectory_stays_within_the_propagated_bound(case_id: str) -> None:
    outcome = outcome_of(case_id)
    limit = _bound_limit(case_id)
    reason = trajectory_bound_may_say_nothing(CASES[case_id])
    if reason is not None and not outcome.final_bound < limit:
        pytest.skip(f"the trajectory bound grew to {outcome.final_bound:.3g} of max |w|: {reason}")
    worst = outcome.trajectory
    assert worst.ratio <= 1.0, (
        f"the trajectory leaves its bound by {worst.ratio:.3g}x at {worst.where}; after {STEPS} steps the "
        f"kernel is {outcome.final_error:.3g} of max |w| from the reference"
    )
    assert outcome.final_bound < limit, f"the trajectory bound grew to {outcome.final_bound:.3g} of max |w|"


def float32_scalars(scalars: tuple[float, ...]) -> tuple[float, ...]:
    """The classic slip: per-step scalars rounded to float32 before a float64 kernel uses them."""
    return tuple(float(np.float32(s)) for s in scalars)


def scalars_off_by_2_to_minus_12(scalars: tuple[float, ...]) -> tuple[float, ...]:
    """Per-step scalars with a relative error of 2^-12: 4096 float32 ulps, half a float32 mantissa."""
    return tuple(s * (1 + 2.0**-12) for s in scalars)


@pytest.mark.parametrize("case_id", list(CASES))
def test_the_bound_catches_scalars_in_too_low_a_precision(case_id: str) -> None:
    case = CASES[case_id]
    mutation = float32_scalars if case.dtype == np.float64 else scalars_off_by_2_to_minus_12
    worst = run(case, steps=20, mutation=mutation).one_step
    assert worst.ratio > 1.0, f"{mutation.__name__} went unnoticed (worst {worst.ratio:.3g} of the bound)"


# --------------------------------------------------------------------------- compiled code


def element_functions(variant) -> dict[str, numba.core.dispatcher.Dispatcher]:
    """A variant's element loops by role: its kernel; or, for a variant with sums over the tensor, the pass computing
    them and the update, which its whole-step kernel calls in that order (around the per-tensor values)."""
    if variant.reduction is None:
        return {"kernel": variant.kernel}
    step = variant.kernel.py_func
    called = [step.__globals__[name] for name in step.__code__.co_names if name in step.__globals__]
    loops = [f for f in called if isinstance(f, numba.core.dispatcher.Dispatcher) and f is not variant.reduction.finish]
    return {"reduce": loops[0], "update": loops[-1]}


def kernel_variants() -> list[tuple[str, str, str]]:
    """(module, variant, role) of every distinct generated element loop, each once (modules share identical ones)."""
    found: dict = {}
    for spec in SPECS:
        for name, variant in submodule_of(f"optimizers.{spec.module_name}").VARIANTS.items():
            for role, function in element_functions(variant).items():
                found.setdefault(function, (spec.module_name, name, role))
    return list(found.values())


@functools.cache
def compiled(module: str, variant: str, role: str, dtype_name: str) -> tuple[numba.core.dispatcher.Dispatcher, tuple]:
    """One of the variant's element loops compiled afresh (no disk cache, so the typing is kept) for one dtype."""
    generated = submodule_of(f"optimizers.{module}").VARIANTS[variant]
    kernel = element_functions(generated)[role]
    options = {k: v for k, v in kernel.targetoptions.items() if k not in ("cache", "nopython")}
    dispatcher = numba.njit(**options)(kernel.py_func)
    dtype = getattr(types, dtype_name)
    arrays = (types.Array(dtype, 1, "C"),) * (2 + len(generated.state))
    if role == "reduce":  # it leaves its sums in a float64 array after the arrays
        arrays += (types.Array(types.float64, 1, "C"),)
    signature = arrays + (dtype,) * (kernel.py_func.__code__.co_argcount - len(arrays))
    dispatcher.compile(signature)
    return dispatcher, signature


# A pass computing sums over the tensor adds its terms (computed in the array's dtype) in float64, on purpose.
ACCUMULATORS = re.compile(r"(arg\.)?sums|sum\d+(\.\d+)?|\$binop_iadd[\d.]+")


def float64_locals(dispatcher: numba.core.dispatcher.Dispatcher, signature: tuple) -> dict[str, str]:
    """Every variable Numba typed as float64 (or anything containing float64) in this compilation."""
    typemap = dispatcher.overloads[signature].type_annotation.typemap
    return {name: str(typ) for name, typ in typemap.items() if "float64" in str(typ)}


def vectorised(dispatcher: numba.core.dispatcher.Dispatcher, signature: tuple, dtype_name: str) -> bool:
    """Whether LLVM's loop vectoriser turned the element loop into packed arithmetic of this dtype."""
    ir = dispatcher.inspect_llvm(signature)
    element = {"float32": "float", "float64": "double"}[dtype_name]
    packed = re.search(rf"\bf(?:add|sub|mul|div) (?:\w+ )*<\d+ x {element}>", ir)
    return "llvm.loop.isvectorized" in ir and packed is not None


@pytest.mark.parametrize(("module", "variant", "role"), kernel_variants())
def test_float32_kernel_computes_in_float32(module: str, variant: str, role: str) -> None:
    dispatcher, signature = compiled(module, variant, role, "float32")
    promoted = {name: typ for name, typ in float64_locals(dispatcher, signature).items()}
    if role == "reduce":
        promoted = {name: typ for name, typ in promoted.items() if not ACCUMULATORS.fullmatch(name)}
    assert promoted == {}, "a float32 kernel promotes to float64"


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize(("module", "variant", "role"), kernel_variants())
def test_element_loop_is_vectorised(module: str, variant: str, role: str, dtype_name: str) -> None:
    # Every kernel vectorises on x86-64 (AVX2 here: 8 float / 4 double lanes). Ftrl's pow has no packed
    # form without Intel's SVML, so its vector loop calls scalar powf/pow once per lane, between packed
    # arithmetic; it still counts as vectorised, and still passes this test. A pass computing sums over the tensor
    # may reassociate them (fastmath reassoc, on that pass alone): its float64 accumulators are vectors too.
    dispatcher, signature = compiled(module, variant, role, dtype_name)
    assert vectorised(dispatcher, signature, dtype_name), (
        f"{variant} ({dtype_name}) runs its loop one element at a time"
    )


def test_float64_detector_sees_a_python_float_literal() -> None:
    def scaled(values, offset):
        for i in range(values.size):
            values[i] = values[i] * 0.5 + offset  # 0.5 is a float64 constant: the product is float64

    dispatcher = numba.njit(error_model="numpy")(scaled)
    signature = (types.Array(types.float32, 1, "C"), types.float32)
    dispatcher.compile(signature)
    assert float64_locals(dispatcher, signature)


def test_vectorisation_detector_sees_pythons_error_model() -> None:
    # error_model="python" checks every division for zero and raises: the loop cannot be vectorised. Adam's
    # kernel divides by √v + ε.
    found = next(((m, v, r) for m, v, r in kernel_variants() if m == "adam"), None)
    if found is None:
        pytest.skip("Adam is not registered")
    module, variant, role = found
    kernel = submodule_of(f"optimizers.{module}").VARIANTS[variant].kernel
    dispatcher = numba.njit(error_model="python")(kernel.py_func)
    _, signature = compiled(module, variant, role, "float64")
    dispatcher.compile(signature)
    assert not vectorised(dispatcher, signature, "float64")


# --------------------------------------------------------------------------- the reference itself

_a, _s = sympy.symbols("a s")
SYNTHETIC = OptimizerSpec(
    name="Synthetic",
    aliases=("synthetic",),
    summary="every kind of node the reference evaluates, in one update",
    hyperparameters=(learning_rate(0.1), Hyperparameter(_a, "a", 0.5, sympy.Interval(0, 1), "an exponent")),
    state=(State(_s, "s", 0, "a state"),),
    update=(
        (_s, _a * _s + sympy.exp(-(g**2)) * sympy.sign(g) + sympy.Abs(g) / 3),
        (w, w - eta * sympy.Max(sympy.log(1 + _s**2), sympy.Min(sympy.sqrt(sympy.Abs(_s)), g**3)) / (2 + w**2) ** _a),
    ),
)


def synthetic_kernel(cast: Callable[[float], float], w0: float, g0: float, s0: float, eta0: float, a0: float):
    """``SYNTHETIC`` written out by hand, one rounding to ``cast``'s precision after each operation."""
    a, eta_, third = cast(a0), cast(eta0), cast(1 / 3)
    s = cast(cast(cast(a * s0) + cast(cast(math.exp(cast(-(g0 * g0)))) * cast(np.sign(g0)))) + cast(abs(g0) * third))
    log_term = cast(math.log(cast(1 + cast(s * s))))
    root_or_cube = min(cast(math.sqrt(abs(s))), cast(cast(g0 * g0) * g0))
    scale = cast(math.pow(cast(2 + cast(w0 * w0)), cast(-a)))
    return cast(w0 - cast(cast(eta_ * max(log_term, root_or_cube)) * scale)), s


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_reference_agrees_with_sympy_and_bounds_a_hand_written_kernel(dtype: np.dtype) -> None:
    rng = np.random.default_rng(7)
    chosen = {"learning_rate": 0.05, "a": 0.37}
    reference = Reference(SYNTHETIC, {"weight_decay": False}, chosen, dtype)
    param, grad = rng.standard_normal(SIZE).astype(dtype), (3 * rng.standard_normal(SIZE)).astype(dtype)
    state = (0.5 * rng.standard_normal(SIZE)).astype(dtype)
    grad[:3] = 0.0
    result = reference.step(reference.kernel_inputs(param, {"s": state}, {}, reference.initial(param)), grad, 1)

    # The values: SymPy's own evaluation of the composed update, at 60 digits.
    exact = {eta: sympy.Float(0.05, 60), _a: sympy.Float(0.37, 60)}
    new_s = SYNTHETIC.update[0][1]
    new_w = SYNTHETIC.update[1][1].xreplace({_s: new_s})
    for i in range(SIZE):
        inputs = {**exact, w: sympy.Float(float(param[i]), 60), g: sympy.Float(float(grad[i]), 60)}
        inputs[_s] = sympy.Float(float(state[i]), 60)
        for symbol, expr in ((_s, new_s), (w, new_w)):
            expected = sympy.N(expr.xreplace(inputs), 50)
            got = sympy.Float(str(result.values(symbol)[i]), 50)
            assert abs(got - expected) <= 1e-45 * max(abs(expected), 1e-300), (symbol, i, got, expected)

    # The bound: a kernel that rounds after every operation of the spec's expression stays inside it;
    # the same kernel rounding to the next coarser format (float16 for float32, float32 for float64) does not.
    coarser = {np.float32: np.float16, np.float64: np.float32}[dtype.type]
    assert worst_synthetic_ratio(result, param, grad, state, dtype.type) <= 1.0
    assert worst_synthetic_ratio(result, param, grad, state, coarser) > 1.0


def worst_synthetic_ratio(result: StepResult, param, grad, state, precision: type) -> float:
    """The hand-written kernel's worst error, rounding to ``precision``, as a fraction of the reference's bound."""
    worst = 0.0
    for i in range(SIZE):
        new_w, new_s = synthetic_kernel(
            lambda x: float(precision(x)), float(param[i]), float(grad[i]), float(state[i]), 0.05, 0.37
        )
        for symbol, value in ((w, new_w), (_s, new_s)):
            worst = max(worst, abs(float(result.values(symbol)[i] - value)) / result.radius(symbol)[i])
    return worst


_c = sympy.Symbol("c")
BRANCHING = OptimizerSpec(
    name="Branching",
    aliases=("branching",),
    summary="a per-element branch on a product compared with a threshold",
    hyperparameters=(learning_rate(0.1), Hyperparameter(_c, "c", 1.0, sympy.Interval(0, 2), "a threshold")),
    state=(),
    update=((w, w - eta * sympy.Piecewise((g, g * w > _c), (-g, True))),),
)


def test_reference_takes_each_elements_branch_and_bounds_one_rounding_can_flip() -> None:
    """Elements far from the threshold get their branch's value and its usual small bound. At 1 + 2^-20 squared,
    the exact product is above c = 1 + 2^-19 but its float32 rounding is not: a correct kernel may take either
    branch, so the bound must reach the other one (2ηg away)."""
    near = 1 + 2.0**-20
    param = np.array([2.0, -2.0, near], dtype=np.float32)
    grad = np.array([1.0, 1.0, near], dtype=np.float32)
    chosen = {"learning_rate": 0.1, "c": 1 + 2.0**-19}
    reference = Reference(BRANCHING, {"weight_decay": False}, chosen, np.dtype(np.float32))
    result = reference.step(reference.kernel_inputs(param, {}, {}, reference.initial(param)), grad, 1)
    values = [float(v) for v in result.values(w)]
    radius = result.radius(w)
    assert values[:2] == pytest.approx([2.0 - 0.1, -2.0 + 0.1], rel=1e-15)  # above (2 > c), below (-2 < c)
    assert values[2] == pytest.approx(near - 0.1 * near, rel=1e-15)  # exactly, the product is above c
    assert (radius[:2] < 1e-6).all()
    kernel_other_branch = float(np.float32(near) + np.float32(0.1) * np.float32(near))
    assert radius[2] >= abs(kernel_other_branch - values[2])
