"""Audience sizing on Apache Spark: segment sizes, entries and exits per step over an event table.

    from kairos.spark import segment_sizes
    sizes = segment_sizes(spark.read.parquet("events/"), open("demo.bin", "rb").read(), step="1d")

Customers are independent: a customer's segments at a step depend only on that customer's own
lines and the step's time. So the job partitions events by customer, replays each partition
with the Python package inside its task (``mapInArrow``: Arrow batches straight into the Rust
engine), and adds the counts up. Every task counts the same step boundaries, fixed once on the
driver, so the sums are exactly what one replay of the whole log reports (docs/python.md).

Nothing here assumes local mode: the bundle travels in the task's closure, and each executor
needs only the ``kairos`` wheel installed (docs/python.md: running on a cluster).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from . import Duration, Engine, Instant, _error, _instant, _kairos, replay

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame

__all__ = ["segment_sizes", "EVENT_COLUMNS"]

EVENT_COLUMNS = ("timestamp", "type", "event", "user_id", "anonymous_id", "properties", "traits", "context")
"""The columnar layout's columns (docs/python.md); others are not read."""

COUNTS = ("size", "entered", "left", "unknown")

# Helper columns of the job, named so they cannot meet an event column.
_CUSTOMER, _ORDER, _MS = "__kairos_customer", "__kairos_order", "__kairos_ms"


def segment_sizes(
    df: "DataFrame",
    bundle: Union[bytes, Engine],
    at: Optional[Instant] = None,
    step: Duration = "1d",
    end: Optional[Instant] = None,
    *,
    customer: Union[str, "Column", None] = None,
    lookback: Optional[Duration] = None,
    session_timeout: Duration = "30m",
    skip_bad: bool = False,
    assume_consent: bool = True,
    partitions: Optional[int] = None,
) -> "DataFrame":
    """Segment sizes, entries and exits at every step, as a Spark DataFrame.

    ``df`` holds events in the columnar layout (``timestamp``, ``event``, ``type``,
    ``user_id`` and/or ``anonymous_id``, ``properties``, ``traits``, ``context``), one row per
    event; rows of one customer keep their order (by ``timestamp``, then the DataFrame's own
    order). ``bundle`` is a compiled bundle's bytes or an :class:`~kairos.Engine`.

    ``at`` and ``end`` are the first and last step boundaries (RFC 3339, epoch ms or an aware
    datetime); by default they are found as ``kairos replay`` finds them: the first whole step
    after the first event, and the first boundary at or after the last one. ``customer`` is the
    column (or expression) that keeps each customer's rows together; by default
    ``coalesce(user_id, anonymous_id)``, the id the replay keys customers by. ``partitions``
    defaults to ``spark.sql.shuffle.partitions``. The other options are :func:`kairos.replay`'s.

    Returns columns ``step`` (timestamp), ``segment`` (string), ``size``, ``entered``,
    ``left`` and ``unknown`` (long), ordered by step and bundle order. Raises
    :class:`~kairos.KairosError` here for a missing or mistyped column; a bad row fails its
    task with a KairosError naming the row (the job's error carries its message).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StructField, StructType

    engine = bundle if isinstance(bundle, Engine) else Engine.load(bytes(bundle))
    bundle_bytes, segments = engine.bundle, engine.segments
    step_ms = _kairos.duration_ms(step)
    columns = _event_columns(df)
    key = _customer_key(df, customer)

    prepared = df.select(*columns, key.alias(_CUSTOMER), F.monotonically_increasing_id().alias(_ORDER))
    # A new schema: StructType.add would change the one the DataFrame caches.
    keyed = prepared.mapInArrow(_keyed_by_ms(), StructType([*prepared.schema.fields, StructField(_MS, LongType())]))
    first, last = _grid(keyed, _instant(at, "at"), _instant(end, "end"), step_ms)
    if first is None or last is None:
        return df.sparkSession.createDataFrame([], _OUTPUT)

    options = dict(
        step=step_ms,
        start=first,
        end=last,
        lookback=lookback,
        session_timeout=session_timeout,
        skip_bad=skip_bad,
        assume_consent=assume_consent,
    )
    shuffled = keyed.repartition(partitions, _CUSTOMER) if partitions else keyed.repartition(_CUSTOMER)
    ordered = shuffled.sortWithinPartitions(_MS, _ORDER)
    counted = ordered.mapInArrow(_replay_task(bundle_bytes, list(columns), options), _COUNTED)
    summed = counted.groupBy("step_ms", "segment").agg(*(F.sum(c).alias(c) for c in COUNTS))
    position = F.array_position(F.array(*(F.lit(s) for s in segments)), F.col("segment"))
    return summed.orderBy("step_ms", position).select(
        F.expr("timestamp_millis(step_ms)").alias("step"), "segment", *(F.col(c).cast("long") for c in COUNTS)
    )


_COUNTED = "step_ms long, segment string, size long, entered long, left long, unknown long"
_OUTPUT = "step timestamp, segment string, size long, entered long, left long, unknown long"


def _event_columns(df: "DataFrame") -> Tuple[str, ...]:
    """The layout's columns present in ``df``; KairosError naming what is missing or mistyped."""
    from pyspark.sql import types as T

    fields = {f.name: f.dataType for f in df.schema.fields}
    if "timestamp" not in fields:
        raise _error("E_COLUMN", "events: no column `timestamp`", "timestamp")
    timestamp = fields["timestamp"]
    if not isinstance(timestamp, (T.TimestampType, T.TimestampNTZType, T.StringType, T.LongType)):
        raise _error(
            "E_COLUMN",
            f"events: column `timestamp` is {timestamp.simpleString()}: give a timestamp, epoch "
            "milliseconds (a long) or RFC 3339 text",
            "timestamp",
        )
    # A column of nulls only (Spark's void type) is as good as none.
    present = [c for c in EVENT_COLUMNS if c in fields and not isinstance(fields[c], T.NullType)]
    for name in present:
        if name != "timestamp" and not isinstance(fields[name], T.StringType):
            raise _error("E_COLUMN", f"events: column `{name}` is {fields[name].simpleString()}: give text", name)
    return tuple(present)


