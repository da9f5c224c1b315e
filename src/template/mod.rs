//! Content templates: `{{ name }}`, `{{ path | filter(arg) }}` and `{{#if x}}…{{else}}…{{/if}}`.
//!
//! A hole names a variant var or a context path (`profile.balance`, `event.amount`), then
//! optional filters: `money("USD")`, `number(2)`, `date("short")`, `default("…")`, `upper`,
//! `lower`, `raw`. The compiler turns every distinct hole into a var named by its canonical
//! text (so the whole checking and evaluation machinery applies), and decisions format the
//! value with the filters before escaping it for where it lands.
//!
//! Reading templates (holes, filters, blocks) is here; formatting a value through its filters
//! is in `format`.

mod format;

pub use format::{apply_filters, Value};

use crate::error::ErrorCode;

/// What the HTML scanner reads in place of a hole's value: one plain character, which moves it
/// past the start of an attribute value exactly as any escaped value would.
pub const HOLE_STAND_IN: &str = "x";

/// A formatting step applied to a hole's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Currency amount: symbol for USD/EUR/GBP/JPY, code suffix otherwise; two decimals (JPY none).
    Money(String),
    /// Thousands separators and a fixed number of decimals.
    Number(u8),
    /// Date in the customer's zone: `iso` (2026-11-23), `short` (23 Nov 2026), `long` (Monday 23 November 2026), `time` (18:30).
    Date(DateStyle),
    /// Used when the value is missing, instead of falling back to the slot's default.
    Default(String),
    /// Upper-cases the text.
    Upper,
    /// Lower-cases the text.
    Lower,
    /// Inserted without escaping; only allowed in HTML fields, outside tags.
    Raw,
}

/// How the `date` filter writes a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// `2026-11-23`.
    Iso,
    /// `23 Nov 2026`.
    Short,
    /// `Monday 23 November 2026`.
    Long,
    /// `18:30`.
    Time,
}

/// A parsed `{{ … }}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Hole {
    /// A var name or a dotted context path.
    pub subject: String,
    /// Applied in order after the value is found.
    pub filters: Vec<Filter>,
}

impl Hole {
    /// Whether the value is inserted unescaped.
    pub fn is_raw(&self) -> bool {
        self.filters.contains(&Filter::Raw)
    }

    /// The `default(…)` text, used when the value is missing.
    pub fn default_text(&self) -> Option<&str> {
        self.filters.iter().find_map(|f| match f {
            Filter::Default(d) => Some(d.as_str()),
            _ => None,
        })
    }

    /// The text that names this hole's var: subject and filters, spaced one way.
    pub fn canonical(&self) -> String {
        let mut out = self.subject.clone();
        for f in &self.filters {
            out.push_str(" | ");
            match f {
                Filter::Money(c) => out.push_str(&format!("money({})", quote(c))),
                Filter::Number(d) => out.push_str(&format!("number({d})")),
                Filter::Date(s) => out.push_str(&format!("date({})", quote(style_name(*s)))),
                Filter::Default(d) => out.push_str(&format!("default({})", quote(d))),
                Filter::Upper => out.push_str("upper"),
                Filter::Lower => out.push_str("lower"),
                Filter::Raw => out.push_str("raw"),
            }
        }
        out
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn style_name(s: DateStyle) -> &'static str {
    match s {
        DateStyle::Iso => "iso",
        DateStyle::Short => "short",
        DateStyle::Long => "long",
        DateStyle::Time => "time",
    }
}

/// The name under which an `{{#if x}}` condition's var is stored.
pub fn condition_var(hole: &Hole) -> String {
    format!("#if {}", hole.canonical())
}

/// A template that cannot be read: a malformed hole or filter, or blocks that do not nest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// What is wrong and what was expected, for people.
    pub message: String,
    /// From [`check_blocks`]: the index, among its segments, of the block at fault (for an
    /// unclosed `{{#if}}`, that `{{#if}}`).
    pub segment: Option<usize>,
}

impl TemplateError {
    fn new(message: impl Into<String>) -> TemplateError {
        TemplateError { message: message.into(), segment: None }
    }

