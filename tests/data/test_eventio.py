"""Tests for hwmodel.data.eventio: event validation, N-MNIST .bin and .aer files."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from hwmodel.data.eventio import (
    AER_HEADER_BYTES,
    EVENT_DTYPE,
    AerHeader,
    EventFormatError,
    iter_aer,
    iter_nmnist_folder,
    list_nmnist_folder,
    read_aer,
    read_aer_header,
    read_nmnist,
    validate_events,
    write_aer,
    write_nmnist,
)


def make_events(rows: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Build an EVENT_DTYPE array from (t, x, y, p) tuples."""
    return np.array(rows, dtype=EVENT_DTYPE)


def random_events(
    rng: np.random.Generator, n: int, width: int, height: int, t_max: int
) -> np.ndarray:
    """Random valid, time-sorted events."""
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["t"] = np.sort(rng.integers(0, t_max, n))
    ev["x"] = rng.integers(0, width, n)
    ev["y"] = rng.integers(0, height, n)
    ev["p"] = rng.integers(0, 2, n)
    return ev


def nmnist_record(x: int, y: int, p: int, t: int) -> bytes:
    """One N-MNIST record built from the dataset's documented bit layout."""
    return struct.pack(">BBBH", x, y, (p << 7) | (t >> 16), t & 0xFFFF)


# --------------------------------------------------------------------------
# event type and validation
# --------------------------------------------------------------------------


def test_event_dtype_is_packed_13_bytes() -> None:
    assert EVENT_DTYPE.itemsize == 13
    assert EVENT_DTYPE.names == ("t", "x", "y", "p")
    assert issubclass(EventFormatError, ValueError)


def test_validate_events_accepts_valid_stream() -> None:
    validate_events(make_events([(0, 0, 0, 0), (0, 33, 33, 1), (5, 1, 2, 1)]), 34, 34)
    validate_events(np.empty(0, dtype=EVENT_DTYPE), 1, 1)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(0, 1, 1, 1), (1, 40, 0, 0)], r"^event 1: x=40 outside sensor width 34$"),
        ([(0, 1, 34, 1)], r"^event 0: y=34 outside sensor height 34$"),
        ([(0, 1, 1, 0), (1, 1, 1, 2)], r"^event 1: p=2 is not a polarity"),
        (
            [(0, 1, 1, 0), (9, 1, 1, 0), (5, 1, 1, 0)],
            r"^event 2: t=5 < previous t=9 \(timestamps must be non-decreasing\)$",
        ),
        # the first offending index wins, whatever the problem is
        ([(9, 1, 1, 0), (5, 1, 1, 0), (9, 99, 1, 0)], r"^event 1: t=5 < previous"),
    ],
)
def test_validate_events_rejects(rows: list, message: str) -> None:
    with pytest.raises(EventFormatError, match=message):
        validate_events(make_events(rows), 34, 34)


def test_validate_events_unsorted_allowed_when_not_required() -> None:
    validate_events(make_events([(9, 1, 1, 0), (5, 1, 1, 0)]), 34, 34, require_sorted=False)


def test_validate_events_names_source_and_rejects_wrong_type() -> None:
    with pytest.raises(EventFormatError, match=r"^f\.aer: event 0: x=3 outside"):
        validate_events(make_events([(0, 3, 0, 0)]), 3, 3, source="f.aer")
    with pytest.raises(EventFormatError, match="1-D array of EVENT_DTYPE"):
        validate_events(np.zeros((2, 4), dtype=np.int64), 3, 3)


# --------------------------------------------------------------------------
# N-MNIST .bin
# --------------------------------------------------------------------------


