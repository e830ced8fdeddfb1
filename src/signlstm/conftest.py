"""Test fixtures: the real data in ../shared (tests fail, not skip, under CI when it is missing)."""
import os
from pathlib import Path

import pytest

import signlstm  # noqa: F401  selects the Keras backend

SHARED = Path(os.environ.get("SIGNLSTM_SHARED", Path(__file__).resolve().parents[3] / "shared"))


def shared_path(*parts) -> Path:
    """A file under ../shared; missing is a failure under CI and a skip elsewhere."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{p} is missing (CI must have ../shared beside the checkout)")
        pytest.skip(f"{p} not available")
    return p


@pytest.fixture
def shared():
    return shared_path
