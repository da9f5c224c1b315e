"""Helpers of the Python tests: the CLI they compare with, and logs as Arrow columns.

The `kairos` package is installed into target/python by scripts/setup.sh (`pip install
./crates/kairos-py`); the CLI is target/debug/kairos, built by scripts/test.sh before pytest.
"""

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KAIROS = os.environ.get("KAIROS_BIN", str(ROOT / "target" / "debug" / "kairos"))
DEMO = ROOT / "examples" / "demo" / "rules.json"

# The columnar layout (docs/python.md), and what each column is in a `--shape track` line.
TRACK_FIELDS = {
    "timestamp": "timestamp",
    "type": "type",
    "event": "event",
    "user_id": "userId",
    "anonymous_id": "anonymousId",
    "properties": "properties",
    "traits": "traits",
    "context": "context",
}
JSON_COLUMNS = ("properties", "traits", "context")


def track_schema():
    """Every layout column as text (a column of only nulls would otherwise have Arrow's null type)."""
    import pyarrow as pa

    return pa.schema([(name, pa.string()) for name in TRACK_FIELDS])


def kairos(*args, check=True):
    """Runs the CLI; its standard output (or the whole result with check=False)."""
    done = subprocess.run([KAIROS, *map(str, args)], capture_output=True, text=True, check=False)
    if not check:
        return done
    assert done.returncode == 0, done.stderr
    return done.stdout


def compiled(rules, tmp_path):
    """The bundle bytes `kairos compile` writes for a rules file."""
    out = tmp_path / (Path(rules).stem + ".bin")
    kairos("compile", rules, "-o", out)
    return out.read_bytes()


def columns_of(ndjson_path):
    """A `--shape track` log as the columns of the columnar layout (JSON objects as text)."""
    cols = {name: [] for name in TRACK_FIELDS}
    with open(ndjson_path, encoding="utf-8") as lines:
        for text in lines:
            line = json.loads(text)
            for name, field in TRACK_FIELDS.items():
                value = line.get(field)
                if name in JSON_COLUMNS and value is not None:
                    value = json.dumps(value, separators=(",", ":"))
                cols[name].append(value)
    return cols
