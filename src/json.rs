//! The JSON front end: rule bundles and contexts from text, with errors that
//! name the JSON path, line and column; decisions back to JSON.

use crate::context::Context;
use crate::error::{CompileError, ContextError, ErrorCode, LoadError, Location};
use crate::limits::{watch_depth, TooDeep};
use crate::rules::ast::Bundle;
use crate::{Decision, Program};
use serde::de::DeserializeOwned;

/// Largest JSON input accepted (rules or context).
pub use crate::limits::MAX_JSON_BYTES;

pub use crate::wire::JsonError;

/// serde_json's own nesting limit (its `remaining_depth`): a reader whose types do not bound
/// their own depth meets this one first.
const SERDE_JSON_DEPTH: usize = 128;

/// Reads JSON text into any serde type, with the same size limit, depth limit and located
/// errors (JSON path, line and column) as rules and contexts; the edge crate reads its records with it.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    JsonError::check_size(text)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = watch_depth(|| serde_path_to_error::deserialize(&mut de)).map_err(|(e, too_deep)| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let path = if path == "." || path == "?" { String::new() } else { path };
        let message = strip_position(&inner.to_string());
        let serde_json_limit = || {
            let deep = inner.is_syntax() && nesting_before(text, inner.line(), inner.column()) >= SERDE_JSON_DEPTH;
            deep.then_some(TooDeep { what: "JSON", limit: SERDE_JSON_DEPTH - 1 })
        };
        let too_deep = too_deep.or_else(serde_json_limit);
        // serde_json reports end-of-input as column 0 of the line after the last.
        JsonError { at: Location { path, line: inner.line(), column: inner.column().max(1) }, message, too_deep }
    })?;
    // Trailing garbage after the document is an error too.
    de.end().map_err(|e| JsonError {
        at: Location { path: String::new(), line: e.line(), column: e.column() },
        message: strip_position(&e.to_string()),
        too_deep: None,
    })?;
    Ok(value)
}

/// `text` read without tracking where it is: `None` on any error (the caller reads again to say where).
fn parse_quickly<T: DeserializeOwned>(text: &str) -> Option<T> {
    if text.len() > MAX_JSON_BYTES {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = watch_depth(|| T::deserialize(&mut de)).ok()?;
    de.end().ok().map(|()| value)
}

/// How deep `[` and `{` nest at 1-based `line` and `column` (bytes) of `text`: a syntax error
/// where it reaches serde_json's limit is that limit, which serde_json reports only in words.
fn nesting_before(text: &str, line: usize, column: usize) -> usize {
    let start = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum::<usize>();
    let end = (start + column).min(text.len());
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for &b in &text.as_bytes()[..end] {
        match (in_str, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_str = false,
            (true, ..) => {}
            (false, _, b'"') => in_str = true,
            (false, _, b'[' | b'{') => depth += 1,
            (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    depth
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
    // Too deep for a reader (ours, or serde_json's) is E_DEPTH, anything else E_SYNTAX.
    parse(text).map_err(CompileError::from)
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

/// Why [`crate::Engine::from_rules_or_bundle`] made no engine. Its message is the inner error's, so
/// printing it alone says everything; [`std::error::Error::source`] gives the inner error itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesOrBundleError {
    /// The bytes start like a compiled bundle, which cannot be loaded.
    Load(LoadError),
    /// The bytes are rules (JSON or text), which cannot be compiled.
    Compile(CompileError),
    /// Neither a compiled bundle nor UTF-8 text.
    NotText(std::str::Utf8Error),
}

impl RulesOrBundleError {
    /// The inner error's code; `E_SYNTAX` for bytes that are not text.
    pub fn code(&self) -> ErrorCode {
        match self {
            RulesOrBundleError::Load(e) => e.code(),
            RulesOrBundleError::Compile(e) => e.code,
            RulesOrBundleError::NotText(_) => ErrorCode::Syntax,
        }
    }
}

impl std::fmt::Display for RulesOrBundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RulesOrBundleError::Load(e) => e.fmt(f),
            RulesOrBundleError::Compile(e) => e.fmt(f),
            RulesOrBundleError::NotText(e) => write!(f, "rules are not UTF-8 text: {e}"),
        }
    }
}

impl std::error::Error for RulesOrBundleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RulesOrBundleError::Load(e) => Some(e),
            RulesOrBundleError::Compile(e) => Some(e),
            RulesOrBundleError::NotText(e) => Some(e),
        }
    }
}

/// Parses a decision context. Reading is pure, so the JSON path is tracked only on a second
/// read after a failure: tracking costs about a fifth of parsing a context. (Only contexts,
/// which are read per decision, are read this way: for every type it doubles the reading code.)
pub fn parse_context(text: &str) -> Result<Context, ContextError> {
    match parse_quickly(text) {
        Some(ctx) => Ok(ctx),
        None => parse(text).map_err(ContextError::from),
    }
}

/// Parses a decision context for one bundle: its history events keep only the properties the
/// bundle's rules read (`Plan::props`), so the others are checked but never copied. Decisions of
/// that bundle are the same as on [`parse_context`]'s context; errors are exactly its errors (on
/// any failure the text is read again, whole and located, as it reads it).
pub(crate) fn parse_context_for(text: &str, props: &std::sync::Arc<[String]>) -> Result<Context, ContextError> {
    match crate::context::kept_props(props.clone(), || parse_quickly::<Context>(text)) {
        Some(ctx) => Ok(ctx),
        None => parse(text).map_err(ContextError::from),
    }
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
    use super::{locate, parse, SERDE_JSON_DEPTH};
    use crate::error::ErrorCode;

    #[test]
    fn serde_jsons_own_depth_limit_is_a_depth_error() {
        let nest = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(parse::<serde_json::Value>(&nest(SERDE_JSON_DEPTH - 1)).is_ok());
        let e = parse::<serde_json::Value>(&format!("\n  {}", nest(SERDE_JSON_DEPTH))).unwrap_err();
        assert_eq!((e.code(), e.too_deep.map(|d| d.what)), (ErrorCode::Depth, Some("JSON")), "{e}");
        // Brackets inside strings do not count, and a shallow syntax error is not a depth error.
        let quoted = format!("[\"{}\", ]", "[".repeat(200));
        assert_eq!(parse::<serde_json::Value>(&quoted).unwrap_err().code(), ErrorCode::Syntax);
    }

    #[test]
    fn locates_paths() {
        let text = "{\n  \"a\": 1,\n  \"slots\": {\"hero\": {\"variants\": [\n    {\"x\": \"}\"},\n    {\"when\": true}\n  ]}}\n}";
        assert_eq!(locate(text, "a"), Some((2, 8)));
        assert_eq!(locate(text, "slots.hero.variants[1].when"), Some((5, 14)));
        assert_eq!(locate(text, "nope"), None);
    }
}
