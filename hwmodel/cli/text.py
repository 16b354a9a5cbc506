"""The text ``train`` prints: accuracies with their spread over seeds, the float references' gains,
saturation, rounding noise, cycles."""
from __future__ import annotations


def pct(v):
    return "-" if v is None else f"{100 * v:.2f} %"


def print_train(res: dict) -> None:
    print(f"config {res['config']}  seed {res['seed']}  epochs {res['epochs']}  "
          f"train {res['n_train']} / val {res.get('n_val', 0)} / test {res['n_test']}  ({res['data']})")
    rows = [("on-chip integer DRTP", res.get("train_accuracy"), res.get("val_accuracy"), res.get("test_accuracy")),
            ("float DRTP reference", res.get("float_train_accuracy"), res.get("float_val_accuracy"),
             res.get("float_test_accuracy")),
            ("off-chip BP -> integer", None, res.get("offchip_val_accuracy"), res.get("offchip_test_accuracy")),
            ("off-chip BP (float)", None, res.get("offchip_float_val_accuracy"),
             res.get("offchip_float_test_accuracy")),
            ("linear read-out (integer)", None, res.get("linear_val_accuracy"), res.get("linear_test_accuracy")),
            ("frozen hidden (integer)", None, res.get("frozen_val_accuracy"), res.get("frozen_test_accuracy"))]
    print(f"{'':26s} {'train':>9s} {'val':>9s} {'test':>9s}")
    for name, tr, va, te in rows:
        if tr is not None or te is not None:
            print(f"{name:26s} {pct(tr):>9s} {pct(va):>9s} {pct(te):>9s}")
    if "quantization_gap_pp" in res:
        print(f"quantization gap (float - integer): {res['quantization_gap_pp']:+.2f} pp")
    print_tune(res)
    print_gains(res)
    print_saturation(res.get("saturation"))
    print_rounding(res.get("rounding_repeats"))
    ev = res.get("event_savings")
    if ev:
        print(f"per sample: {ev['events_per_sample']:.0f} events, conv {ev['conv_ops_per_sample']:,.0f} adds and "
              f"{ev['conv_mem_accesses_per_sample']:,.0f} memory accesses (a frame-based conv of the same layer: "
              f"{ev['frame_conv_ops_per_sample']:,.0f} MACs, {ev['frame_conv_mem_accesses_per_sample']:,.0f} accesses)")
    if res.get("cycles_per_inference_sample"):
        lc = res.get("cycles_per_learning_sample")
        print(f"processor cycles (spec §16): {res['cycles_per_inference_sample']:,.0f} per inference sample"
              + (f", {lc:,.0f} per learning sample" if lc else ""))
    if res.get("learn_samples_per_second"):
        print(f"integer model, one core: {res['learn_samples_per_second']:,.0f} learning samples/s (conv front "
              f"end computed once), {res['infer_samples_per_second']:,.0f} inference samples/s (conv included)")
    if res.get("phase_seconds"):
        print("wall time: " + ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in res["phase_seconds"].items()))


def tune_text(s: dict) -> str:
    """The chosen knobs of a ``chip_tune_search`` in one line (what changed from the config)."""
    ch = ", ".join(f"{k} {s['preset'][k]} -> {s['knobs'][k]}" for k in s["changed"]) or "none changed"
    edge = f"; AT AN EDGE: {', '.join(s['at_edge'])}" if s["at_edge"] else ""
    return (f"{ch} (validation {100 * s['preset_val_accuracy']:.2f} -> {100 * s['val_accuracy']:.2f} %, "
            f"{s['runs']} runs, a move needs > {s['margin_pp']:.2f} pp){edge}")


def print_tune(res: dict) -> None:
    s = res.get("chip_tune_search")
    if s:
        print(f"chip knobs chosen on validation (--tune): {tune_text(s)}")


def print_gains(res: dict) -> None:
    for name, gk, sk in (("float DRTP", "float_gains", "float_gain_search"), ("off-chip BP", "offchip_gains",
                                                                              "offchip_gain_search")):
        g, s = res.get(gk), res.get(sk)
        if g is None or s is None:
            continue
        edge = ("; STILL ON AN EDGE of the searched range" if s["at_edge"] else "")
        print(f"{name} gains (hidden, output) = ({g[0]:g}, {g[1]:g}), best on validation of {s['runs']} runs "
              f"(searched {s['g1_range'][0]:g}..{s['g1_range'][1]:g} x "
              f"{s['g2_range'][0]:g}..{s['g2_range'][1]:g}){edge}")


