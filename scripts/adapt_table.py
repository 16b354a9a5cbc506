"""What does on-chip learning buy? The adaptation table of README "What does on-chip learning buy?".

Deploys spoon chips of seeds 0, 1, 2 twice, trained on chip (integer DRTP) and off chip (float BP,
quantized), on the embedded split (``python -m hwmodel train --seeds 0,1,2 [--mode off-chip]
--no-float --no-baselines --out OUT/onchip|offchip``); then, for every shift, runs
``python -m hwmodel adapt`` on the three chips of each deployment (adaptation seeds 0, 1, 2: nine
runs; scopes all and output; budgets 0, 100, 300, 1000, 3000; the fresh chip and the ceiling),
writing OUT/<deployment>-<shift>.json and the plot OUT/<deployment>-<shift>/adaptation.png. The
class-incremental shift ``newclasses`` adapts chips deployed without classes 8 and 9 (``train
--withhold-classes 8,9``, OUT/<deployment>-without89) to data holding every class. A rerun skips
what exists (Ctrl-C loses at most the command in progress). OUT/table.md gets the tables.

    python scripts/adapt_table.py [--out runs/adapt] [--config spoon]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

SHIFTS = {"rot30": ["--shift", "rot:30"], "rot15": ["--shift", "rot:15"],
          "shift3": ["--shift", "shift:3,3"], "noise10": ["--shift", "saltpepper:0.1"],
          "fashion": ["--shift-data", "fashion", "--shift-n-train", "10000", "--shift-n-test", "2000"],
          "newclasses": []}
WITHHELD = {"newclasses": "8,9"}   # shifts whose chips are deployed without these classes
SHIFT_TEXT = {"rot30": "rotation 30°", "rot15": "rotation 15°", "shift3": "translation (3, 3) px",
              "noise10": "salt-and-pepper 10 %", "fashion": "new task: Fashion-MNIST",
              "newclasses": "new classes 8, 9"}
LABELS = "0,100,300,1000,3000"
DEPLOY = {"onchip": ([], "weights_seed{s}.npz"), "offchip": (["--mode", "off-chip"], "weights_offchip_seed{s}.npz")}


def run(cmd: list[str], out: Path | None = None) -> None:
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    res = subprocess.run([sys.executable, "-m", "hwmodel", *cmd], capture_output=out is not None, text=True)
    if res.returncode:
        sys.exit(f"error: {' '.join(cmd)} exited {res.returncode}: {(res.stderr or '').strip()[-500:]}")
    if out is not None:
        tmp = out.with_suffix(".tmp")
        tmp.write_text(res.stdout)
        tmp.replace(out)


def _scopes(out: Path, dep: str, sh: str):
    """(the run's JSON, its references, the fresh chip's rows by budget, scope, the scope's rows
    by budget) for every scope of OUT/<dep>-<sh>.json (nothing when it is missing)."""
    f = out / f"{dep}-{sh}.json"
    if not f.exists():
        return
    d = json.loads(f.read_text())
    ref = d["references"]
    fr = {r["labels"]: r for r in ref.get("fresh", [])}
    for scope in d["scopes"]:
        yield d, ref, fr, scope, {r["labels"]: r for r in d["curves"] if r["scope"] == scope}


def table(out: Path, shifts: list[str]) -> str:
    rows = ["| deployed by | shift | no learning (N = 0) | scope | +pp at 100 | +pp at 300 | +pp at 1,000 | "
            "+pp at 3,000 | forgotten pp at 3,000 | nJ / learning sample | µJ per pp at 1,000 | fresh chip at 3,000 | ceiling |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for dep in DEPLOY:
        for sh in shifts:
            for d, ref, fr, scope, by in _scopes(out, dep, sh):

                def pp(n):
                    r = by.get(n)
                    return "-" if r is None else f"{r['recovered_pp_mean']:+.1f} ± {r['recovered_pp_std']:.1f}"
                r3, r1 = by.get(3000), by.get(1000)
                upp = "-" if not r1 or r1["uj_per_recovered_pp"] is None else f"{r1['uj_per_recovered_pp']:.2f}"
                rows.append(
                    f"| {dep.replace('chip', '-chip')} | {SHIFT_TEXT.get(sh, sh)} | "
                    f"{100 * ref['deployed']['shifted_test_accuracy_mean']:.1f} % | {scope} | {pp(100)} | {pp(300)} | "
                    f"{pp(1000)} | {pp(3000)} | "
                    f"{'-' if not r3 else format(r3['forgotten_pp_mean'], '.1f')} | "
                    f"{d['energy_per_learning_sample_nj'].get(scope, float('nan')):.1f} | {upp} | "
                    f"{'-' if 3000 not in fr else format(100 * fr[3000]['shifted_test_accuracy_mean'], '.1f') + ' %'} | "
                    f"{'-' if 'ceiling' not in ref else format(100 * ref['ceiling']['shifted_test_accuracy_mean'], '.1f') + ' %'} |")
    return "\n".join(rows) + "\n"


def class_table(out: Path) -> str:
    """The class-incremental runs: accuracy on the new classes and on the old ones per budget."""
    rows = ["| deployed by | scope | new classes at 0 | at 100 | at 300 | at 1,000 | at 3,000 | old classes at 0 | "
            "old at 3,000 | fresh chip, new classes at 3,000 | ceiling, new classes |", "|---|---|---|---|---|---|---|---|---|---|---|"]

    def pc(r, key):
        return "-" if r is None else (f"{100 * r[key + '_mean']:.1f} ± {100 * (r[key + '_std'] or 0):.1f} %")
    for dep in DEPLOY:
        for _, ref, fr, scope, by in _scopes(out, dep, "newclasses"):
            rows.append(f"| {dep.replace('chip', '-chip')} | {scope} | "
                        + " | ".join(pc(by.get(n), "new_classes_accuracy") for n in (0, 100, 300, 1000, 3000))
                        + f" | {pc(by.get(0), 'old_classes_accuracy')} | {pc(by.get(3000), 'old_classes_accuracy')} | "
                        f"{pc(fr.get(3000), 'new_classes_accuracy')} | {pc(ref.get('ceiling'), 'new_classes_accuracy')} |")
    return "\n".join(rows) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/adapt", help="output folder (default runs/adapt)")
    ap.add_argument("--config", default="spoon", help="preset or TOML file of the deployed chips (default spoon)")
    ap.add_argument("--shifts", default=",".join(SHIFTS), help="shifts to run (default all: " + ",".join(SHIFTS) + ")")
    a = ap.parse_args(argv)
    shifts = [s for s in a.shifts.split(",") if s]
    bad = [s for s in shifts if s not in SHIFTS]
    if bad:
        print(f"error: --shifts: unknown {', '.join(bad)} (known: {', '.join(SHIFTS)})", file=sys.stderr)
        return 2
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for dep, (mode, pattern) in DEPLOY.items():
        for sh in shifts:
            withheld = WITHHELD.get(sh)
            folder = out / (dep + (f"-without{withheld.replace(',', '')}" if withheld else ""))
            if not (folder / pattern.format(s=2)).exists():
                run(["train", "--config", a.config, "--seeds", "0,1,2", *mode, "--no-float", "--no-baselines",
                     "--no-progress", "--out", str(folder)] + (["--withhold-classes", withheld] if withheld else []),
                    out=folder.with_name(folder.name + "-train.txt"))
            weights = [str(folder / pattern.format(s=s)) for s in range(3)]
            f = out / f"{dep}-{sh}.json"
            if not f.exists():
                run(["adapt", "--weights", *weights, *SHIFTS[sh], "--labels", LABELS, "--seeds", "0,1,2",
                     "--json", "--plot", str(out / f"{dep}-{sh}")], out=f)
    md = table(out, shifts) + ("\n" + class_table(out) if "newclasses" in shifts else "")
    (out / "table.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
