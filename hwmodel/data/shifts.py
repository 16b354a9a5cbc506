"""Distribution shifts for deployment studies (``python -m hwmodel adapt``): composable, seeded
transforms of the images before they are encoded and of the event streams after.

A shift is written ``NAME[:ARGS]`` and shifts compose with ``+`` in the order given, e.g.
``rot:30``, ``shift:3,-2+saltpepper:0.05``, ``scale:0.8+rot:-15``:

images (uint8, before the encoder; bilinear resampling about the image centre, outside pixels 0):
  ``rot:DEG``          rotation by DEG degrees (-180..180), counter-clockwise
  ``shift:DX,DY``      translation by whole pixels (|DX|, |DY| < the image side)
  ``scale:F``          scaling by F (0.25..4) about the centre
  ``saltpepper:P``     a fraction P (0..1) of the pixels set to 0 or 255 (half each), seeded
  ``invert``           v -> 255 - v

event streams (after the encoder, the chip's input):
  ``polarity``         every event's polarity flipped (ON <-> OFF; visible to 2-channel inputs)
  ``hotpixels:N``      N pixels (drawn once per shift, seeded) fire one extra event at every
                       timestamp of the sample (a stuck sensor pixel)
  ``evnoise:R``        R random events per sample, uniform in space and over the sample's time span
  ``timescale:F``      timestamps scaled by F (0.01..100; only stopping rules such as --window-us see
                       time: the chip processes events in order)

Randomness: transform i of a shift draws from ``numpy.random.default_rng([seed, SHIFT_TAG, i,
part])`` (``part`` 0 for the training pool, 1 for the test set), so a shift is the same for every
scope and chip of one seed. Bad parameters raise ``ShiftError`` with a one-line message.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hwmodel.data.eventio import EVENT_DTYPE
from hwmodel.data.mnist import DataError

SHIFT_TAG = 0x534846  # "SHF"


class ShiftError(DataError):
    """A shift that cannot be parsed or applied (one line; a command's input error, exit 2)."""


@dataclass(frozen=True)
class Transform:
    name: str
    args: tuple[float, ...] = ()

    @property
    def on_images(self) -> bool:
        return self.name in IMAGE_SHIFTS


# name: (number of arguments, (lowest, highest) of each, what it is)
IMAGE_SHIFTS = {"rot": (1, (-180.0, 180.0), "rotation in degrees"),
                "shift": (2, None, "translation DX,DY in pixels"),
                "scale": (1, (0.25, 4.0), "scaling factor"),
                "saltpepper": (1, (0.0, 1.0), "fraction of pixels set to 0 or 255"),
                "invert": (0, None, "image inversion")}
EVENT_SHIFTS = {"polarity": (0, None, "polarity flip"),
                "hotpixels": (1, (1.0, 10000.0), "number of hot pixels"),
                "evnoise": (1, (1.0, 1e6), "noise events per sample"),
                "timescale": (1, (0.01, 100.0), "time scaling factor")}
SHIFTS = {**IMAGE_SHIFTS, **EVENT_SHIFTS}
SHIFT_HELP = ("a distribution shift, NAME[:ARGS] joined by '+': rot:DEG, shift:DX,DY, scale:F, saltpepper:P, "
              "invert (images), polarity, hotpixels:N, evnoise:R, timescale:F (event streams)")


def parse_shift(text: str, side: int = 28) -> tuple[Transform, ...]:
    """The transforms of ``text`` (empty or "none": no shift), checked against their ranges; ``side``
    is the image side that bounds a translation."""
    if text is None or text.strip() in ("", "none"):
        return ()
    out = []
    for part in text.split("+"):
        name, _, arg = part.strip().partition(":")
        if name not in SHIFTS:
            raise ShiftError(f"shift '{part.strip()}': unknown (known: {', '.join(SHIFTS)})")
        n, rng, what = SHIFTS[name]
        vals = [a for a in arg.split(",") if a.strip()] if arg else []
        if len(vals) != n:
            raise ShiftError(f"shift '{part.strip()}': {name} takes {n} argument(s) ({what})")
        try:
            args = tuple(float(v) for v in vals)
        except ValueError:
            raise ShiftError(f"shift '{part.strip()}': arguments must be numbers") from None
        if any(not math.isfinite(a) for a in args):
            raise ShiftError(f"shift '{part.strip()}': arguments must be finite")
        if name == "shift":
            if any(a != int(a) or abs(a) >= side for a in args):
                raise ShiftError(f"shift '{part.strip()}': DX, DY must be whole pixels with |d| < {side}")
        elif name in ("hotpixels", "evnoise") and args[0] != int(args[0]):
            raise ShiftError(f"shift '{part.strip()}': {name} takes a whole number")
        elif rng is not None and not rng[0] <= args[0] <= rng[1]:
            raise ShiftError(f"shift '{part.strip()}': {what} {args[0]:g} outside {rng[0]:g}..{rng[1]:g}")
        out.append(Transform(name, args))
    return tuple(out)


def describe(shift: tuple[Transform, ...]) -> str:
    return "+".join(t.name + (":" + ",".join(f"{a:g}" for a in t.args) if t.args else "") for t in shift) or "none"


def _rng(seed: int, i: int, part: int) -> np.random.Generator:
    return np.random.default_rng([seed, SHIFT_TAG, i, part])


def _affine(images: np.ndarray, mat: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Bilinear resampling of (n, H, W) uint8 images: output pixel p reads input mat @ p + offset
    (outside the image: 0), rounded half up and clipped to 0..255."""
    n, h, w = images.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    sy = mat[0, 0] * yy + mat[0, 1] * xx + offset[0]
    sx = mat[1, 0] * yy + mat[1, 1] * xx + offset[1]
    y0, x0 = np.floor(sy).astype(np.int64), np.floor(sx).astype(np.int64)
    fy, fx = sy - y0, sx - x0
    img = images.astype(np.float64)
    out = np.zeros((n, h, w))
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            yi, xi = y0 + dy, x0 + dx
            ok = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
            out += np.where(ok, img[:, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], 0.0) * (wy * wx)
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


def shift_images(images: np.ndarray, shift: tuple[Transform, ...], seed: int, part: int) -> np.ndarray:
    """The image transforms of ``shift`` applied in order to (n, H, W) uint8 images."""
    out = np.asarray(images, np.uint8)
    n, h, w = out.shape
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    for i, t in enumerate(shift):
        if not t.on_images:
            continue
        if t.name == "rot":            # output (y, x) reads the input rotated back about the centre
            a = math.radians(t.args[0])
            m = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
            out = _affine(out, m, centre - m @ centre)
        elif t.name == "scale":
            m = np.eye(2) / t.args[0]
            out = _affine(out, m, centre - m @ centre)
        elif t.name == "shift":
            dx, dy = int(t.args[0]), int(t.args[1])
            res = np.zeros_like(out)
            ys, yd = slice(max(0, -dy), h - max(0, dy)), slice(max(0, dy), h - max(0, -dy))
            xs, xd = slice(max(0, -dx), w - max(0, dx)), slice(max(0, dx), w - max(0, -dx))
            res[:, yd, xd] = out[:, ys, xs]
            out = res
        elif t.name == "saltpepper":
            r = _rng(seed, i, part)
            hit = r.random(out.shape) < t.args[0]
            salt = r.random(out.shape) < 0.5
            out = np.where(hit, np.where(salt, 255, 0), out).astype(np.uint8)
        elif t.name == "invert":
            out = (255 - out).astype(np.uint8)
    return out


def shift_streams(streams: list[np.ndarray], shift: tuple[Transform, ...], seed: int, part: int,
                  width: int, height: int) -> list[np.ndarray]:
    """The event-stream transforms of ``shift`` applied in order to every stream (time order kept)."""
    out = list(streams)
    for i, t in enumerate(shift):
        if t.on_images:
            continue
        r = _rng(seed, i, part)
        if t.name == "polarity":
            out = [_with(s, p=1 - s["p"]) for s in out]
        elif t.name == "timescale":
            out = [_with(s, t=np.floor(s["t"] * t.args[0]).astype(np.int64)) for s in out]
        elif t.name == "hotpixels":
            k = int(t.args[0])
            if k > width * height:
                raise ShiftError(f"shift 'hotpixels:{k}': more hot pixels than the {width}x{height} sensor has")
            px = r.choice(width * height, size=k, replace=False)
            res = []
            for s in out:
                ts = np.unique(s["t"])
                res.append(_merge(s, np.repeat(ts, k), np.tile(px % width, len(ts)), np.tile(px // width, len(ts)), 1))
            out = res
        elif t.name == "evnoise":
            k = int(t.args[0])
            res = []
            for s in out:
                lo, hi = (int(s["t"].min()), int(s["t"].max())) if len(s) else (0, 0)
                res.append(_merge(s, r.integers(lo, hi + 1, size=k), r.integers(0, width, size=k),
                                  r.integers(0, height, size=k), r.integers(0, 2, size=k)))
            out = res
    return out


def _with(s: np.ndarray, **cols) -> np.ndarray:
    o = s.copy()
    for k, v in cols.items():
        o[k] = v
    return o


def _merge(s: np.ndarray, t, x, y, p) -> np.ndarray:
    """``s`` with extra events (t, x, y, p), in time order (a stable sort: at equal times the
    sample's own events first)."""
    extra = np.empty(len(t), EVENT_DTYPE)
    extra["t"], extra["x"], extra["y"], extra["p"] = t, x, y, p
    allev = np.concatenate([s, extra])
    return allev[np.argsort(allev["t"], kind="stable")]
