"""The errors of trainspec: a bad spec (naming the spec file and the culprit symbol), and an implementation that
raised under `trainspec verify`."""

from __future__ import annotations


class SpecError(ValueError):
    """A spec that cannot be built. ``str()`` reads ``file: spec: symbol 'x': what is wrong``."""

    def __init__(self, source: str, message: str, *, spec: str | None = None, symbol: str | None = None):
        self.source = source
        self.spec = spec
        self.symbol = symbol
        self.message = message
        parts = [source]
        if spec:
            parts.append(spec)
        if symbol:
            parts.append(f"symbol {symbol!r}")
        super().__init__(": ".join(parts) + ": " + message)

    def __reduce__(self) -> tuple:
        # Keyword-only arguments: rebuilt explicitly, so the error survives the trip back from a build worker.
        return (_rebuilt, (self.source, self.message, self.spec, self.symbol))


def _rebuilt(source: str, message: str, spec: str | None, symbol: str | None) -> SpecError:
    return SpecError(source, message, spec=spec, symbol=symbol)


class ImplementationError(Exception):
    """The implementation ``trainspec verify`` referees raised, or broke the calling convention: neither a
    divergence nor a bad argument. Its cause is the implementation's own exception."""
