//! The scenario spec vectors, natively: every `examples/scenarios/cases/*.cases.json` (the format
//! is in docs/vectors.md and schema/cases.schema.json) is decided by the core and compared with the
//! values written in the file. The same files are run by the wasm module in Node
//! (tests/node/scenarios.test.mjs), the page module in Chromium (tests/browser/scenarios.test.mjs)
//! and the Worker in workerd (tests/worker/vectors.test.mjs), each with its own comparison: no
//! runtime is checked against another.
//!
//! Below the runner are the few scenario checks that are not decisions of one context: bucket
//! values, the holdout share over many visitors, context syntax errors, and explanations being
//! optional.
//! One file: the runner and the few checks that are not decisions (holdout shares, located errors).

use kairos::json::{compile_json, decision_to_json, parse_context};
use kairos::{Engine, Options};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scenarios");

// ---- the runner ---------------------------------------------------------------

/// Every `*.cases.json`, sorted by name.
fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(SCENARIOS).join("cases"))
        .expect("examples/scenarios/cases")
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".cases.json"))
        .collect();
    files.sort();
    files
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_scenario_bundle_has_cases() {
    let files: Vec<String> =
        case_files().iter().map(|p| p.file_name().unwrap().to_string_lossy().replace(".cases.json", ".json")).collect();
    let mut bundles = 0;
    for entry in std::fs::read_dir(SCENARIOS).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".json") && !name.ends_with(".context.json") {
            assert!(files.contains(&name), "{name} has no cases/{}", name.replace(".json", ".cases.json"));
            bundles += 1;
        }
    }
    assert_eq!(bundles, 21);
    assert_eq!(files.len(), bundles, "a cases file without its bundle: {files:?}");
}

