// round_shift: R(u, s) of docs/spec.md §9, combinational, for a fixed shift SHIFT.
//
//   MODE 0 truncate   : u >>> s
//   MODE 1 nearest    : (u + 2^(s-1)) >>> s   (u when s = 0)
//   MODE 2 stochastic : (u + (r & (2^s - 1))) >>> s, r = the LFSR state AFTER its step
//
// u is IW bits signed; the result is IW+1 bits signed (|R| <= |u| / 2^s + 1 always fits).
module round_shift #(
    parameter integer IW    = 16,
    parameter integer SHIFT = 0,
    parameter integer MODE  = 0
) (
    input  wire signed [IW-1:0] u,
    input  wire        [31:0]   r,
    output wire signed [IW:0]   y
);
    // internal width: room for the sign, the addend (up to SHIFT bits) and a carry
    localparam integer XW = ((IW > SHIFT) ? IW : SHIFT) + 2;
    // number of random bits used: min(SHIFT, 32)
    localparam integer RB = (SHIFT > 32) ? 32 : SHIFT;

    wire signed [XW-1:0] ux = {{(XW-IW){u[IW-1]}}, u};
    wire        [XW-1:0] addend;

    generate
        if (SHIFT == 0 || MODE == 0) begin : g_trunc
            assign addend = {XW{1'b0}};
        end else if (MODE == 1) begin : g_nearest
            assign addend = {{(XW-1){1'b0}}, 1'b1} << (SHIFT - 1);
        end else begin : g_stoch
            assign addend = {{(XW-RB){1'b0}}, r[RB-1:0]};
        end
    endgenerate

    wire signed [XW-1:0] sum = ux + $signed(addend);
    wire signed [XW-1:0] shifted = sum >>> SHIFT;
    assign y = shifted[IW:0];

    // r is unused unless MODE == 2
    wire unused_ok = &{1'b0, r, shifted};
endmodule
