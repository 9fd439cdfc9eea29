"""``trainspec`` (or ``python -m codegen``): build, check, list, docs, bench, verify, mutate, plot-schedule."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

from codegen.build import GENERATED_DIR, PACKAGE, SPECS_DIR, generate
from codegen.cache import BuildCache, default_folder
from codegen.errors import ImplementationError, SpecError
from codegen.kinds import KINDS
from codegen.load import load_registry
from codegen.lower import optimizer as optimizers
from codegen.lower import schedule as schedules
from codegen.output import compare, write
from codegen.proofs.package import generated_package

# The commands beside build and list need what the build does not: the generated package and numba (bench,
# verify, plot-schedule, docs), scipy (verify), matplotlib (plot-schedule), torch and keras (their comparisons).
# Each imports its module when it runs, so that `trainspec build` starts fast and needs the generator's own
# dependencies alone.


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        return arguments.command(arguments)
    except SpecError as error:
        print(f"error: {error}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the output was piped into a reader that stopped early (`| head`): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter flushes it at exit
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trainspec", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="regenerate kernels, docs and checks from the specs")
    _folders(build)
    build.add_argument("--check", action="store_true", help="write nothing; fail if any file is stale")
    build.add_argument(
        "--no-cache", action="store_true", help="generate every file again (default: reuse what the inputs allow)"
    )
    build.set_defaults(command=_build)

    listing = commands.add_parser("list", help="print the registered specs")
    _folders(listing)
    listing.set_defaults(command=_list)

    docs = commands.add_parser(
        "docs", help="build the formula documentation: a PDF (needs latexmk), or with --html a web site"
    )
    _folders(docs)
    output = docs.add_mutually_exclusive_group()
    output.add_argument("--pdf", type=Path, default=None, help="where to put the PDF (default: build/trainspec.pdf)")
    output.add_argument(
        "--html",
        type=Path,
        nargs="?",
        const=True,  # --html alone: the default folder
        default=None,
        metavar="FOLDER",
        help="write the web site instead, one page per method, math as MathML (default folder: build/html)",
    )
    docs.set_defaults(command=_docs)

    bench = commands.add_parser("bench", help="time every kernel against NumPy, the roofline and torch")
    bench.add_argument("--size", type=int, default=10_000_000, help="parameters per optimizer (float32)")
    bench.add_argument("--repeats", type=int, default=7, help="timed steps per row (the median is shown)")
    bench.add_argument("--initializers-size", type=int, default=100_000_000, help="values per initializer (float32)")
    bench.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        default=(),
        help="run only these: a table (optimizers, initializers, or torch: trainspec.torch's TorchAdam against "
        "torch's fused Adam on four models), or rows of one: an optimizer (Adam: its rows), a row ('Adam amsgrad'), "
        "an initializer (HeUniform), a torch workload (b, or ResNet-50)",
    )
    bench.set_defaults(command=_bench)

    mutate = commands.add_parser(
        "mutate",
        help="one-line changes to the specs and generated kernels, then the tests: how many do the checks catch?",
        description="Each mutant edits one line (an operator, a number, a sign, a root) of a spec's SPEC or of a "
        "generated kernel; a probe beside the unmutated build tells whether it changes behaviour; the spec's tests "
        "then run on its build. Prints one line per mutant and the catch rate; exit 1 if one survived. Needs the "
        "repository's tests/.",
    )
    mutate.add_argument("--sample", type=int, default=20, help="mutants to draw (0: every one; default 20)")
    mutate.add_argument("--seed", type=int, default=0, help="which mutants are drawn (default 0)")
    mutate.add_argument(
        "--target", nargs="+", choices=("spec", "kernel"), default=("spec", "kernel"), help="what to mutate"
    )
    mutate.add_argument(
        "--kind", nargs="+", choices=tuple(kind.name for kind in KINDS), default=tuple(kind.name for kind in KINDS)
    )
    mutate.add_argument("--json", type=Path, default=None, help="also write every outcome to this file")
    mutate.set_defaults(command=_mutate)

    plot = commands.add_parser(
        "plot-schedule",
        help="plot a learning-rate schedule with your arguments to a PNG (needs matplotlib)",
        description="e.g. trainspec plot-schedule CosineDecayRestarts --initial-learning-rate 0.1 "
        "--first-decay-steps 100 --steps 1000 --out sgdr.png; NAME --help lists its options",
    )
    plot.add_argument("name", metavar="NAME", help="the schedule's class name or snake_case alias")
    plot.add_argument("options", nargs=argparse.REMAINDER, help="--argument-name value ... --steps N --out FILE.png")
    plot.set_defaults(command=_plot_schedule)

    verify = commands.add_parser(
        "verify",
        help="referee an implementation against a spec, step by step; exit 1 if it diverges",
        description=(
            "Runs SPEC (trainspec's generated class) and IMPL on the same random problem, once per variant of the "
            "spec (every option at its default; each flag on; each momentum-like hyperparameter and decay rate at 0; "
            "each choice; "
            "Keras's weight decay and clipping where the convention has them; a scheduled learning rate), and prints "
            "one table: per variant the largest relative error, the first step beyond the tolerance (sqrt of the "
            "dtype's machine epsilon), and which other registered convention or slip IMPL matches instead; then "
            "the steps around each divergence. IMPL: torch (torch.optim), keras "
            "(keras.optimizers, KERAS_BACKEND=torch unless set), optax, or module:name: a torch.optim.Optimizer or "
            "Keras Optimizer subclass or a function building an optax GradientTransformation (taking the argument "
            "names of the spec's counterpart in that library), or a function "
            "step(params: list[np.ndarray], grads: list[np.ndarray], state: dict, t: int, **hyperparameters) -> None "
            "that updates params in place (state: a dict kept between calls; t: 1 on the first step; "
            "hyperparameters by the spec's argument names, flags included; Keras's base options only where the "
            "function names them). Exit 0 when every variant passes, 1 on a divergence, 2 on a usage error, 3 when "
            "IMPL raised. "
            "For a schedule, IMPL is torch (torch.optim.lr_scheduler), keras (keras.optimizers.schedules) or "
            "module:function, a function rate(step: int, **arguments) -> float (step 0-based, arguments by the "
            "spec's names); the error is normwise against the largest rate so far, within sqrt(eps) in float64 "
            "and 2^8 eps in float32 (--dtype float32 runs Keras in its default float32). "
            "For an initializer, IMPL is torch (torch.nn.init), keras (keras.initializers) or module:function, a "
            "function init(shape: tuple[int, ...], dtype: str, seed: int, **arguments) -> np.ndarray (shape in the "
            "spec's layout, arguments and choices by the spec's names); about --values values over a few shapes are "
            "tested against the exact distribution the spec promises for each shape (Kolmogorov-Smirnov, mean, "
            "variance, support; exact or orthonormal for Constant, Identity, Orthogonal), each test rejecting at "
            "p < 1e-6."
        ),
    )
    verify.add_argument("spec", metavar="SPEC", help="the spec's class name (trainspec list)")
    verify.add_argument(
        "--against",
        required=True,
        metavar="IMPL",
        help="torch, keras, optax, or module:name (a step function, a torch or Keras Optimizer subclass, a function "
        "building an optax GradientTransformation)",
    )
    verify.add_argument(
        "--steps",
        type=int,
        default=300,
        help="optimizer or schedule steps, controller epochs (default 300; initializers: --values)",
    )
    verify.add_argument(
        "--values", type=int, default=10**6, help="an initializer: values drawn in all, over its shapes (default 10^6)"
    )
    verify.add_argument("--seed", type=int, default=0, help="seed of the random problem and hyperparameters")
    verify.add_argument(
        "--dtype",
        default="float64",
        choices=("float64", "float32"),
        help="array dtype (a schedule: the precision IMPL computes in)",
    )
    verify.add_argument(
        "--flag", action="append", default=[], metavar="NAME", help="an optimizer: switch a flag on in every variant"
    )
    verify.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="pin an argument, flag or choice in every variant (momentum=0, mode=fan_in); the variants leave it be",
    )
    verify.add_argument(
        "--schedule",
        metavar="SPEC[:NAME=VALUE,...]",
        help="an optimizer: the schedule the learning rate follows in the 'schedule' variant (default: CosineDecay, "
        "its arguments drawn)",
    )
    verify.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL",
        help="run only this variant (a label of the table, e.g. defaults, amsgrad, momentum=0, schedule); repeatable",
    )
    shown = verify.add_mutually_exclusive_group()
    shown.add_argument("--quiet", action="store_true", help="one line per variant")
    shown.add_argument("--json", action="store_true", help="the verdicts as JSON")
    verify.add_argument(
        "--every",
        type=int,
        default=None,
        metavar="N",
        help="also list every N-th step's error (by default only the steps around a divergence)",
    )
    _folders(verify)
    verify.set_defaults(command=_verify)
    return parser


def _verify(arguments: argparse.Namespace) -> int:
    from codegen.referee import controller, initializer, optimizer, schedule  # numpy, scipy, the generated package

    referees = {"optimizer": optimizer.verify_command, "schedule": schedule.verify_command}
    referees["initializer"] = initializer.verify_command
    referees["controller"] = controller.verify_command
    registry = load_registry(arguments.specs)
    try:
        kind = registry.get(arguments.spec).kind
        arguments.command_line = _verify_command_line(arguments, kind)
        package = generated_package(arguments.out / arguments.package, arguments.package)
        covered = referees[kind](registry, arguments, package)
    except ImplementationError as error:  # the implementation raised: its own frames, then what it raised
        print(_implementation_frames(error) + f"error: {error}", file=sys.stderr)
        return 3
    except (KeyError, ValueError, ImportError) as error:  # no such spec, package or counterpart; bad arguments
        print(f"error: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    if arguments.json:
        print(covered.as_json())
    elif arguments.quiet:
        print(covered.quiet())
    else:
        print(covered.report(arguments.every))
    return 0 if covered.passed else 1


def _implementation_frames(error: ImplementationError) -> str:
    """The traceback of what the implementation raised, without the referee's own frames that called into it."""
    frames = traceback.extract_tb(error.__cause__.__traceback__ if error.__cause__ else None)
    referee = str(Path(__file__).resolve().parent)
    return "".join(traceback.format_list([f for f in frames if not f.filename.startswith(referee)]))


