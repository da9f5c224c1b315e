//! `kairos preview`: QA preview tokens signed with the site's key (docs/preview.md).

use crate::cli::PreviewArgs;
use crate::error::{CliError, Result};
use crate::{keys, load};
use kairos::preview::{self, Preview};
use kairos::ErrorCode;

/// The longest a preview may last: it is for checking a campaign, not for running one.
const MAX_TTL_MS: i64 = 7 * 86_400_000;

pub fn run(args: PreviewArgs) -> Result<String> {
    let now = now_ms()?;
    if let Some(token) = &args.read {
        // clap requires --public-key with --read.
        let preview = verified(token, args.public_key.as_deref().unwrap_or_default())?;
        let slots: serde_json::Map<String, serde_json::Value> =
            preview.slots().iter().map(|(s, v)| (s.clone(), v.as_str().into())).collect();
        let out = serde_json::json!({
            "expires_at": kairos::time::format_timestamp(preview.expires_at()),
            "slots": slots,
        });
        return serde_json::to_string_pretty(&out).map_err(CliError::internal);
    }
    if args.ttl > MAX_TTL_MS {
        return Err(CliError::usage("--ttl: a preview lasts at most 7 days"));
    }
    let pairs = args
        .slots
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(s, v)| (s.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| CliError::usage(format!("--slot {pair}: write SLOT=VARIANT, as in hero=evening_offer")))
        })
        .collect::<Result<Vec<_>>>()?;
    let preview = Preview::new(now + args.ttl, pairs).map_err(|e| CliError::usage(format!("--slot: {e}")))?;
    if let Some(bundle) = &args.bundle {
        check_against(&preview, &load::engine(bundle, None)?, bundle)?;
    }
    // clap requires --key unless --read.
    let token = preview.sign(&keys::signing_key(args.key.as_deref().unwrap_or_default())?);
    Ok(match &args.url {
        Some(url) => with_token(url, &token),
        None => token,
    })
}

/// `decide --preview TOKEN`: the preview, if the key signed it and it has not expired; pairs
/// the bundle lacks are warned about on standard error, as a page warns in its console.
pub fn read(token: &str, public_key: &str, engine: &kairos::Engine) -> Result<Preview> {
    let preview = verified(token, public_key)?;
    if let Some(unknown) = preview.unknown_in(&engine.program) {
        eprintln!("warning[E_PREVIEW]: {unknown}");
    }
    Ok(preview)
}

/// The preview in `token` if `public_key` (hex or a .pub file) signed it and it has not expired.
fn verified(token: &str, public_key: &str) -> Result<Preview> {
    let key = keys::public_key(public_key)?;
    preview::verify(token, &key, now_ms()?).map_err(|e| CliError::new(e.code(), e.message))
}

/// Every forced pair must exist in the bundle; the error lists what each slot offers.
fn check_against(preview: &Preview, engine: &kairos::Engine, path: &str) -> Result<()> {
    let slots = &engine.program.slots;
    for (slot, variant) in preview.slots() {
        let Some(def) = slots.iter().find(|s| s.name == *slot) else {
            let names: Vec<&str> = slots.iter().map(|s| s.name.as_str()).collect();
            return Err(CliError::new(
                ErrorCode::Preview,
                format!("{path}: no slot `{slot}`; its slots are {}", names.join(", ")),
            ));
        };
        if def.choice(variant).is_none() {
            let mut ids = vec![format!("{} (default)", def.default_id)];
            ids.extend(def.variants.iter().map(|v| v.id.clone()));
            return Err(CliError::new(
                ErrorCode::Preview,
                format!("{path}: slot `{slot}` has no variant `{variant}`; it has {}", ids.join(", ")),
            ));
        }
    }
    Ok(())
}

/// `url` with `kairos_preview=TOKEN` added to its query (the token needs no escaping).
fn with_token(url: &str, token: &str) -> String {
    let (base, fragment) = url.split_once('#').map_or((url, None), |(b, f)| (b, Some(f)));
    let join = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    let mut out = format!("{base}{join}kairos_preview={token}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn now_ms() -> Result<i64> {
    // The CLI may read the clock; the core never does.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(CliError::internal)?;
    Ok(now.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::with_token;

    #[test]
    fn the_token_joins_the_query_before_the_fragment() {
        assert_eq!(with_token("https://s.example/", "T"), "https://s.example/?kairos_preview=T");
        assert_eq!(with_token("https://s.example/p?a=1#top", "T"), "https://s.example/p?a=1&kairos_preview=T#top");
        assert_eq!(with_token("/p?", "T"), "/p?kairos_preview=T");
    }
}
