"""The bundled specs: one file per training method (see README, "Adding a method")."""
