"""Shared test setup: offline data, strict checks outside grading, paths to the repo and book data."""
import os
import sys
from pathlib import Path

import pytest

from tests.paths import SHARED_DATA

# Kernels started by tests (nbval, grading) inherit these: no network probe, strict checks.
os.environ.setdefault("AUTOGRADE_OFFLINE", "1")
os.environ.pop("AUTOGRADE_GRADING", None)
# nbgrader runs `alembic` and kernels from this interpreter's bin/.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(scope="session")
def shared_data():
    """The real book data beside the checkout; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent (real book data is only for fidelity checks)")
    return SHARED_DATA
