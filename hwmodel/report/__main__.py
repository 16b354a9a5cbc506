import sys

from hwmodel.report.cli import main

sys.exit(main())
