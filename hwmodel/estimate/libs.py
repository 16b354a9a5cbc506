"""The open standard-cell library the estimator uses by default, and liberty-file helpers.

The project ships no liberty file. Its set-up (``scripts/install-sysdeps.sh``, run by ``make
test``) takes the OSU 0.18 µm library from Debian's ``qflow-tech-osu018`` package: without
installing qflow itself, it extracts the package's files into ``.deps/`` of the checkout. A
system-wide ``qflow-tech-osu018`` (``/usr/share/qflow/tech/osu018``) is used as well, and
``HWMODEL_LIBERTY`` names any other file. A designer's own library is given with ``--liberty``.

``OSU018`` is the default for ``--timing`` and the cross-checks of the tests (the GE table's
calibration, the flip-flop clock energy); the technology tables' constants stay the documented
Nangate45 / sky130 figures (docs/sources.md §3a), not this library's.

Helpers that every liberty reader here needs: ``liberty_text`` (plain or gzipped), ``block``
(one brace-delimited group), ``units`` (the capacitance and time units in fF and ns),
``plain_dff`` (the smallest plain positive-edge D flip-flop: no set, reset, scan or enable).
"""
from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OSU018_NODE_NM = 180.0            # the OSU library's process: 0.18 µm (MOSIS SCN6M_SUBM rules)
OSU018_REL = Path("qflow") / "tech" / "osu018" / "osu018_stdcells.lib"
DEPS_DIR = REPO / ".deps"
SYSTEM_DIR = Path("/usr/share")
ENV = "HWMODEL_LIBERTY"
INSTALL_HINT = ("run scripts/install-sysdeps.sh (make test runs it: it extracts Debian's qflow-tech-osu018 "
                "into .deps/), or give a library with --liberty FILE")


class LibraryMissing(ValueError):
    """No default liberty file on this machine (one line, with what to do)."""


def osu018_candidates() -> list[Path]:
    """Where the default library is looked for, in order."""
    out = []
    if os.environ.get(ENV):
        out.append(Path(os.environ[ENV]))
    out += [DEPS_DIR / OSU018_REL, SYSTEM_DIR / OSU018_REL]
    return out


def default_liberty() -> Path:
    """The OSU 0.18 µm liberty file (see module doc); ``LibraryMissing`` if there is none."""
    cands = osu018_candidates()
    for p in cands:
        if p.is_file():
            return p
    raise LibraryMissing(f"no default liberty file (looked for {', '.join(str(c) for c in cands)}): "
                         + INSTALL_HINT)


def decode(raw: bytes) -> str:
    """A liberty file's text from its bytes, plain or gzipped (gzip errors: OSError, EOFError)."""
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("latin-1")


def liberty_text(path: str | Path) -> str:
    return decode(Path(path).read_bytes())


def block(text: str, start: int) -> str:
    """The brace-delimited group that opens at the first '{' after ``start``."""
    i = text.index("{", start)
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j + 1]
    raise ValueError("unbalanced braces")


_CAP = {"ff": 1.0, "pf": 1e3, "nf": 1e6}
_TIME = {"1ps": 1e-3, "10ps": 1e-2, "100ps": 0.1, "1ns": 1.0}


def units(text: str) -> dict[str, float]:
    """``{"cap_ff": fF per library capacitance unit, "time_ns": ns per library time unit}``;
    liberty's defaults (1 pF, 1 ns) where the library states none."""
    cap, tim = 1e3, 1.0
    m = re.search(r"capacitive_load_unit\s*\(\s*([0-9.eE+-]+)\s*,\s*\"?(\w+)\"?\s*\)", text)
    if m:
        unit = m.group(2).lower()
        if unit not in _CAP:
            raise ValueError(f"capacitive_load_unit '{m.group(2)}' not understood")
        cap = float(m.group(1)) * _CAP[unit]
    t = re.search(r"time_unit\s*:\s*\"?([0-9]+[pn]s)\"?", text)
    if t:
        if t.group(1) not in _TIME:
            raise ValueError(f"time_unit '{t.group(1)}' not understood")
        tim = _TIME[t.group(1)]
    return {"cap_ff": cap, "time_ns": tim}