#[test]
fn scenario_cases_decide_as_written() {
    let (mut cases, mut slots) = (0, 0);
    let mut failures = Vec::new();
    for path in case_files() {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let doc = read_json(&path);
        assert_eq!(doc["kairos_cases"], 1, "{file}: kairos_cases");
        let bundle_path = path.parent().unwrap().join(doc["bundle"].as_str().expect("bundle"));
        let program = compile_json(&std::fs::read_to_string(&bundle_path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", bundle_path.display()));
        assert!(!program.slots.is_empty(), "{}", bundle_path.display());
        let engine = Engine::new(program);
        let list = doc["cases"].as_array().unwrap_or_else(|| panic!("{file}: cases"));
        let mut names = std::collections::HashSet::new();
        for case in list {
            let name = case["name"].as_str().unwrap_or("(no name)");
            assert!(names.insert(name), "{file}: two cases named {name:?}");
            cases += 1;
            slots += case["expect"].as_object().map_or(0, Map::len);
            let problems = match parse_context(&case["context"].to_string()) {
                Ok(ctx) => {
                    let decision = engine.decide(&ctx, Options::explaining(true));
                    compare(case, &serde_json::to_value(&decision).unwrap())
                }
                Err(e) => vec![format!("context does not parse: {e}")],
            };
            failures.extend(problems.into_iter().map(|p| format!("{file} › {name}: {p}")));
        }
    }
    assert!(cases >= 256 && slots >= 294, "only {cases} cases, {slots} slot expectations: files went missing?");
    assert!(failures.is_empty(), "{} mismatch(es) in {cases} cases:\n{}", failures.len(), failures.join("\n"));
}

// ---- comparing one decision with one case (docs/vectors.md, "Matching") --------

/// Every way the decision (as JSON) differs from the case's expectations.
fn compare(case: &Value, decision: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (slot, want) in case["expect"].as_object().into_iter().flatten() {
        match decision["slots"].get(slot) {
            None => out.push(format!("slot `{slot}`: not in the decision")),
            Some(got) => compare_slot(slot, want, got, &mut out),
        }
    }
    for (key, want) in case.get("expect_decision").and_then(Value::as_object).into_iter().flatten() {
        let got = &decision[key.as_str()];
        match key.as_str() {
            "consent" | "holdout" | "missing" => {
                if !same(want, got) {
                    out.push(format!("decision {key}: expected {want}, got {got}"));
                }
            }
            "missing_includes" => {
                let got = &decision["missing"];
                let entries: Vec<&str> = got.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                for m in want.as_array().into_iter().flatten() {
                    if !entries.iter().any(|e| text_matches(m, e)) {
                        out.push(format!("decision missing: expected an entry matching {m}, got {got}"));
                    }
                }
            }
            _ => out.push(format!("expect_decision: unknown key `{key}`")),
        }
    }
    out
}

fn compare_slot(slot: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    let mut diff = |what: &str, want: &dyn std::fmt::Display, got: &Value| {
        out.push(format!("slot `{slot}` {what}: expected {want}, got {got}"));
    };
    let explain = &got["explain"];
    for (key, w) in want.as_object().into_iter().flatten() {
        match key.as_str() {
            "variant" | "reason" => {
                if !same(w, &got[key.as_str()]) {
                    diff(key, w, &got[key.as_str()]);
                }
            }
            "default" => {
                if !same(w, &got["is_default"]) {
                    diff("default", w, &got["is_default"]);
                }
            }
            "vars" => {
                let vars = &got["vars"];
                if w.is_null() {
                    if vars.as_object().is_some_and(|m| !m.is_empty()) {
                        diff("vars", &"none", vars);
                    }
                } else {
                    for (name, value) in w.as_object().into_iter().flatten() {
                        if !same(value, &vars[name.as_str()]) {
                            diff(&format!("var `{name}`"), value, &vars[name.as_str()]);
                        }
                    }
                }
            }
            "content" => {
                if let Some(at) = subset_diff(w, &got["content"], "") {
                    let leaf = |v: &Value| v.pointer(&at).cloned().unwrap_or(Value::Null);
                    diff(&format!("content{at}"), &leaf(w), &leaf(&got["content"]));
                }
            }
            "content_matches" => {
                for (pointer, m) in w.as_object().into_iter().flatten() {
                    let value = got["content"].pointer(pointer).unwrap_or(&Value::Null);
                    if !value.as_str().is_some_and(|s| text_matches(m, s)) {
                        diff(&format!("content {pointer}"), m, value);
                    }
                }
            }
            "explain" => {
                let mut texts = Vec::new();
                strings(explain, &mut texts);
                for fragment in w.as_array().into_iter().flatten() {
                    let options: Vec<&str> = match fragment {
                        Value::String(s) => vec![s.as_str()],
                        other => other["any_of"].as_array().into_iter().flatten().filter_map(Value::as_str).collect(),
                    };
                    if !options.iter().any(|f| texts.iter().any(|t| t.contains(f))) {
                        diff("explanation", &format!("a text containing {fragment}"), explain);
                    }
                }
            }
            "summary" => {
                let summary = &explain["summary"];
                if !summary.as_str().is_some_and(|s| text_matches(w, s)) {
                    diff("summary", w, summary);
                }
            }
            "candidate_order" => {
                let order: Vec<Value> =
                    explain["candidates"].as_array().into_iter().flatten().map(|c| c["variant"].clone()).collect();
                if !same(w, &Value::Array(order.clone())) {
                    diff("candidate order", w, &Value::Array(order));
                }
            }
            "candidates" => {
                for (variant, cw) in w.as_object().into_iter().flatten() {
                    let Some(c) = explain["candidates"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|c| c["variant"] == variant.as_str())
                    else {
                        diff(&format!("candidate `{variant}`"), &"an explained candidate", &explain["candidates"]);
                        continue;
                    };
                    for (field, fw) in cw.as_object().into_iter().flatten() {
                        let fg = &c[field.as_str()];
                        let ok = match field.as_str() {
                            "eligible" | "priority" | "score" => same(fw, fg),
                            "missing" => same(fw, fg) || (fw == &json!([]) && fg.is_null()),
                            "failed" | "excluded" => {
                                if fw.is_null() {
                                    fg.is_null()
                                } else {
                                    fg.as_str().is_some_and(|s| text_matches(fw, s))
                                }
                            }
                            _ => {
                                diff(&format!("candidate `{variant}`"), &format!("no unknown key `{field}`"), fg);
                                continue;
                            }
                        };
                        if !ok {
                            diff(&format!("candidate `{variant}` {field}"), fw, fg);
                        }
                    }
                }
            }
            _ => diff("expectation", &format!("no unknown key `{key}`"), &Value::Null),
        }
    }
}

/// JSON equality, numbers by value (`20` equals `20.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Where `got` fails to contain `want` (objects: the listed keys; everything else: equal), if anywhere.
fn subset_diff(want: &Value, got: &Value, at: &str) -> Option<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().find_map(|(k, v)| match g.get(k) {
            Some(gv) => subset_diff(v, gv, &format!("{at}/{k}")),
            None => Some(format!("{at}/{k}")),
        }),
        _ if same(want, got) => None,
        _ => Some(at.to_string()),
    }
}

