"""cocotb benches of spoon_top: ``tb_system`` (whole-state co-simulation with the model),
``tb_directed`` (interface rules of docs/rtl.md), ``edgegen`` (edge-seeking configurations and data)."""
