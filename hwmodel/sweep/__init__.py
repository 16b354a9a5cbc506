"""Parameter sweeps: ``python -m hwmodel.sweep bitwidths --grid quick``.

A grid maps dotted config keys to lists of values; every point (base config + overrides) is
trained on chip (integer DRTP) for every seed, and each finished run is written as one row of a
SQLite database, in its own transaction, by the parent process. Rerunning the same command skips
the rows already present, so an interrupted sweep resumes where it stopped. The float DRTP
reference of the base configuration is computed once per seed and stored in ``reference``.
See docs/sweep.md.

Errors in the input (grid, config, data) print one line ``error: ...`` on stderr and exit with
status 2 before any work starts.

The package, in the order a sweep runs: ``grid`` (grids from TOML), ``plan`` (points, data, seeds),
``store`` (the database: schema, migrations, lock), ``run`` (tasks, progress, rows as they finish),
``executors`` (process pool, Dask), ``worker`` (one task) with ``costs`` (the estimator's columns),
``cli`` (the command line). The names below are the package's Python interface.
"""
from hwmodel.sweep.cli import build_parser, main, plan_from_args
from hwmodel.sweep.costs import COST_SCOPES, cost_columns
from hwmodel.sweep.executors import DaskExecutor, LocalExecutor, SchedulerError
from hwmodel.sweep.grid import GRID_DIR, MODES, Grid, GridError, grid_from_dict, list_grids, load_grid, parse_seeds
from hwmodel.sweep.plan import (Plan, base_id, canonical, check_data, data_key, data_spec, flat_config, make_plan,
                                memory_bits, overrides_of, point_config)
from hwmodel.sweep.run import EXIT_FAILED, EXIT_INPUT, TASK_WEIGHT, WorkEstimate, run_sweep, task_kind
from hwmodel.sweep.store import (ADDED_COLUMNS, APPLICATION_ID, MIGRATIONS, REFERENCE_COLUMNS, RESULT_COLUMNS, SCHEMA,
                                 SCHEMA_VERSION, StoreError, SweepLock, check_db, connect, migrate)
from hwmodel.sweep.worker import run_task

__all__ = ["build_parser", "main", "plan_from_args", "COST_SCOPES",
           "cost_columns", "DaskExecutor", "LocalExecutor", "SchedulerError", "GRID_DIR", "MODES",
           "Grid", "GridError", "grid_from_dict", "list_grids", "load_grid", "parse_seeds", "Plan", "base_id",
           "canonical", "check_data", "data_key", "data_spec", "flat_config", "make_plan", "memory_bits",
           "overrides_of", "point_config", "EXIT_FAILED", "EXIT_INPUT", "TASK_WEIGHT", "WorkEstimate", "run_sweep",
           "task_kind", "ADDED_COLUMNS", "APPLICATION_ID", "MIGRATIONS", "REFERENCE_COLUMNS", "RESULT_COLUMNS",
           "SCHEMA", "SCHEMA_VERSION", "StoreError", "SweepLock", "check_db", "connect", "migrate", "run_task"]
