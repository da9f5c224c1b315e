//! The edge and the page as one visitor (docs/handoff.md). Two things cross between them in
//! each direction of a page view:
//! - **page → edge**: events the page tracked since the edge last saw it, in the
//!   `kairos_pending` cookie the page script writes (`<id>.<id>…~<base64url(JSON events)>`). The edge merges them into its history by
//!   event id and clears the cookie once they are kept.
//! - **edge → page**: the state the edge decided with, written into the personalised page as
//!   `<script type="application/json" id="kairos-state">`. It holds the decision, the bundle id,
//!   the anonymous id, the consent used and the history. The page adopts it instead of deciding
//!   again, and merges the history into its own by event id.

use crate::b64;
use crate::history::{self, EdgeEvent};
use kairos::context::Scalar;
use kairos::Decision;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The cookie of page events not yet seen by the edge.
pub const PENDING_COOKIE: &str = "kairos_pending";
/// Most pending events read from one request (the page keeps the newest that fit a cookie).
pub const MAX_PENDING: usize = 32;
/// The id of the state island's `<script>` element.
pub const STATE_ID: &str = "kairos-state";
/// The state island's format version, which the page checks.
pub const STATE_VERSION: u32 = 1;

/// The pending events in cookie `value`: `<id>.<id>…~<base64url(JSON array of events)>`, the ids
/// in the order of the events, which are read as a context's events are (`kairos::wire::shapes`).
/// Anything unreadable gives nothing (and `false`): the page keeps its own copy, so a bad cookie
/// costs the edge those events, never the page.
pub fn read_pending(value: &str) -> (Vec<EdgeEvent>, bool) {
    let Some((ids, events)) = value.split_once('~') else { return (Vec::new(), false) };
    let ids: Vec<&str> = ids.split('.').collect();
    let Some(events) = b64::decode(events.trim_end_matches('='))
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| kairos::wire::shapes::events(&text).ok())
        .filter(|events| events.0.len() == ids.len())
    else {
        return (Vec::new(), false);
    };
    let start = ids.len().saturating_sub(MAX_PENDING);
    let read = ids[start..]
        .iter()
        .zip(&events.0[start..])
        .filter(|(id, e)| history::well_formed_id(id) && !e.name.is_empty())
        .map(|(id, e)| {
            // The edge's history keeps scalar properties as text.
            let props: Vec<(String, String)> =
                e.props.iter().filter_map(|(k, v)| Some((k.clone(), scalar_text(v)?))).collect();
            let props: Vec<(&str, &str)> = props.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            EdgeEvent::new(&e.name, e.at, &props).with_id(id)
        })
        .collect();
    (read, true)
}

fn scalar_text(v: &Scalar) -> Option<String> {
    match v {
        Scalar::Str(s) => Some(s.clone()),
        Scalar::Num(n) => Some(kairos::fmt_num(*n)),
        Scalar::Bool(b) => Some(b.to_string()),
        Scalar::Null => None,
    }
}

/// What the page adopts: the edge's decision and what it was made with.
#[derive(Serialize)]
pub struct PageState<'a> {
    pub v: u32,
    /// The bundle's id (`Program::bundle_id`); None for an engine compiled in process.
    pub bundle: Option<&'a str>,
    /// The visitor's anonymous id (None without consent).
    pub anonymous_id: Option<&'a str>,
    /// The consent the decision was made under.
    pub consent: bool,
    pub decision: &'a Decision,
    /// The edge's history after this page view, oldest first: `{i, e, t, p}` as the page stores events.
    #[serde(serialize_with = "events_as_page_events")]
    pub events: &'a [EdgeEvent],
}

