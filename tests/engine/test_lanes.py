"""Lane-parallel FC layers, banked weight memories and port kinds (docs/spec.md §16).

The values a layer computes do not depend on its organisation except through the lane LFSRs of
stochastic rounding; the counters count words for memories and units for operations; the cycles
follow §16's table. Expected values are worked out by hand in the comments (the kernel against
the plainly written ``naive.reference`` on generated organisations is tests/engine/test_stack.py).
"""
import json
import subprocess
import sys

import numpy as np
import pytest

from hwmodel.spec import roms
from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_index
from hwmodel.data.mnist import embedded_split
from hwmodel.data.encode import EventBatch, encode_images
from hwmodel.engine.processor import Processor
from naive.reference import ref_lfsr_step
from hwmodel.train.runs import epoch_orders

IDX = counter_index(1)  # the chips of these tests have one hidden layer: counters by their stack names

from naive.runner import events, small


def _digits(cfg, n, offset=0):
    sp = embedded_split(400, 10)
    x, y = sp.x_train[offset:offset + n], sp.y_train[offset:offset + n]
    return EventBatch.from_streams(encode_images(x, cfg), cfg), np.asarray(y) % cfg.output.neurons


# ---- the hand-worked example ------------------------------------------------------------------

def test_lanes_example_counters_cycles_and_lane_lfsrs():
    """One input (O = Q = C = 1), no events, so layer 1 sees only the bias (NA = 1); fc1 has
    N1 = 5 units in P = 2 lanes (G = 3 groups, the last one partial) on one bank of 1rw ports;
    fc2 has N2 = 2 units, serial. Zero weights: every fc1 unit is linear (dact = 1)."""
    cfg = small(**{"fc1.neurons": 5, "fc1.lanes": 2, "fc1.weight_ports": "1rw", "fc2.neurons": 2,
                   "drtp.rounding": "stochastic", "fc2.lut_bits": 2, "fc2.lut_frac": 0})
    proc = Processor.from_config(cfg)
    proc.st["w"][:] = 0
    seeds = list(proc.st["lfsr"])
    # lane seeds (§16): lane 0 = s, lane 1 = (s * 0x9E3779B1 + 1 * 0x7F4A7C15) mod 2^32
    s = roms.layer_lfsr_seeds(cfg)[0]
    assert seeds[:2] == [s, (s * 0x9E3779B1 + 0x7F4A7C15) % 2**32]
    assert len(seeds) == 2 + 1  # fc1's two lanes, fc2's one
    res = proc.run(EventBatch.from_streams([events()], cfg), np.array([0]), learn=True, record=True)
    c = res.per_sample[0]
    # forward: NA * G = 3 words read; NA * N = 5 adds; acc words: 3 (forward) + 3 (hard-tanh, one
    # read per group), written 3 (clear) + 3
    assert c[0, IDX["fc1_w_rd"]] == 3 and c[0, IDX["fc1_add"]] == 5
    assert c[0, IDX["fc1_acc_rd"]] == 6 and c[0, IDX["fc1_acc_wr"]] == 6
    # update: every group active (all dact = 1): 3 words read and written, 5 units updated,
    # 5 LFSR steps: lane 0 for units 0, 2, 4, lane 1 for units 1, 3
    assert c[1, IDX["fc1_w_rd"]] == 3 and c[1, IDX["fc1_w_wr"]] == 3 and c[1, IDX["fc1_upd"]] == 5
    assert c[1, IDX["lfsr_step"]] == 5 + 12  # + fc2: (5 + 1) inputs * 2 units, one lane
    lane0, lane1 = seeds[0], seeds[1]
    for _ in range(3):
        lane0 = ref_lfsr_step(lane0)
    for _ in range(2):
        lane1 = ref_lfsr_step(lane1)
    assert list(proc.memories()["lfsr_fc1"]) == [lane0, lane1]
    # cycles, inference row: clear max(O*O = 1, G1 = 3, G2 = 2) + 2 = 5; end-of-sample 1; fc1
    # forward Q*Q*(C+2) + NA*G1 + 4 = 3 + 3 + 4 = 10; hard-tanh N1 + 4 = 9; fc2 forward
    # (5+1)*(2+1) + 4 = 22; sigmoid 2 + 3 + 2 = 7; DONE 1: 55
    assert c[0, IDX["cycles"]] == 55
    # learning row: fc1 update 1 + pass 6 + drain 2 + 1 (last word written) + 2 + write slots
    # NA*(G1-1) = 2 (one bank, 1rw): 14; fc2 update 2 + 18 + 3 + 2 = 25: 39
    assert c[1, IDX["cycles"]] == 39
    # the memories in the lane layout: fc1_w (1+1)*3 words of 2 lanes, padding lane 0
    m = proc.memories()
    assert m["fc1_w"].shape == (6, 2) and m["fc1_acc"].shape == (3, 2) and m["fc1_dact"].shape == (3, 2)
    assert list(m["fc1_dact"].ravel()) == [1, 1, 1, 1, 1, 0]  # the padding lane of group 2 is 0
    assert m["fc1_w"][2, 1] == 0 and m["fc1_w"][5, 1] == 0


