"""The LaTeX formula documentation: generated from the specs, built to a PDF on request.

``doc_files`` renders one section per optimizer (``docs/optimizers/<module>.tex``)
and the master document that inputs them all (``docs/trainspec.tex``); the
models come from ``codegen.docmodels``, so every formula is SymPy's printing of
a spec's own expression. ``build_pdf`` runs latexmk on a copy of the generated
``docs/`` folder in a temporary folder: no build artifact ever lands in
``generated/``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from codegen.docmodels import master_doc, optimizer_doc
from codegen.render import GeneratedFile, header, render

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PDF = REPO / "build" / "trainspec.pdf"
MASTER = "trainspec.tex"
MASTER_SOURCES = "the specs in specs/ and codegen/lower.py"
LATEXMK_TIMEOUT_S = 300
# How -file-line-error reports an error in the log: "./optimizers/adam.tex:12: Undefined control sequence."
_FILE_LINE_ERROR = re.compile(r"^\S+\.tex:\d+: ")


class DocsBuildError(RuntimeError):
    """The PDF could not be built: latexmk is missing, or LaTeX failed (the message names the log)."""


def doc_files(registry) -> list[GeneratedFile]:
    """The generated .tex files for ``registry``: one section per optimizer, and the master document."""
    files = []
    for spec in registry.specs:
        text = render("optimizer.tex.jinja", model=optimizer_doc(spec), header=header(spec.source))
        files.append(GeneratedFile(f"docs/optimizers/{spec.module_name}.tex", text, spec.source))
    master = render(
        "trainspec.tex.jinja", model=master_doc(registry.specs, _other_parts(registry)), header=header(MASTER_SOURCES)
    )
    files.append(GeneratedFile(f"docs/{MASTER}", master, MASTER_SOURCES))
    return files


def _other_parts(registry) -> tuple[str, ...]:
    """The documents the schedules and initializers generate for themselves, when there are any."""
    parts = []
    if registry.schedules:
        parts.append("schedules/schedules")
    if registry.initializers:
        parts.append("initializers/all")
    return tuple(parts)


def build_pdf(out_dir: Path, pdf: Path | None = None) -> Path:
    """Typeset ``out_dir/docs/trainspec.tex`` with latexmk and copy the PDF to ``pdf``; returns ``pdf``.

    Raises ``DocsBuildError`` when latexmk is missing, the master is absent, or
    LaTeX fails; on failure the LaTeX log is kept next to ``pdf`` and named.
    """
    pdf = Path(pdf) if pdf is not None else DEFAULT_PDF
    docs = Path(out_dir) / "docs"
    if not (docs / MASTER).is_file():
        raise DocsBuildError(f"{docs / MASTER} does not exist; run `trainspec build` first")
    latexmk = shutil.which("latexmk")
    if latexmk is None:
        raise DocsBuildError(
            "latexmk is not installed (Debian: apt-get install latexmk texlive-latex-base texlive-latex-recommended)"
        )
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="trainspec-docs-") as scratch:
        work = Path(scratch) / "docs"
        shutil.copytree(docs, work)
        result = _run_latexmk(latexmk, work)
        built = work / Path(MASTER).with_suffix(".pdf")
        if result.returncode != 0 or not built.is_file():
            log = _keep_log(work / Path(MASTER).with_suffix(".log"), pdf)
            raise DocsBuildError(f"LaTeX failed on {docs / MASTER} (latexmk exit {result.returncode}); {log}")
        shutil.copyfile(built, pdf)
    return pdf


def _run_latexmk(latexmk: str, work: Path) -> subprocess.CompletedProcess:
    command = [latexmk, "-pdf", "-norc", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", MASTER]
    # A fixed date makes the PDF byte-identical between runs (pdfTeX honours both variables).
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    try:
        return subprocess.run(
            command,
            cwd=work,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=LATEXMK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise DocsBuildError(f"latexmk ran past {LATEXMK_TIMEOUT_S} s on {work / MASTER}") from error


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
