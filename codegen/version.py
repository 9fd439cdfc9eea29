"""trainspec's version, in one place: ``pyproject.toml`` reads it from here, and the docs' title page carries it."""

__version__ = "0.1.0"
