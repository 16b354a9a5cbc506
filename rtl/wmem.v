// wmem: the banked weight memory fc{k}_w of one FC layer (docs/spec.md §16, docs/rtl.md "wmem").
//
// BANKS sram macros of ROWS = ceil(DEPTH / BANKS) rows each; logical word a lives in bank
// a mod BANKS at row a div BANKS (BANKS is a power of two: the bank is the low address bits, the
// row the rest). Every bank has the layer's PORTS (0 "1r1w", 1 "1rw"). The engine and the host
// access port see one memory of DEPTH words at logical addresses; a read goes to one bank and
// rdata is that bank's (held) read data, selected by the bank of the LAST read (registered), so
// rdata holds until the next read exactly like one sram. A read and a write in one cycle go to
// two banks (consecutive words a, a+1 of an update pass: different banks when BANKS >= 2), or,
// with one bank, need PORTS = 0 (fc_layer inserts a write slot otherwise: WSLOT).
//
// $readmemh: BANKS = 1 reads INIT_BASE.hex (the logical file); BANKS >= 2 reads one file per
// bank, INIT_BASE_bNN.hex (NN = bank, two digits; ROWS words, rows past DEPTH zero), as the
// macros of a real chip would be initialised; hwmodel.hw.rtlgen writes both.
module wmem #(
    parameter integer DEPTH     = 16,
    parameter integer WIDTH     = 8,
    parameter integer BANKS     = 1,         // power of two, 1..64, <= DEPTH
    parameter integer PORTS     = 0,         // 0 "1r1w", 1 "1rw" (every bank)
    parameter integer AW        = (DEPTH > 1) ? $clog2(DEPTH) : 1,
    parameter         INIT_BASE = "",        // file name without ".hex" ("": not initialised)
    parameter integer CLOCK_GATE = 0,        // sram.v: 0 none, 1 per word, 2 per memory
    parameter integer CG_MAX_BITS = 4096     // a flip-flop memory (gated) when DEPTH x WIDTH is at most this
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             re,
    input  wire [AW-1:0]    raddr,
    output wire [WIDTH-1:0] rdata,
    input  wire             we,
    input  wire [AW-1:0]    waddr,
    input  wire [WIDTH-1:0] wdata
);
    // the whole memory decides (as the estimator's organisation does): gated only if it is a
    // flip-flop memory; its banks then gate whatever their size
    localparam integer CG = (DEPTH * WIDTH <= CG_MAX_BITS) ? CLOCK_GATE : 0;

    localparam integer ROWS = (DEPTH + BANKS - 1) / BANKS;
    localparam integer RAW  = (ROWS > 1) ? $clog2(ROWS) : 1;
    localparam integer BKW  = (BANKS > 1) ? $clog2(BANKS) : 1;     // bank bits (BANKS >= 2)

    genvar b;
    generate
        if (BANKS == 1) begin : g_one
            localparam FILE = (INIT_BASE == "") ? "" : {INIT_BASE, ".hex"};
            sram #(.DEPTH(DEPTH), .WIDTH(WIDTH), .AW(AW), .PORTS(PORTS), .INIT_FILE(FILE), .CLOCK_GATE(CG), .CG_MAX_BITS(DEPTH * WIDTH)) u_bank (
                .clk(clk), .re(re), .raddr(raddr), .rdata(rdata),
                .we(we), .waddr(waddr), .wdata(wdata));
            wire unused_rst = &{1'b0, rst};
        end else begin : g_banked
            // row = address >> BKW, taken from a zero-extended copy so that RAW bits exist even
            // when the bank bits are all the address bits (one row per bank)
            wire [AW+RAW-1:0]     rx = {{RAW{1'b0}}, raddr};
            wire [AW+RAW-1:0]     wx = {{RAW{1'b0}}, waddr};
            wire [BKW-1:0]        rbank = raddr[BKW-1:0];
            wire [BKW-1:0]        wbank = waddr[BKW-1:0];
            wire [WIDTH*BANKS-1:0] rd;
            reg  [BKW-1:0]        rbank_q;              // bank of the last read: selects rdata
            always @(posedge clk) begin
                if (rst)     rbank_q <= {BKW{1'b0}};
                else if (re) rbank_q <= rbank;
            end
            assign rdata = rd[rbank_q * WIDTH +: WIDTH];
            for (b = 0; b < BANKS; b = b + 1) begin : g_bank
                localparam integer BI1 = 48 + b / 10, BI0 = 48 + b % 10;
                localparam [7:0]   B1 = BI1[7:0], B0 = BI0[7:0];
                localparam         FILE = (INIT_BASE == "") ? "" : {INIT_BASE, "_b", B1, B0, ".hex"};
                localparam [BKW-1:0] BK = b[BKW-1:0];
                sram #(.DEPTH(ROWS), .WIDTH(WIDTH), .AW(RAW), .PORTS(PORTS), .INIT_FILE(FILE), .CLOCK_GATE(CG), .CG_MAX_BITS(DEPTH * WIDTH)) u_bank (
                    .clk(clk),
                    .re(re && rbank == BK), .raddr(rx[BKW +: RAW]), .rdata(rd[b * WIDTH +: WIDTH]),
                    .we(we && wbank == BK), .waddr(wx[BKW +: RAW]), .wdata(wdata));
            end
            wire unused_x = &{1'b0, rx, wx};
        end
    endgenerate

`ifndef SYNTHESIS
    // simulation only: any bank saw a read and a write in one cycle on its single port
    wire [BANKS-1:0] conflicts;
    generate
        if (BANKS == 1) begin : g_cf_one
            assign conflicts[0] = g_one.u_bank.conflict_q;
        end else begin : g_cf_banks
            for (b = 0; b < BANKS; b = b + 1) begin : g_cf
                assign conflicts[b] = g_banked.g_bank[b].u_bank.conflict_q;
            end
        end
    endgenerate
    wire conflict = |conflicts;
`endif
endmodule
