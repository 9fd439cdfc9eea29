"""The whole tree, generated code included, passes the project's linter and formatter."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from helpers import REPO

from codegen.render import RUFF_SETTINGS


def _ruff(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_ruff_check_is_clean_on_the_whole_tree() -> None:
    result = _ruff("check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_format_leaves_the_whole_tree_as_it_is() -> None:
    result = _ruff("format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout[-4000:]


def test_render_formats_with_the_project_settings() -> None:
    """Generated Python is formatted in a scratch folder with RUFF_SETTINGS: they must be pyproject.toml's."""
    ruff = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]
    project = {
        "line-length": ruff["line-length"],
        "target-version": ruff["target-version"],
        "lint.isort.known-first-party": ruff["lint"]["isort"]["known-first-party"],
    }
    assert project == RUFF_SETTINGS
