// Calibration RTL for the GE table of hwmodel.estimate.area (tests/test_estimate*.py).
// A small mix of the structures the processor uses: saturating accumulators with synchronous
// reset and enable, a multiply-accumulate, a clamp (hard-tanh-like window test), a Galois LFSR,
// a counter/FSM and a read multiplexer. Not part of the processor.
module calib_top (
    input  wire               clk,
    input  wire               rst,
    input  wire               en,
    input  wire signed [7:0]  a,
    input  wire signed [7:0]  b,
    input  wire        [3:0]  sel,
    output reg  signed [15:0] acc,
    output reg  signed [19:0] mac,
    output reg  signed [7:0]  y,
    output reg                win,
    output reg         [31:0] lfsr,
    output reg         [7:0]  mux_q,
    output reg         [2:0]  state
);
    // saturating 16-bit accumulator (sync reset, enable)
    wire signed [16:0] sum = acc + a;
    always @(posedge clk) begin
        if (rst)     acc <= 16'sd0;
        else if (en) acc <= (sum > 17'sd32767) ? 16'sd32767 : (sum < -17'sd32768) ? -16'sd32768 : sum[15:0];
    end

    // 8x8 multiply-accumulate into 20 bits
    always @(posedge clk) begin
        if (rst)     mac <= 20'sd0;
        else if (en) mac <= mac + a * b;
    end

    // clamp / window test (hard tanh)
    wire signed [15:0] t = acc >>> 2;
    always @(posedge clk) begin
        y   <= (t > 16'sd127) ? 8'sd127 : (t < -16'sd127) ? -8'sd127 : t[7:0];
        win <= (t > -16'sd127) && (t < 16'sd127);
    end

    // Galois LFSR x^32 + x^22 + x^2 + x + 1
    always @(posedge clk) begin
        if (rst)     lfsr <= 32'd1;
        else if (en) lfsr <= lfsr[0] ? ((lfsr >> 1) ^ 32'h80200003) : (lfsr >> 1);
    end

    // 16:1 byte multiplexer over a small register bank
    reg [7:0] bank [0:15];
    reg [3:0] wp;
    always @(posedge clk) begin
        if (rst) wp <= 4'd0;
        else if (en) begin
            bank[wp] <= a;
            wp <= wp + 4'd1;
        end
        mux_q <= bank[sel];
    end

    // small FSM
    always @(posedge clk) begin
        if (rst) state <= 3'd0;
        else case (state)
            3'd0: state <= en ? 3'd1 : 3'd0;
            3'd1: state <= (a[0]) ? 3'd2 : 3'd3;
            3'd2: state <= 3'd4;
            3'd3: state <= b[7] ? 3'd0 : 3'd4;
            default: state <= 3'd0;
        endcase
    end
endmodule