fn events_as_page_events<S: Serializer>(events: &&[EdgeEvent], s: S) -> Result<S::Ok, S::Error> {
    struct One<'e>(&'e EdgeEvent);
    impl Serialize for One<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            struct Props<'p>(&'p [(String, String)]);
            impl Serialize for Props<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let mut map = s.serialize_map(Some(self.0.len()))?;
                    for (k, v) in self.0 {
                        map.serialize_entry(k, v)?;
                    }
                    map.end()
                }
            }
            let mut map = s.serialize_map(Some(4))?;
            map.serialize_entry("i", &self.0.id)?;
            map.serialize_entry("e", &self.0.name)?;
            map.serialize_entry("t", &self.0.at_seconds.saturating_mul(1000))?;
            map.serialize_entry("p", &Props(&self.0.props))?;
            map.end()
        }
    }
    s.collect_seq(events.iter().map(One))
}

/// The state as a `<script type="application/json">` element: the JSON with `<`, `>` and `&`
/// escaped, so no value can close the element or open markup.
pub fn island(state: &PageState) -> String {
    let json = kairos::wire::to_string(state).unwrap_or_else(|_| "null".into());
    let json = json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026");
    format!(r#"<script type="application/json" id="{STATE_ID}">{json}</script>"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie(ids: &str, json: &str) -> String {
        format!("{}~{}", ids.replace(',', "."), b64::encode(json))
    }

    #[test]
    fn pending_page_events_are_read_with_their_ids_and_bounded() {
        let (events, ok) = read_pending(&cookie(
            "pAAAAAAAAAAA",
            r#"[{"e":"Cart Viewed","t":1780000000000,"p":{"product_id":"sku-1","n":2,"x":null}}]"#,
        ));
        assert!(ok);
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].id.as_str(), events[0].name.as_str(), events[0].at_seconds),
            ("pAAAAAAAAAAA", "cart_viewed", 1_780_000_000)
        );
        assert_eq!(events[0].props, vec![("n".into(), "2".into()), ("product_id".into(), "sku-1".into())]);
        let ids: Vec<String> = (0..50).map(|i| format!("p{i}")).collect();
        let many: Vec<String> = (0..50).map(|i| format!(r#"{{"e":"e{i}","t":{i}}}"#)).collect();
        let (events, _) = read_pending(&cookie(&ids.join(","), &format!("[{}]", many.join(","))));
        assert_eq!(events.len(), MAX_PENDING);
        assert_eq!(events.last().unwrap().id, "p49", "the newest are kept, in order");
    }

    #[test]
    fn a_bad_pending_cookie_gives_nothing() {
        for bad in [
            "",
            "!!",
            "p1~!!",
            &cookie("p1", "{}"),
            &cookie("p1", "[1]"),
            &cookie("p1", r#"[{"e":"x"}]"#),
            &cookie("p1,p2", r#"[{"e":"x","t":1}]"#),
        ] {
            assert_eq!(read_pending(bad), (Vec::new(), false), "{bad}");
        }
        let (events, ok) = read_pending(&cookie("bad id!,p2", r#"[{"e":"x","t":1},{"e":"y","t":2}]"#));
        assert!(ok);
        assert_eq!(
            events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["p2"],
            "an event without a usable id is left out"
        );
    }

    #[test]
    fn the_island_cannot_be_closed_by_a_value() {
        let rules = r#"{"kairos": 1, "slots": {"s": {"default": {"id": "d", "content": "</script><b>&"}}}}"#;
        let engine = kairos::Engine::from_rules_or_bundle(rules.as_bytes()).unwrap();
        let decision = engine.decide(&kairos::Context::default(), kairos::Options::default());
        let events = [EdgeEvent::new("x</script>", 0, &[("k", "<v>")]).with_id("e1")];
        let state = PageState {
            v: STATE_VERSION,
            bundle: engine.bundle_id(),
            anonymous_id: None,
            consent: false,
            decision: &decision,
            events: &events,
        };
        let html = island(&state);
        assert_eq!(html.matches("</script>").count(), 1, "{html}");
        let json = html
            .trim_start_matches(r#"<script type="application/json" id="kairos-state">"#)
            .trim_end_matches("</script>");
        assert!(!json.contains(['<', '>', '&']), "{json}");
        let back: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back["decision"]["slots"]["s"]["content"], "</script><b>&");
        assert_eq!(back["events"][0]["e"], "x</script>");
        assert_eq!(back["bundle"], engine.bundle_id().unwrap());
    }
}
