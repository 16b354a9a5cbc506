from hwmodel.util.checks import run_main
from hwmodel.cli import main

run_main(main)