def test_write_slots_only_for_one_single_port_bank():
    """The same sample on 1r1w, on two 1rw banks and on one 1rw bank: only the last costs cycles,
    NA*(G-1) per update pass (spec §16), and no value or access count changes."""
    base = small(**{"fc1.neurons": 5, "fc1.lanes": 2, "fc2.neurons": 2})
    out = {}
    for ports, banks in (("1r1w", 1), ("1rw", 2), ("1rw", 1)):
        cfg = base.replace(**{"fc1.weight_ports": ports, "fc1.weight_banks": banks})
        p = Processor.from_config(cfg)
        r = p.run(EventBatch.from_streams([events()], cfg), np.array([1]), learn=True, record=True)
        out[(ports, banks)] = (r.per_sample[0], p.memories())
    c0, m0 = out[("1r1w", 1)]
    for key, (c, m) in out.items():
        extra = 2 if key == ("1rw", 1) else 0
        assert c[1, IDX["cycles"]] == c0[1, IDX["cycles"]] + extra, key
        assert c[0, IDX["cycles"]] == c0[0, IDX["cycles"]]
        other = [i for i in range(c.shape[1]) if i != IDX["cycles"]]
        np.testing.assert_array_equal(c[:, other], c0[:, other])
        for name in m0:
            np.testing.assert_array_equal(m[name], m0[name], err_msg=name)


# ---- values do not depend on the organisation -------------------------------------------------

@pytest.mark.parametrize("rounding", ["truncate", "nearest"])
def test_deterministic_rounding_gives_the_same_chip_at_any_lanes(rounding):
    """Learning on real digits with every organisation: with deterministic rounding the weights,
    accumulators, activations and predictions equal the serial chip's; only the word counts and
    the cycles change."""
    base = Config.preset("tiny").replace(**{"drtp.rounding": rounding, "hidden.sizes": "16,12"})
    batch, y = _digits(base, 40)
    runs = {}
    for orgs in ({}, {"hidden.0.lanes": 5, "hidden.1.lanes": 12, "output.lanes": 3},
                 {"hidden.0.lanes": 16, "hidden.0.weight_banks": 4, "hidden.0.weight_ports": "1rw",
                  "hidden.1.lanes": 7, "hidden.1.weight_ports": "1rw", "output.lanes": 10}):
        cfg = base.replace(**orgs)
        p = Processor.from_config(cfg)
        lr = p.run(batch, y, learn=True)
        inf = p.copy().run(batch, y)
        runs[str(orgs)] = (p, lr, inf)
    p0, lr0, inf0 = runs["{}"]
    for key, (p, lr, inf) in runs.items():
        for k in (1, 2, 3):
            np.testing.assert_array_equal(p.weights(k), p0.weights(k), err_msg=f"{key}: fc{k}_w")
        for a in ("acc", "act", "dact", "out"):
            np.testing.assert_array_equal(p.st[a], p0.st[a], err_msg=f"{key}: {a}")
        np.testing.assert_array_equal(lr.preds, lr0.preds)
        np.testing.assert_array_equal(inf.preds, inf0.preds)
        assert lr.counters[1, IDX["fc1_upd"]] == lr0.counters[1, IDX["fc1_upd"]] > 0
    # the fully parallel layer reads one word per input; fewer cycles than the serial chip
    p, lr, inf = runs[str({"hidden.0.lanes": 16, "hidden.0.weight_banks": 4, "hidden.0.weight_ports": "1rw",
                           "hidden.1.lanes": 7, "hidden.1.weight_ports": "1rw", "output.lanes": 10})]
    assert inf.counters[0, IDX["fc1_w_rd"]] * 16 == inf0.counters[0, IDX["fc1_w_rd"]]
    assert inf.counters[0, -1] < inf0.counters[0, -1] and lr.counters[:, -1].sum() < lr0.counters[:, -1].sum()


