"""Encoders (spec §4) and event-batch validation."""
import numpy as np
import pytest

from hwmodel.spec.config import Config
from hwmodel.data.encode import EventBatch, rate_events, ttfs_events
from hwmodel.data.eventio import EVENT_DTYPE, EventFormatError


def test_ttfs_brighter_first_ties_in_raster_order():
    img = np.zeros((4, 4), np.uint8)
    img[0, 3] = 100
    img[2, 1] = 255
    img[1, 0] = 100
    ev = ttfs_events(img)
    assert [(int(e["x"]), int(e["y"]), int(e["t"])) for e in ev] == [(1, 2, 0), (3, 0, 155), (0, 1, 155)]
    assert len(ttfs_events(img, threshold=100)) == 1


def test_rate_counts_are_floor_t_v_over_256():
    img = np.array([[0, 31, 32, 128, 255]], np.uint8)
    vals = [int(v) for v in img[0]]
    ev = rate_events(img, steps=8)
    counts = np.bincount(ev["x"], minlength=5)
    assert counts.tolist() == [(8 * v) // 256 for v in vals]
    assert np.all(np.diff(ev["t"]) >= 0)


def _ev(xs, ys, ts=None, ps=None):
    e = np.zeros(len(xs), EVENT_DTYPE)
    e["x"], e["y"] = xs, ys
    e["t"] = np.arange(len(xs)) if ts is None else ts
    e["p"] = 0 if ps is None else ps
    return e


def test_batch_rejects_events_outside_the_array():
    cfg = Config.preset("tiny")
    with pytest.raises(EventFormatError, match=r"sample 1, event 1: x=28 outside sensor width 28"):
        EventBatch.from_streams([_ev([1], [1]), _ev([0, 28], [0, 0])], cfg)
    with pytest.raises(EventFormatError, match="y=40"):
        EventBatch.from_streams([_ev([1], [40])], cfg)
    with pytest.raises(EventFormatError, match="p=2"):
        EventBatch.from_streams([_ev([1], [1], ps=[2])], cfg)


def test_batch_rejects_decreasing_time_within_a_sample_only():
    cfg = Config.preset("tiny")
    EventBatch.from_streams([_ev([1, 2], [1, 1], ts=[5, 6]), _ev([1], [1], ts=[0])], cfg)
    with pytest.raises(EventFormatError, match="sample 0, event 1: timestamp 3 < previous 5"):
        EventBatch.from_streams([_ev([1, 2], [1, 1], ts=[5, 3])], cfg)


def test_polarity_maps_to_channel_only_with_two_input_channels():
    streams = [_ev([1, 2], [1, 1], ps=[0, 1])]
    assert EventBatch.from_streams(streams, Config.preset("tiny")).c.tolist() == [0, 0]
    two = Config.preset("tiny").replace(**{"input.channels": 2})
    assert EventBatch.from_streams(streams, two).c.tolist() == [0, 1]


def test_subset_keeps_streams():
    cfg = Config.preset("tiny")
    b = EventBatch.from_streams([_ev([1], [1]), _ev([2, 3], [2, 3]), _ev([], [])], cfg)
    s = b.subset(np.array([2, 1]))
    assert len(s) == 2 and s.stream(0).shape == (0, 3)
    assert s.stream(1)[:, :2].tolist() == [[2, 2], [3, 3]]


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("threshold", [0, 7, 200])
def test_batch_encoder_equals_one_stream_per_image(channels, threshold):
    """``encode_batch`` (TTFS packed without a stream per image) = ``from_streams(encode_images)``:
    the same events in the same order (brighter first, ties in raster order), offsets and channels;
    with few grey levels (many ties), empty images and bright ones."""
    from hwmodel.data.encode import encode_batch, encode_images
    cfg = Config.preset("tiny").replace(**{"encoding.threshold": threshold, "input.channels": channels})
    h, w = cfg.input.height, cfg.input.width
    rng = np.random.default_rng(threshold + channels)
    images = (rng.integers(0, 4, (40, h, w)) * 85).astype(np.uint8)        # 0, 85, 170, 255: ties
    images[3] = 0                                                           # no event
    images[5] = 255
    images[7:20] = rng.integers(0, 256, (13, h, w))
    for part in (images, images[:0], images[3:4]):
        a, b = encode_batch(part, cfg), EventBatch.from_streams(encode_images(part, cfg), cfg)
        for f in ("x", "y", "c", "offsets"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
            assert getattr(a, f).dtype == getattr(b, f).dtype, f
    assert len(encode_batch(images, cfg).x) > 0