def _verify_command_line(arguments: argparse.Namespace, kind: str) -> str:
    """The command line that reproduces this run: every option that changes it, defaults included."""
    size = ["--values", str(arguments.values)] if kind == "initializer" else ["--steps", str(arguments.steps)]
    words = ["trainspec verify", arguments.spec, "--against", arguments.against, *size, "--dtype", arguments.dtype]
    words += ["--seed", str(arguments.seed), *(f"--flag {name}" for name in arguments.flag)]
    words += [f"--arg {shlex.quote(text)}" for text in arguments.arg]
    words += [f"--schedule {shlex.quote(arguments.schedule)}"] if arguments.schedule else []
    words += [f"--variant {shlex.quote(label)}" for label in arguments.variant]
    for option, default in (("specs", SPECS_DIR), ("out", GENERATED_DIR), ("package", PACKAGE)):
        if getattr(arguments, option) != default:
            words += [f"--{option}", str(getattr(arguments, option))]
    return " ".join(words)


def _folders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--specs", type=Path, default=SPECS_DIR, help="folder of spec files (default: specs/)")
    parser.add_argument("--out", type=Path, default=GENERATED_DIR, help="output folder (default: generated/)")
    parser.add_argument(
        "--package", default=PACKAGE, help=f"the name the generated package is imported by (default: {PACKAGE})"
    )


