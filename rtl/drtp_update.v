// drtp_update: one FC1 DRTP weight update (docs/spec.md §9), combinational.
//
//   b     = 2*r + 1                 (r: the BB-bit field of the B LUT row for unit j)
//   u     = -b                      (x_i = 1: binary conv spikes)
//   w_new = sat_W1B(w + R(u, LR1))  (R: round_shift in mode RMODE; rnd = lfsr_fc1 after its step)
//
// The caller applies it only to units with fc1_dact = 1 and steps lfsr_fc1 once per update in
// stochastic mode (fc1_core).
module drtp_update #(
    parameter integer W1B   = 8,
    parameter integer BB    = 2,
    parameter integer LR1   = 3,
    parameter integer RMODE = 2
) (
    input  wire signed [W1B-1:0] w,
    input  wire signed [BB-1:0]  r,
    input  wire        [31:0]    rnd,
    output wire signed [W1B-1:0] w_new
);
    localparam integer IW = BB + 1;                        // u = -(2r+1) fits s(BB+1)
    localparam integer SW = ((W1B > IW + 1) ? W1B : IW + 1) + 1;
    localparam signed [SW-1:0] WMAX = (({{(SW-1){1'b0}}, 1'b1}) << (W1B - 1)) - 1;
    localparam signed [SW-1:0] WMIN = -(WMAX + 1);

    wire signed [IW-1:0] b = {r, 1'b1};                    // 2r + 1
    wire signed [IW-1:0] u = -b;
    wire signed [IW:0]   du;

    round_shift #(.IW(IW), .SHIFT(LR1), .MODE(RMODE)) u_round (.u(u), .r(rnd), .y(du));

    wire signed [SW-1:0] sum = {{(SW-W1B){w[W1B-1]}}, w} + {{(SW-IW-1){du[IW]}}, du};
    wire signed [SW-1:0] sat = (sum > WMAX) ? WMAX : ((sum < WMIN) ? WMIN : sum);
    assign w_new = sat[W1B-1:0];

    wire unused_ok = &{1'b0, sat[SW-1:W1B]};
endmodule
