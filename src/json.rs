//! The JSON front end: rule bundles and contexts from text, with errors that
//! name the JSON path, line and column; decisions back to JSON.

use crate::context::Context;
use crate::error::{CompileError, ContextError, Location};
use crate::rules::ast::Bundle;
use crate::{Decision, Engine, Program};
use serde::de::DeserializeOwned;

/// Largest JSON input accepted (rules or context).
pub use crate::limits::MAX_JSON_BYTES;

/// Reads JSON text into any serde type, with the same size limit, depth limit and located
/// errors (JSON path, line and column) as rules and contexts; the edge crate reads its records with it.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, (Location, String)> {
    if text.len() > MAX_JSON_BYTES {
        return Err((Location::default(), format!("input is {} bytes, the limit is {MAX_JSON_BYTES}", text.len())));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let path = if path == "." || path == "?" { String::new() } else { path };
        let message = strip_position(&inner.to_string());
        // serde_json reports end-of-input as column 0 of the line after the last.
        (Location { path, line: inner.line(), column: inner.column().max(1) }, message)
    })?;
    // Trailing garbage after the document is an error too.
    de.end().map_err(|e| {
        (Location { path: String::new(), line: e.line(), column: e.column() }, strip_position(&e.to_string()))
    })?;
    Ok(value)
}

/// serde_json appends " at line L column C"; the location carries that already.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Parses an authored bundle without compiling it.
pub fn parse_bundle(text: &str) -> Result<Bundle, CompileError> {
    parse(text).map_err(|(at, message)| {
        // Too deep for the reader (ours, or serde_json's recursion limit) is a depth error.
        let code = if crate::limits::is_depth_error(&message) { "E_DEPTH" } else { "E_SYNTAX" };
        CompileError { code, at, message }
    })
}

/// Parses and compiles rules JSON; every error is located.
pub fn compile_json(text: &str) -> Result<Program, CompileError> {
    let bundle = parse_bundle(text)?;
    crate::rules::compile::compile(&bundle).map_err(|mut e| {
        if let Some((line, column)) = locate(text, &e.at.path) {
            e.at.line = line;
            e.at.column = column;
        }
        e
    })
}

/// Parses rules in either form: JSON when the text opens with `{`, the text language otherwise.
pub fn parse_source(text: &str) -> Result<Bundle, CompileError> {
    if crate::rules::text::is_json(text) {
        parse_bundle(text)
    } else {
        crate::rules::text::parse_text(text)
    }
}

/// Parses and compiles rules in either form (see [`parse_source`]); every error is located.
pub fn compile_source(text: &str) -> Result<Program, CompileError> {
    if crate::rules::text::is_json(text) {
        compile_json(text)
    } else {
        crate::rules::text::compile_text(text)
    }
}

impl Engine {
    /// Compiles rules (JSON or text), or loads a compiled bundle, judging by the header.
    pub fn from_rules_or_bundle(bytes: &[u8]) -> Result<Engine, String> {
        if bytes.starts_with(crate::program::MAGIC) {
            return Engine::load(bytes).map_err(|e| e.to_string());
        }
        let text = std::str::from_utf8(bytes).map_err(|e| format!("rules are not UTF-8 text: {e}"))?;
        compile_source(text).map(Engine::new).map_err(|e| e.to_string())
    }
}

/// Parses a decision context.
pub fn parse_context(text: &str) -> Result<Context, ContextError> {
    parse(text).map_err(|(at, message)| ContextError { at, message })
}

/// A decision as pretty JSON.
pub fn decision_to_json(d: &Decision) -> String {
    serde_json::to_string_pretty(d).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Line and column (1-based) of the value at a JSON path such as `slots.hero.variants[1].when`.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let mut s = Scanner { b: text.as_bytes(), i: 0 };
    s.ws();
    for seg in split_path(path) {
        match seg {
            Seg::Key(key) => {
                s.eat(b'{')?;
                loop {
                    s.ws();
                    let k = s.string()?;
                    s.ws();
                    s.eat(b':')?;
                    s.ws();
                    if k == key {
                        break;
                    }
                    s.skip_value()?;
                    s.ws();
                    s.eat(b',')?;
                }
            }
            Seg::Index(n) => {
                s.eat(b'[')?;
                for _ in 0..n {
                    s.ws();
                    s.skip_value()?;
                    s.ws();
                    s.eat(b',')?;
                }
                s.ws();
            }
        }
    }
    let before = &text.as_bytes()[..s.i];
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let column = s.i - before.iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1) + 1;
    Some((line, column))
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn split_path(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        while let Some((idx, after)) = rest.split_once(']') {
            if let Ok(n) = idx.parse() {
                out.push(Seg::Index(n));
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    out
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }
    /// A string's raw contents (escapes kept as written: keys in our paths have none).
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match self.b.get(self.i)? {
                b'\\' => self.i += 2,
                b'"' => break,
                _ => self.i += 1,
            }
        }
        let s = String::from_utf8_lossy(&self.b[start..self.i]).into_owned();
        self.i += 1;
        Some(s)
    }
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match *self.b.get(self.i)? {
                b'"' => {
                    self.string()?;
                    if depth == 0 {
                        return Some(());
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    if depth == 0 {
                        return Some(());
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return Some(());
                    }
                }
                b',' if depth == 0 => return Some(()),
                _ => {}
            }
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn locates_paths() {
        let text = "{\n  \"a\": 1,\n  \"slots\": {\"hero\": {\"variants\": [\n    {\"x\": \"}\"},\n    {\"when\": true}\n  ]}}\n}";
        assert_eq!(locate(text, "a"), Some((2, 8)));
        assert_eq!(locate(text, "slots.hero.variants[1].when"), Some((5, 14)));
        assert_eq!(locate(text, "nope"), None);
    }
}
