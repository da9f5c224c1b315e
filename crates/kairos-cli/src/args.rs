//! Reading files and flags, shared by every subcommand.

use std::io::Read;

/// The bytes of `path`, or of standard input for `-`.
pub fn read(path: &str) -> Result<Vec<u8>, String> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|e| format!("reading stdin: {e}"))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| format!("{path}: {e}"))
}

pub fn read_text(path: &str) -> Result<String, String> {
    String::from_utf8(read(path)?).map_err(|_| format!("{path}: not UTF-8 text"))
}

/// The value after `flag`, if present.
pub fn flag<'a>(args: &'a [String], names: &[&str]) -> Result<Option<&'a str>, String> {
    match args.iter().position(|a| names.contains(&a.as_str())) {
        Some(i) => args.get(i + 1).map(|s| Some(s.as_str())).ok_or_else(|| format!("{} needs a value", names[0])),
        None => Ok(None),
    }
}
