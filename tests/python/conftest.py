"""Fixtures of the Python tests: small generated event logs (helpers are in support.py)."""

import pytest

from support import columns_of, kairos


@pytest.fixture(scope="session")
def track_log(tmp_path_factory):
    """2,000 customers over 7 days, analytics `track` shape: (NDJSON path, columns)."""
    path = tmp_path_factory.mktemp("logs") / "track.ndjson"
    kairos("gen", "--customers", 2000, "--days", 7, "--seed", 3, "--shape", "track", "-o", path)
    return path, columns_of(path)
