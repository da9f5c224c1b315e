//! `kairos sign-id` and `kairos token`: values the edge Worker checks, keyed from the environment.

use crate::args::read_text;
use crate::cli::TokenArgs;
use crate::error::{CliError, Result, E_ENV, E_EVENT};
use kairos::context::Scalar;
use kairos_edge::{identity, open_token};

/// A Worker key from the environment, not an argument: keys do not belong in shell history.
pub fn env_key(name: &str, worker_name: &str) -> Result<String> {
    let key = std::env::var(name).map_err(|e| match e {
        std::env::VarError::NotPresent => CliError::new(E_ENV, format!("set {name} to the Worker's {worker_name}")),
        std::env::VarError::NotUnicode(_) => CliError::new(E_ENV, format!("{name} is not UTF-8")),
    })?;
    if key.len() < identity::MIN_KEY_BYTES {
        return Err(CliError::new(E_ENV, format!("{name} must be at least {} bytes", identity::MIN_KEY_BYTES)));
    }
    Ok(key)
}

/// `kairos token`: an email open token for `GET /v1/open/<token>`.
pub fn token(args: TokenArgs) -> Result<String> {
    let key = env_key("KAIROS_OPEN_KEY", "OPEN_TOKEN_KEY")?;
    if args.ttl / 1000 > open_token::MAX_TTL_SECONDS {
        return Err(CliError::usage(format!("--ttl: at most {} days", open_token::MAX_TTL_SECONDS / 86_400)));
    }
    let event = match &args.event {
        None => None,
        Some(path) => {
            Some(read_token_event(&read_text(path)?).map_err(|e| CliError::new(E_EVENT, format!("{path}: {e}")))?)
        }
    };
    // The CLI may read the clock; the core never does.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(CliError::internal)?;
    let token = open_token::OpenToken {
        campaign: args.campaign,
        customer_id: args.customer,
        slot: args.slot,
        event,
        expires_at: now.as_secs() as i64 + args.ttl / 1000,
    };
    Ok(open_token::mint(key.as_bytes(), &token))
}

/// An event file for a token: `{"e": name, "p": {props}, "t": RFC 3339 or epoch ms}`.
fn read_token_event(text: &str) -> Result<open_token::TokenEvent, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let name = v["e"].as_str().ok_or("the event needs a name in `e`")?.to_owned();
    let at_ms = match &v["t"] {
        serde_json::Value::Number(n) => n.as_i64().ok_or("`t` must be whole epoch milliseconds")?,
        serde_json::Value::String(s) => kairos::time::parse_timestamp(s).map_err(|e| e.to_string())?,
        _ => return Err("the event needs a time in `t`".into()),
    };
    let props = match &v["p"] {
        // Nested values are left out: an event property is a scalar.
        serde_json::Value::Object(m) => m
            .iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    serde_json::Value::Bool(b) => Scalar::Bool(*b),
                    serde_json::Value::Number(n) => Scalar::Num(n.as_f64()?),
                    serde_json::Value::String(s) => Scalar::Str(s.clone()),
                    _ => return None,
                };
                Some((k.clone(), v))
            })
            .collect(),
        serde_json::Value::Null => Default::default(),
        _ => return Err("`p` must be an object".into()),
    };
    Ok(open_token::TokenEvent { name, at_ms, props })
}
