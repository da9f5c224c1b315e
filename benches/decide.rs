//! `cargo bench --bench decide`: decide on a generated bundle of 200 rules over 20
//! slots with a 1,000-event history; loading the compiled bundle versus compiling JSON.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kairos::json::{compile_json, parse_context};
use kairos::{Engine, Options};

mod support;
use support::{context, rules};

fn bench(c: &mut Criterion) {
    let rules = rules();
    let program = compile_json(&rules).expect("generated rules compile");
    let bytes = program.to_bytes();
    let engine = Engine::new(program);
    let ctx_json = context(1_000);
    let ctx = parse_context(&ctx_json).unwrap();
    eprintln!(
        "bundle: {} bytes JSON, {} bytes compiled; context: {} bytes JSON",
        rules.len(),
        bytes.len(),
        ctx_json.len()
    );

    c.bench_function("decide/200 rules, 20 slots, 1000 events", |b| {
        b.iter(|| engine.decide(black_box(&ctx), Options::default()))
    });
    c.bench_function("decide+explain/200 rules, 20 slots, 1000 events", |b| {
        b.iter(|| engine.decide(black_box(&ctx), Options::explaining(true)))
    });
    let small = parse_context(&context(20)).unwrap();
    c.bench_function("decide/200 rules, 20 slots, 20 events", |b| {
        b.iter(|| engine.decide(black_box(&small), Options::default()))
    });
    c.bench_function("parse context JSON/1000 events", |b| b.iter(|| parse_context(black_box(&ctx_json)).unwrap()));
    c.bench_function("load compiled bundle", |b| b.iter(|| Engine::load(black_box(&bytes)).unwrap()));
    c.bench_function("compile bundle from JSON", |b| b.iter(|| Engine::new(compile_json(black_box(&rules)).unwrap())));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
