//! The bundle's table of history questions: each distinct aggregate or sequence is kept once, so
//! that a decision answers it once however many rules ask it.

use super::Compiler;
use crate::program::{Query, Question};

/// What two equal questions surely have in common (kind and operator, events, windows, gap): the
/// questions alike on it are the only ones compared in full, so interning stays cheap in bundles
/// with thousands of questions. Floats are left out: `PartialEq` alone decides about them.
pub(super) type Key = (u8, u32, Option<i64>, Option<(u32, Option<i64>, i64, bool)>);

fn key(question: &Question) -> Key {
    let events = |q: &Query| (q.event, q.within);
    match question {
        Question::Agg(op, q) => (*op as u8, q.event, q.within, None),
        Question::Sequence(s) => {
            let (first, within) = events(&s.first);
            let (then, then_within) = events(&s.then);
            (u8::MAX, first, within, Some((then, then_within, s.gap, s.negated)))
        }
    }
}

impl Compiler {
    /// The index of `question` in the bundle's table, added if no equal one is there yet.
    pub(super) fn intern(&mut self, question: Question) -> u32 {
        let alike = self.question_ids.entry(key(&question)).or_default();
        if let Some(&id) = alike.iter().find(|&&id| self.questions.get(id as usize) == Some(&question)) {
            return id;
        }
        let id = self.questions.len() as u32;
        alike.push(id);
        self.questions.push(question);
        id
    }
}
