// aer_in: the AER event input port (docs/spec.md §4): a one-entry valid/ready buffer.
//
// Host side: (x, y, p) with eos = 0 is an event, eos = 1 the end-of-sample marker (x, y, p
// ignored). Words are accepted only while `enable` is high (the controller's EVENTS phase) and
// never behind a held end-of-sample marker: between samples in_ready = 0, so a word presented
// then waits (valid/ready) and becomes the first word of the next sample. An event outside the
// W x W array is rejected: it is consumed, never forwarded, and sets the sticky err_q flag
// (cleared by clr_err at the start of each sample). Full throughput: a new event is accepted
// in the cycle the held one leaves.
module aer_in #(
    parameter integer W  = 28,
    parameter integer XW = 5
) (
    input  wire          clk,
    input  wire          rst,
    // ---- host (event source) --------------------------------------------------------------
    input  wire          in_valid,
    output wire          in_ready,
    input  wire [XW-1:0] in_x,
    input  wire [XW-1:0] in_y,
    input  wire          in_p,
    input  wire          in_eos,
    // ---- conv_core / controller --------------------------------------------------------------
    output wire          out_valid,
    input  wire          out_ready,
    output reg  [XW-1:0] out_x,
    output reg  [XW-1:0] out_y,
    output reg           out_p,
    output reg           out_eos,
    // ---- controller -------------------------------------------------------------------------
    input  wire          enable,
    // ---- status ---------------------------------------------------------------------------------
    input  wire          clr_err,
    output reg           err_q
);
    localparam [XW:0] W_C = W[XW:0];

    reg full_q;
    wire bad = !in_eos && (({1'b0, in_x} >= W_C) || ({1'b0, in_y} >= W_C));
    wire acc = in_valid && in_ready;

    assign in_ready  = enable && !(full_q && out_eos) && (!full_q || out_ready);
    assign out_valid = full_q;

    always @(posedge clk) begin
        if (rst) begin
            full_q <= 1'b0; err_q <= 1'b0;
            out_x <= {XW{1'b0}}; out_y <= {XW{1'b0}}; out_p <= 1'b0; out_eos <= 1'b0;
        end else begin
            if (acc && !bad) begin
                full_q <= 1'b1;
                out_x <= in_x; out_y <= in_y; out_p <= in_p; out_eos <= in_eos;
            end else if (out_ready) begin
                full_q <= 1'b0;
            end
            if (clr_err)        err_q <= 1'b0;
            else if (acc && bad) err_q <= 1'b1;
        end
    end
endmodule
