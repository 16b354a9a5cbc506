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
DEPTH = "tests/test_rtl_system.py::test_rtl_depth"
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
    rtl("ctrl_learn_phase_output", "controller", "the output layer's update not marked as a learning phase",
        "assign learn_phase = (state_q == ST_UPD);",
        "assign learn_phase = (state_q == ST_UPD) && !last;", [SYS]),
    rtl("ctrl_start_while_busy", "controller", "start_ready also during DONE",
        "assign start_ready = (state_q == ST_IDLE);",
        "assign start_ready = (state_q == ST_IDLE) || (state_q == ST_DONE);", [DIRECTED]),
    rtl("ctrl_skip_middle_updates", "controller",
        "only the first and the last FC layer run their update (hidden layers k >= 2 never learn)",
        "if (learn_q) state_q <= ST_UPD;",
        "if (learn_q && (layer_q == {LW{1'b0}} || last)) state_q <= ST_UPD;", [DEPTH]),
    Mutant("ctrl_updates_after_all_forwards", "controller",
           "every layer's update moved after the last layer's activation (forwards 1..K+1, then updates 1..K+1)",
           (("rtl/controller.v", "if (learn_q) state_q <= ST_UPD;\n                                else if (last) state_q <= ST_DONE;",
             "if (last) begin\n                                    layer_q <= {LW{1'b0}}; state_q <= learn_q ? ST_UPD : ST_DONE;\n                                end"),
            ("rtl/controller.v", "layer_q <= layer_q + 1'b1; state_q <= ST_FWD;\n                                end\n                            end\n                        endcase",
             "layer_q <= layer_q + 1'b1; state_q <= ST_UPD;\n                                end\n                            end\n                        endcase")),
           (SYS, DEPTH), "spec §15: layer k's update writes only fc{k}_w and lfsr_fc{k}; no later forward "
           "or activation reads them, and the inputs an update re-reads (conv_spk, fc{k-1}_act) and the "
           "errors (fc{K+1}_out) are not written after the layer's activation, so every value and "
           "counter (learn_phase marks the same update phases) is unchanged; only the cycles at which "
           "weights are written move"),
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
    # ---- fc_update (the one update datapath; drtp_update / out_update wrap it for the unit tests)
    rtl("update_wmax_off_by_one", "fc_update", "weights saturate at 2^(WB-1)-2 after an update",
        "localparam signed [SW-1:0] WMAX = (({{(SW-1){1'b0}}, 1'b1}) << (WB - 1)) - 1;",
        "localparam signed [SW-1:0] WMAX = (({{(SW-1){1'b0}}, 1'b1}) << (WB - 1)) - 2;", [UNITS]),
    rtl("update_sign", "fc_update", "updates ascend (u = +c*x)",
        "wire signed [IW-1:0] u    = -prod;", "wire signed [IW-1:0] u    = prod;", [UNITS]),
    # ---- fc_layer: shared by hidden and output layers ------------------------------------------
    rtl("fc_acc_min_off_by_one", "fc_layer", "accumulators saturate at -2^(AB-1)+1",
        "localparam signed [SUMW-1:0] AMIN = -(AMAX + 1);", "localparam signed [SUMW-1:0] AMIN = -(AMAX);",
        [EDGE]),
    rtl("fc_acc_max_off_by_one", "fc_layer", "accumulators saturate at 2^(AB-1)-2",
        "localparam signed [SUMW-1:0] AMAX = (({{(SUMW-1){1'b0}}, 1'b1}) << (AB - 1)) - 1;",
        "localparam signed [SUMW-1:0] AMAX = (({{(SUMW-1){1'b0}}, 1'b1}) << (AB - 1)) - 2;", [EDGE]),
    rtl("fc_clear_even_units", "fc_layer", "the clear phase zeroes every other accumulator",
        "assign acc_we    = s1_fwd | clr;", "assign acc_we    = s1_fwd | (clr && !j_q[0]);", [SYS]),
    rtl("fc_output_acc_no_clear", "fc_layer", "the output layer's accumulators not cleared between samples",
        "assign acc_we    = s1_fwd | clr;", "assign acc_we    = s1_fwd | (clr && OUTPUT == 0);", [SYS]),
    rtl("fc_update_saturated_units", "fc_layer", "DRTP also updates units with derivative 0",
        "((OUTPUT != 0) || dact_rdata);", "1'b1;", [EDGE]),
    rtl("fc_lfsr_steps_always", "fc_layer", "the layer's LFSR steps in every rounding mode",
        ".clk(clk), .rst(rst), .step(s2_u_q && RMODE == 2), .load(lfsr_load),",
        ".clk(clk), .rst(rst), .step(s2_u_q), .load(lfsr_load),", [EDGE]),
    rtl("fc_lfsr_steps_on_error_read", "fc_layer", "the output LFSR also steps on the error-read cycles",
        ".clk(clk), .rst(rst), .step(s2_u_q && RMODE == 2), .load(lfsr_load),",
        ".clk(clk), .rst(rst), .step((s2_u_q || (s1_v_q && s1_e_q)) && RMODE == 2), .load(lfsr_load),",
        [SYS]),
    rtl("fc_random_before_step", "fc_layer", "stochastic bits from the LFSR before its step",
        ".w(w_rdata), .c(c_j), .x(x_s2), .rnd(lfsr_next), .w_new(w_new));",
        ".w(w_rdata), .c(c_j), .x(x_s2), .rnd(lfsr_state), .w_new(w_new));", [SYS]),
    rtl("fc_b_even", "fc_layer", "B value 2r instead of 2r+1",
        "assign c_j        = {b_rdata[s2_j_q * BB +: BB], 1'b1};",
        "assign c_j        = {b_rdata[s2_j_q * BB +: BB], 1'b0};", [SYS]),
    rtl("fc_argmax_ties_high", "fc_layer", "argmax ties go to the highest index",
        "wire better = (s1_j_q == {JW{1'b0}}) || ($signed(acc_rdata) > $signed(bestv_q));",
        "wire better = (s1_j_q == {JW{1'b0}}) || ($signed(acc_rdata) >= $signed(bestv_q));", [EDGE]),
    rtl("fc_target_one_minus_one", "fc_layer", "target ONE-1 instead of ONE for the label",
        "localparam [OB:0] ONE = {1'b0, {OB{1'b1}}};",
        "localparam [OB:0] ONE = {1'b0, {OB{1'b1}}} - 1'b1;", [EDGE]),
    # ---- fc_layer: the dense multi-bit input path (layers k >= 2) and the update with x_i -------
    rtl("fc_dense_mac_unsigned", "fc_layer", "the forward product reads a multi-bit input as unsigned",
        "wire signed [PW-1:0]   prod   = {{XB{w_in[WB-1]}}, w_in} * {{WB{x_s1[XB-1]}}, x_s1};",
        "wire signed [PW-1:0]   prod   = {{XB{w_in[WB-1]}}, w_in} * {{WB{1'b0}}, x_s1};", [SYS]),
    rtl("fc_dense_input_addr", "fc_layer", "dense inputs read the activation of the previous input (i-1)",
        "((IN_BIN != 0) ? a_q[IAW-1:0] : i_q[IAW-1:0]);",
        "((IN_BIN != 0) ? a_q[IAW-1:0] : i_q[IAW-1:0] - {{(IAW-1){1'b0}}, |i_q});", [SYS]),
    rtl("fc_dense_bias_read", "fc_layer", "dense layers also read the activation memory for the bias input",
        "assign in_re    = (state_q == ST_XRD) && ((IN_BIN != 0) || !bias_q);",
        "assign in_re    = (state_q == ST_XRD);", [SYS]),
    rtl("fc_dense_no_reread", "fc_layer",
        "the update of a dense layer does not re-read its inputs (x_i = the last word read by the forward)",
        "assign in_re    = (state_q == ST_XRD) && ((IN_BIN != 0) || !bias_q);",
        "assign in_re    = (state_q == ST_XRD) && ((IN_BIN != 0) || (!bias_q && mode_q == M_FWD));", [SYS]),
    rtl("fc_dense_drtp_x_dropped", "fc_layer", "DRTP update of hidden layers k >= 2 is u = -b_j (x_i dropped)",
        ".w(w_rdata), .c(c_j), .x(x_s2), .rnd(lfsr_next), .w_new(w_new));",
        ".w(w_rdata), .c(c_j), .x((OUTPUT != 0 || IN_BIN != 0) ? x_s2 : {{(XB-1){1'b0}}, 1'b1}), "
        ".rnd(lfsr_next), .w_new(w_new));", [DEPTH]),
    # ---- spoon_top ------------------------------------------------------------------------------
    rtl("top_access_while_busy", "spoon_top", "access-port writes performed while busy",
        "wire h_wr = acc_en &&  acc_we && acc_ready;", "wire h_wr = acc_en &&  acc_we;", [DIRECTED]),
    rtl("top_lfsr_id", "spoon_top", "the first hidden layer's LFSR answers id 13 (the output layer's) instead of 12",
        "localparam [7:0] ID_L   = !HID ? 8'd13 : (g == 0) ? 8'd12 : IDB[7:0] + 8'd5;",
        "localparam [7:0] ID_L   = !HID ? 8'd13 : (g == 0) ? 8'd13 : IDB[7:0] + 8'd5;", [SYS]),
    rtl("top_id_deep_layers", "spoon_top", "ids of hidden layers k >= 2 spaced by 6 instead of 8",
        "localparam integer IDB  = 16 + 8 * (g - 1);", "localparam integer IDB  = 16 + 6 * (g - 1);", [DEPTH]),
    rtl("top_lfsr_counter", "spoon_top", "lfsr_step counter misses the output layer's steps",
        "if (lfsr_steps[li]) nsteps = nsteps + CNT_1;", "if (lfsr_steps[li] && li < NH) nsteps = nsteps + CNT_1;",
        [SYS]),
    rtl("top_seed_stream", "spoon_top", "the output layer's LFSR seeded from stream 7 instead of 6",
        "localparam integer STREAM = !HID ? 6 : (g == 0) ? 5 : 18 + 4 * (g + 1);",
        "localparam integer STREAM = !HID ? 7 : (g == 0) ? 5 : 18 + 4 * (g + 1);", [SYS]),
    rtl("top_seed_stream_deep", "spoon_top", "hidden layer k >= 2 seeded from stream 22 + 4k instead of 18 + 4k",
        "localparam integer STREAM = !HID ? 6 : (g == 0) ? 5 : 18 + 4 * (g + 1);",
        "localparam integer STREAM = !HID ? 6 : (g == 0) ? 5 : 18 + 4 * (g + 2);", [DEPTH]),
    rtl("top_dense_bias_value", "spoon_top", "bias input of layers k >= 2 is YMAX_{k-1} - 1",
        "localparam integer XMAX = (g == 0) ? 1 : (1 << (PYB - 1)) - 1;",
        "localparam integer XMAX = (g == 0) ? 1 : (1 << (PYB - 1)) - 2;", [SYS]),
    rtl("top_act_read_counter", "spoon_top", "reads of a hidden layer's activations not counted",
        "assign cs[CB+6] = xr_re[g+1];         // fc{k}_act reads by layer k+1",
        "assign cs[CB+6] = 1'b0;               // fc{k}_act reads by layer k+1", [SYS]),
    # ---- sram -----------------------------------------------------------------------------------
    rtl("sram_write_first", "sram", "read during a write of the same word returns the new word",
        "if (re) rdata <= mem[raddr];", "if (re) rdata <= (we && waddr == raddr) ? wdata : mem[raddr];",
        [SYS], equivalent="no engine reads and writes the same word in one cycle (docs/rtl.md, "
        "fc_layer header) and host accesses are either reads or writes"),
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

