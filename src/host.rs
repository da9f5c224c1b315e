//! What an embedder can supply in place of tables compiled into the module.
//!
//! The IANA zone table (feature `zone-table`) and the Unicode case tables behind
//! `str::to_lowercase`/`to_uppercase` (feature `case-tables`) are about a tenth of the page
//! module's gzipped bytes, and a browser already carries both (`Intl`, `String.prototype.
//! toLowerCase`). A build without them asks the [`Host`] installed here instead; the page module
//! installs one backed by the JS engine (crates/kairos-js-host). ASCII text never asks: its case
//! mapping is the same everywhere, and it is nearly all the text rules lower-case.
//!
//! Without a table and without a host, zone names are unknown (`E_TIMEZONE`, offsets still work)
//! and only ASCII letters change case.

use std::sync::OnceLock;

/// Functions the embedder supplies. Plain function pointers: the core keeps no embedder state.
#[derive(Clone, Copy)]
pub struct Host {
    /// The host's id for IANA zone `name` (matched case-insensitively, links included), or
    /// `None` when it does not know it.
    pub zone: fn(name: &str) -> Option<u32>,
    /// UTC offset in seconds east of UTC of zone `id` at `utc_secs`.
    pub zone_offset: fn(id: u32, utc_secs: i64) -> i32,
    /// Unicode default lower-casing of a non-ASCII string.
    pub lowercase: fn(&str) -> String,
    /// Unicode default upper-casing of a non-ASCII string.
    pub uppercase: fn(&str) -> String,
}

static HOST: OnceLock<Host> = OnceLock::new();

/// Installs the host's functions; the first call wins, so a module may call it on every load.
pub fn install(host: Host) {
    let _ = HOST.get_or_init(|| host);
}

/// The installed host, if any.
#[cfg_attr(all(feature = "zone-table", feature = "case-tables"), allow(dead_code))]
pub(crate) fn get() -> Option<&'static Host> {
    HOST.get()
}

/// `text` lower-cased by Unicode's default mapping.
pub fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    #[cfg(feature = "case-tables")]
    return text.to_lowercase();
    #[cfg(not(feature = "case-tables"))]
    get().map_or_else(|| text.to_ascii_lowercase(), |host| (host.lowercase)(text))
}

/// `text` upper-cased by Unicode's default mapping.
pub fn uppercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_uppercase();
    }
    #[cfg(feature = "case-tables")]
    return text.to_uppercase();
    #[cfg(not(feature = "case-tables"))]
    get().map_or_else(|| text.to_ascii_uppercase(), |host| (host.uppercase)(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_unicode_case_agree_with_std() {
        for text in ["Summer SALE", "ÉTÉ À Paris", "ΟΔΟΣ", "straße", "İstanbul", ""] {
            assert_eq!(lowercase(text), text.to_lowercase(), "{text}");
            assert_eq!(uppercase(text), text.to_uppercase(), "{text}");
        }
    }
}