/// A matcher: a string is equality; an object needs each of `prefix`, `suffix`, `contains` it has.
fn text_matches(m: &Value, s: &str) -> bool {
    match m {
        Value::String(exact) => s == exact,
        Value::Object(o) => o.iter().all(|(k, v)| match (k.as_str(), v) {
            ("prefix", Value::String(p)) => s.starts_with(p.as_str()),
            ("suffix", Value::String(p)) => s.ends_with(p.as_str()),
            ("contains", Value::String(p)) => s.contains(p.as_str()),
            ("contains", Value::Array(all)) => all.iter().all(|p| p.as_str().is_some_and(|p| s.contains(p))),
            _ => false,
        }),
        _ => false,
    }
}

/// Every string inside `v`.
fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

// ---- scenario checks that are not one decision ------------------------------------

fn engine(file: &str) -> Engine {
    let text = std::fs::read_to_string(Path::new(SCENARIOS).join(file)).unwrap();
    Engine::new(compile_json(&text).unwrap_or_else(|e| panic!("{file}: {e}")))
}

/// 19-holdout.cases.json uses these customers as the edges of the holdout and of the A/B split.
#[test]
fn s19_the_cases_customers_sit_on_the_bucket_edges() {
    use kairos::bucket;
    assert_eq!(bucket("lift-2026q4", "cust-18668"), 999); // last bucket inside the 10% holdout
    assert_eq!(bucket("lift-2026q4", "cust-30804"), 0);
    assert_eq!(bucket("lift-2026q4", "cust-521"), 1000); // first bucket outside
    assert_eq!(bucket("cta-copy-test", "cust-521"), 6667);
    assert_eq!(bucket("cta-copy-test", "cust-40650"), 4999); // last of arm A
    assert_eq!(bucket("cta-copy-test", "cust-3322"), 5000); // first of arm B
}

#[test]
fn s19_holdout_share_is_about_ten_percent() {
    let e = engine("19-holdout.json");
    let n = 20_000;
    let held = (0..n)
        .filter(|i| {
            let ctx = json!({
                "now": "2026-11-23T18:30:00Z", "customer_id": format!("visitor-{i}"), "timezone": "Europe/Paris",
                "consent": { "personalization": true }
            });
            e.decide(&parse_context(&ctx.to_string()).unwrap(), Options::default()).holdout
        })
        .count();
    let share = held as f64 / n as f64;
    assert!((0.09..=0.11).contains(&share), "holdout share {share}");
}

/// Parses text that must be rejected; returns the error's Display and location.
fn reject(text: &str) -> (String, kairos::Location) {
    match parse_context(text) {
        Ok(_) => panic!("accepted a malformed context:\n{text}"),
        Err(e) => (e.to_string(), e.at),
    }
}

