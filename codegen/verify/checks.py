"""Generated pytest modules that prove the relations declared beside the specs (stub: being written)."""

from __future__ import annotations


def check_files(registry) -> list:
    """The generated check modules for ``registry`` (GeneratedFile objects)."""
    return []
