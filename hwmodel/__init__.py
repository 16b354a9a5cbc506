"""hwmodel: bit-accurate model, RTL and cost estimators of an event-driven CNN processor.

Importing the package first points Numba's on-disk cache at a folder named after the contents of
the package's sources. Numba's ``cache=True`` checks only the file that defines a cached kernel:
when a helper that the kernel inlines changes (``engine/arith.py``, ``spec/counters.py``) it would silently
load the stale machine code. A different source tree now means a different cache folder, so a
kernel is recompiled whenever any ``hwmodel/**/*.py`` changes. ``NUMBA_CACHE_DIR`` set by the user
is left alone.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path


def _source_hash() -> str:
    """Short hash of the path and contents of every hwmodel/**/*.py (the kernels' sources and
    every helper they inline, in any subpackage)."""
    root = Path(__file__).parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:12]


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def _numba_cache_dir() -> str:
    """Per-user cache folder whose last component is the source hash."""
    tag = _source_hash()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "hwmodel" / "numba" / tag
    if not _writable(path):
        uid = os.getuid() if hasattr(os, "getuid") else "user"
        path = Path(tempfile.gettempdir()) / f"hwmodel-numba-{uid}" / tag
        _writable(path)
    _prune(path)
    return str(path)


PRUNE_AFTER_S = 7 * 24 * 3600


def _prune(current: Path) -> None:
    """Remove cache folders of other source versions not used for a week (every edit of the
    sources makes a new one; each holds a few hundred kB of compiled kernels)."""
    import shutil
    import time
    try:
        os.utime(current)                    # mark the one in use
        for d in current.parent.iterdir():
            if d != current and d.is_dir() and time.time() - d.stat().st_mtime > PRUNE_AFTER_S:
                shutil.rmtree(d, ignore_errors=True)
    except OSError:
        pass


if not os.environ.get("NUMBA_CACHE_DIR"):
    os.environ["NUMBA_CACHE_DIR"] = _numba_cache_dir()
    if "numba" in sys.modules:  # numba imported before us: make it read the variable again
        from numba.core import config as _numba_config

        _numba_config.reload_config()
