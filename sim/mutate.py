"""Mutation testing of the project's own test suite: ``python -m sim.mutate`` (``make mutants``).

Each mutant of the catalogue (``sim/mutants.py``) is one single-point change, written as exact
text replacements in one or more files (model mutants change the Numba kernels' helpers and the
independent reference together, so only the spec tests and the co-simulation can see them). For
every mutant the tool copies the working tree into a scratch folder, applies the change, checks
that each replacement matched exactly once (a catalogue that no longer fits the code is an error,
not a survivor), and runs the default test suite there (``pytest -x``, the project's default
marker selection), starting with the mutant's ``first`` tests so that most mutants die in
seconds. It prints, and writes as JSON lines and Markdown, a table: mutant, killed by which
test, or survived.

Mutants marked ``equivalent`` (with the reason) are run too: if one is killed, the claim of
equivalence is wrong and the tool says so. A surviving non-equivalent mutant is a hole in the
tests: the exit status is 1.

    python -m sim.mutate                     # the whole catalogue, 1 job
    python -m sim.mutate --jobs 2 --only fc2_argmax_ties_high,aer_bound_x
    python -m sim.mutate --list              # the catalogue
    python -m sim.mutate --resume runs/mutants/20261123-0300   # skip mutants already done there
    python -m sim.mutate --baseline          # first prove the unmutated suite passes

A kill means something only if the unmutated suite passes on the same tree: ``--baseline`` runs
it first (in a scratch copy too) and stops if it fails. Run the tool from a clean checkout: the
scratch copies are taken from the working tree, uncommitted edits included.

Scratch copies live under ``--work`` (default: a temporary folder; removed after each mutant
unless ``--keep``). Numba's cache goes to a folder keyed by the hash of the copy's hwmodel
sources, so model mutants always compile fresh kernels and RTL mutants share one cache.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from sim.mutants import CATALOGUE, Mutant

SKIP_DIRS = {".git", ".venv", "sim_build", "__pycache__", ".hypothesis", ".pytest_cache", "runs",
             "build", ".numba_cache"}


# the default suite's check that the catalogue applies to the unmutated tree (not a test of the chip)
SELF_CHECK = "tests/apps/test_mutant_catalogue.py"


class CatalogueError(RuntimeError):
    pass


def copy_tree(dst: Path) -> None:
    def ignore(d, names):
        return [n for n in names if n in SKIP_DIRS or n.endswith(".egg-info")]
    shutil.copytree(ROOT, dst, ignore=ignore, symlinks=True)


def apply(m: Mutant, tree: Path) -> None:
    for path, old, new in m.edits:
        f = tree / path
        text = f.read_text()
        n = text.count(old)
        if n != 1:
            raise CatalogueError(f"mutant {m.id}: the text to replace occurs {n} times in {path} "
                                 f"(must be exactly once): {old[:80]!r}")
        f.write_text(text.replace(old, new))


def _hash_sources(tree: Path) -> str:
    h = hashlib.sha1()
    for p in sorted((tree / "hwmodel").rglob("*.py")):
        h.update(p.relative_to(tree).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _failed_test(out: str) -> str | None:
    m = re.search(r"^(?:FAILED|ERROR) (\S+)", out, re.M)
    if m:
        return m.group(1)
    m = re.search(r"Timeout.*?(tests/\S+)", out)
    return m.group(1) if m else None


def run_pytest(tree: Path, args: list[str], env: dict, timeout: float) -> tuple[int, str]:
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "--timeout", "600", *args]
    try:
        r = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        return -1, f"TIMEOUT after {timeout:.0f} s\n{(e.stdout or b'')!s}"


def run_mutant(m: Mutant, work: Path, keep: bool, timeout: float) -> dict:
    t0 = time.time()
    tree = Path(tempfile.mkdtemp(prefix=f"mut-{m.id}-", dir=work))
    try:
        copy_tree(tree / "repo")
        repo = tree / "repo"
        apply(m, repo)
        env = dict(os.environ)
        env["PYTHONPATH"] = str(repo)
        env["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / "hwmodel-mutants-numba" / _hash_sources(repo))
        env.pop("HWMODEL_EDGE_SEEDS", None)
        env.pop("HWMODEL_ALLOW_MISSING_TOOLS", None)
        # the catalogue's own check (every mutant's old text is in the tree) fails on any mutated
        # tree: it would "kill" every mutant its real tests let through, so mutants never run it
        skip = [f"--ignore={SELF_CHECK}"]
        stages = []
        if m.first:
            stages.append(("first", list(m.first) + skip))
        stages.append(("suite", skip))        # the whole default suite (pyproject's -m 'not slow')
        killer, out, rc = None, "", 0
        for name, args in stages:
            rc, out = run_pytest(repo, args, env, timeout)
            if rc == -1:
                killer = "timeout (a test hung)"
                break
            if rc not in (0, 5):
                killer = _failed_test(out) or f"pytest exit {rc}"
                break
        status = "killed" if killer else "survived"
        if m.equivalent:
            status = "equivalent: KILLED (claim wrong)" if killer else "equivalent (survived)"
        res = {"id": m.id, "module": m.module, "what": m.what, "status": status,
               "killed_by": killer, "equivalent": m.equivalent, "seconds": round(time.time() - t0, 1)}
        if killer:
            res["evidence"] = _evidence(out)
        return res
    except CatalogueError as e:
        return {"id": m.id, "module": m.module, "what": m.what, "status": "catalogue error",
                "killed_by": None, "error": str(e), "seconds": round(time.time() - t0, 1)}
    finally:
        if not keep:
            shutil.rmtree(tree, ignore_errors=True)


def _evidence(out: str) -> str:
    """The first assertion line of the failure (what the test saw)."""
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("E ") and len(s) > 3:
            return s[2:].strip()[:200]
    return ""


def table(rows: list[dict]) -> str:
    out = ["| mutant | module | change | result | killed by |", "|---|---|---|---|---|"]
    for r in rows:
        kb = r.get("killed_by") or r.get("error") or ""
        res = r["status"] + (f" — {r['equivalent']}" if r.get("equivalent") else "")
        out.append(f"| {r['id']} | {r['module']} | {r['what']} | {res} | {kb} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.mutate", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated mutant ids (default: the whole catalogue)")
    ap.add_argument("--list", action="store_true", help="print the catalogue and exit")
    ap.add_argument("--jobs", type=int, default=1, help="mutants run in parallel (default 1)")
    ap.add_argument("--out", help="result folder (default runs/mutants/<time>)")
    ap.add_argument("--resume", help="a previous result folder: mutants recorded there are not rerun")
    ap.add_argument("--work", help="scratch folder for the mutated copies (default: temp)")
    ap.add_argument("--keep", action="store_true", help="keep the mutated copies")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per pytest stage (default 1800)")
    ap.add_argument("--baseline", action="store_true",
                    help="run the default suite on the unmutated tree first; stop if it fails")
    a = ap.parse_args(argv)
    if a.jobs < 1:
        print("error: --jobs must be >= 1", file=sys.stderr)
        return 2
    cat = CATALOGUE
    ids = [m.id for m in cat]
    if len(set(ids)) != len(ids):
        print("error: duplicate mutant ids in sim/mutants.py", file=sys.stderr)
        return 2
    if a.only:
        want = [s.strip() for s in a.only.split(",") if s.strip()]
        unknown = [w for w in want if w not in ids]
        if unknown:
            print(f"error: unknown mutant id(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
            return 2
        cat = [m for m in cat if m.id in want]
    if a.list:
        for m in cat:
            eq = f"  [equivalent: {m.equivalent}]" if m.equivalent else ""
            print(f"{m.id:32s} {m.module:14s} {m.what}{eq}")
        print(f"{len(cat)} mutants")
        return 0
    # check every mutant applies before any work
    with tempfile.TemporaryDirectory() as td:
        copy_tree(Path(td) / "repo")
        for m in cat:
            probe = Path(td) / "repo"
            for path, old, _ in m.edits:
                n = (probe / path).read_text().count(old)
                if n != 1:
                    print(f"error: mutant {m.id}: text occurs {n} times in {path} (must be once)",
                          file=sys.stderr)
                    return 2
    out = Path(a.resume or a.out or ROOT / "runs" / "mutants" / time.strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    jl = out / "results.jsonl"
    done = {}
    if jl.exists():
        for line in jl.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                done[r["id"]] = r
    todo = [m for m in cat if m.id not in done]
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="hwmodel-mutants-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{len(cat)} mutants ({len(cat) - len(todo)} already done in {out}); {a.jobs} job(s); "
          f"results in {out}", flush=True)
    t0 = time.time()
    if a.baseline:
        r = run_mutant(Mutant("baseline", "-", "no change", ()), work, a.keep, a.timeout)
        print(f"[{time.time() - t0:6.0f} s] baseline: the unmutated default suite "
              f"{'FAILS: ' + str(r['killed_by']) if r['killed_by'] else 'passes'}", flush=True)
        if r["killed_by"]:
            print("error: the unmutated suite fails, so kills would mean nothing", file=sys.stderr)
            return 2

    def one(m):
        r = run_mutant(m, work, a.keep, a.timeout)
        with open(jl, "a") as f:
            f.write(json.dumps(r) + "\n")
        print(f"[{time.time() - t0:6.0f} s] {m.id:32s} {r['status']:24s} {r.get('killed_by') or r.get('error') or ''}",
              flush=True)
        return r

    with ThreadPoolExecutor(max_workers=a.jobs) as ex:
        for r in ex.map(one, todo):
            done[r["id"]] = r
    rows = [done[m.id] for m in cat if m.id in done]
    md = table(rows)
    killed = sum(r["status"] == "killed" for r in rows)
    surv = [r["id"] for r in rows if r["status"] == "survived"]
    eq_ok = sum(r["status"] == "equivalent (survived)" for r in rows)
    bad = [r["id"] for r in rows if r["status"] in ("catalogue error", "equivalent: KILLED (claim wrong)")]
    summary = (f"{len(rows)} mutants: {killed} killed, {len(surv)} survived, {eq_ok} equivalent "
               f"(survived as claimed), {len(bad)} errors; {time.time() - t0:.0f} s")
    (out / "report.md").write_text(f"# Mutation run\n\n{summary}\n\n{md}\n")
    print()
    print(md)
    print()
    print(summary)
    if surv:
        print(f"SURVIVED (holes in the tests): {', '.join(surv)}")
    if bad:
        print(f"ERRORS: {', '.join(bad)}")
    return 1 if (surv or bad) else 0


if __name__ == "__main__":
    sys.exit(main())
