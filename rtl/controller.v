// controller: the sample FSM, following the phase order of docs/spec.md §5 and §15.
//
//   IDLE -start-> CLEAR -> EVENTS -eos-> for each FC layer k = 1..NL (layer_q = k-1):
//        FWD(k) -> ACT(k) -> [UPD(k)] -> ... -> DONE -> IDLE     ([..] only when the sample learns
//                                                                and layer k learns: LMASK)
// Each phase issues a one-cycle go to its core (the clear goes to every core at once) and waits
// for the cores to be idle again. Layer k+1's forward starts after layer k's update, so the order
// of every memory access is the spec's. The label and the mode are latched at start.
// learn_phase marks the update phases (counters: the learning row of spec §11).
module controller #(
    parameter integer LEARNING = 1,
    parameter integer OW       = 4,          // label bits
    parameter integer NL       = 2,          // FC layers (hidden layers + the output layer)
    parameter integer LW       = 1,          // layer index bits
    parameter integer LMASK    = -1          // bit g: layer g + 1 learns (its update phase runs)
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
    input  wire [NL-1:0] fc_busy,
    output wire          go_clear,
    output wire          ev_enable,
    output wire [NL-1:0] go_fwd,              // one bit per FC layer
    output wire [NL-1:0] go_act,
    output wire [NL-1:0] go_upd,
    output reg  [OW-1:0] label_q,
    output wire          learn_phase
);
    localparam [2:0] ST_IDLE = 3'd0, ST_CLEAR = 3'd1, ST_EVENTS = 3'd2, ST_FWD = 3'd3,
                     ST_ACT = 3'd4, ST_UPD = 3'd5, ST_DONE = 3'd6;
    localparam integer NLM1 = NL - 1;
    localparam [LW-1:0] L_LAST = NLM1[LW-1:0];
    localparam [NL:0]   ONE_NL = {{NL{1'b0}}, 1'b1};

    reg [2:0]    state_q;
    reg [LW-1:0] layer_q;
    reg          started_q;
    reg          learn_q;

    wire          any_busy = conv_busy | (|fc_busy);
    wire          go       = !started_q;
    wire          finished = started_q && !any_busy;
    wire          last     = (layer_q == L_LAST);
    wire          layer_learns = ((LMASK >>> layer_q) & 1) != 0;   // the current layer learns
    wire [NL-1:0] sel      = ONE_NL[NL-1:0] << layer_q;          // one-hot: the current layer

    assign start_ready = (state_q == ST_IDLE);
    assign busy        = (state_q != ST_IDLE);
    assign done        = (state_q == ST_DONE);
    assign ev_enable   = (state_q == ST_EVENTS);
    assign eos_ready   = (state_q == ST_EVENTS) && !conv_busy;
    assign go_clear    = (state_q == ST_CLEAR) && go;
    assign go_fwd      = ((state_q == ST_FWD) && go) ? sel : {NL{1'b0}};
    assign go_act      = ((state_q == ST_ACT) && go) ? sel : {NL{1'b0}};
    assign go_upd      = ((state_q == ST_UPD) && go) ? sel : {NL{1'b0}};
    assign learn_phase = (state_q == ST_UPD);

    always @(posedge clk) begin
        if (rst) begin
            state_q <= ST_IDLE; layer_q <= {LW{1'b0}}; started_q <= 1'b0; learn_q <= 1'b0;
            label_q <= {OW{1'b0}};
        end else begin
            started_q <= 1'b0;
            case (state_q)
                ST_IDLE: if (start_valid) begin
                    label_q <= start_label;
                    learn_q <= (LEARNING != 0) && start_learn;
                    layer_q <= {LW{1'b0}};
                    state_q <= ST_CLEAR;
                end
                ST_EVENTS: if (eos_valid && eos_ready) state_q <= ST_FWD;
                ST_DONE: state_q <= ST_IDLE;
                default: begin                      // a core phase: go, then wait for idle
                    started_q <= 1'b1;
                    if (finished) begin
                        started_q <= 1'b0;
                        case (state_q)
                            ST_CLEAR: state_q <= ST_EVENTS;
                            ST_FWD:   state_q <= ST_ACT;
                            ST_ACT: begin
                                if (learn_q && layer_learns) state_q <= ST_UPD;
                                else if (last) state_q <= ST_DONE;
                                else begin
                                    layer_q <= layer_q + 1'b1; state_q <= ST_FWD;
                                end
                            end
                            default: begin          // ST_UPD
                                if (last) state_q <= ST_DONE;
                                else begin
                                    layer_q <= layer_q + 1'b1; state_q <= ST_FWD;
                                end
                            end
                        endcase
                    end
                end
            endcase
        end
    end
endmodule