def templates(text: str) -> dict[str, tuple[str, ...]]:
    """lu_table_template name -> its variable names in order (variable_1, variable_2, ...)."""
    out = {}
    for m in re.finditer(r"lu_table_template\s*\(\s*\"?([\w.]+)\"?\s*\)", text):
        body = block(text, m.end())
        out[m.group(1)] = tuple(v for _, v in sorted(re.findall(r"variable_(\d)\s*:\s*(\w+)", body)))
    return out


def table(group: str, kind: str, tpl: dict | None = None) -> tuple[tuple[str, ...], list[list[float]], list[list[float]]]:
    """(the template's variables, [index_1, index_2], rows of values) of the first ``kind`` table
    in ``group`` (``tpl``: ``templates`` of the library; a 1-D table has one row)."""
    m = re.search(kind + r"\s*\(\s*\"?([\w.]*)\"?\s*\)\s*\{(.*?)\}", group, re.S)
    if m is None:
        raise ValueError(f"no {kind} table")
    body = m.group(2)
    idx = [[float(x) for x in i.group(1).split(",")] if i else []
           for i in (re.search(rf'index_{n}\s*\(\s*"([^"]*)"', body) for n in (1, 2))]
    vals = re.search(r"values\s*\((.*?)\)\s*;", body, re.S)
    rows = [[float(x) for x in r.split(",")] for r in re.findall(r'"([^"]*)"', vals.group(1))]
    return (tpl or {}).get(m.group(1), ()), idx, rows


def nominal_voltage(text: str) -> float | None:
    m = re.search(r"nom_voltage\s*:\s*([0-9.]+)", text)
    return float(m.group(1)) if m else None


def cells(text: str) -> list[tuple[str, str]]:
    """(name, body) of every cell group."""
    return [(m.group(1), block(text, m.end() - 1))
            for m in re.finditer(r"\bcell\s*\(\s*\"?([\w$.\-]+)\"?\s*\)\s*\{", text)]


def _area(body: str) -> float:
    m = re.search(r"\barea\s*:\s*([-+0-9.eE]+)\s*;", body)
    return float(m.group(1)) if m else float("inf")


def plain_dff(text: str) -> tuple[str, str, str, str] | None:
    """(cell, body, clock pin, data pin) of the smallest plain D flip-flop: an ``ff`` group whose
    ``next_state`` is one pin (no enable or scan mux) clocked on a positive edge, with no clear or
    preset; None when the library has none."""
    best = None
    for name, body in cells(text):
        ff = re.search(r"\bff\s*\([^)]*\)\s*\{", body)
        if ff is None:
            continue
        grp = block(body, ff.end() - 1)
        if re.search(r"\b(clear|preset)\s*:", grp):
            continue
        ns = re.search(r'next_state\s*:\s*"\s*(\w+)\s*"', grp)
        ck = re.search(r'clocked_on\s*:\s*"\s*(\w+)\s*"', grp)
        if ns is None or ck is None:
            continue
        cand = (_area(body), name, body, ck.group(1), ns.group(1))
        if best is None or cand[:2] < best[:2]:
            best = cand
    return None if best is None else best[1:]


def flipflop(path: str | Path, what: str = "") -> tuple[str, float, tuple[str, str, str, str]]:
    """(library text, nominal voltage, ``plain_dff``) of a liberty file; ValueError naming the
    file when it has no plain D flip-flop or no ``nom_voltage`` (``what``: for which use)."""
    text = liberty_text(path)
    vnom = nominal_voltage(text)
    dff = plain_dff(text)
    if dff is None or vnom is None:
        raise ValueError(f"liberty file '{path}': no plain D flip-flop cell or no nom_voltage{what}")
    return text, vnom, dff


def pin_group(body: str, pin: str) -> str:
    """The group of pin ``pin`` inside a cell's body."""
    m = re.search(r"\bpin\s*\(\s*\"?" + re.escape(pin) + r"\"?\s*\)", body)
    if m is None:
        raise ValueError(f"no pin {pin}")
    return block(body, m.end())
