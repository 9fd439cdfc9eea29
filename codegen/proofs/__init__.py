"""The library the generated checks import at test time: proofs with SymPy, and the kernels of their package."""
