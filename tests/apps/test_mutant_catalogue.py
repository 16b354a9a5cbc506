"""The mutation catalogue (sim/mutants.py) stays applicable: every mutant's old text occurs exactly
once in its file and the edit changes it, ids are unique, and every mutant's first tests exist.
A refactor that moves a mutated line makes `make mutants` fail on that mutant; this catches it in
the default suite."""
from pathlib import Path

import pytest

from sim.mutants import CATALOGUE

REPO = Path(__file__).resolve().parents[2]


def test_ids_are_unique():
    ids = [m.id for m in CATALOGUE]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("m", CATALOGUE, ids=[m.id for m in CATALOGUE])
def test_every_mutant_applies_once(m):
    for path, old, new in m.edits:
        text = (REPO / path).read_text()
        assert text.count(old) == 1, f"{m.id}: {old[:80]!r} occurs {text.count(old)} times in {path}"
        assert old != new
    for t in m.first:
        assert (REPO / t.split("::")[0]).is_file(), t


def test_mutant_runs_leave_out_this_check():
    """A mutated tree fails the checks above by construction (its mutant's old text is gone), so
    ``python -m sim.mutate`` must not run this file on mutants: the file it leaves out is this one."""
    from sim import mutate
    assert (REPO / mutate.SELF_CHECK).resolve() == Path(__file__).resolve()
