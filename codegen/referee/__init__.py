"""``trainspec verify``: an implementation refereed against a spec, one module per kind (never used by the build)."""
