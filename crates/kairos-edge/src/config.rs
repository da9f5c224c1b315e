//! The Worker's settings (`[vars]` and secrets in wrangler.toml), read once per isolate from
//! whatever the platform calls its environment. Unusable values switch their feature off, and
//! each says so once in `warnings` (names only, never values).

use crate::identity;
use crate::track::{self, TrackRule};
use kairos::signing::PublicKey;

/// How long a KV bundle is trusted before it is read again, when `BUNDLE_TTL_SECONDS` is unset.
pub const DEFAULT_BUNDLE_TTL_MS: i64 = 60_000;
/// Longest wait for one KV read (`KV_BUDGET_MS`): past it the request goes on without the value.
pub const DEFAULT_KV_BUDGET_MS: u32 = 150;
/// Shortest accepted `DEBUG_TOKEN`: explanations reveal rule logic.
pub const MIN_DEBUG_TOKEN_BYTES: usize = 16;

/// Which bundles may be used.
#[derive(Debug, Clone)]
pub enum BundlePolicy {
    /// Any valid bundle; the built-in one when KV has none.
    Any,
    /// Only bundles signed by this key; never the (unsigned) built-in one.
    SignedBy(PublicKey),
    /// `BUNDLE_PUBLIC_KEY` is set but unusable: the operator asked for signatures, so nothing loads.
    Refuse,
}

/// Everything the edge service reads from its environment.
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    pub origin: Option<String>,
    pub bundle_ttl_ms: i64,
    pub kv_budget_ms: u32,
    pub policy: BundlePolicy,
    pub identity_key: Option<String>,
    pub history_key: Option<String>,
    pub open_token_key: Option<String>,
    pub debug_token: Option<String>,
    pub track: Vec<TrackRule>,
    /// `PACKED_CUSTOMERS`: customers' packed records (`visitor/<id>`) are read before their JSON
    /// records. Off by default, so a deployment that does not pack them pays no second KV read.
    pub packed_customers: bool,
    /// `AMP_SENDERS`, comma-separated, lower case.
    pub amp_senders: Vec<String>,
    /// `COLLECTOR`: where exposure batches are POSTed (http or https URL); None: none are sent.
    pub collector: Option<String>,
    /// What was ignored and why (variable names only).
    pub warnings: Vec<String>,
}

impl EdgeConfig {
    /// Reads the settings through `var` (empty values count as unset).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> EdgeConfig {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let mut warnings = Vec::new();
        let mut secret = |name: &str| {
            let value = var(name)?;
            if value.len() < identity::MIN_KEY_BYTES {
                warnings.push(format!("{name} is shorter than {} bytes: ignored", identity::MIN_KEY_BYTES));
                return None;
            }
            Some(value)
        };
        let identity_key = secret("IDENTITY_KEY");
        let history_key = secret("HISTORY_KEY");
        let open_token_key = secret("OPEN_TOKEN_KEY");
        let policy = match var("BUNDLE_PUBLIC_KEY") {
            None => BundlePolicy::Any,
            Some(text) => match PublicKey::parse(&text) {
                Ok(key) => BundlePolicy::SignedBy(key),
                Err(e) => {
                    warnings.push(format!("BUNDLE_PUBLIC_KEY is unusable ({e}): every bundle is refused"));
                    BundlePolicy::Refuse
                }
            },
        };
        let track = match var("TRACK").map(|t| track::parse_rules(&t)) {
            None => Vec::new(),
            Some(Ok(rules)) => rules,
            Some(Err(e)) => {
                warnings.push(format!("TRACK is not a valid rule list ({e}): nothing is tracked"));
                Vec::new()
            }
        };
        let debug_token = var("DEBUG_TOKEN").filter(|t| t.len() >= MIN_DEBUG_TOKEN_BYTES);
        let collector = var("COLLECTOR").filter(|url| {
            let ok = url.starts_with("https://") || url.starts_with("http://");
            if !ok {
                warnings.push("COLLECTOR is not an http(s) URL: no exposures are sent".into());
            }
            ok
        });
        EdgeConfig {
            origin: var("ORIGIN"),
            bundle_ttl_ms: var("BUNDLE_TTL_SECONDS")
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map_or(DEFAULT_BUNDLE_TTL_MS, |s| (s * 1000.0).min(i64::MAX as f64) as i64),
            kv_budget_ms: var("KV_BUDGET_MS").and_then(|s| s.trim().parse().ok()).unwrap_or(DEFAULT_KV_BUDGET_MS),
            policy,
            identity_key,
            history_key,
            open_token_key,
            debug_token,
            track,
            packed_customers: var("PACKED_CUSTOMERS").is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes")),
            amp_senders: var("AMP_SENDERS")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
            collector,
            warnings,
        }
    }
}
