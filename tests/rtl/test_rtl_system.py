"""RTL == model co-simulation of the whole processor (cocotb + Verilator/Icarus).

Fast subset (default): the tiny preset, learning and inference, every memory compared after every
sample; one extra bit-width configuration; tiny-sized stacks of 0, 2 and 3 hidden layers
(``test_rtl_depth``). Long runs are marked ``slow`` (``pytest -m slow``): the spoon preset with
200 learning + 200 inference samples, the deep presets (spoon_deep, pixel_fc), and >= 5 random
bit-width configurations with 20+ learning samples each. They fail when no simulator is usable.
"""
from __future__ import annotations

import numpy as np
import pytest

from sim import runner

from hwmodel.spec.config import Config

from conftest import require_tool


@pytest.fixture(autouse=True)
def _simulator():
    """The RTL tests fail, not skip, when the simulator is missing (tests/conftest.py)."""
    require_tool(runner.unavailable(), "RTL simulation")

# extra configurations: (name, overrides); each differs from tiny in several widths/modes
EXTRA = {
    "w6_nearest_pool2": {"fc1.weight": "s6", "fc1.accumulator": "s12", "fc1.activation": "s6",
                         "fc1.act_shift": 2, "fc1.init_bound": 20, "drtp.b": "s3",
                         "drtp.rounding": "nearest", "drtp.lr_shift_fc1": 1,
                         "drtp.lr_shift_fc2": 9, "conv.pool": 2, "conv.stride": 2,
                         "conv.kernel": 5, "conv.channels": 3, "fc2.accumulator": "s14",
                         "fc2.sig_shift": 4, "fc2.output": "u6", "fc2.weight": "s7",
                         "fc2.init_bound": 30},
    "trunc_cin2_pad": {"input.channels": 2, "conv.padding": 1, "conv.kernel": 3, "conv.stride": 3,
                       "conv.weight": "s3", "conv.potential": "s6", "conv.threshold": 5,
                       "fc1.neurons": 7, "fc1.weight": "s5", "fc1.accumulator": "s9",
                       "fc1.activation": "s5", "fc1.init_bound": 15, "drtp.rounding": "truncate",
                       "drtp.b": "s1", "drtp.lr_shift_fc1": 0, "drtp.lr_shift_fc2": 4,
                       "fc2.neurons": 10, "fc2.weight": "s4", "fc2.accumulator": "s12",
                       "fc2.sig_shift": 2, "fc2.lut_bits": 4, "fc2.lut_frac": 2, "fc2.output": "u4",
                       "fc2.init_bound": 7, "encoding.kind": "rate", "encoding.rate_steps": 3},
    "stoch_wide": {"conv.channels": 2, "conv.kernel": 7, "conv.stride": 4, "conv.potential": "s5",
                   "conv.threshold": 6, "fc1.neurons": 24, "fc1.weight": "s12",
                   "fc1.accumulator": "s20", "fc1.activation": "s10", "fc1.act_shift": 3,
                   "fc1.init_bound": 900, "drtp.b": "s5", "drtp.lr_shift_fc1": 0,
                   "drtp.lr_shift_fc2": 33, "fc2.weight": "s12", "fc2.accumulator": "s36",
                   "fc2.sig_shift": 14, "fc2.lut_bits": 9, "fc2.lut_frac": 6, "fc2.output": "u12",
                   "fc2.init_bound": 1500, "seed": 12345},
    "near_small_acc": {"conv.channels": 5, "conv.threshold": 3, "conv.potential": "s5",
                       "fc1.neurons": 12, "fc1.accumulator": "s9", "fc1.act_shift": 1,
                       "fc1.activation": "s4", "drtp.rounding": "nearest", "drtp.b": "s4",
                       "drtp.lr_shift_fc1": 2, "drtp.lr_shift_fc2": 6, "fc2.weight": "s5",
                       "fc2.accumulator": "s9", "fc2.sig_shift": 0, "fc2.output": "u2",
                       "fc2.lut_bits": 2, "fc2.lut_frac": 0, "fc2.init_bound": 15, "seed": 7},
    "trunc_lr0_n1": {"conv.channels": 1, "conv.kernel": 2, "conv.stride": 2, "conv.pool": 7,
                     "fc1.neurons": 1, "fc1.weight": "s2", "fc1.accumulator": "s3",
                     "fc1.activation": "s2", "fc1.init_bound": 1, "drtp.rounding": "truncate",
                     "drtp.lr_shift_fc1": 0, "drtp.lr_shift_fc2": 0, "fc2.neurons": 2,
                     "fc2.weight": "s2", "fc2.accumulator": "s4", "fc2.sig_shift": 0,
                     "fc2.output": "u16", "fc2.init_bound": 1, "drtp.b": "s8", "seed": 99},
    "stoch_pool3": {"conv.channels": 6, "conv.kernel": 4, "conv.stride": 1, "conv.padding": 1,
                    "conv.pool": 3, "conv.threshold": 20, "conv.weight": "s6",
                    "conv.potential": "s9", "fc1.neurons": 9, "fc2.neurons": 4,
                    "drtp.lr_shift_fc1": 5, "drtp.lr_shift_fc2": 12, "seed": 4242},
}


