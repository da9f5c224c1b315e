//! Every error the CLI prints is `error[E_…]: message` on stderr, exit 1 for errors in the work and
//! 2 for usage errors; misspellings get a suggestion; `--help` and `--version` are generated.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const CONTEXT: &str = "examples/demo/context.json";

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kairos"))
        .args(args)
        .current_dir(dir)
        .env_remove("KAIROS_IDENTITY_KEY")
        .env_remove("KAIROS_OPEN_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI runs");
    // Dropped after writing, so the CLI sees the end of its input.
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        status: out.status.code().expect("an exit status, not a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn kairos(args: &[&str]) -> Run {
    run_in(Path::new(ROOT), args, b"")
}

/// A command that must fail with `status`: the code and the message of its `error[CODE]: message`.
fn fails_in(dir: &Path, args: &[&str], status: i32) -> (String, String) {
    let r = run_in(dir, args, b"");
    assert_eq!(r.status, status, "kairos {args:?}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "kairos {args:?} printed on stdout: {}", r.stdout);
    let rest = r.stderr.strip_prefix("error[").unwrap_or_else(|| panic!("kairos {args:?}: no code: {}", r.stderr));
    let (code, message) = rest.split_once("]: ").unwrap_or_else(|| panic!("kairos {args:?}: {}", r.stderr));
    assert!(
        code.starts_with("E_") && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
        "{code}"
    );
    (code.to_owned(), message.to_owned())
}

fn fails(args: &[&str], status: i32) -> (String, String) {
    fails_in(Path::new(ROOT), args, status)
}

/// A fresh directory for one test's files, removed when the test ends.
struct Temp(PathBuf);

impl std::ops::Deref for Temp {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp(test: &str) -> Temp {
    let dir = std::env::temp_dir().join(format!("kairos-cli-errors-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Temp(dir)
}

/// The demo rules compiled by the CLI, in `dir`.
fn compiled(dir: &Path) -> Vec<u8> {
    let out = dir.join("demo.bin");
    let r = kairos(&["compile", "examples/demo/rules.json", "-o", out.to_str().unwrap()]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    std::fs::read(out).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn an_unknown_flag_is_a_usage_error_with_a_suggestion() {
    let (code, message) = fails(&["decide", "--bundle", "b", "--context", "c", "--expalin"], 2);
    assert_eq!(code, "E_USAGE");
    assert!(message.starts_with("unexpected argument '--expalin' found"), "{message}");
    assert!(message.contains("a similar argument exists: '--explain'"), "{message}");
    assert!(message.contains("Usage: kairos decide"), "{message}");
}

#[test]
fn a_misspelt_subcommand_is_a_usage_error_with_a_suggestion() {
    let (code, message) = fails(&["decied"], 2);
    assert_eq!(code, "E_USAGE");
    assert!(message.contains("unrecognized subcommand 'decied'"), "{message}");
    assert!(message.contains("a similar subcommand exists: 'decide'"), "{message}");
    // Bare `kairos` shows the help, as a usage error.
    let (code, message) = fails(&[], 2);
    assert_eq!(code, "E_USAGE");
    assert!(message.contains("Commands:"), "{message}");
}

#[test]
fn version_and_help() {
    let r = kairos(&["--version"]);
    assert_eq!((r.status, r.stdout.as_str()), (0, format!("kairos {}\n", env!("CARGO_PKG_VERSION")).as_str()));
    let r = kairos(&["--help"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let commands = [
        "check",
        "compile",
        "fmt",
        "decide",
        "keygen",
        "bucket",
        "render",
        "rewrite",
        "kv-customers",
        "sign-id",
        "token",
        "gen",
        "replay",
        "lift",
        "preview",
        "help",
    ];
    for name in commands {
        assert!(r.stdout.lines().any(|l| l.trim_start().starts_with(&format!("{name} "))), "{name}: {}", r.stdout);
        // Each has its own help, both ways.
        let one = kairos(&["help", name]);
        assert_eq!(one.status, 0, "help {name}: {}", one.stderr);
        assert!(one.stdout.contains(&format!("Usage: kairos {name}")), "help {name}: {}", one.stdout);
        if name != "help" {
            assert_eq!(kairos(&[name, "--help"]).stdout, one.stdout, "{name} --help");
        }
    }
    assert!(r.stdout.contains("usage errors exit 2"), "{}", r.stdout);
    let replay = kairos(&["help", "replay"]).stdout;
    for flag in ["-b, --bundle", "-e, --events", "--step", "--session-timeout", "-f, --format", "--require-consent"] {
        assert!(replay.contains(flag), "{flag}: {replay}");
    }
}

#[test]
fn a_missing_required_argument_is_a_usage_error() {
    for (args, missing) in [
        (&["decide", "--bundle", "examples/demo/rules.json"][..], "--context <CTX.json>"),
        (&["compile", "examples/demo/rules.json"][..], "--output <BUNDLE>"),
        (&["render", "-b", "examples/email/rules.json", "-c", "examples/email/context.json"][..], "--slot <SLOT>"),
        (&["bucket", "salt"][..], "<CUSTOMER_ID>"),
        (&["check"][..], "<RULES>"),
    ] {
        let (code, message) = fails(args, 2);
        assert_eq!(code, "E_USAGE");
        assert!(message.contains(&format!("required arguments were not provided:\n  {missing}")), "{message}");
    }
    // So are flags that cannot go together, and a repeated one.
    assert_eq!(fails(&["fmt", "examples/demo/rules.kairos", "--check", "-w"], 2).0, "E_USAGE");
    let (_, message) = fails(&["decide", "-b", "x", "-b", "y", "-c", CONTEXT], 2);
    assert!(message.contains("cannot be used multiple times"), "{message}");
    let (_, message) = fails(&["decide", "-b", "-", "-c", "-"], 2);
    assert!(message.contains("only one of --bundle and --context can read stdin"), "{message}");
}

#[test]
fn a_corrupt_bundle() {
    let dir = temp("corrupt");
    let mut bundle = compiled(&dir);
    let last = bundle.len() - 1;
    bundle[last] ^= 0x40;
    std::fs::write(dir.join("corrupt.bin"), &bundle).unwrap();
    let (code, message) = fails(&["decide", "--bundle", path(&dir.join("corrupt.bin")), "--context", CONTEXT], 1);
    assert_eq!(code, "E_BUNDLE_CORRUPT");
    assert!(message.contains("corrupt.bin: corrupt bundle: checksum mismatch"), "{message}");
    // Truncated: the header's length no longer matches.
    std::fs::write(dir.join("short.bin"), &bundle[..bundle.len() / 2]).unwrap();
    let (code, message) = fails(&["replay", "-b", path(&dir.join("short.bin")), "-e", "-"], 1);
    assert_eq!(code, "E_BUNDLE_CORRUPT");
    assert!(message.contains("header says"), "{message}");
}

#[test]
fn a_bundle_of_another_format_version() {
    let dir = temp("version");
    let mut bundle = compiled(&dir);
    // src/program/: the 6-byte magic, then the format version as a little-endian u16.
    assert_eq!(&bundle[..6], kairos::program::MAGIC);
    bundle[6..8].copy_from_slice(&(kairos::program::FORMAT_VERSION + 1).to_le_bytes());
    std::fs::write(dir.join("next.bin"), &bundle).unwrap();
    let (code, message) = fails(&["render", "-b", path(&dir.join("next.bin")), "-c", CONTEXT, "-s", "hero"], 1);
    assert_eq!(code, "E_BUNDLE_VERSION");
    let want = format!("bundle format version {}, this kairos reads version", kairos::program::FORMAT_VERSION + 1);
    assert!(message.contains(&want) && message.contains("recompile the rules"), "{message}");
}

#[test]
fn a_file_that_is_neither_a_bundle_nor_rules() {
    let dir = temp("neither");
    // Binary: no KAIROS header, and not text that could be rules.
    std::fs::write(dir.join("logo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff").unwrap();
    let (code, message) = fails(&["decide", "-b", path(&dir.join("logo.png")), "-c", CONTEXT], 1);
    assert_eq!(code, "E_BUNDLE_MAGIC");
    assert!(message.contains("logo.png: not a compiled kairos bundle") && message.contains("not UTF-8"), "{message}");
    // Text: read as rules, so the rules' own error, located with a caret.
    std::fs::write(dir.join("notes.txt"), "hello world\n").unwrap();
    let (code, message) = fails(&["decide", "-b", path(&dir.join("notes.txt")), "-c", CONTEXT], 1);
    assert_eq!(code, "E_SYNTAX");
    assert!(message.contains("notes.txt:1:1\n") && message.contains(" 1 | hello world\n   | ^^^^^"), "{message}");
    // `check` wants rules: a compiled bundle is not text.
    compiled(&dir);
    let (code, message) = fails(&["check", path(&dir.join("demo.bin"))], 1);
    assert_eq!(code, "E_UTF8");
    assert!(message.contains("demo.bin: not UTF-8 text"), "{message}");
}

#[test]
fn a_bad_context_names_the_json_path() {
    let dir = temp("context");
    std::fs::write(dir.join("ctx.json"), r#"{"now": 1, "events": [{"e": "x", "t": "yesterday"}]}"#).unwrap();
    let ctx = dir.join("ctx.json");
    let (code, message) = fails(&["decide", "-b", "examples/demo/rules.json", "-c", path(&ctx)], 1);
    assert_eq!(code, "E_CONTEXT");
    assert!(message.contains("ctx.json: context events[0].t (line 1, column "), "{message}");
    assert!(message.contains("`yesterday`"), "{message}");
    // From stdin too, named `-`.
    let r = run_in(Path::new(ROOT), &["decide", "-b", "examples/demo/rules.json", "-c", "-"], b"{\"session\": 4}");
    assert_eq!(r.status, 1);
    assert!(r.stderr.starts_with("error[E_CONTEXT]: -: context session (line 1, column 13)"), "{}", r.stderr);
}

#[test]
fn a_missing_or_unwritable_file() {
    let (code, message) = fails(&["decide", "-b", "no/such/rules.json", "-c", CONTEXT], 1);
    assert_eq!(code, "E_IO");
    assert!(message.starts_with("no/such/rules.json: "), "{message}");
    let (code, message) = fails(&["kv-customers", "missing.jsonl"], 1);
    assert_eq!(code, "E_IO");
    assert!(message.starts_with("missing.jsonl: "), "{message}");
    let (code, message) = fails(&["compile", "examples/demo/rules.json", "-o", "no/such/dir/b.bin"], 1);
    assert_eq!(code, "E_IO");
    assert!(message.starts_with("no/such/dir/b.bin: "), "{message}");
    let page = "examples/edge/no-page.html";
    let (code, message) = fails(&["rewrite", "-b", "examples/demo/rules.json", "-c", CONTEXT, page], 1);
    assert_eq!((code.as_str(), message.starts_with(page)), ("E_IO", true), "{message}");
}

#[test]
fn bad_keys_and_signatures() {
    let dir = temp("keys");
    let rules = format!("{ROOT}/examples/demo/rules.json");
    let ctx = format!("{ROOT}/{CONTEXT}");
    let keygen = run_in(&dir, &["keygen", "-o", "site"], b"");
    assert_eq!(keygen.status, 0, "{}", keygen.stderr);
    let (code, message) = fails_in(&dir, &["keygen", "-o", "site"], 1);
    assert_eq!(code, "E_IO");
    assert!(message.contains("site.key: already exists"), "{message}");
    assert_eq!(run_in(&dir, &["compile", &rules, "-o", "signed.bin", "--sign", "site.key"], b"").status, 0);
    assert_eq!(run_in(&dir, &["compile", &rules, "-o", "plain.bin"], b"").status, 0);

    // A key that is not one.
    let (code, message) = fails_in(&dir, &["decide", "-b", "signed.bin", "-c", &ctx, "--public-key", "abcd"], 1);
    assert_eq!(code, "E_KEY");
    assert!(message.starts_with("--public-key: not a key, nor a readable key file (abcd: "), "{message}");
    std::fs::write(dir.join("bad.pub"), "00ff\n").unwrap();
    let (code, message) = fails_in(&dir, &["decide", "-b", "signed.bin", "-c", &ctx, "--public-key", "bad.pub"], 1);
    assert_eq!(code, "E_KEY");
    assert!(message.contains("bad.pub: a public key is 64 hexadecimal digits"), "{message}");
    std::fs::write(dir.join("bad.key"), "not a seed\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let (code, message) = fails_in(&dir, &["compile", &rules, "-o", "x.bin", "--sign", "bad.key"], 1);
        assert_eq!(code, "E_KEY_MODE");
        assert!(message.contains("chmod 600 bad.key"), "{message}");
        std::fs::set_permissions(dir.join("bad.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (code, message) = fails_in(&dir, &["compile", &rules, "-o", "x.bin", "--sign", "bad.key"], 1);
    assert_eq!(code, "E_KEY");
    assert!(message.starts_with("bad.key: "), "{message}");

    // Bundles that are not signed by the key.
    let (code, message) = fails_in(&dir, &["decide", "-b", "plain.bin", "-c", &ctx, "--public-key", "site.pub"], 1);
    assert_eq!(code, "E_BUNDLE_UNSIGNED");
    assert!(message.starts_with("plain.bin: the bundle is not signed"), "{message}");
    let mut tampered = std::fs::read(dir.join("signed.bin")).unwrap();
    let at = tampered.len() - 3;
    tampered[at] ^= 1;
    std::fs::write(dir.join("tampered.bin"), tampered).unwrap();
    let args = ["render", "-b", "tampered.bin", "-c", &ctx, "-s", "hero", "--public-key", "site.pub"];
    let (code, message) = fails_in(&dir, &args, 1);
    assert_eq!(code, "E_BUNDLE_SIGNATURE");
    assert!(message.starts_with("tampered.bin: bad bundle signature"), "{message}");
    assert_eq!(run_in(&dir, &["keygen", "-o", "other"], b"").status, 0);
    let (code, message) = fails_in(&dir, &["decide", "-b", "signed.bin", "-c", &ctx, "--public-key", "other.pub"], 1);
    assert_eq!(code, "E_BUNDLE_KEY");
    assert!(message.contains("signed by key"), "{message}");
}

#[test]
fn bad_replay_and_gen_flags() {
    let bundle = "examples/demo/rules.json";
    let (code, message) = fails(&["replay", "-b", bundle, "-e", "-", "--step", "0s"], 2);
    assert_eq!(code, "E_USAGE");
    assert!(message.starts_with("invalid value '0s' for '--step <DURATION>': must be longer than 0"), "{message}");
    let (code, message) = fails(&["replay", "-b", bundle, "-e", "-", "--step", "soon"], 2);
    assert_eq!(code, "E_USAGE");
    assert!(message.contains("`soon` is not a duration"), "{message}");
    let (_, message) = fails(&["replay", "-b", bundle, "-e", "-", "--format", "pdf"], 2);
    assert!(message.contains("[possible values: table, csv, svg, json]"), "{message}");
    let (_, message) = fails(&["replay", "-b", bundle, "-e", "-", "--from", "2026-02-01", "--to", "2026-01-01"], 2);
    assert!(message.starts_with("--from is after --to"), "{message}");
    let (_, message) = fails(&["replay", "-b", bundle, "-e", "-", "--sikp-bad"], 2);
    assert!(message.contains("a similar argument exists: '--skip-bad'"), "{message}");
    let (_, message) = fails(&["gen", "--customers", "10", "--days", "4000"], 2);
    assert!(message.contains("'--days <D>': 4000 is not in 0..=3660"), "{message}");
    let (_, message) = fails(&["gen", "--customers", "10", "--days", "1", "--shape", "round"], 2);
    assert!(message.contains("[possible values: compact, track]"), "{message}");
    // A bad line in the log is an error in the work.
    let r = run_in(Path::new(ROOT), &["replay", "-b", bundle, "-e", "-"], b"{\"c\":\"a\",\"e\":\"x\",\"t\":1}\nnope\n");
    assert_eq!(r.status, 1);
    assert!(r.stderr.starts_with("error[E_EVENT_LOG]: -: line 2, column 1: "), "{}", r.stderr);
}

#[test]
fn other_errors_in_the_work_are_coded_too() {
    let (code, message) = fails(&["render", "-b", "examples/email/rules.json", "-c", CONTEXT, "-s", "hero"], 1);
    assert_eq!(code, "E_SLOT");
    assert!(message.contains("no slot `hero`; the bundle has: email_body"), "{message}");
    let (code, message) = fails(&["sign-id", "cust-42"], 1);
    assert_eq!(code, "E_ENV");
    assert!(message.contains("set KAIROS_IDENTITY_KEY"), "{message}");
    let (code, message) = fails(&["sign-id", "cust 42"], 2);
    assert_eq!(code, "E_USAGE");
    assert!(message.contains("ids are ASCII letters, digits and -_:@"), "{message}");
    let (code, message) = fails(&["kv-customers", CONTEXT], 1);
    assert_eq!(code, "E_RECORD");
    assert!(message.starts_with(&format!("{CONTEXT}: line 1: ")), "{message}");
    let dir = temp("fmt");
    std::fs::write(dir.join("messy.kairos"), "kairos 1 slot s: default d\n").unwrap();
    let (code, message) = fails(&["fmt", "--check", path(&dir.join("messy.kairos"))], 1);
    assert_eq!(code, "E_NOT_FORMATTED");
    assert!(message.contains("messy.kairos is not formatted"), "{message}");
    // A located rule error keeps its line and caret (tests/cli_text.rs checks the whole of it).
    std::fs::write(dir.join("bad.kairos"), "kairos 1\nslot s:\n  variant v: when device is mobile\n").unwrap();
    let (code, message) = fails(&["check", path(&dir.join("bad.kairos"))], 1);
    assert_eq!(code, "E_SYNTAX");
    assert!(message.contains("needs a default") && message.contains("bad.kairos:2:6\n"), "{message}");
    assert!(message.contains(" 2 | slot s:\n   |      ^\n"), "{message}");
}