def test_accuracy_at_16_lanes_is_within_noise_of_serial():
    """Stochastic rounding: the lanes draw other random bits, so the chip differs, but not its
    accuracy. spoon_serial vs spoon (fc1 in 16 lanes on two 1rw banks, fc2 in 10), 3 chip seeds,
    2 epochs on the embedded split, test accuracy: the paired difference of the means stays
    within 1.5 pp (the seed spread of one such run is about 1 pp)."""
    sp = embedded_split()
    acc = {0: [], 16: []}
    for seed in (0, 1, 2):
        for lanes in (0, 16):
            cfg = Config.preset("spoon" if lanes else "spoon_serial").replace(seed=seed)
            assert cfg.fc1.lanes == max(lanes, 1)
            tr = EventBatch.from_streams(encode_images(sp.x_train, cfg), cfg)
            te = EventBatch.from_streams(encode_images(sp.x_test, cfg), cfg)
            p = Processor.from_config(cfg)
            for order in epoch_orders(len(sp.y_train), 2, seed):
                p.train_epoch(tr, sp.y_train, order)
            acc[lanes].append(p.evaluate(te, sp.y_test).accuracy(sp.y_test))
    diff = np.mean(acc[16]) - np.mean(acc[0])
    assert np.mean(acc[0]) > 0.8 and abs(diff) < 0.015, (acc, diff)


# ---- interfaces --------------------------------------------------------------------------------

def test_config_files_keep_their_bytes_and_carry_the_organisation(tmp_path):
    serial = Config.preset("spoon_serial")
    assert "lanes" not in serial.to_toml()  # defaults are not written: older files are unchanged
    assert "lanes = 16" in Config.preset("spoon").to_toml()
    cfg = serial.replace(**{"fc1.lanes": 16, "fc1.weight_banks": 2, "fc1.weight_ports": "1rw", "fc2.lanes": 10})
    f = tmp_path / "c.toml"
    f.write_text(cfg.to_toml())
    back = Config.load(str(f))
    assert back == cfg and back.hidden[0].groups == 8 and back.output.groups == 1
    deep = Config.preset("tiny").replace(**{"hidden.sizes": "16,12", "hidden.1.lanes": 5, "output.lanes": 2})
    f2 = tmp_path / "d.toml"
    f2.write_text(deep.to_toml())
    assert Config.load(str(f2)) == deep


def test_save_and_load_keep_the_lane_lfsrs(tmp_path):
    cfg = Config.preset("tiny").replace(**{"fc1.lanes": 4, "fc2.lanes": 3})
    p = Processor.from_config(cfg)
    batch, y = _digits(cfg, 5)
    p.run(batch, y, learn=True)
    p.save(tmp_path / "w.npz")
    q = Processor.load(tmp_path / "w.npz")
    for name, a in p.memories().items():
        np.testing.assert_array_equal(q.memories()[name], a, err_msg=name)
    assert q.memories()["lfsr_fc1"].shape == (4,)


def test_rounding_repeats_start_every_lane():
    """A host-loaded rounding start (train's rounding repeats) sets lane 0 and derives the others
    by the rule of the reset seeds (spec §16)."""
    cfg = Config.preset("tiny").replace(**{"fc1.lanes": 3})
    assert roms.lfsr_reset(cfg, [5, 7]) == [5, roms.stream_seed(5, 1), roms.stream_seed(5, 2), 7]
    assert roms.lfsr_reset(cfg) == roms.lane_seeds(roms.layer_lfsr_seeds(cfg)[0], 3) + [roms.layer_lfsr_seeds(cfg)[1]]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "hwmodel", *args], capture_output=True, text=True)


def test_info_lists_the_organisation():
    r = _cli("info", "--config", "spoon_serial", "--set", "fc1.lanes=16", "--set", "fc1.weight_banks=2",
             "--set", "fc1.weight_ports=1rw", "--set", "fc2.lanes=10", "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)["memories"]
    assert m["fc1_w"] == {"words": 1153 * 8, "width": 128, "word_bits": 128, "bits": 1153 * 8 * 128,
                          "banks": 2, "ports": "1rw", "learning_only": False, "table": False}
    assert m["fc1_dact"]["learning_only"] and m["b_lut"]["learning_only"] and m["b_lut"]["table"]
    assert not m["sig_lut"]["learning_only"] and m["sig_lut"]["table"]
    assert m["fc1_acc"]["words"] == 8 and m["fc1_acc"]["ports"] == "1r1w"
    assert m["fc2_w"]["words"] == 129 and m["fc2_w"]["width"] == 80
    assert m["lfsr_fc1"]["words"] == 16 and m["conv_pot"]["ports"] == "1rw"


@pytest.mark.parametrize("key,value,msg", [
    ("fc1.lanes", "129", "'fc1.lanes' = 129: must be in 1..128"),
    ("fc1.lanes", "0", "'fc1.lanes' = 0: must be in 1..128"),
    ("fc2.weight_banks", "3", "'fc2.weight_banks' = 3: must be a power of two"),
    ("fc1.weight_ports", "2rw", "'fc1.weight_ports' = '2rw': must be one of 1r1w, 1rw"),
])
def test_bad_organisation_is_one_line_exit_2(key, value, msg):
    r = _cli("info", "--config", "spoon", "--set", f"{key}={value}")
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and msg in lines[0], r.stderr
