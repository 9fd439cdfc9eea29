"""Stage 4a: the only code that turns SymPy into text (Python, LaTeX, plain text, SymPy source)."""