def print_saturation(sat: dict | None, suffix: str = "") -> None:
    if not sat:
        return

    def v(layer, q):
        d = sat[layer]
        if q in d:
            return f"{100 * d[q]:.1f} %"
        m, s = d.get(f"{q}_mean"), d.get(f"{q}_std")
        return f"{100 * m:.1f} ± {100 * s:.1f} %" if s is not None else f"{100 * m:.1f} %"
    print(f"saturation{suffix}: fc1 {v('fc1', 'linear_fraction')} of units in the linear region (test set), "
          f"{v('fc1', 'weights_at_rails')} of weights at the rails; fc2 {v('fc2', 'linear_fraction')} of "
          f"outputs strictly inside (0, ONE), {v('fc2', 'weights_at_rails')} of weights at the rails")


def print_rounding(rr: dict | None) -> None:
    if not rr:
        return
    for e in rr["per_seed"]:
        sd = e.get("test_accuracy_std")
        print(f"rounding repeats, seed {e['seed']}: test " + " ".join(f"{100 * a:.1f}" for a in e["test_accuracy"])
              + f" %  (mean {100 * e['test_accuracy_mean']:.2f}"
              + (f", std {100 * sd:.2f} pp)" if sd is not None else ")")
              + (f"; gap {e['quantization_gap_pp_mean']:+.2f} pp" if "quantization_gap_pp_mean" in e else ""))
    if rr.get("test_accuracy_std_within_seed") is not None:
        print(f"rounding alone ({rr['repeats']} LFSR start states per seed): test accuracy std "
              f"{100 * rr['test_accuracy_std_within_seed']:.2f} pp"
              + (f"; quantization gap {rr['quantization_gap_pp_mean']:+.2f} ± {rr['quantization_gap_pp_std']:.2f} pp "
                 f"over all runs" if rr.get("quantization_gap_pp_std") is not None else ""))


def _ms(res: dict, key: str, pp: bool = False) -> str:
    """'mean ± std [low, high]' of a summarized metric, in % (or pp)."""
    m = res.get(f"{key}_mean")
    if m is None:
        return "-"
    k = 1 if pp else 100
    sd, ci = res.get(f"{key}_std"), res.get(f"{key}_ci95")
    if sd is None:
        return f"{k * m:.2f}"
    return f"{k * m:.2f} ± {k * sd:.2f} [{k * ci[0]:.2f}, {k * ci[1]:.2f}]"


def print_seeds(res: dict) -> None:
    print(f"config {res['config']}  seeds {', '.join(map(str, res['seeds']))}  epochs {res['epochs']}  "
          f"train {res['n_train']} / val {res.get('n_val', 0)} / test {res['n_test']}  ({res['data']})")
    print(f"accuracy in % over {res['n_seeds']} seed(s): mean ± std [95 % interval of the mean, t distribution]")
    rows = [("on-chip integer DRTP", "train_accuracy", "val_accuracy", "test_accuracy"),
            ("float DRTP reference", "float_train_accuracy", "float_val_accuracy", "float_test_accuracy"),
            ("off-chip BP -> integer", None, "offchip_val_accuracy", "offchip_test_accuracy"),
            ("off-chip BP (float)", None, "offchip_float_val_accuracy", "offchip_float_test_accuracy"),
            ("linear read-out (int)", None, "linear_val_accuracy", "linear_test_accuracy"),
            ("frozen hidden (int)", None, "frozen_val_accuracy", "frozen_test_accuracy")]
    print(f"{'':24s} {'train':>30s} {'val':>30s} {'test':>30s}")
    for name, tr, va, te in rows:
        if f"{te}_mean" in res:
            print(f"{name:24s} {_ms(res, tr) if tr else '-':>30s} {_ms(res, va):>30s} {_ms(res, te):>30s}")
    if "quantization_gap_pp_mean" in res:
        print(f"quantization gap (float - integer, test): {_ms(res, 'quantization_gap_pp', pp=True)} pp")
    for r in res["per_seed"]:
        print(f"  seed {r['seed']}: " + ", ".join(f"{n} {100 * r[k]:.2f} %" for n, k in (
            ("on-chip test", "test_accuracy"), ("float test", "float_test_accuracy"),
            ("off-chip test", "offchip_test_accuracy")) if k in r)
            + "".join(f"; {n} gains ({r[k][0]:g}, {r[k][1]:g}){' AT AN EDGE' if r[s]['at_edge'] else ''}"
                      for n, k, s in (("float", "float_gains", "float_gain_search"),
                                      ("off-chip", "offchip_gains", "offchip_gain_search")) if k in r))
    for r in res["per_seed"]:
        if r.get("chip_tune_search"):
            print(f"  seed {r['seed']} chip knobs (--tune): {tune_text(r['chip_tune_search'])}")
    print_saturation(res.get("saturation"), " (mean ± std over seeds)")
    print_rounding(res.get("rounding_repeats"))
    if res.get("cycles_per_inference_sample_mean"):
        lc = res.get("cycles_per_learning_sample_mean")
        print(f"processor cycles (spec §16, mean over seeds): {res['cycles_per_inference_sample_mean']:,.0f} "
              "per inference sample" + (f", {lc:,.0f} per learning sample" if lc else ""))
