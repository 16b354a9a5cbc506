"""The report's files: Markdown, self-contained HTML, CSV (one row per run) and JSON, written
as one set."""
from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Any

from hwmodel.sweep.schema import CSV_COLUMNS, REFERENCE
from hwmodel.util import checks
from hwmodel.util.plots import img_tag
from hwmodel.report.analysis import axis_minima, cheapest_within, fair_overhead, pareto_front, selection_accuracy
from hwmodel.report.load import COST_KEYS, Experiment, check_db, load
from hwmodel.report.sections import Section, build_sections


def _md_table(head: list[str], rows: list[list[Any]]) -> str:
    esc = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(map(esc, head)) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    return "\n".join(out)


def render_md(db: str, secs: list[Section]) -> str:
    from hwmodel.util.provenance import code_version
    out = [f"# Sweep report\n\nDatabase: `{db}`; report written by hwmodel {code_version()}\n"]
    for s in secs:
        out.append(f"## {s.title}\n")
        out += [f"**{a}**\n" for a in s.answer]
        lead = s.lead_image()
        if lead is not None:        # the answer's figure before any table
            out.append(f"![{lead[0]}]({lead[1]})\n\n*{lead[0]}*\n")
        out += [p + "\n" for p in s.paragraphs]
        for title, head, rows in s.tables[:-1]:
            out.append(f"### {title}\n\n{_md_table(head, rows)}\n")
        for cap, fname, _ in s.other_images():
            out.append(f"### {cap}\n\n![{cap}]({fname})\n")
        title, head, rows = s.tables[-1]
        out.append(f"### {title}\n\n{_md_table(head, rows)}\n")
    return "\n".join(out)


def _html_table(head: list[str], rows: list[list[Any]]) -> str:
    e = lambda v: html.escape(str(v))  # noqa: E731
    return ("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
            + "</tbody></table>")


def render_html(db: str, secs: list[Section]) -> str:
    e = html.escape
    from hwmodel.util.provenance import code_version
    body = [f"<h1>Sweep report</h1><p>Database: <code>{e(db)}</code>; report written by hwmodel "
            f"{e(code_version())}</p>"]
    for s in secs:
        body.append(f"<h2>{e(s.title)}</h2>")
        body += [f'<p class="answer"><b>{e(a)}</b></p>' for a in s.answer]
        lead = s.lead_image()
        if lead is not None:        # the answer's figure before any table
            body.append(f'<figure class="lead">{img_tag(lead[2], e(lead[0]))}<figcaption>{e(lead[0])}</figcaption></figure>')
        body += [f"<p>{e(p)}</p>" for p in s.paragraphs]
        for title, head, rows in s.tables[:-1]:
            body.append(f"<h3>{e(title)}</h3>{_html_table(head, rows)}")
        for cap, _, png in s.other_images():
            body.append(f"<figure>{img_tag(png, e(cap))}"
                        f"<figcaption>{e(cap)}</figcaption></figure>")
        title, head, rows = s.tables[-1]
        body.append(f"<h3>{e(title)}</h3>{_html_table(head, rows)}")
    css = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
           "table{border-collapse:collapse;font-size:13px;margin:0.5em 0 1.5em}"
           "td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}th{background:#f2f2f2}"
           "figure{display:inline-block;margin:0.5em}img{max-width:100%}")
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sweep report</title>"
            f"<style>{css}</style></head><body>{''.join(body)}</body></html>\n")


CSV_FIXED = CSV_COLUMNS  # the row columns of results.csv (hwmodel/sweep/schema.py)
# the baseline columns of the reference rows (schema 7), averaged over the reference seeds
BASELINE_KEYS = tuple(c.name for c in REFERENCE if c.name.startswith(("linear_", "frozen_")))
OUT_FILES = ("report.md", "report.html", "results.csv", "results.json", "*.png")


def write_report(db: str | Path, out: str | Path) -> dict[str, Any]:
    """Write the report files into ``out`` as one set (temporary folder, then rename)."""
    from hwmodel.util.checks import atomic_dir, check_out_dir
    check_out_dir(out, OUT_FILES)
    check_db(db)
    exps = load(db)
    secs = build_sections(exps)
    with atomic_dir(out) as tmp:
        doc = _write_files(db, exps, secs, tmp)
    return doc


def _write_files(db, exps: list[Experiment], secs: list[Section], out: Path) -> dict[str, Any]:
    from hwmodel.util.provenance import version_info
    for s in secs:
        for _, fname, png in s.images:
            (out / fname).write_bytes(png)
    (out / "report.md").write_text(render_md(str(db), secs))
    (out / "report.html").write_text(render_html(str(db), secs))
    axes = sorted({a for e in exps for a in e.axes})
    with open(out / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(CSV_FIXED) + axes + ["overrides"])
        for e in exps:
            for r in e.runs:
                w.writerow([r.get(c, "") for c in CSV_FIXED] + [r["config"].get(a, "") for a in axes]
                           + [json.dumps(r["overrides"], sort_keys=True)])
    doc = {"db": str(db), "code_version": version_info(), "experiments": []}
    for e in exps:
        doc["experiments"].append({
            "base": e.base, "epochs": e.epochs, "data": e.data, "axes": e.axes,
            "code_versions": e.code_versions, "skipped_rows": e.skipped, "incomplete": e.unfinished,
            "baselines": {k: dict(zip(("mean", "std", "ci95"), e.baseline(k))) for k in BASELINE_KEYS},
            "float_test_accuracy": e.float_acc,
            "float_test_std": e.float_test_stats[1], "float_test_ci95": e.float_test_stats[2],
            "float_val_accuracy": e.float_val_stats[0], "float_val_std": e.float_val_stats[1],
            "float_val_ci95": e.float_val_stats[2],
            "reference": [{k: v for k, v in r.items() if k not in ("config_toml",)} for r in e.reference],
            "points": [{"point_key": p.key, "overrides": p.overrides, "seeds": p.seeds,
                        "test_accuracy_mean": p.mean, "test_accuracy_std": p.std, "test_accuracy_ci95": p.ci,
                        "test_accuracies": p.accs, "train_accuracy_mean": p.train_mean,
                        "val_accuracy_mean": p.val_mean, "val_accuracy_std": p.val_std,
                        "val_accuracy_ci95": p.val_ci, "val_accuracies": p.val_accs,
                        "memory_bits": p.memory_bits, "weight_bits": p.weight_bits,
                        **{k: p.cost(k) for k in COST_KEYS}, "offchip_val_std": p.offchip_val[1],
                        "offchip_val_ci95": p.offchip_val[2], "cost_scope": p.scope} for p in e.points],
            "pareto_front": [p.key for p in pareto_front(
                e.points, acc=selection_accuracy if e.has_val else (lambda p: p.mean))],
            "pareto_front_decided_on": "validation" if e.has_val else "test (rows without validation accuracy)",
            "cheapest_within": cheapest_within(e),
            "axis_minima": axis_minima(e),
            "fair_overhead": fair_overhead(e),
        })
    (out / "results.json").write_text(checks.to_json(doc, indent=2, sort_keys=True))
    return doc
