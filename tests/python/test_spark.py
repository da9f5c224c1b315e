"""`kairos.spark.segment_sizes` on a real pyspark in local mode (local[2], Java from Debian's
packages: scripts/setup.sh). The same generated log sized three ways — through Spark, through
`kairos.replay` alone and through `kairos replay` — gives the same size, entered, left and
unknown at every step and segment. Bad input fails with a KairosError naming the column (on
the driver) or the row (in the task).

One SparkSession for the module (about 10 s to start), 4 shuffle partitions; the session's time
zone is New York on purpose: nothing may depend on it.
"""

import json
import os
import sys

import pyarrow as pa
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

import kairos
from kairos.spark import segment_sizes
from support import DEMO, ROOT, kairos as cli

CHURN = ROOT / "examples" / "scenarios" / "02-churn-factor.json"
COUNTS = ("size", "entered", "left", "unknown")


@pytest.fixture(scope="module")
def spark():
    # Python workers run this interpreter, which has the kairos package: what a cluster gets by
    # installing the wheel on every executor (docs/python.md).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("kairos-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "4000")
        .config("spark.sql.session.timeZone", "America/New_York")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    out = {}
    for rules in (DEMO, CHURN):
        path = tmp_path_factory.mktemp("bundles") / (rules.stem + ".bin")
        cli("compile", rules, "-o", path)
        out[rules.stem] = path
    return out


def spark_rows(df):
    """(step ms, segment, size, entered, left, unknown) rows of a segment_sizes result."""
    got = df.select(F.unix_millis("step").alias("at"), "segment", *COUNTS).collect()
    return [(r["at"], r["segment"], *(r[c] for c in COUNTS)) for r in got]


def report_rows(report):
    """The same rows from a replay report's JSON (the CLI's or the Python package's)."""
    return [
        (step["at"], name, *(counts[c] for c in COUNTS))
        for step in report["steps"]
        for name, counts in step["segments"].items()
    ]


@pytest.mark.parametrize("rules", ["rules", "02-churn-factor"])
def test_spark_python_and_cli_agree(spark, track_log, bundles, rules):
    log, columns = track_log
    bundle = bundles[rules]
    engine = kairos.Engine.load(bundle.read_bytes())
    table = pa.table(columns)
    cli_report = json.loads(cli("replay", "-b", bundle, "-e", log, "--step", "6h", "--format", "json"))
    python_report = kairos.replay(engine, table, step="6h").to_dict()
    sized = segment_sizes(spark.createDataFrame(table), bundle.read_bytes(), step="6h")
    assert sized.columns == ["step", "segment", "size", "entered", "left", "unknown"]
    want = report_rows(cli_report)
    assert len(want) >= 27 * len(engine.segments)  # 7 days of 6-hour steps
    assert report_rows(python_report) == want
    assert spark_rows(sized) == want


def test_timestamps_typed_and_an_explicit_grid(spark, track_log, bundles):
    log, columns = track_log
    bundle = bundles["rules"]
    ms = kairos._kairos.epoch_ms_all(columns["timestamp"])
    typed = pa.table({**columns, "timestamp": pa.array(ms, pa.int64()).cast(pa.timestamp("ms", tz="UTC"))})
    epoch = pa.table({**columns, "timestamp": pa.array(ms, pa.int64())})
    flags = ["--step", "1d", "--from", "2026-11-03T00:00:00Z", "--to", "2026-11-06T00:00:00Z", "--lookback", "2d"]
    want = report_rows(json.loads(cli("replay", "-b", bundle, "-e", log, "--format", "json", *flags)))
    for table in (typed, epoch):
        sized = segment_sizes(
            spark.createDataFrame(table), kairos.Engine.load(bundle.read_bytes()), at="2026-11-03T00:00:00Z",
            end=1793923200000, step="1d", lookback="2d", partitions=3,
        )
        assert spark_rows(sized) == want


def test_bad_columns_are_named_on_the_driver(spark, track_log, bundles):
    _, columns = track_log
    bundle = bundles["rules"].read_bytes()
    df = spark.createDataFrame(pa.table(columns)).limit(100)
    with pytest.raises(kairos.KairosError) as caught:
        segment_sizes(df.drop("timestamp"), bundle)
    assert (caught.value.code, caught.value.path) == ("E_COLUMN", "timestamp")
    with pytest.raises(kairos.KairosError) as caught:
        segment_sizes(df.withColumn("event", F.length("event")), bundle)
    assert (caught.value.code, caught.value.path) == ("E_COLUMN", "event")
    assert "`event` is int" in str(caught.value)
    with pytest.raises(kairos.KairosError) as caught:
        segment_sizes(df.drop("user_id", "anonymous_id"), bundle)
    assert caught.value.path == "user_id"
    with pytest.raises(kairos.KairosError) as caught:
        segment_sizes(df, b"not a bundle")
    assert caught.value.code == "E_BUNDLE_MAGIC"


def test_a_bad_row_fails_its_task_with_a_located_error(spark, bundles):
    bundle = bundles["rules"].read_bytes()
    rows = pa.table({
        "timestamp": ["2026-11-01T00:00:00Z", "2026-11-01T00:05:00Z", "2026-11-01T00:09:00Z"],
        "type": ["track", "track", "track"],
        "event": ["Cart Viewed", None, "Cart Viewed"],
        "user_id": ["cust-1", "cust-bad", "cust-1"],
        "properties": ['{"category": "shoes"}', "{}", "{}"],
    })
    sized = segment_sizes(spark.createDataFrame(rows), bundle, step="1h")
    spark.sparkContext.setLogLevel("OFF")  # the failure is expected: no stack traces in the log
    try:
        with pytest.raises(Exception) as caught:
            sized.collect()
    finally:
        spark.sparkContext.setLogLevel("ERROR")
    text = str(caught.value)
    assert "KairosError" in text and "E_EVENT_LOG" in text and "row " in text and "cust-bad" in text, text
    assert "panicked" not in text
    skipped = segment_sizes(spark.createDataFrame(rows), bundle, step="1h", skip_bad=True)
    alone = kairos.replay(kairos.Engine.load(bundle), rows, step="1h", skip_bad=True).to_dict()
    assert spark_rows(skipped) == report_rows(alone) and len(alone["steps"]) == 1
