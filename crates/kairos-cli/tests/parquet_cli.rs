//! Parquet event logs through the CLI: `kairos gen --format parquet` replays to the same bytes as
//! the NDJSON of the same seed; bad files get coded errors placed by column or by row.

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

const BUNDLE: &str = "examples/demo/rules.json";

/// `kairos ARGS` from the repository root: (exit status, stdout, stderr).
fn kairos(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kairos"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

/// A path for one test's file, removed when dropped.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        Temp(std::env::temp_dir().join(format!("kairos-parquet-cli-{}-{name}", std::process::id())))
    }
    fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn gen_parquet_replays_to_the_bytes_of_the_ndjson_of_the_same_seed() {
    let (parquet, track, compact) = (Temp::new("log.parquet"), Temp::new("track.ndjson"), Temp::new("compact.ndjson"));
    let gen = ["gen", "--customers", "300", "--days", "3", "--seed", "7"];
    let (status, out, err) = kairos(&[&gen[..], &["--format", "parquet", "-o", parquet.s()]].concat());
    assert_eq!(status, 0, "{err}");
    assert!(out.starts_with(&format!("wrote {}: ", parquet.s())) && out.contains(" rows "), "{out}");
    assert!(std::fs::read(&parquet.0).unwrap().starts_with(b"PAR1"));
    assert_eq!(kairos(&[&gen[..], &["--shape", "track", "-o", track.s()]].concat()).0, 0);
    assert_eq!(kairos(&[&gen[..], &["-o", compact.s()]].concat()).0, 0);
    // Same seed, same Parquet bytes.
    let again = Temp::new("again.parquet");
    assert_eq!(kairos(&[&gen[..], &["-f", "parquet", "-o", again.s()]].concat()).0, 0);
    assert_eq!(std::fs::read(&again.0).unwrap(), std::fs::read(&parquet.0).unwrap());

    for format in ["table", "csv"] {
        let replay = |log: &str, threads: &str| {
            let (status, out, err) =
                kairos(&["replay", "-b", BUNDLE, "-e", log, "--step", "6h", "--format", format, "--threads", threads]);
            assert_eq!(status, 0, "{log}: {err}");
            out
        };
        let expected = replay(track.s(), "1");
        assert!(expected.contains("cart_abandoner"), "{expected}");
        assert_eq!(replay(parquet.s(), "1"), expected, "{format}");
        assert_eq!(replay(parquet.s(), "2"), expected, "{format}, two threads");
        assert_eq!(replay(compact.s(), "1"), expected, "{format}, compact NDJSON");
    }
}

/// A Parquet file of these lines, through the library's writer.
fn parquet_of(lines: &str, path: &Temp) {
    let file = std::fs::File::create(&path.0).unwrap();
    kairos_replay::columnar::write_parquet(lines.as_bytes(), file).unwrap();
}

fn fails(args: &[&str]) -> String {
    let (status, out, err) = kairos(args);
    assert_eq!(status, 1, "kairos {args:?}: {err}");
    assert!(out.is_empty(), "{out}");
    err
}

#[test]
fn bad_parquet_gets_a_coded_error_placed_by_column_or_row() {
    let line = |t: &str, rest: &str| format!("{{\"type\":\"track\",\"userId\":\"c1\",\"timestamp\":\"{t}\"{rest}}}\n");
    // JSON (the writer checks it) that the replay refuses: an unpaired surrogate.
    let bad = r#"{"a":"\ud800"}"#;
    let log = [
        line("2026-11-01T00:00:00Z", r#","event":"Cart Viewed","properties":{"a":1}"#),
        line("2026-11-01T00:01:00Z", &format!(r#","event":"Cart Viewed","properties":{bad}"#)),
        line("2026-11-01T00:02:00Z", ""),
    ]
    .concat();
    let file = Temp::new("bad-row.parquet");
    parquet_of(&log, &file);
    let err = fails(&["replay", "-b", BUNDLE, "-e", file.s()]);
    let at = format!("error[E_EVENT_LOG]: {}: row 2, column `properties`, character 7: ", file.s());
    assert!(err.starts_with(&at) && err.contains("unpaired surrogate"), "{err}");

    // Without it, row 3 has no event: a problem with the whole row.
    parquet_of(&log.replace(bad, "{}"), &file);
    let err = fails(&["replay", "-b", BUNDLE, "-e", file.s()]);
    assert!(err.starts_with(&format!("error[E_EVENT_LOG]: {}: row 3: no event name", file.s())), "{err}");

    // A column of the wrong type, found before any row is read.
    let schema = Arc::new(Schema::new(vec![
        Field::new("timestamp", DataType::Float64, true),
        Field::new("user_id", DataType::Utf8, true),
        Field::new("event", DataType::Utf8, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(vec![1.5])),
        Arc::new(StringArray::from(vec!["c1"])),
        Arc::new(StringArray::from(vec!["E"])),
    ];
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&file.0).unwrap(), schema.clone(), None).unwrap();
    w.write(&RecordBatch::try_new(schema, cols).unwrap()).unwrap();
    w.close().unwrap();
    let err = fails(&["replay", "-b", BUNDLE, "-e", file.s()]);
    assert_eq!(
        err,
        format!(
            "error[E_COLUMN]: {}: column `timestamp`: expected a timestamp, int64 epoch ms or RFC 3339 text, found Float64\n",
            file.s()
        )
    );

    // Damaged: cut short, or a `.parquet` name on something else.
    parquet_of(&log, &file);
    let bytes = std::fs::read(&file.0).unwrap();
    std::fs::write(&file.0, &bytes[..bytes.len() / 2]).unwrap();
    let err = fails(&["replay", "-b", BUNDLE, "-e", file.s()]);
    assert!(err.starts_with(&format!("error[E_COLUMN]: {}: not a readable Parquet file", file.s())), "{err}");
    std::fs::write(&file.0, log).unwrap();
    let err = fails(&["replay", "-b", BUNDLE, "-e", file.s()]);
    assert!(err.starts_with("error[E_COLUMN]: ") && err.contains("not a readable Parquet file"), "{err}");
}

#[test]
fn gen_format_parquet_arguments_are_checked() {
    for (args, why) in [
        (&["--format", "parquet"][..], "--format parquet needs -o FILE"),
        (&["--format", "parquet", "-o", "-"][..], "--format parquet needs -o FILE"),
        (&["--format", "parquet", "--shape", "compact", "-o", "x.parquet"][..], "leave out --shape compact"),
        (&["--format", "feather"][..], "invalid value 'feather' for '--format <FORMAT>'"),
    ] {
        let (status, _, err) = kairos(&[&["gen", "--customers", "3", "--days", "1"][..], args].concat());
        assert_eq!(status, 2, "{args:?}: {err}");
        assert!(err.starts_with("error[E_USAGE]: ") && err.contains(why), "{args:?}: {err}");
    }
    let (status, _, err) =
        kairos(&["gen", "--exposures", "-b", BUNDLE, "--customers", "3", "--days", "1", "-f", "parquet"]);
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("--exposures writes NDJSON"), "{err}");
}
