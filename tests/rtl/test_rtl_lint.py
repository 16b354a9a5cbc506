"""RTL quality gates: Verilator -Wall lint, Yosys synthesis without latches, the RTL's own
parameter checks (an illegal set stops elaboration naming the rule), RTL defaults = spoon."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from sim import quality
from sim import runner

from conftest import require_tool
from hwmodel.hw import rtlgen
from hwmodel.spec.config import Config

RTL = runner.RTL_DIR


@pytest.fixture
def verilator():
    require_tool(runner.setup_verilator(), "verilator")


@pytest.fixture
def yosys():
    require_tool(None if shutil.which("yosys") else "yosys is not installed", "yosys")


def tiny_depth(depth: int) -> Config:
    """tiny with 0 or 3 hidden layers (the dense layers' accumulators widened to s20)."""
    if depth == 0:
        return Config.preset("tiny").replace(**{"hidden.sizes": ""})
    return Config.preset("tiny").replace(**{"hidden.sizes": "12,8,6", "hidden.1.accumulator": "s20",
                                             "hidden.2.accumulator": "s20"})


def tiny_lanes() -> Config:
    """tiny with lane-parallel layers (spec §16): fc1 P = 5 (groups 5+5+5+1) in 2 banks of 1rw
    macros, fc2 P = 3 (3+3+3+1) in one 1rw bank (write slots)."""
    return Config.preset("tiny").replace(**{"fc1.lanes": 5, "fc1.weight_banks": 2,
                                            "fc1.weight_ports": "1rw", "fc2.lanes": 3,
                                            "fc2.weight_ports": "1rw"})


def spoon_lanes() -> Config:
    """spoon with fc1 32 lanes in one bank of 1rw macros and fc2 4 lanes (partial) in 2 banks of
    1r1w (the spoon preset itself: fc1 16 lanes in 2 banks of 1rw, fc2 10 lanes in one 1rw bank)."""
    return Config.preset("spoon").replace(**{"fc1.lanes": 32, "fc1.weight_banks": 1, "fc1.weight_ports": "1rw",
                                             "fc2.lanes": 4, "fc2.weight_banks": 2, "fc2.weight_ports": "1r1w"})


def deep_lanes() -> Config:
    """tiny_depth3 with lanes in every layer: 12 units P = 12, 8 units P = 3 in 8 banks of 1rw,
    6 units P = 4 in one 1rw bank, the output layer P = 10 in 4 banks of 1r1w."""
    return tiny_depth(3).replace(**{"hidden.0.lanes": 12, "hidden.1.lanes": 3,
                                    "hidden.1.weight_banks": 8, "hidden.1.weight_ports": "1rw",
                                    "hidden.2.lanes": 4, "hidden.2.weight_ports": "1rw",
                                    "output.lanes": 10, "output.weight_banks": 4})


LINT_CONFIGS = {"spoon": lambda: Config.preset("spoon"), "spoon_serial": lambda: Config.preset("spoon_serial"),
                "tiny": lambda: Config.preset("tiny"),
                "spoon_deep": lambda: Config.preset("spoon_deep"), "pixel_fc": lambda: Config.preset("pixel_fc"),
                "tiny_depth0": lambda: tiny_depth(0), "tiny_depth3": lambda: tiny_depth(3),
                "tiny_lanes": tiny_lanes, "spoon_lanes": spoon_lanes, "deep_lanes": deep_lanes,
                # learning scopes (spec §15): the output-only chip, a deep stack learning in layer 1 only
                "spoon_output_only": lambda: Config.preset("spoon_output_only"),
                "tiny_output_only": lambda: Config.preset("tiny").replace(**{"fc1.learn": False}),
                "deep_first_only": lambda: Config.preset("spoon_deep").replace(
                    **{"hidden.1.learn": False, "output.learn": False})}


@pytest.mark.parametrize("preset", list(LINT_CONFIGS))
@pytest.mark.parametrize("learning", [True, False])
def test_rtl_lint_clean(verilator, preset, learning):
    ok, out = quality.lint(rtlgen.top_parameters(LINT_CONFIGS[preset](), learning))
    assert ok, out


@pytest.mark.parametrize("preset,learning", [("tiny", True), ("tiny", False), ("tiny_depth0", True),
                                             ("tiny_depth3", True), ("tiny_lanes", True),
                                             ("tiny_lanes", False), ("tiny_output_only", True)])
def test_rtl_synth_no_latches(yosys, preset, learning):
    ok, cells, text = quality.synth(rtlgen.top_parameters(LINT_CONFIGS[preset](), learning))
    assert ok, text[-3000:]
    assert cells.get("design", 0) > 0


def rtl_defaults() -> dict[str, int]:
    """The parameter defaults written in rtl/spoon_top.v (primary parameters only); the FC_*
    vectors, written as {16'dX, ..., 16'dY} (the last field is layer 1), packed as rtlgen does."""
    text = (RTL / "spoon_top.v").read_text()
    head = text[text.index("module spoon_top"):text.index("// derived (do not override)")]
    out = {}
    for m in re.finditer(r"parameter\s+(?:integer|\[31:0\])\s+(\w+)\s*=\s*(?:32'd)?(\d+)", head):
        out[m.group(1)] = int(m.group(2))
    for m in re.finditer(r"parameter\s+\[16\*NH\+15:0\]\s+(\w+)\s*=\s*\{([^}]*)\}", head):
        fields = [int(f.strip().removeprefix("16'd")) for f in m.group(2).split(",")]
        out[m.group(1)] = rtlgen.pack(list(reversed(fields)))
    return out


def with_field(p: dict, name: str, g: int, value: int) -> dict:
    """``p`` with field g (layer g + 1) of the FC_* vector ``name`` set to ``value``."""
    fields = rtlgen.unpack(p[name], p["NH"] + 1)
    fields[g] = value
    return {**p, name: rtlgen.pack(fields)}


def test_rtl_defaults_are_the_spoon_preset():
    """Instantiating spoon_top without parameters gives the spoon processor."""
    want = rtlgen.top_parameters(Config.preset("spoon"), True)
    got = rtl_defaults()
    for k, v in rtlgen.BUILD_PARAMS.items():       # build options, not config: their defaults
        assert got.pop(k) == v, k
    assert set(got) == set(want), (set(got) ^ set(want))
    assert got == want


def _nh17() -> dict:
    """17 hidden layers (at most 16 are legal), every field legal: only NH_range may fire."""
    p = rtlgen.top_parameters(Config.preset("tiny"), True)
    n = 18
    f = {"FC_N": [2] * n, "FC_WB": [2] * n, "FC_AB": [8] * n, "FC_YB": [2] * 17 + [0],
         "FC_AS": [0] * n, "FC_BB": [1] * 17 + [0], "FC_LR": [0] * n, "FC_LANES": [1] * n,
         "FC_BANKS": [1] * n, "FC_PORTS": [0] * n}
    return {**p, "NH": 17, "SS": 0, **{k: rtlgen.pack(v) for k, v in f.items()}}


def _deep() -> dict:
    return rtlgen.top_parameters(tiny_depth(3), True)


# one illegal set per rule: (id, parameters: a function of the tiny parameters, rule name in the
# RTL); FC_* fields g are layer g + 1 (tiny: layer 1 hidden, layer 2 the output layer)
ILLEGAL = [
    ("PB_range", lambda p: {**p, "PB": 4, "THETA": 5}, "PB_range"),         # PB must be > WC (4)
    ("AB_layer1", lambda p: with_field(p, "FC_AB", 0, 8), "FC_AB_range"),    # layer 1: AB > WB (8)
    ("AB_output", lambda p: with_field(p, "FC_AB", 1, 15), "FC_AB_range"),   # AB >= WB + YB (16)
    ("AB_dense", lambda p: with_field(_deep(), "FC_AB", 2, 15), "FC_AB_range"),  # layer 3 of tiny_depth3
    ("AB_hidden_max", lambda p: with_field(p, "FC_AB", 0, 33), "FC_AB_range"),   # hidden: at most s32
    ("POOL", lambda p: {**p, "POOL": 5}, "POOL_must_divide_O"),             # tiny: O = 8
    ("THETA", lambda p: {**p, "THETA": 512}, "THETA_range"),                # PB = 10: THETA <= 511
    ("S", lambda p: {**p, "S": 6}, "S_range"),                              # S <= K (5)
    ("K", lambda p: {**p, "K": 17, "S": 1}, "K_range"),                     # K <= min(W, 16)
    ("N_output", lambda p: with_field(p, "FC_N", 1, 1), "FC_N_range"),
    ("N_hidden", lambda p: with_field(p, "FC_N", 0, 1025), "FC_N_range"),
    ("AS", lambda p: with_field(p, "FC_AS", 0, 16), "FC_AS_range"),
    ("SS", lambda p: {**p, "SS": 20}, "SS_range"),
    ("BB", lambda p: with_field(p, "FC_BB", 0, 9), "FC_BB_range"),
    ("LR_output", lambda p: with_field(p, "FC_LR", 1, 41), "FC_LR_range"),
    ("LR_hidden", lambda p: with_field(p, "FC_LR", 0, 31), "FC_LR_range"),
    ("RMODE", lambda p: {**p, "RMODE": 3}, "RMODE_range"),
    ("CIN", lambda p: {**p, "CIN": 3}, "CIN_range"),
    ("PAD", lambda p: {**p, "PAD": 5}, "PAD_range"),
    ("L", lambda p: {**p, "L": 13}, "L_range"),
    ("OB", lambda p: {**p, "OB": 17}, "OB_range"),
    ("YB", lambda p: with_field(p, "FC_YB", 0, 1), "FC_YB_range"),
    ("WC", lambda p: {**p, "WC": 17, "PB": 32}, "WC_range"),
    ("LEARNING", lambda p: {**p, "LEARNING": 2}, "LEARNING_range"),
    ("NH", lambda p: _nh17(), "NH_range"),
    # the organisation of an FC layer (spec §16)
    ("LANES_zero", lambda p: with_field(p, "FC_LANES", 0, 0), "FC_LANES_range"),
    ("LANES_above_N", lambda p: with_field(p, "FC_LANES", 1, 11), "FC_LANES_range"),   # N_out = 10
    ("BANKS_not_pow2", lambda p: with_field(p, "FC_BANKS", 0, 3), "FC_BANKS_range"),
    ("BANKS_above_64", lambda p: with_field(p, "FC_BANKS", 0, 128), "FC_BANKS_range"),
    ("BANKS_above_words", lambda p: with_field(with_field(p, "FC_N", 1, 2), "FC_BANKS", 1, 64),
     "FC_BANKS_range"),                      # fc2 2 units: (16 + 1) * 2 = 34 words < 64 banks
    ("PORTS", lambda p: with_field(p, "FC_PORTS", 1, 2), "FC_PORTS_range"),
    ("LEARN", lambda p: with_field(p, "FC_LEARN", 0, 2), "FC_LEARN_range"),
    ("CLOCK_GATE", lambda p: {**p, "CLOCK_GATE": 3}, "CLOCK_GATE_range"),
]


@pytest.mark.parametrize("make,rule", [(m, r) for _, m, r in ILLEGAL], ids=[i for i, _, _ in ILLEGAL])
def test_rtl_illegal_parameters_stop_verilator(verilator, make, rule):
    p = make(rtlgen.top_parameters(Config.preset("tiny"), True))
    ok, out = quality.lint(p)
    assert not ok
    assert f"illegal_parameter_{rule}" in out, out[-2000:]
    # only that rule fires
    assert len(set(re.findall(r"illegal_parameter_\w+", out))) == 1, out[-2000:]


def test_rtl_illegal_parameters_stop_icarus_and_yosys(yosys):
    require_tool(None if shutil.which("iverilog") else "iverilog is not installed", "iverilog")
    files = [str(RTL / f) for f in runner.RTL_FILES]
    r = subprocess.run(["iverilog", "-g2005", "-o", "/dev/null", f"-I{RTL}", "-Pspoon_top.PB=3", "-Pspoon_top.WC=4",
                        "-s", "spoon_top", *files], capture_output=True, text=True)
    assert r.returncode != 0 and "illegal_parameter_PB_range" in r.stdout + r.stderr
    ok, _, text = quality.synth(with_field(rtlgen.top_parameters(Config.preset("tiny"), True), "FC_AB", 1, 15))
    assert not ok and "illegal_parameter_FC_AB_range" in text, text[-2000:]


@pytest.mark.parametrize("gate", [1, 2])
@pytest.mark.parametrize("preset", ["tiny", "spoon"])
def test_rtl_clock_gated_lint_clean(verilator, preset, gate):
    """The gated flip-flop memories (CLOCK_GATE = 1, 2; rtl/sram.v, rtl/clock_gate.v) lint clean."""
    ok, out = quality.lint({**rtlgen.top_parameters(LINT_CONFIGS[preset](), True), "CLOCK_GATE": gate})
    assert ok, out


def test_rtl_legal_edge_parameters_lint_clean(verilator):
    """The smallest legal widths (the rules are not stricter than the spec)."""
    cfg = Config.preset("tiny").replace(**{
        "conv.weight": "s2", "conv.potential": "s3", "conv.threshold": 3, "fc1.neurons": 1,
        "fc1.weight": "s2", "fc1.accumulator": "s3", "fc1.activation": "s2", "fc1.act_shift": 2,
        "fc1.init_bound": 1, "fc2.neurons": 2, "fc2.weight": "s2", "fc2.accumulator": "s4",
        "fc2.sig_shift": 3, "fc2.lut_bits": 2, "fc2.lut_frac": 0, "fc2.output": "u2",
        "fc2.init_bound": 1, "drtp.b": "s1", "drtp.lr_shift_fc1": 0, "drtp.lr_shift_fc2": 0})
    ok, out = quality.lint(rtlgen.top_parameters(cfg, True))
    assert ok, out


def test_rtlgen_files(tmp_path):
    cfg = Config.preset("tiny")
    g = rtlgen.generate(cfg, tmp_path)
    assert set(g["files"]) == {"conv_kernel", "fc1_w", "b_lut", "fc2_w", "sig_lut"}
    lut = (tmp_path / "sig_lut.hex").read_text().split()
    assert len(lut) == 1 << cfg.fc2.lut_bits
    p = rtlgen.top_parameters(cfg)
    assert rtlgen.unpack(p["FC_N"], 2) == [cfg.fc1.neurons, cfg.fc2.neurons] and p["SEED"] == cfg.seed
    assert g["parameters"]["FC_N"] == f"32'h{p['FC_N']:x}"       # sized literal for the simulators
    assert g["parameters"]["MEM_DIR"] == f'"{tmp_path.resolve()}"'
    for derived in ("O", "Q", "N_IN", "SEED_FC1", "SEED_FC2", "NO", "NL"):
        assert derived not in g["parameters"]     # derived inside the RTL


def test_rtlgen_files_any_depth(tmp_path):
    """Depth 3: one weight file per FC layer, one B LUT per hidden layer (none without learning),
    every word in its memory's width; ids of spec §15 names for every memory."""
    cfg = tiny_depth(3)
    g = rtlgen.generate(cfg, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.hex")) == [
        "b01_lut.hex", "b02_lut.hex", "b03_lut.hex", "conv_kernel.hex", "fc01_w.hex", "fc02_w.hex",
        "fc03_w.hex", "fc04_w.hex", "sig_lut.hex"]
    depths, widths = rtlgen.mem_depths(cfg), rtlgen.mem_widths(cfg)
    for name, f in g["files"].items():
        words = f.read_text().split()
        assert len(words) == depths[name], name
        assert max(int(w, 16) for w in words) < 1 << widths[name], name
    p = rtlgen.top_parameters(cfg)
    assert p["NH"] == 3 and rtlgen.unpack(p["FC_N"], 4) == [12, 8, 6, 10]
    assert rtlgen.unpack(p["FC_YB"], 4)[3] == 0 and rtlgen.unpack(p["FC_AB"], 4)[1] == 20
    ids = rtlgen.mem_ids(cfg)
    assert set(ids) == set(rtlgen.mem_depths(cfg))
    assert len(set(ids.values())) == len(ids) and max(ids.values()) < 256
    assert ids["fc4_w"] == 8 and ids["fc4_out"] == 10 and ids["lfsr_fc4"] == 13
    assert ids["fc2_w"] == 16 and ids["b3_lut"] == 28 and ids["lfsr_fc3"] == 29
    assert rtlgen.mem_ids(Config.preset("tiny")) == rtlgen.MEM_IDS
    g0 = rtlgen.generate(cfg, tmp_path / "infer", learning=False)
    assert not [n for n in g0["files"] if n.endswith("_lut") and n != "sig_lut"]


def test_rtlgen_files_lanes(tmp_path):
    """Lanes, banks, ports (spec §16): the FC_LANES / FC_BANKS / FC_PORTS vectors, the weight
    files in the lane layout (P weights per word), one file per bank of a banked weight memory
    (word a in bank a mod B at row a div B, rows padded to ceil(words / B)), memory widths and
    depths of the lane layouts."""
    from hwmodel.engine.processor import Processor
    cfg = tiny_lanes()
    p = rtlgen.top_parameters(cfg)
    assert rtlgen.unpack(p["FC_LANES"], 2) == [5, 3]
    assert rtlgen.unpack(p["FC_BANKS"], 2) == [2, 1]
    assert rtlgen.unpack(p["FC_PORTS"], 2) == [1, 1]
    assert rtlgen.unpack(rtlgen.top_parameters(Config.preset("tiny"))["FC_PORTS"], 2) == [0, 0]
    proc = Processor.from_config(cfg)
    g = rtlgen.generate(cfg, tmp_path, proc=proc)
    n_in = cfg.n_in
    depths, widths = rtlgen.mem_depths(cfg), rtlgen.mem_widths(cfg)
    assert (depths["fc1_w"], widths["fc1_w"]) == ((n_in + 1) * 4, 5 * 8)       # G = 4 groups of 5
    assert (depths["fc1_acc"], widths["fc1_acc"]) == (4, 5 * 16)
    assert (depths["fc1_dact"], widths["fc1_dact"]) == (4, 5)
    assert (depths["lfsr_fc1"], depths["lfsr_fc2"]) == (5, 3)
    words = [int(w, 16) for w in (tmp_path / "fc01_w.hex").read_text().split()]
    assert words == proc.packed_words("fc1_w")
    banks = g["bank_files"]["fc1_w"]
    assert [b.name for b in banks] == ["fc01_w_b00.hex", "fc01_w_b01.hex"]
    rows = -(-len(words) // 2)
    for b, f in enumerate(banks):
        got = [int(w, 16) for w in f.read_text().split()]
        assert len(got) == rows
        assert got == [words[r * 2 + b] if r * 2 + b < len(words) else 0 for r in range(rows)]
    assert "fc2_w" not in g["bank_files"]                      # one bank: the logical file only
    # lane l of word i*G + g is the weight of input i to unit g*P + l; padding lanes are 0
    w = proc.memories()["fc1_w"]
    assert w.shape == ((n_in + 1) * 4, 5) and (w[3::4, 1:] == 0).all()


def test_rtl_ids_include_is_generated():
    """rtl/spoon_ids.vh holds exactly the ids and streams of hwmodel/spec/ids.py (regenerate it with
    ``python -m hwmodel.hw.rtlgen ids > rtl/spoon_ids.vh``), and spoon_top reads its numbers from
    there only: no 8'd literal id left beside the include."""
    from hwmodel.spec.ids import include_text
    assert (RTL / "spoon_ids.vh").read_text() == include_text()
    top = (RTL / "spoon_top.v").read_text()
    assert '`include "spoon_ids.vh"' in top
    assert not re.search(r"localparam \[7:0\]\s+ID_\w+\s*=\s*8'd\d+", top)


def test_waveforms_are_listed_at_the_end_of_a_pytest_run(monkeypatch, tmp_path):
    """WAVES=1: pytest captures the tests' "waveform: PATH" lines, so the run's summary lists every
    waveform the co-simulations dumped, with its size."""
    import conftest
    from sim import runner
    monkeypatch.setattr(runner, "WAVEFORMS", {str(tmp_path / "b" / "dump.fst"): 156_300_000,
                                              str(tmp_path / "a" / "dump.vcd"): 2_000})
    lines, sections = [], []

    class Reporter:
        def section(self, title):
            sections.append(title)

        def write_line(self, line):
            lines.append(line)
    conftest.pytest_terminal_summary(Reporter())
    assert sections == ["waveforms (WAVES=1)"]
    assert lines == [f"{tmp_path / 'a' / 'dump.vcd'} (0.0 MB)", f"{tmp_path / 'b' / 'dump.fst'} (156.3 MB)"]
    monkeypatch.setattr(runner, "WAVEFORMS", {})
    conftest.pytest_terminal_summary(Reporter())
    assert sections == ["waveforms (WAVES=1)"]     # nothing dumped: no section
