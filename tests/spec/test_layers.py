"""The layer-stack configuration (docs/spec.md §15): both file layouts, dotted keys, depth 0..3,
one-line errors naming the layer and field, and info --json "layers"."""
import json
import subprocess
import sys
import tomllib

import pytest

from hwmodel.spec import layers
from naive import spec10
from hwmodel.spec.config import Config, ConfigError, DepthError, PRESET_DIR, list_presets


DEEP_PRESETS = {"spoon_deep": [128, 64], "pixel_fc": [500, 500]}


@pytest.mark.parametrize("name", [n for n in list_presets() if n not in DEEP_PRESETS])
def test_one_hidden_layer_files_keep_their_layout_and_meaning(name):
    raw = tomllib.loads((PRESET_DIR / f"{name}.toml").read_text())
    cfg = Config.preset(name)
    assert cfg.depth == 1
    assert tomllib.loads(cfg.to_toml()) == raw             # written back in the original layout
    assert cfg.hidden[0].neurons == raw["fc1"]["neurons"] and cfg.output.neurons == raw["fc2"]["neurons"]
    assert cfg.hidden[0].lr_shift == raw["drtp"]["lr_shift_fc1"] == cfg.fc1.lr_shift
    assert cfg.output.lr_shift == raw["drtp"]["lr_shift_fc2"] and cfg.hidden[0].b == raw["drtp"]["b"]
    # a layer that does not learn (learn = false, spec §15) drops its learning-only memories from
    # the list of the same chip learning everywhere; the rest is that chip's
    scoped = cfg
    cfg = cfg.replace(**{"fc1.learn": True, "fc2.learn": True})
    gone = ({"fc1_dact", "b_lut", "lfsr_fc1"} if not scoped.hidden[0].learn else set()) | (
        {"lfsr_fc2"} if not scoped.output.learn else set())
    assert layers.memories(scoped) == {k: v for k, v in layers.memories(cfg).items() if k not in gone}
    # the §15 memory list is §10's for one hidden layer, in the same order (§10 is the serial
    # organisation; lanes change the words, never the bits of a layer whose lanes divide it)
    serial = cfg.replace(**{f"{ly}.{f}": v for ly in ("fc1", "fc2")
                            for f, v in (("lanes", 1), ("weight_banks", 1), ("weight_ports", "1r1w"))})
    assert layers.memories(serial) == spec10.memory_sizes(serial)
    assert list(layers.memories(cfg)) == list(spec10.memory_sizes(cfg))
    if all(ly.neurons % ly.lanes == 0 for ly in (cfg.hidden[0], cfg.output)):
        assert ({m: v["bits"] for m, v in layers.memories(cfg).items() if not m.startswith("lfsr")}
                == {m: v["bits"] for m, v in spec10.memory_sizes(cfg).items() if not m.startswith("lfsr")})


@pytest.mark.parametrize("name", sorted(DEEP_PRESETS))
def test_deep_presets_are_written_back_in_the_stack_layout(name):
    raw = tomllib.loads((PRESET_DIR / f"{name}.toml").read_text())
    cfg = Config.preset(name)
    assert [h.neurons for h in cfg.hidden] == DEEP_PRESETS[name] == [h["neurons"] for h in raw["hidden"]]
    assert tomllib.loads(cfg.to_toml()) == raw
    assert cfg.hidden[1].ab >= cfg.hidden[1].wb + cfg.hidden[0].yb  # multi-bit inputs fit