def random_config(seed: int) -> Config:
    """A valid configuration with every width, size and mode drawn at random (28x28 input)."""
    import numpy as np

    from hwmodel.spec.config import ConfigError
    rng = np.random.default_rng(seed)
    r = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    while True:
        k = r(1, 7)
        s = r(1, k)
        pad = r(0, min(2, k - 1))
        o = (28 + 2 * pad - k) // s + 1
        pool = int(rng.choice([d for d in range(1, min(o, 4) + 1) if o % d == 0]))
        wc = r(2, 8)
        pb = r(wc + 1, 16)
        w1, yb, w2, lb = r(2, 12), r(2, 12), r(2, 12), r(2, 10)
        a1 = r(w1 + 1, 24)
        a2 = r(w2 + yb, 40)
        ob = r(2, 16)
        d = {"seed": r(0, 2**32 - 1), "input.channels": r(1, 2), "conv.channels": r(1, 6),
             "conv.kernel": k, "conv.stride": s, "conv.padding": pad, "conv.pool": pool,
             "conv.weight": f"s{wc}", "conv.potential": f"s{pb}",
             "conv.threshold": r(1, min((1 << (pb - 1)) - 1, 40)), "fc1.neurons": r(1, 24),
             "fc1.weight": f"s{w1}", "fc1.accumulator": f"s{a1}", "fc1.activation": f"s{yb}",
             "fc1.act_shift": r(0, min(a1 - 1, 4)), "fc1.init_bound": r(0, (1 << (w1 - 1)) - 1),
             "fc2.neurons": r(2, 12), "fc2.weight": f"s{w2}", "fc2.accumulator": f"s{a2}",
             "fc2.sig_shift": r(0, a2 - 1), "fc2.lut_bits": lb, "fc2.lut_frac": r(0, lb),
             "fc2.output": f"u{ob}", "fc2.init_bound": r(0, (1 << (w2 - 1)) - 1),
             "drtp.b": f"s{r(1, 8)}", "drtp.lr_shift_fc1": r(0, 12), "drtp.lr_shift_fc2": r(0, 40),
             "drtp.rounding": str(rng.choice(["truncate", "nearest", "stochastic"])),
             "encoding.kind": str(rng.choice(["ttfs", "rate"])), "encoding.rate_steps": r(1, 4)}
        try:
            c = tiny().replace(**d)
        except ConfigError:
            continue
        return Config.from_dict({**c.to_dict(), "name": f"random{seed}"})


def tiny() -> Config:
    return Config.preset("tiny")


def extra(name: str) -> Config:
    return Config.from_dict({**tiny().replace(**EXTRA[name]).to_dict(), "name": name})


