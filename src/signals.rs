//! Signals derived once per decision from the raw context: device class,
//! local time, referrer host and UTM parameters.

use crate::context::Context;
use crate::time::{LocalTime, TimeZone};

/// Device classes rules compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// A phone.
    Mobile,
    /// A tablet.
    Tablet,
    /// A desktop or laptop.
    Desktop,
    /// Not known: no device, hint or recognisable user agent.
    Unknown,
}

impl Device {
    /// The name rules compare with (`mobile`).
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Mobile => "mobile",
            Device::Tablet => "tablet",
            Device::Desktop => "desktop",
            Device::Unknown => "unknown",
        }
    }

    /// An explicit class wins; then the `Sec-CH-UA-Mobile` hint; then the user agent.
    pub fn of(ctx: &Context) -> Device {
        let s = &ctx.session;
        if let Some(d) = &s.device {
            return match d.0.to_ascii_lowercase().as_str() {
                "mobile" | "phone" => Device::Mobile,
                "tablet" => Device::Tablet,
                "desktop" => Device::Desktop,
                _ => Device::Unknown,
            };
        }
        if let Some(m) = s.client_hints.mobile {
            if m.0 {
                return Device::Mobile;
            }
            // `?0` means "not a phone": a tablet UA can still say so below.
            if let Some(ua) = &s.user_agent {
                if Device::from_user_agent(&ua.0) == Device::Tablet {
                    return Device::Tablet;
                }
            }
            return Device::Desktop;
        }
        s.user_agent.as_ref().map_or(Device::Unknown, |ua| Device::from_user_agent(&ua.0))
    }

    /// The class a user-agent string suggests.
    pub fn from_user_agent(ua: &str) -> Device {
        let has = |needle: &str| ua.contains(needle);
        if has("iPad") || has("Tablet") || (has("Android") && !has("Mobile")) || has("Kindle") || has("Silk/") {
            Device::Tablet
        } else if has("Mobi") || has("iPhone") || has("iPod") || has("Android") || has("Windows Phone") {
            Device::Mobile
        } else if has("Windows NT") || has("Macintosh") || has("X11") || has("CrOS") {
            Device::Desktop
        } else {
            Device::Unknown
        }
    }
}

/// Why local time is unavailable, when it is.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoneProblem {
    /// The context has no zone or offset and the bundle no default zone.
    NoZone,
    /// A zone or offset was given but cannot be used (the reason in words).
    Unknown(String),
}

/// Resolves the visitor's zone: name, then explicit offset, then the bundle default.
pub fn local_time(ctx: &Context, default_zone: Option<&str>) -> Result<LocalTime, ZoneProblem> {
    Ok(LocalTime::at(ctx.now.0, &zone(ctx, default_zone)?))
}

/// The customer's zone: the context's zone name, else its UTC offset, else the bundle's default.
pub fn zone(ctx: &Context, default_zone: Option<&str>) -> Result<TimeZone, ZoneProblem> {
    let zone = if let Some(name) = &ctx.timezone {
        TimeZone::named(&name.0).map_err(|e| ZoneProblem::Unknown(e.to_string()))?
    } else if let Some(off) = &ctx.utc_offset {
        TimeZone::offset(&off.0).map_err(|e| ZoneProblem::Unknown(e.to_string()))?
    } else if let Some(name) = default_zone {
        TimeZone::named(name).map_err(|e| ZoneProblem::Unknown(e.to_string()))?
    } else {
        return Err(ZoneProblem::NoZone);
    };
    Ok(zone)
}

/// Host of a URL (`https://www.google.com/search?q=x` → `www.google.com`), lower-cased.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// A query parameter of a URL, percent-decoded (`+` as space).
pub fn query_param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| decode(v, true))
    })
}

/// `%XX` escapes decoded (a path segment, a query value); a `%` not followed by two hex digits
/// stays as it is, and bytes that do not make UTF-8 become U+FFFD.
pub fn percent_decode(s: &str) -> String {
    decode(s, false)
}

/// [`percent_decode`], with `+` as a space when `plus_is_space` (a query's form encoding).
fn decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = |at: usize| b.get(at).and_then(|&d| char::from(d).to_digit(16));
        match (c, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi << 4 | lo) as u8);
                i += 3;
            }
            _ => {
                out.push(if c == b'+' && plus_is_space { b' ' } else { c });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A UTM parameter: explicit `session.utm.<key>` first, else from the page URL.
pub fn utm(ctx: &Context, key: &str) -> Option<String> {
    if let Some(v) = ctx.session.utm.get(key) {
        return Some(v.0.clone());
    }
    ctx.session.url.as_ref().and_then(|u| query_param(&u.0, &format!("utm_{key}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15";
        let android_tab = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/120.0 Safari/537.36";
        let android_phone =
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36";
        let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15";
        assert_eq!(Device::from_user_agent(iphone), Device::Mobile);
        assert_eq!(Device::from_user_agent(ipad), Device::Tablet);
        assert_eq!(Device::from_user_agent(android_tab), Device::Tablet);
        assert_eq!(Device::from_user_agent(android_phone), Device::Mobile);
        assert_eq!(Device::from_user_agent(mac), Device::Desktop);
        assert_eq!(Device::from_user_agent("curl/8.0"), Device::Unknown);
    }

    #[test]
    fn urls() {
        assert_eq!(url_host("https://user@www.Google.com:443/search?q=1").as_deref(), Some("www.google.com"));
        assert_eq!(url_host("").as_deref(), None);
        let url = "https://shop.example/?utm_source=news%20letter&utm_medium=email+blast#top";
        assert_eq!(query_param(url, "utm_source").as_deref(), Some("news letter"));
        assert_eq!(query_param(url, "utm_medium").as_deref(), Some("email blast"));
        assert_eq!(query_param("https://x/?a=%zz%", "a").as_deref(), Some("%zz%"));
        assert_eq!(query_param("https://x/?a=1+%2B+1", "a").as_deref(), Some("1 + 1"));
        // A path segment keeps its `+`; only two hex digits make an escape.
        assert_eq!(percent_decode("a+b%2Fc%+1%4"), "a+b/c%+1%4");
        assert_eq!(percent_decode("%C3%A9%FF"), "é\u{fffd}");
    }
}
