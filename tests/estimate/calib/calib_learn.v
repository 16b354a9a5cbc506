// Calibration RTL for the LEARNING = 1 / 0 area flow (tests/estimate/test_estimate_area.py): a miniature
// of the processor's structure. `calib_learn` owns two memories (instances of a behavioural
// `sram`, which the flow blackboxes and sizes with the memory model), a forward accumulator that
// is always present, and an update unit that only exists when LEARNING != 0. Not part of the
// processor.
module sram #(
    parameter integer DEPTH = 16,
    parameter integer WIDTH = 8,
    parameter integer AW    = (DEPTH > 1) ? $clog2(DEPTH) : 1
) (
    input  wire             clk,
    input  wire             re,
    input  wire [AW-1:0]    raddr,
    output reg  [WIDTH-1:0] rdata,
    input  wire             we,
    input  wire [AW-1:0]    waddr,
    input  wire [WIDTH-1:0] wdata
);
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    always @(posedge clk) begin
        if (re) rdata <= mem[raddr];
        if (we) mem[waddr] <= wdata;
    end
endmodule

module calib_update #(parameter integer WB = 8) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire signed [WB-1:0] w,
    input  wire signed [1:0]    b,
    output reg  signed [WB-1:0] w_new,
    output reg         [15:0]   lfsr
);
    wire signed [WB+2:0] u = w - (2 * b + 1) + (lfsr[1:0] == 2'b00 ? 1 : 0);
    always @(posedge clk) begin
        if (rst) lfsr <= 16'h1;
        else     lfsr <= lfsr[0] ? ((lfsr >> 1) ^ 16'hB400) : (lfsr >> 1);
        w_new <= (u > (1 <<< (WB - 1)) - 1) ? (1 <<< (WB - 1)) - 1 : (u < -(1 <<< (WB - 1))) ? -(1 <<< (WB - 1)) : u[WB-1:0];
    end
endmodule

module calib_learn #(
    parameter integer N        = 64,
    parameter integer WB       = 8,
    parameter integer LEARNING = 1
) (
    input  wire          clk,
    input  wire          rst,
    input  wire          go,
    input  wire [1:0]    b_in,
    output reg  [15:0]   acc
);
    localparam integer AW = $clog2(N);
    reg  [AW-1:0] i;
    wire [WB-1:0] w;
    wire [WB-1:0] w_new;
    always @(posedge clk) begin
        if (rst) begin i <= 0; acc <= 0; end
        else if (go) begin i <= i + 1'b1; acc <= acc + {{(16-WB){w[WB-1]}}, w}; end
    end
    sram #(.DEPTH(N), .WIDTH(WB)) u_w (.clk(clk), .re(go), .raddr(i), .rdata(w),
        .we(LEARNING != 0 && go), .waddr(i - 1'b1), .wdata(w_new));
    generate
        if (LEARNING != 0) begin : g_learn
            wire [15:0] lfsr;
            wire [1:0] bq;
            calib_update #(.WB(WB)) u_upd (.clk(clk), .rst(rst), .w(w), .b(bq ^ b_in), .w_new(w_new), .lfsr(lfsr));
            sram #(.DEPTH(4), .WIDTH(2)) u_b (.clk(clk), .re(go), .raddr(i[1:0]), .rdata(bq),
                .we(1'b0), .waddr(2'd0), .wdata(2'd0));
        end else begin : g_noupd
            assign w_new = {WB{1'b0}};
        end
    endgenerate
endmodule
