"""The progress of a long command (docs, bench, verify): on a terminal, one line that each step overwrites; nothing
at all when the output goes to a file, a pipe or a CI log, where it would only add noise."""

from __future__ import annotations

import shutil
import sys
from typing import TextIO

_CLEAR_LINE = "\r\033[K"


class Progress:
    """``with Progress() as progress: progress.step("measured Adam")``; the line is cleared at the end."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = sys.stderr if stream is None else stream
        self.shown = self.stream.isatty()
        self.written = False

    def step(self, text: str) -> None:
        if not self.shown:
            return
        width = shutil.get_terminal_size().columns - 1
        self.stream.write(_CLEAR_LINE + (text if len(text) <= width else text[: width - 1] + "…"))
        self.stream.flush()
        self.written = True

    def close(self) -> None:
        if self.written:
            self.stream.write(_CLEAR_LINE)
            self.stream.flush()
            self.written = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
