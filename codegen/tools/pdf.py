"""``trainspec docs``: the formula documentation built to a PDF, its plots drawn from the generated kernels.

``build_pdf`` copies the generated ``docs/`` folder to a temporary folder,
draws there each schedule's plot with the kernels of the generated package
(``figures/schedules/<module>.tex``, as the schedule sections input them) and
the figures of training by batch size (``figures/training/``), and runs
latexmk: no build artifact ever lands in the output folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from codegen.emit.docs.controller import figure_path as controller_figure
from codegen.emit.docs.estimator import PART as TRAINING_PART
from codegen.emit.docs.figure import figure, figure_file
from codegen.emit.docs.master import MASTER, VERSION_FILE
from codegen.emit.docs.schedule import figure_path
from codegen.language.schedule import Call
from codegen.load import load_registry
from codegen.progress import Progress
from codegen.proofs.package import generated_package
from codegen.referee.schedule_adapters import build
from codegen.render import render
from codegen.tools import training
from codegen.version import __version__

REPO = Path(__file__).resolve().parent.parent.parent
DEFAULT_PDF = REPO / "build" / "trainspec.pdf"
LATEXMK_TIMEOUT_S = 300
# How -file-line-error reports an error in the log: "./optimizers/adam.tex:12: Undefined control sequence."
_FILE_LINE_ERROR = re.compile(r"^\S+\.tex:\d+: ")
MASTER_NAME = Path(MASTER).name


class DocsBuildError(RuntimeError):
    """The PDF could not be built: latexmk is missing, or LaTeX failed (the message names the log)."""


def draw_figures(out_dir: Path, package: str, specs_dir: Path, docs: Path) -> list[Path]:
    """The figures of the sections ``docs`` holds, drawn there with the package in ``out_dir``: each schedule's
    example, each controller's rates on its example's metrics, and the experiments of the part on training by batch
    size (``codegen.tools.training``)."""
    registry = load_registry(specs_dir)
    specs = [spec for spec in registry.schedules if (docs / f"schedules/{spec.module_name}.tex").is_file()]
    controllers = [s for s in registry.of("controller") if (docs / f"controllers/{s.module_name}.tex").is_file()]
    training_part = (docs / Path(TRAINING_PART).relative_to("docs")).is_file()
    if not specs and not controllers and not training_part:
        return []
    generated = generated_package(out_dir / package, package)
    try:
        drawn = training.draw(generated, docs, "the specs in specs/training/") if training_part else []
    except ImportError as error:
        needed = f"the figures of training by batch size need {error.name}"
        raise DocsBuildError(f"{needed}: pip install 'trainspec[docs]'") from error
    for spec in specs:
        values = build(Call(spec.name, spec.example.arguments), generated).values(spec.example.steps + 1)
        drawn.append(_drawn(docs, f"{figure_path(spec)}.tex", figure(values), spec.source))
    for spec in controllers:
        controller = generated.controllers.CONTROLLERS[spec.name](**spec.example.arguments)
        rates = [controller.step(metric) for metric in spec.example.metrics]
        drawn.append(_drawn(docs, f"{controller_figure(spec)}.tex", figure(rates, 1, "epoch"), spec.source))
    return drawn


def _drawn(docs: Path, path: str, picture, source: str) -> Path:
    """``picture`` rendered into ``docs`` at ``path``."""
    target = docs / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(figure_file(path, picture, source)).text, encoding="utf-8")
    return target


def master_of(out_dir: Path) -> Path:
    """``out_dir/docs/trainspec.tex``; raises ``DocsBuildError`` when the build has not written it."""
    master = Path(out_dir) / "docs" / MASTER_NAME
    if not master.is_file():
        raise DocsBuildError(f"{master} does not exist; run `trainspec build` first")
    return master


def staged_docs(out_dir: Path, package: str, specs_dir: Path, work: Path, progress: Progress) -> list[Path]:
    """Copy ``out_dir/docs`` to ``work`` and add there what the docs input besides the generated files: the figures
    (returned), drawn with the package ``package`` in ``out_dir``, and trainspec's version."""
    shutil.copytree(Path(out_dir) / "docs", work)
    progress.step("docs: drawing the figures with the generated kernels")
    drawn = draw_figures(Path(out_dir), package, specs_dir, work)
    (work / VERSION_FILE).write_text(f"\\newcommand{{\\trainspecversion}}{{{__version__}}}\n", encoding="utf-8")
    return drawn


