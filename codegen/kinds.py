"""The table of kinds: for each kind of spec, the functions of each stage. The driver (``codegen.build``) runs them.

A kind is a row, not a class tree: ``validate`` → ``lower`` → ``plan`` take one
spec to its planned form; ``emit`` turns a planned spec into the files it
contributes (code, docs, checks); ``index`` gives the files of the kind as a
whole (its package, its part of the docs), and ``shared`` those that depend on
the generator alone (the initializer families' kernels). A new kind is a new
row; a new backend is a printer, templates and a line in each ``emit``, with no
change to any lowering.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from codegen.emit.checks.controller import controller_check_module
from codegen.emit.checks.estimator import estimator_check_module
from codegen.emit.checks.initializer import families_check_module, initializer_check_module
from codegen.emit.checks.optimizer import relations_check_module
from codegen.emit.checks.schedule import schedule_check_module
from codegen.emit.code.controller import controller_module
from codegen.emit.code.estimator import estimator_module
from codegen.emit.code.initializer import initializer_module, kernels_module
from codegen.emit.code.optimizer import Functions, functions, optimizer_module
from codegen.emit.code.package import PackageStyle, kind_package
from codegen.emit.code.schedule import schedule_module
from codegen.emit.code.torch_optimizer import torch_optimizer_module
from codegen.emit.code.triton_optimizer import TritonKernels, triton_kernels, triton_optimizer_module, triton_package
from codegen.emit.common import Emitted
from codegen.emit.docs.controller import controller_section, controllers_part
from codegen.emit.docs.estimator import estimator_section, training_part
from codegen.emit.docs.initializer import (
    family_table,
    initializer_section,
    initializers_part,
    layer_defaults,
    overview,
)
from codegen.emit.docs.optimizer import base_options_part, optimizer_section, optimizers_part
from codegen.emit.docs.porting import porting_part
from codegen.emit.docs.schedule import schedule_section, schedules_part
from codegen.language.controller import ControllerSpec
from codegen.language.estimator import EstimatorSpec
from codegen.language.initializer import FAMILIES, InitializerSpec
from codegen.language.optimizer import OptimizerSpec
from codegen.language.schedule import ScheduleSpec
from codegen.load import Registry
from codegen.lower import controller as controllers
from codegen.lower import estimator as estimators
from codegen.lower import initializer as initializers
from codegen.lower import optimizer as optimizers
from codegen.lower import schedule as schedules
from codegen.plan import CasePlan, KernelPlan, SchedulePlan, plan_case, plan_family, plan_kernel, plan_schedule
from codegen.validate import controller as validate_controller
from codegen.validate import estimator as validate_estimator
from codegen.validate import initializer as validate_initializer
from codegen.validate import optimizer as validate_optimizer
from codegen.validate import schedule as validate_schedule


class Context(Protocol):
    """What the stages may ask of the build: the registry, its settings, and other specs' planned forms."""

    registry: Registry
    package: str
    """The name of the generated package."""
    specs_location: str
    """The specs folder relative to the generated checks' folder (a POSIX path)."""

    def lowered(self, kind: str, name: str) -> object:
        """The lowered form of the spec ``name`` of ``kind``, lowered once per build."""

    def planned(self, kind: str, name: str) -> object:
        """The planned form of the spec ``name`` of ``kind``, planned once per build."""


@dataclass(frozen=True)
class Kind:
    name: str
    spec_type: type
    validate: Callable[[object, Context], object]
    lower: Callable[[object, Context], object]
    plan: Callable[[object, Context], object]
    emit: Callable[[object, Context], tuple[Emitted, ...]]
    index: Callable[[Context], tuple[Emitted, ...]]
    shared: Callable[[Context], tuple[Emitted, ...]]
    package: PackageStyle
    part: str
    """The kind's part of the docs, as the master document inputs it (``optimizers/optimizers``)."""
    title: str
    """What the kind's specs are, as a heading (``trainspec list``)."""
    warnings: Callable[[object], tuple[str, ...]] = lambda spec: ()
    """What a valid spec allows that no user wants, one line each: checked on every build (it is cheap), never
    cached, so the author sees it until the spec is fixed."""


def _no_files(context: Context) -> tuple[Emitted, ...]:
    return ()


# ----------------------------------------------------------------------------- optimizers


@dataclass(frozen=True)
class PlannedOptimizer:
    lowered: optimizers.Lowered
    kernels: tuple[KernelPlan, ...]
    functions: Functions
    triton: TritonKernels
    """The same kernels printed for Triton (planned once: a spec importing this one reuses them)."""


def _plan_optimizer(lowered: optimizers.Lowered, context: Context) -> PlannedOptimizer:
    plans = tuple(plan_kernel(variant) for variant in lowered.variants)
    return PlannedOptimizer(lowered, plans, functions(lowered, plans), triton_kernels(plans))


