//! The replay itself: customers kept while active, step boundaries, and the counting.
//!
//! Lines must come in time order (as `kairos gen` writes them). A line older than a step already
//! counted is still added to its customer's history (it counts from the next step on) and is
//! reported as *late*.

use super::log::{Log, Value};
use super::reader::{ChunkError, Chunks, Line, ScanError, Scanner, Val, Wanted};
use super::report::{Report, SegmentCount, StepRow};
use kairos::context::{
    normalize_event_name, CachedScore, Context, Event, Finite, Geo, ProductView, Scalar, Search, Session, Text,
    Timestamp, MAX_STRING_BYTES,
};
use kairos::eval::Tri;
use kairos::history::NameHasher;
use kairos::program::Node;
use kairos::time::{DAY_MS, MINUTE_MS};
use kairos::{Engine, Options};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasherDefault;
use std::io::Read;

// Still public here (`kairos_replay::state::Stats`); defined in `types`, which the report shares
// without depending on the replay.
pub use super::types::{Lookback, Stats};

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<NameHasher>>;

/// How a replay runs.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// First step boundary (epoch ms); default: the first line's time rounded up to a whole step.
    pub from: Option<i64>,
    /// Last step boundary; default: the last line's time rounded up to a whole step. Lines after
    /// it are not read.
    pub to: Option<i64>,
    /// Step length in ms.
    pub step: i64,
    /// Overrides the lookback (how long a customer and their events are kept without activity).
    pub lookback: Option<i64>,
    /// A session ends after this long without an on-site event.
    pub session_timeout: i64,
    /// Count bad lines and go on, instead of stopping at the first.
    pub skip_bad: bool,
    /// Customers whose log never states consent are treated as consenting (default), or not.
    pub assume_consent: bool,
}

impl Default for ReplayOptions {
    fn default() -> ReplayOptions {
        ReplayOptions {
            from: None,
            to: None,
            step: 60 * MINUTE_MS,
            lookback: None,
            session_timeout: 30 * MINUTE_MS,
            skip_bad: false,
            assume_consent: true,
        }
    }
}

/// Lookback used when the bundle reads the whole history and none was given.
pub const UNBOUNDED_LOOKBACK: i64 = 30 * DAY_MS;
/// Most step boundaries counted in one replay.
pub const MAX_STEPS: usize = 1_000_000;
/// Longest line read.
pub const MAX_LINE_BYTES: usize = 16 << 20;
/// Most profile attributes, scores and consent flags kept per customer (each).
const MAX_PROFILE_KEYS: usize = 256;
/// Most distinct event names remembered (more are read as names no rule reads).
const MAX_NAMES: usize = 4096;
/// Distinct missing signals reported; the rest are counted together as [`OTHER_SIGNALS`].
const MAX_MISSING_SIGNALS: usize = 255;
const OTHER_SIGNALS: &str = "(other signals)";
/// Bad lines listed in the report when skipping them.
const LISTED_BAD_LINES: usize = 5;

/// A line that could not be read, or input that could not be.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayError {
    /// 1-based line number (0: not about one line).
    pub line: u64,
    /// 1-based column, in characters.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
        }
    }
}

impl std::error::Error for ReplayError {}

