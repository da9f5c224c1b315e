//! The native side of the side-by-side benchmark (bash benches/compare.sh): reads the rules and
//! contexts benches/compare/generate.mjs wrote, compiles the bundle (and writes it for the wasm
//! run), times decisions one by one, and writes the timings and every context's winners to
//! `<dir>/<size>/native.json` for benches/compare/run.mjs to check and report.
//!
//! Run: `cargo bench --bench compare -- target/compare` (compare.sh does).

mod floor;

use kairos::json::{compile_json, parse_context};
use kairos::{Engine, Moment, Options, Visitor};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// p50, p99 and mean of durations in ns, as µs.
fn summary(mut ns: Vec<u64>) -> Value {
    ns.sort_unstable();
    let at = |p: f64| ns[((ns.len() as f64 * p) as usize).min(ns.len() - 1)] as f64 / 1000.0;
    let mean = ns.iter().sum::<u64>() as f64 / ns.len() as f64 / 1000.0;
    json!({ "p50_us": at(0.5), "p99_us": at(0.99), "mean_us": mean, "n": ns.len() })
}

fn time<T>(n: usize, mut f: impl FnMut(usize) -> T) -> Value {
    for i in 0..n.min(200) {
        std::hint::black_box(f(i));
    }
    let ns = (0..n)
        .map(|i| {
            let t = Instant::now();
            std::hint::black_box(f(i));
            t.elapsed().as_nanos() as u64
        })
        .collect();
    summary(ns)
}

fn run(dir: &Path) {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let rules = read("rules.json");
    let program = compile_json(&rules).unwrap_or_else(|e| panic!("rules.json: {e}"));
    let bundle = program.to_bytes();
    std::fs::write(dir.join("bundle.bin"), &bundle).expect("write bundle.bin");
    let engine = Arc::new(Engine::new(program));
    let contexts: Vec<Value> = serde_json::from_str(&read("contexts.json")).expect("contexts.json is an array");
    let texts: Vec<String> = contexts.iter().map(Value::to_string).collect();
    let parsed: Vec<_> = texts.iter().map(|t| parse_context(t).expect("context parses")).collect();

    let winners: Vec<Value> = parsed
        .iter()
        .map(|ctx| {
            let d = engine.decide(ctx, Options::default());
            Value::Object(d.slots.iter().map(|s| (s.slot.clone(), json!(s.variant))).collect())
        })
        .collect();
    let quick = std::env::var_os("COMPARE_QUICK").is_some_and(|v| v != "0");
    let iterations = match (texts[0].len() > 20_000, quick) {
        (true, false) => 5_000,
        (false, false) => 20_000,
        (true, true) => 1_000,
        (false, true) => 4_000,
    };
    let n = parsed.len();
    // Resident visitors: each context's history packed once (what `track` would have built).
    let mut visitors: Vec<Visitor> = parsed.iter().map(|c| Visitor::from_context(engine.clone(), c)).collect();
    let moments: Vec<Moment> = parsed.iter().map(Moment::of).collect();
    for (i, v) in visitors.iter_mut().enumerate() {
        let d = v.decide(moments[i].clone(), Options::default());
        let got = Value::Object(d.slots.iter().map(|s| (s.slot.clone(), json!(s.variant))).collect());
        assert_eq!(got, winners[i], "visitor and context disagree on context {i}");
    }
    // The floor: plain Rust for exactly these rules.
    let rules_value: Value = serde_json::from_str(&rules).expect("rules.json");
    let floor = floor::Floor::new(&rules_value);
    let floor_contexts: Vec<_> = contexts.iter().map(|c| floor.context(c)).collect();
    let mut values = Vec::new();
    for (i, fc) in floor_contexts.iter().enumerate() {
        let got = floor.decide(fc, &mut values);
        for (slot, variant) in floor.slot_names().zip(got) {
            assert_eq!(winners[i][slot], json!(variant), "floor and kairos disagree on context {i}, {slot}");
        }
    }
    // `COMPARE_PROFILE=SECONDS`: only loop one row's decisions, for `perf record`; the row is
    // `COMPARE_PROFILE_ROW`: visitor (the default), decide or parse_and_decide.
    if let Some(secs) = std::env::var("COMPARE_PROFILE").ok().and_then(|s| s.parse::<f64>().ok()) {
        let row = std::env::var("COMPARE_PROFILE_ROW").unwrap_or_else(|_| "visitor".into());
        let start = Instant::now();
        let mut i = 0;
        while start.elapsed().as_secs_f64() < secs {
            let c = i % n;
            std::hint::black_box(match row.as_str() {
                "decide" => engine.decide(&parsed[c], Options::default()),
                "parse_and_decide" => engine.decide_json(&texts[c], Options::default()).expect("parses"),
                _ => visitors[c].decide(moments[c].clone(), Options::default()),
            });
            i += 1;
        }
        println!("profile {}: {i} {row} decisions", dir.display());
        return;
    }
    let report = json!({
        "bundle_bytes": bundle.len(),
        "rules_bytes": rules.len(),
        "floor": time(iterations, |i| floor.decide(&floor_contexts[i % n], &mut values).len()),
        "visitor": time(iterations, |i| visitors[i % n].decide(moments[i % n].clone(), Options::default())),
        "decide": time(iterations, |i| engine.decide(&parsed[i % n], Options::default())),
        "parse_and_decide": time(iterations / 4, |i| {
            engine.decide_json(&texts[i % n], Options::default()).expect("context parses")
        }),
        "load": time(if quick { 100 } else { 500 }, |_| Engine::load(&bundle).expect("bundle loads")),
        "compile": time(if quick { 20 } else { 100 }, |_| compile_json(&rules).expect("rules compile")),
        "winners": winners,
    });
    std::fs::write(dir.join("native.json"), serde_json::to_string_pretty(&report).expect("json"))
        .expect("write native.json");
    println!(
        "native {}: floor p50 {} µs · visitor p50 {} µs, p99 {} µs · context p50 {} µs",
        dir.display(),
        report["floor"]["p50_us"],
        report["visitor"]["p50_us"],
        report["visitor"]["p99_us"],
        report["decide"]["p50_us"],
    );
}

fn main() {
    // `cargo bench` passes `--bench`; the first other argument is the directory.
    let root = std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_else(|| "target/compare".into());
    for size in ["small", "large"] {
        run(&Path::new(&root).join(size));
    }
}
