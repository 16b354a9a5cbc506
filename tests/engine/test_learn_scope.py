"""The learning scope (spec §15, ``learn = false`` per FC layer; issue 24): a layer that does not
learn keeps its weights, has no B LUT, derivative flags or lane LFSRs, and costs nothing to learn;
the configuration, the model, the memory list and the estimator agree. The RTL side is
co-simulated in tests/rtl/test_rtl_system.py::test_rtl_learning_scope."""
import numpy as np
import pytest

from hwmodel.spec.config import Config, ConfigError
from hwmodel.spec.counters import memory_counters
from hwmodel.spec.layers import memories
from hwmodel.engine.processor import Processor
from hwmodel.data.select import DataSpec, load_data
from hwmodel.hw.rtlgen import layer_fields, rom_files


def test_learn_key_reads_writes_and_checks():
    spoon = Config.preset("spoon")
    assert all(h.learn for h in spoon.hidden) and spoon.output.learn and "learn" not in spoon.to_toml()
    oo = Config.preset("spoon_output_only")
    assert not oo.hidden[0].learn and oo.output.learn
    assert oo.replace(name="spoon") == spoon.replace(**{"fc1.learn": False})
    import tomllib
    assert Config.from_dict(tomllib.loads(oo.to_toml())) == oo
    assert "learn = false" in oo.to_toml()
    assert spoon.with_sets(["fc2.learn=false"]).output.learn is False
    deep = Config.preset("spoon_deep").with_sets(["hidden.learn=false"])
    assert [h.learn for h in deep.hidden] == [False, False] and deep.output.learn
    with pytest.raises(ConfigError, match="'fc1.learn' must be true or false"):
        spoon.with_sets(["fc1.learn=2"])


def test_memories_of_a_layer_that_does_not_learn():
    cfg = Config.preset("spoon_deep").replace(**{"hidden.1.learn": False, "output.learn": False})
    m = memories(cfg)
    assert {"fc1_dact", "b_lut", "lfsr_fc1"} <= set(m)
    assert not {"fc2_dact", "b2_lut", "lfsr_fc2", "lfsr_fc3"} & set(m)
    assert "b2_lut" not in memory_counters(cfg) and "b_lut" in memory_counters(cfg)
    assert layer_fields(cfg)["FC_LEARN"] == [1, 0, 0]
    assert "b2_lut" not in rom_files(cfg) and "b_lut" in rom_files(cfg)
    proc = Processor.from_config(cfg)
    assert set(proc.memories()) == set(m)


@pytest.fixture(scope="module")
def prep():
    return load_data(Config.preset("tiny"), DataSpec(n_train=120, n_test=40, val_size=0))[0]


@pytest.mark.parametrize("frozen", ["fc1", "fc2"])
def test_a_layer_that_does_not_learn_keeps_its_weights(prep, frozen):
    tiny = Config.preset("tiny")
    cfg = tiny.replace(**{f"{frozen}.learn": False})
    full, part = Processor.from_config(tiny), Processor.from_config(cfg)
    r_full = full.run(prep.train, prep.y_train, learn=True)
    r_part = part.run(prep.train, prep.y_train, learn=True)
    k = int(frozen[2])
    other = 3 - k
    assert np.array_equal(part.weights(k), Processor.from_config(cfg).weights(k))
    assert not np.array_equal(part.weights(other), Processor.from_config(cfg).weights(other))
    names = dict(zip(part.names, r_part.counters[1]))
    assert names[f"fc{k}_upd"] == 0 and names[f"fc{other}_upd"] > 0
    if frozen == "fc1":
        assert names["b_lut_rd"] == 0
        # the model's frozen-hidden experiment is the same chip
        fz = Processor.from_config(tiny, frozen_hidden=True)
        r_fz = fz.run(prep.train, prep.y_train, learn=True)
        assert np.array_equal(fz.st["w"], part.st["w"]) and np.array_equal(r_fz.counters, r_part.counters)
    # fewer learning cycles, the same inference
    cyc = part.names.index("cycles")
    assert r_part.counters[1, cyc] < r_full.counters[1, cyc]
    part.freeze_hidden(False)          # the host flag cannot make a learn = false layer learn
    if frozen == "fc1":
        w = part.weights(1).copy()
        part.run(prep.train, prep.y_train, learn=True)
        assert np.array_equal(part.weights(1), w)


def test_estimate_of_the_output_only_chip():
    from hwmodel.estimate.core import estimate
    r = {n: estimate(Config.preset(n), synth=False, samples=20, train_samples=50)
         for n in ("spoon", "spoon_output_only")}
    full, oo = r["spoon"], r["spoon_output_only"]
    assert {"b_lut", "fc1_dact"} <= set(full["designs"]["learning"]["memories"])
    assert not {"b_lut", "fc1_dact"} & set(oo["designs"]["learning"]["memories"])
    assert oo["area_mm2"] < full["area_mm2"] and oo["area_mm2_inference_only"] == pytest.approx(
        full["area_mm2_inference_only"])
    assert oo["energy_per_learning_sample_nj"] < 0.7 * full["energy_per_learning_sample_nj"]
    assert oo["energy_nj_by_counter"]["learning"].get("b_lut_rd", 0) == 0


def test_a_chip_that_does_not_learn_everywhere_saves_and_loads(tmp_path, prep):
    cfg = Config.preset("tiny").replace(**{"fc2.learn": False})
    p = Processor.from_config(cfg)
    p.run(prep.train, prep.y_train, learn=True)
    p.save(tmp_path / "w.npz")
    q = Processor.load(tmp_path / "w.npz")
    assert q.cfg == cfg and all(np.array_equal(p.st[k], q.st[k]) for k in p.st)
    from hwmodel.engine.processor import state_ranges
    assert set(state_ranges(cfg)) == set(memories(cfg)) == set(q.memories())


def test_a_sweep_point_that_sets_an_optional_key_differs_from_its_base():
    """learn and the organisation keys are left out of a file at their defaults; a sweep point
    that sets one (to or from its default) still differs from its base (its point key)."""
    from hwmodel.sweep.plan import overrides_of
    tiny, spoon = Config.preset("tiny"), Config.preset("spoon")
    oo, deep = Config.preset("spoon_output_only"), Config.preset("spoon_deep")
    assert overrides_of(tiny, tiny.replace(**{"fc1.learn": False})) == {"fc1.learn": False}
    assert overrides_of(oo, oo.replace(**{"fc1.learn": True})) == {"fc1.learn": True}
    assert overrides_of(spoon, spoon.replace(**{"fc1.lanes": 1})) == {"fc1.lanes": 1}
    assert overrides_of(deep, deep.replace(**{"hidden.1.learn": False}), stack=True) == {"hidden.1.learn": False}
    assert overrides_of(tiny, tiny) == {}
