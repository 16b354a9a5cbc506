"""The result rows of a sweep database, declared once: every column with its SQL declaration, the
schema version that added it and what it means (docs/sweep.md, "Database", lists the same).

The SQL of ``store.SCHEMA``, the migrations of older databases (``ADDED_COLUMNS``), the columns a
worker's row fills (``RESULT_COLUMNS``, ``REFERENCE_COLUMNS``), the cost columns the report averages
over seeds (``COST_KEYS``) and the CSV header of the report (``CSV_COLUMNS``) all come from here.
A new column is one ``Column`` line (with ``since`` = the new ``SCHEMA_VERSION``).
"""
from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 8  # 2: energy and memory-area columns; 3: code_version columns; 4: validation accuracy;
# 5: cycles per sample (spec §16); 6: the estimator's whole-sample energies, latency, area, overheads,
# cost scope and off-chip accuracy; 7: the integer baselines of each reference seed; 8: the knobs
# --tune chose (versions 2 to 7 are migrated)
FIRST = 2  # the oldest schema a database may have and still be migrated


@dataclass(frozen=True)
class Column:
    name: str
    sql: str           # the declaration after the name
    since: int = FIRST  # the schema version that added it (migrations add it to older databases)
    doc: str = ""


VERSION_COLUMN = "TEXT NOT NULL DEFAULT 'unknown'"

RESULTS = (
    Column("base", "TEXT NOT NULL", doc="base config identity: name- + 10 hex digits of the SHA-1 of its TOML"),
    Column("point_key", "TEXT NOT NULL", doc="canonical JSON of the point's overrides ({} = the base)"),
    Column("seed", "INTEGER NOT NULL", doc="chip seed"),
    Column("epochs", "INTEGER NOT NULL", doc="training epochs"),
    Column("data", "TEXT NOT NULL", doc="data identity"),
    Column("overrides", "TEXT NOT NULL", doc="= point_key"),
    Column("config_toml", "TEXT NOT NULL", doc="the run's whole configuration (TOML)"),
    Column("config_json", "TEXT NOT NULL", doc="the run's whole configuration (flat dotted JSON)"),
    Column("test_accuracy", "REAL NOT NULL", doc="final test accuracy (0..1)"),
    Column("train_accuracy", "REAL NOT NULL", doc="final accuracy on the digits trained on (0..1)"),
    Column("test_accuracy_per_epoch", "TEXT NOT NULL", doc="JSON list"),
    Column("weight_bits", "INTEGER NOT NULL", doc="FC weight memory bits"),
    Column("memory_bits", "INTEGER NOT NULL", doc="every memory of the stack, LFSRs included"),
    Column("memories", "TEXT NOT NULL", doc="JSON: per memory words, word_bits, bits"),
    Column("energy_per_classification_nj", "REAL NOT NULL", doc="nJ, one classification on the learning chip"),
    Column("energy_per_learning_sample_nj", "REAL NOT NULL", doc="nJ, the whole learning sample"),
    Column("memory_area_mm2", "REAL NOT NULL", doc="mm², the learning chip's memories as organised"),
    Column("n_train", "INTEGER NOT NULL", doc="training digits"),
    Column("n_test", "INTEGER NOT NULL", doc="test digits"),
    Column("wall_time", "REAL NOT NULL", doc="s, in the worker"),
    Column("worker", "TEXT NOT NULL", doc="host:pid"),
    Column("finished_at", "TEXT NOT NULL", doc="UTC"),
    Column("code_version", VERSION_COLUMN, 3, "VERSION+model.HASH of the code that made the row"),
    Column("val_accuracy", "REAL", 4, "final validation accuracy (0..1)"),
    Column("val_accuracy_per_epoch", "TEXT", 4, "JSON list"),
    Column("cycles_per_inference_sample", "REAL", 5, "cycles (spec §16)"),
    Column("cycles_per_learning_sample", "REAL", 5, "cycles (spec §16)"),
    Column("learning_extra_energy_nj", "REAL", 6, "nJ, a learning sample beyond a classification"),
    Column("energy_per_classification_inference_only_nj", "REAL", 6, "nJ, the same chip built without learning"),
    Column("latency_per_classification_us", "REAL", 6, "µs at clock_mhz"),
    Column("latency_per_learning_sample_us", "REAL", 6, "µs at clock_mhz"),
    Column("clock_mhz", "REAL", 6, "MHz"),
    Column("rate_hz", "REAL", 6, "samples/s of the power figures"),
    Column("power_mw", "REAL", 6, "mW, the learning chip classifying at rate_hz"),
    Column("area_mm2", "REAL", 6, "mm², the learning chip (--synth)"),
    Column("area_mm2_inference_only", "REAL", 6, "mm², the chip without learning (--synth)"),
    Column("learning_overhead_power_pct", "REAL", 6, "% of the chip without learning"),
    Column("learning_overhead_area_pct", "REAL", 6, "% of the chip without learning"),
    Column("cost_scope", "TEXT", 6, "synthesized, memories or dynamic"),
    Column("offchip_test_accuracy", "REAL", 6, "--offchip: off-chip trained weights on the chip (0..1)"),
    Column("offchip_val_accuracy", "REAL", 6, "--offchip: off-chip trained weights on the chip (0..1)"),
    Column("tune_knobs", "TEXT", 8, "--tune: JSON of the learning knobs chosen on validation (the chip trained "
                                    "is config_toml with these; NULL: not tuned)"),
)
REFERENCE = (
    Column("base", "TEXT NOT NULL"), Column("seed", "INTEGER NOT NULL"), Column("epochs", "INTEGER NOT NULL"),
    Column("data", "TEXT NOT NULL"), Column("config_toml", "TEXT NOT NULL"), Column("config_json", "TEXT NOT NULL"),
    Column("float_test_accuracy", "REAL NOT NULL"), Column("float_train_accuracy", "REAL NOT NULL"),
    Column("float_gains", "TEXT NOT NULL"), Column("test_accuracy", "REAL NOT NULL"),
    Column("train_accuracy", "REAL NOT NULL"), Column("weight_bits", "INTEGER NOT NULL"),
    Column("memory_bits", "INTEGER NOT NULL"), Column("n_train", "INTEGER NOT NULL"),
    Column("n_test", "INTEGER NOT NULL"), Column("wall_time", "REAL NOT NULL"), Column("worker", "TEXT NOT NULL"),
    Column("finished_at", "TEXT NOT NULL"), Column("code_version", VERSION_COLUMN, 3),
    Column("float_val_accuracy", "REAL", 4), Column("val_accuracy", "REAL", 4),
    # what learning in the hidden layers buys: the integer baselines trained beside the base chip
    Column("linear_test_accuracy", "REAL", 7, "linear read-out (no hidden layer, shifts chosen on validation)"),
    Column("linear_val_accuracy", "REAL", 7, "linear read-out, validation"),
    Column("linear_memory_bits", "INTEGER", 7, "every memory of the linear read-out chip"),
    Column("linear_energy_per_classification_nj", "REAL", 7, "nJ, the linear read-out chip (estimator, memories scope)"),
    Column("linear_energy_per_learning_sample_nj", "REAL", 7, "nJ, the linear read-out chip learning"),
    Column("frozen_test_accuracy", "REAL", 7, "the base chip with its hidden layers frozen (only the output learns)"),
    Column("frozen_val_accuracy", "REAL", 7, "frozen hidden layers, validation"),
    Column("tune_knobs", "TEXT", 8, "--tune: the base chip's knobs chosen on validation (JSON; NULL: not tuned)"),
)
SWEEPS = (
    Column("started_at", "TEXT NOT NULL"), Column("finished_at", "TEXT"), Column("argv", "TEXT NOT NULL"),
    Column("grid", "TEXT NOT NULL"), Column("base", "TEXT NOT NULL"), Column("epochs", "INTEGER NOT NULL"),
    Column("seeds", "TEXT NOT NULL"), Column("data", "TEXT NOT NULL"), Column("executor", "TEXT NOT NULL"),
    Column("n_runs", "INTEGER NOT NULL"), Column("n_skipped", "INTEGER NOT NULL"), Column("n_done", "INTEGER"),
    Column("n_failed", "INTEGER"), Column("code_version", VERSION_COLUMN, 3),
)
TABLES = {"results": (RESULTS, "UNIQUE (point_key, seed, epochs, data, base)"),
          "reference": (REFERENCE, "UNIQUE (base, seed, epochs, data)"),
          "sweeps": (SWEEPS, None)}


