//! Columnar logs: the same generated log replayed from NDJSON, Parquet and an Arrow IPC stream
//! gives one report; schemas are checked before any row, with the column named; rows that the
//! replay refuses are located by row and column; every Arrow spelling of the layout's types
//! gives the same lines.

use super::*;
use crate::gen::{generate, GenOptions, Shape, DEFAULT_START_MS};
use crate::{Replay, ReplayError, ReplayOptions, Report};
use arrow_array::types::Int32Type;
use arrow_array::RecordBatchReader;
use arrow_array::{
    ArrayRef, DictionaryArray, Float64Array, Int64Array, LargeStringArray, StringArray, StringViewArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
};
use arrow_schema::{DataType, Field, Schema};
use kairos::Engine;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use std::io::{Read, Write};
use std::sync::Arc;

const HOUR: i64 = 3_600_000;

fn demo() -> Engine {
    Engine::from_rules_or_bundle(include_bytes!("../../../../examples/demo/rules.json")).unwrap()
}

fn track_log(customers: u32, days: u32, seed: u64) -> Vec<u8> {
    let opts = GenOptions { customers, days, seed, start_ms: DEFAULT_START_MS, shape: Shape::Track };
    let mut out = Vec::new();
    generate(&opts, &mut out).unwrap();
    out
}

fn replay(engine: &Engine, input: impl Read) -> Result<Report, ReplayError> {
    let mut r = Replay::new(engine, ReplayOptions { step: 6 * HOUR, ..ReplayOptions::default() });
    r.read(input)?;
    Ok(r.finish())
}

fn parquet_of(ndjson: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_parquet(ndjson, &mut out).unwrap();
    out
}

fn lines_of(schema: Schema, cols: Vec<ArrayRef>) -> Result<String, ColumnError> {
    let schema = Arc::new(schema);
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let mut text = String::new();
    batch_lines(schema, std::iter::once(Ok(batch)))?.read_to_string(&mut text).unwrap();
    Ok(text)
}

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn strings(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

/// A Parquet file of `batch`, written as Arrow's writer does (no check of the layout).
fn parquet_file(schema: Schema, cols: Vec<ArrayRef>) -> Vec<u8> {
    let schema = Arc::new(schema);
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

fn error_of(result: Result<impl Read, ColumnError>) -> ColumnError {
    match result {
        Ok(_) => panic!("read"),
        Err(e) => e,
    }
}

#[test]
fn parquet_and_ipc_replay_like_the_ndjson_they_came_from() {
    let engine = demo();
    let ndjson = track_log(150, 4, 11);
    let lines = ndjson.iter().filter(|&&b| b == b'\n').count() as u64;
    let expected = replay(&engine, ndjson.as_slice()).unwrap();
    assert!(expected.stats.decisions > 1000 && expected.rows.iter().any(|r| r.segments[0].size > 0));

    let mut parquet = Vec::new();
    assert_eq!(write_parquet(ndjson.as_slice(), &mut parquet).unwrap(), lines);
    assert!(is_parquet(&parquet) && parquet.ends_with(b"PAR1"));
    assert_eq!(replay(&engine, parquet_bytes_lines(parquet.clone()).unwrap()).unwrap(), expected);

    // From a file, as the CLI reads it.
    let path = std::env::temp_dir().join(format!("kairos-columnar-{}.parquet", std::process::id()));
    std::fs::write(&path, &parquet).unwrap();
    let from_file = replay(&engine, parquet_lines(std::fs::File::open(&path).unwrap()).unwrap());
    let _ = std::fs::remove_file(&path);
    assert_eq!(from_file.unwrap(), expected);

    // The same batches as an Arrow IPC stream.
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(parquet)).unwrap().build().unwrap();
    let mut ipc = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut ipc, &reader.schema()).unwrap();
    for batch in reader {
        w.write(&batch.unwrap()).unwrap();
    }
    w.finish().unwrap();
    drop(w);
    assert_eq!(replay(&engine, ipc_stream_lines(ipc.as_slice()).unwrap()).unwrap(), expected);
}

#[test]
fn written_parquet_is_the_same_bytes_for_a_seed() {
    let a = parquet_of(&track_log(40, 2, 5));
    assert_eq!(a, parquet_of(&track_log(40, 2, 5)));
    assert_ne!(a, parquet_of(&track_log(40, 2, 6)));
}

