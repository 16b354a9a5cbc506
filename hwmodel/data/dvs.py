"""DVS (event camera) emulation of static images.

A sensor of the image's size watches the image while it moves along a short
saccade-like path; each pixel compares its log intensity with a stored
reference level and emits ON/OFF events per crossed contrast threshold.
The algorithm is specified step by step in ``docs/events.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from hwmodel.data.eventio import EVENT_DTYPE


def saccade_path(
    n_saccades: int, steps_per_saccade: int, amplitude: float, seed: int
) -> np.ndarray:
    """Return the image displacement at each time step, shape ``(S, 2)``.

    ``S = 1 + n_saccades * steps_per_saccade``; row ``s`` is ``(dx, dy)`` in
    pixels (``+x`` right, ``+y`` down) at step ``s``, row 0 is ``(0, 0)``.
    With ``u = default_rng(seed).random((n_saccades, 2))``, saccade ``k`` is
    a straight segment of direction ``theta = 2*pi*u[k, 0]`` and length
    ``r = amplitude * (0.5 + 0.5*u[k, 1])`` starting where saccade ``k-1``
    ended, sampled at fractions ``j / steps_per_saccade``, j = 1..steps.
    """
    if n_saccades < 0 or steps_per_saccade < 1 or amplitude < 0:
        raise ValueError(
            "need n_saccades >= 0, steps_per_saccade >= 1, amplitude >= 0; got "
            f"{n_saccades}, {steps_per_saccade}, {amplitude}"
        )
    u = np.random.default_rng(seed).random((n_saccades, 2))
    theta = 2.0 * np.pi * u[:, 0]
    length = amplitude * (0.5 + 0.5 * u[:, 1])
    frac = np.arange(1, steps_per_saccade + 1, dtype=np.float64) / steps_per_saccade
    path = np.zeros((1 + n_saccades * steps_per_saccade, 2))
    start = np.zeros(2)
    for k in range(n_saccades):
        move = length[k] * np.array([np.cos(theta[k]), np.sin(theta[k])])
        first = 1 + k * steps_per_saccade
        path[first : first + steps_per_saccade] = start + frac[:, None] * move
        start = start + move
    return path


def _render_shifted(
    padded: np.ndarray, margin: int, height: int, width: int, dx: float, dy: float
) -> np.ndarray:
    """Bilinear sample of the image displaced by ``(dx, dy)``.

    ``out[y, x] = I(x - dx, y - dy)`` with ``I`` bilinearly interpolated and
    zero outside the image; ``padded`` is the image with ``margin`` zero
    pixels on every side (``margin >= ceil(max |shift|) + 1``).
    """
    ox = math.floor(-dx)
    oy = math.floor(-dy)
    fx = -dx - ox
    fy = -dy - oy
    r = margin + oy
    c = margin + ox
    top_left = padded[r : r + height, c : c + width]
    top_right = padded[r : r + height, c + 1 : c + 1 + width]
    bottom_left = padded[r + 1 : r + 1 + height, c : c + width]
    bottom_right = padded[r + 1 : r + 1 + height, c + 1 : c + 1 + width]
    return (1.0 - fy) * ((1.0 - fx) * top_left + fx * top_right) + fy * (
        (1.0 - fx) * bottom_left + fx * bottom_right
    )


def dvs_events(
    image: np.ndarray,
    *,
    threshold: float = 0.75,
    n_saccades: int = 3,
    steps_per_saccade: int = 8,
    amplitude: float = 1.5,
    seed: int = 0,
    eps: float = 0.1,
    dt_us: int = 1000,
) -> np.ndarray:
    """Emulate a DVS sensor watching ``image`` move along a saccade path.

    ``image`` is a 2-D uint8 array (H x W); the sensor is H x W.  At step
    ``s`` (see :func:`saccade_path`) the displaced image is rendered with
    bilinear interpolation (zero outside), ``L = log(I/255 + eps)``, and each
    pixel with ``k = trunc((L - ref) / threshold) != 0`` emits ``|k|`` events
    of polarity ON (``k > 0``) or OFF (``k < 0``) and sets
    ``ref = ref + k * threshold``; ``ref`` starts as ``L`` of step 0.
    Events get ``t = s * dt_us`` and, within a step, raster order (row ``y``,
    then column ``x``).  Returns an EVENT_DTYPE array, deterministic in
    (image, parameters, seed).
    """
    image = np.asarray(image)
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError(
            f"image must be a 2-D uint8 array, got dtype {image.dtype} "
            f"shape {image.shape}"
        )
    height, width = image.shape
    if not (0 < height <= 0xFFFF and 0 < width <= 0xFFFF):
        raise ValueError(f"image shape {image.shape} outside 1..65535 per side")
    if not (threshold > 0 and eps > 0 and dt_us >= 1):
        raise ValueError(
            f"need threshold > 0, eps > 0, dt_us >= 1; got {threshold}, {eps}, {dt_us}"
        )
    path = saccade_path(n_saccades, steps_per_saccade, amplitude, seed)
    margin = math.ceil(float(np.abs(path).max())) + 1
    padded = np.pad(image.astype(np.float64), margin)

    def log_frame(s: int) -> np.ndarray:
        frame = _render_shifted(padded, margin, height, width, *path[s])
        return np.log(frame / 255.0 + eps).ravel()

    ref = log_frame(0)
    t_parts, idx_parts, on_parts = [], [], []
    for s in range(1, path.shape[0]):
        k = np.trunc((log_frame(s) - ref) / threshold)
        ref = ref + k * threshold
        fired = np.flatnonzero(k)
        counts = np.abs(k[fired]).astype(np.int64)
        idx_parts.append(np.repeat(fired, counts))
        on_parts.append(np.repeat(k[fired] > 0, counts))
        t_parts.append(np.full(int(counts.sum()), s * dt_us, dtype=np.int64))

    ev = np.empty(sum(p.shape[0] for p in t_parts), dtype=EVENT_DTYPE)
    if ev.shape[0]:
        idx = np.concatenate(idx_parts)
        ev["t"] = np.concatenate(t_parts)
        ev["x"] = idx % width
        ev["y"] = idx // width
        ev["p"] = np.concatenate(on_parts)
    return ev


def dvs_dataset(
    images: np.ndarray | Sequence[np.ndarray],
    labels: Sequence[int] | np.ndarray,
    *,
    seed: int = 0,
    progress: bool = False,
    **kw: float,
) -> list[np.ndarray]:
    """Convert images to event streams with :func:`dvs_events`.

    Sample ``i`` uses ``seed + i``; other keyword arguments are passed on.
    ``labels`` must be as long as ``images`` (the returned list is aligned
    with it; labels are not otherwise used).  ``progress=True`` shows a
    tqdm progress bar.
    """
    if len(images) != len(labels):
        raise ValueError(
            f"{len(images)} images but {len(labels)} labels: lengths must match"
        )
    indices: Iterable[int] = range(len(images))
    if progress:
        from tqdm import tqdm

        indices = tqdm(indices, desc="DVS emulation", unit="img")
    return [dvs_events(images[i], seed=seed + i, **kw) for i in indices]
