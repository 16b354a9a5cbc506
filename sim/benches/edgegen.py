"""Edge-seeking generator of legal configurations for randomized co-simulation, and the corner
counter that says which corners a run actually reached.

``edge_case(seed)`` returns an ``EdgeCase``: a legal ``Config`` (28x28 input: the embedded
digits) plus the event-stream kind, built around one *theme* chosen by ``seed % len(THEMES)``
and randomized by ``seed`` inside it. The themes aim at the corners where single-point bugs hide:

- ``narrow``   widths so small that potentials, accumulators and weights saturate; two classes
               with the narrowest output accumulator, so saturated outputs tie;
- ``tie``      the output layer starts at all-zero weights: every output potential is equal on
               the first sample (argmax tie rule), few classes;
- ``ymax``     tiny activations (YMAX 1 or 3) so hidden units land exactly on +-YMAX (the edge of
               the derivative window); learning-rate shift 0; AS >= 1 (floor of negative values);
- ``zero_err`` a 2-bit sigmoid output whose LUT reaches 0 and ONE: output errors of exactly 0;
- ``structure`` two input channels with DVS streams, padding, pooling, one-unit hidden layers;
- ``rate``     rate-coded images (several events per pixel) into small potentials;
- ``wide``     everything drawn at random over wide ranges (shifts up to the spec's limits).

Every case also has a depth (spec §15: 0 to 3 hidden layers; ``depth_of``): the default seeds
(one per theme) cover 0, 1, 2 and 3, later rounds rotate them. The theme's hidden-layer fields
apply to every hidden layer; layers k >= 2 (multi-bit inputs) get an accumulator of at least
WB + YB_{k-1} bits and an input shift drawn around the size of their sums, and small sizes.
The rounding mode cycles with the seed (``(seed // len(THEMES) + seed) % 3``), so the first
len(THEMES) seeds already cover all three modes and later rounds give each theme the others.
Every FC layer also gets an organisation (spec §16, ``_organisation``): lanes P (1, N, or in
between: often a partial last group), weight-memory banks (1, 2, 4 or 8, at most its words) and
ports ("1r1w" / "1rw"), drawn from a stream of their own so that the theme's values do not
depend on them.
``corner_hits`` counts, per sample, the corners listed in ``CORNERS`` from the model's state
after the sample; the tests print them and require every corner to be hit at least once over
the default seeds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwmodel.spec.config import Config, ConfigError

THEMES = ("narrow", "tie", "ymax", "zero_err", "structure", "rate", "wide")
# depth of each theme's default seed (seed < len(THEMES)); later rounds add seed // len(THEMES)
THEME_DEPTH = {"narrow": 2, "tie": 0, "ymax": 3, "zero_err": 0, "structure": 1, "rate": 2, "wide": 3}

# name -> what it means (counted per sample, or per config for the structural corners)
CORNERS = {
    "conv_pot_sat": "a conv potential at a rail of sPB after the sample",
    "hidden_acc_sat": "a hidden layer's accumulator at a rail of its sAB",
    "output_acc_sat": "an output accumulator at a rail of its sAB",
    "dense_acc_sat": "an accumulator of a layer k >= 2 (multi-bit inputs) at a rail",
    "hidden_w_rail": "a hidden layer's weight at a rail of its sWB after a learning sample",
    "output_w_rail": "an output-layer weight at a rail of its sWB after a learning sample",
    "dense_w_rail": "a weight of a layer k >= 2 at a rail after a learning sample",
    "argmax_tie": "two or more output potentials equal to the maximum",
    "act_at_ymax": "a hidden unit with t = acc >>> AS exactly +-YMAX (derivative-window edge)",
    "act_clipped": "a hidden unit with |t| > YMAX",
    "dact_zero_learning": "a learning sample with saturated units (derivative 0, skipped)",
    "dense_dact_zero_learning": "a learning sample with saturated units in a hidden layer k >= 2",
    "dense_input_zero_learning": "a learning sample in which a layer k >= 2 reads an input x_i = 0",
    "zero_error": "a learning sample with an output error of exactly 0",
    "label_at_one": "a learning sample whose label output is exactly ONE",
    "sig_index_clamped": "a sigmoid index clamped to the LUT range",
    "lr_shift_0": "learning with a learning-rate shift of 0 (any layer)",
    "act_shift_floor": "a hidden potential whose shift by AS >= 1 floors differently from rounding",
    "rounding_truncate": "learning with truncation",
    "rounding_nearest": "learning with round-to-nearest",
    "rounding_stochastic": "learning with stochastic rounding",
    "cin_2": "two input channels",
    "padding": "zero padding",
    "pooling": "OR-pooling",
    "hidden_1_unit": "a hidden layer of a single unit",
    "two_classes": "two classes",
    "depth_0": "no hidden layer (the output layer reads the conv spikes)",
    "depth_1": "one hidden layer",
    "depth_2": "two hidden layers",
    "depth_3": "three hidden layers",
    "stream_ttfs": "TTFS-coded digits",
    "stream_rate": "rate-coded digits",
    "stream_dvs": "DVS-emulated event streams",
    "lanes_partial": "a layer of P > 1 lanes whose last group is partial (padding lanes)",
    "lanes_full": "a fully parallel layer (P = N > 1)",
    "lanes_dense": "a layer k >= 2 (multi-bit inputs) with P > 1 lanes",
    "banked_weights": "a weight memory of two or more banks",
    "write_slots": "a weight memory of one 1rw bank with two or more groups (write slots)",
}


@dataclass(frozen=True)
class EdgeCase:
    seed: int
    theme: str
    cfg: Config
    events: str          # "image" (the config's encoder) or "dvs"
    n_learn: int = 3
    n_infer: int = 2


def _base() -> Config:
    return Config.preset("tiny")


ROUNDINGS = ("truncate", "nearest", "stochastic")
# the one-hidden-layer names the themes are written in -> the stack's names (every hidden layer)
STACK_KEYS = {"drtp.b": "hidden.b", "drtp.lr_shift_fc1": "hidden.lr_shift",
              "drtp.lr_shift_fc2": "output.lr_shift"}


def depth_of(seed: int) -> int:
    """Hidden layers of edge case ``seed`` (0..3)."""
    return (THEME_DEPTH[THEMES[seed % len(THEMES)]] + seed // len(THEMES)) % 4


def _theme(theme: str, rounding: str, r, rng) -> tuple[dict, str]:
    """Overrides of the tiny preset for one theme, in the one-hidden-layer names (``_stack``
    turns them into the stack's); r(lo, hi) draws an int in [lo, hi]."""
    d: dict = {"drtp.rounding": rounding, "seed": r(0, 2**32 - 1)}
    events = "image"
    if theme == "narrow":
        wc, w1, w2, yb = r(2, 3), r(2, 3), r(2, 3), r(2, 4)
        pb = wc + r(1, 2)
        d.update({"conv.weight": f"s{wc}", "conv.potential": f"s{pb}",
                  "conv.threshold": r(1, (1 << (pb - 1)) - 1), "fc1.weight": f"s{w1}",
                  "fc1.accumulator": f"s{w1 + r(1, 2)}", "fc1.activation": f"s{yb}",
                  "fc1.act_shift": 0, "fc1.init_bound": (1 << (w1 - 1)) - 1,
                  "fc1.neurons": r(10, 20), "fc2.neurons": 2, "fc2.weight": f"s{w2}",
                  "fc2.accumulator": f"s{w2 + yb}", "fc2.init_bound": (1 << (w2 - 1)) - 1,
                  "fc2.sig_shift": r(0, 2), "fc2.lut_bits": 3, "fc2.lut_frac": r(0, 2),
                  "fc2.output": f"u{r(2, 5)}", "drtp.b": f"s{r(1, 3)}",
                  "drtp.lr_shift_fc1": r(0, 1), "drtp.lr_shift_fc2": r(0, 3),
                  "encoding.kind": "rate", "encoding.rate_steps": r(2, 4)})
    elif theme == "tie":
        d.update({"fc2.neurons": r(2, 4), "fc2.init_bound": 0, "fc1.neurons": r(3, 10),
                  "drtp.lr_shift_fc2": r(10, 16), "drtp.lr_shift_fc1": r(1, 4)})
    elif theme == "ymax":
        yb = r(2, 3)
        a1 = r(9, 12)
        d.update({"fc1.activation": f"s{yb}", "fc1.accumulator": f"s{a1}",
                  "fc1.act_shift": r(1, 3), "fc1.init_bound": r(1, 3), "fc1.neurons": r(8, 20),
                  "fc2.accumulator": f"s{8 + yb + r(0, 4)}", "fc2.sig_shift": r(0, 3),
                  "drtp.lr_shift_fc1": 0, "drtp.lr_shift_fc2": r(0, 2),
                  "drtp.b": f"s{r(1, 2)}"})
    elif theme == "zero_err":
        d.update({"fc2.output": "u2", "fc2.lut_bits": 3, "fc2.lut_frac": 0,
                  "fc2.sig_shift": r(2, 5), "fc2.neurons": r(2, 6), "fc2.init_bound": r(20, 60),
                  "drtp.lr_shift_fc2": r(0, 2), "drtp.lr_shift_fc1": r(1, 3)})
    elif theme == "structure":
        k = r(3, 5)
        pad = r(1, k - 1)
        s = r(1, 3)
        o = (28 + 2 * pad - k) // s + 1
        pools = [p for p in (2, 3, 4) if o % p == 0] or [1]
        d.update({"input.channels": 2, "conv.kernel": k, "conv.padding": pad, "conv.stride": s,
                  "conv.pool": int(rng.choice(pools)), "conv.channels": r(1, 3),
                  "conv.potential": "s12", "fc1.neurons": 1, "fc2.neurons": r(2, 10),
                  "drtp.lr_shift_fc1": r(0, 3)})
        events = "dvs"
    elif theme == "rate":
        pb = r(5, 7)
        d.update({"encoding.kind": "rate", "encoding.rate_steps": r(4, 8),
                  "conv.potential": f"s{pb}", "conv.threshold": r(1, (1 << (pb - 1)) - 1),
                  "fc1.neurons": r(4, 16), "fc1.accumulator": f"s{r(9, 12)}",
                  "drtp.lr_shift_fc1": r(0, 4)})
    else:  # wide
        w1, yb, w2 = r(2, 16), r(2, 16), r(2, 16)
        a2 = r(w2 + yb, 40)
        lb = r(2, 12)
        d.update({"conv.channels": r(1, 6), "fc1.neurons": r(1, 24), "fc1.weight": f"s{w1}",
                  "fc1.accumulator": f"s{r(w1 + 1, 32)}", "fc1.activation": f"s{yb}",
                  "fc1.init_bound": r(0, (1 << (w1 - 1)) - 1), "fc2.neurons": r(2, 12),
                  "fc2.weight": f"s{w2}", "fc2.accumulator": f"s{a2}",
                  "fc2.sig_shift": r(0, a2 - 1), "fc2.lut_bits": lb, "fc2.lut_frac": r(0, lb),
                  "fc2.output": f"u{r(2, 16)}", "fc2.init_bound": r(0, (1 << (w2 - 1)) - 1),
                  "drtp.b": f"s{r(1, 8)}", "drtp.lr_shift_fc1": r(0, 30),
                  "drtp.lr_shift_fc2": r(0, 40)})
    return d, events


def _stack(d: dict, depth: int, r) -> dict:
    """The theme's overrides ``d`` for a stack of ``depth`` hidden layers: fc1.* for every hidden
    layer, fc2.* for the output layer; layers k >= 2 get small sizes, an accumulator that holds
    their products (AB >= WB + YB_{k-1}) and an input shift around the size of their sums."""
    base = _base()
    out = {"hidden.sizes": ",".join(str(n) for n in [d.get("fc1.neurons", base.fc1.neurons)] +
                                    [r(1, 10) for _ in range(depth - 1)]) if depth else ""}
    for k, v in d.items():
        if k == "fc1.neurons":
            continue
        if k.startswith("fc1."):
            out["hidden." + k[4:]] = v
        elif k.startswith("fc2."):
            out["output." + k[4:]] = v
        else:
            out[STACK_KEYS.get(k, k)] = v
    wb = int(str(d.get("fc1.weight", base.fc1.weight))[1:])
    yb = int(str(d.get("fc1.activation", base.fc1.activation))[1:])
    ib = int(d.get("fc1.init_bound", base.fc1.init_bound))
    sizes = [int(x) for x in out["hidden.sizes"].split(",")] if depth else []
    for n in range(1, depth):                 # hidden layer k = n + 1 >= 2: inputs of yb bits
        ab = min(32, wb + yb + r(0, 4))
        spread = (sizes[n - 1] + 1) ** 0.5 * max(ib, 1) / 2
        a_s = max(0, min(ab - 1, int(round(np.log2(max(spread, 1.0)))) + r(-1, 1)))
        out[f"hidden.{n}.accumulator"] = f"s{ab}"
        out[f"hidden.{n}.act_shift"] = a_s
    return out


def _organisation(cfg: Config, seed: int) -> dict:
    """Lanes, banks and ports of every FC layer (spec §16), from their own stream of ``seed``:
    P = 1, P = N or P in between (each about a third), banks 1, 2, 4 or 8 (at most the weight
    memory's words), ports "1r1w" or "1rw"."""
    rng = np.random.default_rng([seed, 16])
    out: dict = {}
    layers = [(f"hidden.{n}.", h, cfg.layer_inputs(n + 1)[0]) for n, h in enumerate(cfg.hidden)]
    layers.append(("output.", cfg.output, cfg.layer_inputs(cfg.depth + 1)[0]))
    for key, layer, nin in layers:
        n = layer.neurons
        kind = int(rng.integers(0, 3))
        p = 1 if kind == 0 or n == 1 else n if kind == 1 or n == 2 else int(rng.integers(2, n))
        words = (nin + 1) * (-(-n // p))
        banks = int(rng.choice([b for b in (1, 1, 2, 4, 8) if b <= words]))
        out.update({key + "lanes": p, key + "weight_banks": banks,
                    key + "weight_ports": str(rng.choice(["1r1w", "1rw"]))})
    return out


def edge_case(seed: int, n_learn: int = 3, n_infer: int = 2) -> EdgeCase:
    theme = THEMES[seed % len(THEMES)]
    depth = depth_of(seed)
    rng = np.random.default_rng(seed)
    r = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    for _ in range(200):
        d, events = _theme(theme, ROUNDINGS[(seed // len(THEMES) + seed) % 3], r, rng)
        try:
            c = _base().replace(**_stack(d, depth, r))
        except ConfigError:
            continue
        c = c.replace(**_organisation(c, seed))
        cfg = Config.from_dict({**c.to_dict(), "name": f"edge{seed}-{theme}-d{depth}"})
        return EdgeCase(seed, theme, cfg, events, n_learn, n_infer)
    raise RuntimeError(f"edge_case({seed}): no legal configuration for theme {theme}")


def sample_batch(cfg: Config, images, events: str = "image", seed: int = 0):
    """Digits as events: the config's encoder (TTFS/rate), or DVS-emulated streams (the system
    testbench and the corner count use this one function, so they see the same samples).
    ``border``: the digits rolled by a third of the image down and right (wrapping), so that ink,
    and so events, reach all four borders (the embedded digits leave a blank margin)."""
    from hwmodel.data.encode import EventBatch, encode_images
    if events == "border":
        w = np.asarray(images).shape[-1]
        images = np.roll(np.asarray(images), (w // 3, w // 3), axis=(-2, -1))
    if events == "dvs":
        from hwmodel.data.dvs import dvs_dataset
        return EventBatch.from_streams(dvs_dataset(images, np.zeros(len(images), np.int64), seed=seed), cfg)
    return EventBatch.from_streams(encode_images(images, cfg), cfg)


def model_corners(case: EdgeCase, offset: int = 0) -> dict[str, int]:
    """Run the case's samples (as tests/rtl/test_rtl_edge.py co-simulates them) through the model
    alone and count the corners."""
    from hwmodel.data.mnist import embedded_split
    from hwmodel.engine.processor import Processor
    cfg = case.cfg
    proc = Processor.from_config(cfg)
    sp = embedded_split()
    hits: dict[str, int] = {}
    runs = [(sp.x_train[offset:offset + case.n_learn], sp.y_train[offset:offset + case.n_learn], True, offset),
            (sp.x_test[:case.n_infer], sp.y_test[:case.n_infer], False, 1_000_000)]
    for imgs, labels, learn, seed in runs:
        labels = np.asarray(labels) % cfg.output.neurons
        batch = sample_batch(cfg, imgs, case.events, seed)
        for k in range(len(batch)):
            proc.run(batch.subset(np.array([k])), labels[k:k + 1], learn=learn)
            merge(hits, corner_hits(cfg, case.events, proc.memories(), int(labels[k]), learn))
    return hits


def _rails(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _units(a, n: int) -> np.ndarray:
    """A per-unit memory (fc{k}_acc, fc{k}_dact) in unit order: lane words (G, P) flattened, the
    padding lanes of a partial last group dropped (spec §16)."""
    return np.asarray(a).reshape(-1)[:n]


def corner_hits(cfg: Config, events: str, mem: dict, label: int, learn: bool) -> dict[str, int]:
    """Corners reached by one sample, from the model's memories after it (Processor.memories()),
    at any depth (memory names of spec §15, lane layouts of spec §16)."""
    h: dict[str, int] = {}
    K = cfg.depth
    out = cfg.output

    def add(name, n):
        n = int(n)
        if n:
            h[name] = h.get(name, 0) + n

    def at_rail(a, bits):
        lo, hi = _rails(bits)
        return np.sum((a == lo) | (a == hi))

    add("conv_pot_sat", at_rail(mem["conv_pot"], cfg.bits["PB"]))
    for n, layer in enumerate(cfg.hidden):
        f = f"fc{n + 1}"
        acc = _units(mem[f"{f}_acc"], layer.neurons)
        add("hidden_acc_sat", at_rail(acc, layer.ab))
        if n >= 1:
            add("dense_acc_sat", at_rail(acc, layer.ab))
        t = acc >> layer.act_shift
        add("act_at_ymax", np.sum(np.abs(t) == layer.ymax))
        add("act_clipped", np.sum(np.abs(t) > layer.ymax))
        if layer.act_shift >= 1:
            add("act_shift_floor", np.sum((acc & ((1 << layer.act_shift) - 1)) >= (1 << (layer.act_shift - 1))))
        add("hidden_1_unit", layer.neurons == 1)
        if learn:
            add("hidden_w_rail", at_rail(mem[f"{f}_w"], layer.wb))
            dact = _units(mem[f"{f}_dact"], layer.neurons)
            add("dact_zero_learning", np.sum(dact == 0))
            if n >= 1:
                add("dense_w_rail", at_rail(mem[f"{f}_w"], layer.wb))
                add("dense_dact_zero_learning", np.sum(dact == 0))
            if n + 1 < K + 1:                 # layer n + 2 reads these activations
                add("dense_input_zero_learning", np.sum(mem[f"{f}_act"] == 0))
    fo = f"fc{K + 1}"
    acc2 = _units(mem[f"{fo}_acc"], out.neurons)
    add("output_acc_sat", at_rail(acc2, out.ab))
    if K >= 1:
        add("dense_acc_sat", at_rail(acc2, out.ab))
    add("argmax_tie", np.sum(acc2 == acc2.max()) >= 2)
    half = 1 << (out.lut_bits - 1)
    sidx = acc2 >> out.sig_shift
    add("sig_index_clamped", np.sum((sidx < -half) | (sidx > half - 1)))
    if learn:
        add("output_w_rail", at_rail(mem[f"{fo}_w"], out.wb))
        if K >= 1:
            add("dense_w_rail", at_rail(mem[f"{fo}_w"], out.wb))
        o = mem[f"{fo}_out"]
        target = np.zeros_like(o)
        target[label] = out.one
        add("zero_error", np.sum(o == target))
        add("label_at_one", o[label] == out.one)
        add("lr_shift_0", out.lr_shift == 0 or any(x.lr_shift == 0 for x in cfg.hidden))
        add(f"rounding_{cfg.drtp.rounding}", 1)
    add("cin_2", cfg.input.channels == 2)
    add("padding", cfg.conv.padding > 0)
    add("pooling", cfg.conv.pool > 1)
    add("two_classes", out.neurons == 2)
    add(f"depth_{K}", K <= 3)
    add("stream_dvs" if events == "dvs" else f"stream_{cfg.encoding.kind}", 1)
    for k, layer in enumerate((*cfg.hidden, out), 1):
        p, groups = layer.lanes, layer.groups
        add("lanes_partial", p > 1 and layer.neurons % p != 0)
        add("lanes_full", 1 < p == layer.neurons)
        add("lanes_dense", p > 1 and k >= 2)
        add("banked_weights", layer.weight_banks >= 2)
        add("write_slots", layer.weight_ports == "1rw" and layer.weight_banks == 1 and groups >= 2)
    return h


def merge(into: dict[str, int], hits: dict[str, int]) -> dict[str, int]:
    for k, v in hits.items():
        into[k] = into.get(k, 0) + v
    return into


def format_hits(hits: dict[str, int]) -> str:
    return ", ".join(f"{k} x{v}" for k, v in sorted(hits.items())) or "(none)"
