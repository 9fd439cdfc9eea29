"""Implementations that ``trainspec verify`` referees: torch.optim, keras.optimizers, optax, or a user's function.

Every adapter gives the same thing, a ``Stepper``: called with the parameter
arrays, their gradients and the 1-based step, it updates the arrays in place,
as the implementation computes, in float64 NumPy arrays.

A library's class is the counterpart the spec declares in that library
(``OptimizerSpec.counterparts``), or, where it declares none, the one another
registered convention of the same method declares (Keras's Adagrad has
``torch.optim.Adagrad``; a convention without one of its own is run against
it). Values cross conventions by SymPy symbol: a derived spec shares its
parent's symbols, and a derivation that replaces one symbol by another
(TorchRMSprop's ρ → α) names one quantity twice. Flags go by name.

A user's implementation (``--against module:function``) is a function with
the signature::

    def step(params: list[np.ndarray], grads: list[np.ndarray], state: dict, t: int, **hyperparameters) -> None

It updates ``params`` in place. ``state`` is one dict per optimizer, empty on
the first call and kept between calls (store buffers in it); ``t`` is 1 on
the first step; ``hyperparameters`` are the spec's arguments by their spec
names (``learning_rate``, ``beta_1``, ``epsilon``, ...) and its flags
(``amsgrad=False``), as ``trainspec list`` and the docs name them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from codegen.errors import ImplementationError
from codegen.language.common import Counterpart, Hyperparameter, Typical, exact
from codegen.language.optimizer import OptimizerSpec
from codegen.load import Registry
from codegen.lower.optimizer import WEIGHT_DECAY

Stepper = Callable[[list[np.ndarray], list[np.ndarray], int], None]
Changes = Sequence[Mapping[str, Any]] | None
"""Per step (t - 1), the call's keywords that a scheduled learning rate changes, and their values at that step."""
Values = Mapping[str, Any]

# The library ``--against`` names, and the package its optimizers live in (for messages).
LIBRARIES = {"torch": "torch.optim", "keras": "keras.optimizers", "optax": "optax"}
LEARNING_RATE = "learning_rate"
CLIPPING = {
    name: Hyperparameter(sympy.Symbol(name), name, None, sympy.Interval.open(0, sympy.oo), description, typical)
    for name, description, typical in (
        # Each range sits below the norms and values the referee's gradients have, so clipping always acts.
        ("clipnorm", "each gradient's L2 norm clipped to this", Typical(0.5, 2.0)),
        ("clipvalue", "each gradient element clipped to ±this", Typical(0.5, 2.0)),
        ("global_clipnorm", "the L2 norm of all gradients together clipped to this", Typical(1.0, 4.0)),
    )
}
BASE_OPTIONS = {WEIGHT_DECAY.argument: WEIGHT_DECAY, **CLIPPING}
"""Keras's base options, which every optimizer in its convention takes, as the referee draws them."""
KERAS_BASE_OPTIONS = frozenset(BASE_OPTIONS)
# What keras 3.15's torch backend computes in float32 in a float64 run, measured: the clipping scales, where
# ops.maximum and ops.minimum of a float64 norm and a Python float return float32 (clipnorm moved one float64 SGD
# step by 2.9e-8 of its length). Its decay factor is rounded too, but that rounding is modelled exactly
# (``_keras_decay_factor``).
KERAS_FLOAT32_INSIDE = {
    "clipnorm": "keras's torch backend computes max(norm, clipnorm) in float32",
    "global_clipnorm": "keras's torch backend computes min(1/norm, 1/global_clipnorm) in float32",
}


