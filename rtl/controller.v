// controller: the sample FSM, following the phase order of docs/spec.md §5.
//
//   IDLE -start-> CLEAR -> EVENTS -eos-> FC1_FWD -> TANH -> [FC1_UPD] -> FC2_FWD -> SIGMOID
//        -> [FC2_UPD] -> DONE -> IDLE                 ([..] only when the sample learns)
// Each phase issues a one-cycle go to its core and waits for the core to be idle again. The
// label and the mode are latched at start. learn_phase marks phases 5 and 8 (counters).
module controller #(
    parameter integer LEARNING = 1,
    parameter integer OW       = 4
) (
    input  wire          clk,
    input  wire          rst,
    // ---- host (sample control and result) -------------------------------------------------------
    input  wire          start_valid,
    output wire          start_ready,
    input  wire [OW-1:0] start_label,
    input  wire          start_learn,
    output wire          done,
    output wire          busy,
    // ---- aer_in (end-of-sample marker) ----------------------------------------------------------
    input  wire          eos_valid,
    output wire          eos_ready,
    // ---- cores ------------------------------------------------------------------------------------
    input  wire          conv_busy,
    input  wire          fc1_busy,
    input  wire          fc2_busy,
    output wire          go_clear,
    output wire          ev_enable,
    output wire          fc1_go_fwd,
    output wire          fc1_go_tanh,
    output wire          fc1_go_upd,
    output wire          fc2_go_fwd,
    output wire          fc2_go_sig,
    output wire          fc2_go_upd,
    output reg  [OW-1:0] label_q,
    output wire          learn_phase
);
    localparam [3:0] ST_IDLE = 4'd0, ST_CLEAR = 4'd1, ST_EVENTS = 4'd2, ST_FC1_FWD = 4'd3,
                     ST_TANH = 4'd4, ST_FC1_UPD = 4'd5, ST_FC2_FWD = 4'd6, ST_SIGMOID = 4'd7,
                     ST_FC2_UPD = 4'd8, ST_DONE = 4'd9;

    reg [3:0] state_q;
    reg       started_q;
    reg       learn_q;

    wire any_busy = conv_busy | fc1_busy | fc2_busy;
    wire go       = !started_q;
    wire finished = started_q && !any_busy;

    assign start_ready = (state_q == ST_IDLE);
    assign busy        = (state_q != ST_IDLE);
    assign done        = (state_q == ST_DONE);
    assign ev_enable   = (state_q == ST_EVENTS);
    assign eos_ready   = (state_q == ST_EVENTS) && !conv_busy;
    assign go_clear    = (state_q == ST_CLEAR) && go;
    assign fc1_go_fwd  = (state_q == ST_FC1_FWD) && go;
    assign fc1_go_tanh = (state_q == ST_TANH) && go;
    assign fc1_go_upd  = (state_q == ST_FC1_UPD) && go;
    assign fc2_go_fwd  = (state_q == ST_FC2_FWD) && go;
    assign fc2_go_sig  = (state_q == ST_SIGMOID) && go;
    assign fc2_go_upd  = (state_q == ST_FC2_UPD) && go;
    assign learn_phase = (state_q == ST_FC1_UPD) || (state_q == ST_FC2_UPD);

    always @(posedge clk) begin
        if (rst) begin
            state_q <= ST_IDLE; started_q <= 1'b0; learn_q <= 1'b0; label_q <= {OW{1'b0}};
        end else begin
            started_q <= 1'b0;
            case (state_q)
                ST_IDLE: if (start_valid) begin
                    label_q <= start_label;
                    learn_q <= (LEARNING != 0) && start_learn;
                    state_q <= ST_CLEAR;
                end
                ST_EVENTS: if (eos_valid && eos_ready) state_q <= ST_FC1_FWD;
                ST_DONE: state_q <= ST_IDLE;
                default: begin                      // a core phase: go, then wait for idle
                    started_q <= 1'b1;
                    if (finished) begin
                        started_q <= 1'b0;
                        case (state_q)
                            ST_CLEAR:   state_q <= ST_EVENTS;
                            ST_FC1_FWD: state_q <= ST_TANH;
                            ST_TANH:    state_q <= learn_q ? ST_FC1_UPD : ST_FC2_FWD;
                            ST_FC1_UPD: state_q <= ST_FC2_FWD;
                            ST_FC2_FWD: state_q <= ST_SIGMOID;
                            ST_SIGMOID: state_q <= learn_q ? ST_FC2_UPD : ST_DONE;
                            default:    state_q <= ST_DONE;         // ST_FC2_UPD
                        endcase
                    end
                end
            endcase
        end
    end
endmodule
