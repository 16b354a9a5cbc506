"""``python -m hwmodel eval`` (a saved weights file on the test samples) and ``info`` (a
configuration, its derived sizes and memories)."""
from __future__ import annotations

import numpy as np

from hwmodel.util.checks import to_json
from hwmodel.spec.config import Config, list_presets
from hwmodel.spec.counters import counter_word_bits, named
from hwmodel.engine.processor import Processor
from hwmodel.cli.args import config_from_args, data_spec_from_args, log
from hwmodel.cli.text import pct


def per_sample(cfg: Config, counts: np.ndarray, n: int) -> dict[str, float]:
    """The inference phases' counters per sample, by the names of ``cfg``'s stack (spec §15)."""
    return {k: v / n for k, v in named(cfg, counts)["inference"].items()}


def cmd_eval(args) -> int:
    from hwmodel.util.provenance import version_info
    from hwmodel.data.select import check_spec, load_data, warn_data
    spec = data_spec_from_args(args)
    check_spec(spec)
    proc = Processor.load(args.weights)
    prep, source = load_data(proc.cfg, spec)
    warn_data(prep, log)
    r = proc.evaluate(prep.test, prep.y_test)
    res = {"test_accuracy": r.accuracy(prep.y_test), "n_test": len(prep.y_test),
           "config": proc.cfg.name, "data": source, "code_version": version_info(),
           "counters_per_sample": per_sample(proc.cfg, r.counters, len(prep.y_test))}
    if args.json:
        print(to_json(res, sort_keys=True))
    else:
        print(f"{args.weights}: test accuracy {pct(res['test_accuracy'])} on {res['n_test']} samples ({source})")
    return 0


def cmd_info(args) -> int:
    from hwmodel.spec import layers as stack
    cfg = config_from_args(args)
    mems = stack.organisation(cfg)
    lay = stack.layers(cfg)
    derived = {"conv_out": cfg.conv_out, "spike_side": cfg.spk_side, "fc1_inputs": cfg.n_in,
               "one": cfg.one, "depth": cfg.depth}
    res = {"config": cfg.to_dict(), "derived": derived, "layers": lay, "memories": mems,
           "presets": list_presets()}
    res["counter_word_bits"] = counter_word_bits(cfg)     # every depth, by the stack's counter names
    if cfg.depth == 1:
        derived["ymax"] = cfg.ymax
    if args.json:
        print(to_json(res, sort_keys=True))
        return 0
    print(cfg.to_toml())
    print(f"conv output {cfg.conv_out}x{cfg.conv_out}x{cfg.conv.channels}, spike map "
          f"{cfg.spk_side}x{cfg.spk_side} ({cfg.n_in} inputs)")
    for L in lay[1:]:
        print(f"{L['name']} ({L['kind']}): {L['inputs']}+1 inputs of {L['input_bits']} bit(s) -> "
              f"{L['neurons']}, weights {L['weight']}, accumulator {L['accumulator']}")
    print(f"{'memory':12s} {'words':>8s} {'bits/word':>10s} {'total bits':>12s} {'banks':>6s} {'ports':>9s}")
    for n, m in mems.items():
        print(f"{n:12s} {m['words']:8d} {m['word_bits']:10d} {m['bits']:12d} {m['banks']:6d} {m['ports']:>9s}")
    print(f"total {sum(m['bits'] for m in mems.values()):,} bits; presets: {', '.join(list_presets())}")
    return 0