def create_sql() -> str:
    """The CREATE TABLE statements of a new database (schema ``SCHEMA_VERSION``)."""
    out = []
    for table, (cols, unique) in TABLES.items():
        body = ["    id INTEGER PRIMARY KEY"] + [f"    {c.name} {c.sql}" for c in cols]
        if unique:
            body.append(f"    {unique}")
        out.append(f"CREATE TABLE IF NOT EXISTS {table} (\n" + ",\n".join(body) + "\n);\n")
    out.append("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n")
    return "\n" + "".join(out)


def added_columns() -> dict[int, list[tuple[str, str, str]]]:
    """{version: [(table, column, declaration)]}: what each schema version after the first added."""
    out: dict[int, list[tuple[str, str, str]]] = {v: [] for v in range(FIRST + 1, SCHEMA_VERSION + 1)}
    for table, (cols, _) in TABLES.items():
        for c in cols:
            if c.since > FIRST:
                out[c.since].append((table, c.name, c.sql))
    return out


# the row a worker returns fills these (the id is the database's)
RESULT_COLUMNS = tuple(c.name for c in RESULTS)
REFERENCE_COLUMNS = tuple(c.name for c in REFERENCE)
# the cost columns of a row (docs/sweep.md), averaged over a point's seeds by the report
COST_KEYS = ("energy_per_classification_nj", "energy_per_learning_sample_nj", "learning_extra_energy_nj",
             "energy_per_classification_inference_only_nj", "latency_per_classification_us",
             "latency_per_learning_sample_us", "area_mm2", "area_mm2_inference_only", "memory_area_mm2",
             "learning_overhead_power_pct", "learning_overhead_area_pct", "offchip_val_accuracy",
             "offchip_test_accuracy")
# the report's results.csv: these columns of every row, then the swept axes and the overrides
CSV_COLUMNS = ("code_version", "base", "epochs", "data", "point_key", "seed", "test_accuracy", "train_accuracy",
               "val_accuracy", "memory_bits", "weight_bits", *COST_KEYS, "cost_scope", "clock_mhz", "rate_hz",
               "power_mw", "cycles_per_inference_sample", "cycles_per_learning_sample",
               "n_train", "n_test", "tune_knobs", "wall_time", "worker", "finished_at")
_unknown = set(COST_KEYS + CSV_COLUMNS) - set(RESULT_COLUMNS)
if _unknown:
    raise RuntimeError(f"sweep schema: {sorted(_unknown)} named but not declared")
