// sram: the one behavioural memory of the design (depth x width, 1 read + 1 write port).
//
// Every memory of docs/spec.md §10 / §15 is an instance of this module, so a foundry register file /
// two-port SRAM macro can replace it one for one. Synchronous read: rdata is valid in the cycle
// after a read (re = 1) and holds until the next read. A read and a write of the same address
// in the same cycle return the OLD word (read-first); the engines never issue such a pair
// (fc_layer's header says why). No reset: memory contents are undefined until loaded or cleared.
// INIT_FILE (optional): $readmemh file loaded at time 0 (simulation / FPGA ROM init).
module sram #(
    parameter integer DEPTH     = 16,
    parameter integer WIDTH     = 8,
    parameter integer AW        = (DEPTH > 1) ? $clog2(DEPTH) : 1,
    parameter         INIT_FILE = ""
) (
    input  wire             clk,
    // ---- read port -----------------------------------------------------------------------
    input  wire             re,
    input  wire [AW-1:0]    raddr,
    output reg  [WIDTH-1:0] rdata,
    // ---- write port ----------------------------------------------------------------------
    input  wire             we,
    input  wire [AW-1:0]    waddr,
    input  wire [WIDTH-1:0] wdata
);
    reg [WIDTH-1:0] mem [0:DEPTH-1];

    initial begin
        rdata = {WIDTH{1'b0}};
        if (INIT_FILE != "") $readmemh(INIT_FILE, mem);
    end

    always @(posedge clk) begin
        if (re) rdata <= mem[raddr];
        if (we) mem[waddr] <= wdata;
    end
endmodule