# tiny-sized stacks of other depths (spec §15): each varies the widths, shifts and rounding of
# its layers; layers k >= 2 read multi-bit activations (dense inputs, exact products)
DEPTHS = {
    0: {"hidden.sizes": "", "output.accumulator": "s14", "output.sig_shift": 5,
        "output.lr_shift": 9, "drtp.rounding": "truncate"},
    2: {"hidden.sizes": "16,8", "hidden.1.accumulator": "s16", "hidden.1.act_shift": 6,
        "hidden.1.lr_shift": 8, "hidden.1.b": "s3", "output.weight": "s7",
        "output.accumulator": "s18", "drtp.rounding": "nearest", "seed": 5},
    3: {"hidden.sizes": "12,8,6", "hidden.1.weight": "s6", "hidden.1.accumulator": "s18",
        "hidden.1.act_shift": 5, "hidden.1.activation": "s5", "hidden.1.lr_shift": 7,
        "hidden.2.accumulator": "s16", "hidden.2.act_shift": 3, "hidden.2.lr_shift": 4,
        "hidden.2.b": "s1", "output.sig_shift": 8, "seed": 77},
}


def depth_config(depth: int) -> Config:
    return Config.from_dict({**tiny().replace(**DEPTHS[depth]).to_dict(), "name": f"tiny_depth{depth}"})


def _system(cfg: Config, n_learn: int, n_infer: int, every: int = 1, learning: bool = True,
            offset: int = 0, events: str = "image", quick: bool = True, learn_request: bool = False,
            gaps: int = 0, gap_max: int = 4, clock_gate: int = 0) -> dict:
    """Co-simulate ``cfg``; ``quick``: the unoptimised, fast-to-build Verilator model (tiny-sized
    designs; the spoon-sized long runs pass False: runner.build_top); ``learn_request``: an
    inference-only build gets ``start_learn`` with every sample (and must run inferences)."""
    b = runner.build_top(cfg, learning=learning, quick=quick, clock_gate=clock_gate)
    rep = runner.run(b, "sim.benches.tb_system", "system",
                        {"config": str(b.gen["dir"] / "config.toml"), "learning": int(learning),
                         "n_learn": n_learn, "n_infer": n_infer, "full_every": every,
                         "offset": offset, "events": events, "learn_request": int(learn_request),
                         "gaps": gaps, "gap_max": gap_max},
                     tag=f"{n_learn}-{n_infer}-{every}-{events}-{int(learn_request)}-{gaps}-{gap_max}")
    assert rep["samples"] == (n_learn if learning else 0) + n_infer
    assert rep["pred_mismatch"] == 0 and rep["counter_mismatch"] == 0
    return rep


def test_rtl_tiny_learn_and_infer():
    _system(tiny(), n_learn=6, n_infer=4, every=1)


@pytest.mark.parametrize("gate", [1, 2])
def test_rtl_clock_gated_memories(gate):
    """CLOCK_GATE = 1 (a clock gate per flip-flop-memory word and read register) and 2 (per
    memory): every memory word, LFSR, counter and cycle after each of 4 learning and 2 inference
    samples, as without gating; the host access port reads and writes every memory through the
    gated write ports."""
    _system(tiny(), n_learn=4, n_infer=2, clock_gate=gate)
    if gate == 1:
        b = runner.build_top(tiny(), quick=True, clock_gate=gate)
        runner.run(b, "sim.benches.tb_system", "access_port", {"config": str(b.gen["dir"] / "config.toml")})


def test_rtl_tiny_access_port():
    b = runner.build_top(tiny(), quick=True)
    runner.run(b, "sim.benches.tb_system", "access_port", {"config": str(b.gen["dir"] / "config.toml")})


def test_rtl_port_checker_reports_a_conflict():
    """The simulation-only single-port check every co-simulation relies on is itself tested: a
    macro's conflict flag reaches port_conflict, its message and check_ports."""
    b = runner.build_top(tiny(), quick=True)
    runner.run(b, "sim.benches.tb_system", "port_checker", {"config": str(b.gen["dir"] / "config.toml")})


@pytest.mark.parametrize("organisation", ["tiny", "p4b2rw_p3b1rw", "pN_b4"])
def test_rtl_read_data_held_until_the_next_read(organisation):
    """The access port's read contract of docs/rtl.md on every memory and register, with one
    weight bank (tiny), 2 banks of 1rw and 4 banks of 1r1w macros: held through idle cycles and
    writes (the word read, another word, another memory) until the next read."""
    cfg = tiny() if organisation == "tiny" else lanes_config(organisation)
    b = runner.build_top(cfg, quick=True)
    rep = runner.run(b, "sim.benches.tb_system", "read_hold", {"config": str(b.gen["dir"] / "config.toml")})
    assert rep["memories"] >= 10


