"""Configuration: presets, TOML round trip, precision text, validation messages, spec table."""
import re
from pathlib import Path

import pytest

from hwmodel.spec.config import Config, ConfigError, flat_keys, list_presets
from hwmodel.spec.precision import Precision, PrecisionError

SPEC = Path(__file__).resolve().parents[2] / "docs" / "spec.md"


def test_presets_load_and_spoon_is_default():
    assert {"spoon", "tiny"} <= set(list_presets())
    cfg = Config.preset("spoon")
    assert cfg == Config.load("spoon")
    assert (cfg.conv_out, cfg.spk_side, cfg.n_in) == (12, 12, 1152)


def test_spec_preset_table_matches_preset_file():
    text = SPEC.read_text()
    table = text.split("<!-- preset-table:begin -->")[1].split("<!-- preset-table:end -->")[0]
    rows = dict((k.strip(), v.strip()) for k, v in re.findall(r"^\|\s*([a-z_0-9.]+)\s*\|\s*([^|]+)\|", table, re.M)
                if k.strip() != "key")
    d = Config.preset("spoon").to_dict()
    flat = {f"{s}.{k}": str(v) for s, sec in d.items() if isinstance(sec, dict) for k, v in sec.items()}
    assert rows == {k: v for k, v in flat.items()}


def test_toml_round_trip(tmp_path):
    cfg = Config.preset("spoon").replace(**{"fc1.weight": "fixed<6,1>", "drtp.rounding": "nearest", "seed": 7})
    p = tmp_path / "c.toml"
    p.write_text(cfg.to_toml())
    again = Config.from_toml(p)
    assert again.to_dict() | {"name": cfg.name} == cfg.to_dict()


@pytest.mark.parametrize("text", ["s8", "u4", "s1", "fixed<8,1>", "ufixed<8,0>", "fixed<16,-2>"])
def test_precision_text_round_trips(text):
    assert str(Precision.parse(text)) == text


def test_precision_ranges_and_real_reading():
    p = Precision.parse("fixed<8,1>")
    assert (p.bits, p.signed, p.frac_bits, p.min, p.max) == (8, True, 7, -128, 127)
    assert p.to_real(64) == 0.5
    assert Precision.parse("u4").max == 15
    with pytest.raises(PrecisionError, match="expected sN"):
        Precision.parse("int8")


@pytest.mark.parametrize("override, key", [
    ({"fc1.weight": "s1"}, "fc1.weight"),
    ({"fc1.weight": "s17"}, "fc1.weight"),
    ({"fc1.weight": "u8"}, "fc1.weight"),
    ({"conv.potential": "s4"}, "conv.potential"),          # cannot hold a kernel weight + 1 bit
    ({"fc2.accumulator": "s12"}, "fc2.accumulator"),       # cannot hold a product
    ({"conv.kernel": 16, "input.width": 8, "input.height": 8}, "conv.kernel"),
    ({"conv.pool": 5}, "conv.pool"),
    ({"conv.threshold": 0}, "conv.threshold"),
    ({"drtp.rounding": "banker"}, "drtp.rounding"),
    ({"drtp.b": "s9"}, "drtp.b"),
    ({"fc2.output": "s8"}, "fc2.output"),
    ({"fc1.init_bound": 200}, "fc1.init_bound"),
    ({"fc1.neurons": "many"}, "fc1.neurons"),
    ({"seed": -1}, "seed"),
    ({"input.height": 30}, "input.height"),
])
def test_invalid_values_name_the_key(override, key):
    with pytest.raises(ConfigError) as e:
        Config.preset("spoon").replace(**override)
    msg = str(e.value)
    assert f"'{key}'" in msg and "\n" not in msg


def test_unknown_keys_and_presets(tmp_path):
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        Config.preset("nope")
    with pytest.raises(ConfigError, match="unknown key 'fc1.bogus'"):
        Config.preset("spoon").replace(**{"fc1.bogus": 1})
    bad = tmp_path / "bad.toml"
    bad.write_text("[fc3]\nneurons = 3\n")
    with pytest.raises(ConfigError, match="unknown key 'fc3'"):
        Config.from_toml(bad)
    bad.write_text("[fc1\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        Config.from_toml(bad)
    with pytest.raises(ConfigError, match="not found"):
        Config.from_toml(tmp_path / "missing.toml")


def test_config_is_immutable_and_every_key_overridable():
    cfg = Config.preset("tiny")
    with pytest.raises(Exception):
        cfg.seed = 3  # type: ignore[misc]
    assert "fc1.weight" in flat_keys() and "seed" in flat_keys()


def test_identity_conv_is_a_pixel_pass_through():
    """conv.init = "identity" (spec §3): K = 1, C = CIN, weight max; one event fires its pixel."""
    import numpy as np

    from hwmodel.spec import roms
    from hwmodel.data.encode import EventBatch
    from hwmodel.data.eventio import EVENT_DTYPE
    from hwmodel.engine.processor import Processor
    over = {"conv.init": "identity", "conv.kernel": 1, "conv.stride": 1, "conv.channels": 1, "conv.threshold": 7}
    cfg = Config.preset("spoon").replace(**over)
    k = roms.conv_kernels(cfg)
    assert k.shape == (1, 1, 1, 1) and int(k[0, 0, 0, 0]) == 7 and cfg.n_in == 784
    assert 'init = "identity"' in cfg.to_toml() and "init = " not in Config.preset("spoon").to_toml()
    assert Config.from_dict(__import__("tomllib").loads(cfg.to_toml())) == cfg
    two = Config.preset("spoon").replace(**{**over, "input.channels": 2, "conv.channels": 2})
    k2 = roms.conv_kernels(two)
    assert k2[:, :, 0, 0].tolist() == [[7, 0], [0, 7]]
    ev = np.zeros(3, EVENT_DTYPE)
    ev["x"], ev["y"], ev["t"] = [3, 27, 3], [5, 0, 5], [0, 1, 2]
    p = Processor.from_config(cfg)
    p.run(EventBatch.from_streams([ev], cfg))
    spk = p.memories()["conv_spk"].reshape(-1)
    assert set(np.flatnonzero(spk).tolist()) == {5 * 28 + 3, 0 * 28 + 27}
    for bad, needle in ((dict(over, **{"conv.kernel": 3}), "conv.kernel = 1"),
                        (dict(over, **{"conv.channels": 2}), "conv.channels = input.channels"),
                        (dict(over, **{"conv.threshold": 8}), "at most the kernel weight 7"),
                        ({"conv.init": "gabor"}, "must be one of random, identity")):
        with pytest.raises(ConfigError, match=needle):
            Config.preset("spoon").replace(**bad)
