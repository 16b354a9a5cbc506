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