@pytest.mark.parametrize("depth", sorted(DEPTHS))
def test_rtl_depth(depth):
    """Stacks of 0, 2, 3 hidden layers: every memory word of every layer, every LFSR, pred, the
    outputs and every counter after each of 4 learning and 2 inference samples. The run must
    reach every layer's update (DRTP in each hidden layer, with units in the linear region)."""
    cfg = depth_config(depth)
    assert cfg.depth == depth
    rep = _system(cfg, n_learn=4, n_infer=2)
    from hwmodel.spec.counters import counter_names
    tot = dict(zip(counter_names(depth), rep["total_counters_model"][1]))
    for k in range(1, depth + 2):
        assert tot[f"fc{k}_upd"] > 0, f"layer {k} never updated a weight"
    inf = dict(zip(counter_names(depth), rep["total_counters_model"][0]))
    for k in range(2, depth + 2):
        assert inf[f"fc{k}_mac"] > 0


# the learning scope (spec §15, learn = false per layer): the layers that do not learn are built
# without B LUT, derivative flags, update lanes and LFSRs, and the controller skips their update
SCOPES = {"output_only": (None, {"fc1.learn": False}), "hidden_only": (None, {"fc2.learn": False}),
          "depth2_middle_frozen": (2, {"hidden.1.learn": False})}


def scope_config(name: str) -> Config:
    depth, over = SCOPES[name]
    base = tiny() if depth is None else depth_config(depth)
    return Config.from_dict({**base.replace(**over).to_dict(), "name": f"scope_{name}"})


@pytest.mark.parametrize("name", sorted(SCOPES))
def test_rtl_learning_scope(name):
    """Every memory word, LFSR, counter and cycle after each of 4 learning and 2 inference samples
    of a chip with a layer that does not learn; that layer never updates, the others do."""
    cfg = scope_config(name)
    rep = _system(cfg, n_learn=4, n_infer=2)
    from hwmodel.spec.counters import counter_names
    tot = dict(zip(counter_names(cfg.depth), rep["total_counters_model"][1]))
    for k, layer in enumerate((*cfg.hidden, cfg.output), start=1):
        assert (tot[f"fc{k}_upd"] > 0) == layer.learn, (k, tot[f"fc{k}_upd"])
    if name == "output_only":
        b = runner.build_top(cfg, quick=True)
        runner.run(b, "sim.benches.tb_system", "access_port", {"config": str(b.gen["dir"] / "config.toml")})


def test_rtl_depth3_access_port():
    """Every memory and register of a three-hidden-layer stack, through its access-port id."""
    b = runner.build_top(depth_config(3), quick=True)
    runner.run(b, "sim.benches.tb_system", "access_port", {"config": str(b.gen["dir"] / "config.toml")})


# lane-parallel FC layers with banked single- or two-port weight memories (spec §16): each
# configuration gives every FC layer its own organisation (lanes P, weight_banks B, weight_ports);
# together they cover P = 1, P dividing N, P not dividing N (a partial last group with padding
# lanes), P = N, 1, 2, 4 and 8 banks, "1rw" (one bank: write slots between groups; several
# banks: none) and "1r1w", at depths 1 and 2, stochastic rounding (one LFSR per lane)
LANES = {
    # fc1 16 units: P = 4 (divides), 2 banks of 1rw; fc2 10 units: P = 3 (groups 3+3+3+1), one
    # 1rw bank (write slots)
    "p4b2rw_p3b1rw": {"fc1.lanes": 4, "fc1.weight_banks": 2, "fc1.weight_ports": "1rw",
                      "fc2.lanes": 3, "fc2.weight_ports": "1rw"},
    # fully parallel: fc1 P = N = 16 with 4 banks of 1r1w, fc2 P = N = 10 in one 1r1w bank; other
    # widths and seed
    "pN_b4": {"fc1.lanes": 16, "fc1.weight_banks": 4, "fc2.lanes": 10, "fc1.weight": "s6",
              "fc1.accumulator": "s11", "fc2.weight": "s7", "fc2.accumulator": "s18",
              "drtp.lr_shift_fc1": 1, "drtp.lr_shift_fc2": 9, "seed": 31},
    # depth 2 (16-8-10): layer 1 P = 1 in 4 banks of 1rw, layer 2 (dense) P = 3 (3+3+2) in one
    # 1rw bank, the output layer P = 5 in 8 banks of 1r1w
    "deep_p1b4rw_p3b1rw_p5b8": {"hidden.sizes": "16,8", "hidden.0.weight_banks": 4,
                                "hidden.0.weight_ports": "1rw", "hidden.1.lanes": 3,
                                "hidden.1.weight_ports": "1rw", "hidden.1.accumulator": "s16",
                                "hidden.1.act_shift": 6, "hidden.1.lr_shift": 6,
                                "output.lanes": 5, "output.weight_banks": 8,
                                "output.weight": "s7", "output.accumulator": "s18", "seed": 5},
}


