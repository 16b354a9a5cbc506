// fc1_core: FC1 of docs/spec.md §7 and §9: clear, forward over the active inputs, hard-tanh,
// and (LEARNING = 1) the DRTP update, all sequenced here; drtp_update and tanh_unit are its
// datapaths.
//
// Active-input scanner (forward and update): for a in 0..Q*Q-1 one conv_spk read, then for
// co in 0..C-1 (one cycle each) the bit of the held read data is tested; a set bit makes input
// i = a*C + co active; after the scan the bias input i = N_IN. For each active input the unit
// loop j = 0..N1-1 issues one operation per cycle into a short pipeline:
//   forward : issue  fc1_w[i*N1+j] and fc1_acc[j] reads
//             s1     fc1_acc[j] = sat_A1B(acc + w) (write)
// A read of fc1_acc[j] never meets the write of the same word in flight: the writes of one
// input's pass end one cycle after its last issue, and the scanner spends at least one cycle
// (ST_SBIT) between two inputs, so even with N1 = 1 the next read sees the written word.
//   update  : issue  fc1_dact[j] read
//             s1     if dact = 1: fc1_w[i*N1+j] read
//             s2     fc1_w[i*N1+j] = sat_W1B(w + R(-b_j, LR1)) (write); lfsr_fc1 steps
//   tanh    : issue  fc1_acc[j] read;  s1  fc1_act[j], fc1_dact[j] writes
// The B row is read once (b_lut[label]) before the update scan; the update reads its fields
// from the held read data of b_lut (the memory's output register keeps it: no other b_lut read
// happens during the update).
module fc1_core #(
    parameter integer C        = 8,
    parameter integer Q        = 12,
    parameter integer N1       = 128,
    parameter integer W1B      = 8,
    parameter integer A1B      = 16,
    parameter integer YB       = 8,
    parameter integer AS       = 0,
    parameter integer BB       = 2,
    parameter integer LR1      = 3,
    parameter integer RMODE    = 2,
    parameter [31:0]  SEED_FC1 = 32'd1,
    parameter integer LEARNING = 1,
    parameter integer SAW      = 8,                // conv_spk address bits
    parameter integer W1AW     = 17,               // fc1_w address bits
    parameter integer JW       = 7,                // fc1 unit index bits
    parameter integer LBW      = 4                 // label bits
) (
    input  wire                 clk,
    input  wire                 rst,
    // ---- controller -------------------------------------------------------------------------
    input  wire                 go_clear,
    input  wire                 go_fwd,
    input  wire                 go_tanh,
    input  wire                 go_upd,
    input  wire [LBW-1:0]       label,
    output wire                 busy,
    // ---- conv_spk memory (read) ------------------------------------------------------------
    output wire                 spk_re,
    output wire [SAW-1:0]       spk_raddr,
    input  wire [C-1:0]         spk_rdata,
    // ---- fc1_w memory ---------------------------------------------------------------------
    output wire                 w_re,
    output wire [W1AW-1:0]      w_raddr,
    input  wire [W1B-1:0]       w_rdata,
    output wire                 w_we,
    output wire [W1AW-1:0]      w_waddr,
    output wire [W1B-1:0]       w_wdata,
    // ---- fc1_acc memory ---------------------------------------------------------------------
    output wire                 acc_re,
    output wire [JW-1:0]        acc_raddr,
    input  wire [A1B-1:0]       acc_rdata,
    output wire                 acc_we,
    output wire [JW-1:0]        acc_waddr,
    output wire [A1B-1:0]       acc_wdata,
    // ---- fc1_act / fc1_dact memories --------------------------------------------------------
    output wire                 act_we,
    output wire [JW-1:0]        act_waddr,
    output wire [YB-1:0]        act_wdata,
    output wire                 dact_re,
    output wire [JW-1:0]        dact_raddr,
    input  wire                 dact_rdata,
    output wire                 dact_we,
    output wire [JW-1:0]        dact_waddr,
    output wire                 dact_wdata,
    // ---- b_lut memory (read) ------------------------------------------------------------------
    output wire                 b_re,
    output wire [LBW-1:0]       b_raddr,
    input  wire [N1*BB-1:0]     b_rdata,
    // ---- lfsr_fc1 (host access port) ----------------------------------------------------------
    input  wire                 lfsr_load,
    input  wire [31:0]          lfsr_load_value,
    output wire [31:0]          lfsr_state,
    // ---- access counters (simulation) --------------------------------------------------------
    output wire                 cnt_add,
    output wire                 cnt_tanh,
    output wire                 cnt_upd,
    output wire                 cnt_lfsr
);
    localparam [3:0] ST_IDLE = 4'd0, ST_CLEAR = 4'd1, ST_SRD = 4'd2, ST_SBIT = 4'd3,
                     ST_OPS = 4'd4, ST_DRAIN = 4'd5, ST_TANH = 4'd6, ST_BRD = 4'd7;
    localparam [1:0] M_FWD = 2'd0, M_UPD = 2'd1, M_TANH = 2'd2;
    localparam integer CBW = (C > 1) ? $clog2(C + 1) : 1;
    localparam integer N1M1 = N1 - 1, QQM1 = Q * Q - 1;
    localparam [JW-1:0]   J_LAST  = N1M1[JW-1:0];
    localparam [SAW:0]    A_LAST  = QQM1[SAW:0];
    localparam [CBW-1:0]  CO_END  = C[CBW-1:0];
    localparam [W1AW-1:0] N1_W    = N1[W1AW-1:0];
    localparam signed [A1B:0] AMAX = (({{A1B{1'b0}}, 1'b1}) << (A1B - 1)) - 1;
    localparam signed [A1B:0] AMIN = -(AMAX + 1);

    reg  [3:0]      state_q;
    reg  [1:0]      mode_q;
    reg  [SAW:0]    a_q;
    reg  [CBW-1:0]  co_q;
    reg  [W1AW-1:0] base_q;
    reg  [JW-1:0]   j_q;
    reg             bias_q;
    // pipeline stage 1 and 2
    reg             s1_v_q, s2_v_q;
    reg  [JW-1:0]   s1_j_q, s2_j_q;
    reg  [W1AW-1:0] s1_a_q, s2_a_q;

    wire issue  = (state_q == ST_OPS) || (state_q == ST_TANH);
    wire [C-1:0] spk_sh = spk_rdata >> co_q;         // bit co of the held conv_spk word
    wire bit_on = spk_sh[0];
    wire unused_ok = &{1'b0, spk_sh, sum_s[A1B]};

    assign busy = (state_q != ST_IDLE);

    always @(posedge clk) begin
        if (rst) begin
            state_q <= ST_IDLE; mode_q <= M_FWD; a_q <= {(SAW+1){1'b0}}; co_q <= {CBW{1'b0}};
            base_q <= {W1AW{1'b0}}; j_q <= {JW{1'b0}}; bias_q <= 1'b0;
        end else begin
            case (state_q)
                ST_IDLE: begin
                    j_q <= {JW{1'b0}}; a_q <= {(SAW+1){1'b0}}; co_q <= {CBW{1'b0}};
                    base_q <= {W1AW{1'b0}}; bias_q <= 1'b0;
                    if (go_clear)     begin state_q <= ST_CLEAR; end
                    else if (go_fwd)  begin state_q <= ST_SRD;  mode_q <= M_FWD;  end
                    else if (go_tanh) begin state_q <= ST_TANH; mode_q <= M_TANH; end
                    else if (go_upd && LEARNING != 0) begin state_q <= ST_BRD; mode_q <= M_UPD; end
                end
                ST_CLEAR: begin
                    j_q <= j_q + 1'b1;
                    if (j_q == J_LAST) state_q <= ST_IDLE;
                end
                ST_BRD:  state_q <= ST_SRD;
                ST_SRD: begin
                    co_q <= {CBW{1'b0}};
                    state_q <= ST_SBIT;
                end
                ST_SBIT: begin
                    if (co_q == CO_END) begin
                        if (a_q == A_LAST) begin
                            bias_q <= 1'b1; j_q <= {JW{1'b0}}; state_q <= ST_OPS;
                        end else begin
                            a_q <= a_q + 1'b1; state_q <= ST_SRD;
                        end
                    end else if (bit_on) begin
                        j_q <= {JW{1'b0}}; state_q <= ST_OPS;
                    end else begin
                        co_q <= co_q + 1'b1; base_q <= base_q + N1_W;
                    end
                end
                ST_OPS: begin
                    j_q <= j_q + 1'b1;
                    if (j_q == J_LAST) begin
                        if (bias_q) state_q <= ST_DRAIN;
                        else begin
                            co_q <= co_q + 1'b1; base_q <= base_q + N1_W; state_q <= ST_SBIT;
                        end
                    end
                end
                ST_TANH: begin
                    j_q <= j_q + 1'b1;
                    if (j_q == J_LAST) state_q <= ST_DRAIN;
                end
                default: begin                      // ST_DRAIN
                    if (!s1_v_q && !s2_v_q) state_q <= ST_IDLE;
                end
            endcase
        end
    end

    // ---- issue stage ----------------------------------------------------------------------------
    wire [W1AW-1:0] wa = base_q + {{(W1AW-JW){1'b0}}, j_q};
    wire iss_fwd  = issue && (mode_q == M_FWD);
    wire iss_upd  = issue && (mode_q == M_UPD);
    wire iss_tanh = issue && (mode_q == M_TANH);

    assign spk_re    = (state_q == ST_SRD);
    assign spk_raddr = spk_re ? a_q[SAW-1:0] : {SAW{1'b0}};

    // ---- stage 1 ----------------------------------------------------------------------------------
    always @(posedge clk) begin
        if (rst) begin
            s1_v_q <= 1'b0; s1_j_q <= {JW{1'b0}}; s1_a_q <= {W1AW{1'b0}};
        end else begin
            s1_v_q <= issue;
            s1_j_q <= issue ? j_q : {JW{1'b0}};
            s1_a_q <= issue ? wa : {W1AW{1'b0}};
        end
    end
    wire s1_fwd  = s1_v_q && (mode_q == M_FWD);
    wire s1_tanh = s1_v_q && (mode_q == M_TANH);
    wire s1_upd  = s1_v_q && (mode_q == M_UPD) && dact_rdata;

    // forward: saturating accumulate
    wire signed [A1B-1:0] acc_in = acc_rdata;
    wire signed [W1B-1:0] w_in   = w_rdata;
    wire signed [A1B:0]   sum    = {acc_in[A1B-1], acc_in} + {{(A1B+1-W1B){w_in[W1B-1]}}, w_in};
    wire signed [A1B:0]   sum_s  = (sum > AMAX) ? AMAX : ((sum < AMIN) ? AMIN : sum);
    wire        [A1B-1:0] acc_new = sum_s[A1B-1:0];

    // tanh
    wire signed [YB-1:0] t_act;
    wire                 t_dact;
    tanh_unit #(.A1B(A1B), .YB(YB), .AS(AS)) u_tanh (.acc(acc_rdata), .act(t_act), .dact(t_dact));

    // ---- memory ports (OR-bus: zero when unused) ------------------------------------------------
    wire clr = (state_q == ST_CLEAR);
    assign acc_re    = iss_fwd | iss_tanh;
    assign acc_raddr = acc_re ? j_q : {JW{1'b0}};
    assign acc_we    = s1_fwd | clr;
    assign acc_waddr = s1_fwd ? s1_j_q : (clr ? j_q : {JW{1'b0}});
    assign acc_wdata = s1_fwd ? acc_new : {A1B{1'b0}};

    assign act_we     = s1_tanh;
    assign act_waddr  = s1_tanh ? s1_j_q : {JW{1'b0}};
    assign act_wdata  = s1_tanh ? t_act : {YB{1'b0}};
    assign dact_we    = s1_tanh;
    assign dact_waddr = s1_tanh ? s1_j_q : {JW{1'b0}};
    assign dact_wdata = s1_tanh & t_dact;

    assign cnt_add  = s1_fwd;
    assign cnt_tanh = s1_tanh;

    // ---- DRTP update (learning hardware) -------------------------------------------------------
    generate
        if (LEARNING != 0) begin : g_learn
            wire [31:0] lfsr_next;
            wire        upd = s2_v_q;
            wire signed [BB-1:0]  r_j = b_rdata[s2_j_q * BB +: BB];
            wire signed [W1B-1:0] w_new;

            always @(posedge clk) begin
                if (rst) begin
                    s2_v_q <= 1'b0; s2_j_q <= {JW{1'b0}}; s2_a_q <= {W1AW{1'b0}};
                end else begin
                    s2_v_q <= s1_upd;
                    s2_j_q <= s1_upd ? s1_j_q : {JW{1'b0}};
                    s2_a_q <= s1_upd ? s1_a_q : {W1AW{1'b0}};
                end
            end

            drtp_update #(.W1B(W1B), .BB(BB), .LR1(LR1), .RMODE(RMODE)) u_drtp (
                .w(w_rdata), .r(r_j), .rnd(lfsr_next), .w_new(w_new));

            lfsr32 #(.SEED(SEED_FC1)) u_lfsr (
                .clk(clk), .rst(rst), .step(upd && RMODE == 2), .load(lfsr_load),
                .load_value(lfsr_load_value), .state_q(lfsr_state), .next(lfsr_next));

            assign b_re       = (state_q == ST_BRD);
            assign b_raddr    = b_re ? label : {LBW{1'b0}};
            assign dact_re    = iss_upd;
            assign dact_raddr = iss_upd ? j_q : {JW{1'b0}};
            assign w_re       = iss_fwd | s1_upd;
            assign w_raddr    = iss_fwd ? wa : (s1_upd ? s1_a_q : {W1AW{1'b0}});
            assign w_we       = upd;
            assign w_waddr    = upd ? s2_a_q : {W1AW{1'b0}};
            assign w_wdata    = upd ? w_new : {W1B{1'b0}};
            assign cnt_upd    = upd;
            assign cnt_lfsr   = upd && (RMODE == 2);
        end else begin : g_infer
            always @(posedge clk) begin
                s2_v_q <= 1'b0; s2_j_q <= {JW{1'b0}}; s2_a_q <= {W1AW{1'b0}};
            end
            assign lfsr_state = 32'd0;
            assign b_re       = 1'b0;
            assign b_raddr    = {LBW{1'b0}};
            assign dact_re    = 1'b0;
            assign dact_raddr = {JW{1'b0}};
            assign w_re       = iss_fwd;
            assign w_raddr    = iss_fwd ? wa : {W1AW{1'b0}};
            assign w_we       = 1'b0;
            assign w_waddr    = {W1AW{1'b0}};
            assign w_wdata    = {W1B{1'b0}};
            assign cnt_upd    = 1'b0;
            assign cnt_lfsr   = 1'b0;
            wire unused_inf = &{1'b0, label, b_rdata, lfsr_load, lfsr_load_value, dact_rdata,
                                iss_upd, s1_upd, s2_j_q, s1_a_q, s2_a_q};
        end
    endgenerate
endmodule
