"""``python -m hwmodel.estimate``: see hwmodel.estimate.cli."""
from hwmodel.util.checks import run_main

from .cli import main

run_main(main)
