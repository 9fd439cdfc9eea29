"""Schedules that ``trainspec verify`` referees: torch.optim.lr_scheduler, keras.optimizers.schedules, or a function.

Every adapter gives the same thing, a ``ScheduleImplementation``: the rates
it computes at the 0-based steps ``0 .. N - 1`` as float64 NumPy values,
for arguments given by the spec's argument names.

A library's schedule is a *counterpart* of a spec where it computes the same
math after converting the arguments (``ExponentialDecay(staircase=True)`` is
``StepLR(step_size=decay_steps, gamma=decay_rate)``). Where it covers only
some arguments, ``constrain`` restates the drawn arguments inside what it
covers (``PolynomialLR`` decays to 0: ``end_learning_rate = 0``), and
``horizon`` gives the steps over which it matches the spec
(``CosineAnnealingLR`` is periodic past ``T_max``, the spec stays at its
floor). torch's schedulers compute in Python floats (float64); Keras's in its
``floatx``, which the adapter sets to the dtype asked for while they run
(float32 is Keras's default).

A user's implementation (``--against module:function``) is a function::

    def rate(step: int, **arguments) -> float

``step`` is 0-based (Keras's ``optimizer.iterations``: 0 on the first
update); ``arguments`` are the spec's arguments by their spec names, as
``trainspec list`` and the docs name them: numbers, choices
(``staircase=True``, ``mode="triangular2"``), ``None`` where an optional
argument is left out (``warmup_target=None``), lists (``boundaries``,
``values``), and for a warmup the schedule that follows it, a callable
``schedule(step) -> float`` (a trainspec schedule).
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

import trainspec.schedules
from codegen.language.schedule import Call, ScheduleSpec
from codegen.referee.optimizer_adapters import user_function

Arguments = dict  # spec argument name -> number, choice, None, list, or a ``Call`` for a following schedule


@dataclass(frozen=True)
class ScheduleImplementation:
    """An implementation to referee: how it computes the rates, and over which arguments and steps it can."""

    label: str
    rates: Callable[[Mapping, int], np.ndarray]  # (arguments, N) -> the rates at steps 0 .. N - 1, float64
    constrain: Callable[[Arguments], Arguments] = lambda arguments: arguments
    horizon: Callable[[Mapping], int | None] = lambda arguments: None  # steps it matches the spec for; None: all
    notes: Callable[[Mapping], tuple[str, ...]] = lambda arguments: ()  # what was converted, what was capped


def implementation(against: str, spec: ScheduleSpec, dtype: np.dtype) -> ScheduleImplementation:
    """The adapter ``against`` names: ``torch``, ``keras``, or ``module:function``."""
    if against == "torch":
        if dtype != np.float64:
            raise ValueError("torch.optim.lr_scheduler computes in Python floats (float64): use --dtype float64")
        return _torch(spec)
    if against == "keras":
        return _keras(spec, dtype)
    if ":" in against:
        return _user(against)
    raise ValueError(f"--against must be torch, keras or module:function, not {against!r}")


def build(call: Call):
    """The trainspec schedule that ``call`` describes (a following schedule built first)."""
    arguments = {name: build(value) if isinstance(value, Call) else value for name, value in call.arguments.items()}
    return trainspec.schedules.SCHEDULES[call.schedule](**arguments)


# ----------------------------------------------------------------------------- torch.optim.lr_scheduler


@dataclass(frozen=True)
class TorchPlan:
    """One torch scheduler (or a sequence of them) for one set of arguments."""

    label: str
    base_lr: float
    make: Callable  # (torch, optimizer) -> scheduler
    horizon: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TorchCounterpart:
    plan: Callable[[Mapping], TorchPlan]
    constrain: Callable[[Arguments], Arguments] = lambda arguments: arguments


def _torch(spec: ScheduleSpec) -> ScheduleImplementation:
    counterpart = TORCH_COUNTERPARTS.get(spec.name)
    if counterpart is None:
        raise ValueError(f"torch.optim.lr_scheduler has no counterpart of {spec.name}")

    def rates(arguments: Mapping, steps: int) -> np.ndarray:
        return _torch_rates(counterpart.plan(arguments), steps)

    return ScheduleImplementation(
        label="torch.optim.lr_scheduler",
        rates=rates,
        constrain=counterpart.constrain,
        horizon=lambda arguments: counterpart.plan(arguments).horizon,
        notes=lambda arguments: (
            f"torch.optim.lr_scheduler.{counterpart.plan(arguments).label}",
            "each step's rate: the group's lr before optimizer.step(), then scheduler.step() (once per batch)",
            *counterpart.plan(arguments).notes,
        ),
    )


def _torch_rates(plan: TorchPlan, steps: int) -> np.ndarray:
    """The group's ``lr`` before each ``optimizer.step()``, the scheduler stepped once per batch after it."""
    import torch

    parameter = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([parameter], lr=plan.base_lr)
    scheduler = plan.make(torch, optimizer)
    rates = np.empty(steps, dtype=np.float64)
    for step in range(steps):
        rates[step] = float(optimizer.param_groups[0]["lr"])
        optimizer.step()  # no gradient: changes nothing, but the scheduler sees the documented order
        scheduler.step()
    return rates


