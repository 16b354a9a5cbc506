"""Training runs (``runs``: on-chip DRTP, off-chip BP, baselines, seeds) and the float references
of the same topology (``floatref``, docs/spec.md §13)."""
