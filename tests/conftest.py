import os

import pytest

ALLOW_MISSING = "HWMODEL_ALLOW_MISSING_TOOLS"


def require_tool(why: str | None, tool: str) -> None:
    """Fail (not skip) when a tool the suite needs is missing: CI installs every one of them.
    A developer without them may set HWMODEL_ALLOW_MISSING_TOOLS=1 to skip instead."""
    if why is None:
        return
    if os.environ.get(ALLOW_MISSING) == "1":
        pytest.skip(f"{tool} unavailable ({why}); skipped because {ALLOW_MISSING}=1")
    pytest.fail(f"{tool} unavailable: {why}. The test suite needs it (make test installs it); "
                f"set {ALLOW_MISSING}=1 to skip these tests instead", pytrace=False)


def waveform_lines(waveforms: dict[str, int]) -> list[str]:
    """The end-of-run lines naming every waveform dumped with WAVES=1, with its size."""
    return [f"{path} ({size / 1e6:,.1f} MB)" for path, size in sorted(waveforms.items())]


def pytest_terminal_summary(terminalreporter):
    """With WAVES=1, where the waveforms went (the tests' own "waveform: PATH" lines are captured)."""
    import sys
    runner = sys.modules.get("sim.runner")
    if runner is not None and runner.WAVEFORMS:
        terminalreporter.section("waveforms (WAVES=1)")
        for line in waveform_lines(runner.WAVEFORMS):
            terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def tiny_300():
    """The tiny preset and 300 training / 100 test embedded digits (validation carved as usual)."""
    from hwmodel.data.select import DataSpec, load_data
    from hwmodel.spec.config import Config
    cfg = Config.preset("tiny")
    prep, _ = load_data(cfg, DataSpec(n_train=300, n_test=100))
    return cfg, prep
