"""Markdown + self-contained HTML report of one estimate, with matplotlib (Agg) plots."""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from hwmodel.util.checks import to_json
from hwmodel.util.plots import img_tag, png_bytes as _png, pyplot as _plt
from .energy import BLOCKS, describe_measurement




def _stacked(ax, labels: list[str], series: dict[str, list[float]], ylabel: str,
             ranges: list[list[float] | None] | None = None) -> None:
    """Stacked bars by block; ``ranges``: each bar's total's [low, high] over the estimator's
    brackets (docs/estimate.md), drawn as an error bar on the total with its values."""
    bottom = [0.0] * len(labels)
    for name, vals in series.items():
        ax.bar(labels, vals, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, vals)]
    for i, rg in enumerate(ranges or []):
        if rg is None:
            continue
        lo, hi = rg
        ax.errorbar([i], [bottom[i]], yerr=[[max(0.0, bottom[i] - lo)], [max(0.0, hi - bottom[i])]], fmt="none",
                    ecolor="k", capsize=6, lw=1.2, label="range over the brackets" if i == 0 else None)
        ax.annotate(f"{lo:.3g}–{hi:.3g}", (i, hi), xytext=(0, 3), textcoords="offset points", ha="center",
                    fontsize=7)
    highs = [rg[1] for rg in ranges or [] if rg is not None]
    if highs:                            # room for the range labels above the highest bar
        ax.set_ylim(top=max(ax.get_ylim()[1], 1.1 * max(highs)))
    ax.set_ylabel(ylabel)
    # outside the axes, so that no bar hides under the legend
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def _learning_panel(ax, values: dict[str, float], ylabel: str, title: str) -> None:
    """The learning-only part by block on a log scale, so that small learning blocks show."""
    names = [b for b, v in values.items() if v > 0]
    ax.bar(names, [values[b] for b in names], color="tab:red")
    if names:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", rotation=45)


def plot_energy(r: dict) -> bytes:
    plt = _plt()
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.2, 1]})
    e = r["energy_nj_by_block"]
    leak = r.get("leakage_energy_nj") or {"classification": 0.0, "learning_sample": 0.0}
    series = {b: [e["inference"][b], e["inference"][b] + e["learning"][b]] for b in BLOCKS}
    series["leakage (over the sample)"] = [leak["classification"], leak["learning_sample"]]
    _stacked(axs[0], ["classification", "learning sample"], series, "energy per sample (nJ)",
             [r.get("energy_per_classification_nj_range"), r.get("energy_per_learning_sample_nj_range")])
    axs[0].set_title(f"Energy per sample by block ({r['config']})", fontsize=10)
    extra = {b: e["learning"][b] for b in BLOCKS}
    extra["leakage"] = leak["learning_sample"] - leak["classification"]
    _learning_panel(axs[1], extra, "nJ (log scale)", "what a learning sample adds, by block")
    fig.tight_layout()
    return _png(fig)


def plot_area(r: dict) -> bytes:
    plt = _plt()
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.2, 1]})
    L, I = r["designs"]["learning"]["area_mm2_by_block"], r["designs"]["inference_only"]["area_mm2_by_block"]
    _stacked(axs[0], ["inference-only chip", "learning chip"], {b: [I[b], L[b]] for b in BLOCKS}, "area (mm²)",
             [None, r.get("area_mm2_range")])
    axs[0].set_title("Area by block" + ("" if r["area_includes_logic"] else " (memories only: --no-synth)"),
                     fontsize=10)
    _learning_panel(axs[1], {b: 1e6 * (L[b] - I[b]) for b in BLOCKS}, "µm² (log scale)",
                    "area the learning hardware adds, by block")
    fig.tight_layout()
    return _png(fig)


def plot_overhead(r: dict) -> bytes:
    plt = _plt()
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.6))
    o = r["learning_overhead_by_block"]
    axs[0].bar(BLOCKS, [o[b]["power_uw"] for b in BLOCKS])
    axs[0].set_ylabel("learning power overhead (µW)")
    axs[1].bar(BLOCKS, [1e6 * o[b]["area_mm2"] for b in BLOCKS])
    axs[1].set_ylabel("learning area overhead (µm²)")
    for ax in axs:
        ax.tick_params(axis="x", rotation=45)
    fig.suptitle(f"Learning overhead by block at {r['rate_hz']:,.0f} classifications/s")
    return _png(fig)


def _fmt(v: Any, nd: int = 2) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return str(v)


