// Access-port memory ids and LFSR stream numbers of spoon_top (docs/rtl.md, spec §3, §15).
// Generated from hwmodel/spec/ids.py (python -m hwmodel.hw.rtlgen ids > rtl/spoon_ids.vh); do not
// edit: tests/rtl/test_rtl_lint.py checks that this file is what the generator writes.
localparam [7:0] ID_KERN = 8'd0,
    ID_POT = 8'd1,
    ID_SPK = 8'd2;
localparam [7:0] ID_H1_W = 8'd3,
    ID_H1_ACC = 8'd4,
    ID_H1_ACT = 8'd5,
    ID_H1_DACT = 8'd6,
    ID_H1_B = 8'd7,
    ID_H1_LFSR = 8'd12;
localparam [7:0] ID_OUT_W = 8'd8,
    ID_OUT_ACC = 8'd9,
    ID_OUT_OUT = 8'd10,
    ID_OUT_SIG_LUT = 8'd11,
    ID_OUT_LFSR = 8'd13,
    ID_OUT_PRED = 8'd14;
localparam integer ID_DEEP_BASE = 16,
    ID_DEEP_STRIDE = 8,
    ID_OFF_W = 0,
    ID_OFF_ACC = 1,
    ID_OFF_ACT = 2,
    ID_OFF_DACT = 3,
    ID_OFF_B = 4,
    ID_OFF_LFSR = 5;
localparam integer STREAM_H1_LFSR = 5,
    STREAM_OUT_LFSR = 6,
    STREAM_DEEP_BASE = 16,
    STREAM_DEEP_STRIDE = 4,
    STREAM_OFF_LFSR = 2;
