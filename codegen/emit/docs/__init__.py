"""Models of the LaTeX formula documentation."""
