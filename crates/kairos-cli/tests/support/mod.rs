//! What the CLI's end-to-end tests share: running the built `kairos` from the repository root.

use std::process::Command;

/// Runs `kairos ARGS` from the repository root: (success, stdout, stderr), both UTF-8.
pub fn kairos(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kairos"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}
