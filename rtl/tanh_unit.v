// tanh_unit: hard-tanh and its derivative window (docs/spec.md §7), combinational.
//
//   t    = acc >>> AS
//   act  = clamp(t, -YMAX, YMAX)          (sYB)
//   dact = (-YMAX < t < YMAX)             (1 = linear region)
module tanh_unit #(
    parameter integer A1B = 16,
    parameter integer YB  = 8,
    parameter integer AS  = 0
) (
    input  wire signed [A1B-1:0] acc,
    output wire signed [YB-1:0]  act,
    output wire                  dact
);
    localparam integer TW = ((A1B > YB) ? A1B : YB) + 1;
    localparam signed [TW-1:0] YMAX  = (({{(TW-1){1'b0}}, 1'b1}) << (YB - 1)) - 1;
    localparam signed [TW-1:0] NYMAX = -YMAX;

    wire signed [TW-1:0] accx = {{(TW-A1B){acc[A1B-1]}}, acc};
    wire signed [TW-1:0] t    = accx >>> AS;
    wire                 hi   = (t >= YMAX);
    wire                 lo   = (t <= NYMAX);
    wire signed [TW-1:0] cl   = hi ? YMAX : (lo ? NYMAX : t);

    assign act  = cl[YB-1:0];
    assign dact = ~hi & ~lo;

    wire unused_ok = &{1'b0, cl[TW-1:YB]};
endmodule
