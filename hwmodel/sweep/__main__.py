from hwmodel.util.checks import run_main
from hwmodel.sweep.cli import main

run_main(main)
