"""Cost estimators: memory traffic, energy, power, area and the learning overhead.

``estimate(cfg, tech, ...)`` combines the model's counters (docs/spec.md §11) with a technology
table (``hwmodel/tech/*.toml``, ``load_tech``) and Yosys synthesis of ``rtl/`` (``area``); the
command line is ``python -m hwmodel.estimate``. Method and sources: docs/estimate.md.
"""
from .area import GE_TABLE, AreaError, SynthResult, cell_ge, read_liberty, synthesize
from .core import SPOON, estimate, memory_area
from .rate import DEFAULT_RATE_HZ
from .energy import BLOCKS, counter_costs, energy_breakdown, measure_counters, memory_specs, traffic
from .tech import DEFAULT_TECH, SCHEMA, Tech, TechError, load_tech

__all__ = ["GE_TABLE", "AreaError", "SynthResult", "cell_ge", "read_liberty", "synthesize",
           "DEFAULT_RATE_HZ", "SPOON", "estimate", "memory_area", "BLOCKS", "counter_costs",
           "energy_breakdown", "measure_counters", "memory_specs", "traffic", "DEFAULT_TECH",
           "SCHEMA", "Tech", "TechError", "load_tech"]
