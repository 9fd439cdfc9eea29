"""Stage 4b: models of finished strings for the templates, for code, docs and checks, one module per kind."""