def test_hidden_sizes_sets_depth_and_copies_the_last_layer():
    base = Config.preset("spoon").replace(**{"fc1.weight": "s6", "drtp.b": "s3"})
    d2 = base.replace(**{"hidden.sizes": "256,64"})
    assert d2.depth == 2 and [h.neurons for h in d2.hidden] == [256, 64]
    assert all(h.weight == "s6" and h.b == "s3" for h in d2.hidden)
    d3 = base.replace(**{"hidden.sizes": [32, 16, 8], "hidden.2.lr_shift": 5, "hidden.activation": "s6",
                         "output.lr_shift": 12})
    assert [h.lr_shift for h in d3.hidden] == [3, 3, 5] and {h.activation for h in d3.hidden} == {"s6"}
    assert d3.output.lr_shift == 12
    assert [h.lanes for h in d3.hidden] == [16, 16, 8]               # lanes capped at the layer's size
    d0 = base.replace(**{"hidden.sizes": ""})
    assert d0.depth == 0 and d0.layer_inputs(1) == (d0.n_in, 1)
    assert base.replace(**{"hidden.sizes": "128"}) == base          # back to one layer: the same config
    assert base.with_sets(["hidden.sizes=64-32"]).depth == 2


@pytest.mark.parametrize("sizes", ["", "40", "24,12", "20,10,6"])
def test_stack_layout_round_trips(sizes, tmp_path):
    cfg = Config.preset("tiny").replace(**{"hidden.sizes": sizes, "output.lr_shift": 9})
    again = Config.from_dict(tomllib.loads(cfg.to_toml()))
    assert again == cfg
    f = tmp_path / "c.toml"
    f.write_text(cfg.to_toml())
    assert Config.from_toml(f) == cfg
    txt = cfg.to_toml()
    assert ("[[hidden]]" in txt) == (cfg.depth >= 2)                 # one hidden layer: [fc1]/[fc2]
    assert ("[fc1]" in txt) == (cfg.depth == 1)
    assert ("\nhidden = []" in txt) == (cfg.depth == 0)


def test_partial_file_over_a_base_with_hidden_tables(tmp_path):
    f = tmp_path / "deep.toml"
    f.write_text('base = "spoon"\n[[hidden]]\nneurons = 200\n[[hidden]]\nneurons = 50\n'
                 'activation = "s6"\n[output]\nlr_shift = 13\n')
    cfg = Config.from_toml(f)
    assert [h.neurons for h in cfg.hidden] == [200, 50] and cfg.hidden[1].activation == "s6"
    assert cfg.hidden[1].weight == "s8" and cfg.output.lr_shift == 13 and cfg.output.neurons == 10


@pytest.mark.parametrize("over,key", [
    ({"hidden.sizes": "64,0"}, "hidden.1.neurons"),
    ({"hidden.sizes": "64,2000"}, "hidden.1.neurons"),
    ({"hidden.sizes": "64,32", "hidden.1.accumulator": "s12"}, "hidden.1.accumulator"),
    ({"hidden.sizes": "64,32", "output.accumulator": "s12"}, "output.accumulator"),
    ({"hidden.sizes": "64,32", "hidden.0.b": "s9"}, "hidden.0.b"),
    ({"hidden.sizes": "64,32", "output.neurons": 1}, "output.neurons"),
    ({"hidden.sizes": "64,32", "hidden.1.act_shift": 40}, "hidden.1.act_shift"),
    ({"hidden.sizes": "64,32", "output.b": "s2"}, "output.b"),                 # B on the output layer
    ({"hidden.sizes": "64,32", "hidden.1.sig_shift": 3}, "hidden.1.sig_shift"),  # sigmoid on a hidden one
    ({"hidden.sizes": "64,x"}, "hidden.sizes"),
    ({"hidden.sizes": "64,32", "hidden.5.weight": "s4"}, "hidden.5.weight"),
    ({"hidden.sizes": "64,32", "fc2.weight": "s6"}, "fc2.weight"),             # legacy name, depth 2
    ({"hidden.sizes": "", "drtp.b": "s3"}, "drtp.b"),
    ({"hidden.sizes": "", "output.accumulator": "s8"}, "output.accumulator"),  # s8 weights + spikes: s9
])
def test_bad_stacks_are_one_line_errors_naming_layer_and_field(over, key):
    with pytest.raises(ConfigError) as e:
        Config.preset("tiny").replace(**over)
    msg = str(e.value)
    assert f"'{key}'" in msg and "\n" not in msg, msg


