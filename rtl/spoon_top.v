// spoon_top: the event-driven convolutional processor with on-chip DRTP learning.
//
// Blocks (one file each): aer_in -> conv_core -> fc1_core (tanh_unit, drtp_update) -> fc2_core
// (sigmoid_unit, out_update), sequenced by controller; every memory of docs/spec.md §10 is an
// sram instance here. All sizes come from hwmodel.rtlgen (the parameters below; defaults = the
// spoon preset). LEARNING = 0 removes the learning hardware (B LUT, DRTP and output update
// units, LFSRs, error registers, the engines' weight-write paths).
//
// Reset rule: one synchronous, active-high reset `rst` for every register of the design
// (sampled on the rising edge of clk). Memories (sram) are not reset: the clear phase of each
// sample zeroes the potentials and accumulators, weights/ROMs are loaded by the host.
//
// Memory ports are OR-buses: every engine drives all-zero enables/addresses/data on the ports it
// is not using, so the top ORs them. The host access port is a request/ready port: a request
// (acc_en) is performed in a cycle with acc_ready = 1, i.e. while the processor is idle
// (busy = 0); while busy, acc_ready = 0 and the request waits (the host holds it). acc_sel picks
// a memory id (docs/rtl.md), acc_we = 1 writes acc_wdata (low bits), acc_we = 0 reads:
// acc_rdata is valid in the cycle after the read is performed and holds until the next read.
//
// Parameters: only the primary ones below are set from outside (hwmodel.rtlgen); O, Q, N_IN,
// the LFSR seeds and every width are derived here. An illegal combination stops elaboration:
// the generate blocks g_bad_* instantiate a module that does not exist, named after the rule
// (e.g. "illegal_parameter_PB_range"), so Verilator, Icarus and Yosys all stop and name it.
module spoon_top #(
    parameter integer W        = 28,       // input side (W x W events)
    parameter integer CIN      = 1,        // input channels (2: polarity selects the channel)
    parameter integer C        = 8,        // conv kernels
    parameter integer K        = 5,        // kernel side
    parameter integer S        = 2,        // stride
    parameter integer PAD      = 0,        // zero padding
    parameter integer POOL     = 1,        // OR-pooling window
    parameter integer WC       = 4,        // conv weight bits
    parameter integer PB       = 10,       // conv potential bits
    parameter integer THETA    = 12,       // firing threshold
    parameter integer N1       = 128,      // hidden units
    parameter integer W1B      = 8,        // FC1 weight bits
    parameter integer A1B      = 16,       // FC1 accumulator bits
    parameter integer YB       = 8,        // hidden activation bits
    parameter integer AS       = 0,        // hard-tanh input shift
    parameter integer N2       = 10,       // classes
    parameter integer W2B      = 8,        // FC2 weight bits
    parameter integer A2B      = 20,       // FC2 accumulator bits
    parameter integer SS       = 11,       // sigmoid input shift
    parameter integer L        = 6,        // sigmoid LUT index bits
    parameter integer OB       = 8,        // sigmoid output bits
    parameter integer BB       = 2,        // B entry bits
    parameter integer LR1      = 3,        // FC1 learning-rate shift
    parameter integer LR2      = 15,       // FC2 learning-rate shift
    parameter integer RMODE    = 2,        // rounding: 0 truncate, 1 nearest, 2 stochastic
    parameter [31:0]  SEED     = 32'd0,    // master seed (spec §3): LFSR seeds are derived
    parameter integer LEARNING = 1,        // 0 removes the learning hardware
    parameter         KERNEL_FILE  = "",
    parameter         FC1_W_FILE   = "",
    parameter         B_LUT_FILE   = "",
    parameter         FC2_W_FILE   = "",
    parameter         SIG_LUT_FILE = "",
    // derived (do not override)
    parameter integer O      = (S > 0) ? (W + 2 * PAD - K) / S + 1 : 1,
    parameter integer Q      = (POOL > 0) ? O / POOL : 1,
    parameter integer XW     = (W > 1) ? $clog2(W) : 1,
    parameter integer OW     = (N2 > 1) ? $clog2(N2) : 1,
    parameter integer N_IN   = Q * Q * C,
    parameter integer KD     = CIN * K * K,
    parameter integer W1D    = (N_IN + 1) * N1,
    parameter integer W2D    = (N1 + 1) * N2,
    parameter integer KAW    = (KD > 1) ? $clog2(KD) : 1,
    parameter integer PAW    = (O * O > 1) ? $clog2(O * O) : 1,
    parameter integer SAW    = (Q * Q > 1) ? $clog2(Q * Q) : 1,
    parameter integer W1AW   = $clog2(W1D),
    parameter integer JW     = (N1 > 1) ? $clog2(N1) : 1,
    parameter integer W2AW   = $clog2(W2D),
    parameter integer MAX_A  = (W1AW > W2AW) ? W1AW : W2AW,
    parameter integer MAX_B  = (PAW > L) ? PAW : L,
    parameter integer MAX_C  = (MAX_A > MAX_B) ? MAX_A : MAX_B,
    parameter integer ACC_AW = (MAX_C > KAW) ? MAX_C : KAW,
    parameter integer MAX_D  = (C * PB > 40) ? C * PB : 40,
    parameter integer ACC_DW = (N1 * BB > MAX_D) ? N1 * BB : MAX_D
) (
    input  wire                  clk,
    input  wire                  rst,
    // ---- host: sample control ---------------------------------------------------------------
    input  wire                  start_valid,
    output wire                  start_ready,
    input  wire [OW-1:0]         start_label,
    input  wire                  start_learn,
    // ---- host: AER event input (aer_in) -------------------------------------------------------
    input  wire                  ev_valid,
    output wire                  ev_ready,
    input  wire [XW-1:0]         ev_x,
    input  wire [XW-1:0]         ev_y,
    input  wire                  ev_p,
    input  wire                  ev_eos,
    output wire                  ev_err,
    // ---- host: result -------------------------------------------------------------------------
    output wire                  busy,
    output wire                  done,
    output wire [OW-1:0]         res_pred,
    output wire [N2*OB-1:0]      res_fc2_out,
    // ---- host: memory access port -------------------------------------------------------------
    input  wire                  acc_en,
    input  wire                  acc_we,
    input  wire [3:0]            acc_sel,
    input  wire [ACC_AW-1:0]     acc_addr,
    input  wire [ACC_DW-1:0]     acc_wdata,
    output wire                  acc_ready,
    output reg  [ACC_DW-1:0]     acc_rdata
);
    localparam integer LD  = 1 << L;
    localparam integer BW  = N1 * BB;
    localparam [63:0]  CNT_1 = 64'd1;
    localparam [63:0]  CNT_C = {32'd0, C[31:0]};
    // LFSR seeds of spec §3: seed_k = SEED*0x9E3779B1 + k*0x7F4A7C15 (mod 2^32), 0 -> 1
    localparam [31:0]  SD5 = SEED * 32'h9E3779B1 + 32'd5 * 32'h7F4A7C15;
    localparam [31:0]  SD6 = SEED * 32'h9E3779B1 + 32'd6 * 32'h7F4A7C15;
    localparam [31:0]  SEED_FC1 = (SD5 == 32'd0) ? 32'd1 : SD5;
    localparam [31:0]  SEED_FC2 = (SD6 == 32'd0) ? 32'd1 : SD6;

    // ---- parameter checks (spec §2 legal ranges): elaboration stops on an illegal set ----------
    generate
        if (W < 1 || W > 256)                  begin : g_bad_w    illegal_parameter_W_range u_stop (); end
        if (CIN < 1 || CIN > 2)                begin : g_bad_cin  illegal_parameter_CIN_range u_stop (); end
        if (C < 1 || C > 64)                   begin : g_bad_c    illegal_parameter_C_range u_stop (); end
        if (K < 1 || K > 16 || K > W)          begin : g_bad_k    illegal_parameter_K_range u_stop (); end
        if (S < 1 || S > K)                    begin : g_bad_s    illegal_parameter_S_range u_stop (); end
        if (PAD < 0 || PAD > K - 1)            begin : g_bad_pad  illegal_parameter_PAD_range u_stop (); end
        if (K > W + 2 * PAD)                   begin : g_bad_kw   illegal_parameter_K_larger_than_padded_W u_stop (); end
        if (POOL < 1 || POOL > O || (O % POOL) != 0) begin : g_bad_pool illegal_parameter_POOL_must_divide_O u_stop (); end
        if (WC < 2 || WC > 16)                 begin : g_bad_wc   illegal_parameter_WC_range u_stop (); end
        if (PB < WC + 1 || PB > 32)            begin : g_bad_pb   illegal_parameter_PB_range u_stop (); end
        if (THETA < 1 || THETA > (1 << (PB - 1)) - 1) begin : g_bad_th illegal_parameter_THETA_range u_stop (); end
        if (N1 < 1 || N1 > 1024)               begin : g_bad_n1   illegal_parameter_N1_range u_stop (); end
        if (W1B < 2 || W1B > 16)               begin : g_bad_w1b  illegal_parameter_W1B_range u_stop (); end
        if (A1B < W1B + 1 || A1B > 32)         begin : g_bad_a1b  illegal_parameter_A1B_range u_stop (); end
        if (YB < 2 || YB > 16)                 begin : g_bad_yb   illegal_parameter_YB_range u_stop (); end
        if (AS < 0 || AS > A1B - 1)            begin : g_bad_as   illegal_parameter_AS_range u_stop (); end
        if (N2 < 2 || N2 > 64)                 begin : g_bad_n2   illegal_parameter_N2_range u_stop (); end
        if (W2B < 2 || W2B > 16)               begin : g_bad_w2b  illegal_parameter_W2B_range u_stop (); end
        if (A2B < W2B + YB || A2B > 40)        begin : g_bad_a2b  illegal_parameter_A2B_range u_stop (); end
        if (SS < 0 || SS > A2B - 1)            begin : g_bad_ss   illegal_parameter_SS_range u_stop (); end
        if (L < 2 || L > 12)                   begin : g_bad_l    illegal_parameter_L_range u_stop (); end
        if (OB < 2 || OB > 16)                 begin : g_bad_ob   illegal_parameter_OB_range u_stop (); end
        if (BB < 1 || BB > 8)                  begin : g_bad_bb   illegal_parameter_BB_range u_stop (); end
        if (LR1 < 0 || LR1 > 30)               begin : g_bad_lr1  illegal_parameter_LR1_range u_stop (); end
        if (LR2 < 0 || LR2 > 40)               begin : g_bad_lr2  illegal_parameter_LR2_range u_stop (); end
        if (RMODE < 0 || RMODE > 2)            begin : g_bad_rm   illegal_parameter_RMODE_range u_stop (); end
        if (LEARNING < 0 || LEARNING > 1)      begin : g_bad_lrn  illegal_parameter_LEARNING_range u_stop (); end
    endgenerate

    // ---- host access decode ----------------------------------------------------------------------
    assign acc_ready = !busy;
    wire h_rd = acc_en && !acc_we && acc_ready;
    wire h_wr = acc_en &&  acc_we && acc_ready;
    reg  [3:0] sel_q;
    always @(posedge clk) begin
        if (rst)       sel_q <= 4'd0;
        else if (h_rd) sel_q <= acc_sel;
    end
    wire [14:0] hr, hw;
    genvar gi;
    generate
        for (gi = 0; gi < 15; gi = gi + 1) begin : g_dec
            assign hr[gi] = h_rd && (acc_sel == gi);
            assign hw[gi] = h_wr && (acc_sel == gi);
        end
    endgenerate

    // ---- controller ----------------------------------------------------------------------------
    wire conv_busy, fc1_busy, fc2_busy, go_clear, ev_enable, learn_phase;
    wire fc1_go_fwd, fc1_go_tanh, fc1_go_upd, fc2_go_fwd, fc2_go_sig, fc2_go_upd;
    wire [OW-1:0] label_q;
    wire a_valid, a_ready, a_p, a_eos;
    wire [XW-1:0] a_x, a_y;
    wire eos_ready, conv_ev_ready;

    controller #(.LEARNING(LEARNING), .OW(OW)) u_ctrl (
        .clk(clk), .rst(rst),
        .start_valid(start_valid), .start_ready(start_ready), .start_label(start_label),
        .start_learn(start_learn), .done(done), .busy(busy),
        .eos_valid(a_valid && a_eos), .eos_ready(eos_ready),
        .conv_busy(conv_busy), .fc1_busy(fc1_busy), .fc2_busy(fc2_busy),
        .go_clear(go_clear), .ev_enable(ev_enable),
        .fc1_go_fwd(fc1_go_fwd), .fc1_go_tanh(fc1_go_tanh), .fc1_go_upd(fc1_go_upd),
        .fc2_go_fwd(fc2_go_fwd), .fc2_go_sig(fc2_go_sig), .fc2_go_upd(fc2_go_upd),
        .label_q(label_q), .learn_phase(learn_phase));

    // ---- aer_in ------------------------------------------------------------------------------------
    assign a_ready = a_eos ? eos_ready : conv_ev_ready;
    aer_in #(.W(W), .XW(XW)) u_aer (
        .clk(clk), .rst(rst),
        .in_valid(ev_valid), .in_ready(ev_ready), .in_x(ev_x), .in_y(ev_y), .in_p(ev_p),
        .in_eos(ev_eos),
        .out_valid(a_valid), .out_ready(a_ready), .out_x(a_x), .out_y(a_y), .out_p(a_p),
        .out_eos(a_eos), .enable(ev_enable), .clr_err(start_valid && start_ready), .err_q(ev_err));

    // ---- memory port wires (engine side: _e, OR of the cores) --------------------------------------
    wire              kern_re_e;  wire [KAW-1:0]  kern_raddr_e; wire [C*WC-1:0] kern_rdata;
    wire              pot_re_e;   wire [PAW-1:0]  pot_raddr_e;  wire [C*PB-1:0] pot_rdata;
    wire              pot_we_e;   wire [PAW-1:0]  pot_waddr_e;  wire [C*PB-1:0] pot_wdata_e;
    wire              cspk_re;    wire [SAW-1:0]  cspk_raddr;
    wire              fspk_re;    wire [SAW-1:0]  fspk_raddr;
    wire              spk_re_e;   wire [SAW-1:0]  spk_raddr_e;  wire [C-1:0]    spk_rdata;
    wire              spk_we_e;   wire [SAW-1:0]  spk_waddr_e;  wire [C-1:0]    spk_wdata_e;
    wire              w1_re_e;    wire [W1AW-1:0] w1_raddr_e;   wire [W1B-1:0]  w1_rdata;
    wire              w1_we_e;    wire [W1AW-1:0] w1_waddr_e;   wire [W1B-1:0]  w1_wdata_e;
    wire              a1_re_e;    wire [JW-1:0]   a1_raddr_e;   wire [A1B-1:0]  a1_rdata;
    wire              a1_we_e;    wire [JW-1:0]   a1_waddr_e;   wire [A1B-1:0]  a1_wdata_e;
    wire              y1_re_e;    wire [JW-1:0]   y1_raddr_e;   wire [YB-1:0]   y1_rdata;
    wire              y1_we_e;    wire [JW-1:0]   y1_waddr_e;   wire [YB-1:0]   y1_wdata_e;
    wire              d1_re_e;    wire [JW-1:0]   d1_raddr_e;   wire            d1_rdata;
    wire              d1_we_e;    wire [JW-1:0]   d1_waddr_e;   wire            d1_wdata_e;
    wire              b_re_e;     wire [OW-1:0]   b_raddr_e;    wire [BW-1:0]   b_rdata;
    wire              w2_re_e;    wire [W2AW-1:0] w2_raddr_e;   wire [W2B-1:0]  w2_rdata;
    wire              w2_we_e;    wire [W2AW-1:0] w2_waddr_e;   wire [W2B-1:0]  w2_wdata_e;
    wire              a2_re_e;    wire [OW-1:0]   a2_raddr_e;   wire [A2B-1:0]  a2_rdata;
    wire              a2_we_e;    wire [OW-1:0]   a2_waddr_e;   wire [A2B-1:0]  a2_wdata_e;
    wire              o2_re_e;    wire [OW-1:0]   o2_raddr_e;   wire [OB-1:0]   o2_rdata;
    wire              o2_we_e;    wire [OW-1:0]   o2_waddr_e;   wire [OB-1:0]   o2_wdata_e;
    wire              lut_re_e;   wire [L-1:0]    lut_raddr_e;  wire [OB-1:0]   lut_rdata;
    wire [31:0]       lfsr1_q, lfsr2_q;
    wire [OW-1:0]     pred_q;
    wire cs_pos, cs_add1, cs_tanh, cs_upd1, cs_lfsr1, cs_mac, cs_upd2, cs_lfsr2;
    wire cs_events = a_valid && !a_eos && conv_ev_ready;

    assign spk_re_e    = cspk_re | fspk_re;
    assign spk_raddr_e = cspk_raddr | fspk_raddr;

    // ---- cores -----------------------------------------------------------------------------------
    conv_core #(.W(W), .CIN(CIN), .C(C), .K(K), .S(S), .PAD(PAD), .O(O), .POOL(POOL), .Q(Q),
                .WC(WC), .PB(PB), .THETA(THETA), .XW(XW), .KAW(KAW), .PAW(PAW), .SAW(SAW)) u_conv (
        .clk(clk), .rst(rst), .go_clear(go_clear), .ev_enable(ev_enable), .busy(conv_busy),
        .ev_valid(a_valid && !a_eos), .ev_ready(conv_ev_ready), .ev_x(a_x), .ev_y(a_y), .ev_ci(a_p),
        .kern_re(kern_re_e), .kern_raddr(kern_raddr_e), .kern_rdata(kern_rdata),
        .pot_re(pot_re_e), .pot_raddr(pot_raddr_e), .pot_rdata(pot_rdata),
        .pot_we(pot_we_e), .pot_waddr(pot_waddr_e), .pot_wdata(pot_wdata_e),
        .spk_re(cspk_re), .spk_raddr(cspk_raddr), .spk_rdata(spk_rdata),
        .spk_we(spk_we_e), .spk_waddr(spk_waddr_e), .spk_wdata(spk_wdata_e),
        .cnt_pos(cs_pos));

    fc1_core #(.C(C), .Q(Q), .N1(N1), .W1B(W1B), .A1B(A1B), .YB(YB), .AS(AS), .BB(BB),
               .LR1(LR1), .RMODE(RMODE), .SEED_FC1(SEED_FC1), .LEARNING(LEARNING), .SAW(SAW),
               .W1AW(W1AW), .JW(JW), .LBW(OW)) u_fc1 (
        .clk(clk), .rst(rst), .go_clear(go_clear), .go_fwd(fc1_go_fwd), .go_tanh(fc1_go_tanh),
        .go_upd(fc1_go_upd), .label(label_q), .busy(fc1_busy),
        .spk_re(fspk_re), .spk_raddr(fspk_raddr), .spk_rdata(spk_rdata),
        .w_re(w1_re_e), .w_raddr(w1_raddr_e), .w_rdata(w1_rdata),
        .w_we(w1_we_e), .w_waddr(w1_waddr_e), .w_wdata(w1_wdata_e),
        .acc_re(a1_re_e), .acc_raddr(a1_raddr_e), .acc_rdata(a1_rdata),
        .acc_we(a1_we_e), .acc_waddr(a1_waddr_e), .acc_wdata(a1_wdata_e),
        .act_we(y1_we_e), .act_waddr(y1_waddr_e), .act_wdata(y1_wdata_e),
        .dact_re(d1_re_e), .dact_raddr(d1_raddr_e), .dact_rdata(d1_rdata),
        .dact_we(d1_we_e), .dact_waddr(d1_waddr_e), .dact_wdata(d1_wdata_e),
        .b_re(b_re_e), .b_raddr(b_raddr_e), .b_rdata(b_rdata),
        .lfsr_load(hw[12]), .lfsr_load_value(acc_wdata[31:0]), .lfsr_state(lfsr1_q),
        .cnt_add(cs_add1), .cnt_tanh(cs_tanh), .cnt_upd(cs_upd1), .cnt_lfsr(cs_lfsr1));

    fc2_core #(.N1(N1), .N2(N2), .YB(YB), .W2B(W2B), .A2B(A2B), .SS(SS), .L(L), .OB(OB),
               .LR2(LR2), .RMODE(RMODE), .SEED_FC2(SEED_FC2), .LEARNING(LEARNING), .JW(JW),
               .W2AW(W2AW), .OW(OW)) u_fc2 (
        .clk(clk), .rst(rst), .go_clear(go_clear), .go_fwd(fc2_go_fwd), .go_sig(fc2_go_sig),
        .go_upd(fc2_go_upd), .label(label_q), .busy(fc2_busy),
        .act_re(y1_re_e), .act_raddr(y1_raddr_e), .act_rdata(y1_rdata),
        .w_re(w2_re_e), .w_raddr(w2_raddr_e), .w_rdata(w2_rdata),
        .w_we(w2_we_e), .w_waddr(w2_waddr_e), .w_wdata(w2_wdata_e),
        .acc_re(a2_re_e), .acc_raddr(a2_raddr_e), .acc_rdata(a2_rdata),
        .acc_we(a2_we_e), .acc_waddr(a2_waddr_e), .acc_wdata(a2_wdata_e),
        .lut_re(lut_re_e), .lut_raddr(lut_raddr_e), .lut_rdata(lut_rdata),
        .out_re(o2_re_e), .out_raddr(o2_raddr_e), .out_rdata(o2_rdata),
        .out_we(o2_we_e), .out_waddr(o2_waddr_e), .out_wdata(o2_wdata_e),
        .pred_q(pred_q), .res_out_q(res_fc2_out),
        .lfsr_load(hw[13]), .lfsr_load_value(acc_wdata[31:0]), .lfsr_state(lfsr2_q),
        .cnt_mac(cs_mac), .cnt_upd(cs_upd2), .cnt_lfsr(cs_lfsr2));

    assign res_pred = pred_q;

    // ---- memories: engine ports OR host port ------------------------------------------------------
    sram #(.DEPTH(KD), .WIDTH(C*WC), .AW(KAW), .INIT_FILE(KERNEL_FILE)) u_conv_kernel (
        .clk(clk),
        .re(kern_re_e | hr[0]), .raddr(kern_raddr_e | (hr[0] ? acc_addr[KAW-1:0] : {KAW{1'b0}})),
        .rdata(kern_rdata),
        .we(hw[0]), .waddr(hw[0] ? acc_addr[KAW-1:0] : {KAW{1'b0}}),
        .wdata(hw[0] ? acc_wdata[C*WC-1:0] : {(C*WC){1'b0}}));

    sram #(.DEPTH(O*O), .WIDTH(C*PB), .AW(PAW)) u_conv_pot (
        .clk(clk),
        .re(pot_re_e | hr[1]), .raddr(pot_raddr_e | (hr[1] ? acc_addr[PAW-1:0] : {PAW{1'b0}})),
        .rdata(pot_rdata),
        .we(pot_we_e | hw[1]), .waddr(pot_waddr_e | (hw[1] ? acc_addr[PAW-1:0] : {PAW{1'b0}})),
        .wdata(pot_wdata_e | (hw[1] ? acc_wdata[C*PB-1:0] : {(C*PB){1'b0}})));

    sram #(.DEPTH(Q*Q), .WIDTH(C), .AW(SAW)) u_conv_spk (
        .clk(clk),
        .re(spk_re_e | hr[2]), .raddr(spk_raddr_e | (hr[2] ? acc_addr[SAW-1:0] : {SAW{1'b0}})),
        .rdata(spk_rdata),
        .we(spk_we_e | hw[2]), .waddr(spk_waddr_e | (hw[2] ? acc_addr[SAW-1:0] : {SAW{1'b0}})),
        .wdata(spk_wdata_e | (hw[2] ? acc_wdata[C-1:0] : {C{1'b0}})));

    sram #(.DEPTH(W1D), .WIDTH(W1B), .AW(W1AW), .INIT_FILE(FC1_W_FILE)) u_fc1_w (
        .clk(clk),
        .re(w1_re_e | hr[3]), .raddr(w1_raddr_e | (hr[3] ? acc_addr[W1AW-1:0] : {W1AW{1'b0}})),
        .rdata(w1_rdata),
        .we(w1_we_e | hw[3]), .waddr(w1_waddr_e | (hw[3] ? acc_addr[W1AW-1:0] : {W1AW{1'b0}})),
        .wdata(w1_wdata_e | (hw[3] ? acc_wdata[W1B-1:0] : {W1B{1'b0}})));

    sram #(.DEPTH(N1), .WIDTH(A1B), .AW(JW)) u_fc1_acc (
        .clk(clk),
        .re(a1_re_e | hr[4]), .raddr(a1_raddr_e | (hr[4] ? acc_addr[JW-1:0] : {JW{1'b0}})),
        .rdata(a1_rdata),
        .we(a1_we_e | hw[4]), .waddr(a1_waddr_e | (hw[4] ? acc_addr[JW-1:0] : {JW{1'b0}})),
        .wdata(a1_wdata_e | (hw[4] ? acc_wdata[A1B-1:0] : {A1B{1'b0}})));

    sram #(.DEPTH(N1), .WIDTH(YB), .AW(JW)) u_fc1_act (
        .clk(clk),
        .re(y1_re_e | hr[5]), .raddr(y1_raddr_e | (hr[5] ? acc_addr[JW-1:0] : {JW{1'b0}})),
        .rdata(y1_rdata),
        .we(y1_we_e | hw[5]), .waddr(y1_waddr_e | (hw[5] ? acc_addr[JW-1:0] : {JW{1'b0}})),
        .wdata(y1_wdata_e | (hw[5] ? acc_wdata[YB-1:0] : {YB{1'b0}})));

    sram #(.DEPTH(N1), .WIDTH(1), .AW(JW)) u_fc1_dact (
        .clk(clk),
        .re(d1_re_e | hr[6]), .raddr(d1_raddr_e | (hr[6] ? acc_addr[JW-1:0] : {JW{1'b0}})),
        .rdata(d1_rdata),
        .we(d1_we_e | hw[6]), .waddr(d1_waddr_e | (hw[6] ? acc_addr[JW-1:0] : {JW{1'b0}})),
        .wdata(d1_wdata_e | (hw[6] & acc_wdata[0])));

    generate
        if (LEARNING != 0) begin : g_blut
            sram #(.DEPTH(N2), .WIDTH(BW), .AW(OW), .INIT_FILE(B_LUT_FILE)) u_b_lut (
                .clk(clk),
                .re(b_re_e | hr[7]), .raddr(b_raddr_e | (hr[7] ? acc_addr[OW-1:0] : {OW{1'b0}})),
                .rdata(b_rdata),
                .we(hw[7]), .waddr(hw[7] ? acc_addr[OW-1:0] : {OW{1'b0}}),
                .wdata(hw[7] ? acc_wdata[BW-1:0] : {BW{1'b0}}));
        end else begin : g_no_blut
            assign b_rdata = {BW{1'b0}};
            wire unused_inf = &{1'b0, b_re_e, b_raddr_e, hr[7], hw[7]};
        end
    endgenerate

    sram #(.DEPTH(W2D), .WIDTH(W2B), .AW(W2AW), .INIT_FILE(FC2_W_FILE)) u_fc2_w (
        .clk(clk),
        .re(w2_re_e | hr[8]), .raddr(w2_raddr_e | (hr[8] ? acc_addr[W2AW-1:0] : {W2AW{1'b0}})),
        .rdata(w2_rdata),
        .we(w2_we_e | hw[8]), .waddr(w2_waddr_e | (hw[8] ? acc_addr[W2AW-1:0] : {W2AW{1'b0}})),
        .wdata(w2_wdata_e | (hw[8] ? acc_wdata[W2B-1:0] : {W2B{1'b0}})));

    sram #(.DEPTH(N2), .WIDTH(A2B), .AW(OW)) u_fc2_acc (
        .clk(clk),
        .re(a2_re_e | hr[9]), .raddr(a2_raddr_e | (hr[9] ? acc_addr[OW-1:0] : {OW{1'b0}})),
        .rdata(a2_rdata),
        .we(a2_we_e | hw[9]), .waddr(a2_waddr_e | (hw[9] ? acc_addr[OW-1:0] : {OW{1'b0}})),
        .wdata(a2_wdata_e | (hw[9] ? acc_wdata[A2B-1:0] : {A2B{1'b0}})));

    sram #(.DEPTH(N2), .WIDTH(OB), .AW(OW)) u_fc2_out (
        .clk(clk),
        .re(o2_re_e | hr[10]), .raddr(o2_raddr_e | (hr[10] ? acc_addr[OW-1:0] : {OW{1'b0}})),
        .rdata(o2_rdata),
        .we(o2_we_e | hw[10]), .waddr(o2_waddr_e | (hw[10] ? acc_addr[OW-1:0] : {OW{1'b0}})),
        .wdata(o2_wdata_e | (hw[10] ? acc_wdata[OB-1:0] : {OB{1'b0}})));

    sram #(.DEPTH(LD), .WIDTH(OB), .AW(L), .INIT_FILE(SIG_LUT_FILE)) u_sig_lut (
        .clk(clk),
        .re(lut_re_e | hr[11]), .raddr(lut_raddr_e | (hr[11] ? acc_addr[L-1:0] : {L{1'b0}})),
        .rdata(lut_rdata),
        .we(hw[11]), .waddr(hw[11] ? acc_addr[L-1:0] : {L{1'b0}}),
        .wdata(hw[11] ? acc_wdata[OB-1:0] : {OB{1'b0}}));

    // ---- access port read mux (memory ids: docs/rtl.md) ------------------------------------------
    always @(*) begin
        acc_rdata = {ACC_DW{1'b0}};
        case (sel_q)
            4'd0:  acc_rdata[C*WC-1:0] = kern_rdata;
            4'd1:  acc_rdata[C*PB-1:0] = pot_rdata;
            4'd2:  acc_rdata[C-1:0]    = spk_rdata;
            4'd3:  acc_rdata[W1B-1:0]  = w1_rdata;
            4'd4:  acc_rdata[A1B-1:0]  = a1_rdata;
            4'd5:  acc_rdata[YB-1:0]   = y1_rdata;
            4'd6:  acc_rdata[0]        = d1_rdata;
            4'd7:  acc_rdata[BW-1:0]   = b_rdata;
            4'd8:  acc_rdata[W2B-1:0]  = w2_rdata;
            4'd9:  acc_rdata[A2B-1:0]  = a2_rdata;
            4'd10: acc_rdata[OB-1:0]   = o2_rdata;
            4'd11: acc_rdata[OB-1:0]   = lut_rdata;
            4'd12: acc_rdata[31:0]     = lfsr1_q;
            4'd13: acc_rdata[31:0]     = lfsr2_q;
            4'd14: acc_rdata[OW-1:0]   = pred_q;
            default: acc_rdata = {ACC_DW{1'b0}};
        endcase
    end

    // the access port data bus is as wide as the widest word; narrower memories ignore the rest
    wire unused_ok = &{1'b0, hr[14:12], hw[14], acc_wdata};

`ifndef SYNTHESIS
    // ---- access counters of docs/spec.md §11 (simulation only) ------------------------------------
    // cnt_<name>_inf: inference phases (1-4, 6-7); cnt_<name>_lrn: learning phases (5, 8).
    // Counted from the engines' memory strobes and operation strobes (host accesses excluded);
    // cumulative since reset (the testbench takes differences).
    reg [63:0] cnt_events_inf, cnt_events_lrn;
    reg [63:0] cnt_conv_kernel_rd_inf, cnt_conv_kernel_rd_lrn;
    reg [63:0] cnt_conv_pot_rd_inf, cnt_conv_pot_rd_lrn;
    reg [63:0] cnt_conv_pot_wr_inf, cnt_conv_pot_wr_lrn;
    reg [63:0] cnt_conv_spk_rd_inf, cnt_conv_spk_rd_lrn;
    reg [63:0] cnt_conv_spk_wr_inf, cnt_conv_spk_wr_lrn;
    reg [63:0] cnt_conv_add_inf, cnt_conv_add_lrn;
    reg [63:0] cnt_conv_cmp_inf, cnt_conv_cmp_lrn;
    reg [63:0] cnt_fc1_w_rd_inf, cnt_fc1_w_rd_lrn;
    reg [63:0] cnt_fc1_w_wr_inf, cnt_fc1_w_wr_lrn;
    reg [63:0] cnt_fc1_acc_rd_inf, cnt_fc1_acc_rd_lrn;
    reg [63:0] cnt_fc1_acc_wr_inf, cnt_fc1_acc_wr_lrn;
    reg [63:0] cnt_fc1_add_inf, cnt_fc1_add_lrn;
    reg [63:0] cnt_fc1_act_wr_inf, cnt_fc1_act_wr_lrn;
    reg [63:0] cnt_fc1_act_rd_inf, cnt_fc1_act_rd_lrn;
    reg [63:0] cnt_tanh_op_inf, cnt_tanh_op_lrn;
    reg [63:0] cnt_b_lut_rd_inf, cnt_b_lut_rd_lrn;
    reg [63:0] cnt_fc1_upd_inf, cnt_fc1_upd_lrn;
    reg [63:0] cnt_fc2_w_rd_inf, cnt_fc2_w_rd_lrn;
    reg [63:0] cnt_fc2_w_wr_inf, cnt_fc2_w_wr_lrn;
    reg [63:0] cnt_fc2_acc_rd_inf, cnt_fc2_acc_rd_lrn;
    reg [63:0] cnt_fc2_acc_wr_inf, cnt_fc2_acc_wr_lrn;
    reg [63:0] cnt_fc2_mac_inf, cnt_fc2_mac_lrn;
    reg [63:0] cnt_sig_lut_rd_inf, cnt_sig_lut_rd_lrn;
    reg [63:0] cnt_fc2_out_wr_inf, cnt_fc2_out_wr_lrn;
    reg [63:0] cnt_fc2_out_rd_inf, cnt_fc2_out_rd_lrn;
    reg [63:0] cnt_fc2_upd_inf, cnt_fc2_upd_lrn;
    reg [63:0] cnt_lfsr_step_inf, cnt_lfsr_step_lrn;
    always @(posedge clk) begin
        if (rst) begin
            cnt_events_inf <= 64'd0; cnt_events_lrn <= 64'd0;
            cnt_conv_kernel_rd_inf <= 64'd0; cnt_conv_kernel_rd_lrn <= 64'd0;
            cnt_conv_pot_rd_inf <= 64'd0; cnt_conv_pot_rd_lrn <= 64'd0;
            cnt_conv_pot_wr_inf <= 64'd0; cnt_conv_pot_wr_lrn <= 64'd0;
            cnt_conv_spk_rd_inf <= 64'd0; cnt_conv_spk_rd_lrn <= 64'd0;
            cnt_conv_spk_wr_inf <= 64'd0; cnt_conv_spk_wr_lrn <= 64'd0;
            cnt_conv_add_inf <= 64'd0; cnt_conv_add_lrn <= 64'd0;
            cnt_conv_cmp_inf <= 64'd0; cnt_conv_cmp_lrn <= 64'd0;
            cnt_fc1_w_rd_inf <= 64'd0; cnt_fc1_w_rd_lrn <= 64'd0;
            cnt_fc1_w_wr_inf <= 64'd0; cnt_fc1_w_wr_lrn <= 64'd0;
            cnt_fc1_acc_rd_inf <= 64'd0; cnt_fc1_acc_rd_lrn <= 64'd0;
            cnt_fc1_acc_wr_inf <= 64'd0; cnt_fc1_acc_wr_lrn <= 64'd0;
            cnt_fc1_add_inf <= 64'd0; cnt_fc1_add_lrn <= 64'd0;
            cnt_fc1_act_wr_inf <= 64'd0; cnt_fc1_act_wr_lrn <= 64'd0;
            cnt_fc1_act_rd_inf <= 64'd0; cnt_fc1_act_rd_lrn <= 64'd0;
            cnt_tanh_op_inf <= 64'd0; cnt_tanh_op_lrn <= 64'd0;
            cnt_b_lut_rd_inf <= 64'd0; cnt_b_lut_rd_lrn <= 64'd0;
            cnt_fc1_upd_inf <= 64'd0; cnt_fc1_upd_lrn <= 64'd0;
            cnt_fc2_w_rd_inf <= 64'd0; cnt_fc2_w_rd_lrn <= 64'd0;
            cnt_fc2_w_wr_inf <= 64'd0; cnt_fc2_w_wr_lrn <= 64'd0;
            cnt_fc2_acc_rd_inf <= 64'd0; cnt_fc2_acc_rd_lrn <= 64'd0;
            cnt_fc2_acc_wr_inf <= 64'd0; cnt_fc2_acc_wr_lrn <= 64'd0;
            cnt_fc2_mac_inf <= 64'd0; cnt_fc2_mac_lrn <= 64'd0;
            cnt_sig_lut_rd_inf <= 64'd0; cnt_sig_lut_rd_lrn <= 64'd0;
            cnt_fc2_out_wr_inf <= 64'd0; cnt_fc2_out_wr_lrn <= 64'd0;
            cnt_fc2_out_rd_inf <= 64'd0; cnt_fc2_out_rd_lrn <= 64'd0;
            cnt_fc2_upd_inf <= 64'd0; cnt_fc2_upd_lrn <= 64'd0;
            cnt_lfsr_step_inf <= 64'd0; cnt_lfsr_step_lrn <= 64'd0;
        end else begin
            if (cs_events) begin if (learn_phase) cnt_events_lrn <= cnt_events_lrn + CNT_1; else cnt_events_inf <= cnt_events_inf + CNT_1; end
            if (kern_re_e) begin if (learn_phase) cnt_conv_kernel_rd_lrn <= cnt_conv_kernel_rd_lrn + CNT_1; else cnt_conv_kernel_rd_inf <= cnt_conv_kernel_rd_inf + CNT_1; end
            if (pot_re_e) begin if (learn_phase) cnt_conv_pot_rd_lrn <= cnt_conv_pot_rd_lrn + CNT_1; else cnt_conv_pot_rd_inf <= cnt_conv_pot_rd_inf + CNT_1; end
            if (pot_we_e) begin if (learn_phase) cnt_conv_pot_wr_lrn <= cnt_conv_pot_wr_lrn + CNT_1; else cnt_conv_pot_wr_inf <= cnt_conv_pot_wr_inf + CNT_1; end
            if (spk_re_e) begin if (learn_phase) cnt_conv_spk_rd_lrn <= cnt_conv_spk_rd_lrn + CNT_1; else cnt_conv_spk_rd_inf <= cnt_conv_spk_rd_inf + CNT_1; end
            if (spk_we_e) begin if (learn_phase) cnt_conv_spk_wr_lrn <= cnt_conv_spk_wr_lrn + CNT_1; else cnt_conv_spk_wr_inf <= cnt_conv_spk_wr_inf + CNT_1; end
            if (cs_pos) begin if (learn_phase) cnt_conv_add_lrn <= cnt_conv_add_lrn + CNT_C; else cnt_conv_add_inf <= cnt_conv_add_inf + CNT_C; end
            if (cs_pos) begin if (learn_phase) cnt_conv_cmp_lrn <= cnt_conv_cmp_lrn + CNT_C; else cnt_conv_cmp_inf <= cnt_conv_cmp_inf + CNT_C; end
            if (w1_re_e) begin if (learn_phase) cnt_fc1_w_rd_lrn <= cnt_fc1_w_rd_lrn + CNT_1; else cnt_fc1_w_rd_inf <= cnt_fc1_w_rd_inf + CNT_1; end
            if (w1_we_e) begin if (learn_phase) cnt_fc1_w_wr_lrn <= cnt_fc1_w_wr_lrn + CNT_1; else cnt_fc1_w_wr_inf <= cnt_fc1_w_wr_inf + CNT_1; end
            if (a1_re_e) begin if (learn_phase) cnt_fc1_acc_rd_lrn <= cnt_fc1_acc_rd_lrn + CNT_1; else cnt_fc1_acc_rd_inf <= cnt_fc1_acc_rd_inf + CNT_1; end
            if (a1_we_e) begin if (learn_phase) cnt_fc1_acc_wr_lrn <= cnt_fc1_acc_wr_lrn + CNT_1; else cnt_fc1_acc_wr_inf <= cnt_fc1_acc_wr_inf + CNT_1; end
            if (cs_add1) begin if (learn_phase) cnt_fc1_add_lrn <= cnt_fc1_add_lrn + CNT_1; else cnt_fc1_add_inf <= cnt_fc1_add_inf + CNT_1; end
            if (y1_we_e) begin if (learn_phase) cnt_fc1_act_wr_lrn <= cnt_fc1_act_wr_lrn + CNT_1; else cnt_fc1_act_wr_inf <= cnt_fc1_act_wr_inf + CNT_1; end
            if (y1_re_e) begin if (learn_phase) cnt_fc1_act_rd_lrn <= cnt_fc1_act_rd_lrn + CNT_1; else cnt_fc1_act_rd_inf <= cnt_fc1_act_rd_inf + CNT_1; end
            if (cs_tanh) begin if (learn_phase) cnt_tanh_op_lrn <= cnt_tanh_op_lrn + CNT_1; else cnt_tanh_op_inf <= cnt_tanh_op_inf + CNT_1; end
            if (b_re_e) begin if (learn_phase) cnt_b_lut_rd_lrn <= cnt_b_lut_rd_lrn + CNT_1; else cnt_b_lut_rd_inf <= cnt_b_lut_rd_inf + CNT_1; end
            if (cs_upd1) begin if (learn_phase) cnt_fc1_upd_lrn <= cnt_fc1_upd_lrn + CNT_1; else cnt_fc1_upd_inf <= cnt_fc1_upd_inf + CNT_1; end
            if (w2_re_e) begin if (learn_phase) cnt_fc2_w_rd_lrn <= cnt_fc2_w_rd_lrn + CNT_1; else cnt_fc2_w_rd_inf <= cnt_fc2_w_rd_inf + CNT_1; end
            if (w2_we_e) begin if (learn_phase) cnt_fc2_w_wr_lrn <= cnt_fc2_w_wr_lrn + CNT_1; else cnt_fc2_w_wr_inf <= cnt_fc2_w_wr_inf + CNT_1; end
            if (a2_re_e) begin if (learn_phase) cnt_fc2_acc_rd_lrn <= cnt_fc2_acc_rd_lrn + CNT_1; else cnt_fc2_acc_rd_inf <= cnt_fc2_acc_rd_inf + CNT_1; end
            if (a2_we_e) begin if (learn_phase) cnt_fc2_acc_wr_lrn <= cnt_fc2_acc_wr_lrn + CNT_1; else cnt_fc2_acc_wr_inf <= cnt_fc2_acc_wr_inf + CNT_1; end
            if (cs_mac) begin if (learn_phase) cnt_fc2_mac_lrn <= cnt_fc2_mac_lrn + CNT_1; else cnt_fc2_mac_inf <= cnt_fc2_mac_inf + CNT_1; end
            if (lut_re_e) begin if (learn_phase) cnt_sig_lut_rd_lrn <= cnt_sig_lut_rd_lrn + CNT_1; else cnt_sig_lut_rd_inf <= cnt_sig_lut_rd_inf + CNT_1; end
            if (o2_we_e) begin if (learn_phase) cnt_fc2_out_wr_lrn <= cnt_fc2_out_wr_lrn + CNT_1; else cnt_fc2_out_wr_inf <= cnt_fc2_out_wr_inf + CNT_1; end
            if (o2_re_e) begin if (learn_phase) cnt_fc2_out_rd_lrn <= cnt_fc2_out_rd_lrn + CNT_1; else cnt_fc2_out_rd_inf <= cnt_fc2_out_rd_inf + CNT_1; end
            if (cs_upd2) begin if (learn_phase) cnt_fc2_upd_lrn <= cnt_fc2_upd_lrn + CNT_1; else cnt_fc2_upd_inf <= cnt_fc2_upd_inf + CNT_1; end
            if (cs_lfsr1 | cs_lfsr2) begin if (learn_phase) cnt_lfsr_step_lrn <= cnt_lfsr_step_lrn + CNT_1; else cnt_lfsr_step_inf <= cnt_lfsr_step_inf + CNT_1; end
        end
    end
`endif
endmodule
