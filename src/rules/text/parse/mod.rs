//! Text → [`Bundle`]: a recursive-descent parser over [`lex`] tokens. Besides
//! the bundle it records where each rule part was written (by the compiler's
//! path, like `segments.x.all[1]`), so compile errors get a line and column.

// The parser is split by what it reads; dependencies between the parts run one way:
// `cursor` (tokens, expectations, depth, spans) ← `literals` (names, strings, numbers,
// durations, clock times, literal lists) ← `queries` (event queries and sequences) ← `expr`
// (operators, calls: the recursive part) ← `statements` (settings, segments, tiers, slots,
// variants), which also uses `content` (JSON content, on `cursor` and `literals`). This file
// holds the entry point, the parser's state and the span bookkeeping.

mod content;
mod cursor;
mod expr;
mod literals;
mod queries;
mod statements;

use super::lex::{err, lex, Pos, TextError, Tok};
use crate::rules::ast::*;

/// Deepest nesting of parentheses, `not`, calls and content the parser follows: the compiler's own
/// expression limit, and shallow enough for a 1 MiB wasm stack with room to spare.
pub const MAX_PARSE_DEPTH: usize = 32;

pub type PResult<T> = Result<T, TextError>;

/// Where each part of an expression was written; `kids` follow the compiler's path order.
#[derive(Debug, Clone, Default)]
pub struct Sp {
    pub pos: Pos,
    pub kids: Vec<Sp>,
}

fn leaf(pos: Pos) -> Sp {
    Sp { pos, kids: Vec::new() }
}

pub struct Parsed {
    pub bundle: Bundle,
    /// Compiler path → where it was written.
    pub spans: Vec<(String, Pos)>,
    /// Items (`segment:x`, `slot:y`, `variant:y:0`, `header`) and the line each starts on, in order.
    pub items: Vec<(String, usize)>,
    pub comments: Vec<super::lex::Comment>,
    /// The line of every token, in order (to tell a rule's own comments from the next one's).
    pub token_lines: Vec<usize>,
}

pub fn parse(src: &str) -> PResult<Parsed> {
    if src.len() > super::lex::MAX_SOURCE_BYTES {
        return Err(err(
            Pos::default(),
            format!("rules are {} bytes, the limit is {}", src.len(), super::lex::MAX_SOURCE_BYTES),
        ));
    }
    let lexed = lex(src)?;
    let token_lines = lexed.toks.iter().filter(|(t, _)| *t != Tok::Eof).map(|(_, p)| p.line).collect();
    let mut p = Parser { toks: lexed.toks, i: 0, depth: 0, spans: Vec::new(), items: Vec::new() };
    let bundle = p.bundle()?;
    Ok(Parsed { bundle, spans: p.spans, items: p.items, comments: lexed.comments, token_lines })
}

struct Parser {
    toks: Vec<(Tok, Pos)>,
    i: usize,
    depth: usize,
    spans: Vec<(String, Pos)>,
    items: Vec<(String, usize)>,
}

/// Records where each sub-expression was written, by the compiler's path for it.
pub fn record(e: &Expr, sp: &Sp, path: &str, out: &mut Vec<(String, Pos)>) {
    out.push((path.to_owned(), sp.pos));
    let indexed = |op: &str, out: &mut Vec<(String, Pos)>, items: &[&Expr]| {
        for (i, (item, kid)) in items.iter().zip(&sp.kids).enumerate() {
            record(item, kid, &format!("{path}.{op}[{i}]"), out);
        }
    };
    let single = |op: &str, out: &mut Vec<(String, Pos)>, item: &Expr| {
        if let Some(kid) = sp.kids.first() {
            record(item, kid, &format!("{path}.{op}"), out);
        }
    };
    match e {
        Expr::All(v) => indexed("all", out, &v.iter().collect::<Vec<_>>()),
        Expr::Any(v) => indexed("any", out, &v.iter().collect::<Vec<_>>()),
        Expr::Coalesce(v) => indexed("coalesce", out, &v.iter().collect::<Vec<_>>()),
        Expr::Arith(op, v) => indexed(op.name(), out, &v.iter().collect::<Vec<_>>()),
        Expr::Cmp(op, a, b) => indexed(op.name(), out, &[a, b]),
        Expr::Str(op, a, b) => indexed(op.name(), out, &[a, b]),
        Expr::Between(x, lo, hi) => indexed("between", out, &[x, lo, hi]),
        Expr::In(x, _) => indexed("in", out, &[x]),
        Expr::Round(x, _) => indexed("round", out, &[x]),
        Expr::Not(x) => single("not", out, x),
        Expr::Exists(x) => single("exists", out, x),
        Expr::Missing(x) => single("missing", out, x),
        Expr::Lower(x) => single("lower", out, x),
        Expr::DaysUntil(x) => single("days_until", out, x),
        Expr::DaysSince(x) => single("days_since", out, x),
        _ => {}
    }
}
