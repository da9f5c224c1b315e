//! Event names as the bundle sees them: which it reads, which properties, for how long, and the
//! session role of each (asked by the scanner through [`Wanted`]).

use super::options::MAX_NAMES;
use super::FastMap;
use crate::reader::Wanted;
use kairos::context::normalize_event_name;
use kairos::program::{Node, Question};
use kairos::Engine;

/// What the session summary cares about (the vocabulary is in docs/replay.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Not an on-site event.
    None,
    SessionStarted,
    Page,
    Product,
    Search,
    Coupon,
    Cart,
    Checkout,
    Order,
    /// On-site, but no session field of its own.
    Active,
}

const ROLES: &[(&str, Role)] = &[
    ("session_started", Role::SessionStarted),
    ("page_viewed", Role::Page),
    ("product_viewed", Role::Product),
    ("products_searched", Role::Search),
    ("coupon_searched", Role::Coupon),
    ("cart_viewed", Role::Cart),
    ("checkout_started", Role::Checkout),
    ("order_completed", Role::Order),
    ("product_added", Role::Active),
    ("login", Role::Active),
    ("deposit_started", Role::Active),
    ("bet_settled", Role::Active),
    ("rates_compared", Role::Active),
];

/// One normalised event name.
pub(super) struct NameInfo {
    pub(super) name: String,
    /// Whether a rule reads it (then its events are kept).
    pub(super) read: bool,
    /// The properties rules read of it (only those are kept).
    pub(super) props: Vec<String>,
    /// Those and the ones its session role reads: only these are parsed.
    pub(super) want: Vec<String>,
    pub(super) role: Role,
    /// How long rules look back at it (`None`: the whole history, so the lookback).
    pub(super) window: Option<i64>,
}

/// The properties each session role reads.
fn role_props(role: Role) -> &'static [&'static str] {
    match role {
        Role::SessionStarted => &[
            "device",
            "referrer",
            "country",
            "city",
            "page",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
        ],
        Role::Page => &["page"],
        Role::Product => &["product_id", "id", "category"],
        Role::Search => &["term", "query", "category"],
        _ => &[],
    }
}

/// Event names: as written → normalised → what replays do with them.
pub(super) struct Names {
    raw: FastMap<Box<str>, u16>,
    norm: FastMap<String, u16>,
    pub(super) infos: Vec<NameInfo>,
    /// Profile attributes and scores rules read (only those are kept).
    pub(super) profile: Vec<String>,
    pub(super) scores: Vec<String>,
}

