// sram: the one behavioural memory of the design (depth x width), two kinds of macro:
//
//   PORTS = 0  "1r1w": one read and one write port, both usable in the same cycle. A read and a
//              write of the same address in the same cycle return the OLD word (read-first); the
//              engines never issue such a pair (fc_layer's header says why).
//   PORTS = 1  "1rw": a single-port macro, one address per cycle: addr = we ? waddr : raddr. The
//              engines never read and write it in the same cycle (docs/rtl.md, "Lanes, banks and
//              ports"); in simulation the sticky flag conflict_q records a cycle with re and we
//              both set, and the testbench fails on it (spoon_top's port_conflict), so the claim
//              is checked on every simulated cycle instead of trusted.
//
// Every memory of docs/spec.md §10 / §15 is an instance of this module (the banked weight
// memories through wmem), so a foundry register file / SRAM macro can replace it one for one.
// Synchronous read: rdata is valid in the cycle after a read (re = 1) and HOLDS until the next
// read. The hold is a macro requirement (docs/rtl.md): the engines use held read data (the B
// row, a dense layer's input word, an accumulator word over the lanes of a group in the
// activation pass). No reset: memory contents are undefined until loaded or cleared.
// INIT_FILE (optional): $readmemh file loaded at time 0 (simulation / FPGA ROM init).
// CLOCK_GATE (docs/rtl.md, "Clock gating"): 0 = the array and the read register on the free
// clock with enables (as synthesis maps them: enable flip-flops); for a flip-flop memory
// (DEPTH x WIDTH <= CG_MAX_BITS; larger ones are SRAM macros, which gate themselves) 1 = one
// clock_gate per word, opened by a write of that word, and one for the read register, opened by
// a read; 2 = one gate for the whole array, opened by any write, and the read register's.
// Same contents, same read data, cycle for cycle: only the clocking differs.
module sram #(
    parameter integer DEPTH     = 16,
    parameter integer WIDTH     = 8,
    parameter integer AW        = (DEPTH > 1) ? $clog2(DEPTH) : 1,
    parameter integer PORTS     = 0,         // 0 "1r1w", 1 "1rw"
    parameter         INIT_FILE = "",
    parameter integer CLOCK_GATE  = 0,       // 0 none, 1 per word, 2 per memory (flip-flop memories)
    parameter integer CG_MAX_BITS = 4096     // flip-flop memories: at most this many bits
) (
    input  wire             clk,
    // ---- read port -----------------------------------------------------------------------
    input  wire             re,
    input  wire [AW-1:0]    raddr,
    output reg  [WIDTH-1:0] rdata,
    // ---- write port (1rw: the same port, addressed by waddr while we = 1) -----------------
    input  wire             we,
    input  wire [AW-1:0]    waddr,
    input  wire [WIDTH-1:0] wdata
);
    // CLOCK_GATE = 1 writes each word from its own gated clock (one always block per word)
    /* verilator lint_off MULTIDRIVEN */
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    /* verilator lint_on MULTIDRIVEN */

    // 1rw: one address decoder, shared by the read and the write
    wire [AW-1:0] ra = (PORTS != 0 && we) ? waddr : raddr;

    initial begin
        rdata = {WIDTH{1'b0}};
        if (INIT_FILE != "") $readmemh(INIT_FILE, mem);
    end

    localparam integer GATED = (CLOCK_GATE != 0 && DEPTH * WIDTH <= CG_MAX_BITS) ? 1 : 0;

    generate
        if (GATED == 0) begin : g_free
            always @(posedge clk) begin
                if (re) rdata <= mem[ra];
                if (we) mem[waddr] <= wdata;
            end
        end else begin : g_gated
            wire rclk;
            clock_gate u_cg_rd (.clk(clk), .en(re), .gclk(rclk));
            always @(posedge rclk) rdata <= mem[ra];
            if (CLOCK_GATE == 1) begin : g_word
                genvar w;
                for (w = 0; w < DEPTH; w = w + 1) begin : g_w
                    wire wclk;
                    clock_gate u_cg (.clk(clk), .en(we && waddr == w), .gclk(wclk));
                    always @(posedge wclk) mem[w] <= wdata;
                end
            end else begin : g_mem
                wire wclk;
                clock_gate u_cg (.clk(clk), .en(we), .gclk(wclk));
                always @(posedge wclk) mem[waddr] <= wdata;
            end
        end
    endgenerate

`ifndef SYNTHESIS
    // simulation only: a 1rw macro asked for a read and a write in one cycle (never cleared)
    reg conflict_q;
    initial conflict_q = 1'b0;
    always @(posedge clk)
        if (PORTS != 0 && re && we) conflict_q <= 1'b1;
`endif
endmodule
