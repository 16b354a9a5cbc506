"""Shared command-line checks: one-line argument errors, numeric option types, output folders
checked before any work and written as a set (temporary folder, then rename).

Every command line of the project reports bad input as one line ``error: ...`` on stderr and
exits with status 2; an output that cannot be written after the work (a full disk) is one line
and status 1, with nothing half written; an interruption (Ctrl-C, SIGTERM) exits with 130.
"""
from __future__ import annotations

import argparse
import re
import ctypes
import errno
import os
import shutil
import signal
import sys
import tempfile
from contextlib import contextmanager
from fnmatch import fnmatch
from pathlib import Path
from typing import Iterable

EXIT_INPUT = 2
EXIT_WRITE = 1          # the work was done but its output could not be written (a full disk)
EXIT_INTERRUPTED = 130


class OutputError(ValueError):
    """An output location that cannot be written; the message names it."""


# ---- argument parsing ---------------------------------------------------------------------------
class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``error: ...``, exit 2) instead of usage + message."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_INPUT, f"error: {message} (see {self.prog} --help)\n")


def add_version(p: argparse.ArgumentParser, prog: str) -> None:
    class _Version(argparse.Action):
        def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
            super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

        def __call__(self, parser, namespace, values, option_string=None):
            from hwmodel.util.provenance import version_line
            print(version_line(prog))
            parser.exit(0)

    p.add_argument("--version", action=_Version,
                   help="print the package version and the content hashes of the model (and RTL) sources")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer {text!r}") from None


