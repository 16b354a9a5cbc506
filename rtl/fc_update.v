// fc_update: one FC weight update (docs/spec.md §9, §15), combinational; the one update datapath
// of every FC layer, hidden (DRTP) or output (own error).
//
//   u     = -c * x                  (c: the unit's coefficient, sCW: a hidden layer's B value
//                                    b_j = 2r+1 or the output layer's error e_o; x: the input
//                                    x_i, sXW: 1 for binary conv spikes, y_i for activations)
//   w_new = sat_WB(w + R(u, LR))    (R: round_shift in mode RMODE; rnd = the layer's LFSR state
//                                    after its step)
//
// The product is exact: |c*x| <= 2^(CW+XW-2), so u fits in CW+XW bits; IW keeps one more.
module fc_update #(
    parameter integer WB    = 8,
    parameter integer CW    = 3,
    parameter integer XW    = 2,
    parameter integer LR    = 3,
    parameter integer RMODE = 2
) (
    input  wire signed [WB-1:0] w,
    input  wire signed [CW-1:0] c,
    input  wire signed [XW-1:0] x,
    input  wire        [31:0]   rnd,
    output wire signed [WB-1:0] w_new
);
    localparam integer IW = CW + XW + 1;
    localparam integer SW = ((WB > IW + 1) ? WB : IW + 1) + 1;
    localparam signed [SW-1:0] WMAX = (({{(SW-1){1'b0}}, 1'b1}) << (WB - 1)) - 1;
    localparam signed [SW-1:0] WMIN = -(WMAX + 1);

    wire signed [IW-1:0] cx   = {{(IW-CW){c[CW-1]}}, c};
    wire signed [IW-1:0] xx   = {{(IW-XW){x[XW-1]}}, x};
    wire signed [IW-1:0] prod = cx * xx;
    wire signed [IW-1:0] u    = -prod;
    wire signed [IW:0]   du;

    round_shift #(.IW(IW), .SHIFT(LR), .MODE(RMODE)) u_round (.u(u), .r(rnd), .y(du));

    wire signed [SW-1:0] sum = {{(SW-WB){w[WB-1]}}, w} + {{(SW-IW-1){du[IW]}}, du};
    wire signed [SW-1:0] sat = (sum > WMAX) ? WMAX : ((sum < WMIN) ? WMIN : sum);
    assign w_new = sat[WB-1:0];

    wire unused_ok = &{1'b0, sat[SW-1:WB]};
endmodule