    /// Always `E_TEMPLATE`.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::Template
    }
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// Parses the inside of `{{ … }}`.
pub fn parse_hole(inner: &str) -> Result<Hole, TemplateError> {
    let mut parts = split_pipes(inner).map_err(TemplateError::new)?.into_iter();
    let subject = parts.next().unwrap_or_default();
    let subject = subject.trim();
    let valid = !subject.is_empty()
        && subject.split('.').all(|seg| {
            !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
        });
    if !valid {
        return Err(TemplateError::new(format!("`{subject}` is not a var name or a context path")));
    }
    let filters = parts.map(|p| parse_filter(p.trim())).collect::<Result<Vec<_>, _>>().map_err(TemplateError::new)?;
    if filters.iter().filter(|f| matches!(f, Filter::Default(_))).count() > 1 {
        return Err(TemplateError::new("more than one default(…)"));
    }
    Ok(Hole { subject: subject.to_owned(), filters })
}

/// Splits on `|` outside quoted strings.
fn split_pipes(s: &str) -> Result<Vec<String>, String> {
    let (mut out, mut cur, mut in_str, mut escaped) = (Vec::new(), String::new(), false, false);
    for c in s.chars() {
        match (in_str, escaped, c) {
            (true, true, _) => {
                cur.push(c);
                escaped = false;
                continue;
            }
            (true, false, '\\') => escaped = true,
            (_, _, '"') => in_str = !in_str,
            (false, _, '|') => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if in_str {
        return Err("unterminated string".into());
    }
    out.push(cur);
    Ok(out)
}

fn parse_filter(f: &str) -> Result<Filter, String> {
    let (name, arg) = match f.split_once('(') {
        Some((name, rest)) => {
            let arg = rest.strip_suffix(')').ok_or_else(|| format!("`{f}`: missing `)`"))?.trim();
            (name.trim(), Some(arg))
        }
        None => (f, None),
    };
    let string_arg = || -> Result<String, String> {
        let a = arg.ok_or_else(|| format!("{name} needs an argument: {name}(\"…\")"))?;
        let inner = a
            .strip_prefix('"')
            .and_then(|a| a.strip_suffix('"'))
            .ok_or_else(|| format!("{name}'s argument must be a quoted string"))?;
        Ok(inner.replace("\\\"", "\"").replace("\\\\", "\\"))
    };
    let no_arg = |filter: Filter| match arg {
        None => Ok(filter),
        Some(_) => Err(format!("{name} takes no argument")),
    };
    match name {
        "money" => {
            let code = string_arg()?;
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(format!("money needs an ISO currency code such as \"USD\", not \"{code}\""));
            }
            Ok(Filter::Money(code))
        }
        "number" => match arg {
            None => Ok(Filter::Number(0)),
            Some(a) => a
                .parse::<u8>()
                .ok()
                .filter(|d| *d <= 6)
                .map(Filter::Number)
                .ok_or_else(|| format!("number's argument is the count of decimals, 0 to 6, not `{a}`")),
        },
        "date" => {
            let style = if arg.is_none() { "short".to_owned() } else { string_arg()? };
            let style = match style.as_str() {
                "iso" => DateStyle::Iso,
                "short" => DateStyle::Short,
                "long" => DateStyle::Long,
                "time" => DateStyle::Time,
                other => return Err(format!("date style `{other}`: use \"iso\", \"short\", \"long\" or \"time\"")),
            };
            Ok(Filter::Date(style))
        }
        "default" => Ok(Filter::Default(string_arg()?)),
        "upper" => no_arg(Filter::Upper),
        "lower" => no_arg(Filter::Lower),
        "raw" => no_arg(Filter::Raw),
        other => {
            let hint = crate::suggest::nearest(other, FILTERS.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            Err(format!("unknown filter `{other}`{hint}; filters: {}", FILTERS.join(", ")))
        }
    }
}

/// Every filter name, for error messages and suggestions.
pub const FILTERS: &[&str] = &["money", "number", "date", "default", "upper", "lower", "raw"];

/// A piece of a template string.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment<'a> {
    /// Literal text.
    Text(&'a str),
    /// `{{ … }}`; `raw` is the text as written.
    Hole {
        /// The hole's text between the braces, trimmed.
        inner: &'a str,
        /// The hole as written, braces included.
        raw: &'a str,
    },
    /// `{{#if x}}`: the condition's text.
    If(&'a str),
    /// `{{else}}`.
    Else,
    /// `{{/if}}`.
    EndIf,
}

/// Splits a template into segments; an unclosed `{{` is text.
pub fn segments(s: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        match rest.find("{{") {
            Some(0) => match rest[2..].find("}}") {
                Some(end) => {
                    let raw = &rest[..end + 4];
                    let inner = raw[2..raw.len() - 2].trim();
                    out.push(if let Some(cond) = inner.strip_prefix("#if ") {
                        Segment::If(cond.trim())
                    } else if inner == "else" {
                        Segment::Else
                    } else if inner == "/if" {
                        Segment::EndIf
                    } else {
                        Segment::Hole { inner, raw }
                    });
                    rest = &rest[raw.len()..];
                }
                None => {
                    out.push(Segment::Text(rest));
                    rest = "";
                }
            },
            Some(start) => {
                out.push(Segment::Text(&rest[..start]));
                rest = &rest[start..];
            }
            None => {
                out.push(Segment::Text(rest));
                rest = "";
            }
        }
    }
    out
}

/// Checks that `{{#if}}`/`{{else}}`/`{{/if}}` nest properly (at most 8 deep).
pub fn check_blocks(segs: &[Segment]) -> Result<(), TemplateError> {
    let fail = |i: usize, message: &str| Err(TemplateError { message: message.into(), segment: Some(i) });
    let mut open: Vec<(usize, bool)> = Vec::new(); // per open #if: where, and whether its else was seen
    for (i, s) in segs.iter().enumerate() {
        match s {
            Segment::If(_) if open.len() == 8 => return fail(i, "{{#if}} nested deeper than 8"),
            Segment::If(_) => open.push((i, false)),
            Segment::Else => match open.last_mut() {
                Some((_, seen)) if !*seen => *seen = true,
                Some(_) => return fail(i, "two {{else}} in one {{#if}}"),
                None => return fail(i, "{{else}} outside {{#if}}"),
            },
            // The guard pops: a matched {{/if}} closes its block and falls through.
            Segment::EndIf if open.pop().is_none() => return fail(i, "{{/if}} without {{#if}}"),
            _ => {}
        }
    }
    match open.last() {
        None => Ok(()),
        Some(&(i, _)) => fail(i, "{{#if}} without {{/if}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_holes_and_filters() {
        let h = parse_hole(" profile.balance |money( \"USD\" )| default(\"a | b\") ").unwrap();
        assert_eq!(h.subject, "profile.balance");
        assert_eq!(h.filters, vec![Filter::Money("USD".into()), Filter::Default("a | b".into())]);
        assert_eq!(h.canonical(), "profile.balance | money(\"USD\") | default(\"a | b\")");
        assert_eq!(parse_hole(&h.canonical()).unwrap(), h);
        for bad in [
            "",
            "a b",
            "x | monee(\"USD\")",
            "x | money(\"usd\")",
            "x | number(9)",
            "x | date(\"soon\")",
            "x | upper(1)",
            "x | default(\"a)",
            "x | default(\"a\") | default(\"b\")",
        ] {
            assert!(parse_hole(bad).is_err(), "{bad}");
        }
        assert!(parse_hole("x | monee(\"USD\")").unwrap_err().message.contains("did you mean `money`"));
    }

    #[test]
    fn segments_and_blocks() {
        let s = segments("Hi {{ name }}{{#if vip}}, VIP{{else}}!{{/if}} {{open");
        assert_eq!(
            s,
            vec![
                Segment::Text("Hi "),
                Segment::Hole { inner: "name", raw: "{{ name }}" },
                Segment::If("vip"),
                Segment::Text(", VIP"),
                Segment::Else,
                Segment::Text("!"),
                Segment::EndIf,
                Segment::Text(" "),
                Segment::Text("{{open"),
            ]
        );
        assert!(check_blocks(&s).is_ok());
        for bad in ["{{#if a}}", "{{/if}}", "{{else}}", "{{#if a}}{{else}}{{else}}{{/if}}"] {
            assert!(check_blocks(&segments(bad)).is_err(), "{bad}");
        }
    }
}