def build_pdf(
    out_dir: Path, pdf: Path | None = None, *, package: str = "trainspec", specs_dir: Path | None = None
) -> Path:
    """Typeset ``out_dir/docs/trainspec.tex`` with latexmk and copy the PDF to ``pdf``; returns ``pdf``.

    The plots are drawn with the package ``package`` generated in ``out_dir`` from the specs in ``specs_dir``.

    Raises ``DocsBuildError`` when latexmk is missing, the master is absent, or
    LaTeX fails; on failure the LaTeX log is kept next to ``pdf`` and named.
    """
    pdf = Path(pdf) if pdf is not None else DEFAULT_PDF
    master = master_of(out_dir)
    latexmk = shutil.which("latexmk")
    if latexmk is None:
        raise DocsBuildError(
            "latexmk is not installed (Debian: apt-get install latexmk texlive-latex-base texlive-latex-recommended)"
        )
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="trainspec-docs-") as scratch:
        work = Path(scratch) / "docs"
        specs = REPO / "specs" if specs_dir is None else Path(specs_dir)
        with Progress() as progress:
            staged_docs(Path(out_dir), package, specs, work, progress)
            progress.step("docs: typesetting with latexmk")
            result = _run_latexmk(latexmk, work, specs)
        built = work / Path(MASTER_NAME).with_suffix(".pdf")
        if result.returncode != 0 or not built.is_file():
            log = _keep_log(work / Path(MASTER_NAME).with_suffix(".log"), pdf)
            raise DocsBuildError(f"LaTeX failed on {master} (latexmk exit {result.returncode}); {log}")
        shutil.copyfile(built, pdf)
    return pdf


def _run_latexmk(latexmk: str, work: Path, specs_dir: Path) -> subprocess.CompletedProcess:
    command = [latexmk, "-pdf", "-norc", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", MASTER_NAME]
    # The specs' date makes the PDF byte-identical between runs of the same specs (pdfTeX honours both).
    environment = {**os.environ, "SOURCE_DATE_EPOCH": str(specs_date(specs_dir)), "FORCE_SOURCE_DATE": "1"}
    return run_tool(command, work, LATEXMK_TIMEOUT_S, f"latexmk on {work / MASTER_NAME}", environment=environment)


def run_tool(
    command: list[str], cwd: Path, timeout: int, what: str, *, environment: dict | None = None, text: str | None = None
) -> subprocess.CompletedProcess:
    """Run a typesetting tool, ``text`` on its input (none: no input), its output captured; ``what`` names it in
    the ``DocsBuildError`` raised when it runs past ``timeout`` seconds."""
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            env=environment,
            input=text,
            stdin=None if text is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise DocsBuildError(f"{what} ran past {timeout} s") from error


def specs_date(specs_dir: Path) -> int:
    """The PDF's date, in seconds since 1970: when the specs last changed. That is the time of the last commit
    that touched them in a git checkout (the same in every clone), else the newest spec file's modification time."""
    try:
        committed = subprocess.run(
            ["git", "log", "-1", "--format=%ct", "--", "."],
            cwd=specs_dir,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.strip()
    except OSError:  # no git on this machine
        committed = ""
    if committed.isdigit():
        return int(committed)
    return int(max((path.stat().st_mtime for path in Path(specs_dir).rglob("*.py")), default=0))


def _keep_log(log: Path, pdf: Path) -> str:
    """Copy the LaTeX log next to the PDF (the build folder is deleted) and quote its first error."""
    if not log.is_file():
        return "LaTeX wrote no log"
    kept = pdf.with_suffix(".log")
    shutil.copyfile(log, kept)
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    errors = [line for line in lines if line.startswith("!") or _FILE_LINE_ERROR.match(line)]
    first = f"first error: {errors[0].strip()}; " if errors else ""
    return f"{first}see the log {kept}"
