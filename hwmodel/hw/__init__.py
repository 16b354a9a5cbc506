"""The RTL flow's inputs generated from a configuration (``rtlgen``: parameters, memory ids,
$readmemh files)."""
