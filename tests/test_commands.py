"""The long commands as a user runs them, end to end: `trainspec docs` and `trainspec bench --only`, piped (no
progress on a pipe), and the progress line they show on a terminal."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from helpers import run_trainspec

from codegen.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_and_clears_its_line():
    terminal = _Terminal()
    with Progress(terminal) as progress:
        progress.step("bench optimizers: 1/2 Adam")
        progress.step("bench optimizers: 2/2 SGD")
    written = terminal.getvalue()
    assert written.count("\r\033[K") == 3 and "1/2 Adam" in written and written.endswith("\r\033[K")


def test_progress_says_nothing_when_piped():
    piped = io.StringIO()
    with Progress(piped) as progress:
        progress.step("verify: 1/7 defaults")
    assert piped.getvalue() == ""


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk is not installed")
def test_docs_command_writes_the_pdf(tmp_path: Path):
    pdf = tmp_path / "trainspec.pdf"
    result = run_trainspec("docs", "--pdf", str(pdf))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {pdf}"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "\r" not in result.stderr  # piped: no progress line


def test_bench_only_runs_the_rows_asked_for():
    result = run_trainspec(
        "bench", "--only", "Adam amsgrad", "HeUniform", "--size", "20000", "--repeats", "1",
        "--initializers-size", "20000",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = re.findall(r"^\| ([^|]+?) \|", result.stdout, re.MULTILINE)
    names = [row for row in rows if row not in {"optimizer", "initializer", "---"} and not row.startswith("-")]
    assert names == ["Adam amsgrad", "HeUniform"], result.stdout
    assert "trainspec.torch against torch.optim" not in result.stdout
    assert "\r" not in result.stderr


def test_bench_only_refuses_an_unknown_name_listing_the_known():
    result = run_trainspec("bench", "--only", "Adamm")
    assert result.returncode == 2
    assert "--only 'Adamm' is neither a table nor a row of one" in result.stderr
    assert "Adam amsgrad" in result.stderr and "HeUniform" in result.stderr