@dataclass(frozen=True)
class Implementation:
    """An implementation to referee: which spec arguments it takes, and how to build a stepper from them.

    ``make(arguments, rates)`` builds a stepper; with ``rates`` the learning rate of step t is ``rates[t - 1]``.
    ``requires``: spec arguments the implementation computes the spec for only at one value (a number, or an
    expression of the spec's other symbols); ``notes``: what the report should say about it. ``base_options``:
    the Keras base options it takes (weight_decay, clipnorm, ...); ``float32_inside``: those it computes in float32
    whatever the run's dtype, each with the reason (a float64 run cannot tell its rounding from another formula).
    """

    label: str
    accepts: frozenset[str] | None  # the spec's arguments and flags it reads (None: every one)
    make: Callable[[Mapping[str, float | bool], Sequence[float] | None], Stepper]
    requires: Mapping[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    base_options: frozenset[str] = frozenset()
    float32_inside: Mapping[str, str] = field(default_factory=dict)
    rounded: Callable[[Mapping[str, float | bool]], tuple[dict[str, float | bool], str]] | None = None
    """The spec's arguments under which the spec computes what the library computes where it rounds a factor made
    of arguments to float32 (an exact model of the rounding, not a tolerance), and a note saying so."""

    def takes(self, argument: str) -> bool:
        return self.accepts is None or argument in self.accepts


def implementation(against: str, spec: OptimizerSpec, registry: Registry) -> Implementation:
    """The adapter ``against`` names: ``torch``, ``keras``, ``optax``, or ``module:name``, a step function, a
    ``torch.optim.Optimizer`` or Keras ``Optimizer`` subclass, or a function that builds an optax
    ``GradientTransformation``."""
    if against in LIBRARIES:
        chosen, declarer = counterpart(spec, against, registry)
        return _calling(against, spec, registry, chosen, declarer, imported(chosen))
    if ":" in against:
        target = user_object(against)
        library = library_of(target, against)
        if library is None:
            return _user(against, target)
        own = declared(spec, library)
        # A user's class stands in for the library's counterpart of this spec and takes its argument names; where
        # the spec declares none there, the spec's own names.
        chosen = dataclasses.replace(own, name=against, requires=(), note="") if own else Counterpart(against)
        return _calling(library, spec, registry, chosen, spec, target)
    raise ValueError(f"--against must be torch, keras, optax or module:name, not {against!r}")


def library_of(target: object, name: str) -> str | None:
    """The library whose form ``target`` has: torch or keras for a subclass of its Optimizer, optax for a function
    that builds a GradientTransformation; None for a step function (four parameters without defaults first:
    params, grads, state, t)."""
    if isinstance(target, type):
        for base in target.__mro__:
            library = base.__module__.partition(".")[0]
            if base.__name__ == "Optimizer" and library in ("torch", "keras"):
                return library
        raise ValueError(f"{name} is a class, but no torch.optim.Optimizer or keras.optimizers.Optimizer")
    if not callable(target):
        if hasattr(target, "init") and hasattr(target, "update"):
            raise ValueError(
                f"{name} is an optax GradientTransformation, its hyperparameters fixed when it was built: give the "
                "function that builds it (as optax.adam), which the referee calls with the spec's hyperparameters"
            )
        raise ValueError(f"{name} is a {type(target).__name__}, not a function or an optimizer class")
    required = [
        p
        for p in inspect.signature(target).parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return None if len(required) >= 4 else "optax"


# ----------------------------------------------------------------------------- a spec's arguments


def scalar_arguments(spec: OptimizerSpec) -> dict[str, Hyperparameter]:
    """The spec's scalar arguments by name: its hyperparameters, and Keras's base ``weight_decay`` where the spec
    gives it a default of its own (Keras's AdamW: there the decay is part of the method)."""
    found = {h.argument: h for h in spec.hyperparameters}
    if spec.weight_decay_default is not None:
        found[WEIGHT_DECAY.argument] = WEIGHT_DECAY
    return found


def flags(spec: OptimizerSpec) -> tuple[str, ...]:
    return tuple(option.argument for option in spec.options if option.kind == "flag")


def same_arguments(source: OptimizerSpec, target: OptimizerSpec, registry: Registry) -> dict[str, str]:
    """Each argument of ``source`` that ``target`` has too, with its name there: scalars by symbol, flags by name."""
    renamed = _renamings(source, target, registry)
    by_symbol = {h.symbol: name for name, h in scalar_arguments(target).items()}
    names = {
        name: by_symbol[_followed(h.symbol, renamed)]
        for name, h in scalar_arguments(source).items()
        if _followed(h.symbol, renamed) in by_symbol
    }
    names.update({flag: flag for flag in flags(source) if flag in flags(target)})
    return names


def carried(values: Values, source: OptimizerSpec, target: OptimizerSpec, registry: Registry) -> dict[str, Any]:
    """``values`` of ``source``'s arguments restated as ``target``'s, for the arguments both have."""
    return {name: values[own] for own, name in same_arguments(source, target, registry).items() if own in values}


def _renamings(source: OptimizerSpec, target: OptimizerSpec, registry: Registry) -> dict[sympy.Symbol, sympy.Symbol]:
    """Symbol-for-symbol replacements in the derivations leading to either spec, oriented from source to target."""
    pairs = {new: old for old, new in _lineage_renamings(source, registry)}
    pairs.update(dict(_lineage_renamings(target, registry)))
    return pairs


def _lineage_renamings(spec: OptimizerSpec, registry: Registry) -> list[tuple[sympy.Symbol, sympy.Symbol]]:
    """(parent's symbol, child's symbol) for each bare renaming in the derivations from ``spec``'s ancestors."""
    found = []
    while spec.derived_from is not None:
        substitution = spec.derived_from.substitution
        found += [
            (old, new) for old, new in substitution if isinstance(old, sympy.Symbol) and isinstance(new, sympy.Symbol)
        ]
        spec = registry.get(spec.derived_from.parent)
    return found


def _followed(symbol: sympy.Symbol, renamed: Mapping[sympy.Symbol, sympy.Symbol]) -> sympy.Symbol:
    seen = set()
    while symbol in renamed and symbol not in seen:
        seen.add(symbol)
        symbol = renamed[symbol]
    return symbol


# ----------------------------------------------------------------------------- declared counterparts


def declared(spec: OptimizerSpec, library: str) -> Counterpart | None:
    """The spec's own counterpart in ``library``: one that computes its formula before one that does its job."""
    own = sorted((c for c in spec.counterparts if c.library == library), key=lambda c: not c.same)
    return own[0] if own else None


def counterpart(spec: OptimizerSpec, library: str, registry: Registry) -> tuple[Counterpart, OptimizerSpec]:
    """The counterpart to run for ``spec`` and the spec that declares it: its own, else one that another registered
    convention of its method declares (one computing that convention's formula first)."""
    own = declared(spec, library)
    if own is not None:
        return own, spec
    others = [(declared(other, library), other) for other in registry.optimizers if other is not spec]
    found = [(c, other) for c, other in others if c is not None and other.method_name == spec.method_name]
    if not found:
        raise ValueError(
            f"{LIBRARIES[library]} has no counterpart of {spec.name}: neither it nor another registered convention "
            f"of the method {spec.method_name!r} declares one"
        )
    return min(found, key=lambda pair: not pair[0].same)


def mapping(counterpart: Counterpart, spec: OptimizerSpec) -> dict[str, object]:
    """Each argument the counterpart is called with, as declared; without a declaration, every scalar argument of
    the spec (its symbol) and every flag, under their own names."""
    if counterpart.arguments:
        return dict(counterpart.arguments)
    return {**{name: h.symbol for name, h in scalar_arguments(spec).items()}, **{flag: flag for flag in flags(spec)}}


def call_arguments(counterpart: Counterpart, spec: OptimizerSpec, values: Values) -> dict[str, Any]:
    """The keywords the counterpart is called with for ``spec``'s argument values by name. Where a value it needs
    is missing (or None: a base option left off), the library's default stands."""
    known = {
        h.symbol: exact(values[name]) for name, h in scalar_arguments(spec).items() if values.get(name) is not None
    }
    keywords = {}
    for keyword, declaration in mapping(counterpart, spec).items():
        value = _evaluated(declaration, spec, values, known)
        if value is not _MISSING:
            keywords[keyword] = value
    return keywords


_MISSING = object()


def _evaluated(declaration: object, spec: OptimizerSpec, values: Values, known: Mapping) -> Any:
    if isinstance(declaration, tuple):
        parts = tuple(_evaluated(part, spec, values, known) for part in declaration)
        return _MISSING if any(part is _MISSING for part in parts) else parts
    if isinstance(declaration, str):
        if declaration in flags(spec):
            return values.get(declaration, _MISSING)
        declaration = _argument(spec, declaration).symbol
    if isinstance(declaration, sympy.Basic):
        if not declaration.free_symbols <= known.keys():
            return _MISSING
        return float(declaration.xreplace(known))
    return declaration


def _argument(spec: OptimizerSpec, name: str) -> Hyperparameter:
    arguments = scalar_arguments(spec)
    if name not in arguments:
        raise ValueError(f"{spec.name}'s counterpart names {name!r}, which is none of its arguments or flags")
    return arguments[name]


def read_arguments(counterpart: Counterpart, spec: OptimizerSpec) -> frozenset[str]:
    """The spec's arguments and flags whose values reach the counterpart's call."""
    symbols = {h.symbol: name for name, h in scalar_arguments(spec).items()}
    read: set[str] = set()
    pending = list(mapping(counterpart, spec).values())
    while pending:
        declaration = pending.pop()
        if isinstance(declaration, tuple):
            pending += declaration
        elif isinstance(declaration, str):
            read.add(declaration)
        elif isinstance(declaration, sympy.Basic):
            read |= {symbols[s] for s in declaration.free_symbols if s in symbols}
    return frozenset(read)


def imported(counterpart: Counterpart) -> Any:
    """The class the counterpart names (Keras on the torch backend unless ``KERAS_BACKEND`` says otherwise)."""
    if counterpart.library == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")  # must be set before keras is first imported
    module, _, name = counterpart.name.rpartition(".")
    return getattr(importlib.import_module(module), name)


def call_text(counterpart: Counterpart, spec: OptimizerSpec, base_options: frozenset[str] = frozenset()) -> str:
    """The call as the report shows it, in the spec's argument names: ``torch.optim.RMSprop(lr=learning_rate, ...)``;
    Keras's ``base_options`` follow where the run sets them."""
    names = {h.symbol: sympy.Symbol(name) for name, h in scalar_arguments(spec).items()}

    def shown(declaration: object) -> str:
        if isinstance(declaration, tuple):
            return "(" + ", ".join(shown(part) for part in declaration) + ")"
        if isinstance(declaration, sympy.Basic):
            return sympy.sstr(declaration.xreplace(names))
        return declaration if isinstance(declaration, str) else repr(declaration)

    arguments = [f"{keyword}={shown(value)}" for keyword, value in mapping(counterpart, spec).items()]
    if base_options - set(mapping(counterpart, spec)):
        arguments.append("and the base options a variant sets, by name")
    return f"{counterpart.name}({', '.join(arguments)})"


# ----------------------------------------------------------------------------- torch.optim, keras.optimizers, optax


def _calling(
    library: str, spec: OptimizerSpec, registry: Registry, chosen: Counterpart, declarer: OptimizerSpec, cls: Any
) -> Implementation:
    """``cls`` (a library's class, or a user's in a library's form) called as ``chosen`` declares, which
    ``declarer`` declares: ``spec`` itself or another convention of its method."""
    names = same_arguments(spec, declarer, registry)
    read = read_arguments(chosen, declarer)
    accepts = frozenset(own for own, name in names.items() if name in read)
    requires = _requirements(chosen, declarer, spec, registry)

    base_options = KERAS_BASE_OPTIONS if library == "keras" and declarer.base_options == "keras" else frozenset()

    def make(arguments: Mapping[str, float | bool], rates: Sequence[float] | None = None) -> Stepper:
        def keywords_at(rate: float | None) -> dict[str, Any]:
            values = dict(arguments) if rate is None else {**arguments, LEARNING_RATE: rate}
            keywords = call_arguments(chosen, declarer, carried(values, spec, declarer, registry))
            return {**keywords, **{name: values[name] for name in base_options if values.get(name) is not None}}

        if rates is None:
            return _guarded(chosen.name, _STEPPERS[library], cls, keywords_at(None), None)
        every = [keywords_at(rate) for rate in rates]
        varying = sorted(k for k in every[0] if any(keywords[k] != every[0][k] for keywords in every))
        changes = [{k: keywords[k] for k in varying} for keywords in every]
        return _guarded(chosen.name, _STEPPERS[library], cls, every[0], changes)

    stepped = " (torch's default dtype set to the run's dtype while it steps)" if library == "torch" else ""
    called = call_text(chosen, declarer, base_options)
    notes = [f"against {called}{stepped}" + (f": {chosen.note}" if chosen.note else "")]
    if declarer is not spec:
        notes.append(f"(as {declarer.name} declares it; {spec.name}'s values go to the arguments the two share)")
    backend = keras_backend() if library == "keras" else ""
    if chosen.backends and backend not in chosen.backends:
        notes.append(
            f"{chosen.name} computes {declarer.name} on Keras's {' and '.join(chosen.backends)} backend only; this "
            f"run is on {backend} (set KERAS_BACKEND to choose)"
        )
    on_torch = backend == "torch"  # the roundings below are Keras's torch backend's
    inside = KERAS_FLOAT32_INSIDE if on_torch else {}
    rounded = _keras_decay_factor if on_torch else None
    return Implementation(chosen.name, accepts, make, requires, tuple(notes), base_options, inside, rounded)


def _keras_decay_factor(arguments: Mapping[str, float | bool]) -> tuple[dict[str, float | bool], str]:
    """Keras on torch decays by the factor 1 - λη computed in float32 (``1 - weight_decay * lr``, lr a float32
    tensor), and multiplies the weights by it in their dtype. The product is exactly the spec's decay w - λ'ηw with
    λ' = (1 - factor)/η, up to the rounding of the run's dtype: the spec runs with λ'."""
    decay, rate = arguments.get("weight_decay"), arguments.get(LEARNING_RATE)
    if not decay or not rate:
        return dict(arguments), ""
    factor = np.float32(1) - np.float32(decay) * np.float32(rate)
    effective = float(1 - np.float64(factor)) / float(rate)
    note = (
        "keras rounds its decay factor 1 - weight_decay * learning_rate to float32: the spec runs with "
        f"weight_decay={effective!r}, which gives that factor exactly"
    )
    return {**arguments, "weight_decay": effective}, note


def _requirements(
    chosen: Counterpart, declarer: OptimizerSpec, spec: OptimizerSpec, registry: Registry
) -> dict[str, object]:
    """The counterpart's pins, restated in ``spec``'s argument names and symbols."""
    names = same_arguments(declarer, spec, registry)
    own = scalar_arguments(spec)
    symbols = {h.symbol: own[names[name]].symbol for name, h in scalar_arguments(declarer).items() if name in names}
    return {
        names[name]: value.xreplace(symbols) if isinstance(value, sympy.Basic) else value
        for name, value in chosen.requires
        if name in names
    }


def _torch_stepper(cls: type, keywords: Mapping[str, Any], changes: Changes) -> Stepper:
    import torch

    tensors: list = []
    optimizer: list = []

    def step(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
        if not tensors:
            tensors.extend(torch.from_numpy(p.copy()).requires_grad_() for p in params)
            # torch's own: foreach=False, the single-tensor loop, whose arithmetic is the documented algorithm's.
            loop = {"foreach": False} if cls.__module__.startswith("torch.optim") else {}
            optimizer.append(cls(tensors, **loop, **keywords))
        for tensor, gradient in zip(tensors, grads):
            tensor.grad = torch.from_numpy(gradient.copy())
        if changes is not None:  # a scheduled learning rate, read from the group each step as torch's schedulers set it
            optimizer[0].param_groups[0].update(changes[t - 1])
        # torch keeps some scalars of the step as tensors of its default dtype (ASGD's η and μ, the step counts):
        # set to the parameters' dtype, as a float64 user sets it, so that they are not float32 in a float64 run.
        with _default_dtype(torch, tensors[0].dtype):
            optimizer[0].step()
        for p, tensor in zip(params, tensors):
            p[...] = tensor.detach().numpy()

    return step


def keras_backend() -> str:
    """The backend Keras runs on (``KERAS_BACKEND``, torch unless set)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")  # must be set before keras is first imported
    import keras

    return keras.backend.backend()


def _keras_stepper(cls: type, keywords: Mapping[str, Any], changes: Changes) -> Stepper:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)  # else JAX narrows float64 variables to float32
    variables: list = []
    optimizer: list = []

    def step(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
        if not variables:
            variables.extend(keras.Variable(p.copy(), dtype=str(p.dtype)) for p in params)
            optimizer.append(cls(**keywords))
        tensors = [keras.ops.convert_to_tensor(gradient) for gradient in grads]
        for name, value in (changes[t - 1] if changes is not None else {}).items():
            setattr(optimizer[0], name, value)  # Keras assigns a new learning rate to its variable
        optimizer[0].apply_gradients(zip(tensors, variables))
        for p, variable in zip(params, variables):
            p[...] = keras.ops.convert_to_numpy(variable)

    return step


@contextlib.contextmanager
def _default_dtype(torch, dtype) -> Iterator[None]:
    saved = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(saved)


def _optax_stepper(factory: Callable, keywords: Mapping[str, Any], changes: Changes) -> Stepper:
    import jax
    import optax

    jax.config.update("jax_enable_x64", True)  # else JAX narrows float64 arrays to float32
    if changes is not None:  # optax takes a varying value as a schedule: a function of the 0-based update count
        tables = {name: jax.numpy.asarray([change[name] for change in changes]) for name in changes[0]}
        keywords = {**keywords, **{name: (lambda count, table=table: table[count]) for name, table in tables.items()}}
    transform = factory(**keywords)
    if not (hasattr(transform, "init") and hasattr(transform, "update")):
        raise ValueError(
            f"{factory.__name__} returned a {type(transform).__name__}, not an optax GradientTransformation"
        )
    state: list = []

    def step(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
        current = [jax.numpy.asarray(p) for p in params]
        if not state:
            state.append(transform.init(current))
        updates, state[0] = transform.update([jax.numpy.asarray(g) for g in grads], state[0], current)
        for p, new in zip(params, optax.apply_updates(current, updates)):
            p[...] = np.asarray(new)

    return step


_STEPPERS: dict[str, Callable[[type, Mapping[str, Any], Changes], Stepper]] = {
    "torch": _torch_stepper,
    "keras": _keras_stepper,
    "optax": _optax_stepper,
}


# ----------------------------------------------------------------------------- a user's function


def user_object(target: str) -> Any:
    """What ``module:name`` names, importable from sys.path or the working directory (Keras on its torch backend
    unless KERAS_BACKEND says otherwise, as for the libraries' own classes).

    The working directory is searched too because the ``trainspec`` console script, unlike
    ``python -m``, does not put it on sys.path, and a user's module usually sits there.
    """
    module_name, _, name = target.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"{target}: cannot import {module_name}: {error}") from error
    if not hasattr(module, name):
        raise ValueError(f"{target}: {module_name} has no {name!r}")
    return getattr(module, name)


def user_function(target: str) -> Callable:
    """The function ``module:function`` names."""
    function = user_object(target)
    if not callable(function):
        raise ValueError(f"{target}: {target.partition(':')[0]} has no function {target.partition(':')[2]!r}")
    return function


def called(target: str, function: Callable, *arguments: Any, **keywords: Any) -> Any:
    """``function(*arguments, **keywords)``; what it raises becomes an ``ImplementationError`` naming ``target``."""
    try:
        return function(*arguments, **keywords)
    except Exception as error:
        raise ImplementationError(f"{target} raised {type(error).__name__}: {error}") from error


def library_stepper(counterpart: Counterpart, keywords: Mapping[str, Any]) -> Stepper:
    """The counterpart's own class or factory called with exactly ``keywords`` (its other defaults its own),
    stepping NumPy arrays as the referee steps it."""
    return _guarded(counterpart.name, _STEPPERS[counterpart.library], imported(counterpart), keywords, None)


def _guarded(target: str, stepper: Callable[..., Stepper], *arguments: Any) -> Stepper:
    """``stepper(*arguments)``, with whatever the implementation raises while it is built or steps (a constructor
    that refuses the arguments, a step that fails) turned into an ``ImplementationError`` naming ``target``."""
    step = called(target, stepper, *arguments)
    return lambda params, grads, t: called(target, step, params, grads, t)


def _user(target: str, function: Callable) -> Implementation:
    def make(arguments: Mapping[str, float | bool], rates: Sequence[float] | None = None) -> Stepper:
        state: dict = {}

        def step(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
            before = [p.copy() for p in params] if t == 1 else None
            values = dict(arguments) if rates is None else {**arguments, LEARNING_RATE: float(rates[t - 1])}
            returned = called(target, function, params, grads, state, t, **values)
            if (
                before is not None
                and returned is not None
                and all(np.array_equal(a, b) for a, b in zip(params, before))
            ):
                raise ImplementationError(
                    f"{target} returned a {type(returned).__name__} and left params unchanged: it must update the "
                    "arrays in params in place (params[i][...] = new value, or params[i] -= ...), not return new ones"
                )

        return step

    # Keras's base options reach a function only where it names them: most implement the method alone.
    named = frozenset(inspect.signature(function).parameters) & KERAS_BASE_OPTIONS
    return Implementation(target, None, make, base_options=named)
