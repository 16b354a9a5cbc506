// clock_gate: the clock gate a designer writes (latch + AND), for the gated memories of sram.v
// (CLOCK_GATE = 1, 2). The latch is transparent while clk is low and holds en from the end of the
// low phase, so gclk = clk & en_l has no glitch when en changes after the rising edge (en is
// computed from registers clocked by clk). A library's integrated clock-gating cell (e.g.
// Nangate45 CLKGATE_X1) replaces it one for one; the estimator costs this gate per cycle
// disabled and enabled (hwmodel/estimate/clock.py: gate_clock_fj, tech component clock_gate).
module clock_gate (
    input  wire clk,
    input  wire en,
    output wire gclk
);
    reg en_l;
    initial en_l = 1'b0;
    /* verilator lint_off LATCH */
    /* verilator lint_off COMBDLY */
    always @*
        if (!clk) en_l <= en;
    /* verilator lint_on COMBDLY */
    /* verilator lint_on LATCH */
    assign gclk = clk & en_l;
endmodule