def count(text: str) -> int:
    """An integer >= 1 (sample counts, epochs, jobs)."""
    v = _int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def nonneg(text: str) -> int:
    """An integer >= 0."""
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def positive(text: str) -> int:
    """An integer > 0 (time windows)."""
    v = _int(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {v}")
    return v


def seed(text: str) -> int:
    v = _int(text)
    if not 0 <= v < 2**32:
        raise argparse.ArgumentTypeError(f"must be in 0..2^32-1, got {v}")
    return v


SEEDS_HELP = ("chip seeds: a comma-separated list of seeds and inclusive ranges, e.g. 0,1,2 or 0-4 "
              "(= 0,1,2,3,4) or 7 (one seed, 7); each in 0..2^32-1, none repeated")


def parse_seed_list(text: str) -> list[int]:
    """``--seeds`` in every command line: a comma-separated list of chip seeds and inclusive
    ranges ``A-B``; one integer is one seed (``--seeds 5`` is seed 5, not five seeds). Raises
    ValueError naming the problem."""
    items = [t.strip() for t in text.split(",")]
    if not text.strip() or any(not t for t in items):
        raise ValueError(f"{text!r}: expected comma-separated seeds or ranges, e.g. 0,1,2 or 0-4")
    vals: list[int] = []
    for t in items:
        rng = re.fullmatch(r"(\d+)\s*-\s*(\d+)", t)
        try:
            a, b = (int(rng.group(1)), int(rng.group(2))) if rng else (int(t), int(t))
        except ValueError:
            raise ValueError(f"{text!r}: seeds are integers or ranges A-B, e.g. 0,1,2 or 0-4") from None
        if b < a:
            raise ValueError(f"{text!r}: range {t} is empty (write the lower seed first)")
        for v in (a, b):
            if not 0 <= v < 2**32:
                raise ValueError(f"seed {v} must be in 0..2^32-1")
        if b - a >= 10_000:
            raise ValueError(f"{text!r}: range {t} has {b - a + 1} seeds (at most 10,000)")
        vals += range(a, b + 1)
    seen: set[int] = set()
    for v in vals:
        if v in seen:
            raise ValueError(f"seed {v} is given twice")
        seen.add(v)
    return vals


def seed_list(text: str) -> list[int]:
    """argparse type of ``--seeds`` (``parse_seed_list``)."""
    try:
        return parse_seed_list(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return v


# ---- output folders -------------------------------------------------------------------------------
def check_out_dir(path: str | Path, owned: Iterable[str], what: str = "--out") -> Path:
    """Check before any work that ``path`` can be written as an output folder.

    ``owned`` are the file names (shell patterns) the command writes there. The folder may be
    new, or an existing folder holding only such files (the previous run's, replaced as a set);
    anything else (a file, a folder with other files, a place that cannot be written, a path
    under a file) raises ``OutputError`` with a one-line message.
    """
    p = Path(path)
    owned = list(owned)
    if p.is_symlink() and not p.exists():
        raise OutputError(f"{what} '{p}' is a broken symbolic link")
    if p.exists():
        if not p.is_dir():
            raise OutputError(f"{what} '{p}' exists and is not a folder")
        try:
            names = os.listdir(p)
        except OSError as e:
            raise OutputError(f"{what} '{p}': cannot list the folder: {e.strerror}") from None
        foreign = sorted(n for n in names if not any(fnmatch(n, pat) for pat in owned))
        if foreign:
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise OutputError(f"{what} '{p}' already holds other files ({', '.join(foreign[:3])}{more}); "
                              f"use a new or empty folder")
    anc = p.absolute().parent
    while not anc.exists() and not anc.is_symlink():
        anc = anc.parent
    if not anc.is_dir():
        raise OutputError(f"{what} '{p}': '{anc}' is a file, not a folder")
    try:
        probe = tempfile.mkdtemp(dir=anc, prefix=".hwmodel-probe-")
        os.rmdir(probe)
    except OSError as e:
        raise OutputError(f"{what} '{p}': cannot write in '{anc}': {e.strerror or e}") from None
    return p


@contextmanager
def out_lock(path: str | Path | None, what: str = "--out"):
    """Held by a command from its checks until its output folder ``path`` is written: a second
    command writing the same folder meanwhile is refused at once (``OutputError``), instead of
    both saying "wrote" while one set replaces the other. The lock is a file named by the
    folder's absolute path in the temporary folder (``flock``, so a killed holder releases it; the
    user's folders get no lock files), removed on release. ``path`` None: nothing to lock."""
    if path is None:
        yield
        return
    import fcntl
    import hashlib
    dest = Path(path).resolve()
    lock = Path(tempfile.gettempdir()) / f"hwmodel-out-{hashlib.sha1(str(dest).encode()).hexdigest()[:16]}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o666)
        except OSError as e:
            raise OutputError(f"{what} '{path}': cannot create its lock '{lock}': {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise OutputError(f"{what} '{path}' is being written by another command right now (pid {holder}): "
                              f"wait for it, or use another folder") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)    # the holder removed it between our open and our lock: take the new one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        try:
            os.unlink(lock)
        except OSError:
            pass
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))


_PENDING_SIGINT = False


def _on_sigint(signum, frame):
    global _PENDING_SIGINT
    _PENDING_SIGINT = True
    raise KeyboardInterrupt


def ctrl_c_raises() -> None:
    """Make Ctrl-C (SIGINT) raise KeyboardInterrupt in this process whatever it inherited: a
    process started with SIGINT ignored (a background job of a non-interactive shell, some CI
    runners) would otherwise never see it, and the clean one-line stop would silently not
    happen. The handler also records the interrupt, because a KeyboardInterrupt raised while
    Python runs a finalizer (``__del__``, e.g. of llvmlite objects while Numba compiles) is
    discarded: ``interruption_point()`` in the long loops raises it again. Called first by every
    command line's main()."""
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)
        if sys.unraisablehook is not _quiet_unraisable:
            _HOOKS["unraisable"] = sys.unraisablehook
            sys.unraisablehook = _quiet_unraisable


_HOOKS: dict = {}


def _quiet_unraisable(u) -> None:
    """A KeyboardInterrupt discarded in a finalizer is not printed as an "Exception ignored"
    traceback: the handler recorded it and the next interruption point raises it. Anything else
    goes to the previous hook."""
    if u.exc_type is KeyboardInterrupt:
        return
    (_HOOKS.get("unraisable") or sys.__unraisablehook__)(u)


