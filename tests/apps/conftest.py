"""Fixtures shared by the application tests."""
import pytest

from hwmodel.data.select import DataSpec, load_data
from hwmodel.spec.config import Config


@pytest.fixture(scope="module")
def tiny():
    """The tiny preset and 300 training / 100 test embedded digits (validation carved as usual)."""
    cfg = Config.preset("tiny")
    prep, _ = load_data(cfg, DataSpec(n_train=300, n_test=100))
    return cfg, prep