/// What the session summary cares about (the vocabulary is in docs/replay.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
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
struct NameInfo {
    name: String,
    /// Whether a rule reads it (then its events are kept).
    read: bool,
    /// The properties rules read of it (only those are kept).
    props: Vec<String>,
    /// Those and the ones its session role reads: only these are parsed.
    want: Vec<String>,
    role: Role,
    /// How long rules look back at it (`None`: the whole history, so the lookback).
    window: Option<i64>,
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
struct Names {
    raw: FastMap<Box<str>, u16>,
    norm: FastMap<String, u16>,
    infos: Vec<NameInfo>,
    /// Profile attributes and scores rules read (only those are kept).
    profile: Vec<String>,
    scores: Vec<String>,
}

impl Names {
    fn of(engine: &Engine) -> Names {
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
        for node in &prog.nodes {
            // A sequence's follow-up is read after its start: it is kept as long as the start.
            let queries = match node {
                Node::Agg(_, q) => vec![(q, q.within)],
                Node::Sequence(s) => vec![(&s.first, s.first.within), (&s.then, s.first.within)],
                _ => continue,
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
        for (reserved, within) in [
            (kairos::history::EXPOSURE, caps.iter().max().map(|w| Some(*w))),
            (kairos::history::CONVERSION, suppress.then_some(None)),
        ] {
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
    fn lookup(&mut self, raw: &str) -> u16 {
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

/// A text field that keeps its allocation from one event (or session) to the next.
#[derive(Debug, Clone, Default)]
struct Field {
    text: String,
    set: bool,
}

impl Field {
    fn put(&mut self, v: Option<&Val>) {
        self.text.clear();
        self.set = match v {
            Some(Val::Str(s)) => {
                self.text.push_str(s);
                true
            }
            Some(Val::Num(n)) => {
                self.text.push_str(&kairos::eval::fmt_num(*n));
                true
            }
            Some(Val::Bool(b)) => {
                self.text.push_str(if *b { "true" } else { "false" });
                true
            }
            _ => false,
        };
    }

    fn get(&self) -> Option<&str> {
        self.set.then_some(self.text.as_str())
    }

    fn text(&self) -> Option<Text> {
        self.get().map(|s| Text(s.to_owned()))
    }
}

const UTM: [&str; 5] = ["source", "medium", "campaign", "term", "content"];
const UTM_PROPS: [&str; 5] = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

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

/// What the current (or last) session said, kept small: counts and the latest of each kind.
#[derive(Debug, Clone, Default)]
struct SessionTrack {
    /// Last on-site event (`i64::MIN`: none yet).
    last: i64,
    device: Field,
    referrer: Field,
    utm: [Field; 5],
    country: Field,
    city: Field,
    page: Field,
    page_views: u32,
    product_views: u32,
    product: Field,
    product_category: Field,
    searches: u32,
    search: Field,
    search_category: Field,
    coupon_searches: u32,
    cart_since: Option<i64>,
    checkout_since: Option<i64>,
}

/// Session counters stop here (the signals only need counts and the latest).
const MAX_SESSION_COUNT: u32 = 200;

fn prop<'v, 'a>(props: &'v [(Cow<'a, str>, Val<'a>)], key: &str) -> Option<&'v Val<'a>> {
    props.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl SessionTrack {
    /// A new session: every field unset (allocations kept).
    fn restart(&mut self) {
        for f in [&mut self.device, &mut self.referrer, &mut self.country, &mut self.city, &mut self.page] {
            f.set = false;
        }
        for f in [&mut self.product, &mut self.product_category, &mut self.search, &mut self.search_category] {
            f.set = false;
        }
        for f in &mut self.utm {
            f.set = false;
        }
        (self.page_views, self.product_views, self.searches, self.coupon_searches) = (0, 0, 0, 0);
        (self.cart_since, self.checkout_since) = (None, None);
    }

    fn note(&mut self, role: Role, at: i64, props: &[(Cow<str>, Val)], timeout: i64) {
        if role == Role::None {
            return;
        }
        if role == Role::SessionStarted || self.last == i64::MIN || at.saturating_sub(self.last) > timeout {
            self.restart();
        }
        self.last = self.last.max(at);
        if role != Role::Cart {
            self.cart_since = None;
        }
        if !matches!(role, Role::Checkout | Role::Coupon) {
            self.checkout_since = None;
        }
        let count = |n: &mut u32| *n = (*n + 1).min(MAX_SESSION_COUNT);
        match role {
            Role::SessionStarted => {
                self.device.put(prop(props, "device"));
                self.referrer.put(prop(props, "referrer"));
                self.country.put(prop(props, "country"));
                self.city.put(prop(props, "city"));
                self.page.put(prop(props, "page"));
                for (field, key) in self.utm.iter_mut().zip(UTM_PROPS) {
                    field.put(prop(props, key));
                }
            }
            Role::Page => {
                count(&mut self.page_views);
                if let Some(p) = prop(props, "page") {
                    self.page.put(Some(p));
                }
            }
            Role::Product => {
                if let Some(id) = prop(props, "product_id").or_else(|| prop(props, "id")) {
                    count(&mut self.product_views);
                    self.product.put(Some(id));
                    self.product_category.put(prop(props, "category"));
                }
            }
            Role::Search => {
                if let Some(term) = prop(props, "term").or_else(|| prop(props, "query")) {
                    count(&mut self.searches);
                    self.search.put(Some(term));
                    self.search_category.put(prop(props, "category"));
                }
            }
            Role::Coupon => count(&mut self.coupon_searches),
            Role::Cart => {
                self.cart_since.get_or_insert(at);
            }
            Role::Checkout => {
                self.checkout_since.get_or_insert(at);
            }
            Role::Order | Role::Active | Role::None => {}
        }
    }

    /// The context's session and geo at `now`, if the session is still open.
    fn context(&self, now: i64, timeout: i64) -> Option<(Session, Geo)> {
        if self.last == i64::MIN || now.saturating_sub(self.last) > timeout {
            return None;
        }
        let mut session = Session {
            device: self.device.text(),
            referrer: self.referrer.text(),
            utm: UTM.iter().zip(&self.utm).filter_map(|(k, f)| Some(((*k).to_owned(), f.text()?))).collect(),
            page: self.page.text(),
            page_views: Some(self.page_views),
            coupon_searches: Some(self.coupon_searches),
            cart_dwell_ms: self.cart_since.map(|s| Finite((now - s) as f64)),
            checkout_dwell_ms: self.checkout_since.map(|s| Finite((now - s) as f64)),
            ..Session::default()
        };
        // Signals read the count and the latest only: earlier entries repeat the latest.
        if let Some(id) = self.product.text() {
            let view = ProductView { id, category: self.product_category.text() };
            session.product_views = vec![view; self.product_views as usize];
        }
        if let Some(term) = self.search.get() {
            let search = Search { term: term.to_owned(), category: self.search_category.get().map(str::to_owned) };
            session.searches = vec![search; self.searches as usize];
        }
        let geo = Geo { country: self.country.text(), city: self.city.text(), ..Geo::default() };
        Some((session, geo))
    }
}

/// What a replay keeps of one customer: the parts of a context that outlive a decision (lent
/// to the replay's one decision context while deciding), packed events, the session summary.
struct Customer {
    id: Option<Text>,
    profile: BTreeMap<String, Scalar>,
    scores: BTreeMap<String, CachedScore>,
    consent: BTreeMap<String, bool>,
    timezone: Option<Text>,
    consent_stated: bool,
    /// Latest line of any kind.
    last_seen: i64,
    log: Log,
    session: SessionTrack,
    /// Segment membership at the previous step.
    member: Vec<bool>,
}

/// A replay in progress. Feed it a log with [`Replay::read`], then [`Replay::finish`].
pub struct Replay<'e> {
    engine: &'e Engine,
    opts: ReplayOptions,
    lookback: i64,
    lookback_source: Lookback,
    /// Whether decisions must build content (only when one slot's content reads another's).
    content: bool,
    names: Names,
    index: FastMap<IdKey, u32>,
    customers: Vec<Option<Customer>>,
    free: Vec<u32>,
    /// Next step boundary to count, once the first line fixed the grid.
    next: Option<i64>,
    /// Latest boundary counted.
    counted: Option<i64>,
    /// Latest line time seen.
    latest: Option<i64>,
    done: bool,
    line_no: u64,
    rows: Vec<StepRow>,
    missing_names: Vec<String>,
    missing_ids: FastMap<String, u32>,
    missing_totals: Vec<u64>,
    stats: Stats,
    /// The one context decisions read: each customer's parts are lent to it in turn.
    scratch: Context,
    /// Events `scratch` does not need right now, kept for their strings.
    spare: Vec<Event>,
}

/// A customer id as a map key: short ids (nearly all) live inside the key, so a lookup compares
/// bytes in place instead of following a pointer to another cache line.
#[derive(Clone, PartialEq, Eq)]
enum IdKey {
    Inline(u8, [u8; 22]),
    Heap(Box<str>),
}

impl std::hash::Hash for IdKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The id's bytes only (one `write`: the cheap hasher reads short ids in two words).
        state.write(self.bytes());
    }
}

impl IdKey {
    fn bytes(&self) -> &[u8] {
        match self {
            IdKey::Inline(n, bytes) => bytes.get(..*n as usize).unwrap_or_default(),
            IdKey::Heap(s) => s.as_bytes(),
        }
    }

    fn new(id: &str) -> IdKey {
        match u8::try_from(id.len()) {
            Ok(n) if id.len() <= 22 => {
                let mut bytes = [0u8; 22];
                bytes[..id.len()].copy_from_slice(id.as_bytes());
                IdKey::Inline(n, bytes)
            }
            _ => IdKey::Heap(id.into()),
        }
    }
}

/// What is wrong with a line: as a whole, or at a place.
enum Bad {
    Line(String),
    At(ScanError),
}

impl From<String> for Bad {
    fn from(m: String) -> Bad {
        Bad::Line(m)
    }
}

/// Whether to go on reading.
#[derive(PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

impl<'e> Replay<'e> {
    pub fn new(engine: &'e Engine, opts: ReplayOptions) -> Replay<'e> {
        let (lookback, lookback_source) = match (opts.lookback, engine.program.longest_window_ms()) {
            (Some(l), _) => (l, Lookback::Given),
            (None, Some(w)) => (w, Lookback::Bundle),
            (None, None) => (UNBOUNDED_LOOKBACK, Lookback::Capped),
        };
        // Session signals come from recent events: keep customers at least that long.
        let lookback = lookback.max(opts.session_timeout).max(0);
        let step = opts.step.max(1);
        Replay {
            engine,
            opts: ReplayOptions { step, ..opts },
            lookback,
            lookback_source,
            content: engine.reads_decisions(),
            names: Names::of(engine),
            index: FastMap::default(),
            customers: Vec::new(),
            free: Vec::new(),
            next: None,
            counted: None,
            latest: None,
            done: false,
            line_no: 0,
            rows: Vec::new(),
            missing_names: Vec::new(),
            missing_ids: FastMap::default(),
            missing_totals: Vec::new(),
            stats: Stats::default(),
            scratch: Context::default(),
            spare: Vec::new(),
        }
    }

    /// The lookback in use, in ms.
    pub fn lookback(&self) -> i64 {
        self.lookback
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Reads NDJSON lines to the end of `input` (or past `to`). Can be called again with more.
    pub fn read<R: Read>(&mut self, input: R) -> Result<(), ReplayError> {
        let mut chunks = Chunks::new(input, MAX_LINE_BYTES);
        while !self.done {
            let chunk = match chunks.next_chunk() {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(ChunkError::LineTooLong(n)) => {
                    return Err(ReplayError {
                        line: self.line_no + 1,
                        column: 1,
                        message: format!("line longer than {n} bytes"),
                    })
                }
                Err(ChunkError::Io(e)) => return Err(ReplayError { line: 0, column: 0, message: e.to_string() }),
            };
            match std::str::from_utf8(chunk) {
                Ok(text) => self.lines(text)?,
                // Rare: find the bad line(s) one by one.
                Err(_) => {
                    for piece in chunk.split_inclusive(|&b| b == b'\n') {
                        if self.done {
                            break;
                        }
                        match std::str::from_utf8(piece) {
                            Ok(text) => self.lines(text)?,
                            Err(e) => {
                                self.line_no += 1;
                                let good = std::str::from_utf8(&piece[..e.valid_up_to()]).unwrap_or_default();
                                self.bad(self.line_no, good.chars().count() + 1, "invalid UTF-8".into())?;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn lines(&mut self, text: &str) -> Result<(), ReplayError> {
        let mut sc = Scanner::new(text);
        let mut line = Line::default();
        while !sc.at_end() && !self.done {
            let start = sc.i;
            self.line_no += 1;
            match sc.line(&mut line, &mut self.names) {
                Ok(false) => {}
                Ok(true) => {
                    self.stats.lines += 1;
                    if let Err((at, message)) = self.apply(&mut line, text) {
                        let column = at.and_then(|at| text.get(start..at)).map_or(1, |s| s.chars().count() + 1);
                        self.bad(self.line_no, column, message)?;
                    }
                }
                Err(e) => {
                    let column = text.get(start..e.at).map_or(1, |s| s.chars().count() + 1);
                    sc.i = e.at;
                    sc.skip_line();
                    self.stats.lines += 1;
                    self.bad(self.line_no, column, e.message)?;
                }
            }
        }
        Ok(())
    }

    fn bad(&mut self, line: u64, column: usize, message: String) -> Result<(), ReplayError> {
        if !self.opts.skip_bad {
            return Err(ReplayError { line, column, message });
        }
        self.stats.skipped += 1;
        if self.stats.bad_lines.len() < LISTED_BAD_LINES {
            self.stats.bad_lines.push((line, column, message));
        }
        Ok(())
    }

    /// Applies one scanned line of `text`. Errors carry the offset in `text` they are about, if
    /// not the whole line.
    fn apply<'a>(&mut self, line: &mut Line<'a>, text: &'a str) -> Result<(), (Option<usize>, String)> {
        self.apply_line(line, text).map_err(|e| match e {
            Bad::Line(m) => (None, m),
            Bad::At(e) => (Some(e.at), e.message),
        })
    }

    fn apply_line<'a>(&mut self, line: &mut Line<'a>, text: &'a str) -> Result<(), Bad> {
        let id =
            line.customer.as_ref().or(line.anonymous.as_ref()).ok_or_else(|| {
                "no customer id: give one in `c`, `customer_id`, `userId` or `anonymousId`".to_string()
            })?;
        if id.is_empty() || id.len() > MAX_STRING_BYTES {
            return Err(format!("the customer id must be 1 to {MAX_STRING_BYTES} bytes").into());
        }
        let at = line.at.ok_or_else(|| "no time: give one in `t` (epoch ms) or `timestamp` (RFC 3339)".to_string())?;
        let name: Option<&str> = match (line.name.as_deref(), line.kind.as_deref()) {
            (Some(n), _) => Some(n),
            (None, Some("page")) => Some("page_viewed"),
            (None, Some("identify")) => Some("identify"),
            (None, None) if line.has_profile => None,
            _ => return Err(Bad::Line("no event name: give one in `e` or `event`".into())),
        };
        if let Some(n) = name {
            if n.len() > MAX_STRING_BYTES {
                return Err(format!("the event name exceeds {MAX_STRING_BYTES} bytes").into());
            }
        }
        if self.advance(at)? == Flow::Stop {
            return Ok(());
        }
        if self.counted.is_some_and(|c| at <= c) {
            self.stats.late += 1;
        }
        self.latest = Some(self.latest.map_or(at, |l| l.max(at)));
        let info = match (line.name_id, name) {
            (Some(id), Some(_)) if line.name.is_some() => Some(id),
            (_, n) => n.map(|n| self.names.lookup(n)),
        };
        if let (Some(at), Some(info)) = (line.props_at, info.and_then(|i| self.names.infos.get(i as usize))) {
            if !info.want.is_empty() {
                let want = &info.want;
                Scanner::new(text).props(at, |k| want.iter().any(|w| w == k), &mut line.props).map_err(Bad::At)?;
            }
        }
        if let Some((k, _)) = line.props.iter().find(|(_, v)| matches!(v, Val::Str(s) if s.len() > MAX_STRING_BYTES)) {
            return Err(format!("property `{k}`: a string longer than {MAX_STRING_BYTES} bytes").into());
        }
        let (engine, assume, timeout) = (self.engine, self.opts.assume_consent, self.opts.session_timeout);
        let max_history = engine.program.max_history as usize;
        let segments = engine.program.segments.len();
        let key = IdKey::new(id);
        let slot = match self.index.get(&key) {
            Some(&slot) => slot,
            None => {
                let customer = Customer::new(id, assume, segments);
                let slot = match self.free.pop() {
                    Some(s) => {
                        self.customers[s as usize] = Some(customer);
                        s
                    }
                    None => {
                        self.customers.push(Some(customer));
                        (self.customers.len() - 1) as u32
                    }
                };
                self.index.insert(key, slot);
                self.stats.resident += 1;
                self.stats.peak_resident = self.stats.peak_resident.max(self.stats.resident);
                slot
            }
        };
        let Some(Some(c)) = self.customers.get_mut(slot as usize) else { return Ok(()) };
        c.last_seen = c.last_seen.max(at);
        if line.has_profile {
            self.stats.profile_updates += 1;
            c.update_profile(line, at, &self.names);
        }
        if let Some((id, info)) = info.and_then(|i| self.names.infos.get(i as usize).map(|n| (i, n))) {
            self.stats.events += 1;
            c.session.note(info.role, at, &line.props, timeout);
            if info.read {
                let before = c.log.len();
                c.keep(info, id, at, &line.props, max_history);
                self.stats.held_events = (self.stats.held_events + c.log.len()).saturating_sub(before);
            }
        }
        Ok(())
    }

    /// Counts every step boundary before `at`; `Stop` once `at` is past `to`.
    fn advance(&mut self, at: i64) -> Result<Flow, String> {
        let step = self.opts.step;
        let mut next = *self.next.get_or_insert_with(|| self.opts.from.unwrap_or(at.div_euclid(step) * step + step));
        let to = self.opts.to.unwrap_or(i64::MAX);
        while next < at && next <= to {
            if self.rows.len() >= MAX_STEPS {
                self.done = true;
                return Err(format!("more than {MAX_STEPS} steps: use a longer step"));
            }
            self.count(next);
            next = next.saturating_add(step);
        }
        self.next = Some(next);
        if at > to {
            self.done = true;
            return Ok(Flow::Stop);
        }
        Ok(Flow::Go)
    }

    /// Counts the remaining boundaries and returns the report. The replay keeps its customers
    /// (a caller about to exit may `std::mem::forget` it rather than free them one by one).
    pub fn finish(&mut self) -> Report {
        let step = self.opts.step;
        // Without `to`: the first boundary at or after the last line.
        let next = match (self.next, self.latest) {
            (Some(next), Some(last)) => Some((
                next,
                self.opts.to.unwrap_or_else(|| {
                    next.max(
                        next + (last - next).div_euclid(step) * step
                            + if (last - next).rem_euclid(step) == 0 { 0 } else { step },
                    )
                }),
            )),
            (None, _) => self.opts.from.zip(self.opts.to),
            (Some(next), None) => self.opts.to.map(|to| (next, to)),
        };
        if let Some((mut next, to)) = next {
            while next <= to && self.rows.len() < MAX_STEPS {
                self.count(next);
                next = next.saturating_add(step);
            }
            self.next = Some(next);
        }
        let prog = &self.engine.program;
        Report {
            bundle: prog.name.clone(),
            step: self.opts.step,
            lookback: self.lookback,
            lookback_source: self.lookback_source,
            session_timeout: self.opts.session_timeout,
            segments: prog.segments.iter().map(|s| s.name.clone()).collect(),
            slots: prog
                .slots
                .iter()
                .map(|s| {
                    let variants = std::iter::once(&s.default_id).chain(s.variants.iter().map(|v| &v.id));
                    (s.name.clone(), variants.cloned().collect())
                })
                .collect(),
            missing: std::mem::take(&mut self.missing_names),
            missing_totals: std::mem::take(&mut self.missing_totals),
            rows: std::mem::take(&mut self.rows),
            stats: self.stats.clone(),
        }
    }

    /// Decides every customer seen within the lookback at `at`; forgets the others.
    fn count(&mut self, at: i64) {
        let prog = &self.engine.program;
        let cutoff = at.saturating_sub(self.lookback);
        let mut row = StepRow {
            at,
            active: 0,
            evicted: 0,
            segments: vec![SegmentCount::default(); prog.segments.len()],
            variants: prog.slots.iter().map(|s| vec![0; s.variants.len() + 1]).collect(),
            missing: vec![0; self.missing_names.len()],
        };
        let (timeout, max_history) = (self.opts.session_timeout, prog.max_history as usize);
        let mut held = 0;
        for slot in 0..self.customers.len() {
            let Some(entry) = self.customers.get_mut(slot) else { continue };
            let Some(c) = entry else { continue };
            if c.last_seen < cutoff {
                for (seg, was) in row.segments.iter_mut().zip(&c.member) {
                    seg.left += u64::from(*was);
                }
                if let Some(old) = entry.take() {
                    if let Some(id) = &old.id {
                        self.index.remove(&IdKey::new(&id.0));
                    }
                }
                self.free.push(slot as u32);
                row.evicted += 1;
                self.stats.evicted += 1;
                self.stats.resident -= 1;
                continue;
            }
            // Each event is kept as long as some rule can read it.
            let infos = &self.names.infos;
            c.log.keep(
                |id| {
                    let window = infos.get(usize::from(id)).and_then(|i| i.window).unwrap_or(i64::MAX);
                    at.saturating_sub(window).max(cutoff)
                },
                max_history,
            );
            held += c.log.len();
            let ctx = &mut self.scratch;
            c.lend(ctx, at, timeout);
            let names = &self.names;
            c.log.materialize(&mut ctx.events.0, &mut self.spare, |id| {
                names.infos.get(usize::from(id)).map_or(("", &[][..]), |i| (i.name.as_str(), i.props.as_slice()))
            });
            let (decision, truths) = self.engine.decide_with_segments(ctx, Options::default(), self.content);
            c.take_back(ctx);
            self.stats.decisions += 1;
            row.active += 1;
            for ((seg, t), was) in row.segments.iter_mut().zip(&truths).zip(c.member.iter_mut()) {
                let now_in = *t == Tri::True;
                seg.size += u64::from(now_in);
                seg.unknown += u64::from(*t == Tri::Unknown);
                seg.entered += u64::from(now_in && !*was);
                seg.left += u64::from(!now_in && *was);
                *was = now_in;
            }
            for ((counts, d), def) in row.variants.iter_mut().zip(&decision.slots).zip(&prog.slots) {
                let i = if d.is_default {
                    0
                } else {
                    def.variants.iter().position(|v| v.id == d.variant).map_or(0, |p| p + 1)
                };
                if let Some(n) = counts.get_mut(i) {
                    *n += 1;
                }
            }
            for m in decision.missing {
                // Missing-signal texts can quote input (an unknown zone name): a bounded table.
                let m = if self.missing_names.len() >= MAX_MISSING_SIGNALS && !self.missing_ids.contains_key(&m) {
                    OTHER_SIGNALS.to_owned()
                } else {
                    m
                };
                let id = match self.missing_ids.get(&m) {
                    Some(&id) => id as usize,
                    None => {
                        let id = self.missing_names.len();
                        self.missing_ids.insert(m.clone(), id as u32);
                        self.missing_names.push(m);
                        self.missing_totals.push(0);
                        row.missing.push(0);
                        id
                    }
                };
                if let (Some(n), Some(t)) = (row.missing.get_mut(id), self.missing_totals.get_mut(id)) {
                    *n += 1;
                    *t += 1;
                }
            }
        }
        self.stats.held_events = held;
        self.counted = Some(at);
        self.rows.push(row);
    }
}

/// Sets a profile value, reusing the old string's allocation when both are strings.
fn set_scalar(slot: &mut Scalar, v: &Val) {
    match (slot, v) {
        (Scalar::Str(old), Val::Str(s)) => {
            old.clear();
            old.push_str(s);
        }
        (slot, Val::Str(s)) => *slot = Scalar::Str(s.to_string()),
        (slot, Val::Num(n)) => *slot = Scalar::Num(*n),
        (slot, Val::Bool(b)) => *slot = Scalar::Bool(*b),
        (slot, Val::Null | Val::Nested) => *slot = Scalar::Null,
    }
}

impl Customer {
    fn new(id: &str, assume_consent: bool, segments: usize) -> Customer {
        let mut consent = BTreeMap::new();
        if assume_consent {
            consent.insert("personalization".into(), true);
        }
        Customer {
            id: Some(Text(id.to_owned())),
            profile: BTreeMap::new(),
            scores: BTreeMap::new(),
            consent,
            timezone: None,
            consent_stated: false,
            last_seen: i64::MIN,
            log: Log::new(),
            session: SessionTrack { last: i64::MIN, ..SessionTrack::default() },
            member: vec![false; segments],
        }
    }

    /// Lends this customer's id, profile, scores, consent and zone to `ctx` (swapped, not
    /// copied) and sets its time, session and place for a decision at `now`.
    fn lend(&mut self, ctx: &mut Context, now: i64, timeout: i64) {
        self.swap(ctx);
        ctx.now = Timestamp(now);
        (ctx.session, ctx.geo) = self.session.context(now, timeout).unwrap_or_default();
    }

    /// Takes back what [`Customer::lend`] lent.
    fn take_back(&mut self, ctx: &mut Context) {
        self.swap(ctx);
    }

    fn swap(&mut self, ctx: &mut Context) {
        std::mem::swap(&mut self.id, &mut ctx.customer_id);
        std::mem::swap(&mut self.profile, &mut ctx.profile);
        std::mem::swap(&mut self.scores, &mut ctx.scores);
        std::mem::swap(&mut self.consent, &mut ctx.consent);
        std::mem::swap(&mut self.timezone, &mut ctx.timezone);
    }

    /// Applies a profile update: the attributes and scores rules read (the others are dropped).
    /// Known keys are updated in place (no new key, and a string value
    /// reuses its allocation): profile lines repeat the same keys all the time.
    fn update_profile(&mut self, line: &Line, at: i64, names: &Names) {
        for (k, v) in &line.attrs {
            if !names.profile.iter().any(|p| p == k) {
                continue;
            }
            let room = self.profile.len() < MAX_PROFILE_KEYS;
            if matches!(v, Val::Nested) || matches!(v, Val::Str(s) if s.len() > MAX_STRING_BYTES) {
                continue;
            }
            match self.profile.get_mut(&**k) {
                Some(old) => set_scalar(old, v),
                None if room => {
                    let mut new = Scalar::Null;
                    set_scalar(&mut new, v);
                    self.profile.insert(k.to_string(), new);
                }
                None => {}
            }
        }
        if !line.consent.is_empty() && !self.consent_stated {
            // Stated consent replaces the assumed one.
            self.consent_stated = true;
            self.consent.clear();
        }
        for (k, v) in &line.consent {
            let room = self.consent.len() < MAX_PROFILE_KEYS;
            match self.consent.get_mut(&**k) {
                Some(old) => *old = *v,
                None if room => {
                    self.consent.insert(k.to_string(), *v);
                }
                None => {}
            }
        }
        for s in &line.scores {
            let Val::Num(value) = s.value else { continue };
            if !names.scores.iter().any(|n| *n == s.name) {
                continue;
            }
            let room = self.scores.len() < MAX_PROFILE_KEYS;
            let score = CachedScore { value: Finite(value), computed_at: Timestamp(s.computed_at.unwrap_or(at)) };
            match self.scores.get_mut(&*s.name) {
                Some(old) => *old = score,
                None if room => {
                    self.scores.insert(s.name.to_string(), score);
                }
                None => {}
            }
        }
        if let Some(tz) = &line.timezone {
            match &mut self.timezone {
                Some(Text(old)) if old == tz => {}
                zone if tz.len() <= MAX_STRING_BYTES => *zone = Some(Text(tz.to_string())),
                _ => {}
            }
        }
    }

    /// Keeps an event a rule reads, with only the properties rules read.
    fn keep(&mut self, info: &NameInfo, id: u16, at: i64, props: &[(Cow<str>, Val)], max_history: usize) {
        let kept = info.props.iter().enumerate().filter_map(|(i, key)| {
            let v = match prop(props, key)? {
                Val::Str(s) => Value::Str(s),
                Val::Num(n) => Value::Num(*n),
                Val::Bool(b) => Value::Bool(*b),
                _ => return None,
            };
            Some((u8::try_from(i).ok()?, v))
        });
        self.log.push(at, id, kept);
        // Between steps only the newest `max_history` can count: drop the rest now and then.
        if self.log.len() >= 2 * max_history.max(16) {
            self.log.keep(|_| i64::MIN, max_history);
        }
    }
}