def test_read_nmnist_decodes_handmade_records(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(
        nmnist_record(5, 33, 0, 0x012345)
        + nmnist_record(33, 0, 1, 0x7FFFFF)  # all 23 timestamp bits, ON
        + nmnist_record(0, 7, 1, 0x7FFFFF)
    )
    ev = read_nmnist(path)
    assert ev.dtype == EVENT_DTYPE
    assert ev.tolist() == [
        (0x012345, 5, 33, 0),
        (0x7FFFFF, 33, 0, 1),
        (0x7FFFFF, 0, 7, 1),
    ]


def test_read_nmnist_raw_bytes_example(tmp_path: Path) -> None:
    # x=1, y=2, byte 2 = 0b1000_0001 (ON, t bits 22..16 = 1), t = 0x010203
    path = tmp_path / "b.bin"
    path.write_bytes(bytes([1, 2, 0x81, 0x02, 0x03]))
    assert read_nmnist(path).tolist() == [(0x010203, 1, 2, 1)]


def test_write_nmnist_produces_documented_bytes(tmp_path: Path) -> None:
    path = tmp_path / "w.bin"
    write_nmnist(path, make_events([(0x012345, 5, 33, 0), (0x7FFFFF, 33, 0, 1)]))
    assert path.read_bytes() == nmnist_record(5, 33, 0, 0x012345) + nmnist_record(
        33, 0, 1, 0x7FFFFF
    )
    assert [p.name for p in tmp_path.iterdir()] == ["w.bin"]  # no temp file left


@pytest.mark.parametrize("seed", range(5))
def test_nmnist_round_trip_random(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ev = random_events(rng, int(rng.integers(0, 3000)), 34, 34, 1 << 23)
    path = tmp_path / "r.bin"
    write_nmnist(path, ev)
    assert path.stat().st_size == 5 * ev.shape[0]
    np.testing.assert_array_equal(read_nmnist(path), ev)


def test_read_nmnist_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "e.bin"
    path.write_bytes(b"")
    assert read_nmnist(path).shape == (0,)


def test_read_nmnist_rejects_truncated(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(nmnist_record(1, 1, 0, 0) + nmnist_record(2, 2, 0, 1)[:3] + b"\0" * 5)
    with pytest.raises(
        EventFormatError,
        match=r"^nmnist file '.*a\.bin': truncated: 13 bytes is not a multiple of 5$",
    ):
        read_nmnist(path)


def test_read_nmnist_rejects_out_of_range_address(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(nmnist_record(3, 3, 0, 0) + nmnist_record(34, 3, 1, 1))
    with pytest.raises(
        EventFormatError,
        match=r"^nmnist file '.*x\.bin': record 1 \(byte offset 5\): "
        r"x=34 outside sensor width 34$",
    ):
        read_nmnist(path)
    path.write_bytes(nmnist_record(3, 200, 0, 0))
    with pytest.raises(EventFormatError, match=r"record 0 \(byte offset 0\): y=200 outside"):
        read_nmnist(path)
    # a larger declared sensor accepts the same address
    assert read_nmnist(path, width=64, height=256)["y"].tolist() == [200]


def test_read_nmnist_rejects_unsorted_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "u.bin"
    path.write_bytes(
        nmnist_record(1, 1, 0, 10) + nmnist_record(1, 1, 0, 90) + nmnist_record(1, 1, 0, 50)
    )
    with pytest.raises(
        EventFormatError,
        match=r"record 2 \(byte offset 10\): t=50 < previous t=90 "
        r"\(timestamps must be non-decreasing\)",
    ):
        read_nmnist(path)


def test_read_nmnist_overflow_marker(tmp_path: Path) -> None:
    # y == 240 records are timestamp-overflow markers (reference reader rule)
    path = tmp_path / "o.bin"
    path.write_bytes(
        nmnist_record(1, 1, 1, 100)
        + nmnist_record(0, 240, 0, 0)
        + nmnist_record(2, 2, 0, 5)
        + nmnist_record(0, 240, 0, 0)
        + nmnist_record(3, 3, 1, 7)
    )
    assert read_nmnist(path).tolist() == [
        (100, 1, 1, 1),
        (5 + 8192, 2, 2, 0),
        (7 + 2 * 8192, 3, 3, 1),
    ]
    # record numbers in errors still count the markers
    path.write_bytes(nmnist_record(0, 240, 0, 0) + nmnist_record(40, 1, 0, 0))
    with pytest.raises(EventFormatError, match=r"record 1 \(byte offset 5\): x=40"):
        read_nmnist(path)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ((0, 256, 0, 0), r"event 1: x=256 does not fit the 8-bit x field"),
        ((0, 0, 300, 0), r"event 1: y=300 does not fit the 8-bit y field"),
        ((0, 0, 240, 0), r"event 1: y=240 is reserved for timestamp-overflow markers"),
        ((0, 0, 0, 2), r"event 1: p=2 is not a polarity"),
        ((1 << 23, 0, 0, 0), r"event 1: t=8388608 outside the 23-bit range \[0, 8388608\)"),
        ((-1, 0, 0, 0), r"event 1: t=-1 outside the 23-bit range"),
    ],
)
def test_write_nmnist_rejects(tmp_path: Path, row: tuple, message: str) -> None:
    path = tmp_path / "bad.bin"
    events = make_events([(0, 1, 1, 1), row])
    with pytest.raises(EventFormatError, match=r"^nmnist file '.*bad\.bin': " + message):
        write_nmnist(path, events)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_write_nmnist_rejects_unsorted_and_wrong_dtype(tmp_path: Path) -> None:
    with pytest.raises(EventFormatError, match=r"event 1: t=3 < previous t=4"):
        write_nmnist(tmp_path / "u.bin", make_events([(4, 0, 0, 0), (3, 0, 0, 0)]))
    with pytest.raises(EventFormatError, match="EVENT_DTYPE"):
        write_nmnist(tmp_path / "d.bin", np.zeros(3, dtype=np.int32))


# --------------------------------------------------------------------------
# N-MNIST folder layout
# --------------------------------------------------------------------------


def build_tree(root: Path) -> dict[Path, np.ndarray]:
    """Tiny <root>/{Train,Test}/<digit>/<n>.bin tree; returns path -> events."""
    rng = np.random.default_rng(7)
    files = {}
    for split, digits, per_digit in (("Train", (0, 3, 9), 4), ("Test", (1, 2), 2)):
        for d in digits:
            folder = root / split / str(d)
            folder.mkdir(parents=True)
            for k in range(per_digit):
                ev = random_events(rng, 10 + k, 34, 34, 300_000)
                path = folder / f"{k:05d}.bin"
                write_nmnist(path, ev)
                files[path] = ev
    (root / "Train" / "3" / "notes.txt").write_text("ignored")
    (root / "Train" / "extra").mkdir()
    return files


def test_list_nmnist_folder_sorted_with_labels(tmp_path: Path) -> None:
    build_tree(tmp_path)
    listing = list_nmnist_folder(tmp_path, "Train")
    assert listing == sorted(listing)
    assert [label for _, label in listing] == [0] * 4 + [3] * 4 + [9] * 4
    assert all(p.parent.name == str(label) for p, label in listing)
    assert [lbl for _, lbl in list_nmnist_folder(tmp_path, "Test")] == [1, 1, 2, 2]


def test_iter_nmnist_folder_reads_events_and_labels(tmp_path: Path) -> None:
    files = build_tree(tmp_path)
    seen = list(iter_nmnist_folder(tmp_path, "Test"))
    assert [(p, lbl) for _, lbl, p in seen] == list_nmnist_folder(tmp_path, "Test")
    for ev, label, path in seen:
        np.testing.assert_array_equal(ev, files[path])
        assert label == int(path.parent.name)


def test_iter_nmnist_folder_limit_and_shuffle(tmp_path: Path) -> None:
    build_tree(tmp_path)
    listing = list_nmnist_folder(tmp_path, "Train")
    first3 = [p for _, _, p in iter_nmnist_folder(tmp_path, "Train", limit=3)]
    assert first3 == [p for p, _ in listing[:3]]
    assert list(iter_nmnist_folder(tmp_path, "Train", limit=0)) == []

    def order(seed: int) -> list[Path]:
        return [p for _, _, p in iter_nmnist_folder(tmp_path, shuffle_seed=seed)]

    assert order(1) == order(1)
    assert order(1) != order(2)
    assert sorted(order(1)) == [p for p, _ in listing]
    shuffled5 = [p for _, _, p in iter_nmnist_folder(tmp_path, shuffle_seed=1, limit=5)]
    assert shuffled5 == order(1)[:5]


def test_iter_nmnist_folder_is_lazy(tmp_path: Path) -> None:
    build_tree(tmp_path)
    last, _ = list_nmnist_folder(tmp_path, "Train")[-1]
    last.write_bytes(b"\x01\x02\x03")  # corrupt: only detected when reached
    it = iter_nmnist_folder(tmp_path, "Train")
    for _ in range(11):
        next(it)
    with pytest.raises(EventFormatError, match="truncated: 3 bytes"):
        next(it)


def test_nmnist_folder_missing_or_empty(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"^N-MNIST root folder '.*nope' does not exist$"):
        iter_nmnist_folder(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match=r"split folder '.*Train' does not exist"):
        list_nmnist_folder(tmp_path, "Train")
    (tmp_path / "Test" / "4").mkdir(parents=True)
    (tmp_path / "Test" / "4" / "readme.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"'.*Test' holds no <digit 0-9>/\*\.bin files"):
        iter_nmnist_folder(tmp_path, "Test")
    with pytest.raises(ValueError, match="split 'train' is not one of"):
        list_nmnist_folder(tmp_path, "train")


# --------------------------------------------------------------------------
# .aer
# --------------------------------------------------------------------------


def test_aer_round_trip_and_layout(tmp_path: Path) -> None:
    ev = make_events([(-5, 639, 0, 1), (0, 0, 479, 0), (1 << 40, 12, 34, 1)])
    path = tmp_path / "s.aer"
    write_aer(path, ev, 640, 480, label=7)
    data = path.read_bytes()
    assert len(data) == 22 + 3 * 13
    assert struct.unpack("<6sHHHQh", data[:22]) == (b"HWAER\x00", 1, 640, 480, 3, 7)
    assert struct.unpack("<qHHB", data[22:35]) == (-5, 639, 0, 1)
    assert struct.unpack("<qHHB", data[48:61]) == (1 << 40, 12, 34, 1)
    got, width, height, label = read_aer(path)
    np.testing.assert_array_equal(got, ev)
    assert (width, height, label) == (640, 480, 7)
    assert read_aer_header(path) == AerHeader(640, 480, 3, 7)


@pytest.mark.parametrize("seed", range(3))
def test_aer_round_trip_random(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ev = random_events(rng, int(rng.integers(0, 5000)), 128, 96, 1 << 50)
    path = tmp_path / "r.aer"
    write_aer(path, ev, 128, 96)
    got, width, height, label = read_aer(path)
    np.testing.assert_array_equal(got, ev)
    assert (width, height, label) == (128, 96, -1)


def test_aer_overwrite_is_atomic_and_invalid_write_keeps_old_file(tmp_path: Path) -> None:
    path = tmp_path / "s.aer"
    write_aer(path, make_events([(0, 1, 1, 1)]), 4, 4, label=1)
    write_aer(path, make_events([(0, 2, 2, 0), (3, 3, 3, 1)]), 4, 4, label=2)
    assert read_aer(path)[3] == 2
    before = path.read_bytes()
    with pytest.raises(EventFormatError, match=r"^aer file '.*s\.aer': event 0: x=4 outside sensor width 4$"):
        write_aer(path, make_events([(0, 4, 0, 0)]), 4, 4)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.aer"]


def write_valid_aer(path: Path) -> bytes:
    """Write a 5-event 10x10 .aer file and return its bytes."""
    write_aer(path, make_events([(t, t, 9 - t, t % 2) for t in range(5)]), 10, 10, 3)
    return path.read_bytes()


def test_read_aer_rejects_wrong_magic(tmp_path: Path) -> None:
    path = tmp_path / "m.aer"
    data = write_valid_aer(path)
    path.write_bytes(b"XWAER\x00" + data[6:])
    with pytest.raises(
        EventFormatError,
        match=r"^aer file '.*m\.aer': byte offset 0: bad magic b'XWAER\\x00' "
        r"\(expected b'HWAER\\x00'\)$",
    ):
        read_aer(path)


def test_read_aer_rejects_bad_version(tmp_path: Path) -> None:
    path = tmp_path / "v.aer"
    data = write_valid_aer(path)
    path.write_bytes(data[:6] + struct.pack("<H", 2) + data[8:])
    with pytest.raises(EventFormatError, match=r"byte offset 6: unsupported version 2 \(supported: 1\)"):
        read_aer(path)


def test_read_aer_rejects_truncated_and_trailing(tmp_path: Path) -> None:
    path = tmp_path / "t.aer"
    data = write_valid_aer(path)
    path.write_bytes(data[:-1])
    with pytest.raises(
        EventFormatError,
        match=r"^aer file '.*t\.aer': truncated: expected 87 bytes \(22-byte header "
        r"\+ 5 events x 13 bytes\), file has 86$",
    ):
        read_aer(path)
    path.write_bytes(data + b"\0")
    with pytest.raises(EventFormatError, match=r"trailing data: expected 87 bytes .* file has 88"):
        read_aer(path)
    path.write_bytes(data[:10])
    with pytest.raises(EventFormatError, match=r"truncated header: file has 10 bytes, header needs 22"):
        read_aer(path)


def test_read_aer_rejects_out_of_range_address_and_unsorted(tmp_path: Path) -> None:
    path = tmp_path / "a.aer"
    data = write_valid_aer(path)
    # shrink the declared width to 4: event 4 has x=4
    path.write_bytes(data[:8] + struct.pack("<H", 4) + data[10:])
    with pytest.raises(
        EventFormatError,
        match=r"^aer file '.*a\.aer': event 4 \(byte offset 74\): x=4 outside sensor width 4$",
    ):
        read_aer(path)
    # event 2's timestamp (byte offset 22 + 2*13) set below event 1's
    path.write_bytes(data[:48] + struct.pack("<q", -1) + data[56:])
    with pytest.raises(EventFormatError, match=r"event 2 \(byte offset 48\): t=-1 < previous t=1"):
        read_aer(path)
    # polarity byte of event 0 (offset 22 + 12)
    path.write_bytes(data[:34] + b"\x05" + data[35:])
    with pytest.raises(EventFormatError, match=r"event 0 \(byte offset 22\): p=5 is not a polarity"):
        read_aer(path)


def test_write_aer_rejects_bad_arguments(tmp_path: Path) -> None:
    ev = make_events([(0, 0, 0, 0)])
    with pytest.raises(ValueError, match="label -2"):
        write_aer(tmp_path / "l.aer", ev, 4, 4, label=-2)
    with pytest.raises(ValueError, match="sensor width 0"):
        write_aer(tmp_path / "w.aer", ev, 0, 4)
    assert list(tmp_path.iterdir()) == []


def test_iter_aer_chunks_concatenate(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ev = random_events(rng, 1000, 300, 200, 10**9)
    path = tmp_path / "big.aer"
    write_aer(path, ev, 300, 200)
    chunks = list(iter_aer(path, chunk_events=128))
    assert [c.shape[0] for c in chunks] == [128] * 7 + [104]
    np.testing.assert_array_equal(np.concatenate(chunks), ev)
    assert [c.shape[0] for c in iter_aer(path)] == [1000]
    write_aer(path, ev[:0], 300, 200)
    assert list(iter_aer(path)) == []


def test_iter_aer_checks_header_eagerly_and_order_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "c.aer"
    data = write_valid_aer(path)
    path.write_bytes(data[:-3])
    with pytest.raises(EventFormatError, match="truncated"):
        iter_aer(path)  # raised at call time, before iteration
    # event 3 gets t=0 < event 2's t=2; with chunks of 3 it starts chunk 2
    path.write_bytes(data[: AER_HEADER_BYTES + 39] + struct.pack("<q", 0) + data[AER_HEADER_BYTES + 47 :])
    it = iter_aer(path, chunk_events=3)
    assert next(it).shape[0] == 3
    with pytest.raises(EventFormatError, match=r"event 3 \(byte offset 61\): t=0 < previous t=2"):
        next(it)
