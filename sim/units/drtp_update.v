// drtp_update: one DRTP weight update of a hidden layer with binary inputs (docs/spec.md §9),
// combinational: fc_update with c = b = 2r + 1 and x = 1.
//
//   b     = 2*r + 1                 (r: the BB-bit field of the B LUT row for unit j)
//   u     = -b                      (x_i = 1: binary conv spikes)
//   w_new = sat_W1B(w + R(u, LR1))  (R: round_shift in mode RMODE; rnd = the LFSR after its step)
//
// fc_layer computes the same through fc_update directly; this wrapper exposes fc_update in
// that configuration to the unit tests (sim/units/unit_harness.v).
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
    wire signed [BB:0] b = {r, 1'b1};                      // 2r + 1

    fc_update #(.WB(W1B), .CW(BB + 1), .XW(2), .LR(LR1), .RMODE(RMODE)) u_upd (
        .w(w), .c(b), .x(2'sb01), .rnd(rnd), .w_new(w_new));
endmodule
