//! The words of the text language: short names for common signals, functions,
//! and the keywords a bare name must not collide with (the printer quotes those).

/// Short names people write for the signals they use most; the printer prefers them.
pub const ALIASES: &[(&str, &str)] = &[
    ("device", "session.device"),
    ("page", "session.page"),
    ("page_views", "session.page_views"),
    ("product_views", "session.product_views"),
    ("referrer", "session.referrer"),
    ("referrer_host", "session.referrer_host"),
    ("utm_source", "session.utm_source"),
    ("utm_medium", "session.utm_medium"),
    ("utm_campaign", "session.utm_campaign"),
    ("search_term", "session.search_term"),
    ("search_category", "session.search_category"),
    ("cart_dwell", "session.cart_dwell"),
    ("checkout_dwell", "session.checkout_dwell"),
    ("coupon_searches", "session.coupon_searches"),
    ("country", "geo.country"),
    ("region", "geo.region"),
    ("city", "geo.city"),
    ("local_hour", "local.hour"),
];

/// The signal a bare word stands for (`device` → `session.device`).
pub fn alias_target(word: &str) -> Option<&'static str> {
    ALIASES.iter().find(|(a, _)| *a == word).map(|(_, t)| *t)
}

/// The bare word for a signal, if it has one (what the printer writes).
pub fn alias_of(path: &str) -> Option<&'static str> {
    ALIASES.iter().find(|(_, t)| *t == path).map(|(a, _)| *a)
}

/// Names written `name(…)`.
pub const FUNCTIONS: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "last",
    "since_last",
    "none",
    "mean_interval",
    "max_count_by",
    "top",
    "sequence",
    "all",
    "any",
    "coalesce",
    "lower",
    "round",
    "var",
    "duration",
    "add",
    "sub",
    "mul",
    "div",
];

/// Words that join or test values and so cannot start one.
pub const OPERATOR_WORDS: &[&str] = &[
    "and",
    "or",
    "is",
    "in",
    "between",
    "within",
    "where",
    "of",
    "per",
    "contains",
    "starts",
    "ends",
    "with",
    "exists",
    "missing",
    "present",
    "when",
    "otherwise",
    "followed",
    "by",
];

/// Words that start a top-level statement (and so end the one before).
pub const TOP_KEYWORDS: &[&str] = &["kairos", "name", "timezone", "holdout", "max", "segment", "tier", "slot"];

const OTHER_KEYWORDS: &[&str] = &[
    "true",
    "false",
    "null",
    "not",
    "score",
    "days",
    "until",
    "since",
    "local_time",
    "weekday",
    "age",
    "salt",
    "history",
    "default",
    "variant",
    "priority",
    "cap",
    "suppress",
    "after",
    "conversion",
    "set",
    "content",
    "bucket",
];

/// Whether `w` starts a top-level item (`segment`, `slot`, …).
pub fn is_top_keyword(w: &str) -> bool {
    TOP_KEYWORDS.contains(&w)
}

/// Whether a bare word would be read as something other than a plain name.
pub fn is_keyword(w: &str) -> bool {
    OPERATOR_WORDS.contains(&w)
        || TOP_KEYWORDS.contains(&w)
        || FUNCTIONS.contains(&w)
        || OTHER_KEYWORDS.contains(&w)
        || alias_target(w).is_some()
}

/// A name the lexer reads back as one word: `[$]letter-or-_ then letters, digits, _`.
pub fn is_simple_word(s: &str) -> bool {
    let body = s.strip_prefix('$').unwrap_or(s);
    let mut chars = body.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(s)
}

/// A dotted path the lexer reads back as one word (`profile.balance`, `scores.ltv`).
pub fn is_bare_path(s: &str) -> bool {
    let mut parts = s.split('.');
    let first = parts.next().unwrap_or("");
    let body = first.strip_prefix('$').unwrap_or(first);
    matches!(body.chars().next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        && !is_keyword(s)
}
