"""The plainly written references of the spec that the Numba kernels are tested against, and the
helpers that run both side by side."""
