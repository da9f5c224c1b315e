//! The CLI reads rules in either form: `check` and `compile` accept text, `fmt`
//! converts both ways, and errors show the line with a caret.

use std::process::Command;

fn kairos(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kairos"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("the CLI runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn temp(name: &str, body: &str) -> String {
    let dir = std::env::temp_dir().join(format!("kairos-cli-text-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn check_and_compile_accept_text_and_json_alike() {
    let (ok, text_out, _) = kairos(&["check", "examples/demo/rules.kairos"]);
    assert!(ok);
    let (ok, json_out, _) = kairos(&["check", "examples/demo/rules.json"]);
    assert!(ok);
    assert_eq!(text_out, json_out);
    let a = temp("a.bin", "");
    let b = temp("b.bin", "");
    assert!(kairos(&["compile", "examples/demo/rules.kairos", "-o", &a]).0);
    assert!(kairos(&["compile", "examples/demo/rules.json", "-o", &b]).0);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn fmt_converts_both_ways_and_checks() {
    let (ok, text, _) = kairos(&["fmt", "examples/scenarios/10-rfm-at-risk.json"]);
    assert!(ok);
    assert_eq!(
        text,
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios/10-rfm-at-risk.kairos"))
            .unwrap()
    );
    let (ok, json, _) = kairos(&["fmt", "--json", "examples/scenarios/10-rfm-at-risk.kairos"]);
    assert!(ok);
    let from_text: serde_json::Value = serde_json::from_str(&json).unwrap();
    let original: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios/10-rfm-at-risk.json"))
            .unwrap(),
    )
    .unwrap();
    let reparsed = kairos::json::parse_bundle(&serde_json::to_string(&original).unwrap()).unwrap();
    assert_eq!(kairos::json::parse_bundle(&serde_json::to_string(&from_text).unwrap()).unwrap(), reparsed);

    assert!(kairos(&["fmt", "--check", "examples/scenarios/10-rfm-at-risk.kairos"]).0);
    let messy = temp("messy.kairos", "kairos 1 slot s: default d variant v: when device is mobile priority 2\n");
    let (ok, _, err) = kairos(&["fmt", "--check", &messy]);
    assert!(!ok && err.contains("is not formatted"), "{err}");
    assert!(kairos(&["fmt", "-w", &messy]).0);
    assert!(kairos(&["fmt", "--check", &messy]).0);
}

#[test]
fn errors_show_the_line_and_a_caret() {
    let bad = temp(
        "bad.kairos",
        "kairos 1\nsegment s:\n  count(cart_viewed within 48h) >= 2\n  and devce is mobile\nslot x:\n  default d\n",
    );
    let (ok, _, err) = kairos(&["check", &bad]);
    assert!(!ok);
    assert!(err.starts_with("error[E_UNKNOWN_SIGNAL]: unknown signal `devce` (did you mean `device`?)"), "{err}");
    assert!(err.contains("bad.kairos:4:7\n"), "{err}");
    assert!(err.contains(" 4 |   and devce is mobile\n   |       ^^^^^\n"), "{err}");
}