def _build(arguments: argparse.Namespace) -> int:
    progress = None if arguments.check else (lambda line: print(f"  {line}"))
    cache = BuildCache(None if arguments.no_cache else default_folder())
    report = generate(arguments.specs, arguments.out, package=arguments.package, cache=cache, progress=progress)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if arguments.check:
        differences = compare(report.files, arguments.out)
        for difference in differences:
            print(difference)
        if differences:
            print(f"{len(differences)} file(s) differ from the specs; run `trainspec build`.", file=sys.stderr)
            return 1
        print(f"{arguments.out}: all {len(report.files)} files up to date.")
        return 0
    started = time.perf_counter()
    changes = write(report.files, arguments.out)
    report.stage_seconds["write"] = time.perf_counter() - started
    for change in changes:
        verb = {"missing": "created", "stale": "updated", "extra": "removed"}[change.kind]
        print(f"  {verb} {change.path}")
    stages = ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in report.stage_seconds.items())
    reused = f"{report.cached} of {report.units} units from the cache"
    print(f"{len(report.files)} files from {arguments.specs}: {len(changes)} changed ({stages}; {reused}).")
    return 0


def _list(arguments: argparse.Namespace) -> int:
    registry = load_registry(arguments.specs)
    variants = {
        "optimizer": lambda spec: [v.name for v in optimizers.lower(spec).variants],
        "schedule": lambda spec: [v.name for v in schedules.variants(spec)],
    }
    for kind in KINDS:
        specs = registry.of(kind.name)
        if not specs:
            continue
        print(f"{kind.title} ({len(specs)})" if kind is KINDS[0] else f"\n{kind.title} ({len(specs)})")
        for spec in specs:
            print(f"  {spec.name:12} {spec.source:34} {spec.summary}")
            if spec.kind in variants:  # the kernels its options or choices select
                print(f"  {'':12} variants: {', '.join(variants[spec.kind](spec))}")
    return 0


