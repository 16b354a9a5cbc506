"""Data in: MNIST (embedded and IDX, ``mnist``), encoders to events (``encode``), event files
(``eventio``) and DVS emulation (``dvs``)."""
