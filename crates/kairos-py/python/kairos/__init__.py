"""kairos for Python: decide with a compiled bundle, keep resident visitors, size audiences.

    import kairos
    engine = kairos.Engine.load(open("demo.bin", "rb").read())
    engine.decide({"now": "2026-11-23T18:30:00Z", "customer_id": "cust-42"}, explain=True)
    report = kairos.replay(engine, "events.parquet", step="1d")
    report.to_arrow()   # step, segment, size, entered, left, unknown

The engine is the Rust core (the native module ``kairos._kairos``); values cross as JSON, so a
decision here is exactly what ``kairos decide`` prints and a report exactly what ``kairos replay
--format json`` prints. Every failure is a :class:`KairosError` (a ``ValueError``) with the
engine's ``code``. Sizing on Apache Spark is in :mod:`kairos.spark`. See docs/python.md.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Iterator, List, Optional, Union

from . import _kairos
from ._kairos import Engine, KairosError, Report, Visitor, bucket, compile, epoch_ms

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "Engine",
    "KairosError",
    "Report",
    "Visitor",
    "bucket",
    "compile",
    "epoch_ms",
    "replay",
]
__version__: str = _kairos.__version__

Duration = Union[str, int]
"""``"1h"``, ``"30m"``, ``"1d"``, or milliseconds."""
Instant = Union[str, int, datetime]
"""RFC 3339 text, epoch milliseconds, or a timezone-aware datetime."""
Events = Union[
    bytes,
    str,
    "os.PathLike[str]",
    "pa.Table",
    "pa.RecordBatch",
    "pa.RecordBatchReader",
    Iterable["pa.RecordBatch"],
]
"""NDJSON bytes; a path to an NDJSON or Parquet file; or Arrow data in the columnar layout."""


def replay(
    engine: Engine,
    events: Events,
    *,
    step: Duration = "1h",
    start: Optional[Instant] = None,
    end: Optional[Instant] = None,
    lookback: Optional[Duration] = None,
    session_timeout: Duration = "30m",
    skip_bad: bool = False,
    assume_consent: bool = True,
    threads: Optional[int] = None,
) -> Report:
    """Replays an event log against ``engine``, step by step, as ``kairos replay`` does.

    ``events`` is NDJSON ``bytes``, a path (``str`` or ``PathLike``) to an NDJSON or Parquet
    file, or Arrow data — a ``pyarrow.Table``, ``RecordBatch``, ``RecordBatchReader`` or an
    iterable of batches — with the columns ``timestamp``, ``type``, ``event``, ``user_id``,
    ``anonymous_id``, ``properties``, ``traits``, ``context`` (docs/python.md). Rows and lines
    must be in time order. Arrow data is streamed to the engine batch by batch.

    ``start`` and ``end`` are the first and last step boundaries (default: from the log);
    ``skip_bad`` counts bad lines instead of stopping at the first; ``assume_consent=False`` is
    ``--require-consent``; ``threads`` splits customers between threads (default: every core;
    the report is the same). Raises :class:`KairosError`: ``E_EVENT_LOG`` naming the line (or
    row), ``E_COLUMN`` naming a missing or mistyped column, ``E_IO``, ``E_DURATION``, ``E_TIME``.
    """
    return _kairos.replay(
        engine,
        _events(events),
        step=step,
        start=_instant(start, "start"),
        end=_instant(end, "end"),
        lookback=lookback,
        session_timeout=session_timeout,
        skip_bad=skip_bad,
        assume_consent=assume_consent,
        threads=threads,
    )


def _error(code: str, message: str, path: Optional[str] = None) -> KairosError:
    """A KairosError raised from Python, shaped as the native ones."""
    err = KairosError(f"{code}: {message}")
    err.code, err.message, err.path = code, message, path
    err.line = err.column = None
    return err


def _instant(value: Optional[Instant], what: str) -> Union[str, int, None]:
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        # A naive datetime means "some local time": refuse to guess which.
        raise _error("E_TIME", f"{what}: a naive datetime; give one with a tzinfo (datetime.timezone.utc)")
    return round(value.timestamp() * 1000)


def _events(events: Events) -> Any:
    """What the native replay reads: bytes, a path, or the pieces of one Arrow IPC stream."""
    if isinstance(events, (bytes, bytearray)):
        return events
    if isinstance(events, memoryview):
        return events.tobytes()
    if isinstance(events, (str, os.PathLike)):
        return events
    return _arrow_pieces(events)


def _arrow_pieces(data: Any) -> Iterator[bytes]:
    """Arrow data as the pieces of one IPC stream (schema, then a piece per batch, then the end
    marker), so the engine reads it batch by batch without a copy of the whole table."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return _ipc(data.schema, data.to_batches())
    if isinstance(data, pa.RecordBatch):
        return _ipc(data.schema, [data])
    if isinstance(data, pa.RecordBatchReader):
        return _ipc(data.schema, data)
    if hasattr(data, "__arrow_c_stream__"):
        reader = pa.RecordBatchReader.from_stream(data)
        return _ipc(reader.schema, reader)
    try:
        batches = iter(data)
    except TypeError:
        raise TypeError(
            "events: expected NDJSON bytes, a path, or Arrow data (pyarrow Table, RecordBatch, "
            f"RecordBatchReader or an iterable of RecordBatch), not {type(data).__name__}"
        ) from None
    first = next(batches, None)
    if first is None:
        raise _error("E_COLUMN", "events: no record batch, so no schema")
    if not isinstance(first, pa.RecordBatch):
        raise TypeError(f"events: expected pyarrow RecordBatch items, not {type(first).__name__}")
    return _ipc(first.schema, _chain(first, batches))


def _chain(first: "pa.RecordBatch", rest: Iterator["pa.RecordBatch"]) -> Iterator["pa.RecordBatch"]:
    yield first
    yield from rest


class _Pieces:
    """A write-only file whose bytes are taken out piece by piece."""

    closed = False

    def __init__(self) -> None:
        self._parts: List[bytes] = []

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def _ipc(schema: "pa.Schema", batches: Iterable["pa.RecordBatch"]) -> Iterator[bytes]:
    import pyarrow as pa

    # A column of nulls only (what pyarrow infers from a list of None) has Arrow's null type,
    # which names no layout type: it is sent as text, all null, as absent values are.
    nulls = [i for i, field in enumerate(schema) if pa.types.is_null(field.type)]
    for i in nulls:
        schema = schema.set(i, schema.field(i).with_type(pa.string()))
    sink = _Pieces()
    writer = pa.ipc.new_stream(sink, schema)
    yield sink.take()
    for batch in batches:
        if nulls:
            batch = pa.RecordBatch.from_arrays(
                [column.cast(field.type) for column, field in zip(batch.columns, schema)], schema=schema
            )
        writer.write_batch(batch)
        yield sink.take()
    writer.close()
    yield sink.take()