def _exponential_plan(arguments: Mapping, decay_rate: float, description: str) -> TorchPlan:
    lr0, steps = arguments["initial_learning_rate"], int(arguments["decay_steps"])
    if arguments["staircase"]:
        return TorchPlan(
            f"StepLR(step_size=decay_steps, gamma={description})",
            lr0,
            lambda torch, o: torch.optim.lr_scheduler.StepLR(o, step_size=steps, gamma=decay_rate),
        )
    gamma = decay_rate ** (1.0 / steps)
    return TorchPlan(
        f"ExponentialLR(gamma=({description}) ** (1 / decay_steps))",
        lr0,
        lambda torch, o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=gamma),
    )


def _cosine_plan(
    lr0: float,
    decay_steps: int,
    alpha: float,
    target: float | None,
    warmup: int,
    names: tuple[str, str] = ("initial_learning_rate", "warmup_target"),
) -> TorchPlan:
    """CosineAnnealingLR from the decay's start rate, behind a LinearLR warmup when there is one.

    ``names`` are the arguments holding the ramp's start and the decay's start, for the label.
    """
    start, peak = names
    if target is None:
        return TorchPlan(
            "CosineAnnealingLR(T_max=decay_steps, eta_min=alpha * initial_learning_rate)",
            lr0,
            lambda torch, o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=decay_steps, eta_min=alpha * lr0),
            horizon=decay_steps + 1,
            notes=("compared over steps 0 .. decay_steps: past T_max CosineAnnealingLR rises again (it is periodic)",),
        )

    def make(torch, optimizer):
        lr_scheduler = torch.optim.lr_scheduler
        ramp = lr_scheduler.LinearLR(optimizer, start_factor=lr0 / target, end_factor=1.0, total_iters=warmup)
        decay = lr_scheduler.CosineAnnealingLR(optimizer, T_max=decay_steps, eta_min=alpha * target)
        return lr_scheduler.SequentialLR(optimizer, [ramp, decay], milestones=[warmup])

    return TorchPlan(
        f"SequentialLR([LinearLR(start_factor={start} / {peak}, total_iters=warmup_steps), "
        f"CosineAnnealingLR(T_max=decay_steps, eta_min=alpha * {peak})], milestones=[warmup_steps]) "
        f"with base rate {peak}",
        target,
        make,
        horizon=warmup + decay_steps + 1,
        notes=(
            "compared over steps 0 .. warmup_steps + decay_steps: past T_max CosineAnnealingLR rises again "
            "(it is periodic)",
        ),
    )


def _warmup_below_target(arguments: Arguments) -> Arguments:
    """LinearLR's start_factor is in (0, 1]: the ramp rises, so the smaller rate is its start."""
    if arguments.get("warmup_target") is not None:
        low, high = sorted((arguments["initial_learning_rate"], arguments["warmup_target"]))
        arguments = {**arguments, "initial_learning_rate": low, "warmup_target": high}
    return arguments


def _cosine_decay_plan(a: Mapping) -> TorchPlan:
    return _cosine_plan(
        a["initial_learning_rate"], int(a["decay_steps"]), a["alpha"], a["warmup_target"], int(a["warmup_steps"])
    )


def _linear_warmup_plan(a: Mapping) -> TorchPlan:
    """LinearLR + SequentialLR in front of the CosineAnnealingLR of the CosineDecay that follows the warmup."""
    following = a["schedule"].arguments
    return _cosine_plan(
        a["initial_learning_rate"],
        int(following["decay_steps"]),
        following["alpha"],
        following["initial_learning_rate"],
        int(a["warmup_steps"]),
        names=("initial_learning_rate", "schedule.initial_learning_rate"),
    )


