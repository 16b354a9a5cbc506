// out_update: one FC2 weight update from the output error (docs/spec.md §9), combinational.
//
//   u     = -e * y                  (e = fc2_out[o] - (o == label ? ONE : 0), s(OB+1); y = y_j, sYB)
//   w_new = sat_W2B(w + R(u, LR2))  (R: round_shift in mode RMODE; rnd = lfsr_fc2 after its step)
module out_update #(
    parameter integer W2B   = 8,
    parameter integer OB    = 8,
    parameter integer YB    = 8,
    parameter integer LR2   = 15,
    parameter integer RMODE = 2
) (
    input  wire signed [W2B-1:0] w,
    input  wire signed [OB:0]    e,
    input  wire signed [YB-1:0]  y,
    input  wire        [31:0]    rnd,
    output wire signed [W2B-1:0] w_new
);
    localparam integer IW = OB + YB + 2;                   // -e*y, with margin
    localparam integer SW = ((W2B > IW + 1) ? W2B : IW + 1) + 1;
    localparam signed [SW-1:0] WMAX = (({{(SW-1){1'b0}}, 1'b1}) << (W2B - 1)) - 1;
    localparam signed [SW-1:0] WMIN = -(WMAX + 1);

    wire signed [IW-1:0] ex = {{(IW-OB-1){e[OB]}}, e};
    wire signed [IW-1:0] yx = {{(IW-YB){y[YB-1]}}, y};
    wire signed [IW-1:0] prod = ex * yx;
    wire signed [IW-1:0] u = -prod;
    wire signed [IW:0]   du;

    round_shift #(.IW(IW), .SHIFT(LR2), .MODE(RMODE)) u_round (.u(u), .r(rnd), .y(du));

    wire signed [SW-1:0] sum = {{(SW-W2B){w[W2B-1]}}, w} + {{(SW-IW-1){du[IW]}}, du};
    wire signed [SW-1:0] sat = (sum > WMAX) ? WMAX : ((sum < WMIN) ? WMIN : sum);
    assign w_new = sat[W2B-1:0];

    wire unused_ok = &{1'b0, sat[SW-1:W2B]};
endmodule
