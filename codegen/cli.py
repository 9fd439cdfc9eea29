"""``trainspec`` (or ``python -m codegen``): build, check, list, docs, bench."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegen.build import GENERATED_DIR, SPECS_DIR, compare, generate, write
from codegen.errors import SpecError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        return arguments.command(arguments)
    except SpecError as error:
        print(f"error: {error}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trainspec", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="regenerate kernels, docs and checks from the specs")
    _folders(build)
    build.add_argument("--check", action="store_true", help="write nothing; fail if any file is stale")
    build.set_defaults(command=_build)

    listing = commands.add_parser("list", help="print the registered specs")
    _folders(listing)
    listing.set_defaults(command=_list)

    docs = commands.add_parser("docs", help="build the formula documentation PDF (needs latexmk)")
    docs.add_argument("--out", type=Path, default=GENERATED_DIR, help="the generated folder holding docs/")
    docs.add_argument("--pdf", type=Path, default=None, help="where to put the PDF (default: build/trainspec.pdf)")
    docs.set_defaults(command=_docs)

    bench = commands.add_parser("bench", help="time every optimizer against NumPy, the roofline and torch")
    bench.add_argument("--size", type=int, default=10_000_000, help="parameters per optimizer (float32)")
    bench.add_argument("--repeats", type=int, default=7, help="timed steps per row (the median is shown)")
    bench.set_defaults(command=_bench)
    return parser


def _folders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--specs", type=Path, default=SPECS_DIR, help="folder of spec files (default: specs/)")
    parser.add_argument("--out", type=Path, default=GENERATED_DIR, help="output folder (default: generated/)")


def _build(arguments: argparse.Namespace) -> int:
    progress = None if arguments.check else (lambda line: print(f"  {line}"))
    report = generate(arguments.specs, progress=progress)
    if arguments.check:
        differences = compare(report.files, arguments.out)
        for difference in differences:
            print(difference)
        if differences:
            print(f"{len(differences)} file(s) differ from the specs; run `trainspec build`.", file=sys.stderr)
            return 1
        print(f"{arguments.out}: all {len(report.files)} files up to date.")
        return 0
    changes = write(report.files, arguments.out)
    for change in changes:
        verb = {"missing": "created", "stale": "updated", "extra": "removed"}[change.kind]
        print(f"  {verb} {change.path}")
    stages = ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in report.stage_seconds.items())
    print(f"{len(report.files)} files from {arguments.specs}: {len(changes)} changed ({stages}).")
    return 0


def _list(arguments: argparse.Namespace) -> int:
    from codegen.load import load_registry
    from codegen.lower import lower

    registry = load_registry(arguments.specs)
    for spec in registry.everything:
        print(f"{spec.name:10} {spec.source:34} {spec.summary}")
        if spec.kind == "optimizer":  # the kernels its options select
            print(f"{'':10} variants: {', '.join(v.name for v in lower(spec).variants)}")
    return 0


def _docs(arguments: argparse.Namespace) -> int:
    from codegen.docs import DocsBuildError, build_pdf

    try:
        pdf = build_pdf(arguments.out, arguments.pdf)
    except DocsBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {pdf}")
    return 0


def _bench(arguments: argparse.Namespace) -> int:
    from codegen.bench import run

    run(size=arguments.size, repeats=arguments.repeats)
    return 0