def _linear_warmup_below_target(arguments: Arguments) -> Arguments:
    target = _cosine_behind_warmup(arguments, "torch")["initial_learning_rate"]
    return {**arguments, "initial_learning_rate": min(arguments["initial_learning_rate"], target)}


def _cosine_behind_warmup(arguments: Mapping, library: str) -> Mapping:
    """The arguments of the CosineDecay behind a LinearWarmup: the only following schedule both libraries join."""
    following = arguments["schedule"]
    if following.schedule != "CosineDecay" or following.arguments.get("warmup_target") is not None:
        raise ValueError(
            f"{library}'s counterpart of LinearWarmup is a warmup in front of a CosineDecay without warmup"
        )
    return following.arguments


def _polynomial_plan(a: Mapping) -> TorchPlan:
    steps, power = int(a["decay_steps"]), a["power"]
    return TorchPlan(
        "PolynomialLR(total_iters=decay_steps, power=power)",
        a["initial_learning_rate"],
        lambda torch, o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=steps, power=power),
    )


def _restarts_plan(a: Mapping) -> TorchPlan:
    lr0, first, t_mul, alpha = a["initial_learning_rate"], int(a["first_decay_steps"]), int(a["t_mul"]), a["alpha"]
    return TorchPlan(
        "CosineAnnealingWarmRestarts(T_0=first_decay_steps, T_mult=t_mul, eta_min=alpha * initial_learning_rate)",
        lr0,
        lambda torch, o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            o, T_0=first, T_mult=t_mul, eta_min=alpha * lr0
        ),
    )


def _cyclic_plan(a: Mapping) -> TorchPlan:
    down = None if a["step_size_down"] is None else int(a["step_size_down"])
    keywords = dict(
        base_lr=a["base_lr"],
        max_lr=a["max_lr"],
        step_size_up=int(a["step_size_up"]),
        step_size_down=down,
        mode=a["mode"],
        gamma=a["gamma"],
        cycle_momentum=False,  # the rate only: trainspec does not model the momentum cycling
    )
    return TorchPlan(
        "CyclicLR(same arguments, cycle_momentum=False)",
        a["base_lr"],
        lambda torch, o: torch.optim.lr_scheduler.CyclicLR(o, **keywords),
    )


def _multistep_plan(a: Mapping) -> TorchPlan:
    values = a["values"]
    milestones = [int(b) + 1 for b in a["boundaries"]]
    gamma = values[1] / values[0]
    return TorchPlan(
        "MultiStepLR(milestones=[b + 1 for b in boundaries], gamma=values[1] / values[0])",
        values[0],
        lambda torch, o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=milestones, gamma=gamma),
        notes=("values drawn geometric (values[j] = values[0] * gamma ** j): MultiStepLR multiplies by one gamma",),
    )


def _geometric_values(arguments: Arguments) -> Arguments:
    values = arguments["values"]
    gamma = values[1] / values[0]
    return {**arguments, "values": [values[0] * gamma**j for j in range(len(values))]}


def _pinned(**pins) -> Callable[[Arguments], Arguments]:
    def constrain(arguments: Arguments) -> Arguments:
        return {**arguments, **{name: pin(arguments[name]) if callable(pin) else pin for name, pin in pins.items()}}

    return constrain


TORCH_COUNTERPARTS: dict[str, TorchCounterpart] = {
    "ExponentialDecay": TorchCounterpart(lambda a: _exponential_plan(a, a["decay_rate"], "decay_rate")),
    "NaturalExpDecay": TorchCounterpart(lambda a: _exponential_plan(a, math.exp(-a["decay_rate"]), "exp(-decay_rate)")),
    "CosineDecay": TorchCounterpart(_cosine_decay_plan, _warmup_below_target),
    "LinearWarmup": TorchCounterpart(_linear_warmup_plan, _linear_warmup_below_target),
    # PolynomialLR decays to 0 and stays there: Keras's end_learning_rate = 0 without cycle.
    "PolynomialDecay": TorchCounterpart(_polynomial_plan, _pinned(end_learning_rate=0.0, cycle=False)),
    # CosineAnnealingWarmRestarts restarts at the base rate (m_mul = 1) and takes an integer T_mult.
    "CosineDecayRestarts": TorchCounterpart(
        _restarts_plan, _pinned(m_mul=1.0, t_mul=lambda t: float(max(1, round(t))))
    ),
    "CyclicLR": TorchCounterpart(_cyclic_plan),
    "PiecewiseConstantDecay": TorchCounterpart(_multistep_plan, _geometric_values),
}


