"""The build cache: the files a unit of work generated, keyed by everything they were generated from.

A unit is one spec (its code, docs and checks) or the files of a kind as a
whole. Its key hashes the generator itself (every source file and template of
``codegen``, and the versions of the libraries that shape the output), the
build's settings, and the bytes of every spec file the unit read: the spec's
own, those it imports and those it names (its parent, the specs its relations
compare it with). A changed byte anywhere in them is a new key, so a cache
entry can never stand for a stale output. Entries are JSON files written
atomically; an entry that does not read back whole is ignored and rebuilt.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from codegen.output import GeneratedFile

GENERATOR = Path(__file__).resolve().parent
# Libraries whose version can change what the generator writes.
SHAPING_LIBRARIES = ("sympy", "jinja2", "ruff")
COSTS = "costs.json"
"""The seconds each unit of work last took, by label: the driver schedules the next build's work by them."""


def default_folder() -> Path:
    """``$TRAINSPEC_CACHE_DIR``, else ``trainspec/build`` in the user's cache folder."""
    configured = os.environ.get("TRAINSPEC_CACHE_DIR")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "trainspec" / "build"


@functools.cache
def generator_fingerprint() -> str:
    """A hash of the generator's sources and templates and of the shaping libraries' versions."""
    digest = hashlib.sha256()
    for path in sorted(p for p in GENERATOR.rglob("*") if p.is_file() and p.suffix in {".py", ".jinja"}):
        digest.update(path.relative_to(GENERATOR).as_posix().encode())
        digest.update(path.read_bytes())
    for library in SHAPING_LIBRARIES:
        digest.update(f"{library}={importlib.metadata.version(library)}".encode())
    return digest.hexdigest()


class BuildCache:
    """Outputs by key in one folder; ``None`` as the folder turns caching off."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def costs(self) -> dict[str, float]:
        """The seconds each unit of work took when it last ran, by label; empty without a cache or a record."""
        if self.folder is None:
            return {}
        try:
            recorded = json.loads((self.folder / COSTS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {label: float(seconds) for label, seconds in recorded.items()} if isinstance(recorded, dict) else {}

    def record_costs(self, seconds: dict[str, float]) -> None:
        """Remember what these units took, for the next build to schedule its work by."""
        if self.folder is None or not seconds:
            return
        self._write(COSTS, json.dumps({**self.costs(), **seconds}, sort_keys=True))

    def templates_folder(self) -> Path | None:
        """Where the compiled templates are kept (created on demand), or None without a cache."""
        if self.folder is None:
            return None
        folder = self.folder / "templates"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def key(self, unit: str, settings: Iterable[str], inputs: Iterable[Path]) -> str:
        digest = hashlib.sha256(generator_fingerprint().encode())
        for part in (unit, *settings):
            digest.update(b"\0" + part.encode())
        for path in sorted(set(inputs)):
            digest.update(b"\0" + str(path).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def load(self, key: str) -> list[GeneratedFile] | None:
        if self.folder is None:
            return None
        try:
            entry = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            return [GeneratedFile(**item) for item in entry["files"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, or not whole: generate again

    def store(self, key: str, files: list[GeneratedFile]) -> None:
        if self.folder is None:
            return
        self._write(f"{key}.json", json.dumps({"files": [dataclasses.asdict(f) for f in files]}))

    def _write(self, name: str, text: str) -> None:
        """Write ``name`` in the cache folder atomically: a reader sees the old file or the new one, whole."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, self.folder / name)