#[test]
fn written_parquet_has_the_documented_columns() {
    let file = parquet_of(&track_log(20, 1, 3));
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file)).unwrap();
    let schema = reader.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["timestamp", "type", "event", "user_id", "anonymous_id", "properties", "traits", "context"]);
    assert_eq!(
        schema.field(0).data_type(),
        &DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, Some("UTC".into()))
    );
    let props = reader.metadata().row_group(0).column(5);
    assert_eq!(props.compression(), parquet::basic::Compression::SNAPPY);
}

#[test]
fn row_groups_hold_128k_rows() {
    // 300,000 tiny rows streamed through `ParquetSink`'s `Write`: three row groups.
    let mut out = Vec::new();
    let mut sink = ParquetSink::new(&mut out).unwrap();
    for i in 0..300_000u64 {
        writeln!(sink, r#"{{"type":"track","userId":"u{}","event":"E","timestamp":{i}}}"#, i % 7).unwrap();
    }
    assert_eq!(sink.finish().unwrap(), 300_000);
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(out)).unwrap();
    let groups: Vec<i64> = reader.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
    assert_eq!(groups, [131_072, 131_072, 37_856]);

    // A last line without its line break is written too.
    let mut out = Vec::new();
    let mut sink = ParquetSink::new(&mut out).unwrap();
    sink.write_all(b"{\"userId\":\"a\",\"event\":\"E\",\"timestamp\":1}\n{\"userId\":\"b\",").unwrap();
    sink.write_all(b"\"event\":\"E\",\"timestamp\":2}").unwrap();
    assert_eq!(sink.finish().unwrap(), 2);
    let mut text = String::new();
    parquet_bytes_lines(out).unwrap().read_to_string(&mut text).unwrap();
    assert_eq!(text, "{\"c\":\"a\",\"e\":\"E\",\"t\":1}\n{\"c\":\"b\",\"e\":\"E\",\"t\":2}\n");
}

#[test]
fn schemas_are_checked_before_any_row_with_the_column_named() {
    let ids = || strings(&[Some("a")]);
    let at = || Arc::new(Int64Array::from(vec![1_000])) as ArrayRef;

    let e = lines_of(Schema::new(vec![text("user_id"), text("event")]), vec![ids(), ids()]).unwrap_err();
    assert_eq!(e.message, "no `timestamp` column (columns: user_id, event)");
    assert_eq!(e.column.as_deref(), Some("timestamp"));

    let float = Field::new("timestamp", DataType::Float64, true);
    let e = lines_of(
        Schema::new(vec![float, text("user_id"), text("event")]),
        vec![Arc::new(Float64Array::from(vec![1.5])), ids(), ids()],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "column `timestamp`: expected a timestamp, int64 epoch ms or RFC 3339 text, found Float64"
    );
    assert_eq!(e.column.as_deref(), Some("timestamp"));

    let int_id = Field::new("user_id", DataType::Int64, true);
    let e = lines_of(
        Schema::new(vec![Field::new("timestamp", DataType::Int64, true), int_id, text("event")]),
        vec![at(), at(), ids()],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "column `user_id`: expected text (Utf8, LargeUtf8, Utf8View or a dictionary of them), found Int64"
    );
    assert_eq!(e.column.as_deref(), Some("user_id"));

    let e =
        lines_of(Schema::new(vec![Field::new("timestamp", DataType::Int64, true), text("event")]), vec![at(), ids()])
            .unwrap_err();
    assert_eq!(e.to_string(), "neither `user_id` nor `anonymous_id` column (columns: timestamp, event)");
    assert_eq!(e.column, None);

    let e =
        lines_of(Schema::new(vec![Field::new("timestamp", DataType::Int64, true), text("user_id")]), vec![at(), ids()])
            .unwrap_err();
    assert!(e.to_string().starts_with("no `event` column, nor a `type` column"), "{e}");

    let e = lines_of(
        Schema::new(vec![
            Field::new("timestamp", DataType::Int64, true),
            text("user_id"),
            text("userId"),
            text("event"),
        ]),
        vec![at(), ids(), ids(), ids()],
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "column `user_id`: `userId` names the same column: keep one");

    // The same checks on a Parquet file, from its footer.
    let file = parquet_file(
        Schema::new(vec![Field::new("timestamp", DataType::Float64, true), text("user_id"), text("event")]),
        vec![Arc::new(Float64Array::from(vec![1.5])), ids(), ids()],
    );
    let e = error_of(parquet_bytes_lines(file));
    assert_eq!(e.column.as_deref(), Some("timestamp"));
    assert!(e.message.ends_with("found Float64"), "{e}");
}