# ----------------------------------------------------------------------------- keras.optimizers.schedules

# Spec → (Keras class, its keyword arguments from the spec's). A warmup is Keras's CosineDecay with a target
# (the relation cosine_decay_warmup_is_linear_warmup proves the two the same).
KERAS_COUNTERPARTS: dict[str, Callable[[Mapping], tuple[str, dict, str]]] = {
    "ExponentialDecay": lambda a: ("ExponentialDecay", dict(a), "ExponentialDecay(same arguments)"),
    "NaturalExpDecay": lambda a: (
        "ExponentialDecay",
        {**a, "decay_rate": math.exp(-a["decay_rate"])},
        "ExponentialDecay(decay_rate=exp(-decay_rate)), as TF v1's natural_exp_decay",
    ),
    "InverseTimeDecay": lambda a: ("InverseTimeDecay", dict(a), "InverseTimeDecay(same arguments)"),
    "PolynomialDecay": lambda a: ("PolynomialDecay", dict(a), "PolynomialDecay(same arguments)"),
    "CosineDecay": lambda a: ("CosineDecay", dict(a), "CosineDecay(same arguments)"),
    "CosineDecayRestarts": lambda a: ("CosineDecayRestarts", dict(a), "CosineDecayRestarts(same arguments)"),
    "PiecewiseConstantDecay": lambda a: (
        "PiecewiseConstantDecay",
        {"boundaries": [int(b) for b in a["boundaries"]], "values": list(a["values"])},
        "PiecewiseConstantDecay(same arguments)",
    ),
    "LinearWarmup": lambda a: (
        "CosineDecay",
        {
            "initial_learning_rate": a["initial_learning_rate"],
            "decay_steps": a["schedule"].arguments["decay_steps"],
            "alpha": a["schedule"].arguments["alpha"],
            "warmup_target": a["schedule"].arguments["initial_learning_rate"],
            "warmup_steps": a["warmup_steps"],
        },
        "CosineDecay(initial_learning_rate, decay_steps, alpha, warmup_target=the following CosineDecay's "
        "initial_learning_rate, warmup_steps)",
    ),
}


def _keras(spec: ScheduleSpec, dtype: np.dtype) -> ScheduleImplementation:
    counterpart = KERAS_COUNTERPARTS.get(spec.name)
    if counterpart is None:
        raise ValueError(f"keras.optimizers.schedules has no counterpart of {spec.name}")

    def rates(arguments: Mapping, steps: int) -> np.ndarray:
        os.environ.setdefault("KERAS_BACKEND", "torch")  # must be set before keras is first imported
        import keras

        name, keywords, _ = counterpart(arguments)
        with _floatx(keras, str(dtype)):
            schedule = getattr(keras.optimizers.schedules, name)(**keywords)
            return np.array([float(schedule(step)) for step in range(steps)], dtype=np.float64)

    def notes(arguments: Mapping) -> tuple[str, ...]:
        precision = f"computed in {dtype} (keras.config.floatx() = {dtype!s} while it runs)"
        return (f"keras.optimizers.schedules.{counterpart(arguments)[2]}", precision)

    def constrain(arguments: Arguments) -> Arguments:
        if spec.name == "LinearWarmup":
            _cosine_behind_warmup(arguments, "keras")
        return arguments

    return ScheduleImplementation("keras.optimizers.schedules", rates, constrain=constrain, notes=notes)


@contextlib.contextmanager
def _floatx(keras, dtype: str) -> Iterator[None]:
    """Keras's schedules compute in the dtype of ``initial_learning_rate``: floatx for a Python float."""
    saved = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(saved)


# ----------------------------------------------------------------------------- a user's function


def _user(target: str) -> ScheduleImplementation:
    function = user_function(target)

    def rates(arguments: Mapping, steps: int) -> np.ndarray:
        given = {name: build(value) if isinstance(value, Call) else value for name, value in arguments.items()}
        given = {name: list(value) if isinstance(value, (list, tuple)) else value for name, value in given.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a NaN or overflow is reported as a divergence
            return np.array([float(function(step, **given)) for step in range(steps)], dtype=np.float64)

    return ScheduleImplementation(target, rates)