def test_stack_file_without_output_section_is_an_error(tmp_path):
    cfg = Config.preset("tiny").replace(**{"hidden.sizes": "20,10"})
    d = tomllib.loads(cfg.to_toml())
    text = cfg.to_toml().split("[output]")[0] + "[drtp]\nrounding = \"nearest\"\n" + \
        "[encoding]" + cfg.to_toml().split("[encoding]")[1]
    f = tmp_path / "c.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=r"missing section \[output\]"):
        Config.from_toml(f)
    assert d["output"]["neurons"] == 10


def test_one_hidden_layer_views_refuse_other_depths():
    deep = Config.preset("tiny").replace(**{"hidden.sizes": "20,10"})
    for attr in ("fc1", "fc2", "ymax"):
        with pytest.raises(DepthError, match="has 2 hidden layers"):
            getattr(deep, attr)
    assert "W1B" not in deep.bits and deep.one == 255


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "hwmodel", *args], capture_output=True, text=True)


def test_info_json_lists_the_layers():
    r = _cli("info", "--config", "spoon", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert [(L["kind"], L.get("neurons")) for L in d["layers"]] == [("conv", None), ("hidden", 128), ("output", 10)]
    r = _cli("info", "--config", "tiny", "--set", "hidden.sizes=24,12,6", "--json")
    d = json.loads(r.stdout)
    assert [L["kind"] for L in d["layers"]] == ["conv", "hidden", "hidden", "hidden", "output"]
    assert [L["neurons"] for L in d["layers"][1:]] == [24, 12, 6, 10]
    assert d["memories"]["fc2_w"] == {"words": 25 * 12, "word_bits": 8, "bits": 25 * 12 * 8, "width": 8,
                                      "banks": 1, "ports": "1r1w", "learning_only": False, "table": False}
    assert d["memories"]["fc3_dact"]["learning_only"] and d["memories"]["b3_lut"]["table"]
    assert d["memories"]["lfsr_fc1"]["ports"] == "register"
    assert d["memories"]["b3_lut"]["word_bits"] == 6 * 2 and "lfsr_fc4" in d["memories"]


def test_the_estimator_costs_any_depth():
    """Every layer of the stack is costed: its memories (organisation, learning-only B LUT and
    derivative flags), its datapath, activation and update actions."""
    r = subprocess.run([sys.executable, "-m", "hwmodel.estimate", "--config", "tiny", "--set", "hidden.sizes=24,12",
                        "--no-synth", "--samples", "4", "--train-samples", "8", "--rate", "100", "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    comps = {(a["component"], a["action"]) for a in d["actions"]}
    assert {("fc2_w", "read"), ("b2_lut", "read"), ("fc2_update", "update"), ("fc3_datapath", "mac"),
            ("fc2_tanh", "activate")} <= comps
    inf = d["designs"]["inference_only"]["memories"]
    assert "fc2_dact" in d["designs"]["learning"]["memories"] and "fc2_dact" not in inf and "b2_lut" not in inf
    assert d["energy_per_learning_sample_nj"] > d["energy_per_classification_nj"] > 0


def test_train_at_depth_0_and_2_reports_every_layer():
    common = ["--epochs", "1", "--n-train", "300", "--n-test", "100", "--val-size", "60", "--json"]
    for sets, keys in ((["hidden.sizes="], ["fc1"]),
                       (["hidden.sizes=24,12", "hidden.1.act_shift=4"], ["fc1", "fc2", "fc3"])):
        r = _cli("train", "--config", "tiny", *[x for kv in sets for x in ("--set", kv)], *common)
        assert r.returncode == 0, r.stderr
        d = json.loads(r.stdout)
        assert sorted(d["saturation"]) == keys
        for k in ("test_accuracy", "float_test_accuracy", "linear_test_accuracy", "frozen_test_accuracy"):
            assert 0.0 <= d[k] <= 1.0, k
