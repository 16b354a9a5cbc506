import sys

from hwmodel.sweep.cli import main

sys.exit(main())
