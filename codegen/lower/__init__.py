"""Stage 2: lower a spec to the forms its kernels compute (variants, resolved derivations), one module per kind."""
