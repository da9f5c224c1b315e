//! `Cookie` header parsing and `Set-Cookie` values.

/// The customer id cookie.
pub const CUSTOMER: &str = "kairos_uid";
/// The consent cookie: `1`, `yes`, `true` or `granted` allow personalisation.
pub const CONSENT: &str = "kairos_consent";
/// The signed history cookie (see [`crate::history`]).
pub const HISTORY: &str = "kairos_h";

/// The value of cookie `name` in a `Cookie` header (the first one, surrounding quotes removed).
pub fn get<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

/// A first-party, script-inaccessible cookie for the whole site.
pub fn set(name: &str, value: &str, max_age_seconds: u32) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Lax")
}

/// A cookie for this browser session only (no `Max-Age`), readable by the page script: the
/// preview token, which is no secret and must be forgotten when the session ends.
pub fn session(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/; Secure; SameSite=Lax")
}

/// Deletes a [`session`] cookie (the attributes match, so the browser replaces it).
pub fn clear_session(name: &str) -> String {
    format!("{name}=; Path=/; Max-Age=0; Secure; SameSite=Lax")
}

/// Deletes cookie `name`.
pub fn clear(name: &str) -> String {
    set(name, "", 0)
}

/// Whether a consent cookie value grants personalisation.
pub fn grants(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "1" | "yes" | "true" | "granted")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cookies_among_others() {
        let h = "a=1; kairos_uid=cust-7;kairos_consent=\"1\"; kairos_uidx=no";
        assert_eq!(get(h, CUSTOMER), Some("cust-7"));
        assert_eq!(get(h, CONSENT), Some("1"));
        assert_eq!(get(h, "kairos_h"), None);
        assert_eq!(get("", CUSTOMER), None);
        assert_eq!(get("garbage;;=;x", CUSTOMER), None);
    }

    #[test]
    fn consent_values() {
        assert!(grants("1") && grants("Granted") && grants(" yes "));
        assert!(!grants("0") && !grants("") && !grants("no"));
    }

    #[test]
    fn set_cookie_is_private_to_the_site() {
        assert_eq!(set("kairos_h", "v", 60), "kairos_h=v; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax");
        assert!(clear("kairos_h").contains("Max-Age=0"));
    }
}
