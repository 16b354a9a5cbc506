"""RTL verification: the simulation flow (``runner``), the chip driver and whole-state checkers of
the cocotb benches (``chip``), the benches (``benches/``: system, directed, edge-seeking; ``units/``:
unit benches and their test-only Verilog), RTL quality gates (``quality``) and mutation testing
(``mutants``, ``python -m sim.mutate``)."""
