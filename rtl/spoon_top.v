// spoon_top: the event-driven convolutional processor with on-chip DRTP learning, for a stack
// of NH >= 0 hidden layers and one output layer (docs/spec.md §15).
//
// Blocks (one file each): aer_in -> conv_core -> fc_layer x (NH + 1), sequenced by controller.
// FC layer k = 1..NH+1 is generate block g_fc[k-1]: one fc_layer instance (hidden for k <= NH,
// output for k = NH+1; binary spike-map inputs for k = 1, dense activations of layer k-1
// otherwise) and its memories. Every memory of docs/spec.md §10 / §15 is an sram instance (a
// layer's weight memory a wmem of FC_BANKS banks). Each FC layer has the organisation of spec §16:
// FC_LANES units per cycle (lane words in fc{k}_w, fc{k}_acc, fc{k}_dact; one LFSR per lane) and
// a weight memory of FC_BANKS banks of FC_PORTS macros (0 "1r1w", 1 "1rw"). All sizes come from
// hwmodel.hw.rtlgen (the parameters below; defaults = the spoon preset). LEARNING = 0 removes the
// learning hardware (B LUTs, update datapaths, LFSRs, error registers, the layers' weight-write
// paths); FC_LEARN = 0 for one layer removes that layer's (its config's learn = false, spec §15:
// the controller skips its update phase).
//
// Reset rule: one synchronous, active-high reset `rst` for every register of the design
// (sampled on the rising edge of clk). Memories (sram) are not reset: the clear phase of each
// sample zeroes the potentials and accumulators, weights/ROMs are loaded by the host. The
// simulation-only checkers (counters, port_conflict) are inside `ifndef SYNTHESIS.
//
// Memory ports are OR-buses: every engine drives all-zero enables/addresses/data on the ports it
// is not using, so the top ORs them. The host access port is a request/ready port: a request
// (acc_en) is performed in a cycle with acc_ready = 1, i.e. while the processor is idle
// (busy = 0); while busy, acc_ready = 0 and the request waits (the host holds it). acc_sel picks
// a memory id (docs/rtl.md), acc_we = 1 writes acc_wdata (low bits), acc_we = 0 reads:
// acc_rdata is valid in the cycle after the read is performed and holds until the next read
// (memories; a lane LFSR register is read live, so a write to it shows at once).
//
// Parameters: only the primary ones below are set from outside (hwmodel.hw.rtlgen). The FC layers
// are described by packed vectors with one 16-bit field per FC layer, field k-1 = layer k at bits
// [16(k-1), 16(k-1)+16) (the output layer is field NH); the hidden-only fields (FC_YB, FC_AS,
// FC_BB) of the output layer are ignored. O, Q, N_IN, the LFSR seeds and every width are derived
// here. An illegal combination stops elaboration: the generate blocks g_bad_* instantiate a
// module that does not exist, named after the rule (e.g. "illegal_parameter_PB_range"), so all
// three tools (Verilator, Icarus, Yosys) stop and name it.
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
    parameter integer NH       = 1,        // hidden layers (0: the output layer reads the spikes)
    parameter [16*NH+15:0] FC_N  = {16'd10, 16'd128},   // units per FC layer
    parameter [16*NH+15:0] FC_WB = {16'd8, 16'd8},      // weight bits
    parameter [16*NH+15:0] FC_AB = {16'd20, 16'd16},    // accumulator bits
    parameter [16*NH+15:0] FC_YB = {16'd0, 16'd8},      // hidden: activation bits
    parameter [16*NH+15:0] FC_AS = {16'd0, 16'd0},      // hidden: hard-tanh input shift
    parameter [16*NH+15:0] FC_BB = {16'd0, 16'd2},      // hidden: B entry bits
    parameter [16*NH+15:0] FC_LR = {16'd15, 16'd3},     // learning-rate shift
    parameter [16*NH+15:0] FC_LANES = {16'd10, 16'd16}, // lanes P (units per cycle), 1..N
    parameter [16*NH+15:0] FC_BANKS = {16'd1, 16'd2},   // banks of fc{k}_w (power of two)
    parameter [16*NH+15:0] FC_PORTS = {16'd1, 16'd1},   // ports of fc{k}_w: 0 "1r1w", 1 "1rw"
    parameter [16*NH+15:0] FC_LEARN = {16'd1, 16'd1},   // 1: the layer learns, 0: it keeps its weights
    parameter integer SS       = 11,       // output: sigmoid input shift
    parameter integer L        = 6,        // output: sigmoid LUT index bits
    parameter integer OB       = 8,        // output: sigmoid output bits
    parameter integer RMODE    = 2,        // rounding: 0 truncate, 1 nearest, 2 stochastic
    parameter [31:0]  SEED     = 32'd0,    // master seed (spec §3): LFSR seeds are derived
    parameter integer LEARNING = 1,        // 0 removes the learning hardware
    parameter         MEM_DIR  = "",       // folder of the $readmemh files ("": not initialised)
    parameter integer CLOCK_GATE = 0,      // flip-flop memories' clock gating (sram.v): 0 none, 1 per word, 2 per memory
    // derived (do not override)
    parameter integer NL     = NH + 1,
    parameter integer O      = (S > 0) ? (W + 2 * PAD - K) / S + 1 : 1,
    parameter integer Q      = (POOL > 0) ? O / POOL : 1,
    parameter integer XW     = (W > 1) ? $clog2(W) : 1,
    parameter integer NO     = f_n(NH),
    parameter integer OW     = (NO > 1) ? $clog2(NO) : 1,
    parameter integer N_IN   = Q * Q * C,
    parameter integer KD     = CIN * K * K,
    parameter integer KAW    = (KD > 1) ? $clog2(KD) : 1,
    parameter integer PAW    = (O * O > 1) ? $clog2(O * O) : 1,
    parameter integer SAW    = (Q * Q > 1) ? $clog2(Q * Q) : 1,
    parameter integer ACC_AW = f_acc_aw(0),
    parameter integer ACC_DW = f_acc_dw(0),
    parameter integer NCNT   = 19 + 10 * NH    // counters: hwmodel.spec.counters.counter_names(NH)
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
    output wire [NO*OB-1:0]      res_out,
    // ---- host: memory access port -------------------------------------------------------------
    input  wire                  acc_en,
    input  wire                  acc_we,
    input  wire [7:0]            acc_sel,
    input  wire [ACC_AW-1:0]     acc_addr,
    input  wire [ACC_DW-1:0]     acc_wdata,
    output wire                  acc_ready,
    output reg  [ACC_DW-1:0]     acc_rdata
);
    // ---- the layer list: field g of each vector is FC layer k = g + 1 -----------------------------
    // Constant functions, evaluated at elaboration only: no hardware, so not in the coverage
    // count (sim/coverage.py).
    /* verilator coverage_off */
    function integer f_n(input integer g);
        f_n = {16'd0, FC_N[16*g +: 16]};
    endfunction
    function integer f_wb(input integer g);
        f_wb = {16'd0, FC_WB[16*g +: 16]};
    endfunction
    function integer f_ab(input integer g);
        f_ab = {16'd0, FC_AB[16*g +: 16]};
    endfunction
    function integer f_yb(input integer g);
        f_yb = {16'd0, FC_YB[16*g +: 16]};
    endfunction
    function integer f_as(input integer g);
        f_as = {16'd0, FC_AS[16*g +: 16]};
    endfunction
    function integer f_bb(input integer g);
        f_bb = {16'd0, FC_BB[16*g +: 16]};
    endfunction
    function integer f_lr(input integer g);
        f_lr = {16'd0, FC_LR[16*g +: 16]};
    endfunction
    function integer f_p(input integer g);
        f_p = {16'd0, FC_LANES[16*g +: 16]};
    endfunction
    function integer f_bk(input integer g);
        f_bk = {16'd0, FC_BANKS[16*g +: 16]};
    endfunction
    function integer f_pt(input integer g);
        f_pt = {16'd0, FC_PORTS[16*g +: 16]};
    endfunction
    function integer f_lrn(input integer g);
        f_lrn = {16'd0, FC_LEARN[16*g +: 16]};
    endfunction
    // the layers whose update phase runs on a learning sample (bit g: layer g + 1; NL <= 17)
    function integer f_lmask(input integer dummy);
        integer g;
        begin
            f_lmask = dummy;
            for (g = 0; g < NL; g = g + 1)
                if (LEARNING != 0 && f_lrn(g) != 0) f_lmask = f_lmask | (1 << g);
        end
    endfunction
    // groups of layer g + 1: ceil(N / P) (an illegal P = 0 counts as 1: g_bad_p stops it)
    function integer f_grp(input integer g);
        f_grp = (f_n(g) + ((f_p(g) > 0) ? f_p(g) : 1) - 1) / ((f_p(g) > 0) ? f_p(g) : 1);
    endfunction
    function integer f_clog2(input integer v);        // address bits of v words, at least 1
        f_clog2 = (v > 1) ? $clog2(v) : 1;
    endfunction
    // inputs of layer g + 1 without the bias: the spike map for the first, else the units before
    function integer f_ni(input integer g);
        f_ni = (g == 0) ? N_IN : f_n((g == 0) ? 0 : g - 1);
    endfunction
    // access-port width: the widest address / word of any memory
    function integer f_acc_aw(input integer dummy);
        integer g, m;
        begin
            m = dummy;
            if (f_clog2(CIN * K * K) > m) m = f_clog2(CIN * K * K);
            if (f_clog2(O * O) > m) m = f_clog2(O * O);
            if (L > m) m = L;
            for (g = 0; g <= NH; g = g + 1)
                if (f_clog2((f_ni(g) + 1) * f_grp(g)) > m) m = f_clog2((f_ni(g) + 1) * f_grp(g));
            f_acc_aw = m;
        end
    endfunction
    function integer f_acc_dw(input integer dummy);
        integer g, m;
        begin
            m = 40 + dummy;                               // accumulators up to 40 bits, LFSRs 32
            if (C * WC > m) m = C * WC;
            if (C * PB > m) m = C * PB;
            for (g = 0; g < NH; g = g + 1)
                if (f_n(g) * f_bb(g) > m) m = f_n(g) * f_bb(g);
            for (g = 0; g <= NH; g = g + 1) begin     // lane words: P weights, accumulators
                if (f_p(g) * f_wb(g) > m) m = f_p(g) * f_wb(g);
                if (f_p(g) * f_ab(g) > m) m = f_p(g) * f_ab(g);
            end
            f_acc_dw = m;
        end
    endfunction
    /* verilator coverage_on */

    localparam integer LW   = (NL > 1) ? $clog2(NL) : 1;
    localparam integer LD   = 1 << L;
    localparam integer CI   = 6;                  // counter index of conv_add (conv_cmp: 7)
    localparam integer CLF  = NCNT - 2;           // counter index of lfsr_step
    localparam integer CCY  = NCNT - 1;           // counter index of cycles
    // access-port ids and LFSR streams: the one table of hwmodel/spec/ids.py (docs/rtl.md)
    `include "spoon_ids.vh"

    // ---- parameter checks (spec §2, §15 legal ranges): elaboration stops on an illegal set ------
    generate
        if (W < 1 || W > 256)                  begin : g_bad_w    illegal_parameter_W_range u_stop (); end
        if (CLOCK_GATE < 0 || CLOCK_GATE > 2)  begin : g_bad_cg   illegal_parameter_CLOCK_GATE_range u_stop (); end
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
        if (NH < 0 || NH > 16)                 begin : g_bad_nh   illegal_parameter_NH_range u_stop (); end
        if (SS < 0 || SS > f_ab(NH) - 1)       begin : g_bad_ss   illegal_parameter_SS_range u_stop (); end
        if (L < 2 || L > 12)                   begin : g_bad_l    illegal_parameter_L_range u_stop (); end
        if (OB < 2 || OB > 16)                 begin : g_bad_ob   illegal_parameter_OB_range u_stop (); end
        if (RMODE < 0 || RMODE > 2)            begin : g_bad_rm   illegal_parameter_RMODE_range u_stop (); end
        if (LEARNING < 0 || LEARNING > 1)      begin : g_bad_lrn  illegal_parameter_LEARNING_range u_stop (); end
    endgenerate

    // ---- host access decode ----------------------------------------------------------------------
    assign acc_ready = !busy;
    wire h_rd = acc_en && !acc_we && acc_ready;
    wire h_wr = acc_en &&  acc_we && acc_ready;
    reg  [7:0]        sel_q;
    reg  [ACC_AW-1:0] addr_q;                    // address of the last read (LFSR lane select)
    always @(posedge clk) begin
        if (rst) begin
            sel_q <= 8'd0; addr_q <= {ACC_AW{1'b0}};
        end else if (h_rd) begin
            sel_q <= acc_sel; addr_q <= acc_addr;
        end
    end

    // ---- controller ----------------------------------------------------------------------------
    wire          conv_busy, go_clear, ev_enable, learn_phase;
    wire [NL-1:0] fc_busy, go_fwd, go_act, go_upd;
    wire [OW-1:0] label_q;
    wire a_valid, a_ready, a_p, a_eos;
    wire [XW-1:0] a_x, a_y;
    wire eos_ready, conv_ev_ready;

    controller #(.LEARNING(LEARNING), .OW(OW), .NL(NL), .LW(LW), .LMASK(f_lmask(0))) u_ctrl (
        .clk(clk), .rst(rst),
        .start_valid(start_valid), .start_ready(start_ready), .start_label(start_label),
        .start_learn(start_learn), .done(done), .busy(busy),
        .eos_valid(a_valid && a_eos), .eos_ready(eos_ready),
        .conv_busy(conv_busy), .fc_busy(fc_busy),
        .go_clear(go_clear), .ev_enable(ev_enable),
        .go_fwd(go_fwd), .go_act(go_act), .go_upd(go_upd),
        .label_q(label_q), .learn_phase(learn_phase));

    // ---- aer_in ------------------------------------------------------------------------------------
    assign a_ready = a_eos ? eos_ready : conv_ev_ready;
    aer_in #(.W(W), .XW(XW)) u_aer (
        .clk(clk), .rst(rst),
        .in_valid(ev_valid), .in_ready(ev_ready), .in_x(ev_x), .in_y(ev_y), .in_p(ev_p),
        .in_eos(ev_eos),
        .out_valid(a_valid), .out_ready(a_ready), .out_x(a_x), .out_y(a_y), .out_p(a_p),
        .out_eos(a_eos), .enable(ev_enable), .clr_err(start_valid && start_ready), .err_q(ev_err));

    // ---- conv front end: core and memories ---------------------------------------------------------
    wire              kern_re_e;  wire [KAW-1:0]  kern_raddr_e; wire [C*WC-1:0] kern_rdata;
    wire              pot_re_e;   wire [PAW-1:0]  pot_raddr_e;  wire [C*PB-1:0] pot_rdata;
    wire              pot_we_e;   wire [PAW-1:0]  pot_waddr_e;  wire [C*PB-1:0] pot_wdata_e;
    wire              cspk_re;    wire [SAW-1:0]  cspk_raddr;
    wire              spk_re_e;   wire [SAW-1:0]  spk_raddr_e;  wire [C-1:0]    spk_rdata;
    wire              spk_we_e;   wire [SAW-1:0]  spk_waddr_e;  wire [C-1:0]    spk_wdata_e;
    wire cs_pos;
    wire cs_events = a_valid && !a_eos && conv_ev_ready;
    wire hr_kern = h_rd && (acc_sel == ID_KERN), hw_kern = h_wr && (acc_sel == ID_KERN);
    wire hr_pot  = h_rd && (acc_sel == ID_POT),  hw_pot  = h_wr && (acc_sel == ID_POT);
    wire hr_spk  = h_rd && (acc_sel == ID_SPK),  hw_spk  = h_wr && (acc_sel == ID_SPK);

    // inter-layer buses, one 32-bit slot per FC layer g: the layer's input read request (slot 0:
    // the spike-map scan of layer 1, slot g >= 1: a read of fc{g}_act) and the read data of
    // fc{g+1}_act (hidden layers; slot NH unused)
    wire [NL-1:0]    xr_re;
    wire [32*NL-1:0] xr_addr;
    wire [32*NL-1:0] act_rd;

    assign spk_re_e    = cspk_re | xr_re[0];
    assign spk_raddr_e = cspk_raddr | xr_addr[SAW-1:0];

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

    localparam KFILE = (MEM_DIR == "") ? "" : {MEM_DIR, "/conv_kernel.hex"};
    // the conv memories are single-port (1rw) macros: the scatter's read and write cycles
    // alternate, the clear only writes, layer 1's scan only reads (docs/rtl.md, "Lanes, banks
    // and ports")
    sram #(.DEPTH(KD), .WIDTH(C*WC), .AW(KAW), .PORTS(1), .INIT_FILE(KFILE), .CLOCK_GATE(CLOCK_GATE)) u_conv_kernel (
        .clk(clk),
        .re(kern_re_e | hr_kern), .raddr(kern_raddr_e | (hr_kern ? acc_addr[KAW-1:0] : {KAW{1'b0}})),
        .rdata(kern_rdata),
        .we(hw_kern), .waddr(hw_kern ? acc_addr[KAW-1:0] : {KAW{1'b0}}),
        .wdata(hw_kern ? acc_wdata[C*WC-1:0] : {(C*WC){1'b0}}));

    sram #(.DEPTH(O*O), .WIDTH(C*PB), .AW(PAW), .PORTS(1), .CLOCK_GATE(CLOCK_GATE)) u_conv_pot (
        .clk(clk),
        .re(pot_re_e | hr_pot), .raddr(pot_raddr_e | (hr_pot ? acc_addr[PAW-1:0] : {PAW{1'b0}})),
        .rdata(pot_rdata),
        .we(pot_we_e | hw_pot), .waddr(pot_waddr_e | (hw_pot ? acc_addr[PAW-1:0] : {PAW{1'b0}})),
        .wdata(pot_wdata_e | (hw_pot ? acc_wdata[C*PB-1:0] : {(C*PB){1'b0}})));

    sram #(.DEPTH(Q*Q), .WIDTH(C), .AW(SAW), .PORTS(1), .CLOCK_GATE(CLOCK_GATE)) u_conv_spk (
        .clk(clk),
        .re(spk_re_e | hr_spk), .raddr(spk_raddr_e | (hr_spk ? acc_addr[SAW-1:0] : {SAW{1'b0}})),
        .rdata(spk_rdata),
        .we(spk_we_e | hw_spk), .waddr(spk_waddr_e | (hw_spk ? acc_addr[SAW-1:0] : {SAW{1'b0}})),
        .wdata(spk_wdata_e | (hw_spk ? acc_wdata[C-1:0] : {C{1'b0}})));

    // ---- the FC layers ------------------------------------------------------------------------------
    wire [NL*ACC_DW-1:0] rd_layer;                // access-port read data of each layer's memories
    // counter increments of this cycle, counter_names(NH) order, 32 bits each (a layer's adds,
    // updates and LFSR steps count lanes: up to P per cycle; word strobes count 1)
    wire [32*NCNT-1:0]   cinc;
    wire [16*NL-1:0]     lfsr_steps;              // per layer: lane LFSR steps of this cycle
    wire [OW-1:0]        pred_q;
`ifndef SYNTHESIS
    wire [NL-1:0]        conflict_l;              // per layer: a 1rw macro saw a read and a write
`endif

    genvar g;
    generate
        for (g = 0; g < NL; g = g + 1) begin : g_fc
            localparam [0:0]  HID  = (g < NH) ? 1'b1 : 1'b0;        // 1 hidden, 0 output layer
            localparam integer N    = f_n(g);
            localparam integer WB   = f_wb(g);
            localparam integer AB   = f_ab(g);
            localparam integer LR   = f_lr(g);
            localparam integer P    = (f_p(g) > 0) ? f_p(g) : 1;    // (0 is stopped by g_bad_p)
            localparam integer BK   = f_bk(g);
            localparam integer PT   = f_pt(g);
            localparam integer LRN  = (LEARNING != 0 && f_lrn(g) == 1) ? 1 : 0;   // the layer learns
            localparam integer G    = f_grp(g);                      // groups: ceil(N / P)
            localparam integer YB   = HID ? f_yb(g) : 2;
            localparam integer AS   = HID ? f_as(g) : 0;
            localparam integer BB   = HID ? f_bb(g) : 1;
            localparam integer NI   = f_ni(g);
            localparam integer PYB  = (g == 0) ? 2 : f_yb((g == 0) ? 0 : g - 1);   // input bits
            localparam integer XMAX = (g == 0) ? 1 : (1 << (PYB - 1)) - 1;
            localparam integer JW   = f_clog2(N);
            localparam integer GW   = f_clog2(G);
            localparam integer LAW  = f_clog2(P);
            localparam integer IAW  = (g == 0) ? SAW : f_clog2(NI);
            localparam integer IDW  = (g == 0) ? C : PYB;
            localparam integer WD   = (NI + 1) * G;                  // fc{k}_w words
            localparam integer WAW  = f_clog2(WD);
            localparam integer WW   = P * WB;                        // fc{k}_w word bits
            localparam integer AW2  = P * AB;                        // fc{k}_acc word bits
            localparam integer BW   = N * BB;
            localparam integer CB   = 8 + 10 * g;                     // first counter of the layer
            // one bank of single-port macros: a write slot between groups in update passes
            localparam integer WSLOT = (PT == 1 && BK == 1) ? 1 : 0;
            // memory ids (spoon_ids.vh, docs/rtl.md): the first hidden layer and the output layer
            // keep theirs whatever NH is, hidden layer k = g+1 >= 2 gets the block at IDB
            localparam integer IDB  = ID_DEEP_BASE + ID_DEEP_STRIDE * (g - 1);
            localparam [7:0] ID_W   = !HID ? ID_OUT_W       : (g == 0) ? ID_H1_W    : IDB[7:0] + ID_OFF_W[7:0];
            localparam [7:0] ID_A   = !HID ? ID_OUT_ACC     : (g == 0) ? ID_H1_ACC  : IDB[7:0] + ID_OFF_ACC[7:0];
            localparam [7:0] ID_Y   = !HID ? ID_OUT_OUT     : (g == 0) ? ID_H1_ACT  : IDB[7:0] + ID_OFF_ACT[7:0];   // act / out
            localparam [7:0] ID_D   = !HID ? ID_OUT_SIG_LUT : (g == 0) ? ID_H1_DACT : IDB[7:0] + ID_OFF_DACT[7:0];  // dact / sig_lut
            localparam [7:0] ID_B   = !HID ? 8'd0           : (g == 0) ? ID_H1_B    : IDB[7:0] + ID_OFF_B[7:0];     // (no B LUT: never selected)
            localparam [7:0] ID_L   = !HID ? ID_OUT_LFSR    : (g == 0) ? ID_H1_LFSR : IDB[7:0] + ID_OFF_LFSR[7:0];
            // the layer's LFSR stream (spoon_ids.vh, spec §3, §15): lane 0's seed; fc_layer derives
            // the other lanes' from it (spec §16)
            localparam integer STREAM = !HID ? STREAM_OUT_LFSR : (g == 0) ? STREAM_H1_LFSR
                                      : STREAM_DEEP_BASE + STREAM_DEEP_STRIDE * (g + 1) + STREAM_OFF_LFSR;
            localparam [31:0]  SD     = SEED * 32'h9E3779B1 + STREAM * 32'h7F4A7C15;
            localparam [31:0]  LSEED  = (SD == 32'd0) ? 32'd1 : SD;
            // $readmemh files: MEM_DIR/fcKK_w.hex (one bank) or MEM_DIR/fcKK_w_bNN.hex (bank NN),
            // MEM_DIR/bKK_lut.hex (KK = k, two digits)
            localparam integer DI1 = 48 + (g + 1) / 10, DI0 = 48 + (g + 1) % 10;
            localparam [7:0]   D1 = DI1[7:0], D0 = DI0[7:0];
            localparam WBASE = (MEM_DIR == "") ? "" : {MEM_DIR, "/fc", D1, D0, "_w"};
            localparam BFILE = (MEM_DIR == "") ? "" : {MEM_DIR, "/b", D1, D0, "_lut.hex"};
            localparam LFILE = (MEM_DIR == "") ? "" : {MEM_DIR, "/sig_lut.hex"};

            // ---- parameter checks of this layer (spec §15, §16 legal ranges) ---------------------
            if (HID && (N < 1 || N > 1024))   begin : g_bad_nh_n  illegal_parameter_FC_N_range u_stop (); end
            if (!HID && (N < 2 || N > 64))    begin : g_bad_no_n  illegal_parameter_FC_N_range u_stop (); end
            if (WB < 2 || WB > 16)            begin : g_bad_wb    illegal_parameter_FC_WB_range u_stop (); end
            if (AB < WB + ((g == 0) ? 1 : PYB) || AB > (HID ? 32 : 40))
                                              begin : g_bad_ab    illegal_parameter_FC_AB_range u_stop (); end
            if (LR < 0 || LR > (HID ? 30 : 40)) begin : g_bad_lr  illegal_parameter_FC_LR_range u_stop (); end
            if (HID && (YB < 2 || YB > 16))   begin : g_bad_yb    illegal_parameter_FC_YB_range u_stop (); end
            if (HID && (AS < 0 || AS > AB - 1)) begin : g_bad_as  illegal_parameter_FC_AS_range u_stop (); end
            if (HID && (BB < 1 || BB > 8))    begin : g_bad_bb    illegal_parameter_FC_BB_range u_stop (); end
            if (f_p(g) < 1 || f_p(g) > N)     begin : g_bad_p     illegal_parameter_FC_LANES_range u_stop (); end
            if (BK < 1 || BK > 64 || (BK & (BK - 1)) != 0 || BK > WD)
                                              begin : g_bad_bk    illegal_parameter_FC_BANKS_range u_stop (); end
            if (PT < 0 || PT > 1)             begin : g_bad_pt    illegal_parameter_FC_PORTS_range u_stop (); end
            if (f_lrn(g) < 0 || f_lrn(g) > 1) begin : g_bad_fl    illegal_parameter_FC_LEARN_range u_stop (); end

            // ---- port wires (engine side) ---------------------------------------------------------
            wire           w_re, w_we, ac_re, ac_we, act_we, dact_re, dact_we, b_re;
            wire           lut_re, out_re, out_we, in_re;
            wire [WAW-1:0] w_raddr, w_waddr;
            wire [WW-1:0]  w_rdata, w_wdata;
            wire [GW-1:0]  ac_raddr, ac_waddr, dact_raddr, dact_waddr;
            wire [JW-1:0]  act_waddr, out_raddr, out_waddr, l_pred;
            wire [AW2-1:0] ac_rdata, ac_wdata;
            wire [YB-1:0]  act_wdata;
            wire [P-1:0]   dact_rdata, dact_wdata;
            wire [OW-1:0]  b_raddr;
            wire [BW-1:0]  b_rdata;
            wire [L-1:0]   lut_raddr;
            wire [OB-1:0]  lut_rdata, out_rdata, out_wdata;
            wire [N*OB-1:0] l_res;
            wire [IAW-1:0] in_raddr;
            wire [IDW-1:0] in_rdata;
            wire [32*P-1:0] lfsr_q;
            wire           c_act;
            wire [15:0]    c_op, c_upd, c_lfsr;
            wire hr_w = h_rd && (acc_sel == ID_W), hw_w = h_wr && (acc_sel == ID_W);
            wire hr_a = h_rd && (acc_sel == ID_A), hw_a = h_wr && (acc_sel == ID_A);
            wire hr_y = h_rd && (acc_sel == ID_Y), hw_y = h_wr && (acc_sel == ID_Y);
            wire hr_d = h_rd && (acc_sel == ID_D), hw_d = h_wr && (acc_sel == ID_D);
            wire hr_b = h_rd && HID && (acc_sel == ID_B), hw_b = h_wr && HID && (acc_sel == ID_B);
            wire hw_l = h_wr && (acc_sel == ID_L);
            // LFSR lanes: address = lane; addresses >= P read 0 and ignore writes (the read
            // selects the lane of the last read's address, registered with the id)
            localparam [31:0] P32 = P;
            wire [LAW+31:0] lane_x = {{(LAW+32-ACC_AW){1'b0}}, addr_q};
            wire [LAW+31:0] lane_w = {{(LAW+32-ACC_AW){1'b0}}, acc_addr};
            wire [31:0] lfsr_rd = (lane_x[31:0] < P32) ? lfsr_q[32 * lane_x[LAW-1:0] +: 32] : 32'd0;
            wire        lfsr_wr = hw_l && (lane_w[31:0] < P32);

            assign xr_re[g]              = in_re;
            assign xr_addr[32*g +: 32]   = {{(32-IAW){1'b0}}, in_raddr};
            if (g == 0) begin : g_in_spk
                assign in_rdata = spk_rdata;
            end else begin : g_in_act
                assign in_rdata = act_rd[32*(g-1) +: IDW];
            end

            fc_layer #(.OUTPUT(HID ? 0 : 1), .IN_BIN((g == 0) ? 1 : 0), .LEARNING(LRN),
                       .RMODE(RMODE), .SEED(LSEED), .N(N), .P(P), .WSLOT(WSLOT), .WB(WB), .AB(AB),
                       .LR(LR), .NI(NI), .C((g == 0) ? C : 1), .XB(PYB), .XMAX(XMAX), .YB(YB),
                       .AS(AS), .BB(BB), .SS(SS), .L(L), .OB(OB), .IAW(IAW), .IDW(IDW), .WAW(WAW),
                       .JW(JW), .GW(GW), .LAW(LAW), .LBW(OW)) u_fc (
                .clk(clk), .rst(rst), .go_clear(go_clear), .go_fwd(go_fwd[g]), .go_act(go_act[g]),
                .go_upd(go_upd[g]), .label(label_q), .busy(fc_busy[g]),
                .in_re(in_re), .in_raddr(in_raddr), .in_rdata(in_rdata),
                .w_re(w_re), .w_raddr(w_raddr), .w_rdata(w_rdata),
                .w_we(w_we), .w_waddr(w_waddr), .w_wdata(w_wdata),
                .acc_re(ac_re), .acc_raddr(ac_raddr), .acc_rdata(ac_rdata),
                .acc_we(ac_we), .acc_waddr(ac_waddr), .acc_wdata(ac_wdata),
                .act_we(act_we), .act_waddr(act_waddr), .act_wdata(act_wdata),
                .dact_re(dact_re), .dact_raddr(dact_raddr), .dact_rdata(dact_rdata),
                .dact_we(dact_we), .dact_waddr(dact_waddr), .dact_wdata(dact_wdata),
                .b_re(b_re), .b_raddr(b_raddr), .b_rdata(b_rdata),
                .lut_re(lut_re), .lut_raddr(lut_raddr), .lut_rdata(lut_rdata),
                .out_re(out_re), .out_raddr(out_raddr), .out_rdata(out_rdata),
                .out_we(out_we), .out_waddr(out_waddr), .out_wdata(out_wdata),
                .pred(l_pred), .res_out(l_res),
                .lfsr_load(lfsr_wr), .lfsr_addr(acc_addr[LAW-1:0]), .lfsr_load_value(acc_wdata[31:0]),
                .lfsr_state(lfsr_q),
                .cnt_op(c_op), .cnt_act(c_act), .cnt_upd(c_upd), .cnt_lfsr(c_lfsr));

            // ---- memories of the layer: engine ports OR host port -----------------------------
            // fc{k}_w: BK banks of PT ports (wmem); the host addresses logical words
            wmem #(.DEPTH(WD), .WIDTH(WW), .BANKS(BK), .PORTS(PT), .AW(WAW), .INIT_BASE(WBASE), .CLOCK_GATE(CLOCK_GATE)) u_w (
                .clk(clk), .rst(rst),
                .re(w_re | hr_w), .raddr(w_raddr | (hr_w ? acc_addr[WAW-1:0] : {WAW{1'b0}})),
                .rdata(w_rdata),
                .we(w_we | hw_w), .waddr(w_waddr | (hw_w ? acc_addr[WAW-1:0] : {WAW{1'b0}})),
                .wdata(w_wdata | (hw_w ? acc_wdata[WW-1:0] : {WW{1'b0}})));

            // fc{k}_acc: the forward reads word g and writes word g-1 in one cycle (1r1w)
            sram #(.DEPTH(G), .WIDTH(AW2), .AW(GW), .CLOCK_GATE(CLOCK_GATE)) u_acc (
                .clk(clk),
                .re(ac_re | hr_a), .raddr(ac_raddr | (hr_a ? acc_addr[GW-1:0] : {GW{1'b0}})),
                .rdata(ac_rdata),
                .we(ac_we | hw_a), .waddr(ac_waddr | (hw_a ? acc_addr[GW-1:0] : {GW{1'b0}})),
                .wdata(ac_wdata | (hw_a ? acc_wdata[AW2-1:0] : {AW2{1'b0}})));

            reg [ACC_DW-1:0] rd;                    // this layer's access-port read data
            wire             cf_l;                  // (simulation) this layer's port conflicts
            if (HID) begin : g_hid_mem
                wire [YB-1:0] y_rdata;
                wire          y_re = xr_re[g+1] | hr_y;
                // fc{k}_act, fc{k}_dact, B LUT: single-port (written in the activation, read
                // in later phases)
                sram #(.DEPTH(N), .WIDTH(YB), .AW(JW), .PORTS(1), .CLOCK_GATE(CLOCK_GATE)) u_act (
                    .clk(clk),
                    .re(y_re), .raddr(xr_addr[32*(g+1) +: JW] | (hr_y ? acc_addr[JW-1:0] : {JW{1'b0}})),
                    .rdata(y_rdata),
                    .we(act_we | hw_y), .waddr(act_waddr | (hw_y ? acc_addr[JW-1:0] : {JW{1'b0}})),
                    .wdata(act_wdata | (hw_y ? acc_wdata[YB-1:0] : {YB{1'b0}})));
                assign act_rd[32*g +: 32] = {{(32-YB){1'b0}}, y_rdata};

`ifndef SYNTHESIS
                wire cf_b, cf_d;
`endif
                // fc{k}_dact: read only by the DRTP update, so learning-only (hwmodel.spec.layers.
                // organisation: learning_only) like the B LUT
                if (LRN != 0) begin : g_dact
                    sram #(.DEPTH(G), .WIDTH(P), .AW(GW), .PORTS(1), .CLOCK_GATE(CLOCK_GATE)) u_dact (
                        .clk(clk),
                        .re(dact_re | hr_d), .raddr(dact_raddr | (hr_d ? acc_addr[GW-1:0] : {GW{1'b0}})),
                        .rdata(dact_rdata),
                        .we(dact_we | hw_d), .waddr(dact_waddr | (hw_d ? acc_addr[GW-1:0] : {GW{1'b0}})),
                        .wdata(dact_wdata | (hw_d ? acc_wdata[P-1:0] : {P{1'b0}})));
`ifndef SYNTHESIS
                    assign cf_d = u_dact.conflict_q;
`endif
                end else begin : g_no_dact
                    assign dact_rdata = {P{1'b0}};
                    wire unused_dact = &{1'b0, dact_re, dact_raddr, dact_we, dact_waddr, dact_wdata, hr_d, hw_d};
`ifndef SYNTHESIS
                    assign cf_d = 1'b0;
`endif
                end

                if (LRN != 0) begin : g_blut
                    sram #(.DEPTH(NO), .WIDTH(BW), .AW(OW), .PORTS(1), .INIT_FILE(BFILE), .CLOCK_GATE(CLOCK_GATE)) u_b_lut (
                        .clk(clk),
                        .re(b_re | hr_b), .raddr(b_raddr | (hr_b ? acc_addr[OW-1:0] : {OW{1'b0}})),
                        .rdata(b_rdata),
                        .we(hw_b), .waddr(hw_b ? acc_addr[OW-1:0] : {OW{1'b0}}),
                        .wdata(hw_b ? acc_wdata[BW-1:0] : {BW{1'b0}}));
`ifndef SYNTHESIS
                    assign cf_b = u_b_lut.conflict_q;
`endif
                end else begin : g_no_blut
                    assign b_rdata = {BW{1'b0}};
                    wire unused_inf = &{1'b0, b_re, b_raddr, hr_b, hw_b};
`ifndef SYNTHESIS
                    assign cf_b = 1'b0;
`endif
                end
                assign lut_rdata = {OB{1'b0}};
                assign out_rdata = {OB{1'b0}};
`ifndef SYNTHESIS
                assign cf_l = u_act.conflict_q | cf_d | cf_b;
`else
                assign cf_l = 1'b0;
`endif

                always @(*) begin
                    rd = {ACC_DW{1'b0}};
                    if (sel_q == ID_W) rd[WW-1:0]  = w_rdata;
                    if (sel_q == ID_A) rd[AW2-1:0] = ac_rdata;
                    if (sel_q == ID_Y) rd[YB-1:0]  = y_rdata;
                    if (sel_q == ID_D) rd[P-1:0]   = dact_rdata;
                    if (sel_q == ID_B) rd[BW-1:0]  = b_rdata;
                    if (sel_q == ID_L) rd[31:0]    = lfsr_rd;
                end
                // the counters of hidden layer k (hwmodel.spec.counters.hidden_counter_names)
                assign cinc[32*(CB+5) +: 32] = {31'd0, act_we};
                assign cinc[32*(CB+6) +: 32] = {31'd0, xr_re[g+1]};   // fc{k}_act reads by layer k+1
                assign cinc[32*(CB+7) +: 32] = {31'd0, c_act};
                assign cinc[32*(CB+8) +: 32] = {31'd0, b_re};
                assign cinc[32*(CB+9) +: 32] = {16'd0, c_upd};
                wire unused_h = &{1'b0, lut_re, lut_raddr, out_re, out_raddr, out_we, out_waddr,
                                  out_wdata, l_pred, l_res};
            end else begin : g_out_mem
                // fc{K+1}_out, sig_lut: single-port (written in the activation / by the host,
                // read in later phases / cycles)
                sram #(.DEPTH(N), .WIDTH(OB), .AW(JW), .PORTS(1), .CLOCK_GATE(CLOCK_GATE)) u_out (
                    .clk(clk),
                    .re(out_re | hr_y), .raddr(out_raddr | (hr_y ? acc_addr[JW-1:0] : {JW{1'b0}})),
                    .rdata(out_rdata),
                    .we(out_we | hw_y), .waddr(out_waddr | (hw_y ? acc_addr[JW-1:0] : {JW{1'b0}})),
                    .wdata(out_wdata | (hw_y ? acc_wdata[OB-1:0] : {OB{1'b0}})));

                sram #(.DEPTH(LD), .WIDTH(OB), .AW(L), .PORTS(1), .INIT_FILE(LFILE), .CLOCK_GATE(CLOCK_GATE)) u_sig_lut (
                    .clk(clk),
                    .re(lut_re | hr_d), .raddr(lut_raddr | (hr_d ? acc_addr[L-1:0] : {L{1'b0}})),
                    .rdata(lut_rdata),
                    .we(hw_d), .waddr(hw_d ? acc_addr[L-1:0] : {L{1'b0}}),
                    .wdata(hw_d ? acc_wdata[OB-1:0] : {OB{1'b0}}));
                assign act_rd[32*g +: 32] = 32'd0;
                assign dact_rdata = {P{1'b0}};
                assign b_rdata    = {BW{1'b0}};
                assign res_out    = l_res;
                assign pred_q     = l_pred;
`ifndef SYNTHESIS
                assign cf_l = u_out.conflict_q | u_sig_lut.conflict_q;
`else
                assign cf_l = 1'b0;
`endif

                always @(*) begin
                    rd = {ACC_DW{1'b0}};
                    if (sel_q == ID_W)    rd[WW-1:0]  = w_rdata;
                    if (sel_q == ID_A)    rd[AW2-1:0] = ac_rdata;
                    if (sel_q == ID_Y)    rd[OB-1:0]  = out_rdata;
                    if (sel_q == ID_D)    rd[OB-1:0]  = lut_rdata;
                    if (sel_q == ID_L)    rd[31:0]    = lfsr_rd;
                    if (sel_q == ID_OUT_PRED) rd[OW-1:0]  = pred_q;
                end
                // the counters of the output layer (hwmodel.spec.counters.output_counter_names)
                assign cinc[32*(CB+5) +: 32] = {31'd0, lut_re};
                assign cinc[32*(CB+6) +: 32] = {31'd0, out_we};
                assign cinc[32*(CB+7) +: 32] = {31'd0, out_re};
                assign cinc[32*(CB+8) +: 32] = {16'd0, c_upd};
                wire unused_o = &{1'b0, act_we, act_waddr, act_wdata, dact_re, dact_raddr, dact_we,
                                  dact_waddr, dact_wdata, b_re, b_raddr, hr_b, hw_b, c_act,
                                  xr_re[g], xr_addr[32*g +: 32]};
            end
            assign rd_layer[ACC_DW*g +: ACC_DW] = rd;
            // word strobes count words (one per access), c_op the real lanes of the group
            assign cinc[32*(CB+0) +: 32] = {31'd0, w_re};
            assign cinc[32*(CB+1) +: 32] = {31'd0, w_we};
            assign cinc[32*(CB+2) +: 32] = {31'd0, ac_re};
            assign cinc[32*(CB+3) +: 32] = {31'd0, ac_we};
            assign cinc[32*(CB+4) +: 32] = {16'd0, c_op};
            assign lfsr_steps[16*g +: 16] = c_lfsr;
`ifndef SYNTHESIS
            assign conflict_l[g] = cf_l | u_w.conflict | u_acc.conflict_q;
`endif
            wire unused_l = &{1'b0, cf_l, lane_x, lane_w};
        end
    endgenerate

    assign res_pred = pred_q;

    // ---- access port read mux (memory ids: docs/rtl.md) ------------------------------------------
    integer gm;
    always @(*) begin
        acc_rdata = {ACC_DW{1'b0}};
        if (sel_q == ID_KERN) acc_rdata[C*WC-1:0] = kern_rdata;
        if (sel_q == ID_POT)  acc_rdata[C*PB-1:0] = pot_rdata;
        if (sel_q == ID_SPK)  acc_rdata[C-1:0]    = spk_rdata;
        for (gm = 0; gm < NL; gm = gm + 1)
            acc_rdata = acc_rdata | rd_layer[ACC_DW*gm +: ACC_DW];
    end

    // the access port data bus is as wide as the widest word; narrower memories ignore the rest
    wire unused_ok = &{1'b0, acc_wdata, act_rd, xr_addr, addr_q};

    // counter increments of the conv front end and lfsr_step (the layers' are set in g_fc)
    reg [31:0] nsteps;                            // lane LFSR steps of every layer this cycle
    integer    li;
    always @(*) begin
        nsteps = 32'd0;
        for (li = 0; li < NL; li = li + 1)
            nsteps = nsteps + {16'd0, lfsr_steps[16*li +: 16]};
    end
    assign cinc[32*0 +: 32]   = {31'd0, cs_events};
    assign cinc[32*1 +: 32]   = {31'd0, kern_re_e};
    assign cinc[32*2 +: 32]   = {31'd0, pot_re_e};
    assign cinc[32*3 +: 32]   = {31'd0, pot_we_e};
    assign cinc[32*4 +: 32]   = {31'd0, spk_re_e};
    assign cinc[32*5 +: 32]   = {31'd0, spk_we_e};
    assign cinc[32*CI +: 32]  = cs_pos ? C[31:0] : 32'd0;    // conv_add: C per position
    assign cinc[32*(CI+1) +: 32] = cs_pos ? C[31:0] : 32'd0; // conv_cmp
    assign cinc[32*CLF +: 32] = nsteps;
    // cycles (spec §16): every cycle of a sample (controller busy) except the input-starved ones
    // of the event phase (the conv core idle and no event or end-of-sample waiting in aer_in)
    assign cinc[32*CCY +: 32] = {31'd0, busy && !(ev_enable && !conv_busy && !a_valid)};

`ifndef SYNTHESIS
    // ---- single-port check (simulation only) -------------------------------------------------------
    // port_conflict: some 1rw macro (conv memories, fc{k}_act / _dact / _out, B LUTs, sig_lut,
    // fc{k}_w with weight_ports = 1rw) has seen a read and a write in one cycle since time 0; the
    // testbench fails on it (sim/chip.py). Sticky, not reset.
    wire port_conflict = |conflict_l | u_conv_kernel.conflict_q | u_conv_pot.conflict_q |
                         u_conv_spk.conflict_q;
    reg  conflict_told_q;
    initial conflict_told_q = 1'b0;
    always @(posedge clk)
        if (port_conflict && !conflict_told_q) begin
            $display("spoon_top: ERROR: a single-port (1rw) memory was read and written in one cycle (t = %0t)", $time);
            conflict_told_q <= 1'b1;
        end

    // ---- access counters of docs/spec.md §11 / §15 / §16 (simulation only) -------------------------
    // cnt_inf_q / cnt_lrn_q: 64 bits per counter, counter c (hwmodel.spec.counters.counter_names(NH)
    // order) at bits [64c, 64c+64); inference phases / update phases (learn_phase). Counted from
    // the engines' memory strobes and operation counts (cinc; host accesses excluded); cumulative
    // since reset (the testbench takes differences).
    reg  [64*NCNT-1:0] cnt_inf_q, cnt_lrn_q;
    integer            ci;
    always @(posedge clk) begin
        if (rst) begin
            cnt_inf_q <= {(64*NCNT){1'b0}}; cnt_lrn_q <= {(64*NCNT){1'b0}};
        end else begin
            for (ci = 0; ci < NCNT; ci = ci + 1) begin
                if (learn_phase)
                    cnt_lrn_q[64*ci +: 64] <= cnt_lrn_q[64*ci +: 64] + {32'd0, cinc[32*ci +: 32]};
                else
                    cnt_inf_q[64*ci +: 64] <= cnt_inf_q[64*ci +: 64] + {32'd0, cinc[32*ci +: 32]};
            end
        end
    end
`endif
endmodule
