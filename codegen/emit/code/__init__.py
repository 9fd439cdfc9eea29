"""Models of the generated Python package: kernels and classes."""