def lanes_config(name: str) -> Config:
    return Config.from_dict({**tiny().replace(**LANES[name]).to_dict(), "name": f"lanes_{name}"})


def _org(layer) -> tuple:
    return layer.lanes, layer.weight_banks, layer.weight_ports


def test_rtl_lanes_cover_the_organisations():
    """The LANES configurations cover what the co-simulation must see (spec §16)."""
    orgs = [(layer, c.depth) for c in map(lanes_config, LANES) for layer in (*c.hidden, c.output)]
    assert len({_org(layer) for layer, _ in orgs}) >= 6
    assert {1, 2, 4} <= {layer.weight_banks for layer, _ in orgs}
    assert {"1rw", "1r1w"} == {layer.weight_ports for layer, _ in orgs}
    kinds = {("P=1" if layer.lanes == 1 else "P=N" if layer.lanes == layer.neurons else
              "P|N" if layer.neurons % layer.lanes == 0 else "partial") for layer, _ in orgs}
    assert kinds == {"P=1", "P=N", "P|N", "partial"}
    assert {d for layer, d in orgs if layer.lanes > 1} >= {1, 2}
    assert any(layer.weight_ports == "1rw" and layer.weight_banks == 1 and layer.lanes > 1
               for layer, _ in orgs)                                   # write slots
    assert any(layer.weight_ports == "1rw" and layer.weight_banks > 1 for layer, _ in orgs)


@pytest.mark.parametrize("name", list(LANES))
def test_rtl_lanes(name):
    """Lane-parallel layers, banked 1rw / 1r1w weight memories: every memory word (lane layouts),
    every lane LFSR, pred, the outputs and every counter, cycles included, after each of 4
    learning and 2 inference samples; no single-port memory ever read and written in one cycle.
    Every layer must have updated weights."""
    cfg = lanes_config(name)
    rep = _system(cfg, n_learn=4, n_infer=2)
    from hwmodel.spec.counters import counter_names
    tot = dict(zip(counter_names(cfg.depth), rep["total_counters_model"][1]))
    for k in range(1, cfg.depth + 2):
        assert tot[f"fc{k}_upd"] > 0, f"layer {k} never updated a weight"


def test_rtl_lanes_access_port():
    """Every memory of a lanes configuration through the access port: banked weight memories at
    logical addresses, lane words of P weights / accumulators / derivative bits, one LFSR per
    lane (address = lane)."""
    b = runner.build_top(lanes_config("p4b2rw_p3b1rw"), quick=True)
    runner.run(b, "sim.benches.tb_system", "access_port", {"config": str(b.gen["dir"] / "config.toml")})


def test_rtl_extra_config_fast():
    _system(extra("w6_nearest_pool2"), n_learn=4, n_infer=2, every=2)


def test_rtl_dvs_streams():
    """DVS-emulated digits (ON/OFF as two input channels, several events per pixel): every memory
    word, prediction and counter equal after each learning and inference sample."""
    cfg = Config.from_dict({**tiny().replace(**{"input.channels": 2, "conv.potential": "s12"}).to_dict(),
                            "name": "tiny_dvs"})
    rep = _system(cfg, 4, 3, events="dvs")
    assert rep["samples"] == 7


