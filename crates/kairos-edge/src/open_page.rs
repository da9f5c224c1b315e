//! What an email open answers: the slot's content as a sandboxed HTML fragment, or as one AMP
//! `amp-list` item.

use crate::http::{to_json, HttpResponse};
use kairos::decide::SlotDecision;

/// The open's response for a rendered slot (`amp`: the AMP JSON form).
pub fn answer(rendered: &SlotDecision, amp: bool) -> HttpResponse {
    if amp {
        return HttpResponse::json(200, format!(r#"{{"items":[{}]}}"#, amp_item(rendered)));
    }
    let html = kairos::html::project(rendered).to_html();
    HttpResponse {
        status: 200,
        headers: vec![
            ("content-type".into(), "text/html; charset=utf-8".into()),
            ("cache-control".into(), "private, no-store".into()),
            // Served on the site's own origin: no scripts, no forms, no same-origin rights, and
            // the token in the URL is not sent on as a referrer.
            (
                "content-security-policy".into(),
                "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; font-src https:".into(),
            ),
            ("referrer-policy".into(), "no-referrer".into()),
            ("x-content-type-options".into(), "nosniff".into()),
        ],
        body: html.into_bytes(),
    }
}

/// One `amp-list` item: `variant` and `is_default`, with an object content's fields beside them
/// (a field of the content wins over those two) or any other content as `content`.
fn amp_item(rendered: &SlotDecision) -> String {
    let content = to_json(&rendered.content);
    let mut item = String::from("{");
    // The content is our own writer's JSON: an object when it starts with `{`, whose top-level
    // keys the core's path locator finds.
    let object = content.starts_with('{');
    let has = |name: &str| object && kairos::json::locate(&content, name).is_some();
    if !has("variant") {
        item += &format!(r#""variant":{},"#, to_json(&rendered.variant));
    }
    if !has("is_default") {
        item += &format!(r#""is_default":{},"#, rendered.is_default);
    }
    match object {
        true => item += &content[1..],
        false => item += &format!(r#""content":{content}}}"#),
    }
    // `{"variant":…,` then the content's `}` of an empty object leaves a trailing comma.
    if item.ends_with(",}") {
        item.replace_range(item.len() - 2.., "}");
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use kairos::{Context, Engine, Options};

    /// The AMP answer's text for slot `s` whose default content is `content` (JSON).
    fn amp_text(content: &str) -> String {
        let rules = format!(r#"{{"kairos": 1, "slots": {{"s": {{"default": {{"id": "d", "content": {content}}}}}}}}}"#);
        let engine = Engine::from_rules_or_bundle(rules.as_bytes()).unwrap();
        let decision = engine.decide(&Context::default(), Options::default());
        String::from_utf8(answer(&decision.slots[0], true).body).unwrap()
    }

    fn item_for(content: &str) -> serde_json::Value {
        let text = amp_text(content);
        let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        body["items"][0].clone()
    }

    #[test]
    fn amp_items_put_an_object_contents_fields_beside_the_variant() {
        let item = item_for(r#"{"subject": "Hi", "n": 2}"#);
        assert_eq!(item, serde_json::json!({"variant": "d", "is_default": true, "subject": "Hi", "n": 2}));
        assert_eq!(item_for("{}"), serde_json::json!({"variant": "d", "is_default": true}));
        // The content's own field wins, and no key is written twice.
        assert_eq!(amp_text(r#"{"variant": "v2"}"#), r#"{"items":[{"is_default":true,"variant":"v2"}]}"#);
        assert_eq!(item_for(r#""plain""#), serde_json::json!({"variant": "d", "is_default": true, "content": "plain"}));
        assert_eq!(item_for("[1, 2]"), serde_json::json!({"variant": "d", "is_default": true, "content": [1, 2]}));
    }
}
