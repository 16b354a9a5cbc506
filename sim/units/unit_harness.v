// unit_harness: simulation-only wrapper exposing the datapath blocks of rtl/ to the cocotb unit
// tests (sim/units/tb_units.py) in one build: tanh_unit, sigmoid_unit, lfsr32, round_shift in the
// three modes (two shifts), drtp_update, out_update, sram (8 x 8, 1rw and 1r1w on the same inputs)
// and clock_gate.
module unit_harness #(
    parameter integer A1B = 16, parameter integer YB = 8, parameter integer AS = 2,
    parameter integer A2B = 20, parameter integer SS = 10, parameter integer L = 6,
    parameter integer RS_IW = 12, parameter integer RS_S = 3,
    parameter integer W1B = 8, parameter integer BB = 2, parameter integer LR1 = 3,
    parameter integer W2B = 8, parameter integer OB = 8, parameter integer LR2 = 15,
    parameter integer RMODE = 2,
    parameter [31:0] SEED = 32'd1
) (
    input  wire                    clk,
    input  wire                    rst,
    // tanh_unit
    input  wire signed [A1B-1:0]   th_acc,
    output wire signed [YB-1:0]    th_act,
    output wire                    th_dact,
    // sigmoid_unit
    input  wire signed [A2B-1:0]   sg_acc,
    output wire        [L-1:0]     sg_addr,
    // lfsr32
    input  wire                    lf_step,
    input  wire                    lf_load,
    input  wire        [31:0]      lf_load_value,
    output wire        [31:0]      lf_state,
    output wire        [31:0]      lf_next,
    // round_shift (shift RS_S and 0, modes 0/1/2)
    input  wire signed [RS_IW-1:0] rs_u,
    input  wire        [31:0]      rs_r,
    output wire signed [RS_IW:0]   rs_t, rs_n, rs_s, rs_t0, rs_n0, rs_s0,
    // drtp_update
    input  wire signed [W1B-1:0]   du_w,
    input  wire signed [BB-1:0]    du_r,
    input  wire        [31:0]      du_rnd,
    output wire signed [W1B-1:0]   du_w_new,
    // out_update
    input  wire signed [W2B-1:0]   ou_w,
    input  wire signed [OB:0]      ou_e,
    input  wire signed [YB-1:0]    ou_y,
    input  wire        [31:0]      ou_rnd,
    output wire signed [W2B-1:0]   ou_w_new,
    // sram: a 1rw and a 1r1w macro of 8 words x 8 bits driven by the same inputs
    input  wire                    sr_re,
    input  wire        [2:0]       sr_raddr,
    input  wire                    sr_we,
    input  wire        [2:0]       sr_waddr,
    input  wire        [7:0]       sr_wdata,
    output wire        [7:0]       sr_rdata_rw,
    output wire        [7:0]       sr_rdata_2p,
    output wire                    sr_conflict_rw,
    output wire                    sr_conflict_2p,
    // clock_gate
    input  wire                    cg_en,
    output wire                    cg_gclk
);
    tanh_unit #(.A1B(A1B), .YB(YB), .AS(AS)) u_tanh (.acc(th_acc), .act(th_act), .dact(th_dact));
    sigmoid_unit #(.A2B(A2B), .SS(SS), .L(L)) u_sig (.acc(sg_acc), .addr(sg_addr));
    lfsr32 #(.SEED(SEED)) u_lfsr (.clk(clk), .rst(rst), .step(lf_step), .load(lf_load),
        .load_value(lf_load_value), .state_q(lf_state), .next(lf_next));
    round_shift #(.IW(RS_IW), .SHIFT(RS_S), .MODE(0)) u_rt (.u(rs_u), .r(rs_r), .y(rs_t));
    round_shift #(.IW(RS_IW), .SHIFT(RS_S), .MODE(1)) u_rn (.u(rs_u), .r(rs_r), .y(rs_n));
    round_shift #(.IW(RS_IW), .SHIFT(RS_S), .MODE(2)) u_rs (.u(rs_u), .r(rs_r), .y(rs_s));
    round_shift #(.IW(RS_IW), .SHIFT(0), .MODE(0)) u_rt0 (.u(rs_u), .r(rs_r), .y(rs_t0));
    round_shift #(.IW(RS_IW), .SHIFT(0), .MODE(1)) u_rn0 (.u(rs_u), .r(rs_r), .y(rs_n0));
    round_shift #(.IW(RS_IW), .SHIFT(0), .MODE(2)) u_rs0 (.u(rs_u), .r(rs_r), .y(rs_s0));
    drtp_update #(.W1B(W1B), .BB(BB), .LR1(LR1), .RMODE(RMODE)) u_drtp (
        .w(du_w), .r(du_r), .rnd(du_rnd), .w_new(du_w_new));
    out_update #(.W2B(W2B), .OB(OB), .YB(YB), .LR2(LR2), .RMODE(RMODE)) u_out (
        .w(ou_w), .e(ou_e), .y(ou_y), .rnd(ou_rnd), .w_new(ou_w_new));
    sram #(.DEPTH(8), .WIDTH(8), .PORTS(1)) u_sr_rw (.clk(clk), .re(sr_re), .raddr(sr_raddr),
        .rdata(sr_rdata_rw), .we(sr_we), .waddr(sr_waddr), .wdata(sr_wdata));
    sram #(.DEPTH(8), .WIDTH(8), .PORTS(0)) u_sr_2p (.clk(clk), .re(sr_re), .raddr(sr_raddr),
        .rdata(sr_rdata_2p), .we(sr_we), .waddr(sr_waddr), .wdata(sr_wdata));
    assign sr_conflict_rw = u_sr_rw.conflict_q;
    assign sr_conflict_2p = u_sr_2p.conflict_q;
    clock_gate u_cg (.clk(clk), .en(cg_en), .gclk(cg_gclk));
endmodule