@pytest.mark.slow
def test_rtl_spoon_dvs_streams():
    """The spoon_dvs preset on DVS-emulated digits: predictions, outputs and counters after every
    sample, every memory word at the end of the learning and of the inference run (reading back
    the 1.2-Mbit chip after each sample takes about 45 s through cocotb)."""
    rep = _system(Config.preset("spoon_dvs"), 10, 10, every=10, events="dvs", quick=False)
    assert rep["samples"] == 20


def test_rtl_conv_scatter():
    """Spec §14 scatter example and saturating-add edges (K=5, S=2 config, pooled)."""
    cfg = extra("w6_nearest_pool2")
    b = runner.build_top(cfg, quick=True)
    runner.run(b, "sim.benches.tb_system", "conv_scatter", {"config": str(b.gen["dir"] / "config.toml")})


# conv geometries of the default co-simulations beyond tiny's K = 5, S = 3, no padding (EXTRA)
GEOMETRIES = {"k3_s3_pad1_cin2": "trunc_cin2_pad", "k7_s4": "stoch_wide", "k4_s1_pad1_pool3": "stoch_pool3",
              "k2_s2_pool7": "trunc_lr0_n1", "k3_s2_pad2": None}


def geometry_config(name: str) -> Config:
    if GEOMETRIES[name]:
        return extra(GEOMETRIES[name])
    return Config.from_dict({**tiny().replace(**{"conv.kernel": 3, "conv.stride": 2, "conv.padding": 2,
                                                 "conv.channels": 3, "seed": 2027}).to_dict(), "name": name})


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_rtl_conv_geometries_with_border_events(name):
    """Kernels 2, 3, 4 and 7, strides 1 to 4, padding 0 to 2, pooling 1, 3 and 7 in the default
    suite, fed digits rolled so that events fall on every border row and column (first and last):
    3 learning and 2 inference samples, every memory word after each sample."""
    from hwmodel.data.mnist import embedded_split
    from sim.benches.edgegen import sample_batch
    cfg = geometry_config(name)
    batch = sample_batch(cfg, embedded_split().x_train[:3], "border")
    ev = np.concatenate([batch.stream(k) for k in range(len(batch))])
    w = cfg.input.width
    for col in (0, 1):          # events on the first and the last column and row
        assert (ev[:, col] == 0).any() and (ev[:, col] == w - 1).any()
    _system(cfg, n_learn=3, n_infer=2, every=1, events="border")


@pytest.mark.parametrize("name", ["tiny", "p4b2rw_p3b1rw", "k7_s4"])
def test_rtl_event_port_throughput(name):
    """The event port's throughput contract (docs/rtl.md, Cycle budget): with a word offered in
    every cycle, the start-to-done cycles the host measures are the cycles counter + 1 for every
    sample (no input-starved cycle: the buffer passes a word on in the cycle the conv core takes
    it); idle gaps of up to 4 cycles hide behind the conv core's 1 + 2 cycles per position (still
    + 1), longer ones (up to 40) starve it: the difference grows by those cycles, never by more
    than the gaps (the counter leaves exactly the starved cycles out)."""
    cfg = tiny() if name == "tiny" else lanes_config(name) if name in LANES else geometry_config(name)
    rep = _system(cfg, n_learn=3, n_infer=2, every=0)
    assert rep["wall_minus_counted"] == [1] * 5, rep["wall_minus_counted"]
    if name == "tiny":
        rep = _system(cfg, n_learn=3, n_infer=2, every=0, gaps=5)
        assert rep["wall_minus_counted"] == [1] * 5 and min(rep["gap_cycles"]) > 50
        rep = _system(cfg, n_learn=3, n_infer=2, every=0, gaps=5, gap_max=40)
        d, g = rep["wall_minus_counted"], rep["gap_cycles"]
        assert all(1 < x <= 1 + y for x, y in zip(d, g)), (d, g)


@pytest.mark.parametrize("organisation", ["tiny", "p4b2rw_p3b1rw"])
def test_rtl_inference_only_build(organisation):
    """The inference-only build (LEARNING = 0) in the default suite, unbanked (tiny) and with lanes
    and banked weights: every sample is sent with the learning request asserted, which this build
    must ignore; prediction, the output layer's result memory, every counter (the learning phase
    stays at zero) and every memory word of the build compared with the model's inference."""
    cfg = tiny() if organisation == "tiny" else lanes_config(organisation)
    rep = _system(cfg, n_learn=0, n_infer=4, every=2, learning=False, learn_request=True)
    assert rep["samples"] == 4 and not any(rep["total_counters_model"][1])


