// lfsr32: the 32-bit Galois LFSR of docs/spec.md §3 (x^32 + x^22 + x^2 + x + 1, right shift).
//
// state_q is the register; next is lfsr_step(state_q), combinational. step = 1 advances the
// register by one step; load = 1 (host access port) writes load_value instead (a zero load is
// replaced by 1: the LFSR state is never 0). Synchronous active-high reset to SEED.
module lfsr32 #(
    parameter [31:0] SEED = 32'h00000001
) (
    input  wire        clk,
    input  wire        rst,
    // ---- from the update unit --------------------------------------------------------------
    input  wire        step,
    // ---- from the host access port --------------------------------------------------------
    input  wire        load,
    input  wire [31:0] load_value,
    // ---- state ----------------------------------------------------------------------------
    output reg  [31:0] state_q,
    output wire [31:0] next
);
    localparam [31:0] TAPS = 32'h80200003;

    assign next = state_q[0] ? ({1'b0, state_q[31:1]} ^ TAPS) : {1'b0, state_q[31:1]};

    always @(posedge clk) begin
        if (rst)       state_q <= (SEED == 32'd0) ? 32'd1 : SEED;
        else if (load) state_q <= (load_value == 32'd0) ? 32'd1 : load_value;
        else if (step) state_q <= next;
    end
endmodule
