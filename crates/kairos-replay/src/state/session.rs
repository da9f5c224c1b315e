//! The session summary kept per customer: what the current (or last) session said, turned into
//! the context's session and geo at each decision.

use super::names::Role;
use crate::reader::Val;
use kairos::context::{Finite, Geo, ProductView, Search, Session, Text};
use std::borrow::Cow;

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
                self.text.push_str(&kairos::fmt_num(*n));
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

/// What the current (or last) session said, kept small: counts and the latest of each kind.
#[derive(Debug, Clone, Default)]
pub(super) struct SessionTrack {
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

pub(super) fn prop<'v, 'a>(props: &'v [(Cow<'a, str>, Val<'a>)], key: &str) -> Option<&'v Val<'a>> {
    props.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl SessionTrack {
    /// No session yet (built here: the customer cannot name the private fields).
    pub(super) fn none() -> SessionTrack {
        SessionTrack { last: i64::MIN, ..SessionTrack::default() }
    }

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

    pub(super) fn note(&mut self, role: Role, at: i64, props: &[(Cow<str>, Val)], timeout: i64) {
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

    /// When the session ends (no longer open at `now`, time alone), if it is open at `now`.
    pub(super) fn ends(&self, now: i64, timeout: i64) -> Option<i64> {
        let end = self.last.saturating_add(timeout).saturating_add(1);
        (self.last != i64::MIN && now < end).then_some(end)
    }

    /// The context's session and geo at `now`, if the session is still open.
    pub(super) fn context(&self, now: i64, timeout: i64) -> Option<(Session, Geo)> {
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
