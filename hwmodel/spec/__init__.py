"""The chip's definition, no Numba: configuration and precisions, the layer stack and its memories,
counter names, ROM contents (docs/spec.md §2, §3, §8, §10, §11, §15)."""