impl Names {
    pub(super) fn of(engine: &Engine) -> Names {
        let prog = &engine.program;
        let mut names = Names {
            raw: FastMap::default(),
            norm: FastMap::default(),
            infos: Vec::new(),
            profile: Vec::new(),
            scores: Vec::new(),
        };
        for node in &prog.nodes {
            let (list, name) = match node {
                Node::Profile(a) => (&mut names.profile, a),
                Node::Score { name, .. } => (&mut names.scores, name),
                _ => continue,
            };
            if !list.contains(name) {
                list.push(name.clone());
            }
        }
        // 0: any name nothing reads, once the table is full.
        names.infos.push(NameInfo {
            name: String::new(),
            read: false,
            props: Vec::new(),
            want: Vec::new(),
            role: Role::None,
            window: Some(0),
        });
        // Per event name: the properties rules read, and how long rules look back at it
        // (`None` inside: the whole history).
        struct Read {
            name: String,
            props: Vec<String>,
            window: Option<Option<i64>>,
        }
        let mut read: Vec<Read> =
            prog.events.iter().map(|e| Read { name: e.clone(), props: Vec::new(), window: None }).collect();
        fn widen(r: &mut Read, within: Option<i64>) {
            r.window = Some(match (r.window, within) {
                (None, w) => w,
                (Some(Some(a)), Some(b)) => Some(a.max(b)),
                _ => None,
            });
        }
        fn want(r: &mut Read, prop: &str) {
            if !r.props.iter().any(|p| p == prop) {
                r.props.push(prop.to_owned());
            }
        }
        for question in &prog.questions {
            // A sequence's follow-up is read after its start: it is kept as long as the start.
            let queries = match question {
                Question::Agg(_, q) => vec![(q, q.within)],
                Question::Sequence(s) => vec![(&s.first, s.first.within), (&s.then, s.first.within)],
            };
            for (q, within) in queries {
                let Some(r) = read.get_mut(q.event as usize) else { continue };
                widen(r, within);
                for p in q.prop.iter().chain(q.filter.iter().map(|(k, _)| k)) {
                    want(r, p);
                }
            }
        }
        // Caps read `$exposure` events within their window, conversion suppression every
        // `$conversion`: both by slot and variant.
        let variants = prog.slots.iter().flat_map(|s| &s.variants);
        let caps: Vec<i64> = variants.clone().filter_map(|v| v.cap.map(|(_, within)| within)).collect();
        let suppress = variants.clone().any(|v| v.suppress_after_conversion);
        for (reserved, within) in
            [(kairos::EXPOSURE, caps.iter().max().map(|w| Some(*w))), (kairos::CONVERSION, suppress.then_some(None))]
        {
            let Some(within) = within else { continue };
            let i = match read.iter().position(|r| r.name == reserved) {
                Some(i) => i,
                None => {
                    read.push(Read { name: reserved.into(), props: Vec::new(), window: None });
                    read.len() - 1
                }
            };
            if let Some(r) = read.get_mut(i) {
                widen(r, within);
                want(r, "slot");
                want(r, "variant");
            }
        }
        for r in read {
            let window = r.window.unwrap_or(Some(0));
            let id = names.add(r.name, r.window.is_some(), r.props);
            if let Some(info) = names.infos.get_mut(usize::from(id)) {
                info.window = window;
            }
        }
        for (name, _) in ROLES {
            if !names.norm.contains_key(*name) {
                names.add((*name).into(), false, Vec::new());
            }
        }
        names
    }

    fn add(&mut self, name: String, read: bool, props: Vec<String>) -> u16 {
        let id = self.infos.len() as u16;
        let role = ROLES.iter().find(|(n, _)| *n == name).map_or(Role::None, |(_, r)| *r);
        let mut want = props.clone();
        for p in role_props(role) {
            if !want.iter().any(|w| w == p) {
                want.push((*p).to_owned());
            }
        }
        self.norm.insert(name.clone(), id);
        self.infos.push(NameInfo { name, read, props, want, role, window: Some(0) });
        id
    }

    /// The name's entry, by its spelling in the log.
    pub(super) fn lookup(&mut self, raw: &str) -> u16 {
        if let Some(&id) = self.raw.get(raw) {
            return id;
        }
        let norm = normalize_event_name(raw);
        let id = match self.norm.get(&norm) {
            Some(&id) => id,
            None if self.infos.len() < MAX_NAMES => self.add(norm, false, Vec::new()),
            None => 0,
        };
        if self.raw.len() < 2 * MAX_NAMES && raw.len() <= 64 {
            self.raw.insert(raw.into(), id);
        }
        id
    }
}

impl Wanted for Names {
    fn event(&mut self, raw: &str) -> u16 {
        self.lookup(raw)
    }
    fn any(&self, event: u16) -> bool {
        self.infos.get(event as usize).is_some_and(|i| !i.want.is_empty())
    }
    fn wants(&self, event: u16, key: &str) -> bool {
        self.infos.get(event as usize).is_some_and(|i| i.want.iter().any(|w| w == key))
    }
    fn wants_attribute(&self, name: &str) -> bool {
        self.profile.iter().any(|p| p == name)
    }
    fn wants_score(&self, name: &str) -> bool {
        self.scores.iter().any(|s| s == name)
    }
}