def interruption_point() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C arrived that has not been raised where it could be
    caught (see ``ctrl_c_raises``); call it at each step of a long loop."""
    global _PENDING_SIGINT
    if _PENDING_SIGINT:
        _PENDING_SIGINT = False
        raise KeyboardInterrupt


def clear_interrupt() -> None:
    """A KeyboardInterrupt was caught and handled: forget the recorded Ctrl-C."""
    global _PENDING_SIGINT
    _PENDING_SIGINT = False


@contextmanager
def no_sigint():
    """Defer Ctrl-C (and SIGTERM) while a set of files is being put in place."""
    import threading
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got = []
    handlers = {}
    for s in (signal.SIGINT, signal.SIGTERM):
        handlers[s] = signal.signal(s, lambda signum, frame: got.append(signum))
    try:
        yield
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
        if got:
            raise KeyboardInterrupt


@contextmanager
def atomic_dir(path: str | Path):
    """Write an output folder as a set: yields a temporary folder beside ``path``; on success it
    replaces ``path`` (an atomic exchange on Linux, else two renames), so ``path`` always holds
    either the complete previous set or the complete new one. On an error the temporary folder
    is removed and ``path`` is unchanged."""
    dest = Path(path).absolute()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.tmp-"))
    except OSError as e:
        raise cannot_write(dest, e) from None
    try:
        try:
            yield tmp
        except OSError as e:   # a full disk, a quota: the set is not complete, nothing replaced
            raise cannot_write(dest, e) from None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        with no_sigint():
            if dest.exists() and _exchange(tmp, dest):
                shutil.rmtree(tmp, ignore_errors=True)  # now holds the previous set
                return
            if dest.exists():
                old = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.old-"))
                os.rmdir(old)
                os.rename(dest, old)
                os.rename(tmp, dest)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def cannot_write(path: str | Path, e: OSError) -> OutputError:
    """The one-line error of an output that could not be written (``e``: why, e.g. ENOSPC)."""
    why = e.strerror or str(e) or type(e).__name__
    return OutputError(f"cannot write '{path}': {why} (nothing of it was written; what it held before is unchanged)")


def atomic_write(path: str | Path, write) -> None:
    """The project's one way to write a file: ``write(f)`` fills a binary file object opened on a
    fresh temporary file beside ``path`` (the folder is created), which then becomes an ordinary
    file (0666 less the umask) and is renamed over ``path``, so a reader never sees a part of it;
    on any error (a full disk, Ctrl-C) the temporary file is removed and ``path`` is untouched.
    Concurrent writers of the same path each use their own temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # mkstemp makes 0600
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_bytes(path: str | Path, *parts) -> None:
    """``atomic_write`` of bytes-like parts, in order."""
    def write(f):
        for part in parts:
            f.write(part)
    atomic_write(path, write)


def atomic_write_text(path: str | Path, text: str) -> None:
    """``atomic_write`` of a text (UTF-8)."""
    atomic_write_bytes(path, text.encode())


def json_safe(obj):
    """``obj`` with every non-finite float (NaN, ±Infinity: not JSON) replaced by None and numpy
    scalars and arrays made plain Python, recursively."""
    import math

    import numpy as np
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


def to_json(obj, **kw) -> str:
    """JSON text of ``obj`` as every command prints and writes it: standard JSON only (a NaN or an
    infinity becomes null, never the non-standard ``NaN``/``Infinity`` tokens)."""
    import json
    return json.dumps(json_safe(obj), allow_nan=False, **kw)


def run_main(main) -> None:
    """Run a command's ``main()`` and exit with its status; a reader that stops reading its output
    (``| head``) ends it quietly, as it would end any Unix tool, instead of with a traceback."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())   # Python's exit flush would fail again
        code = 141                              # 128 + SIGPIPE, as a shell reports it
    sys.exit(code)
