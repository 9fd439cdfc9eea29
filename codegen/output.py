"""The last stage: bring an output folder up to date with the generated files, or say how it differs.

Nothing is written until every file has been generated; then each changed
file goes through a temporary file and an atomic rename, so a bad spec (which
stops the build before this stage) leaves the folder exactly as it was, and
no reader ever sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Produced next to generated files by tools, never by the generator: not "extra".
IGNORED_PARTS = frozenset({"__pycache__", ".pytest_cache"})


@dataclass(frozen=True)
class GeneratedFile:
    """One output file: its path relative to the output folder, its text, and the spec it comes from."""

    path: str
    text: str
    source: str


@dataclass(frozen=True)
class Difference:
    kind: str  # "stale", "missing" or "extra"
    path: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}"


def compare(files: dict[str, GeneratedFile], out_dir: Path) -> list[Difference]:
    """How ``out_dir`` differs from ``files``; empty when it is up to date."""
    existing = set(_existing_files(out_dir))
    differences = []
    for path, generated in files.items():
        if path not in existing:
            differences.append(Difference("missing", path))
        elif (out_dir / path).read_bytes() != generated.text.encode("utf-8"):
            differences.append(Difference("stale", path))
    differences.extend(Difference("extra", path) for path in sorted(existing - set(files)))
    return differences


def write(files: dict[str, GeneratedFile], out_dir: Path) -> list[Difference]:
    """Bring ``out_dir`` up to date; returns what changed. Unchanged files are not touched."""
    changes = compare(files, out_dir)
    for change in changes:
        target = out_dir / change.path
        if change.kind == "extra":
            target.unlink()
        else:
            _write_atomically(target, files[change.path].text)
    _remove_empty_folders(out_dir)
    return changes


def _existing_files(out_dir: Path) -> list[str]:
    if not out_dir.exists():
        return []
    return sorted(
        path.relative_to(out_dir).as_posix()
        for path in out_dir.rglob("*")
        if path.is_file() and not IGNORED_PARTS & set(path.relative_to(out_dir).parts)
    )


def _write_atomically(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _remove_empty_folders(out_dir: Path) -> None:
    for folder in sorted((p for p in out_dir.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
