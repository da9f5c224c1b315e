//! Compiles the Worker's built-in fallback bundle (examples/demo/rules.json) when the Worker is
//! built, so the .wasm carries bundle bytes instead of the rule compiler and its JSON readers.

fn main() {
    let rules = "../../examples/demo/rules.json";
    println!("cargo:rerun-if-changed={rules}");
    let text = std::fs::read_to_string(rules).unwrap_or_else(|e| panic!("{rules}: {e}"));
    let program = kairos::json::compile_json(&text).unwrap_or_else(|e| panic!("{rules}: {e}"));
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin.bin");
    std::fs::write(&out, program.to_bytes()).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
