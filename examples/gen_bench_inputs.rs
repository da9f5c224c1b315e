//! Writes the benchmark's generated bundle and contexts to target/bench-inputs/,
//! so the wasm benchmark (benches/wasm-node.mjs) measures exactly what the native one does.

#[path = "../benches/support/mod.rs"]
mod inputs;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-inputs");
    std::fs::create_dir_all(&dir).expect("create target/bench-inputs");
    let program = kairos::json::compile_json(&inputs::rules()).expect("generated rules compile");
    std::fs::write(dir.join("bundle.bin"), program.to_bytes()).expect("write bundle");
    for events in [20, 1000] {
        std::fs::write(dir.join(format!("context-{events}.json")), inputs::context(events)).expect("write context");
    }
    println!("wrote {}", dir.display());
}
