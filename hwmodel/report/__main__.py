from hwmodel.util.checks import run_main
from hwmodel.report.cli import main

run_main(main)
