// conv_core: the event-driven convolution (docs/spec.md §6) and the clear of its memories.
//
// Per accepted event (x, y, ci) it visits the scatter positions (oy, ox) in ascending order, two
// cycles each:  RD  reads conv_kernel[(ci*K+ky)*K+kx], conv_pot[oy*O+ox] and
//                   conv_spk[(oy/POOL)*Q + ox/POOL] (one read each);
//               WR  C saturating adders + threshold compares, writes conv_pot, and writes
//                   conv_spk only when a spike bit is newly set.
// Clear (go_clear): conv_pot and conv_spk are written with zeros, one word each per cycle.
// Memory ports follow the OR-bus rule of spoon_top: all-zero while the core is idle.
module conv_core #(
    parameter integer CIN   = 1,
    parameter integer C     = 8,
    parameter integer K     = 5,
    parameter integer S     = 2,
    parameter integer PAD   = 0,
    parameter integer O     = 12,
    parameter integer POOL  = 1,
    parameter integer Q     = 12,
    parameter integer WC    = 4,
    parameter integer PB    = 10,
    parameter integer THETA = 12,
    parameter integer W     = 28,                  // input side (events with x, y < W)
    parameter integer XW    = 5,                   // event coordinate bits
    parameter integer KAW   = 5,                   // conv_kernel address bits
    parameter integer PAW   = 8,                   // conv_pot address bits
    parameter integer SAW   = 8                    // conv_spk address bits
) (
    input  wire                clk,
    input  wire                rst,
    // ---- controller -------------------------------------------------------------------------
    input  wire                go_clear,
    input  wire                ev_enable,           // events accepted (EVENTS phase)
    output wire                busy,
    // ---- aer_in (event stream) ------------------------------------------------------------
    input  wire                ev_valid,
    output wire                ev_ready,
    input  wire [XW-1:0]       ev_x,
    input  wire [XW-1:0]       ev_y,
    input  wire                ev_ci,
    // ---- conv_kernel memory -----------------------------------------------------------------
    output wire                kern_re,
    output wire [KAW-1:0]      kern_raddr,
    input  wire [C*WC-1:0]     kern_rdata,
    // ---- conv_pot memory ----------------------------------------------------------------------
    output wire                pot_re,
    output wire [PAW-1:0]      pot_raddr,
    input  wire [C*PB-1:0]     pot_rdata,
    output wire                pot_we,
    output wire [PAW-1:0]      pot_waddr,
    output wire [C*PB-1:0]     pot_wdata,
    // ---- conv_spk memory ----------------------------------------------------------------------
    output wire                spk_re,
    output wire [SAW-1:0]      spk_raddr,
    input  wire [C-1:0]        spk_rdata,
    output wire                spk_we,
    output wire [SAW-1:0]      spk_waddr,
    output wire [C-1:0]        spk_wdata,
    // ---- access counters (simulation) ------------------------------------------------------
    output wire                cnt_pos              // one scatter position computed (C adds, C cmps)
);
    localparam integer OCW = $clog2(O + 1) + 1;        // output coordinate (oy, ox) bits
    localparam integer KCW = $clog2(K + 1) + 1;        // kernel coordinate (ky, kx) bits
    localparam integer CNW = (PAW > SAW) ? PAW + 1 : SAW + 1;   // clear counter bits
    localparam integer NCLR = (O * O > Q * Q) ? O * O : Q * Q;
    localparam integer NCLR1 = NCLR - 1, OO = O * O, QQ = Q * Q;
    localparam [1:0] ST_IDLE = 2'd0, ST_CLEAR = 2'd1, ST_RD = 2'd2, ST_WR = 2'd3;
    localparam [KCW-1:0] S_K = S[KCW-1:0];
    localparam [CNW-1:0] CLR_LAST = NCLR1[CNW-1:0], OO_C = OO[CNW-1:0], QQ_C = QQ[CNW-1:0];
    localparam signed [PB+1:0] PMAX = (({{(PB+1){1'b0}}, 1'b1}) << (PB - 1)) - 1;
    localparam signed [PB+1:0] PMIN = -(PMAX + 1);
    localparam signed [PB+1:0] THR  = THETA[PB+1:0];

    // ---- scatter-range tables (constants, no divider in hardware) --------------------------
    // For an input coordinate c (x or y): the output coordinates o with 0 <= c+PAD-o*S < K are
    // lo(c)..hi(c); k0(c) = c+PAD-lo(c)*S is the kernel coordinate at o = lo(c). q(o) = o/POOL.
    // The functions and the tables built from them are constants of the elaboration (no logic):
    // not in the coverage count (sim/coverage.py).
    /* verilator coverage_off */
    function integer f_lo(input integer c);
        integer t;
        begin
            t = c + PAD - K + 1;
            f_lo = (t <= 0) ? 0 : (t + S - 1) / S;
        end
    endfunction
    function integer f_hi(input integer c);
        integer t;
        begin
            t = (c + PAD) / S;
            f_hi = (t > O - 1) ? O - 1 : t;
        end
    endfunction
    function integer f_k0(input integer c);
        begin
            f_k0 = c + PAD - f_lo(c) * S;
        end
    endfunction

    localparam integer NC = 1 << XW;                   // table entries (coordinates >= W unused)
    wire [NC*OCW-1:0] lo_tab, hi_tab;
    wire [NC*KCW-1:0] k0_tab;
    wire [O*OCW-1:0]  q_tab;
    genvar gc;
    generate
        for (gc = 0; gc < NC; gc = gc + 1) begin : g_tab
            localparam integer LO = (gc < W) ? f_lo(gc) : 1;
            localparam integer HI = (gc < W) ? f_hi(gc) : 0;
            localparam integer K0 = (gc < W) ? f_k0(gc) : 0;
            assign lo_tab[gc*OCW +: OCW] = LO[OCW-1:0];
            assign hi_tab[gc*OCW +: OCW] = HI[OCW-1:0];
            assign k0_tab[gc*KCW +: KCW] = K0[KCW-1:0];
        end
        for (gc = 0; gc < O; gc = gc + 1) begin : g_qtab
            localparam integer QO = gc / POOL;
            assign q_tab[gc*OCW +: OCW] = QO[OCW-1:0];
        end
    endgenerate
    /* verilator coverage_on */

    reg  [1:0]     state_q;
    reg  [OCW-1:0] oy_q, ox_q, oy_hi_q, ox_lo_q, ox_hi_q;
    reg  [KCW-1:0] ky_q, kx_q, kx0_q;
    reg  [CNW-1:0] clr_q;
    reg            ci_q;

    wire [OCW-1:0] oy_lo = lo_tab[ev_y*OCW +: OCW];
    wire [OCW-1:0] oy_hi = hi_tab[ev_y*OCW +: OCW];
    wire [OCW-1:0] ox_lo = lo_tab[ev_x*OCW +: OCW];
    wire [OCW-1:0] ox_hi = hi_tab[ev_x*OCW +: OCW];
    wire [KCW-1:0] ky0   = k0_tab[ev_y*KCW +: KCW];
    wire [KCW-1:0] kx0   = k0_tab[ev_x*KCW +: KCW];
    wire           empty = (oy_lo > oy_hi) || (ox_lo > ox_hi);

    wire take = (state_q == ST_IDLE) && ev_enable && ev_valid && !go_clear;
    assign ev_ready = (state_q == ST_IDLE) && ev_enable && !go_clear;
    assign busy     = (state_q != ST_IDLE);

    wire last_pos = (ox_q == ox_hi_q) && (oy_q == oy_hi_q);

    always @(posedge clk) begin
        if (rst) begin
            state_q <= ST_IDLE;
            oy_q <= {OCW{1'b0}}; ox_q <= {OCW{1'b0}}; oy_hi_q <= {OCW{1'b0}};
            ox_lo_q <= {OCW{1'b0}}; ox_hi_q <= {OCW{1'b0}};
            ky_q <= {KCW{1'b0}}; kx_q <= {KCW{1'b0}}; kx0_q <= {KCW{1'b0}};
            clr_q <= {CNW{1'b0}}; ci_q <= 1'b0;
        end else begin
            case (state_q)
                ST_IDLE: begin
                    if (go_clear) begin
                        clr_q   <= {CNW{1'b0}};
                        state_q <= ST_CLEAR;
                    end else if (take) begin
                        oy_q <= oy_lo; ox_q <= ox_lo; oy_hi_q <= oy_hi; ox_lo_q <= ox_lo;
                        ox_hi_q <= ox_hi; ky_q <= ky0; kx_q <= kx0; kx0_q <= kx0;
                        ci_q <= (CIN == 2) ? ev_ci : 1'b0;
                        state_q <= empty ? ST_IDLE : ST_RD;
                    end
                end
                ST_CLEAR: begin
                    clr_q <= clr_q + 1'b1;
                    if (clr_q == CLR_LAST) state_q <= ST_IDLE;
                end
                ST_RD: state_q <= ST_WR;
                default: begin                      // ST_WR
                    if (last_pos) begin
                        state_q <= ST_IDLE;
                    end else begin
                        state_q <= ST_RD;
                        if (ox_q == ox_hi_q) begin
                            ox_q <= ox_lo_q; kx_q <= kx0_q;
                            oy_q <= oy_q + 1'b1; ky_q <= ky_q - S_K;
                        end else begin
                            ox_q <= ox_q + 1'b1; kx_q <= kx_q - S_K;
                        end
                    end
                end
            endcase
        end
    end

    // ---- addresses (held from RD to WR): constant multiplies on narrow operands -------------
    localparam integer AXW = 24;                       // address arithmetic width
    localparam [AXW-1:0] K_A = K[AXW-1:0], O_A = O[AXW-1:0], Q_A = Q[AXW-1:0];
    wire [AXW-1:0] ka_x = (({{(AXW-1){1'b0}}, ci_q} * K_A + {{(AXW-KCW){1'b0}}, ky_q}) * K_A)
                          + {{(AXW-KCW){1'b0}}, kx_q};
    wire [AXW-1:0] pa_x = {{(AXW-OCW){1'b0}}, oy_q} * O_A + {{(AXW-OCW){1'b0}}, ox_q};
    wire [OCW-1:0] qy = q_tab[oy_q*OCW +: OCW];
    wire [OCW-1:0] qx = q_tab[ox_q*OCW +: OCW];
    wire [AXW-1:0] sa_x = {{(AXW-OCW){1'b0}}, qy} * Q_A + {{(AXW-OCW){1'b0}}, qx};
    wire [KAW-1:0] ka = ka_x[KAW-1:0];
    wire [PAW-1:0] pa = pa_x[PAW-1:0];
    wire [SAW-1:0] sa = sa_x[SAW-1:0];
    wire unused_ok = &{1'b0, ka_x, pa_x, sa_x};

    wire rd = (state_q == ST_RD);
    wire wr = (state_q == ST_WR);
    wire cl = (state_q == ST_CLEAR);

    // ---- C saturating adders and threshold compares ------------------------------------------
    wire [C*PB-1:0] v_new;
    wire [C-1:0]    fire;
    genvar co;
    generate
        for (co = 0; co < C; co = co + 1) begin : g_ch
            wire signed [PB-1:0] p  = pot_rdata[co*PB +: PB];
            wire signed [WC-1:0] kw = kern_rdata[co*WC +: WC];
            wire signed [PB+1:0] sum = {{2{p[PB-1]}}, p} + {{(PB+2-WC){kw[WC-1]}}, kw};
            wire signed [PB+1:0] sat = (sum > PMAX) ? PMAX : ((sum < PMIN) ? PMIN : sum);
            assign v_new[co*PB +: PB] = sat[PB-1:0];
            assign fire[co] = (sat >= THR);
        end
    endgenerate
    wire [C-1:0] sp_new = spk_rdata | fire;

    assign kern_re    = rd;
    assign kern_raddr = rd ? ka : {KAW{1'b0}};
    assign pot_re     = rd;
    assign pot_raddr  = rd ? pa : {PAW{1'b0}};
    assign spk_re     = rd;
    assign spk_raddr  = rd ? sa : {SAW{1'b0}};

    assign pot_we     = wr | (cl && clr_q < OO_C);
    assign pot_waddr  = wr ? pa : (cl ? clr_q[PAW-1:0] : {PAW{1'b0}});
    assign pot_wdata  = wr ? v_new : {C*PB{1'b0}};
    assign spk_we     = (wr && (sp_new != spk_rdata)) | (cl && clr_q < QQ_C);
    assign spk_waddr  = wr ? sa : (cl ? clr_q[SAW-1:0] : {SAW{1'b0}});
    assign spk_wdata  = wr ? sp_new : {C{1'b0}};

    assign cnt_pos = wr;

endmodule
