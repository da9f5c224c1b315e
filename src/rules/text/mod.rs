//! The text form of the rule language: sentences that parse to the same
//! [`Bundle`] as the JSON form, and a printer that writes any bundle back as
//! canonical text. docs/language.md describes it, operator by operator.
//!
//! ```text
//! segment evening_cart_abandoners:
//!   count(cart_viewed within 48h) >= 2
//!   and device is mobile
//!   and local_time between 18:00 and 21:00
//!   and none(email_opened within 72h)
//! ```

pub mod lex;
mod parse;
mod print;
pub mod words;

use crate::error::{CompileError, ErrorCode, Location};
use crate::rules::ast::Bundle;
use crate::Program;

pub use parse::MAX_PARSE_DEPTH;

fn syntax_error(e: lex::TextError) -> CompileError {
    let at = Location { path: String::new(), line: e.pos.line, column: e.pos.column };
    CompileError { code: e.code(), at, message: e.message }
}

/// Parses rules written as text.
pub fn parse_text(src: &str) -> Result<Bundle, CompileError> {
    parse::parse(src).map(|p| p.bundle).map_err(syntax_error)
}

/// Parses and compiles rules written as text; compile errors point at the line and column of the rule part.
pub fn compile_text(src: &str) -> Result<Program, CompileError> {
    let parsed = parse::parse(src).map_err(syntax_error)?;
    crate::rules::compile::compile(&parsed.bundle).map_err(|mut e| {
        if let Some(pos) = locate(&parsed.spans, &e.at.path) {
            e.at.line = pos.line;
            e.at.column = pos.column;
        }
        if e.code == ErrorCode::UnknownSignal && !e.message.contains("did you mean") {
            e.message = with_alias_hint(&e.message);
        }
        e
    })
}

/// The canonical text of a bundle.
pub fn to_text(b: &Bundle) -> String {
    print::bundle(b, &[])
}

/// Rewrites rules text canonically, keeping its comments (a comment inside a rule moves above that rule).
pub fn format_text(src: &str) -> Result<String, CompileError> {
    let parsed = parse::parse(src).map_err(syntax_error)?;
    let mut notes: Vec<(String, Vec<String>)> = Vec::new();
    for c in &parsed.comments {
        let next = parsed.items.iter().find(|(_, line)| *line >= c.line);
        let last_before = parsed.items.iter().rev().find(|(_, line)| *line < c.line);
        let key = match next {
            // Nothing written between the comment and the next item: it introduces that item.
            Some((key, line)) if !parsed.token_lines.iter().any(|l| *l > c.line && *l < *line) => key.clone(),
            _ => match last_before {
                Some((key, _)) if parsed.token_lines.iter().any(|l| *l >= c.line) || next.is_some() => key.clone(),
                _ => "end".to_owned(),
            },
        };
        match notes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, lines)) => lines.push(c.text.clone()),
            None => notes.push((key, vec![c.text.clone()])),
        }
    }
    Ok(print::bundle(&parsed.bundle, &notes))
}

/// Whether rules source is JSON (its first non-blank character opens an object).
pub fn is_json(src: &str) -> bool {
    src.trim_start().starts_with('{')
}

/// The position of the longest recorded path that `path` starts with.
fn locate(spans: &[(String, lex::Pos)], path: &str) -> Option<lex::Pos> {
    spans
        .iter()
        .filter(|(p, _)| {
            path == p
                || (path.starts_with(p.as_str()) && matches!(path.as_bytes().get(p.len()), Some(b'.') | Some(b'[')))
        })
        .max_by_key(|(p, _)| p.len())
        .map(|(_, pos)| *pos)
}

fn with_alias_hint(message: &str) -> String {
    let Some(name) = message.split('`').nth(1) else { return message.to_owned() };
    let known = words::ALIASES.iter().map(|(a, _)| *a).chain(crate::program::SIGNALS.iter().map(|(n, _)| *n));
    match crate::suggest::nearest(name, known) {
        Some(s) => message.replacen(&format!("`{name}`"), &format!("`{name}` (did you mean `{s}`?)"), 1),
        None => message.to_owned(),
    }
}

/// An error as a person reads it: the message, the file, line and column, the line itself and a caret.
pub fn render_error(src: &str, origin: &str, e: &CompileError) -> String {
    let mut out = format!("error[{}]: {}\n", e.code, e.message);
    if e.at.line == 0 {
        let path = if e.at.path.is_empty() { String::new() } else { format!(" (at {})", e.at.path) };
        out.push_str(&format!("  --> {origin}{path}\n"));
        return out;
    }
    out.push_str(&format!("  --> {origin}:{}:{}\n", e.at.line, e.at.column));
    let Some(line) = src.lines().nth(e.at.line - 1) else { return out };
    let gutter = e.at.line.to_string();
    let pad = " ".repeat(gutter.len());
    let before: String =
        line.chars().take(e.at.column.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let rest: Vec<char> = line.chars().skip(e.at.column.saturating_sub(1)).collect();
    let width = match rest.first() {
        Some(c) if c.is_alphanumeric() || *c == '_' || *c == '$' => {
            rest.iter().take_while(|c| c.is_alphanumeric() || **c == '_' || **c == '.' || **c == '$').count()
        }
        Some('"') => rest.iter().skip(1).position(|c| *c == '"').map_or(rest.len(), |i| i + 2),
        _ => 1,
    };
    out.push_str(&format!(" {pad} |\n {gutter} | {line}\n {pad} | {before}{}\n", "^".repeat(width.max(1))));
    if e.at.path.is_empty() {
        return out;
    }
    out.push_str(&format!(" {pad} = at {}\n", e.at.path));
    out
}

#[cfg(test)]
mod tests;
