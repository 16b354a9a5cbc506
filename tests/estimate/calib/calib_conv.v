// Calibration RTL (second design): a conv-core-like datapath. C = 4 channels of s4 weights added
// to s10 potentials with saturation and a threshold compare, a spike-OR register, a 3-bit
// address counter and a small read-modify-write pipeline register. Not part of the processor.
module calib_conv #(
    parameter integer C  = 4,
    parameter integer WC = 4,
    parameter integer PB = 10,
    parameter integer TH = 12
) (
    input  wire              clk,
    input  wire              rst,
    input  wire              valid,
    input  wire [C*WC-1:0]   kw,
    input  wire [C*PB-1:0]   pot_in,
    output reg  [C*PB-1:0]   pot_out,
    output reg  [C-1:0]      spk,
    output reg  [2:0]        addr
);
    localparam signed [PB:0] PMAX = (1 <<< (PB - 1)) - 1;
    localparam signed [PB:0] PMIN = -(1 <<< (PB - 1));
    genvar i;
    generate
        for (i = 0; i < C; i = i + 1) begin : g_ch
            wire signed [WC-1:0] w = kw[i*WC +: WC];
            wire signed [PB-1:0] v = pot_in[i*PB +: PB];
            wire signed [PB:0]   s = v + w;
            wire signed [PB-1:0] sat = (s > PMAX) ? PMAX[PB-1:0] : (s < PMIN) ? PMIN[PB-1:0] : s[PB-1:0];
            always @(posedge clk) begin
                if (rst) begin
                    pot_out[i*PB +: PB] <= {PB{1'b0}};
                    spk[i] <= 1'b0;
                end else if (valid) begin
                    pot_out[i*PB +: PB] <= sat;
                    spk[i] <= spk[i] | (sat >= TH);
                end
            end
        end
    endgenerate
    always @(posedge clk) begin
        if (rst)        addr <= 3'd0;
        else if (valid) addr <= addr + 3'd1;
    end
endmodule
