"""Stage 1: check that a spec means something before anything is generated from it, one module per kind."""