def _docs(arguments: argparse.Namespace) -> int:
    from codegen.tools.pdf import DocsBuildError, build_pdf  # the generated package, to draw the plots

    try:
        if arguments.html is not None:
            from codegen.tools.html import build_site  # pandoc, besides what the PDF needs

            site = None if arguments.html is True else arguments.html
            written = build_site(arguments.out, site, package=arguments.package, specs_dir=arguments.specs)
            print(f"wrote {written / 'index.html'}")
        else:
            written = build_pdf(arguments.out, arguments.pdf, package=arguments.package, specs_dir=arguments.specs)
            print(f"wrote {written}")
    except DocsBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ImportError as error:
        print(f"error: the web site needs {error.name}: pip install 'trainspec[docs]'", file=sys.stderr)
        return 1
    return 0


def _mutate(arguments: argparse.Namespace) -> int:
    from codegen.tools import mutate  # the generated packages, the tests

    outcomes = mutate.run(arguments.sample, arguments.seed, tuple(arguments.target), tuple(arguments.kind))
    if arguments.json is not None:
        arguments.json.write_text(mutate.report_json(outcomes), encoding="utf-8")
    return 1 if any(outcome.verdict == "survived" for outcome in outcomes) else 0


def _plot_schedule(arguments: argparse.Namespace) -> int:
    from codegen.tools.plot import plot_command  # matplotlib and the generated package

    try:
        path = plot_command(arguments.name, arguments.options)
    except (ValueError, TypeError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


def _bench(arguments: argparse.Namespace) -> int:
    from codegen.tools import bench_initializers, bench_optimizers  # numba, the package

    rows = {
        "optimizers": {name for case in bench_optimizers.cases() for name in (case.spec.name, case.label)},
        "initializers": {spec.name for spec in load_registry(SPECS_DIR).initializers},
        "torch": set(_torch_workloads()),
    }
    unknown = [name for name in arguments.only if name not in rows and not any(name in r for r in rows.values())]
    if unknown:
        known = "; ".join(f"{table}: {', '.join(sorted(names)) or 'needs torch'}" for table, names in rows.items())
        print(f"error: --only {unknown[0]!r} is neither a table nor a row of one; {known}", file=sys.stderr)
        return 2
    tables = {
        "optimizers": lambda names: bench_optimizers.run(size=arguments.size, repeats=arguments.repeats, names=names),
        "initializers": lambda names: bench_initializers.run(size=arguments.initializers_size, names=names),
        "torch": lambda names: _bench_torch().run(repeats=arguments.repeats, names=names),
    }
    for table, run in tables.items():
        asked = tuple(name for name in arguments.only if name in rows[table])
        if not arguments.only or table in arguments.only or asked:
            run(() if table in arguments.only else asked)
    return 0


def _torch_workloads() -> tuple[str, ...]:
    try:
        return _bench_torch().workload_names()
    except ImportError:  # torch is not installed: the torch table has no rows to offer
        return ()


def _bench_torch() -> ModuleType:
    from codegen.tools import bench_torch  # torch

    return bench_torch