def tables(r: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    s = r["spoon_reference"]
    head = [("Quantity", "This model", "SPOON (ISCAS 2020)"), ]
    summary = [
        ["energy per classification (nJ, incl. leakage over its duration)", _fmt(r["energy_per_classification_nj"], 1), _fmt(s["energy_per_classification_nj"], 1)],
        ["dynamic energy per classification (nJ)", _fmt(r["energy_per_classification_dynamic_nj"], 1), "-"],
        ["energy per learning sample (nJ, whole sample)", _fmt(r["energy_per_learning_sample_nj"], 1), "-"],
        ["  of which extra to a classification (nJ)", _fmt(r["learning_extra_energy_nj"], 1), "-"],
        [f"latency per classification (µs, {r['clock_mhz']:g} MHz)", _fmt(r["latency_per_classification_us"], 1), _fmt(1e3 * s["latency_ms"], 0)],
        ["latency per learning sample (µs)", _fmt(r["latency_per_learning_sample_us"], 1), "-"],
        ["area (mm²)" + ("" if r["area_includes_logic"] else ", memories only"), _fmt(r["area_mm2"], 4), _fmt(s["area_mm2"], 2)],
        ["learning power overhead, % of inference-only", _fmt(r["learning_overhead_power_pct"], 1), "-"],
        ["learning power overhead, % of total", _fmt(r["learning_overhead_power_pct_of_total"], 1), "-"],
        ["learning power overhead, same chip learning vs classifying (SPOON's convention), %",
         _fmt(r["learning_overhead_power_same_chip_pct"], 1), _fmt(s["learning_overhead_power_pct"], 1) + " (366 vs 313 nJ)"],
        ["energy per learning sample over energy per classification, %", _fmt(r["learning_overhead_energy_same_chip_pct"], 1),
         _fmt(100 * (s["energy_per_learning_sample_nj"] / s["energy_per_classification_nj"] - 1), 1)],
        ["learning increment per learning sample (nJ)", _fmt(r["learning_increment_nj"], 1), _fmt(s["learning_increment_nj"], 1)],
        ["learning area increment (mm²)", _fmt(r["learning_increment_area_mm2"], 4), "-"],
        ["learning area overhead, % of inference-only", _fmt(r["learning_overhead_area_pct"], 2), "13.4 if 11.8 is % of total"],
        ["learning area overhead, % of total", _fmt(r["learning_overhead_area_pct_of_total"], 2), _fmt(s["learning_overhead_area_pct"], 1) + " (convention not stated)"],
    ]
    blocks = []
    for b in BLOCKS:
        o = r["learning_overhead_by_block"][b]
        blocks.append([b, _fmt(r["energy_nj_by_block"]["inference"][b], 3), _fmt(r["energy_nj_by_block"]["learning"][b], 3),
                       _fmt(r["designs"]["learning"]["area_mm2_by_block"][b], 5), _fmt(o["area_mm2"], 5),
                       _fmt(o["power_uw"], 2), _fmt(o["power_pct_of_inference_only"], 2)])
    mems = []
    for n, t in r["traffic"].items():
        c, lr = t["per_classification"], t["per_learning_sample"]
        mem = r["designs"]["learning"]["memories"].get(n)
        mems.append([n, t["kind"], f"{t['depth']}x{t['word_bits']}", _fmt(c["reads"], 1), _fmt(c["writes"], 1),
                     _fmt(lr["reads"], 1), _fmt(lr["writes"], 1), _fmt(r["energy_nj_by_memory"]["inference"][n], 3),
                     _fmt(r["energy_nj_by_memory"]["learning"][n], 3), _fmt(mem["area_um2"] if mem else None, 0)])
    layers = [[k, _fmt(v["energy_per_classification_nj"], 3), _fmt(v["learning_energy_nj"], 3),
               _fmt(v["area_mm2"], 5), _fmt(v["area_mm2"] - v["area_mm2_inference_only"], 5), _fmt(v["logic_ge"], 0)]
              for k, v in r.get("by_layer", {}).items()]
    acts = [[a["component"], a["action"], _fmt(a["energy_pj"], 4), _fmt(a["per_classification"], 1),
             _fmt(a["per_learning_sample"], 1)] for a in r.get("actions", [])]
    rng = []
    for k, label in (("energy_per_classification_nj", "energy per classification (nJ)"),
                     ("energy_per_learning_sample_nj", "energy per learning sample (nJ)"),
                     ("learning_extra_energy_nj", "learning extra energy (nJ)"), ("area_mm2", "area (mm²)"),
                     ("learning_overhead_power_pct", "learning power overhead, % of inference-only"),
                     ("learning_overhead_area_pct", "learning area overhead, % of inference-only")):
        lo_hi = r.get(f"{k}_range")
        if lo_hi:
            rng.append([label, _fmt(r[k], 3), _fmt(lo_hi[0], 3), _fmt(lo_hi[1], 3)])
    src = [[k, v["source"], v["scaling"]] for k, v in r["tech_sources"].items()]
    timing = [[k.replace("_", "-"), _fmt(t["library_delay_ns"], 3), _fmt(t["delay_factor"], 2),
               _fmt(t["critical_path_ns"], 2), _fmt(t["register_path_ns"], 2), _fmt(t["memory_path_bound_ns"], 2),
               _fmt(t["period_ns"], 2), _fmt(t["slack_ns"], 2), f"{t['start']} -> {t['end']}"]
              for k, t in (r.get("timing") or {}).items()]
    timing_table = [("Timing (--timing: flattened chip mapped to the liberty, delays scaled to the table's node "
                     "and supply)", ["chip", "critical path in the liberty (ns)", "delay factor", "critical path (ns)",
                                     "register paths (ns)", "bound from an SRAM output (ns)", "period (ns)",
                                     "slack, register paths (ns)", "worst path"], timing)] if timing else []
    return [("Summary", list(head[0]), summary), *timing_table,
            ("Per block", ["block", "E classification (nJ)", "E learning (nJ)", "area learning chip (mm²)",
                           "Δarea (mm²)", "Δpower (µW)", "Δpower (% of inference-only)"], blocks),
            ("Memory traffic and energy per sample", ["memory", "kind", "depth x bits", "reads/class.", "writes/class.",
                                                    "reads/learn", "writes/learn", "E class. (nJ)", "E learn (nJ)", "area (µm²)"], mems),
            ("Per FC layer (memories of the layer, its logic, its actions; the rest is shared)",
             ["layer", "E classification (nJ)", "E learning phases (nJ)", "area learning chip (mm²)",
              "Δarea for learning (mm²)", "logic GE"], layers),
            ("Ranges over the brackets", ["quantity", "estimate", "low", "high"], rng),
            ("Energy per action (Accelergy-style ERT) and action counts",
             ["component", "action", "energy per action (pJ)", "count / classification",
              "count / learning sample (learning phases)"], acts),
            ("Technology table sources", ["component", "source", "scaling"], src)]


IMAGES = (("energy.png", "Energy per sample by block: classification vs training sample", plot_energy),
          ("area.png", "Area by block: inference-only vs learning chip", plot_area),
          ("overhead.png", "Learning overhead by block (power and area)", plot_overhead))


def _intro(r: dict) -> list[str]:
    m = r["measurement"]
    rate = {"spoon_latency": " (one per SPOON's 0.12 ms latency)",
            "throughput": " (the chip's own throughput: SPOON's rate is faster than it)"}.get(r.get("rate_source"), "")
    return [f"Configuration `{r['config']}`, technology `{r['tech']['name']}` ({r['tech']['node_nm']:g} nm, "
            f"{r['tech']['vdd']:g} V). Counters measured by the bit-accurate model on {describe_measurement(m)}. "
            f"Power at {r['rate_hz']:,.0f} classifications/s{rate}. Method and sources: docs/estimate.md."] + \
           ([f"Ranges: every corner of the energy brackets ({'; '.join(r['range_brackets']['energy'])}) and "
             f"the area brackets ({'; '.join(r['range_brackets']['area'])})."] if r.get("range_brackets") else []) + \
           [f"Note: {n}" for n in r["notes"]] + _version_line(r)


def _version_line(r: dict) -> list[str]:
    v = r.get("code_version")
    if not v:
        return []
    return [f"Code version: hwmodel {v['code_version']}"
            + (f", RTL sources {v['rtl_sha256']}" if v.get("rtl_sha256") else "") + "."]


def render_md(r: dict) -> str:
    out = [f"# Cost estimate: {r['config']}", ""] + [p + "\n" for p in _intro(r)]
    for title, head, rows in tables(r):
        out += [f"## {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(str(c).replace("|", "/") for c in row) + " |" for row in rows]
        out.append("")
    out += ["## Plots", ""] + [f"![{cap}]({fn})\n" for fn, cap, _ in IMAGES]
    return "\n".join(out) + "\n"


def render_html(r: dict, images: dict[str, bytes]) -> str:
    e = html.escape
    body = [f"<h1>Cost estimate: {e(r['config'])}</h1>"] + [f"<p>{e(p)}</p>" for p in _intro(r)]
    for title, head, rows in tables(r):
        body.append(f"<h2>{e(title)}</h2><table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head)
                    + "</tr></thead><tbody>" + "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row)
                                                      + "</tr>" for row in rows) + "</tbody></table>")
    body.append("<h2>Plots</h2>")
    for fn, cap, _ in IMAGES:
        body.append(f"<figure>{img_tag(images[fn], e(cap))}<figcaption>{e(cap)}</figcaption></figure>")
    css = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
           "table{border-collapse:collapse;font-size:13px;margin:0.5em 0 1.5em}"
           "td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}th{background:#f2f2f2}"
           "figure{display:inline-block;margin:0.5em}img{max-width:100%}")
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Cost estimate {e(r['config'])}</title>"
            f"<style>{css}</style></head><body>{''.join(body)}</body></html>\n")


def write_report(r: dict, out: str | Path) -> Path:
    """Write the report files into ``out`` as one set (temporary folder, then rename)."""
    from hwmodel.util.checks import atomic_dir, check_out_dir
    d = check_out_dir(out, ("report.md", "report.html", "estimate.json", "*.png"))
    images = {fn: fn_plot(r) for fn, _, fn_plot in IMAGES}
    with atomic_dir(d) as tmp:
        for fn, png in images.items():
            (tmp / fn).write_bytes(png)
        (tmp / "report.md").write_text(render_md(r))
        (tmp / "report.html").write_text(render_html(r, images))
        (tmp / "estimate.json").write_text(to_json(r, indent=2, sort_keys=True))
    return d
