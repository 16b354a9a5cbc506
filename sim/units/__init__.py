"""Unit benches of the datapath blocks (``tb_units`` on ``unit_harness.v``) and the test-only
wrappers of rtl/fc_update.v in a hidden and an output layer's configuration."""
