//! Whole lines through [`Scanner::line`]: both shapes, wanted properties, and error offsets.

use super::*;

fn scan(text: &str) -> Result<Line<'_>, ScanError> {
    let mut sc = Scanner::new(text);
    let mut line = Line::default();
    sc.line(&mut line, &mut All)?;
    Ok(line)
}

#[test]
fn reads_the_compact_shape() {
    let text = r#"{"c":"cust-1","e":"Cart Viewed","t":1795453500000,"p":{"product_id":"sku-1","n":2.5,"ok":true,"x":null,"deep":{"a":[1,{"b":2}]}}}"#;
    let l = scan(text).unwrap();
    assert_eq!(l.customer.as_deref(), Some("cust-1"));
    assert_eq!(l.name.as_deref(), Some("Cart Viewed"));
    assert_eq!(l.at, Some(1_795_453_500_000));
    assert_eq!(l.props.len(), 5);
    assert_eq!(l.props[0], ("product_id".into(), Val::Str("sku-1".into())));
    assert_eq!(l.props[1].1, Val::Num(2.5));
    assert_eq!(l.props[2].1, Val::Bool(true));
    assert_eq!(l.props[3].1, Val::Null);
    assert_eq!(l.props[4].1, Val::Nested);
    assert!(!l.has_profile);
}

/// Wants `product_id` of events named `Cart Viewed`, nothing else.
struct CartIds(Vec<String>);

impl Wanted for CartIds {
    fn event(&mut self, raw: &str) -> u16 {
        self.0.push(raw.to_owned());
        u16::from(raw == "Cart Viewed")
    }
    fn any(&self, event: u16) -> bool {
        event == 1
    }
    fn wants(&self, event: u16, key: &str) -> bool {
        event == 1 && key == "product_id"
    }
    fn wants_attribute(&self, name: &str) -> bool {
        name == "tier"
    }
    fn wants_score(&self, name: &str) -> bool {
        name == "ltv"
    }
}

#[test]
fn reads_only_wanted_properties_in_any_layout() {
    let layouts = [
        r#"{"c":"a","e":"Cart Viewed","t":5,"p":{"product_id":"sku-1","price":3}}"#,
        r#"{ "c": "a", "e": "Cart Viewed", "t": 5, "p": {"price": 3, "product_id": "sku-1"} }"#,
        r#"{"userId":"a","event":"Cart Viewed","timestamp":5,"properties":{"product_id":"sku-1","x":[1]}}"#,
    ];
    for text in layouts {
        let mut wanted = CartIds(Vec::new());
        let mut line = Line::default();
        Scanner::new(text).line(&mut line, &mut wanted).unwrap();
        assert_eq!(line.props, vec![("product_id".into(), Val::Str("sku-1".into()))], "{text}");
        assert_eq!(line.name_id, Some(1));
        assert_eq!(wanted.0, ["Cart Viewed"]);
    }
    // Properties before the name: checked, kept for later.
    let text = r#"{"p":{"product_id":"sku-1","price":3},"e":"Cart Viewed","c":"a","t":5}"#;
    let mut line = Line::default();
    Scanner::new(text).line(&mut line, &mut CartIds(Vec::new())).unwrap();
    assert_eq!((line.props_at, line.name_id), (Some(5), None));
    Scanner::new(text).props(5, |k| k == "price", &mut line.props).unwrap();
    assert_eq!(line.props, vec![("price".into(), Val::Num(3.0))]);
    // Profile data after the compact fields: only wanted attributes and scores are read.
    let text = r#"{"c":"a","e":"identify","t":5,"profile":{"tier":"gold","x":[1]},"scores":{"ltv":3,"p":{"value":1}},"timezone":"UTC"}"#;
    let mut line = Line::default();
    Scanner::new(text).line(&mut line, &mut CartIds(Vec::new())).unwrap();
    assert_eq!(line.attrs, vec![("tier".into(), Val::Str("gold".into()))]);
    assert_eq!((line.scores.len(), line.timezone.as_deref(), line.name.as_deref()), (1, Some("UTC"), Some("identify")));
    // Nothing wanted: skipped, but still checked.
    let text = r#"{"c":"a","e":"Other","t":5,"p":{"price":3,}}"#;
    let e = Scanner::new(text).line(&mut Line::default(), &mut CartIds(Vec::new())).unwrap_err();
    assert!(e.message.contains("expected a key"), "{e:?}");
}

#[test]
fn reads_the_track_shape_and_profiles() {
    let text = concat!(
        r#" { "type" : "identify", "userId": "u\"1\u00e9", "timestamp": "2026-11-23T18:00:00Z", "#,
        r#""messageId": [1, "]", {"k": "}"}], "#,
        r#""traits": {"balance": 12.5, "consent": {"personalization": true}, "#,
        r#""scores": {"ltv": {"value": 3, "computed_at": 5}, "p": 0.5}}, "#,
        r#""context": {"ip": "1.2.3.4", "timezone": "Europe/Paris"} }"#
    );
    let l = scan(text).unwrap();
    assert_eq!(l.customer.as_deref(), Some("u\"1é"));
    assert_eq!(l.kind.as_deref(), Some("identify"));
    assert_eq!(l.at, Some(1_795_456_800_000));
    assert_eq!(l.attrs, vec![("balance".into(), Val::Num(12.5))]);
    assert_eq!(l.consent, vec![("personalization".into(), true)]);
    assert_eq!(l.scores.len(), 2);
    assert_eq!(l.scores[0].computed_at, Some(5));
    assert_eq!(l.scores[1].value, Val::Num(0.5));
    assert_eq!(l.timezone.as_deref(), Some("Europe/Paris"));
    assert!(l.has_profile);
}

#[test]
fn errors_point_at_the_problem() {
    let cases = [
        (r#"{"c":"a","t":12,}"#, 16, "expected a key"),
        (r#"{"c":"a" "t":1}"#, 9, "expected `,` or `}`"),
        (r#"{"c":"a","t":"yesterday"}"#, 13, "timestamp"),
        (r#"{"c":"a","t":1e400}"#, 13, "finite timestamp"),
        (r#"{"c":"a","t":01}"#, 13, "start with 0"),
        (r#"{"c":"a"} x"#, 10, "end of the line"),
        (r#"[1]"#, 0, "JSON object"),
        (r#"{"c":"a","p":{"x":tru}}"#, 18, "expected a value"),
        (r#"{"c":"a\q"}"#, 7, "invalid escape"),
        (r#"{"c":"a"#, 5, "unterminated"),
        (r#"{"c":"\ud800"}"#, 6, "surrogate"),
    ];
    for (text, at, msg) in cases {
        let e = scan(text).unwrap_err();
        assert_eq!(e.at, at, "{text}: {e:?}");
        assert!(e.message.contains(msg), "{text}: {e:?}");
    }
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
    assert!(scan(&deep).unwrap_err().message.contains("nested"));
}
