// fc2_core: FC2 of docs/spec.md §8 and §9: clear, forward, sigmoid + argmax (result), and
// (LEARNING = 1) the output-layer update from its own error; sigmoid_unit and out_update are its
// datapaths.
//
//   forward : for j in 0..N1 (one fc1_act read per j < N1; the bias y = YMAX needs none),
//             for o in 0..N2-1 one cycle: issue fc2_w[j*N2+o], fc2_acc[o] reads;
//             s1: fc2_acc[o] = sat_A2B(acc + w*y) (write)
//   sigmoid : issue fc2_acc[o] read; s1 sig_lut[idx] read + argmax; s2 fc2_out[o] write
//   update  : fc2_out[o] read once per o into the error registers e_o, then for j in 0..N1
//             (one fc1_act read per j < N1), for o: issue fc2_w read;
//             s1 fc2_w = sat_W2B(w + R(-e_o*y_j, LR2)) (write); lfsr_fc2 steps
module fc2_core #(
    parameter integer N1       = 128,
    parameter integer N2       = 10,
    parameter integer YB       = 8,
    parameter integer W2B      = 8,
    parameter integer A2B      = 20,
    parameter integer SS       = 10,
    parameter integer L        = 6,
    parameter integer OB       = 8,
    parameter integer LR2      = 15,
    parameter integer RMODE    = 2,
    parameter [31:0]  SEED_FC2 = 32'd1,
    parameter integer LEARNING = 1,
    parameter integer JW       = 7,                 // fc1 unit index bits (fc1_act address)
    parameter integer W2AW     = 11,                // fc2_w address bits
    parameter integer OW       = 4                  // class index bits
) (
    input  wire                 clk,
    input  wire                 rst,
    // ---- controller -------------------------------------------------------------------------
    input  wire                 go_clear,
    input  wire                 go_fwd,
    input  wire                 go_sig,
    input  wire                 go_upd,
    input  wire [OW-1:0]        label,
    output wire                 busy,
    // ---- fc1_act memory (read) ----------------------------------------------------------------
    output wire                 act_re,
    output wire [JW-1:0]        act_raddr,
    input  wire [YB-1:0]        act_rdata,
    // ---- fc2_w memory -----------------------------------------------------------------------
    output wire                 w_re,
    output wire [W2AW-1:0]      w_raddr,
    input  wire [W2B-1:0]       w_rdata,
    output wire                 w_we,
    output wire [W2AW-1:0]      w_waddr,
    output wire [W2B-1:0]       w_wdata,
    // ---- fc2_acc memory ---------------------------------------------------------------------
    output wire                 acc_re,
    output wire [OW-1:0]        acc_raddr,
    input  wire [A2B-1:0]       acc_rdata,
    output wire                 acc_we,
    output wire [OW-1:0]        acc_waddr,
    output wire [A2B-1:0]       acc_wdata,
    // ---- sig_lut memory (read) ----------------------------------------------------------------
    output wire                 lut_re,
    output wire [L-1:0]         lut_raddr,
    input  wire [OB-1:0]        lut_rdata,
    // ---- fc2_out memory -----------------------------------------------------------------------
    output wire                 out_re,
    output wire [OW-1:0]        out_raddr,
    input  wire [OB-1:0]        out_rdata,
    output wire                 out_we,
    output wire [OW-1:0]        out_waddr,
    output wire [OB-1:0]        out_wdata,
    // ---- result ---------------------------------------------------------------------------------
    output reg  [OW-1:0]        pred_q,
    output reg  [N2*OB-1:0]     res_out_q,
    // ---- lfsr_fc2 (host access port) ----------------------------------------------------------
    input  wire                 lfsr_load,
    input  wire [31:0]          lfsr_load_value,
    output wire [31:0]          lfsr_state,
    // ---- access counters (simulation) --------------------------------------------------------
    output wire                 cnt_mac,
    output wire                 cnt_upd,
    output wire                 cnt_lfsr
);
    localparam [2:0] ST_IDLE = 3'd0, ST_CLEAR = 3'd1, ST_YRD = 3'd2, ST_OPS = 3'd3,
                     ST_DRAIN = 3'd4, ST_SIG = 3'd5, ST_ERD = 3'd6;
    localparam [1:0] M_FWD = 2'd0, M_UPD = 2'd1, M_SIG = 2'd2;
    localparam integer JW1 = JW + 1;                // j runs to N1 (the bias)
    localparam integer N2M1 = N2 - 1;
    localparam [JW1-1:0]  J_BIAS = N1[JW1-1:0];
    localparam [OW-1:0]   O_LAST = N2M1[OW-1:0];
    localparam [W2AW-1:0] N2_W   = N2[W2AW-1:0];
    localparam integer PW = W2B + YB;               // exact product width
    localparam signed [A2B:0] AMAX = (({{A2B{1'b0}}, 1'b1}) << (A2B - 1)) - 1;
    localparam signed [A2B:0] AMIN = -(AMAX + 1);
    localparam [YB-1:0] YMAX = (({{(YB-1){1'b0}}, 1'b1}) << (YB - 1)) - 1;

    reg  [2:0]      state_q;
    reg  [1:0]      mode_q;
    reg  [JW1-1:0]  j_q;
    reg  [OW-1:0]   o_q;
    reg  [W2AW-1:0] base_q;
    reg             s1_v_q, s1_e_q, s2_v_q;
    reg  [OW-1:0]   s1_o_q, s2_o_q;
    reg  [W2AW-1:0] s1_a_q;
    reg  [YB-1:0]   s1_y_q;
    reg  [OW-1:0]   best_q;
    reg  [A2B-1:0]  bestv_q;

    wire bias  = (j_q == J_BIAS);
    wire o_end = (o_q == O_LAST);
    assign busy = (state_q != ST_IDLE);

    always @(posedge clk) begin
        if (rst) begin
            state_q <= ST_IDLE; mode_q <= M_FWD; j_q <= {JW1{1'b0}}; o_q <= {OW{1'b0}};
            base_q <= {W2AW{1'b0}};
        end else begin
            case (state_q)
                ST_IDLE: begin
                    j_q <= {JW1{1'b0}}; o_q <= {OW{1'b0}}; base_q <= {W2AW{1'b0}};
                    if (go_clear)    state_q <= ST_CLEAR;
                    else if (go_fwd) begin state_q <= ST_YRD; mode_q <= M_FWD; end
                    else if (go_sig) begin state_q <= ST_SIG; mode_q <= M_SIG; end
                    else if (go_upd && LEARNING != 0) begin state_q <= ST_ERD; mode_q <= M_UPD; end
                end
                ST_CLEAR, ST_SIG: begin
                    o_q <= o_q + 1'b1;
                    if (o_end) state_q <= (state_q == ST_CLEAR) ? ST_IDLE : ST_DRAIN;
                end
                ST_ERD: begin
                    o_q <= o_end ? {OW{1'b0}} : o_q + 1'b1;
                    if (o_end) state_q <= ST_YRD;
                end
                ST_YRD: state_q <= ST_OPS;
                ST_OPS: begin
                    o_q <= o_end ? {OW{1'b0}} : o_q + 1'b1;
                    if (o_end) begin
                        base_q <= base_q + N2_W;
                        j_q    <= j_q + 1'b1;
                        state_q <= bias ? ST_DRAIN : ST_YRD;
                    end
                end
                default: begin                      // ST_DRAIN
                    if (!s1_v_q && !s2_v_q) state_q <= ST_IDLE;
                end
            endcase
        end
    end

    wire iss_ops = (state_q == ST_OPS);
    wire iss_sig = (state_q == ST_SIG);
    wire iss_err = (state_q == ST_ERD);
    wire [W2AW-1:0] wa    = base_q + {{(W2AW-OW){1'b0}}, o_q};
    wire [YB-1:0]   y_cur = bias ? YMAX : act_rdata;

    always @(posedge clk) begin
        if (rst) begin
            s1_v_q <= 1'b0; s1_e_q <= 1'b0; s1_o_q <= {OW{1'b0}}; s1_a_q <= {W2AW{1'b0}}; s1_y_q <= {YB{1'b0}};
            s2_v_q <= 1'b0; s2_o_q <= {OW{1'b0}};
        end else begin
            s1_v_q <= iss_ops | iss_sig | iss_err;
            s1_e_q <= iss_err;
            s1_o_q <= o_q;
            s1_a_q <= wa;
            s1_y_q <= y_cur;
            s2_v_q <= s1_v_q && (mode_q == M_SIG);
            s2_o_q <= s1_o_q;
        end
    end

    wire s1_fwd = s1_v_q && (mode_q == M_FWD);
    wire s1_sig = s1_v_q && (mode_q == M_SIG);
    wire s2_sig = s2_v_q;

    // ---- forward: exact product, saturating accumulate ------------------------------------------
    wire signed [W2B-1:0] w_in = w_rdata;
    wire signed [YB-1:0]  y_in = s1_y_q;
    wire signed [PW-1:0]  prod = {{YB{w_in[W2B-1]}}, w_in} * {{W2B{y_in[YB-1]}}, y_in};
    wire signed [A2B-1:0] acc_in = acc_rdata;
    wire signed [A2B:0]   sum  = {acc_in[A2B-1], acc_in} + {{(A2B+1-PW){prod[PW-1]}}, prod};
    wire signed [A2B:0]   sum_s = (sum > AMAX) ? AMAX : ((sum < AMIN) ? AMIN : sum);
    wire unused_ok = &{1'b0, sum_s[A2B]};

    // ---- sigmoid and argmax (ties to the lowest index) -----------------------------------------
    wire [L-1:0] sig_addr;
    sigmoid_unit #(.A2B(A2B), .SS(SS), .L(L)) u_sig (.acc(acc_rdata), .addr(sig_addr));
    wire better = (s1_o_q == {OW{1'b0}}) || ($signed(acc_rdata) > $signed(bestv_q));

    always @(posedge clk) begin
        if (rst) begin
            best_q <= {OW{1'b0}}; bestv_q <= {A2B{1'b0}}; pred_q <= {OW{1'b0}};
            res_out_q <= {(N2*OB){1'b0}};
        end else begin
            if (s1_sig && better) begin
                best_q <= s1_o_q; bestv_q <= acc_rdata;
            end
            if (s1_sig && s1_o_q == O_LAST) pred_q <= better ? s1_o_q : best_q;
            if (s2_sig) res_out_q[s2_o_q * OB +: OB] <= lut_rdata;
        end
    end

    // ---- memory ports (OR-bus: zero when unused) ------------------------------------------------
    wire clr     = (state_q == ST_CLEAR);
    wire iss_fwd = iss_ops && (mode_q == M_FWD);
    assign act_re    = (state_q == ST_YRD) && !bias;
    assign act_raddr = act_re ? j_q[JW-1:0] : {JW{1'b0}};
    assign acc_re    = iss_fwd | iss_sig;
    assign acc_raddr = acc_re ? o_q : {OW{1'b0}};
    assign acc_we    = s1_fwd | clr;
    assign acc_waddr = s1_fwd ? s1_o_q : (clr ? o_q : {OW{1'b0}});
    assign acc_wdata = s1_fwd ? sum_s[A2B-1:0] : {A2B{1'b0}};
    assign lut_re    = s1_sig;
    assign lut_raddr = s1_sig ? sig_addr : {L{1'b0}};
    assign out_we    = s2_sig;
    assign out_waddr = s2_sig ? s2_o_q : {OW{1'b0}};
    assign out_wdata = s2_sig ? lut_rdata : {OB{1'b0}};
    assign cnt_mac   = s1_fwd;

    // ---- output-layer update (learning hardware) ------------------------------------------------
    generate
        if (LEARNING != 0) begin : g_learn
            localparam [OB:0] ONE = {1'b0, {OB{1'b1}}};
            reg  [N2*(OB+1)-1:0] err_q;
            wire [31:0]          lfsr_next;
            wire                 s1_err = s1_v_q && s1_e_q;
            wire                 s1_upd = s1_v_q && (mode_q == M_UPD) && !s1_err;
            wire signed [OB:0]   e_new  = {1'b0, out_rdata} - ((s1_o_q == label) ? ONE : {(OB+1){1'b0}});
            wire signed [OB:0]   e_o    = err_q[s1_o_q * (OB+1) +: (OB+1)];
            wire signed [W2B-1:0] w_new;

            always @(posedge clk) begin
                if (rst) err_q <= {(N2*(OB+1)){1'b0}};
                else if (s1_err) err_q[s1_o_q * (OB+1) +: (OB+1)] <= e_new;
            end

            out_update #(.W2B(W2B), .OB(OB), .YB(YB), .LR2(LR2), .RMODE(RMODE)) u_upd (
                .w(w_rdata), .e(e_o), .y(s1_y_q), .rnd(lfsr_next), .w_new(w_new));

            lfsr32 #(.SEED(SEED_FC2)) u_lfsr (
                .clk(clk), .rst(rst), .step(s1_upd && RMODE == 2), .load(lfsr_load),
                .load_value(lfsr_load_value), .state_q(lfsr_state), .next(lfsr_next));

            assign out_re    = iss_err;
            assign out_raddr = iss_err ? o_q : {OW{1'b0}};
            assign w_re      = iss_ops;
            assign w_raddr   = iss_ops ? wa : {W2AW{1'b0}};
            assign w_we      = s1_upd;
            assign w_waddr   = s1_upd ? s1_a_q : {W2AW{1'b0}};
            assign w_wdata   = s1_upd ? w_new : {W2B{1'b0}};
            assign cnt_upd   = s1_upd;
            assign cnt_lfsr  = s1_upd && (RMODE == 2);
        end else begin : g_infer
            assign lfsr_state = 32'd0;
            assign out_re    = 1'b0;
            assign out_raddr = {OW{1'b0}};
            assign w_re      = iss_fwd;
            assign w_raddr   = iss_fwd ? wa : {W2AW{1'b0}};
            assign w_we      = 1'b0;
            assign w_waddr   = {W2AW{1'b0}};
            assign w_wdata   = {W2B{1'b0}};
            assign cnt_upd   = 1'b0;
            assign cnt_lfsr  = 1'b0;
            wire unused_inf = &{1'b0, label, out_rdata, lfsr_load, lfsr_load_value, iss_err, s1_e_q,
                                s1_a_q};
        end
    endgenerate
endmodule
