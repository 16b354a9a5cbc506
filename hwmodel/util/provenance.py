"""Which code made a result: the package version plus content hashes of the sources.

Every stored result (sweep database rows, ``train --out`` results.json, sweep reports, cost
estimates) records ``code_version()``: e.g. ``0.1.0+model.1a2b3c4d5e6f``. The model hash covers
every file that computes numbers (the model, its data path, presets and technology tables); the
command-line and report modules are left out so that a change of wording does not make old
results look foreign. ``rtl_hash`` covers the Verilog sources a synthesis read.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_RTL_DIR = PACKAGE_DIR.parent / "rtl"

# command lines, orchestration and presentation: no effect on any number that is stored
# (every package's __init__.py and __main__.py too: docstrings, re-exports and entry points)
NOT_MODEL = {"cli", "report", "sweep", "util/plots.py", "util/provenance.py", "util/checks.py",
             "hw/rtlgen.py", "estimate/cli.py", "estimate/report.py"}
MODEL_GLOBS = ("**/*.py", "presets/*.toml", "tech/*.toml")


def _hash_files(root: Path, files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def model_files() -> list[Path]:
    out = []
    for g in MODEL_GLOBS:
        for f in PACKAGE_DIR.glob(g):
            rel = f.relative_to(PACKAGE_DIR)
            if (f.is_file() and f.name not in ("__init__.py", "__main__.py")
                    and not {rel.as_posix(), rel.parts[0]} & NOT_MODEL):
                out.append(f)
    return out


@functools.lru_cache(maxsize=None)
def model_hash() -> str:
    """12 hex digits of the SHA-256 of the model sources (paths and contents)."""
    return _hash_files(PACKAGE_DIR, model_files())


@functools.lru_cache(maxsize=None)
def rtl_hash(rtl_dir: str | None = None) -> str | None:
    """12 hex digits of the SHA-256 of ``rtl_dir/*.v`` and ``*.vh`` (default: the repository's rtl/) and of
    hwmodel/hw/rtlgen.py (which generates its parameters); None when there is no RTL folder."""
    d = Path(rtl_dir) if rtl_dir else REPO_RTL_DIR
    files = sorted([*d.glob("*.v"), *d.glob("*.vh")]) if d.is_dir() else []
    if not files:
        return None
    h = hashlib.sha256(_hash_files(d, files).encode())
    gen = PACKAGE_DIR / "hw" / "rtlgen.py"
    if gen.is_file():
        h.update(gen.read_bytes())
    return h.hexdigest()[:12]


@functools.lru_cache(maxsize=None)
def package_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
        return version("hwmodel")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0+unknown"


def code_version() -> str:
    """``VERSION+model.HASH``: what the database column ``code_version`` and results hold."""
    return f"{package_version()}+model.{model_hash()}"


def version_info(rtl_dir: str | None = None, rtl: bool = False) -> dict:
    """The JSON form: ``{"code_version", "version", "model_sha256"[, "rtl_sha256"]}``."""
    d = {"code_version": code_version(), "version": package_version(), "model_sha256": model_hash()}
    if rtl:
        d["rtl_sha256"] = rtl_hash(str(rtl_dir) if rtl_dir else None)
    return d


def version_line(prog: str) -> str:
    """The text of ``--version``."""
    rh = rtl_hash()
    return f"{prog} {code_version()}" + (f" (rtl {rh})" if rh else "")
