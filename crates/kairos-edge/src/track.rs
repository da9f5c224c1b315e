//! Which page requests the edge remembers as events, configured per site:
//! `[{"prefix": "/cart", "event": "cart_viewed"}, {"prefix": "/product/", "event": "product_viewed", "id_prop": "product_id"}]`.
//! With `id_prop`, the path segment after the prefix becomes that property (`/product/sku-1` → `product_id: sku-1`).

use crate::error::EdgeError;
use crate::history::EdgeEvent;
use kairos::ErrorCode;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackRule {
    pub prefix: String,
    pub event: String,
    #[serde(default)]
    pub id_prop: Option<String>,
}

/// Most rules a site may configure (each request scans them).
pub const MAX_RULES: usize = 64;

/// Parses the rule list; errors are located.
pub fn parse_rules(text: &str) -> Result<Vec<TrackRule>, EdgeError> {
    let rules: Vec<TrackRule> = kairos::wire::from_str(text).map_err(|e| EdgeError::new(ErrorCode::Track, None, e))?;
    if rules.len() > MAX_RULES {
        let message = format!("{} track rules, the limit is {MAX_RULES}", rules.len());
        return Err(EdgeError::new(ErrorCode::Track, None, message));
    }
    Ok(rules)
}

/// The event a request for `path` records, by the first rule whose prefix matches.
pub fn event_for(rules: &[TrackRule], path: &str, now_ms: i64) -> Option<EdgeEvent> {
    let rule = rules.iter().find(|r| path.starts_with(&r.prefix))?;
    let prop = rule.id_prop.as_deref().and_then(|name| {
        let id = path[rule.prefix.len()..].split('/').next().filter(|s| !s.is_empty())?;
        Some((name, id))
    });
    Some(EdgeEvent::new(&rule.event, now_ms, prop.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_prefix_wins_and_reads_ids() {
        let rules = parse_rules(
            r#"[{"prefix": "/cart", "event": "Cart Viewed"},
                {"prefix": "/product/", "event": "product_viewed", "id_prop": "product_id"}]"#,
        )
        .unwrap();
        let e = event_for(&rules, "/cart", 5000).unwrap();
        assert_eq!((e.name.as_str(), e.at_seconds, e.props), ("cart_viewed", 5, vec![]));
        let e = event_for(&rules, "/product/sku-9/reviews", 0).unwrap();
        assert_eq!(e.props, vec![("product_id".into(), "sku-9".into())]);
        assert_eq!(event_for(&rules, "/product/", 0).unwrap().props, vec![]);
        assert!(event_for(&rules, "/", 0).is_none());
    }

    #[test]
    fn bad_config_is_located() {
        let err = parse_rules(r#"[{"prefix": "/cart"}]"#).unwrap_err();
        assert_eq!(err.code(), kairos::ErrorCode::Track);
        assert!(err.message.contains("event"), "{err}");
    }
}