def _emit_optimizer(planned: PlannedOptimizer, context: Context) -> tuple[Emitted, ...]:
    spec = planned.lowered.spec
    package = context.package
    checks = relations_check_module(spec, context.registry, context.specs_location, package)
    providers = tuple((module, _written_by(provider, context)) for module, provider in _providers(spec, context))
    return (
        optimizer_module(planned.lowered, planned.functions, tuple((m, p.functions) for m, p in providers), package),
        torch_optimizer_module(spec, package),
        triton_optimizer_module(spec, planned.triton, tuple((m, p.triton) for m, p in providers), package),
        optimizer_section(planned.lowered, context.registry.relations),
        *((checks,) if checks else ()),
    )


def _shared_optimizers(context: Context) -> tuple[Emitted, ...]:
    return (base_options_part(), triton_package(context.package))


def _providers(spec: OptimizerSpec, context: Context) -> tuple[tuple[str, PlannedOptimizer], ...]:
    """The modules a spec's modules may import identical functions from: those of the specs its file imports (its
    parent among them), nearest first. Only imported files: their order is acyclic, and the cache key covers them."""
    imported = context.registry.imported_by(spec.source)
    ordered = sorted(
        (s for s in context.registry.optimizers if s.source in imported), key=lambda s: imported.index(s.source)
    )
    return tuple((s.module_name, context.planned("optimizer", s.name)) for s in ordered)


def _written_by(planned: PlannedOptimizer, context: Context) -> PlannedOptimizer:
    """``planned`` with only the functions its own modules write: one they import from a provider of their own goes
    there by that provider's name, so a module importing it takes it from that provider (OptaxAdamW's kernel from
    TorchAdam's module, not TorchAdamW's, which imports it)."""
    theirs = [provider for _, provider in _providers(planned.lowered.spec, context)]
    functions = {function.key for provider in theirs for function in provider.functions.every}
    kernels = {key for provider in theirs for key in provider.triton.by_key}
    return dataclasses.replace(
        planned, functions=planned.functions.without(functions), triton=planned.triton.without(kernels)
    )


def _index_optimizers(context: Context) -> tuple[Emitted, ...]:
    specs = context.registry.optimizers
    return (
        kind_package(OPTIMIZERS.package, specs, context.package),
        kind_package(TORCH_OPTIMIZERS, specs, context.package),
        optimizers_part(specs),
        porting_part(specs, context.registry.relations),
    )


# ----------------------------------------------------------------------------- schedules


def _schedules_by_name(context: Context) -> dict[str, ScheduleSpec]:
    return {spec.name: spec for spec in context.registry.schedules}


@dataclass(frozen=True)
class PlannedSchedule:
    spec: ScheduleSpec
    plans: tuple[SchedulePlan, ...]


def _plan_schedule(lowered: tuple[ScheduleSpec, tuple[schedules.Variant, ...]], context: Context) -> PlannedSchedule:
    spec, variants = lowered
    return PlannedSchedule(spec, tuple(plan_schedule(variant) for variant in variants))


def _emit_schedule(planned: PlannedSchedule, context: Context) -> tuple[Emitted, ...]:
    spec, plans = planned.spec, planned.plans
    specs = _schedules_by_name(context)
    relations = context.registry.relations
    checks = schedule_check_module(spec, specs, relations, context.package)
    return (
        schedule_module(spec, plans, context.package),
        schedule_section(spec, plans[0].variant, specs, relations),
        *((checks,) if checks else ()),
    )


def _index_schedules(context: Context) -> tuple[Emitted, ...]:
    specs = context.registry.schedules
    return (kind_package(SCHEDULES.package, specs, context.package), schedules_part(specs))


# ----------------------------------------------------------------------------- controllers


def _emit_controller(lowered: tuple[ControllerSpec, tuple[controllers.Variant, ...]], context: Context) -> tuple:
    spec, variants = lowered
    specs = {s.name: s for s in context.registry.of(CONTROLLERS.name)}
    checks = controller_check_module(spec, specs, context.registry.relations, context.package)
    return (
        controller_module(spec, variants, context.package),
        controller_section(spec, context.registry.relations),
        *((checks,) if checks else ()),
    )


def _index_controllers(context: Context) -> tuple[Emitted, ...]:
    specs = context.registry.of(CONTROLLERS.name)
    return (kind_package(CONTROLLERS.package, specs, context.package), controllers_part(specs))


# ----------------------------------------------------------------------------- initializers


@dataclass(frozen=True)
class PlannedInitializer:
    resolved: initializers.Resolved
    cases: tuple[CasePlan, ...]


def _resolve(spec: InitializerSpec, context: Context) -> initializers.Resolved:
    return initializers.resolve(spec, {s.name: s for s in context.registry.initializers})


