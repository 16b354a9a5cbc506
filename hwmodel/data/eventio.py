"""Event streams in and out: the event array type, N-MNIST ``.bin`` files and
the project's own ``.aer`` files.

An event stream for one sample is a 1-D numpy structured array of
:data:`EVENT_DTYPE` in processing order (non-decreasing ``t``).  All readers
validate what they decode and raise :class:`EventFormatError` with a one-line
message naming the file, the record / byte offset and the problem.  The byte
layouts are documented in ``docs/events.md``.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from hwmodel.util.checks import atomic_write_bytes

EVENT_DTYPE = np.dtype([("t", "<i8"), ("x", "<u2"), ("y", "<u2"), ("p", "u1")])
"""One event: timestamp ``t`` (µs or ticks), column ``x``, row ``y``,
polarity ``p`` (0 = OFF, 1 = ON).  Packed, 13 bytes, little-endian."""

PathLike = str | os.PathLike[str]


class EventFormatError(ValueError):
    """Malformed event data or event file (one-line message)."""


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------

_Check = tuple[np.ndarray, Callable[[int], str]]
"""A boolean mask over events (True = bad) and a describer for a bad index."""


def _first_failure(checks: list[_Check]) -> tuple[int, str] | None:
    """Return ``(index, description)`` of the lowest-index event failing any
    check (on a tie the earlier check describes it), or None if all pass."""
    best: tuple[int, Callable[[int], str]] | None = None
    for mask, describe in checks:
        hits = np.flatnonzero(mask)
        if hits.size and (best is None or hits[0] < best[0]):
            best = (int(hits[0]), describe)
    if best is None:
        return None
    i, describe = best
    return i, describe(i)


def _unsorted_mask(t: np.ndarray) -> np.ndarray:
    """Mask of events whose timestamp is smaller than the previous one."""
    mask = np.zeros(t.shape[0], dtype=bool)
    mask[1:] = t[1:] < t[:-1]
    return mask


def _sensor_checks(
    x: np.ndarray,
    y: np.ndarray,
    p: np.ndarray,
    t: np.ndarray,
    width: int,
    height: int,
    require_sorted: bool,
) -> list[_Check]:
    """Address, polarity and (optionally) ordering checks for a sensor."""
    checks: list[_Check] = [
        (x >= width, lambda i: f"x={x[i]} outside sensor width {width}"),
        (y >= height, lambda i: f"y={y[i]} outside sensor height {height}"),
        (p > 1, lambda i: f"p={p[i]} is not a polarity (0=OFF, 1=ON)"),
    ]
    if require_sorted:
        checks.append(
            (
                _unsorted_mask(t),
                lambda i: f"t={t[i]} < previous t={t[i - 1]} "
                "(timestamps must be non-decreasing)",
            )
        )
    return checks


def _check_dims(width: int, height: int) -> None:
    """Reject sensor sizes that cannot be addressed with u16 coordinates."""
    for name, v in (("width", width), ("height", height)):
        if not 1 <= int(v) <= 0xFFFF:
            raise ValueError(f"sensor {name} {v} outside [1, 65535]")


def _require_event_array(ev: object, prefix: str) -> np.ndarray:
    """Return ``ev`` if it is a 1-D EVENT_DTYPE array, else raise."""
    if (
        not isinstance(ev, np.ndarray)
        or ev.dtype != EVENT_DTYPE
        or ev.ndim != 1
    ):
        desc = (
            f"dtype {ev.dtype} shape {ev.shape}"
            if isinstance(ev, np.ndarray)
            else type(ev).__name__
        )
        raise EventFormatError(
            f"{prefix}events must be a 1-D array of EVENT_DTYPE, got {desc}"
        )
    return ev


def validate_events(
    ev: np.ndarray,
    width: int,
    height: int,
    *,
    require_sorted: bool = True,
    source: str | None = None,
) -> None:
    """Check an event stream against a ``width`` x ``height`` sensor.

    Raises :class:`EventFormatError` naming the first offending event index
    if ``ev`` is not a 1-D :data:`EVENT_DTYPE` array, if an address is out of
    range (``x >= width`` or ``y >= height``), if ``p`` is not 0 or 1, or
    (when ``require_sorted``) if a timestamp is smaller than its
    predecessor.  ``source``, if given, prefixes the message (e.g. a file).
    """
    _check_dims(width, height)
    prefix = f"{source}: " if source else ""
    ev = _require_event_array(ev, prefix)
    failure = _first_failure(
        _sensor_checks(
            ev["x"], ev["y"], ev["p"], ev["t"], width, height, require_sorted
        ),
    )
    if failure is not None:
        i, what = failure
        raise EventFormatError(f"{prefix}event {i}: {what}")


def _make_events(
    t: np.ndarray, x: np.ndarray, y: np.ndarray, p: np.ndarray
) -> np.ndarray:
    """Assemble an EVENT_DTYPE array from equally long field arrays."""
    ev = np.empty(t.shape[0], dtype=EVENT_DTYPE)
    ev["t"] = t
    ev["x"] = x
    ev["y"] = y
    ev["p"] = p
    return ev


# --------------------------------------------------------------------------
# N-MNIST .bin
# --------------------------------------------------------------------------

NMNIST_WIDTH = 34
NMNIST_HEIGHT = 34
NMNIST_RECORD_BYTES = 5
NMNIST_T_BITS = 23
NMNIST_OVERFLOW_Y = 240
"""Records with this y are timestamp-overflow markers, not events."""
NMNIST_OVERFLOW_STEP = 1 << 13
"""Microseconds added to all later timestamps by each overflow marker."""
NMNIST_SPLITS = ("Train", "Test")


def read_nmnist(
    path: PathLike, *, width: int = NMNIST_WIDTH, height: int = NMNIST_HEIGHT
) -> np.ndarray:
    """Decode one N-MNIST ``.bin`` file into an EVENT_DTYPE array.

    Each 5-byte record is ``x``, ``y``, then ``p`` (bit 7 of byte 2) and a
    23-bit big-endian timestamp in µs (bits 6..0 of byte 2, bytes 3, 4).
    As in the dataset authors' reference reader, a record with
    ``y == 240`` is a timestamp-overflow marker: it is dropped and adds
    2**13 µs to every later timestamp.  Raises :class:`EventFormatError` if
    the size is not a multiple of 5, an address is outside ``width`` x
    ``height``, or timestamps decrease.
    """
    _check_dims(width, height)
    prefix = f"nmnist file '{path}': "
    raw = np.frombuffer(Path(path).read_bytes(), dtype=np.uint8)
    if raw.size % NMNIST_RECORD_BYTES:
        raise EventFormatError(
            f"{prefix}truncated: {raw.size} bytes is not a multiple of "
            f"{NMNIST_RECORD_BYTES}"
        )
    rec = raw.reshape(-1, NMNIST_RECORD_BYTES)
    b2 = rec[:, 2].astype(np.int64)
    t = ((b2 & 0x7F) << 16) | (rec[:, 3].astype(np.int64) << 8) | rec[:, 4]
    record = np.arange(rec.shape[0])
    marker = rec[:, 1] == NMNIST_OVERFLOW_Y
    if marker.any():
        t = t + np.cumsum(marker) * NMNIST_OVERFLOW_STEP
        record = record[~marker]
        rec = rec[~marker]
        t = t[~marker]
    x, y, p = rec[:, 0], rec[:, 1], rec[:, 2] >> 7
    failure = _first_failure(_sensor_checks(x, y, p, t, width, height, True))
    if failure is not None:
        i, what = failure
        r = int(record[i])
        raise EventFormatError(
            f"{prefix}record {r} (byte offset {r * NMNIST_RECORD_BYTES}): {what}"
        )
    return _make_events(t, x, y, p)


def write_nmnist(path: PathLike, events: np.ndarray) -> None:
    """Write ``events`` as an N-MNIST ``.bin`` file (atomically).

    Only streams that :func:`read_nmnist` decodes back identically are
    accepted: ``x, y <= 255``, ``y != 240`` (reserved for overflow markers),
    ``0 <= t < 2**23``, ``p`` in {0, 1}, non-decreasing ``t``; anything else
    raises :class:`EventFormatError` naming the event index.
    """
    prefix = f"nmnist file '{path}': "
    ev = _require_event_array(events, prefix)
    x, y, p, t = ev["x"], ev["y"], ev["p"], ev["t"]
    t_max = 1 << NMNIST_T_BITS
    failure = _first_failure(
        [
            (x > 0xFF, lambda i: f"x={x[i]} does not fit the 8-bit x field"),
            (y > 0xFF, lambda i: f"y={y[i]} does not fit the 8-bit y field"),
            (
                y == NMNIST_OVERFLOW_Y,
                lambda i: f"y={y[i]} is reserved for timestamp-overflow markers",
            ),
            (p > 1, lambda i: f"p={p[i]} is not a polarity (0=OFF, 1=ON)"),
            (
                (t < 0) | (t >= t_max),
                lambda i: f"t={t[i]} outside the 23-bit range [0, {t_max})",
            ),
            (
                _unsorted_mask(t),
                lambda i: f"t={t[i]} < previous t={t[i - 1]} "
                "(timestamps must be non-decreasing)",
            ),
        ],
    )
    if failure is not None:
        i, what = failure
        raise EventFormatError(f"{prefix}event {i}: {what}")
    rec = np.empty((ev.shape[0], NMNIST_RECORD_BYTES), dtype=np.uint8)
    rec[:, 0] = x
    rec[:, 1] = y
    rec[:, 2] = (p.astype(np.int64) << 7) | (t >> 16)
    rec[:, 3] = (t >> 8) & 0xFF
    rec[:, 4] = t & 0xFF
    atomic_write_bytes(path, rec.tobytes())


def list_nmnist_folder(root: PathLike, split: str) -> list[tuple[Path, int]]:
    """Return the sorted ``(path, label)`` list of ``<root>/<split>/<digit>/*.bin``.

    ``split`` is ``"Train"`` or ``"Test"``; ``<digit>`` folders are ``0``..``9``
    (missing digits are allowed, other entries are ignored).  Raises
    :class:`FileNotFoundError` if ``root`` or the split folder does not exist
    or holds no ``.bin`` file.
    """
    if split not in NMNIST_SPLITS:
        raise ValueError(f"N-MNIST split {split!r} is not one of {NMNIST_SPLITS}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"N-MNIST root folder '{root}' does not exist")
    split_dir = root / split
    if not split_dir.is_dir():
        raise FileNotFoundError(
            f"N-MNIST split folder '{split_dir}' does not exist "
            f"(expected {root}/{split}/<digit 0-9>/*.bin)"
        )
    files = [
        (f, digit)
        for digit in range(10)
        if (split_dir / str(digit)).is_dir()
        for f in (split_dir / str(digit)).glob("*.bin")
        if f.is_file()
    ]
    if not files:
        raise FileNotFoundError(
            f"N-MNIST split folder '{split_dir}' holds no <digit 0-9>/*.bin files"
        )
    return sorted(files)


def iter_nmnist_folder(
    root: PathLike,
    split: str = "Train",
    *,
    limit: int | None = None,
    shuffle_seed: int | None = None,
) -> Iterator[tuple[np.ndarray, int, Path]]:
    """Yield ``(events, label, path)`` for the N-MNIST files of one split.

    The folder is listed (and checked, see :func:`list_nmnist_folder`) when
    this function is called; files are then read one at a time as the
    iterator advances.  Order is the sorted listing, or its permutation by
    ``numpy.random.default_rng(shuffle_seed)`` if ``shuffle_seed`` is given;
    ``limit`` keeps the first ``limit`` files of that order.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    files = list_nmnist_folder(root, split)
    if shuffle_seed is not None:
        order = np.random.default_rng(shuffle_seed).permutation(len(files))
        files = [files[i] for i in order]
    if limit is not None:
        files = files[:limit]
    return ((read_nmnist(path), label, path) for path, label in files)


# --------------------------------------------------------------------------
# project .aer format
# --------------------------------------------------------------------------

AER_MAGIC = b"HWAER\x00"
AER_VERSION = 1
_AER_HEADER = struct.Struct("<6sHHHQh")
AER_HEADER_BYTES = _AER_HEADER.size  # 22
AER_RECORD_BYTES = EVENT_DTYPE.itemsize  # 13


class AerHeader(NamedTuple):
    """Decoded ``.aer`` header."""

    width: int
    height: int
    count: int
    label: int


def _check_label(label: int) -> None:
    """Labels are -1 (none) or a non-negative i16."""
    if not -1 <= label <= 0x7FFF:
        raise ValueError(f"label {label} outside [-1, 32767] (-1 = none)")


def write_aer(
    path: PathLike, events: np.ndarray, width: int, height: int, label: int = -1
) -> None:
    """Write one sample as an ``.aer`` file (atomically: temp file + rename).

    ``events`` must pass :func:`validate_events` for ``width`` x ``height``
    (addresses in range, p in {0, 1}, sorted ``t``).  ``label`` is -1 for
    none or 0..32767.
    """
    _check_label(label)
    validate_events(events, width, height, source=f"aer file '{path}'")
    header = _AER_HEADER.pack(
        AER_MAGIC, AER_VERSION, width, height, events.shape[0], label
    )
    atomic_write_bytes(path, header, np.ascontiguousarray(events).data)


def read_aer_header(path: PathLike) -> AerHeader:
    """Read and check the header of an ``.aer`` file.

    Checks magic, version, sensor size, label and that the file length is
    exactly header + count x record size; raises :class:`EventFormatError`.
    """
    prefix = f"aer file '{path}': "
    with open(path, "rb") as f:
        head = f.read(AER_HEADER_BYTES)
        size = os.fstat(f.fileno()).st_size
    if len(head) < AER_HEADER_BYTES:
        raise EventFormatError(
            f"{prefix}truncated header: file has {size} bytes, "
            f"header needs {AER_HEADER_BYTES}"
        )
    magic, version, width, height, count, label = _AER_HEADER.unpack(head)
    if magic != AER_MAGIC:
        raise EventFormatError(
            f"{prefix}byte offset 0: bad magic {magic!r} (expected {AER_MAGIC!r})"
        )
    if version != AER_VERSION:
        raise EventFormatError(
            f"{prefix}byte offset 6: unsupported version {version} "
            f"(supported: {AER_VERSION})"
        )
    for name, offset, v in (("width", 8, width), ("height", 10, height)):
        if v == 0:
            raise EventFormatError(
                f"{prefix}byte offset {offset}: sensor {name} 0 (must be >= 1)"
            )
    if label < -1:
        raise EventFormatError(
            f"{prefix}byte offset 20: label {label} (must be -1 = none or >= 0)"
        )
    expected = AER_HEADER_BYTES + count * AER_RECORD_BYTES
    if size != expected:
        what = "truncated" if size < expected else "trailing data"
        raise EventFormatError(
            f"{prefix}{what}: expected {expected} bytes ({AER_HEADER_BYTES}-byte "
            f"header + {count} events x {AER_RECORD_BYTES} bytes), file has {size}"
        )
    return AerHeader(width, height, count, label)


def _read_aer_events(path: PathLike, start: int, count: int) -> np.ndarray:
    """Read ``count`` records starting at event index ``start``."""
    ev = np.fromfile(
        path,
        dtype=EVENT_DTYPE,
        count=count,
        offset=AER_HEADER_BYTES + start * AER_RECORD_BYTES,
    )
    if ev.shape[0] != count:
        raise EventFormatError(
            f"aer file '{path}': event {start + ev.shape[0]} (byte offset "
            f"{AER_HEADER_BYTES + (start + ev.shape[0]) * AER_RECORD_BYTES}): "
            "file shrank while reading"
        )
    return ev


def _check_aer_chunk(
    path: PathLike, ev: np.ndarray, start: int, header: AerHeader, prev_t: int | None
) -> None:
    """Validate events ``start .. start+len(ev)`` of an ``.aer`` file."""
    t = ev["t"]
    checks = _sensor_checks(
        ev["x"], ev["y"], ev["p"], t, header.width, header.height, True
    )
    if prev_t is not None and t.shape[0]:
        first = np.zeros(t.shape[0], dtype=bool)
        first[0] = t[0] < prev_t
        checks.append(
            (
                first,
                lambda i: f"t={t[i]} < previous t={prev_t} "
                "(timestamps must be non-decreasing)",
            )
        )
    failure = _first_failure(checks)
    if failure is not None:
        i, what = failure
        k = start + i
        raise EventFormatError(
            f"aer file '{path}': event {k} (byte offset "
            f"{AER_HEADER_BYTES + k * AER_RECORD_BYTES}): {what}"
        )


def read_aer(path: PathLike) -> tuple[np.ndarray, int, int, int]:
    """Read a whole ``.aer`` file: returns ``(events, width, height, label)``.

    Validates the header (see :func:`read_aer_header`), every address
    against the sensor size, polarities and timestamp order.
    """
    header = read_aer_header(path)
    ev = _read_aer_events(path, 0, header.count)
    _check_aer_chunk(path, ev, 0, header, None)
    return ev, header.width, header.height, header.label


def iter_aer(path: PathLike, chunk_events: int = 1 << 16) -> Iterator[np.ndarray]:
    """Stream an ``.aer`` file in validated chunks of ``chunk_events`` events.

    The header is checked when this function is called; each chunk is read
    from its byte offset when the iterator reaches it, so memory use is
    bounded by the chunk size.  Concatenating the chunks gives
    ``read_aer(path)[0]``.  Use :func:`read_aer_header` for the sensor size
    and label.
    """
    if chunk_events < 1:
        raise ValueError(f"chunk_events must be >= 1, got {chunk_events}")
    header = read_aer_header(path)

    def chunks() -> Iterator[np.ndarray]:
        prev_t: int | None = None
        for start in range(0, header.count, chunk_events):
            ev = _read_aer_events(path, start, min(chunk_events, header.count - start))
            _check_aer_chunk(path, ev, start, header, prev_t)
            prev_t = int(ev["t"][-1])
            yield ev

    return chunks()
