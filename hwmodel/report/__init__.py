"""Reports of sweep databases: ``python -m hwmodel.report --db runs/sweep.sqlite --out DIR``.

Writes ``report.md`` (with the plots as PNG files beside it), a self-contained ``report.html``
(plots embedded as base64 PNG), ``results.csv`` (one row per run) and ``results.json``. Rows are
grouped into experiments (same base config, epochs and data); for each: test accuracy against the
bits of every swept axis (mean ± std over seeds, the 95 % t interval of the mean as error bars,
the float DRTP reference as a horizontal line), validation accuracy against memory bits with the
Pareto front, and the cheapest configuration within 0.5 / 1 / 2 percentage points of the float
reference. Every recommendation (cheapest within, fewest bits per axis, Pareto front) is decided
on validation accuracy, with its uncertainty, and says which points cannot be told apart
(overlapping 95 % intervals); test accuracy is reported, never used to choose. See docs/sweep.md.

The package, in the order a report is made: ``load`` (database to experiments and points),
``analysis`` (the decisions), ``plots``, ``sections`` (tables and figures per experiment),
``render`` (Markdown, HTML, CSV, JSON as one set), ``cli``. The names below are its Python interface.
"""
from hwmodel.report.analysis import axis_minima, axis_x, cheapest_within, fair_overhead, overlap, pareto_front
from hwmodel.report.cli import main
from hwmodel.report.load import COST_KEYS, Experiment, Point, ReportError, check_db, load, stack_keys, swept_axes
from hwmodel.report.render import CSV_FIXED, OUT_FILES, render_html, render_md, write_report
from hwmodel.report.sections import Section, build_sections

__all__ = ["axis_minima", "axis_x", "cheapest_within", "fair_overhead", "overlap", "pareto_front", "main",
           "COST_KEYS", "Experiment", "Point", "ReportError", "check_db", "load", "stack_keys", "swept_axes",
           "CSV_FIXED", "OUT_FILES", "render_html", "render_md", "write_report", "Section", "build_sections"]