_FAMILY_PLANS = {kind: plan_family(family) for kind, family in FAMILIES.items()}


def _plan_initializer(resolved: initializers.Resolved, context: Context) -> PlannedInitializer:
    plans = tuple(plan_case(case.distribution, _FAMILY_PLANS[case.distribution.family]) for case in resolved.cases)
    return PlannedInitializer(resolved, plans)


def _emit_initializer(planned: PlannedInitializer, context: Context) -> tuple[Emitted, ...]:
    resolved = planned.resolved
    named = {name for relation in context.registry.relations for name in initializers.names_in(relation)}
    by_name = {name: context.lowered("initializer", name) for name in sorted(named)}
    by_name[resolved.spec.name] = resolved
    return (
        initializer_module(resolved, planned.cases, context.package),
        initializer_section(resolved),
        initializer_check_module(resolved, planned.cases, context.registry.relations, by_name, context.package),
    )


def _all_resolved(context: Context) -> tuple[initializers.Resolved, ...]:
    return tuple(context.lowered("initializer", spec.name) for spec in context.registry.initializers)


def _index_initializers(context: Context) -> tuple[Emitted, ...]:
    resolved = _all_resolved(context)
    return (
        kind_package(INITIALIZERS.package, context.registry.initializers, context.package),
        family_table(resolved),
        initializers_part(resolved),
        layer_defaults(resolved),
    )


def _shared_initializers(context: Context) -> tuple[Emitted, ...]:
    return (
        kernels_module(tuple(_FAMILY_PLANS.values()), context.package),
        overview(),
        families_check_module(tuple(_FAMILY_PLANS.values()), context.package),
    )


# ----------------------------------------------------------------------------- estimators


def _emit_estimator(lowered: estimators.Lowered, context: Context) -> tuple[Emitted, ...]:
    return (
        estimator_module(lowered, context.package),
        estimator_section(lowered),
        estimator_check_module(lowered, context.registry, context.package),
    )


def _index_estimators(context: Context) -> tuple[Emitted, ...]:
    specs = context.registry.of(ESTIMATORS.name)
    return (kind_package(ESTIMATORS.package, specs, context.package), training_part(specs))


# ----------------------------------------------------------------------------- the table


def _lookup(table: str, noun: str, name: str, alias: str) -> tuple[str, tuple[str, ...]]:
    """A kind package's ``get``: the class of ``table`` by name or alias, or a ValueError listing the known ones."""
    return (
        "get(identifier)",
        (
            f'"""The {noun} class named ``identifier`` (``"{name}"`` or ``"{alias}"``)."""',
            "try:",
            f"    return {table}[identifier]",
            "except KeyError:",
            f'    known = ", ".join(sorted({table}))',
            f'    raise ValueError(f"unknown {noun} {{identifier!r}}; known: {{known}}") from None',
        ),
    )


OPTIMIZERS = Kind(
    name="optimizer",
    spec_type=OptimizerSpec,
    validate=lambda spec, context: validate_optimizer.validate(spec, context.registry),
    lower=lambda spec, context: optimizers.lower(spec),
    plan=_plan_optimizer,
    emit=_emit_optimizer,
    index=_index_optimizers,
    shared=_shared_optimizers,
    package=PackageStyle(
        folder="optimizers",
        noun="optimizer",
        table="OPTIMIZERS",
        docstring="One module per optimizer spec: its kernels and its Keras-style class.",
        runtime="",
        runtime_names=(),
        runtime_helpers=(),
        functions=(_lookup("OPTIMIZERS", "optimizer", "Adam", "adam"),),
        exports_aliases=False,
        registers=False,
    ),
    part="optimizers/optimizers",
    title="Optimizers",
    warnings=validate_optimizer.warnings,
)

TORCH_OPTIMIZERS = dataclasses.replace(
    OPTIMIZERS.package,
    folder="torch",
    noun="PyTorch optimizer",
    docstring="Every optimizer spec as a torch.optim.Optimizer: its generated kernels on CPU tensors.",
    specs_folder="optimizers",
)
"""The optimizers' second package: the same table and lookup, of the ``torch.optim`` classes."""

