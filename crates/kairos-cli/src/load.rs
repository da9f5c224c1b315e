//! Rules and bundles from files, with the core's error codes kept.

use crate::args::{read, read_text};
use crate::error::{CliError, Result};
use kairos::{Engine, LoadError, Program};

/// Rules from a file in either form; errors are shown with the line and a caret.
pub fn compile_rules(path: &str) -> Result<Program> {
    let src = read_text(path)?;
    kairos::json::compile_source(&src).map_err(|e| CliError::compile(&src, path, &e))
}

/// The engine for `--bundle FILE`: rules (JSON or text) or a compiled bundle, signed or not; with
/// `--public-key`, only a bundle signed by that key.
pub fn engine(path: &str, public_key: Option<&str>) -> Result<Engine> {
    let bytes = read(path)?;
    match public_key {
        Some(key) => {
            let key = crate::keys::public_key(key)?;
            Engine::load_verified(&bytes, &key).map_err(|e| CliError::load(path, &e))
        }
        None => rules_or_bundle(path, &bytes),
    }
}

/// What `Engine::from_rules_or_bundle` does, but keeping each error's code (that one returns a
/// `String`) and showing rule errors located.
pub fn rules_or_bundle(path: &str, bytes: &[u8]) -> Result<Engine> {
    if bytes.starts_with(kairos::program::MAGIC) {
        return Engine::load(bytes).map_err(|e| CliError::load(path, &e));
    }
    let Ok(src) = std::str::from_utf8(bytes) else {
        // Neither a bundle nor text: a file not meant for kairos, so say what was expected.
        let e = LoadError::NotABundle;
        return Err(CliError::new(e.code(), format!("{path}: {e}, nor rules (not UTF-8 text)")));
    };
    let program = kairos::json::compile_source(src).map_err(|e| CliError::compile(src, path, &e))?;
    // Through its bytes, so rules decide (and name in exposures) as the bundle compiled from them.
    Engine::load(&program.to_bytes()).map_err(|e| CliError::load(path, &e))
}
