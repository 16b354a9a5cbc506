// out_update: one output-layer weight update from the output error (docs/spec.md §9),
// combinational: fc_update with c = e and x = y.
//
//   u     = -e * y                  (e = out[o] - (o == label ? ONE : 0), s(OB+1); y = y_j, sYB)
//   w_new = sat_W2B(w + R(u, LR2))  (R: round_shift in mode RMODE; rnd = the LFSR after its step)
//
// fc_layer computes the same through fc_update directly; this wrapper exposes fc_update in
// that configuration to the unit tests (sim/units/unit_harness.v).
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
    fc_update #(.WB(W2B), .CW(OB + 1), .XW(YB), .LR(LR2), .RMODE(RMODE)) u_upd (
        .w(w), .c(e), .x(y), .rnd(rnd), .w_new(w_new));
endmodule