SCHEDULES = Kind(
    name="schedule",
    spec_type=ScheduleSpec,
    validate=lambda spec, context: validate_schedule.validate(spec, context.registry),
    lower=lambda spec, context: (spec, schedules.variants(spec)),
    plan=_plan_schedule,
    emit=_emit_schedule,
    index=_index_schedules,
    shared=_no_files,
    package=PackageStyle(
        folder="schedules",
        noun="schedule",
        table="SCHEDULES",
        docstring=(
            "Learning-rate schedules generated from their SymPy specs, in the Keras style.\n\n"
            "    from trainspec.schedules import CosineDecay\n"
            "    schedule = CosineDecay(initial_learning_rate=0.1, decay_steps=1000)\n"
            "    schedule(0), schedule.values(1000)  # one step, or many in one call\n"
        ),
        runtime="schedule",
        runtime_names=("Schedule", "deserialize", "serialize"),
        runtime_helpers=("register",),
        functions=(_lookup("SCHEDULES", "schedule", "CosineDecay", "cosine_decay"),),
        exports_aliases=False,
        registers=True,
    ),
    part="schedules/schedules",
    title="Learning-rate schedules",
)

CONTROLLERS = Kind(
    name="controller",
    spec_type=ControllerSpec,
    validate=lambda spec, context: validate_controller.validate(spec),
    lower=lambda spec, context: (spec, controllers.variants(spec)),
    plan=lambda lowered, context: lowered,
    emit=_emit_controller,
    index=_index_controllers,
    shared=_no_files,
    package=PackageStyle(
        folder="controllers",
        noun="controller",
        table="CONTROLLERS",
        docstring=(
            "Learning rates set from a metric once per epoch (ReduceLROnPlateau), generated from their SymPy specs.\n\n"
            "    from trainspec.controllers import ReduceLROnPlateau\n"
            "    controller = ReduceLROnPlateau(learning_rate=0.1, patience=5)\n"
            "    optimizer.learning_rate = controller.step(validation_loss)  # at the end of each epoch\n"
        ),
        runtime="controller",
        runtime_names=("Controller",),
        runtime_helpers=(),
        functions=(_lookup("CONTROLLERS", "controller", "ReduceLROnPlateau", "reduce_lr_on_plateau"),),
        exports_aliases=False,
        registers=False,
    ),
    part="controllers/controllers",
    title="Learning rates driven by a metric",
)

INITIALIZERS = Kind(
    name="initializer",
    spec_type=InitializerSpec,
    validate=lambda spec, context: validate_initializer.validate(spec),
    lower=_resolve,
    plan=_plan_initializer,
    emit=_emit_initializer,
    index=_index_initializers,
    shared=_shared_initializers,
    package=PackageStyle(
        folder="initializers",
        noun="initializer",
        table="INITIALIZERS",
        docstring=(
            "Keras 3 weight initializers, generated from their SymPy specs.\n\n"
            "    from trainspec.initializers import HeUniform, get\n"
            "    weights = HeUniform(seed=0)((784, 256))           # a new float32 array\n"
            '    get("he_uniform").fill(weights)                    # or fill one in place\n'
        ),
        runtime="initializer",
        runtime_names=("Initializer", "serialize"),
        runtime_helpers=("lookup",),
        functions=(
            (
                "get(identifier)",
                (
                    '"""Keras\'s ``initializers.get``: a name, a config dict, a class or an instance."""',
                    "return lookup(INITIALIZERS, identifier)",
                ),
            ),
            (
                "deserialize(config)",
                (
                    '"""The initializer a ``serialize`` dict describes."""',
                    "if not isinstance(config, dict):",
                    "    got = type(config).__name__",
                    "    raise TypeError(f\"deserialize takes a dict with 'class_name' and 'config', got {got}\")",
                    "return lookup(INITIALIZERS, config)",
                ),
            ),
        ),
        exports_aliases=True,
        registers=False,
    ),
    part="initializers/initializers",
    title="Weight initializers",
)

ESTIMATORS = Kind(
    name="estimator",
    spec_type=EstimatorSpec,
    validate=lambda spec, context: validate_estimator.validate(spec, context.registry),
    lower=lambda spec, context: estimators.lower(spec),
    plan=lambda lowered, context: lowered,
    emit=_emit_estimator,
    index=_index_estimators,
    shared=_no_files,
    package=PackageStyle(
        folder="training",
        noun="estimator",
        table="ESTIMATORS",
        docstring=(
            "Gradient descent by batch size: the batches each step's gradient averages, epoch by epoch.\n\n"
            "    from trainspec.training import MiniBatch\n"
            "    for epoch, batch in MiniBatch(batch_size=32, seed=0).epochs(len(x), 10):\n"
            "        grads = gradient(w, x[batch], y[batch])  # the mean over the batch\n"
        ),
        runtime="batches",
        runtime_names=("Batches",),
        runtime_helpers=(),
        functions=(_lookup("ESTIMATORS", "estimator", "MiniBatch", "mini_batch"),),
        exports_aliases=False,
        registers=False,
    ),
    part="training/training",
    title="Gradient descent by batch size",
)

KINDS = (OPTIMIZERS, SCHEDULES, CONTROLLERS, INITIALIZERS, ESTIMATORS)
BY_NAME = {kind.name: kind for kind in KINDS}
