"""Training runs (``runs``: on-chip DRTP, off-chip BP, baselines, seeds) and the float references
of the same topology (``floatref``: the networks and kernels; ``gainsearch``: their gains chosen
on validation; docs/spec.md §13)."""
