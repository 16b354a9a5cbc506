"""The Numba cache cannot serve a stale kernel after a helper module changes.

Numba's ``cache=True`` only checks the source file that defines a kernel, so editing a helper it
inlines (``hwmodel/engine/arith.py``) used to leave the old machine code in use. ``hwmodel/__init__.py``
points ``NUMBA_CACHE_DIR`` at a folder named after a hash of the package sources. This test runs
a kernel in fresh interpreters on a private copy of the package: once, after editing only
``engine/arith.py`` (the result must change), and once more without edits (same result, from cache).
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import hwmodel

SCRIPT = r"""
import json, os
import numpy as np
import hwmodel
from hwmodel.spec.config import Config
from hwmodel.data.encode import EventBatch
from hwmodel.data.eventio import EVENT_DTYPE
from hwmodel.engine.kernel import run_stack
from hwmodel.engine.processor import Processor

# s5 potentials (max 15): 40 events on one pixel drive the potentials into saturation
cfg = Config.preset("tiny").replace(**{"conv.potential": "s5", "conv.threshold": 12})
proc = Processor.from_config(cfg)
ev = np.zeros(40, EVENT_DTYPE)
ev["x"], ev["y"], ev["t"] = 14, 14, np.arange(40)
proc.run(EventBatch.from_streams([ev], cfg))
print(json.dumps({
    "file": hwmodel.__file__,
    "cache_dir": os.environ["NUMBA_CACHE_DIR"],
    "pot_max": int(proc.st["pot"].max()),
    "pot_min": int(proc.st["pot"].min()),
    "hits": sum(run_stack.stats.cache_hits.values()),
    "misses": sum(run_stack.stats.cache_misses.values()),
}))
"""


def _run(pkg_root: Path, cache_home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH")}
    env["PYTHONPATH"] = str(pkg_root)
    env["XDG_CACHE_HOME"] = str(cache_home)
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=pkg_root, env=env, capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_editing_a_helper_recompiles_the_kernels(tmp_path):
    pkg_root = tmp_path / "src"
    shutil.copytree(Path(hwmodel.__file__).parent, pkg_root / "hwmodel",
                    ignore=shutil.ignore_patterns("__pycache__"))
    cache_home = tmp_path / "cache"

    first = _run(pkg_root, cache_home)
    assert Path(first["file"]).resolve() == (pkg_root / "hwmodel" / "__init__.py").resolve()
    assert Path(first["cache_dir"]).parent == cache_home / "hwmodel" / "numba"
    assert (first["pot_max"], first["pot_min"]) == (15, -16)  # sat_5: -16 .. 15
    assert first["misses"] == 1  # compiled here

    # saturate one below the top instead: sat_5 would clamp to 14
    arith = pkg_root / "hwmodel" / "engine" / "arith.py"
    src = arith.read_text()
    assert src.count("hi = (1 << (bits - 1)) - 1") == 1
    arith.write_text(src.replace("hi = (1 << (bits - 1)) - 1", "hi = (1 << (bits - 1)) - 2"))

    second = _run(pkg_root, cache_home)
    assert second["cache_dir"] != first["cache_dir"]
    assert second["misses"] == 1 and second["hits"] == 0  # recompiled, not the stale kernel
    assert (second["pot_max"], second["pot_min"]) == (14, -16)

    third = _run(pkg_root, cache_home)
    assert third["cache_dir"] == second["cache_dir"]
    assert third["hits"] == 1 and third["misses"] == 0  # the cache still works
    assert (third["pot_max"], third["pot_min"]) == (14, -16)


def test_user_setting_is_kept(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "mine"))
    out = subprocess.run([sys.executable, "-c", "import os, hwmodel; print(os.environ['NUMBA_CACHE_DIR'])"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(tmp_path / "mine")


def test_numba_imported_first_still_uses_the_hashed_folder(tmp_path):
    code = ("import numba, os, hwmodel\n"
            "from numba.core import config\n"
            "print(config.CACHE_DIR == os.environ['NUMBA_CACHE_DIR'], config.CACHE_DIR)")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    same, path = out.stdout.split()
    assert same == "True" and Path(path).parent == tmp_path / "hwmodel" / "numba"


def test_cache_folders_of_old_sources_are_pruned(tmp_path):
    """A folder of another source version untouched for over a week is removed when the package
    is imported; a recent one and the current one stay."""
    import os
    import subprocess
    import sys
    import time
    root = tmp_path / "cache"
    old, recent = root / "hwmodel" / "numba" / "0000old00000", root / "hwmodel" / "numba" / "0000recent00"
    for d in (old, recent):
        d.mkdir(parents=True)
        (d / "k.nbi").write_text("x")
    t = time.time() - 8 * 24 * 3600
    os.utime(old, (t, t))
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(root)
    r = subprocess.run([sys.executable, "-c", "import hwmodel, os; print(os.environ['NUMBA_CACHE_DIR'])"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    cur = r.stdout.strip()
    assert not old.exists() and recent.exists() and os.path.isdir(cur)
