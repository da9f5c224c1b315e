//! Segments and tier tables may refer to each other, never (through any chain) to themselves.

use super::Compiler;
use crate::error::{CompileError, ErrorCode};
use crate::rules::ast::{self, Expr};
use std::collections::BTreeMap;

impl Compiler {
    /// Segments and tier tables may use each other, but never (through any chain) themselves.
    pub(super) fn reject_segment_cycles(&mut self, b: &ast::Bundle) -> Result<(), CompileError> {
        let mut refs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, expr) in &b.segments {
            refs.insert(format!("segment {name}"), named_refs(expr));
        }
        for (name, levels) in &b.tiers {
            refs.insert(
                format!("tier {name}"),
                levels.iter().filter_map(|l| l.when.as_ref()).flat_map(named_refs).collect(),
            );
        }
        // Depth-first search with an explicit stack (a chain of references can be as long as
        // there are segments and tiers, too deep to recurse on wasm's stack). `path` holds the
        // chain being explored, each with the index of its next reference to follow.
        fn visit<'a>(
            start: &'a str,
            refs: &'a BTreeMap<String, Vec<String>>,
            done: &mut std::collections::BTreeSet<&'a str>,
        ) -> Option<Vec<String>> {
            if done.contains(start) {
                return None;
            }
            let mut path: Vec<(&str, usize)> = vec![(start, 0)];
            while let Some((n, next)) = path.last_mut() {
                let name: &str = n;
                let Some(r) = refs.get(name).and_then(|rs| rs.get(*next)) else {
                    done.insert(name);
                    path.pop();
                    continue;
                };
                *next += 1;
                if !refs.contains_key(r) || done.contains(r.as_str()) {
                    continue;
                }
                if let Some(from) = path.iter().position(|(s, _)| *s == r) {
                    let mut cycle: Vec<String> = path[from..].iter().map(|(s, _)| s.to_string()).collect();
                    cycle.push(r.clone());
                    return Some(cycle);
                }
                path.push((r, 0));
            }
            None
        }
        let mut done = std::collections::BTreeSet::new();
        for name in refs.keys() {
            if let Some(cycle) = visit(name, &refs, &mut done) {
                let (kind, first) = cycle[0].split_once(' ').unwrap_or(("segment", &cycle[0]));
                let section = if kind == "tier" { "tiers" } else { "segments" };
                let (section, first) = (section.to_string(), first.to_string());
                return self.at(section, |c| {
                    c.at(first, |c| {
                        Err(c.err(
                            ErrorCode::Cycle,
                            format!("rules refer to each other in a cycle: {}", cycle.join(" → ")),
                        ))
                    })
                });
            }
        }
        Ok(())
    }
}

/// Segments and tier tables an expression refers to directly, as `segment NAME` / `tier NAME`.
fn named_refs(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::Segment(n) => out.push(format!("segment {n}")),
            Expr::Tier(n) => out.push(format!("tier {n}")),
            Expr::All(v) | Expr::Any(v) | Expr::Arith(_, v) | Expr::Coalesce(v) => v.iter().for_each(|x| walk(x, out)),
            Expr::Not(a)
            | Expr::Exists(a)
            | Expr::Missing(a)
            | Expr::Lower(a)
            | Expr::Round(a, _)
            | Expr::DaysUntil(a)
            | Expr::DaysSince(a)
            | Expr::In(a, _) => walk(a, out),
            Expr::Cmp(_, a, b) | Expr::Str(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Expr::Between(a, b, c) => {
                walk(a, out);
                walk(b, out);
                walk(c, out);
            }
            _ => {}
        }
    }
    walk(e, &mut out);
    out
}