@pytest.mark.slow
def test_rtl_tiny_inference_only_variant():
    _system(tiny(), n_learn=0, n_infer=10, every=5, learning=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXTRA))
def test_rtl_extra_configs_long(name):
    _system(extra(name), n_learn=24, n_infer=8, every=8)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_rtl_random_configs_long(seed):
    _system(random_config(seed), n_learn=20, n_infer=5, every=10)


@pytest.mark.slow
def test_rtl_spoon_long():
    _system(Config.preset("spoon"), n_learn=200, n_infer=200, every=100, quick=False)


@pytest.mark.slow
def test_rtl_spoon_deep_long():
    """spoon's front end with hidden layers 128-64 (the spoon_deep preset): 40 learning + 20
    inference samples, predictions, outputs and counters after every sample, every memory word
    every 20 samples and at the end of each run."""
    rep = _system(Config.preset("spoon_deep"), n_learn=40, n_infer=20, every=20, quick=False)
    assert rep["samples"] == 60


@pytest.mark.slow
def test_rtl_spoon_three_hidden():
    """spoon's front end with hidden layers 128-64-32 (the third reads s8 activations of 64
    units, s20 accumulator, input shift 7), 20 learning + 10 inference samples."""
    cfg = Config.preset("spoon_deep").replace(**{"hidden.sizes": "128,64,32", "hidden.2.act_shift": 7})
    cfg = Config.from_dict({**cfg.to_dict(), "name": "spoon_3h"})
    _system(cfg, n_learn=20, n_infer=10, every=10, quick=False)


@pytest.mark.slow
def test_rtl_spoon_linear_readout():
    """spoon's front end with no hidden layer (the output layer reads the 1,152 conv spikes)."""
    cfg = Config.preset("spoon").replace(**{"hidden.sizes": "", "output.sig_shift": 8})
    cfg = Config.from_dict({**cfg.to_dict(), "name": "spoon_linear"})
    _system(cfg, n_learn=40, n_infer=20, every=20, quick=False)


@pytest.mark.slow
def test_rtl_spoon_serial():
    """spoon_serial (one weight per cycle, one 1r1w bank per weight memory): 40 learning + 20
    inference samples, all memories every 20 samples and at the end of each run."""
    rep = _system(Config.preset("spoon_serial"), n_learn=40, n_infer=20, every=20, quick=False)
    assert rep["samples"] == 60


@pytest.mark.slow
def test_rtl_spoon_lanes():
    """spoon with another organisation than the preset's: fc1 32 lanes (4 groups) in one bank of
    1rw macros (write slots), fc2 4 lanes (3 groups, the last with 2 padding lanes) in 2 banks of
    1r1w: 40 learning + 20 inference samples, predictions, outputs, counters and cycles after
    every sample, every memory word every 20 samples and at the end of each run."""
    cfg = Config.preset("spoon").replace(**{"fc1.lanes": 32, "fc1.weight_banks": 1,
                                            "fc1.weight_ports": "1rw", "fc2.lanes": 4,
                                            "fc2.weight_banks": 2, "fc2.weight_ports": "1r1w"})
    cfg = Config.from_dict({**cfg.to_dict(), "name": "spoon_lanes"})
    rep = _system(cfg, n_learn=40, n_infer=20, every=20, quick=False)
    assert rep["samples"] == 60


@pytest.mark.slow
def test_rtl_lanes_inference_only():
    """A lanes configuration built without the learning hardware (LEARNING = 0)."""
    _system(lanes_config("p4b2rw_p3b1rw"), n_learn=0, n_infer=6, every=3, learning=False)


@pytest.mark.slow
def test_rtl_pixel_fc():
    """The pixel_fc preset (784-500-500-10 on the identity front end): 10 learning + 5 inference
    samples, every memory word at the end of each run."""
    _system(Config.preset("pixel_fc"), n_learn=10, n_infer=5, every=10, quick=False)
