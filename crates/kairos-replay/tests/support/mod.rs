//! What several replay test files use: generated logs and every example bundle.

use kairos::Engine;
use kairos_replay::gen::{generate, GenOptions, Shape, DEFAULT_START_MS};

/// A `kairos gen` log (the same bytes for the same arguments).
pub fn generated(customers: u32, days: u32, seed: u64, shape: Shape) -> Vec<u8> {
    let mut out = Vec::new();
    generate(&GenOptions { customers, days, seed, start_ms: DEFAULT_START_MS, shape }, &mut out).unwrap();
    out
}

/// The demo bundle, then every scenario bundle by name, each with its path.
#[allow(dead_code)] // not every test file that includes this module reads every example
pub fn examples() -> Vec<(String, Engine)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut paths: Vec<String> = std::fs::read_dir(format!("{root}/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".json") && !p.ends_with(".context.json"))
        .collect();
    paths.sort();
    paths.insert(0, format!("{root}/demo/rules.json"));
    paths.into_iter().map(|p| (p.clone(), Engine::from_rules_or_bundle(&std::fs::read(&p).unwrap()).unwrap())).collect()
}
