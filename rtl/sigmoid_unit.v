// sigmoid_unit: sigmoid LUT index of docs/spec.md §8, combinational.
//
//   idx  = clamp(acc >>> SS, -2^(L-1), 2^(L-1)-1)
//   addr = idx + 2^(L-1)                 (u L: the sig_lut read address)
module sigmoid_unit #(
    parameter integer A2B = 20,
    parameter integer SS  = 10,
    parameter integer L   = 6
) (
    input  wire signed [A2B-1:0] acc,
    output wire        [L-1:0]   addr
);
    localparam integer TW = ((A2B > L) ? A2B : L) + 1;
    localparam signed [TW-1:0] HI = (({{(TW-1){1'b0}}, 1'b1}) << (L - 1)) - 1;
    localparam signed [TW-1:0] LO = -(HI + 1);

    wire signed [TW-1:0] accx = {{(TW-A2B){acc[A2B-1]}}, acc};
    wire signed [TW-1:0] t    = accx >>> SS;
    wire signed [TW-1:0] idx  = (t > HI) ? HI : ((t < LO) ? LO : t);

    // idx + 2^(L-1) on L bits = idx with its sign bit (bit L-1) inverted
    assign addr = {~idx[L-1], idx[L-2:0]};

    wire unused_ok = &{1'b0, idx[TW-1:L]};
endmodule