def _customer_key(df: "DataFrame", customer: Union[str, "Column", None]) -> "Column":
    from pyspark.sql import functions as F

    if customer is not None:
        return F.col(customer) if isinstance(customer, str) else customer
    ids = [c for c in ("user_id", "anonymous_id") if c in _event_columns(df)]
    if not ids:
        raise _error("E_COLUMN", "events: no column `user_id` or `anonymous_id` to tell customers apart", "user_id")
    return F.coalesce(*(F.col(c) for c in ids))


def _grid(keyed: "DataFrame", at: Any, end: Any, step_ms: int) -> Tuple[Optional[int], Optional[int]]:
    """The first and last step boundary, as ``kairos replay`` fixes them from the log."""
    from pyspark.sql import functions as F

    first = _kairos.epoch_ms(at) if isinstance(at, str) else at
    last = _kairos.epoch_ms(end) if isinstance(end, str) else end
    if first is None or last is None:
        row = keyed.agg(F.min(_MS).alias("lo"), F.max(_MS).alias("hi")).first()
        lo, hi = (row["lo"], row["hi"]) if row else (None, None)
        if first is None and lo is not None:
            first = lo // step_ms * step_ms + step_ms  # the first whole step after the first event
        if last is None and hi is not None and first is not None:
            behind = max(hi - first, 0)
            last = first + -(-behind // step_ms) * step_ms  # the first boundary at or after the last
    return first, last


def _keyed_by_ms() -> Callable[[Iterator["pa.RecordBatch"]], Iterator["pa.RecordBatch"]]:
    """Adds each row's time in epoch ms (None where it has none), read from the Arrow data the
    replay will see: the sort key and the grid's first and last event."""

    def add_ms(batches: Iterator["pa.RecordBatch"]) -> Iterator["pa.RecordBatch"]:
        import pyarrow as pa

        for batch in batches:
            yield batch.append_column(_MS, pa.array(_epoch_ms(batch.column("timestamp")), pa.int64()))

    return add_ms


def _epoch_ms(column: "pa.Array") -> List[Optional[int]]:
    import pyarrow as pa

    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.dictionary_decode(), kind.value_type
    if pa.types.is_timestamp(kind):
        per_ms = {"s": None, "ms": 1, "us": 1000, "ns": 1_000_000}[kind.unit]
        raw = column.cast(pa.int64()).to_pylist()
        if per_ms is None:
            return [None if v is None else v * 1000 for v in raw]
        return [None if v is None else v // per_ms for v in raw]
    if pa.types.is_integer(kind):
        as_ms: List[Optional[int]] = column.cast(pa.int64()).to_pylist()
        return as_ms
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _kairos.epoch_ms_all(column.to_pylist())
    return [None] * len(column)


def _replay_task(
    bundle: bytes, columns: List[str], options: Dict[str, Any]
) -> Callable[[Iterator["pa.RecordBatch"]], Iterator["pa.RecordBatch"]]:
    """One partition replayed: its customers' rows, in order, through the engine."""

    def replay_partition(batches: Iterator["pa.RecordBatch"]) -> Iterator["pa.RecordBatch"]:
        import pyarrow as pa

        events = (batch.select(columns) for batch in batches)
        first = next(events, None)
        if first is None:
            return
        report = replay(Engine.load(bundle), _chain(first, events), threads=1, **options)
        sizes = report.to_arrow()
        yield pa.RecordBatch.from_arrays(
            [sizes.column("step").cast(pa.int64()).combine_chunks(), sizes.column("segment").combine_chunks()]
            + [sizes.column(c).combine_chunks() for c in COUNTS],
            names=["step_ms", "segment", *COUNTS],
        )

    return replay_partition


def _chain(first: "pa.RecordBatch", rest: Iterator["pa.RecordBatch"]) -> Iterator["pa.RecordBatch"]:
    yield first
    yield from rest


def main(argv: Optional[List[str]] = None) -> None:
    """``python -m kairos.spark RULES EVENTS [--step 1d] [--at T] [--end T]``: sizes a Parquet
    (or any Spark-readable) event table and prints the table of segment sizes. Under
    ``spark-submit`` the session is the cluster's; run by ``python`` it is local."""
    import argparse
    import os
    import sys

    from pyspark.sql import SparkSession

    parser = argparse.ArgumentParser(prog="python -m kairos.spark", description=main.__doc__)
    parser.add_argument("rules", help="rules (JSON or text) or a compiled bundle")
    parser.add_argument("events", help="events in the columnar layout: Parquet (a file or a directory)")
    parser.add_argument("--step", default="1d")
    parser.add_argument("--at", help="first step boundary (RFC 3339)")
    parser.add_argument("--end", help="last step boundary (RFC 3339)")
    parser.add_argument("--format", default="parquet", help="the Spark reader's format (default: parquet)")
    args = parser.parse_args(argv)
    with open(args.rules, "rb") as f:
        source = f.read()
    engine = Engine.load(source) if source.startswith(b"KAIROS") else Engine.compile(source)
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        # Not under spark-submit: pyspark starts a local Spark, whose Python workers must be this
        # interpreter (the one with kairos installed) unless told, not the first python3 on PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = SparkSession.builder.appName("kairos segment sizes").getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # steps shown as the replay names them
    events = spark.read.format(args.format).load(args.events)
    sizes = segment_sizes(events, engine, at=args.at, step=args.step, end=args.end)
    sizes.show(n=1_000_000, truncate=False)


if __name__ == "__main__":
    main()
