"""``python -m hwmodel.estimate``: see hwmodel.estimate.cli."""
import sys

from .cli import main

sys.exit(main())
