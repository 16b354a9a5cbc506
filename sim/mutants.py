"""The mutation catalogue of ``python -m sim.mutate``: single-point bugs the default test suite
must kill. Extend it with every new block (a mutant per rule the block implements).

Each ``Mutant`` has an id, the module it lives in, a one-line description, its ``edits`` (file,
exact old text, new text; each old text must occur exactly once in its file), the ``first`` tests
to run (the rest of the default suite follows if they pass) and, for mutants that cannot change
any observable result, ``equivalent`` = the reason.

Model mutants change the kernel (hwmodel/arith.py, hwmodel/stack.py) and both plain references
(hwmodel/reference.py, and hwmodel/stack_reference.py where the rule is written there too)
together: the kernel-vs-reference tests cannot see them, only the spec/variant tests and the
co-simulation can.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    id: str
    module: str
    what: str
    edits: tuple[tuple[str, str, str], ...]
    first: tuple[str, ...] = ()
    equivalent: str | None = None


def rtl(id, file, what, old, new, first=(), equivalent=None):
    return Mutant(id, file, what, ((f"rtl/{file}.v", old, new),), tuple(first), equivalent)


SYS = "tests/test_rtl_system.py::test_rtl_tiny_learn_and_infer"
EDGE = "tests/test_rtl_edge.py"
DIRECTED = "tests/test_rtl_directed.py"
UNITS = "tests/test_rtl_units.py"
SPEC = ("tests/test_spec_examples.py", "tests/test_model_variants.py")

CATALOGUE: list[Mutant] = [
    # ---- conv_core ------------------------------------------------------------------------------
    rtl("conv_pot_max_off_by_one", "conv_core", "potential saturates at 2^(PB-1)-2",
        "localparam signed [PB+1:0] PMAX = (({{(PB+1){1'b0}}, 1'b1}) << (PB - 1)) - 1;",
        "localparam signed [PB+1:0] PMAX = (({{(PB+1){1'b0}}, 1'b1}) << (PB - 1)) - 2;", [EDGE]),
    rtl("conv_fire_strict", "conv_core", "fires at v > theta instead of v >= theta",
        "assign fire[co] = (sat >= THR);", "assign fire[co] = (sat > THR);", [SYS]),
    rtl("conv_clear_one_short", "conv_core", "clear phase stops one word early",
        "localparam integer NCLR1 = NCLR - 1, OO = O * O, QQ = Q * Q;",
        "localparam integer NCLR1 = NCLR - 2, OO = O * O, QQ = Q * Q;", [SYS]),
    rtl("conv_spk_write_always", "conv_core", "conv_spk written even when no bit is newly set",
        "assign spk_we     = (wr && (sp_new != spk_rdata)) | (cl && clr_q < QQ_C);",
        "assign spk_we     = wr | (cl && clr_q < QQ_C);", [SYS]),
    rtl("conv_kx_step", "conv_core", "next kernel column stepped by S-1",
        "ox_q <= ox_q + 1'b1; kx_q <= kx_q - S_K;",
        "ox_q <= ox_q + 1'b1; kx_q <= kx_q - S_K + 1'b1;", [SYS]),
    # ---- aer_in ---------------------------------------------------------------------------------
    rtl("aer_bound_x", "aer_in", "x = W accepted (bound check x > W)",
        "wire bad = !in_eos && (({1'b0, in_x} >= W_C) || ({1'b0, in_y} >= W_C));",
        "wire bad = !in_eos && (({1'b0, in_x} > W_C) || ({1'b0, in_y} >= W_C));", [DIRECTED]),
    rtl("aer_err_not_sticky", "aer_in", "ev_err follows the last word instead of staying set",
        "else if (acc && bad) err_q <= 1'b1;", "else if (acc) err_q <= bad;", [DIRECTED]),
    rtl("aer_open_between_samples", "aer_in", "port accepts words outside the event phase",
        "assign in_ready  = enable && !(full_q && out_eos) && (!full_q || out_ready);",
        "assign in_ready  = (!full_q || out_ready);", [DIRECTED]),
    # ---- controller -----------------------------------------------------------------------------
    rtl("ctrl_learn_phase_fc2", "controller", "FC2 update not marked as a learning phase",
        "assign learn_phase = (state_q == ST_FC1_UPD) || (state_q == ST_FC2_UPD);",
        "assign learn_phase = (state_q == ST_FC1_UPD);", [SYS]),
    rtl("ctrl_start_while_busy", "controller", "start_ready also during DONE",
        "assign start_ready = (state_q == ST_IDLE);",
        "assign start_ready = (state_q == ST_IDLE) || (state_q == ST_DONE);", [DIRECTED]),
    Mutant("ctrl_fc1_update_after_fc2", "controller",
           "FC1 update moved after the FC2 forward/sigmoid phases",
           (("rtl/controller.v", "ST_TANH:    state_q <= learn_q ? ST_FC1_UPD : ST_FC2_FWD;",
             "ST_TANH:    state_q <= ST_FC2_FWD;"),
            ("rtl/controller.v", "ST_FC1_UPD: state_q <= ST_FC2_FWD;",
             "ST_FC1_UPD: state_q <= ST_FC2_UPD;"),
            ("rtl/controller.v", "ST_SIGMOID: state_q <= learn_q ? ST_FC2_UPD : ST_DONE;",
             "ST_SIGMOID: state_q <= learn_q ? ST_FC1_UPD : ST_DONE;")),
           (SYS,), "spec §5: FC1's update touches only fc1_w and lfsr_fc1, which FC2's forward, "
           "sigmoid and update never read, so moving it changes no value and no counter (only "
           "the cycle at which fc1_w is written; cycles are not part of the spec yet)"),
    # ---- lfsr32 ---------------------------------------------------------------------------------
    rtl("lfsr_taps", "lfsr32", "feedback polynomial x^32+x^22+x^2+x+1 with an extra tap",
        "localparam [31:0] TAPS = 32'h80200003;", "localparam [31:0] TAPS = 32'h80200007;", [UNITS]),
    rtl("lfsr_zero_load", "lfsr32", "a written 0 is kept instead of replaced by 1",
        "else if (load) state_q <= (load_value == 32'd0) ? 32'd1 : load_value;",
        "else if (load) state_q <= load_value;", [UNITS]),
    # ---- round_shift ----------------------------------------------------------------------------
    rtl("round_nearest_ties_down", "round_shift", "round-to-nearest ties go down",
        "assign addend = {{(XW-1){1'b0}}, 1'b1} << (SHIFT - 1);",
        "assign addend = ({{(XW-1){1'b0}}, 1'b1} << (SHIFT - 1)) - 1'b1;", [UNITS]),
    rtl("round_stochastic_bias", "round_shift", "stochastic rounding with a +1 bias",
        "assign addend = {{(XW-RB){1'b0}}, r[RB-1:0]};",
        "assign addend = {{(XW-RB){1'b0}}, r[RB-1:0]} + 1'b1;", [UNITS]),
    # ---- tanh_unit ------------------------------------------------------------------------------
    rtl("tanh_window_neg_inclusive", "tanh_unit", "derivative window includes t = -YMAX",
        "wire                 lo   = (t <= NYMAX);", "wire                 lo   = (t < NYMAX);",
        [UNITS]),
    rtl("tanh_shift_logical", "tanh_unit", "hard-tanh shift is logical, not arithmetic",
        "wire signed [TW-1:0] t    = accx >>> AS;", "wire signed [TW-1:0] t    = accx >> AS;",
        [EDGE]),
    # ---- sigmoid_unit ---------------------------------------------------------------------------
    rtl("sigmoid_low_clamp", "sigmoid_unit", "LUT index clamps at -2^(L-1)+1",
        "localparam signed [TW-1:0] LO = -(HI + 1);", "localparam signed [TW-1:0] LO = -(HI);",
        [UNITS]),
    # ---- drtp_update ----------------------------------------------------------------------------
    rtl("drtp_b_even", "drtp_update", "B value 2r instead of 2r+1",
        "wire signed [IW-1:0] b = {r, 1'b1};", "wire signed [IW-1:0] b = {r, 1'b0};", [UNITS]),
    rtl("drtp_wmax_off_by_one", "drtp_update", "FC1 weight saturates at 2^(W1B-1)-2",
        "localparam signed [SW-1:0] WMAX = (({{(SW-1){1'b0}}, 1'b1}) << (W1B - 1)) - 1;",
        "localparam signed [SW-1:0] WMAX = (({{(SW-1){1'b0}}, 1'b1}) << (W1B - 1)) - 2;", [UNITS]),
    # ---- out_update -----------------------------------------------------------------------------
    rtl("out_update_sign", "out_update", "FC2 update ascends the error (u = +e*y)",
        "wire signed [IW-1:0] u = -prod;", "wire signed [IW-1:0] u = prod;", [UNITS]),
    # ---- fc1_core -------------------------------------------------------------------------------
    rtl("fc1_acc_min_off_by_one", "fc1_core", "FC1 accumulator saturates at -2^(A1B-1)+1",
        "localparam signed [A1B:0] AMIN = -(AMAX + 1);", "localparam signed [A1B:0] AMIN = -(AMAX);",
        [EDGE]),
    rtl("fc1_update_saturated_units", "fc1_core", "DRTP also updates units with derivative 0",
        "wire s1_upd  = s1_v_q && (mode_q == M_UPD) && dact_rdata;",
        "wire s1_upd  = s1_v_q && (mode_q == M_UPD);", [SYS]),
    rtl("fc1_lfsr_steps_always", "fc1_core", "lfsr_fc1 steps in every rounding mode",
        ".clk(clk), .rst(rst), .step(upd && RMODE == 2), .load(lfsr_load),",
        ".clk(clk), .rst(rst), .step(upd), .load(lfsr_load),", [EDGE]),
    rtl("fc1_random_before_step", "fc1_core", "stochastic bits from lfsr_fc1 before its step",
        ".w(w_rdata), .r(r_j), .rnd(lfsr_next), .w_new(w_new));",
        ".w(w_rdata), .r(r_j), .rnd(lfsr_state), .w_new(w_new));", [SYS]),
    rtl("fc1_clear_even_units", "fc1_core", "the clear phase zeroes every other accumulator",
        """                ST_CLEAR: begin
                    j_q <= j_q + 1'b1;""", """                ST_CLEAR: begin
                    j_q <= j_q + 2'd2;""", [SYS]),
    # ---- fc2_core -------------------------------------------------------------------------------
    rtl("fc2_argmax_ties_high", "fc2_core", "argmax ties go to the highest index",
        "wire better = (s1_o_q == {OW{1'b0}}) || ($signed(acc_rdata) > $signed(bestv_q));",
        "wire better = (s1_o_q == {OW{1'b0}}) || ($signed(acc_rdata) >= $signed(bestv_q));", [EDGE]),
    rtl("fc2_target_one_minus_one", "fc2_core", "target ONE-1 instead of ONE for the label",
        "localparam [OB:0] ONE = {1'b0, {OB{1'b1}}};",
        "localparam [OB:0] ONE = {1'b0, {OB{1'b1}}} - 1'b1;", [SYS]),
    rtl("fc2_acc_no_clear", "fc2_core", "FC2 accumulators not cleared between samples",
        "assign acc_we    = s1_fwd | clr;\n    assign acc_waddr = s1_fwd ? s1_o_q : (clr ? o_q : {OW{1'b0}});",
        "assign acc_we    = s1_fwd;\n    assign acc_waddr = s1_fwd ? s1_o_q : (clr ? o_q : {OW{1'b0}});",
        [SYS]),
    rtl("fc2_acc_max_off_by_one", "fc2_core", "FC2 accumulator saturates at 2^(A2B-1)-2",
        "localparam signed [A2B:0] AMAX = (({{A2B{1'b0}}, 1'b1}) << (A2B - 1)) - 1;",
        "localparam signed [A2B:0] AMAX = (({{A2B{1'b0}}, 1'b1}) << (A2B - 1)) - 2;", [EDGE]),
    rtl("fc2_lfsr_steps_on_error_read", "fc2_core", "lfsr_fc2 also steps on the error-read cycles",
        ".clk(clk), .rst(rst), .step(s1_upd && RMODE == 2), .load(lfsr_load),",
        ".clk(clk), .rst(rst), .step(s1_v_q && mode_q == M_UPD && RMODE == 2), .load(lfsr_load),",
        [SYS]),
    # ---- spoon_top ------------------------------------------------------------------------------
    rtl("top_access_while_busy", "spoon_top", "access-port writes performed while busy",
        "wire h_wr = acc_en &&  acc_we && acc_ready;", "wire h_wr = acc_en &&  acc_we;", [DIRECTED]),
    rtl("top_lfsr_read_mux", "spoon_top", "access port returns lfsr_fc2 for lfsr_fc1",
        "4'd12: acc_rdata[31:0]     = lfsr1_q;", "4'd12: acc_rdata[31:0]     = lfsr2_q;", [SYS]),
    rtl("top_lfsr_counter", "spoon_top", "lfsr_step counter misses lfsr_fc2's steps",
        "if (cs_lfsr1 | cs_lfsr2) begin", "if (cs_lfsr1) begin", [SYS]),
    rtl("top_seed_stream", "spoon_top", "lfsr_fc2 seeded from stream 7 instead of 6",
        "localparam [31:0]  SD6 = SEED * 32'h9E3779B1 + 32'd6 * 32'h7F4A7C15;",
        "localparam [31:0]  SD6 = SEED * 32'h9E3779B1 + 32'd7 * 32'h7F4A7C15;", [SYS]),
    # ---- sram -----------------------------------------------------------------------------------
    rtl("sram_write_first", "sram", "read during a write of the same word returns the new word",
        "if (re) rdata <= mem[raddr];", "if (re) rdata <= (we && waddr == raddr) ? wdata : mem[raddr];",
        [SYS], equivalent="no engine reads and writes the same word in one cycle (docs/rtl.md, "
        "fc1_core/fc2_core headers) and host accesses are either reads or writes"),
    rtl("sram_read_hold", "sram", "read data not held: zero in cycles without a read",
        "if (re) rdata <= mem[raddr];", "rdata <= re ? mem[raddr] : {WIDTH{1'b0}};", [SYS]),
    # ---- model arithmetic: kernel (arith.py / stack.py) and references changed together -------
    Mutant("model_random_before_step", "model", "stochastic bits from the LFSR state before its step",
           (("hwmodel/arith.py", "    lfsr = lfsr_step(lfsr)\n    return (u + (lfsr & ((1 << s) - 1))) >> s, lfsr",
             "    r = lfsr\n    lfsr = lfsr_step(lfsr)\n    return (u + (r & ((1 << s) - 1))) >> s, lfsr"),
            ("hwmodel/reference.py", "        lfsr = ref_lfsr_step(lfsr)\n        return (u + lfsr % 2 ** s) // 2 ** s, lfsr",
             "        r = lfsr\n        lfsr = ref_lfsr_step(lfsr)\n        return (u + r % 2 ** s) // 2 ** s, lfsr")),
           SPEC),
    Mutant("model_nearest_ties_down", "model", "round-to-nearest ties go down",
           (("hwmodel/arith.py", "        return (u + (1 << (s - 1))) >> s, lfsr",
             "        return (u + (1 << (s - 1)) - 1) >> s, lfsr"),
            ("hwmodel/reference.py", "        return (u + 2 ** (s - 1)) // 2 ** s, lfsr",
             "        return (u + 2 ** (s - 1) - 1) // 2 ** s, lfsr")), SPEC),
    Mutant("model_stochastic_bias", "model", "stochastic rounding with a +1 bias",
           (("hwmodel/arith.py", "    return (u + (lfsr & ((1 << s) - 1))) >> s, lfsr",
             "    return (u + (lfsr & ((1 << s) - 1)) + 1) >> s, lfsr"),
            ("hwmodel/reference.py", "        return (u + lfsr % 2 ** s) // 2 ** s, lfsr",
             "        return (u + lfsr % 2 ** s + 1) // 2 ** s, lfsr")), SPEC),
    Mutant("model_stochastic_mask", "model", "stochastic mask 2^s instead of 2^s - 1",
           (("hwmodel/arith.py", "    return (u + (lfsr & ((1 << s) - 1))) >> s, lfsr",
             "    return (u + (lfsr & (1 << s))) >> s, lfsr"),
            ("hwmodel/reference.py", "        return (u + lfsr % 2 ** s) // 2 ** s, lfsr",
             "        return (u + (lfsr & 2 ** s)) // 2 ** s, lfsr")), SPEC),
    Mutant("model_window_inclusive", "model", "derivative window -YMAX <= t <= YMAX",
           (("hwmodel/stack.py", "dk[j] = 1 if (t > -YMAX and t < YMAX) else 0",
             "dk[j] = 1 if (t >= -YMAX and t <= YMAX) else 0"),
            ("hwmodel/stack_reference.py", "mem[f\"{f}_dact\"][j] = 1 if -YMAX < t < YMAX else 0",
             "mem[f\"{f}_dact\"][j] = 1 if -YMAX <= t <= YMAX else 0"),
            ("hwmodel/reference.py", "st[\"dact1\"][j] = 1 if -YMAX < t < YMAX else 0",
             "st[\"dact1\"][j] = 1 if -YMAX <= t <= YMAX else 0")), SPEC),
    Mutant("model_target_one_minus_one", "model", "target ONE-1 for the label",
           (("hwmodel/stack.py", "err[o] = np.int64(out[o]) - (ONE if o == label else 0)",
             "err[o] = np.int64(out[o]) - (ONE - 1 if o == label else 0)"),
            ("hwmodel/stack_reference.py", "err.append(int(mem[f\"{f}_out\"][o]) - (ONE if o == label else 0))",
             "err.append(int(mem[f\"{f}_out\"][o]) - (ONE - 1 if o == label else 0))"),
            ("hwmodel/reference.py", "target = ONE if o == label else 0",
             "target = ONE - 1 if o == label else 0")), SPEC),
    Mutant("model_argmax_ties_high", "model", "argmax ties go to the highest index",
           (("hwmodel/stack.py", "if v > ak[best]:", "if v >= ak[best]:"),
            ("hwmodel/stack_reference.py", "if best is None or a > best:", "if best is None or a >= best:"),
            ("hwmodel/reference.py", "if best is None or a > best:", "if best is None or a >= best:")),
           SPEC),
    Mutant("model_tanh_shift_rounded", "model", "hard-tanh shift rounds instead of flooring",
           (("hwmodel/stack.py", "t = ak[j] >> AS", "t = (ak[j] + ((np.int64(1) << AS) >> 1)) >> AS"),
            ("hwmodel/stack_reference.py", "t = int(mem[f\"{f}_acc\"][j]) // 2 ** layer.act_shift",
             "t = (int(mem[f\"{f}_acc\"][j]) + 2 ** layer.act_shift // 2) // 2 ** layer.act_shift"),
            ("hwmodel/reference.py", "t = int(st[\"acc1\"][j]) // 2 ** AS",
             "t = (int(st[\"acc1\"][j]) + 2 ** AS // 2) // 2 ** AS")), SPEC),
    Mutant("model_sat_high_off_by_one", "model", "saturation at 2^(N-1)-2",
           (("hwmodel/arith.py", "    hi = (1 << (bits - 1)) - 1\n", "    hi = (1 << (bits - 1)) - 2\n"),
            ("hwmodel/reference.py", "    hi = 2 ** (bits - 1) - 1\n", "    hi = 2 ** (bits - 1) - 2\n")), SPEC),
    Mutant("model_lfsr_steps_every_mode", "model", "the rounding LFSR steps in every mode",
           (("hwmodel/arith.py", "    if mode == TRUNCATE:\n        return u >> s, lfsr",
             "    if mode == TRUNCATE:\n        return u >> s, lfsr_step(lfsr)"),
            ("hwmodel/reference.py", "    if mode == TRUNCATE:\n        return u // 2 ** s, lfsr",
             "    if mode == TRUNCATE:\n        return u // 2 ** s, ref_lfsr_step(lfsr)")), SPEC),
    Mutant("model_fc1_update_saturated", "model", "DRTP also updates saturated units",
           (("hwmodel/stack.py", "                    if dk[j]:\n                        jl[nd] = j",
             "                    if True:\n                        jl[nd] = j"),
            ("hwmodel/stack_reference.py", "                        if mem[f\"{f}_dact\"][j] != 1:\n                            continue",
             "                        if False:\n                            continue"),
            ("hwmodel/reference.py", "                if st[\"dact1\"][j] != 1:\n                    continue",
             "                if False:\n                    continue")), SPEC),
    # ---- the layer stack (spec §15): rules only layers k >= 2 have ------------------------------
    Mutant("model_deep_bias_input", "model", "bias input of layers k >= 2 is YMAX_{k-1} - 1",
           (("hwmodel/stack.py", "row[L_XMAX] = 1 if k == 1 else cfg.hidden[r - 1].ymax",
             "row[L_XMAX] = 1 if k == 1 else cfg.hidden[r - 1].ymax - 1"),
            ("hwmodel/stack_reference.py", "xs.append((inputs_of(k), 2 ** (hid[k - 2].yb - 1) - 1))",
             "xs.append((inputs_of(k), 2 ** (hid[k - 2].yb - 1) - 2))"),
            ("hwmodel/reference.py", "    ys.append(YMAX)\n", "    ys.append(YMAX - 1)\n"),
            ("hwmodel/reference.py", "        ys_l.append(YMAX)\n", "        ys_l.append(YMAX - 1)\n")),
           ("tests/test_stack.py",) + SPEC),
    Mutant("model_deep_update_ignores_x", "model", "DRTP update of layers k >= 2 is u = -b_j (x_i dropped)",
           (("hwmodel/stack.py", "round_shift(ub[q] * x, LR, MODE, s)", "round_shift(ub[q], LR, MODE, s)"),
            ("hwmodel/stack_reference.py", "u = -brow[j] * x", "u = -brow[j]")), ("tests/test_stack.py",)),
]

