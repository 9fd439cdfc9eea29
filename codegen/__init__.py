"""trainspec's generator: specs in ``specs/`` → kernels, docs and checks in ``generated/``."""