#[test]
fn other_columns_are_ignored_and_names_match_without_case_or_underscores() {
    let schema = Schema::new(vec![
        Field::new("TIMESTAMP", DataType::Int64, true),
        text("userId"),
        text("Anonymous_Id"),
        text("EVENT"),
        Field::new("received_at", DataType::Float64, true),
        Field::new("context_ip", DataType::Binary, true),
    ]);
    // The second row has no event name: written as an analytics line, every column named.
    let lines = lines_of(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![5, 6])),
            strings(&[Some("u"), Some("u")]),
            strings(&[Some("a"), Some("a")]),
            strings(&[Some("Cart Viewed"), None]),
            Arc::new(Float64Array::from(vec![1.0, 2.0])),
            Arc::new(arrow_array::BinaryArray::from(vec![&b"x"[..], &b"y"[..]])),
        ],
    )
    .unwrap();
    assert_eq!(
        lines,
        "{\"c\":\"u\",\"e\":\"Cart Viewed\",\"t\":5}\n{\"userId\":\"u\",\"anonymousId\":\"a\",\"timestamp\":6}\n"
    );
}

/// A small log in every accepted spelling: the lines come out the same.
#[test]
fn dictionaries_large_and_view_strings_and_every_time_unit_give_the_same_lines() {
    let ms = [1_793_491_200_000i64, 1_793_491_260_123, 1_793_491_320_999];
    let users = [Some("cust-1"), None, Some("cust-1")];
    let events = [Some("Cart Viewed"), Some("Product Viewed"), None];
    let kinds = [None, Some("track"), Some("identify")];
    let props = [Some(r#"{"product_id":"sku-1"}"#), Some(""), None];
    let schema = |t: DataType, s: DataType| {
        Schema::new(vec![
            Field::new("timestamp", t, true),
            Field::new("type", s.clone(), true),
            Field::new("user_id", s.clone(), true),
            Field::new("anonymous_id", s.clone(), true),
            Field::new("event", s.clone(), true),
            Field::new("properties", s, true),
        ])
    };
    let anon = [Some("anon-9"); 3];
    let plain = |values: &[Option<&str>]| strings(values);
    let cols = |time: ArrayRef, s: &dyn Fn(&[Option<&str>]) -> ArrayRef| {
        vec![time, s(&kinds), s(&users), s(&anon), s(&events), s(&props)]
    };
    let millis: ArrayRef = Arc::new(Int64Array::from(ms.to_vec()));
    let expected = lines_of(schema(DataType::Int64, DataType::Utf8), cols(millis, &plain)).unwrap();
    assert_eq!(
        expected.lines().next().unwrap(),
        r#"{"c":"cust-1","e":"Cart Viewed","t":1793491200000,"p":{"product_id":"sku-1"}}"#
    );
    // Empty JSON text is left out like a null; without a user id, the anonymous id is the key.
    assert_eq!(expected.lines().nth(1).unwrap(), r#"{"c":"anon-9","e":"Product Viewed","t":1793491260123}"#);
    // Without an event name, the analytics line.
    assert_eq!(
        expected.lines().nth(2).unwrap(),
        r#"{"type":"identify","userId":"cust-1","anonymousId":"anon-9","timestamp":1793491320999}"#
    );

    let dict = |values: &[Option<&str>]| -> ArrayRef {
        Arc::new(values.iter().copied().collect::<DictionaryArray<Int32Type>>())
    };
    let large = |values: &[Option<&str>]| -> ArrayRef { Arc::new(LargeStringArray::from(values.to_vec())) };
    let view = |values: &[Option<&str>]| -> ArrayRef { Arc::new(StringViewArray::from(values.to_vec())) };
    let dict_type = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    for (s, string_type) in [
        (&dict as &dyn Fn(&[Option<&str>]) -> ArrayRef, dict_type),
        (&large, DataType::LargeUtf8),
        (&view, DataType::Utf8View),
    ] {
        let millis: ArrayRef = Arc::new(Int64Array::from(ms.to_vec()));
        assert_eq!(lines_of(schema(DataType::Int64, string_type), cols(millis, s)).unwrap(), expected);
    }

    let tz = Some("UTC".into());
    let ts = |unit| DataType::Timestamp(unit, None);
    use arrow_schema::TimeUnit::*;
    let micros: ArrayRef = Arc::new(TimestampMicrosecondArray::from(ms.map(|m| m * 1000 + 999).to_vec()));
    let nanos: ArrayRef =
        Arc::new(TimestampNanosecondArray::from(ms.map(|m| m * 1_000_000 + 5).to_vec()).with_timezone("UTC"));
    let millis_tz: ArrayRef = Arc::new(TimestampMillisecondArray::from(ms.to_vec()).with_timezone("+05:00"));
    for (time, t) in [
        (micros, ts(Microsecond)),
        (nanos, DataType::Timestamp(Nanosecond, tz)),
        (millis_tz, DataType::Timestamp(Millisecond, Some("+05:00".into()))),
    ] {
        assert_eq!(lines_of(schema(t, DataType::Utf8), cols(time, &plain)).unwrap(), expected);
    }
    // Seconds lose the milliseconds; RFC 3339 text goes through as text: the same replay.
    let engine = demo();
    let report = |lines: &str| replay(&engine, lines.as_bytes()).unwrap();
    let seconds: ArrayRef = Arc::new(TimestampSecondArray::from(ms.map(|m| m / 1000).to_vec()));
    let whole = lines_of(schema(ts(Second), DataType::Utf8), cols(seconds, &plain)).unwrap();
    assert!(whole.contains("\"t\":1793491260000}"), "{whole}");
    let rfc: Vec<String> = ms.iter().map(|&m| kairos::time::format_timestamp(m)).collect();
    let rfc: ArrayRef = Arc::new(StringArray::from(rfc));
    let texts = lines_of(schema(DataType::Utf8, DataType::Utf8), cols(rfc, &plain)).unwrap();
    assert!(texts.contains("\"timestamp\":\"2026-11-01T00:01:00.123Z\""), "{texts}");
    assert_eq!(report(&texts), report(&expected));
}

#[test]
fn text_is_escaped_and_json_text_kept_as_it_is() {
    let schema = Schema::new(vec![
        Field::new("timestamp", DataType::Int64, true),
        text("user_id"),
        text("event"),
        text("properties"),
        text("traits"),
        text("context"),
    ]);
    let id = "q\"uo\\te\n\t\u{1}é💡";
    let pretty = "{\n  \"a\": 1,\n  \"b\": \"x\"\n}";
    let lines = lines_of(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![7])),
            strings(&[Some(id)]),
            strings(&[Some("Ünïcode Event")]),
            strings(&[Some(pretty)]),
            strings(&[Some(r#"{"tier":"gold"}"#)]),
            strings(&[Some(r#"{"timezone":"Europe/Paris"}"#)]),
        ],
    )
    .unwrap();
    assert_eq!(lines.matches('\n').count(), 1, "one line: {lines:?}");
    let v: serde_json::Value = serde_json::from_str(&lines).unwrap();
    assert_eq!(v["userId"], id);
    assert_eq!(v["event"], "Ünïcode Event");
    assert_eq!(v["properties"], serde_json::json!({"a": 1, "b": "x"}));
    assert_eq!(v["traits"]["tier"], "gold");
    assert_eq!(v["context"]["timezone"], "Europe/Paris");
}

/// A log whose third row has properties that are not JSON, written to Parquet.
fn log_with_bad_row() -> Vec<u8> {
    let n = 5;
    let schema = Schema::new(vec![
        Field::new("timestamp", DataType::Int64, true),
        text("user_id"),
        text("event"),
        text("properties"),
    ]);
    let props: Vec<Option<&str>> =
        (0..n).map(|i| Some(if i == 2 { r#"{"a":1 "b":2}"# } else { r#"{"a":1}"# })).collect();
    parquet_file(
        schema,
        vec![
            Arc::new(Int64Array::from((0..n).map(|i| 1_793_491_200_000 + i * 60_000).collect::<Vec<_>>())),
            strings(&[Some("cust-1"); 5]),
            strings(&[Some("Cart Viewed"); 5]),
            strings(&props),
        ],
    )
}

#[test]
fn a_row_the_replay_refuses_is_located_by_row_and_column() {
    let engine = demo();
    let file = log_with_bad_row();
    let e = replay(&engine, parquet_bytes_lines(file.clone()).unwrap()).unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("expected `,` or `}`"), "{e}");

    let path = std::env::temp_dir().join(format!("kairos-columnar-bad-{}.parquet", std::process::id()));
    std::fs::write(&path, &file).unwrap();
    let place = locate_in_parquet(std::fs::File::open(&path).unwrap(), e.line, e.column);
    // A whole-row problem (column 1) is in no column.
    let whole = locate_in_parquet(std::fs::File::open(&path).unwrap(), e.line, 1);
    let _ = std::fs::remove_file(&path);
    assert_eq!(place, Some(RowPlace { column: "properties".into(), offset: Some(8) }));
    assert_eq!(place.unwrap().to_string(), "column `properties`, character 8");
    assert_eq!(whole, None);
}

#[test]
fn rows_without_a_time_or_with_a_line_break_in_a_json_string_are_refused_on_their_row() {
    let engine = demo();
    let schema = || {
        Schema::new(vec![
            Field::new("timestamp", DataType::Int64, true),
            text("user_id"),
            text("event"),
            text("properties"),
        ])
    };
    let cols = |times: Vec<Option<i64>>, props: &[Option<&str>]| {
        vec![
            Arc::new(Int64Array::from(times)) as ArrayRef,
            strings(&[Some("c"), Some("c")]),
            strings(&[Some("E"), Some("E")]),
            strings(props),
        ]
    };
    let lines = lines_of(schema(), cols(vec![Some(1_793_491_200_000), None], &[None, None])).unwrap();
    let e = replay(&engine, lines.as_bytes()).unwrap_err();
    assert_eq!((e.line, e.column), (2, 1), "{e}");
    assert!(e.message.starts_with("no time"), "{e}");

    let lines =
        lines_of(schema(), cols(vec![Some(1_793_491_200_000); 2], &[None, Some("{\"a\":\"line\nbreak\"}")])).unwrap();
    let e = replay(&engine, lines.as_bytes()).unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.contains("control character"), "{e}");
}

#[test]
fn a_batch_unlike_the_schema_is_an_invalid_data_error() {
    let schema =
        Arc::new(Schema::new(vec![Field::new("timestamp", DataType::Int64, true), text("user_id"), text("event")]));
    let good = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(vec![1])), strings(&[Some("a")]), strings(&[Some("E")])],
    )
    .unwrap();
    let other = Arc::new(Schema::new(vec![
        Field::new("timestamp", DataType::Int64, true),
        Field::new("user_id", DataType::Int64, true),
        text("event"),
    ]));
    let bad = RecordBatch::try_new(
        other,
        vec![Arc::new(Int64Array::from(vec![1])), Arc::new(Int64Array::from(vec![1])), strings(&[Some("E")])],
    )
    .unwrap();
    let mut lines = batch_lines(schema, vec![Ok(good), Ok(bad)].into_iter()).unwrap();
    let mut out = String::new();
    let e = lines.read_to_string(&mut out).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(e.to_string().starts_with("column `user_id`: a batch holds Int64, expected text"), "{e}");
    // Read again: the same error, not an end.
    let e2 = lines.read(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e2.to_string(), e.to_string());
    assert_eq!(lines.rows(), 1);

    // A decoding error mid-stream reaches the replay as its message, on no line.
    let failing = vec![Err(ArrowError::ParseError("bad page".into()))].into_iter();
    let schema =
        Arc::new(Schema::new(vec![Field::new("timestamp", DataType::Int64, true), text("user_id"), text("event")]));
    let e = replay(&demo(), batch_lines(schema, failing).unwrap()).unwrap_err();
    assert_eq!(e.line, 0);
    assert_eq!(e.message, "after row 0: Parser error: bad page");
}

#[test]
fn what_is_not_parquet_is_an_error_not_a_panic() {
    let good = parquet_of(&track_log(10, 1, 2));
    assert!(error_of(parquet_bytes_lines(b"not parquet at all".to_vec()))
        .message
        .starts_with("not a readable Parquet file"));
    assert!(error_of(parquet_bytes_lines(Vec::new())).message.starts_with("not a readable Parquet file"));
    // Cut anywhere: refused at opening, or a located error while reading; never a panic.
    let engine = demo();
    for cut in (0..good.len()).step_by(149) {
        if let Ok(lines) = parquet_bytes_lines(good[..cut].to_vec()) {
            let _ = replay(&engine, lines);
        }
    }
    // Bytes changed in the data pages: an error or a replay, never a panic.
    for at in (4..good.len().saturating_sub(8)).step_by(101) {
        let mut bad = good.clone();
        bad[at] ^= 0x5a;
        if let Ok(lines) = parquet_bytes_lines(bad) {
            let _ = replay(&engine, lines);
        }
    }
    // Found by fuzzing (fuzz/corpus/parquet_input): an embedded Arrow schema with a field of type
    // NONE made arrow-ipc panic. That schema is no longer read; the file opens from its own.
    let found = include_bytes!("../../../../fuzz/corpus/parquet_input/regression-arrow-schema-type-none.parquet");
    let _ = replay(&engine, parquet_bytes_lines(found.to_vec()).unwrap());
    // Found by fuzzing too: definition levels past their buffer panic in arrow-buffer while a
    // page is decoded. Caught at the boundary (columnar::guard): an error after the rows before.
    let found =
        include_bytes!("../../../../fuzz/corpus/parquet_input/regression-definition-levels-out-of-bounds.parquet");
    let e = replay(&engine, parquet_bytes_lines(found.to_vec()).unwrap()).unwrap_err();
    assert_eq!(e.line, 0, "{e}");
    assert!(e.message.contains("the reader failed on damaged data (offset + len out of bounds)"), "{e}");
    // And a dictionary page declaring 1.2 billion timestamps in 32 bytes, for which the reader
    // would have made room first: refused from the footer and that page, by column.
    let found = include_bytes!("../../../../fuzz/corpus/parquet_input/regression-dictionary-count-too-large.parquet");
    let e = error_of(parquet_bytes_lines(found.to_vec()));
    assert_eq!(e.to_string(), "column `timestamp`: a damaged dictionary page: 1207959551 values declared in 32 bytes");
    // A page header declaring a list past the end of the file: skipped element by element for
    // minutes before the input's end became an error (columnar::checks::EndIsError).
    let found = include_bytes!("../../../../fuzz/corpus/parquet_input/regression-header-list-past-the-end.parquet");
    let started = std::time::Instant::now();
    let e = replay(&engine, parquet_bytes_lines(found.to_vec()).unwrap()).unwrap_err();
    assert!(e.message.contains("past the end of the file"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    // Text is no IPC stream: refused from its first bytes, before its "length" is allocated.
    for junk in [&b"nope"[..], b"{\"c\":\"a\"}\n", b"\xff\xff\xff\xff\xff\xff\xff\x7f", b""] {
        let e = error_of(ipc_stream_lines(junk));
        assert!(e.message.starts_with("not an Arrow IPC stream"), "{e}");
    }
}

#[test]
fn write_parquet_refuses_lines_it_cannot_read_naming_them() {
    let e = write_parquet(
        &b"{\"type\":\"track\",\"userId\":\"a\",\"event\":\"E\",\"timestamp\":1}\n\nnope\n"[..],
        Vec::new(),
    )
    .unwrap_err();
    assert!(e.message.starts_with("line 3: "), "{e}");
    let e = write_parquet(&b"{\"c\":\"a\",\"e\":\"x\",\"t\":1}\n"[..], Vec::new()).unwrap_err();
    assert!(e.message.starts_with("line 1: not a track-shape line"), "{e}");
    let e = write_parquet(&b"{\"userId\":\"a\",\"event\":\"E\",\"timestamp\":\"yesterday\"}\n"[..], Vec::new())
        .unwrap_err();
    assert!(e.message.starts_with("line 1: timestamp: "), "{e}");
}

#[test]
fn codecs_left_out_of_the_build_are_refused_by_column() {
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::metadata::{ColumnChunkMetaData, RowGroupMetaData};
    let schema = Schema::new(vec![
        Field::new("timestamp", DataType::Int64, true),
        Field::new("ignored", DataType::Utf8, true),
        text("user_id"),
        text("event"),
    ]);
    let layout = layout::Layout::of(&schema).unwrap();
    let descr = Arc::new(parquet::arrow::ArrowSchemaConverter::new().convert(&schema).unwrap());
    let group = |codecs: [Compression; 4]| {
        let cols = codecs
            .iter()
            .enumerate()
            .map(|(i, &c)| ColumnChunkMetaData::builder(descr.column(i)).set_compression(c).build().unwrap())
            .collect();
        RowGroupMetaData::builder(descr.clone()).set_column_metadata(cols).build().unwrap()
    };
    let (snappy, zstd) = (Compression::SNAPPY, Compression::ZSTD(ZstdLevel::default()));
    let check = |g| checks::check_codecs(&[g], &descr, &layout);
    assert_eq!(
        check(group([snappy, zstd, Compression::UNCOMPRESSED, snappy])),
        Ok(()),
        "an ignored column may be zstd"
    );
    let e = check(group([snappy, snappy, snappy, zstd])).unwrap_err();
    assert_eq!(e.to_string(), "column `event`: compressed with zstd; kairos reads Snappy or uncompressed Parquet");
}
