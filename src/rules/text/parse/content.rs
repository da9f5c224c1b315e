//! Content: the JSON a slot's default or a variant shows.

use super::{PResult, Parser};
use crate::rules::ast::Json;
use crate::rules::text::lex::{err, Tok};

impl Parser {
    // ---- content (JSON) -------------------------------------------------

    pub(super) fn json(&mut self) -> PResult<Json> {
        self.deeper()?;
        let out = self.json_inner();
        self.depth -= 1;
        out
    }

    fn json_inner(&mut self) -> PResult<Json> {
        let (tok, at) = self.bump();
        Ok(match tok {
            Tok::Str(s) => Json::Str(s),
            Tok::Num(n) => Json::Num(n),
            Tok::Sym("-") => match self.bump() {
                (Tok::Num(n), _) => Json::Num(-n),
                _ => return Err(err(at, "expected a number after `-`".into())),
            },
            Tok::Ident(w) if w == "true" => Json::Bool(true),
            Tok::Ident(w) if w == "false" => Json::Bool(false),
            Tok::Ident(w) if w == "null" => Json::Null,
            Tok::Sym("[") => {
                let mut items = Vec::new();
                if !self.eat_sym("]") {
                    loop {
                        items.push(self.json()?);
                        if self.eat_sym("]") {
                            break;
                        }
                        self.expect_sym(",")?;
                    }
                }
                Json::Arr(items)
            }
            Tok::Sym("{") => {
                let mut entries = Vec::new();
                if !self.eat_sym("}") {
                    loop {
                        let key = self.string("a quoted key")?;
                        self.expect_sym(":")?;
                        entries.push((key, self.json()?));
                        if self.eat_sym("}") {
                            break;
                        }
                        self.expect_sym(",")?;
                    }
                }
                Json::Obj(entries)
            }
            other => {
                return Err(err(
                    at,
                    format!("expected content (JSON: a string, number, list or object), found {other}"),
                ))
            }
        })
    }
}