#[test]
fn s20_malformed_json_is_a_located_error() {
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"session\": {\"page\": \"home\",}\n}\n");
    assert_eq!(at.line, 4, "{msg}");
    assert!(at.path.starts_with("session"), "{msg}");
    assert!(msg.contains("line 4, column"), "{msg}");
    assert!(msg.contains("trailing comma"), "{msg}");
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"geo\": {\"lat\": NaN}\n}\n");
    assert_eq!(at.path, "geo.lat", "{msg}");
    assert!(msg.contains("geo.lat (line 4, column"), "{msg}");
}

#[test]
fn s20_truncated_json_is_an_error_with_its_line() {
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"session\": {\"page_views\": 3}\n");
    assert_eq!(at.line, 5, "{msg}");
    assert!(msg.contains("line 5"), "{msg}");
    assert!(msg.contains("EOF while parsing"), "{msg}");
}

#[test]
fn s20_wrong_type_is_a_located_error() {
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"session\": {\"page_views\": \"three\"}\n}\n");
    assert_eq!(at.path, "session.page_views");
    assert_eq!((at.line, at.column), (4, 35));
    assert!(msg.contains("session.page_views (line 4, column 35)"), "{msg}");
    assert!(msg.contains("invalid type"), "{msg}");
    let (msg, at) = reject("{\n  \"now\": \"soon\",\n  \"consent\": {\"personalization\": true}\n}\n");
    assert_eq!(at.path, "now", "{msg}");
    assert_eq!(at.line, 2, "{msg}");
}

#[test]
fn s20_out_of_range_numbers_are_located_errors() {
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"geo\": {\"lat\": 1e400}\n}\n");
    assert_eq!(at.path, "geo.lat");
    assert!(msg.contains("geo.lat (line 4, column"), "{msg}");
    assert!(msg.contains("number out of range"), "{msg}");
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"profile\": {\"balance\": -1e999}\n}\n");
    assert_eq!(at.path, "profile.balance", "{msg}");
    let (msg, at) = reject("{\n  \"now\": 1e300,\n  \"consent\": {\"personalization\": true}\n}\n");
    assert_eq!(at.path, "now", "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
}

#[test]
fn s20_misspelt_key_is_a_located_error() {
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"sesion\": {}\n}\n");
    assert_eq!(at.path, "sesion");
    assert_eq!(at.line, 3);
    assert!(msg.contains("unknown field `sesion`"), "{msg}");
}

/// Explanations cost extra and are optional; they never change the variants. The case
/// "every candidate of the offer slot explained…" of 21-explain.cases.json checks the values.
#[test]
fn s21_explanation_is_optional_and_the_decision_serialisable() {
    let e = engine("21-explain.json");
    let doc = read_json(&Path::new(SCENARIOS).join("cases/21-explain.cases.json"));
    let case = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("every candidate of the offer slot explained"))
        .expect("the explain case");
    let c = parse_context(&case["context"].to_string()).unwrap();
    let with = e.decide(&c, Options::explaining(true));
    let without = e.decide(&c, Options::explaining(false));
    assert!(without.slots.iter().all(|s| s.explain.is_none()));
    assert_eq!(
        with.slots.iter().map(|s| &s.variant).collect::<Vec<_>>(),
        without.slots.iter().map(|s| &s.variant).collect::<Vec<_>>()
    );
    let v: Value = serde_json::from_str(&decision_to_json(&with)).unwrap();
    assert_eq!(v["slots"]["offer"]["variant"], "cart_reminder");
    assert_eq!(
        v["slots"]["offer"]["explain"]["candidates"][2]["excluded"],
        "frequency cap reached: shown 3 times in 1w"
    );
    assert_eq!(v["slots"]["offer"]["content"]["image"], "/img/products/sku-9.jpg");
}
