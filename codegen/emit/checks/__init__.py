"""Models of the generated pytest check modules."""
