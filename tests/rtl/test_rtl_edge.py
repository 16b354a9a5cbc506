"""Edge-seeking randomized co-simulation (sim/benches/edgegen.py): legal configurations of 0 to 3 hidden
layers built to reach the corners (saturating widths, argmax ties, activations on +-YMAX, zero
output errors, shift 0, every rounding mode, CIN 2, padding, pooling, one-unit hidden layers,
dense layers k >= 2 with zero inputs, saturated units and weights at the rails, TTFS/rate/DVS
streams), each co-simulated for a few learning and inference samples with every memory word of
every layer, every LFSR, the prediction, the outputs and every counter compared after every
sample.

By default the fixed seeds DEFAULT_SEEDS run (one per theme); ``HWMODEL_EDGE_SEEDS=N`` runs
seeds 0..N-1 instead, and ``pytest -m slow`` adds SLOW_SEEDS. Each case reports the corners it
hit; ``test_edge_corner_coverage`` requires every corner of edgegen.CORNERS to be hit at least
once over the seeds in use, so a generator that stops reaching a corner is noticed.
"""
from __future__ import annotations

import json
import os

import pytest

from sim.benches import edgegen
from sim import runner

from conftest import require_tool

DEFAULT_SEEDS = list(range(len(edgegen.THEMES)))            # one case per theme
SLOW_SEEDS = list(range(len(edgegen.THEMES), 8 * len(edgegen.THEMES)))


def seeds() -> list[int]:
    n = os.environ.get("HWMODEL_EDGE_SEEDS")
    return list(range(int(n))) if n else DEFAULT_SEEDS


def _cosim(seed: int) -> dict:
    require_tool(runner.unavailable(), "RTL simulation")
    case = edgegen.edge_case(seed)
    b = runner.build_top(case.cfg, quick=True)
    rep = runner.run(b, "sim.benches.tb_system", "system",
                        {"config": str(b.gen["dir"] / "config.toml"), "learning": 1,
                         "n_learn": case.n_learn, "n_infer": case.n_infer, "full_every": 1,
                         "events": case.events, "corners": 1}, tag=f"edge{seed}")
    assert rep["samples"] == case.n_learn + case.n_infer
    assert rep["pred_mismatch"] == 0 and rep["counter_mismatch"] == 0
    line = f"edge seed {seed} ({case.theme}): {edgegen.format_hits(rep.get('corners', {}))}"
    print(line)
    (runner.BUILD_ROOT / f"corners-edge{seed}.txt").write_text(line + "\n")
    return rep


@pytest.mark.parametrize("seed", seeds())
def test_rtl_edge_case(seed):
    _cosim(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_rtl_edge_case_more(seed):
    _cosim(seed)


def test_edge_generator_is_legal_and_deterministic():
    depths = set()
    for s in range(40):
        a, b = edgegen.edge_case(s), edgegen.edge_case(s)
        assert a.cfg.to_dict() == b.cfg.to_dict() and a.events == b.events
        assert a.theme == edgegen.THEMES[s % len(edgegen.THEMES)]
        assert a.cfg.depth == edgegen.depth_of(s)
        depths.add(a.cfg.depth)
    assert depths == {0, 1, 2, 3}
    assert {edgegen.depth_of(s) for s in DEFAULT_SEEDS} == {0, 1, 2, 3}


def test_edge_corner_coverage():
    """Every corner is reached by the seeds in use (counted on the model, which the co-simulation
    tests prove equal to the RTL on these very samples)."""
    total: dict[str, int] = {}
    rows = []
    for s in seeds():
        case = edgegen.edge_case(s)
        hits = edgegen.model_corners(case)
        edgegen.merge(total, hits)
        rows.append({"seed": s, "theme": case.theme, "corners": hits})
    report = "\n".join(f"seed {r['seed']:3d} {r['theme']:9s} {edgegen.format_hits(r['corners'])}"
                       for r in rows)
    print(report)
    runner.BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    (runner.BUILD_ROOT / "corner_report.json").write_text(json.dumps(
        {"seeds": seeds(), "total": total, "cases": rows}, indent=1))
    missing = [c for c in edgegen.CORNERS if total.get(c, 0) == 0]
    assert not missing, f"corners never reached: {missing}\n{report}"
