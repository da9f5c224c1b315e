//! What a bundle reads of a history, found once per engine: per event name, the distinct `where`
//! filters (each kept as running match counts), the properties read as numbers (`sum`, `avg`,
//! `min`, `max`) or as values (`last`, `top`, `max_count_by`), and the running sums. Every
//! history question of the bundle ([`crate::program::Program::questions`]) is then resolved to
//! [`QueryRef`]s into that table.

use super::{EventIds, CONVERSION, EXPOSURE};
use crate::ast::AggOp;
use crate::program::{Program, PropTest, Query, Question};

/// A `where` filter, as compiled.
pub type Filter = Vec<(String, PropTest)>;

/// What is kept for the events of one name.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GroupPlan {
    /// Distinct non-empty filters; an event's match is kept as a running count per filter.
    pub streams: Vec<Filter>,
    /// Properties read as numbers (a number, or a string that parses as one).
    pub nums: Vec<String>,
    /// Properties read as values.
    pub vals: Vec<String>,
    /// Running sums: (filter, or `None` for every event; numeric column).
    pub sums: Vec<(Option<u32>, u32)>,
}

/// One history question's place in the packed history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryRef {
    /// The event name's group; `u32::MAX` for a name the engine does not know (reads nothing).
    pub group: u32,
    /// The filter's stream in the group; `None`: no filter.
    pub stream: Option<u32>,
    /// Window length in ms; `None`: the whole kept history.
    pub within: Option<i64>,
    /// The numeric column of the property read, when read as a number.
    pub num: Option<u32>,
    /// The value column of the property read, when read as a value.
    pub val: Option<u32>,
    /// The running sum, for `sum` and `avg`.
    pub sum: Option<u32>,
}

/// The history plan of one bundle.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Event name → group: the program's events, then the reserved ones.
    pub ids: EventIds,
    /// Per group, what is kept.
    pub groups: Vec<GroupPlan>,
    /// Per question of the program: the index of its first query in `refs` (a sequence's `then`
    /// is the next one).
    pub question_refs: Vec<u32>,
    /// Every query of every history question, resolved.
    pub refs: Vec<QueryRef>,
    /// Group of `$exposure`; its value columns 0 and 1 are `variant` and `slot`.
    pub exposure: u32,
    /// Group of `$conversion`, with the same two columns.
    pub conversion: u32,
    /// Every property name some group reads (in a filter, as a number or as a value), sorted:
    /// all a history event must keep for this bundle.
    pub props: std::sync::Arc<[String]>,
}

fn index_of<T: PartialEq>(list: &mut Vec<T>, item: T) -> u32 {
    match list.iter().position(|x| *x == item) {
        Some(i) => i as u32,
        None => {
            list.push(item);
            list.len() as u32 - 1
        }
    }
}

impl Plan {
    /// Finds what `prog`'s rules read of a history.
    pub fn of(prog: &Program) -> Plan {
        let mut ids: EventIds = prog.events.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
        let mut reserve = |name: &str| {
            let next = ids.len() as u32;
            *ids.entry(name.to_owned()).or_insert(next)
        };
        let exposure = reserve(EXPOSURE);
        let conversion = reserve(CONVERSION);
        let mut groups = vec![GroupPlan::default(); ids.len()];
        for g in [exposure, conversion] {
            if let Some(plan) = groups.get_mut(g as usize) {
                index_of(&mut plan.vals, "variant".to_string());
                index_of(&mut plan.vals, "slot".to_string());
            }
        }
        let mut plan = Plan {
            ids,
            groups,
            question_refs: Vec::with_capacity(prog.questions.len()),
            refs: Vec::with_capacity(prog.questions.len()),
            exposure,
            conversion,
            props: std::sync::Arc::new([]),
        };
        for question in &prog.questions {
            plan.question_refs.push(plan.refs.len() as u32);
            match question {
                Question::Agg(op, q) => {
                    let r = plan.resolve(*op, q);
                    plan.refs.push(r);
                }
                Question::Sequence(s) => {
                    let (a, b) = (plan.resolve(AggOp::Count, &s.first), plan.resolve(AggOp::Count, &s.then));
                    plan.refs.extend([a, b]);
                }
            }
        }
        let mut props: Vec<String> = Vec::new();
        for g in &plan.groups {
            let filtered = g.streams.iter().flatten().map(|(name, _)| name);
            for name in filtered.chain(&g.nums).chain(&g.vals) {
                if let Err(at) = props.binary_search(name) {
                    props.insert(at, name.clone());
                }
            }
        }
        plan.props = props.into();
        plan
    }

    fn resolve(&mut self, op: AggOp, q: &Query) -> QueryRef {
        let mut r = QueryRef { group: u32::MAX, stream: None, within: q.within, num: None, val: None, sum: None };
        let Some(group) = self.groups.get_mut(q.event as usize) else { return r };
        r.group = q.event;
        if !q.filter.is_empty() {
            r.stream = Some(index_of(&mut group.streams, q.filter.clone()));
        }
        let prop = q.prop.clone().unwrap_or_default();
        match op {
            AggOp::Sum | AggOp::Avg => {
                let num = index_of(&mut group.nums, prop);
                r.num = Some(num);
                r.sum = Some(index_of(&mut group.sums, (r.stream, num)));
            }
            AggOp::Min | AggOp::Max => r.num = Some(index_of(&mut group.nums, prop)),
            AggOp::Last | AggOp::Top | AggOp::MaxCountBy => r.val = Some(index_of(&mut group.vals, prop)),
            AggOp::Count | AggOp::None | AggOp::SinceLast | AggOp::MeanInterval => {}
        }
        r
    }

    /// The query (or a sequence's pair) of question `question`, and those after it.
    pub fn refs_of(&self, question: u32) -> &[QueryRef] {
        match self.question_refs.get(question as usize) {
            Some(&at) => self.refs.get(at as usize..).unwrap_or_default(),
            None => &[],
        }
    }

    /// Identifies the packed layout (event groups, filters, columns, running sums) together with
    /// `max_history`: everything a packed history depends on. Two bundles that read a history
    /// alike share it, so a saved visitor survives a deploy that changes only content, priorities
    /// or conditions on other signals.
    pub fn layout_fingerprint(&self, max_history: u32) -> u64 {
        let mut names: Vec<(&u32, &str)> = self.ids.iter().map(|(name, g)| (g, name.as_str())).collect();
        names.sort_unstable();
        let layout = (max_history, names, &self.groups, self.exposure, self.conversion);
        postcard::to_allocvec(&layout)
            .unwrap_or_default()
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
    }
}
