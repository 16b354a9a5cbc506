// fc_layer: one FC layer of the stack (docs/spec.md §7-§9, §15, §16), the same module for every
// hidden layer and for the output layer; clear, forward, activation and (LEARNING = 1) update
// are sequenced here. The roles differ only where the spec says so:
//
//   input side   IN_BIN = 1: binary inputs, the spike-map scan of §7 (layer 1): for a in
//                0..QQ-1 one conv_spk read, then for co in 0..C-1 (one cycle each) the bit of
//                the held word is tested; a set bit makes input i = a*C + co active with x = 1;
//                after the scan the bias i = NI with x = 1.
//                IN_BIN = 0: dense multi-bit inputs (layers k >= 2): for i in 0..NI-1 one read
//                of the previous layer's activation memory (x_i = its word, sXB), then the bias
//                i = NI with x = XMAX (YMAX of the previous layer; no read).
//   activation   OUTPUT = 0: hard-tanh (tanh_unit): fc{k}_act, fc{k}_dact writes.
//                OUTPUT = 1: sigmoid LUT index (sigmoid_unit), sig_lut read, fc{k}_out write,
//                argmax (ties to the lowest index) into pred_q, outputs into res_out_q.
//   update       OUTPUT = 0 (DRTP): the B row b_lut[label] is read once (PRE), then over the
//                forward's inputs i, for each group g: fc{k}_dact word g read; if any bit is 1
//                (an active word), w word read and written, the lanes with dact = 1 updated
//                with c = b_j = 2r+1, the others written back unchanged.
//                OUTPUT = 1 (own error): fc{k}_out[o] read once per o (PRE) into the error
//                registers e_o = out - (o == label ? ONE : 0), then over the forward's inputs,
//                for each group: w word read and written, every real lane updated with c = e_j.
//                Both: w = sat_WB(w + R(-c*x_i, LR)) in one fc_update per lane; lane l's own
//                LFSR steps once per update of lane l in stochastic mode.
//
// Lanes (spec §16): P units per cycle. Unit j is lane l = j mod P of group g = j div P; G =
// ceil(N / P) groups; the lanes of a partial last group with g*P + l >= N are padding lanes
// (weights, accumulators and derivative bits 0: the host loads them 0 and no engine writes a
// non-zero value into them, so a padding lane's forward adds 0; the output update masks them).
// fc{k}_w word i*G + g and fc{k}_acc word g hold the P lanes of group g (lane l at bits
// [l*WB, (l+1)*WB) / [l*AB, (l+1)*AB)), fc{k}_dact word g bit l the lane's derivative.
//
// Per input, the group loop g = 0..G-1 issues one operation per cycle (state OPS) into explicit
// pipeline stages (one word of P lanes per operation; each stage keeps its own valid, index and
// address registers):
//   forward : issue  fc{k}_w[i*G+g] and fc{k}_acc[g] reads (x_i registered)
//             s1     fc{k}_acc[g] lane l = sat_AB(acc_l + w_l*x_i)   (exact product, WB+XB bits)
//   update  : issue  (hidden) fc{k}_dact[g] read
//             s1     if the word is active (output: always): fc{k}_w[i*G+g] read
//             s2     fc{k}_w[i*G+g] = per lane fc_update(w_l, c_j, x_i) or w_l (write); the
//                    updated lanes' LFSRs step
//   act     : one unit per cycle (j = 0..N-1, lane l of group g):
//             issue  fc{k}_acc[g] read at lane 0 only (the later lanes use the held read data)
//             s1     hidden: act write (unit j), the dact bit collected, dact word g written at
//                    the group's last lane; output: sig_lut read + argmax
//             s2     output: fc{k}_out[o] write, res_out field o
// With WSLOT = 1 (fc{k}_w is one bank of single-port "1rw" macros) the update spends one
// write-slot cycle between two groups of the same input: the write of group g (s2) and the
// read of group g+1 (s1) would otherwise need the one port in the same cycle (spec §16).
// A read of fc{k}_acc[g] never meets the write of the same word in flight: the writes of one
// input's pass end one cycle after its last issue, and the sequencer spends at least one cycle
// (XBIT / XRD) between two inputs, so even with G = 1 the next read sees the written word. No
// weight word is read and written in the same cycle (each (i, g) is visited once per pass).
// The B row is used from the held read data of the B LUT (no other read of it during the
// update); the input word (spike word or activation) likewise from its memory's held output.
module fc_layer #(
    parameter integer OUTPUT   = 0,          // 0 hidden layer, 1 output layer
    parameter integer IN_BIN   = 1,          // 1 binary spike-map inputs, 0 dense activations
    parameter integer LEARNING = 1,
    parameter integer RMODE    = 2,
    parameter [31:0]  SEED     = 32'd1,      // lane 0's LFSR reset value (spec §3, §15)
    parameter integer N        = 128,        // units
    parameter integer P        = 1,          // lanes (units per cycle), 1..N
    parameter integer WSLOT    = 0,          // 1: a write slot between groups in update passes
    parameter integer WB       = 8,          // weight bits
    parameter integer AB       = 16,         // accumulator bits
    parameter integer LR       = 3,          // learning-rate shift
    parameter integer NI       = 1152,       // inputs without the bias
    parameter integer C        = 8,          // binary: spike bits per conv_spk word
    parameter integer XB       = 2,          // input value bits (binary: 2, x = 1)
    parameter integer XMAX     = 1,          // bias input value (binary: 1)
    parameter integer YB       = 8,          // hidden: activation bits
    parameter integer AS       = 0,          // hidden: hard-tanh input shift
    parameter integer BB       = 2,          // hidden: B entry bits
    parameter integer SS       = 11,         // output: sigmoid input shift
    parameter integer L        = 6,          // output: sigmoid LUT index bits
    parameter integer OB       = 8,          // output: sigmoid output bits
    parameter integer IAW      = 8,          // input memory address bits
    parameter integer IDW      = 8,          // input memory word bits (binary: C, dense: XB)
    parameter integer WAW      = 17,         // fc{k}_w address bits
    parameter integer JW       = 7,          // unit index bits
    parameter integer GW       = 7,          // group index bits (fc{k}_acc / fc{k}_dact address)
    parameter integer LAW      = 1,          // lane index bits (lfsr_fc{k} address)
    parameter integer LBW      = 4           // label bits
) (
    input  wire                 clk,
    input  wire                 rst,
    // ---- controller -------------------------------------------------------------------------
    input  wire                 go_clear,
    input  wire                 go_fwd,
    input  wire                 go_act,
    input  wire                 go_upd,
    input  wire [LBW-1:0]       label,
    output wire                 busy,
    // ---- input memory (conv_spk or fc{k-1}_act), read ------------------------------------------
    output wire                 in_re,
    output wire [IAW-1:0]       in_raddr,
    input  wire [IDW-1:0]       in_rdata,
    // ---- fc{k}_w (P lanes per word) --------------------------------------------------------------
    output wire                 w_re,
    output wire [WAW-1:0]       w_raddr,
    input  wire [P*WB-1:0]      w_rdata,
    output wire                 w_we,
    output wire [WAW-1:0]       w_waddr,
    output wire [P*WB-1:0]      w_wdata,
    // ---- fc{k}_acc (P lanes per word) ------------------------------------------------------------
    output wire                 acc_re,
    output wire [GW-1:0]        acc_raddr,
    input  wire [P*AB-1:0]      acc_rdata,
    output wire                 acc_we,
    output wire [GW-1:0]        acc_waddr,
    output wire [P*AB-1:0]      acc_wdata,
    // ---- hidden: fc{k}_act (write, one unit per word), fc{k}_dact (P bits), B LUT (read) -----
    output wire                 act_we,
    output wire [JW-1:0]        act_waddr,
    output wire [YB-1:0]        act_wdata,
    output wire                 dact_re,
    output wire [GW-1:0]        dact_raddr,
    input  wire [P-1:0]         dact_rdata,
    output wire                 dact_we,
    output wire [GW-1:0]        dact_waddr,
    output wire [P-1:0]         dact_wdata,
    output wire                 b_re,
    output wire [LBW-1:0]       b_raddr,
    input  wire [N*BB-1:0]      b_rdata,
    // ---- output: sig_lut (read), fc{k}_out, result ---------------------------------------------
    output wire                 lut_re,
    output wire [L-1:0]         lut_raddr,
    input  wire [OB-1:0]        lut_rdata,
    output wire                 out_re,
    output wire [JW-1:0]        out_raddr,
    input  wire [OB-1:0]        out_rdata,
    output wire                 out_we,
    output wire [JW-1:0]        out_waddr,
    output wire [OB-1:0]        out_wdata,
    output wire [JW-1:0]        pred,
    output wire [N*OB-1:0]      res_out,
    // ---- the layer's lane LFSRs (host access port: address = lane) -----------------------------
    input  wire                 lfsr_load,
    input  wire [LAW-1:0]       lfsr_addr,
    input  wire [31:0]          lfsr_load_value,
    output wire [32*P-1:0]      lfsr_state,
    // ---- access counters (simulation): increments of this cycle -------------------------------
    output wire [15:0]          cnt_op,       // adds (binary) / multiply-accumulates (dense): real lanes
    output wire                 cnt_act,      // hidden: one hard-tanh
    output wire [15:0]          cnt_upd,      // weight updates: updated lanes
    output wire [15:0]          cnt_lfsr      // LFSR steps: updated lanes in stochastic mode
);
    localparam [3:0] ST_IDLE = 4'd0, ST_CLEAR = 4'd1, ST_PRE = 4'd2, ST_XRD = 4'd3,
                     ST_XBIT = 4'd4, ST_OPS = 4'd5, ST_ACT = 4'd6, ST_DRAIN = 4'd7;
    localparam [1:0] M_FWD = 2'd0, M_UPD = 2'd1, M_ACT = 2'd2;
    localparam integer G    = (N + P - 1) / P;                 // groups (words per input row)
    localparam integer NLST = N - (G - 1) * P;                 // real lanes of the last group
    localparam integer QQ   = (IN_BIN != 0) ? NI / C : 1;      // spike-map words
    localparam integer CBW  = (C > 1) ? $clog2(C + 1) : 1;
    localparam integer IIW  = $clog2(NI + 1) + 1;              // dense input index 0..NI
    localparam integer NM1  = N - 1, GM1 = G - 1, PM1 = P - 1, QQM1 = QQ - 1;
    localparam [JW-1:0]  J_LAST = NM1[JW-1:0];
    localparam [GW-1:0]  G_LAST = GM1[GW-1:0];
    localparam [LAW-1:0] L_LAST = PM1[LAW-1:0];
    localparam [IAW:0]   A_LAST = QQM1[IAW:0];
    localparam [CBW-1:0] CO_END = C[CBW-1:0];
    localparam [IIW-1:0] I_BIAS = NI[IIW-1:0];
    localparam [WAW-1:0] G_W    = G[WAW-1:0];
    localparam [XB-1:0]  X_BIAS = XMAX[XB-1:0];
    localparam [15:0]    P_16   = P[15:0];
    localparam [15:0]    NL_16  = NLST[15:0];
    localparam [P-1:0]   ONES   = {P{1'b1}};
    localparam [P-1:0]   M_LAST = ONES >> (P - NLST);          // real lanes of the last group
    localparam integer PW   = WB + XB;                         // exact product width
    localparam integer SUMW = ((AB > PW) ? AB : PW) + 1;
    localparam signed [SUMW-1:0] AMAX = (({{(SUMW-1){1'b0}}, 1'b1}) << (AB - 1)) - 1;
    localparam signed [SUMW-1:0] AMIN = -(AMAX + 1);

    reg  [3:0]      state_q;
    reg  [1:0]      mode_q;
    reg  [JW-1:0]   j_q;                     // unit (PRE, ACT)
    reg  [GW-1:0]   g_q;                     // group (CLEAR, OPS, ACT)
    reg  [LAW-1:0]  l_q;                     // lane of unit j_q (ACT)
    reg             slot_q;                  // OPS: this cycle is a write slot (no issue)
    reg  [WAW-1:0]  base_q;                  // i*G: the word of group 0 of the current input
    reg             bias_q;
    reg  [IAW:0]    a_q;                     // binary: spike-map word
    reg  [CBW-1:0]  co_q;                    // binary: bit of the word
    reg  [IIW-1:0]  i_q;                     // dense: input index
    // pipeline stage 1 and 2 (valid, unit / group / lane index, weight address)
    reg             s1_v_q, s1_e_q, s1_last_q;
    reg  [JW-1:0]   s1_j_q;
    reg  [GW-1:0]   s1_g_q;
    reg  [LAW-1:0]  s1_l_q;
    reg  [WAW-1:0]  s1_a_q;
    reg             s2_u_q, s2_s_q;
    reg  [JW-1:0]   s2_j_q;
    reg  [GW-1:0]   s2_g_q;
    reg  [P-1:0]    s2_en_q;                 // update: the lanes written with a new value
    reg  [WAW-1:0]  s2_a_q;

    wire [C-1:0]  spk_sh  = in_rdata[C-1:0] >> co_q;          // binary: bit co of the held word
    wire          bit_on  = spk_sh[0];
    wire          last_j  = (j_q == J_LAST);
    wire          last_g  = (g_q == G_LAST);
    wire          last_l  = (l_q == L_LAST);
    wire          pre_end = (OUTPUT == 0) || last_j;          // hidden: one B read; output: N
    wire          pipe_empty = !s1_v_q && !s2_u_q && !s2_s_q;

    assign busy = (state_q != ST_IDLE);

    always @(posedge clk) begin
        if (rst) begin
            state_q <= ST_IDLE; mode_q <= M_FWD; j_q <= {JW{1'b0}}; g_q <= {GW{1'b0}};
            l_q <= {LAW{1'b0}}; slot_q <= 1'b0; base_q <= {WAW{1'b0}}; bias_q <= 1'b0;
            a_q <= {(IAW+1){1'b0}}; co_q <= {CBW{1'b0}}; i_q <= {IIW{1'b0}};
        end else begin
            case (state_q)
                ST_IDLE: begin
                    j_q <= {JW{1'b0}}; g_q <= {GW{1'b0}}; l_q <= {LAW{1'b0}}; slot_q <= 1'b0;
                    base_q <= {WAW{1'b0}}; bias_q <= 1'b0;
                    a_q <= {(IAW+1){1'b0}}; co_q <= {CBW{1'b0}}; i_q <= {IIW{1'b0}};
                    if (go_clear)     state_q <= ST_CLEAR;
                    else if (go_fwd)  begin state_q <= ST_XRD; mode_q <= M_FWD; end
                    else if (go_act)  begin state_q <= ST_ACT; mode_q <= M_ACT; end
                    else if (go_upd && LEARNING != 0) begin state_q <= ST_PRE; mode_q <= M_UPD; end
                end
                ST_CLEAR: begin                     // one accumulator word (group) per cycle
                    g_q <= g_q + 1'b1;
                    if (last_g) state_q <= ST_IDLE;
                end
                ST_PRE: begin
                    j_q <= pre_end ? {JW{1'b0}} : j_q + 1'b1;
                    if (pre_end) state_q <= ST_XRD;
                end
                ST_XRD: begin
                    co_q <= {CBW{1'b0}};
                    state_q <= (IN_BIN != 0) ? ST_XBIT : ST_OPS;
                end
                ST_XBIT: begin                      // binary inputs only
                    if (co_q == CO_END) begin
                        if (a_q == A_LAST) begin
                            bias_q <= 1'b1; g_q <= {GW{1'b0}}; state_q <= ST_OPS;
                        end else begin
                            a_q <= a_q + 1'b1; state_q <= ST_XRD;
                        end
                    end else if (bit_on) begin
                        g_q <= {GW{1'b0}}; state_q <= ST_OPS;
                    end else begin
                        co_q <= co_q + 1'b1; base_q <= base_q + G_W;
                    end
                end
                ST_OPS: begin
                    if (slot_q) slot_q <= 1'b0;     // the write slot: nothing issued
                    else if (last_g) begin
                        g_q <= {GW{1'b0}};
                        base_q <= base_q + G_W;
                        if (bias_q) state_q <= ST_DRAIN;
                        else if (IN_BIN != 0) begin
                            co_q <= co_q + 1'b1; state_q <= ST_XBIT;
                        end else begin
                            i_q <= i_q + 1'b1; bias_q <= (i_q + 1'b1 == I_BIAS); state_q <= ST_XRD;
                        end
                    end else begin
                        g_q <= g_q + 1'b1;
                        slot_q <= (WSLOT != 0) && (mode_q == M_UPD);
                    end
                end
                ST_ACT: begin                       // one unit per cycle, lane by lane
                    j_q <= j_q + 1'b1;
                    l_q <= last_l ? {LAW{1'b0}} : l_q + 1'b1;
                    if (last_l) g_q <= g_q + 1'b1;
                    if (last_j) state_q <= ST_DRAIN;
                end
                default: begin                      // ST_DRAIN
                    if (pipe_empty) state_q <= ST_IDLE;
                end
            endcase
        end
    end

    // ---- issue stage ----------------------------------------------------------------------------
    wire [WAW-1:0] wa      = base_q + {{(WAW-GW){1'b0}}, g_q};
    wire           iss_ops = (state_q == ST_OPS) && !slot_q;
    wire           iss_fwd = iss_ops && (mode_q == M_FWD);
    wire           iss_upd = iss_ops && (mode_q == M_UPD);
    wire           iss_act = (state_q == ST_ACT);
    wire           iss_err = (state_q == ST_PRE) && (OUTPUT != 0);

    // the input read: binary one spike word per XRD; dense one activation per XRD (not the bias)
    assign in_re    = (state_q == ST_XRD) && ((IN_BIN != 0) || !bias_q);
    assign in_raddr = !in_re ? {IAW{1'b0}} : ((IN_BIN != 0) ? a_q[IAW-1:0] : i_q[IAW-1:0]);

    always @(posedge clk) begin
        if (rst) begin
            s1_v_q <= 1'b0; s1_e_q <= 1'b0; s1_last_q <= 1'b0; s1_j_q <= {JW{1'b0}};
            s1_g_q <= {GW{1'b0}}; s1_l_q <= {LAW{1'b0}}; s1_a_q <= {WAW{1'b0}};
        end else begin
            s1_v_q <= iss_ops | iss_act | iss_err;
            s1_e_q <= iss_err;
            s1_last_q <= last_l || last_j;          // act: the group's last unit
            s1_j_q <= j_q;
            s1_g_q <= g_q;
            s1_l_q <= l_q;
            s1_a_q <= wa;
        end
    end
    wire s1_fwd = s1_v_q && (mode_q == M_FWD);
    wire s1_act = s1_v_q && (mode_q == M_ACT);
    wire [P-1:0] s1_real = (s1_g_q == G_LAST) ? M_LAST : ONES;   // the real lanes of the group

    // ---- input value x_i of the issued operation and of the update's stage 2 ---------------------
    wire signed [XB-1:0] x_s1, x_s2;
    generate
        if (IN_BIN != 0) begin : g_xbin
            localparam [XB-1:0] X_ONE = {{(XB-1){1'b0}}, 1'b1};
            assign x_s1 = X_ONE;
            assign x_s2 = X_ONE;
            wire unused_x = &{1'b0, i_q};
        end else begin : g_xdense
            reg [XB-1:0] s1_x_q, s2_x_q;
            always @(posedge clk) begin
                if (rst) begin
                    s1_x_q <= {XB{1'b0}}; s2_x_q <= {XB{1'b0}};
                end else begin
                    s1_x_q <= bias_q ? X_BIAS : in_rdata[XB-1:0];
                    s2_x_q <= s1_x_q;
                end
            end
            assign x_s1 = s1_x_q;
            assign x_s2 = s2_x_q;
            wire unused_x = &{1'b0, a_q, spk_sh, bit_on};
        end
    endgenerate

    // ---- forward: per lane exact product, saturating accumulate ------------------------------------
    // (a padding lane adds its weight 0 to its accumulator 0: it stays 0 without a mask)
    wire [P*AB-1:0] fwd_sum;
    genvar ln;
    generate
        for (ln = 0; ln < P; ln = ln + 1) begin : g_fwd
            wire signed [WB-1:0]   w_in   = w_rdata[ln*WB +: WB];
            wire signed [PW-1:0]   prod   = {{XB{w_in[WB-1]}}, w_in} * {{WB{x_s1[XB-1]}}, x_s1};
            wire signed [AB-1:0]   acc_in = acc_rdata[ln*AB +: AB];
            wire signed [SUMW-1:0] sum    = {{(SUMW-AB){acc_in[AB-1]}}, acc_in} + {{(SUMW-PW){prod[PW-1]}}, prod};
            wire signed [SUMW-1:0] sum_s  = (sum > AMAX) ? AMAX : ((sum < AMIN) ? AMIN : sum);
            assign fwd_sum[ln*AB +: AB] = sum_s[AB-1:0];
            wire unused_sum = &{1'b0, sum_s[SUMW-1:AB]};
        end
    endgenerate
    wire clr = (state_q == ST_CLEAR);

    assign acc_re    = iss_fwd | (iss_act && l_q == {LAW{1'b0}});   // act: once per group
    assign acc_raddr = acc_re ? g_q : {GW{1'b0}};
    assign acc_we    = s1_fwd | clr;
    assign acc_waddr = s1_fwd ? s1_g_q : (clr ? g_q : {GW{1'b0}});
    assign acc_wdata = s1_fwd ? fwd_sum : {(P*AB){1'b0}};
    assign cnt_op    = !s1_fwd ? 16'd0 : (s1_g_q == G_LAST) ? NL_16 : P_16;

    // the accumulator of the unit in s1 of the activation pass: lane s1_l of the held word
    wire [AB-1:0] acc_l;
    generate
        if (P == 1) begin : g_acc1
            assign acc_l = acc_rdata;
            wire unused_l = &{1'b0, s1_l_q};
        end else begin : g_accp
            assign acc_l = acc_rdata[s1_l_q * AB +: AB];
        end
    endgenerate
    wire unused_sh = &{1'b0, spk_sh};

    // ---- activation ---------------------------------------------------------------------------------
    generate
        if (OUTPUT == 0) begin : g_tanh
            wire signed [YB-1:0] t_act;
            wire                 t_dact;
            reg  [P-1:0]         dbits_q;           // the group's derivative bits so far
            tanh_unit #(.A1B(AB), .YB(YB), .AS(AS)) u_tanh (.acc(acc_l), .act(t_act), .dact(t_dact));
            // the group's dact word: the earlier lanes' bits and this lane's (later lanes 0)
            wire [P:0]   d_lane = {{P{1'b0}}, t_dact} << s1_l_q;
            wire [P-1:0] dword  = ((s1_l_q == {LAW{1'b0}}) ? {P{1'b0}} : dbits_q) | d_lane[P-1:0];
            always @(posedge clk) begin
                if (rst)         dbits_q <= {P{1'b0}};
                else if (s1_act) dbits_q <= dword;
            end
            assign act_we     = s1_act;
            assign act_waddr  = s1_act ? s1_j_q : {JW{1'b0}};
            assign act_wdata  = s1_act ? t_act : {YB{1'b0}};
            assign dact_we    = s1_act && s1_last_q;
            assign dact_waddr = dact_we ? s1_g_q : {GW{1'b0}};
            assign dact_wdata = dact_we ? dword : {P{1'b0}};
            assign cnt_act    = s1_act;
            assign lut_re     = 1'b0;
            assign lut_raddr  = {L{1'b0}};
            assign out_we     = 1'b0;
            assign out_waddr  = {JW{1'b0}};
            assign out_wdata  = {OB{1'b0}};
            assign pred       = {JW{1'b0}};
            assign res_out    = {(N*OB){1'b0}};
            always @(posedge clk) s2_s_q <= 1'b0;
            wire unused_out = &{1'b0, lut_rdata, d_lane[P]};
        end else begin : g_sigmoid
            reg  [JW-1:0]   best_q, pred_q;
            reg  [AB-1:0]   bestv_q;
            reg  [N*OB-1:0] res_q;
            wire [L-1:0]    sig_addr;
            sigmoid_unit #(.A2B(AB), .SS(SS), .L(L)) u_sig (.acc(acc_l), .addr(sig_addr));
            // argmax on the potentials, ties to the lowest index
            wire better = (s1_j_q == {JW{1'b0}}) || ($signed(acc_l) > $signed(bestv_q));
            always @(posedge clk) begin
                if (rst) begin
                    s2_s_q <= 1'b0; best_q <= {JW{1'b0}}; bestv_q <= {AB{1'b0}};
                    pred_q <= {JW{1'b0}}; res_q <= {(N*OB){1'b0}};
                end else begin
                    s2_s_q <= s1_act;
                    if (s1_act && better) begin
                        best_q <= s1_j_q; bestv_q <= acc_l;
                    end
                    if (s1_act && s1_j_q == J_LAST) pred_q <= better ? s1_j_q : best_q;
                    if (s2_s_q) res_q[s2_j_q * OB +: OB] <= lut_rdata;
                end
            end
            assign lut_re     = s1_act;
            assign lut_raddr  = s1_act ? sig_addr : {L{1'b0}};
            assign out_we     = s2_s_q;
            assign out_waddr  = s2_s_q ? s2_j_q : {JW{1'b0}};
            assign out_wdata  = s2_s_q ? lut_rdata : {OB{1'b0}};
            assign pred       = pred_q;
            assign res_out    = res_q;
            assign act_we     = 1'b0;
            assign act_waddr  = {JW{1'b0}};
            assign act_wdata  = {YB{1'b0}};
            assign dact_we    = 1'b0;
            assign dact_waddr = {GW{1'b0}};
            assign dact_wdata = {P{1'b0}};
            assign cnt_act    = 1'b0;
            wire unused_last = &{1'b0, s1_last_q};
        end
    endgenerate

    // ---- update (learning hardware) ---------------------------------------------------------------
    generate
        if (LEARNING != 0) begin : g_learn
            localparam integer CW = (OUTPUT != 0) ? OB + 1 : BB + 1;
            // the lanes of the group in s1 that the update writes with a new value: hidden the
            // dact word's bits (padding bits are 0), output every real lane
            wire [P-1:0]    s1_en  = (OUTPUT != 0) ? s1_real : dact_rdata;
            wire            s1_upd = s1_v_q && (mode_q == M_UPD) && !s1_e_q && (|s1_en);
            wire [P*CW-1:0] c_grp;                  // the group's coefficients c_j, lane by lane
            wire [P*WB-1:0] w_upd;
            reg  [15:0]     n_upd;
            integer         q;

            always @(posedge clk) begin
                if (rst) begin
                    s2_u_q <= 1'b0; s2_j_q <= {JW{1'b0}}; s2_g_q <= {GW{1'b0}};
                    s2_en_q <= {P{1'b0}}; s2_a_q <= {WAW{1'b0}};
                end else begin
                    s2_u_q  <= s1_upd;
                    s2_j_q  <= s1_j_q;
                    s2_g_q  <= s1_g_q;
                    s2_en_q <= s1_upd ? s1_en : {P{1'b0}};
                    s2_a_q  <= s1_upd ? s1_a_q : {WAW{1'b0}};
                end
            end

            if (OUTPUT != 0) begin : g_err
                // e_o = fc{k}_out[o] - (o == label ? ONE : 0), s(OB+1), read once per o
                localparam [OB:0] ONE = {1'b0, {OB{1'b1}}};
                reg  [N*(OB+1)-1:0]   err_q;
                wire [G*P*(OB+1)-1:0] err_pad;      // padding lanes' entries 0
                wire                  s1_err = s1_v_q && s1_e_q;
                wire signed [OB:0]    e_new  = {1'b0, out_rdata} -
                                               ((s1_j_q == label[JW-1:0]) ? ONE : {(OB+1){1'b0}});
                always @(posedge clk) begin
                    if (rst) err_q <= {(N*(OB+1)){1'b0}};
                    else if (s1_err) err_q[s1_j_q * (OB+1) +: (OB+1)] <= e_new;
                end
                if (G * P > N) begin : g_pad
                    assign err_pad = {{((G*P-N)*(OB+1)){1'b0}}, err_q};
                end else begin : g_nopad
                    assign err_pad = err_q;
                end
                assign c_grp      = err_pad[s2_g_q * (P*(OB+1)) +: P*(OB+1)];
                assign out_re     = iss_err;
                assign out_raddr  = iss_err ? j_q : {JW{1'b0}};
                assign b_re       = 1'b0;
                assign b_raddr    = {LBW{1'b0}};
                assign dact_re    = 1'b0;
                assign dact_raddr = {GW{1'b0}};
                wire unused_h = &{1'b0, b_rdata, dact_rdata, iss_upd};
            end else begin : g_drtp
                // b_j = 2r + 1 from the held B row (padding lanes' r = 0: never used)
                wire [G*P*BB-1:0] b_pad;
                if (G * P > N) begin : g_pad
                    assign b_pad = {{((G*P-N)*BB){1'b0}}, b_rdata};
                end else begin : g_nopad
                    assign b_pad = b_rdata;
                end
                wire [P*BB-1:0] r_grp = b_pad[s2_g_q * (P*BB) +: P*BB];
                for (ln = 0; ln < P; ln = ln + 1) begin : g_b
                    assign c_grp[ln*CW +: CW] = {r_grp[ln*BB +: BB], 1'b1};
                end
                assign b_re       = (state_q == ST_PRE);
                assign b_raddr    = b_re ? label : {LBW{1'b0}};
                assign dact_re    = iss_upd;
                assign dact_raddr = iss_upd ? g_q : {GW{1'b0}};
                assign out_re     = 1'b0;
                assign out_raddr  = {JW{1'b0}};
                wire unused_o = &{1'b0, out_rdata, iss_err, s1_real};
            end

            // one update datapath and one rounding LFSR per lane; lane l's LFSR starts at lane
            // seed l (spec §16: lane 0 the layer's seed, lane l >= 1 derived from it)
            for (ln = 0; ln < P; ln = ln + 1) begin : g_lane
                localparam [31:0] LN32 = ln;
                localparam [31:0] LSD  = SEED * 32'h9E3779B1 + LN32 * 32'h7F4A7C15;
                localparam [31:0] LSEED = (ln == 0) ? SEED : ((LSD == 32'd0) ? 32'd1 : LSD);
                wire                 en = s2_en_q[ln];
                wire [31:0]          lfsr_next;
                wire signed [WB-1:0] w_l = w_rdata[ln*WB +: WB];
                wire signed [CW-1:0] c_l = c_grp[ln*CW +: CW];
                wire signed [WB-1:0] w_new;
                fc_update #(.WB(WB), .CW(CW), .XW(XB), .LR(LR), .RMODE(RMODE)) u_upd (
                    .w(w_l), .c(c_l), .x(x_s2), .rnd(lfsr_next), .w_new(w_new));
                lfsr32 #(.SEED(LSEED)) u_lfsr (
                    .clk(clk), .rst(rst), .step(s2_u_q && en && RMODE == 2),
                    .load(lfsr_load && lfsr_addr == LN32[LAW-1:0]),
                    .load_value(lfsr_load_value), .state_q(lfsr_state[32*ln +: 32]), .next(lfsr_next));
                // lanes that are not updated are written back unchanged
                assign w_upd[ln*WB +: WB] = en ? w_new : w_l;
            end

            always @(*) begin                       // updated lanes of this cycle
                n_upd = 16'd0;
                for (q = 0; q < P; q = q + 1)
                    n_upd = n_upd + {15'd0, s2_en_q[q]};
            end

            assign w_re     = iss_fwd | s1_upd;
            assign w_raddr  = iss_fwd ? wa : (s1_upd ? s1_a_q : {WAW{1'b0}});
            assign w_we     = s2_u_q;
            assign w_waddr  = s2_u_q ? s2_a_q : {WAW{1'b0}};
            assign w_wdata  = s2_u_q ? w_upd : {(P*WB){1'b0}};
            assign cnt_upd  = n_upd;
            assign cnt_lfsr = (RMODE == 2) ? n_upd : 16'd0;
            wire unused_j2 = &{1'b0, s2_j_q};
        end else begin : g_infer
            always @(posedge clk) begin
                s2_u_q <= 1'b0; s2_a_q <= {WAW{1'b0}}; s2_g_q <= {GW{1'b0}}; s2_en_q <= {P{1'b0}};
                if (OUTPUT != 0) s2_j_q <= s1_j_q;
                else             s2_j_q <= {JW{1'b0}};
            end
            assign lfsr_state = {(32*P){1'b0}};
            assign b_re       = 1'b0;
            assign b_raddr    = {LBW{1'b0}};
            assign dact_re    = 1'b0;
            assign dact_raddr = {GW{1'b0}};
            assign out_re     = 1'b0;
            assign out_raddr  = {JW{1'b0}};
            assign w_re       = iss_fwd;
            assign w_raddr    = iss_fwd ? wa : {WAW{1'b0}};
            assign w_we       = 1'b0;
            assign w_waddr    = {WAW{1'b0}};
            assign w_wdata    = {(P*WB){1'b0}};
            assign cnt_upd    = 16'd0;
            assign cnt_lfsr   = 16'd0;
            wire unused_inf = &{1'b0, label, b_rdata, dact_rdata, out_rdata, lfsr_load, lfsr_addr,
                                lfsr_load_value, iss_upd, iss_err, s1_e_q, s1_a_q, s2_a_q, s2_j_q,
                                s2_g_q, s2_en_q, x_s2, s1_real};
        end
    endgenerate
endmodule
