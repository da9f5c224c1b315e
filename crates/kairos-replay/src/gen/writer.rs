//! The two line shapes, written: events and profile updates as compact or analytics lines.

use super::customer::{Customer, Kind, HOMES};
use super::{GenStats, Shape};
use kairos::time::{format_timestamp, DAY_MS, HOUR_MS};
use std::io::Write;

/// A property value as written: text, an integer, or an amount in hundredths.
pub(super) enum V<'a> {
    S(&'a str),
    I(i64),
    C(i64),
}

pub(super) struct Writer {
    pub(super) buf: Vec<u8>,
    pub(super) shape: Shape,
    pub(super) stats: GenStats,
}

impl Writer {
    pub(super) fn event(&mut self, c: &Customer, at: i64, name: &str, props: &[(&str, V)]) {
        self.stats.lines += 1;
        let b = &mut self.buf;
        match self.shape {
            Shape::Compact => {
                b.extend_from_slice(b"{\"c\":");
                json_str(b, &c.id);
                b.extend_from_slice(b",\"e\":");
                json_str(b, name);
                let _ = write!(b, ",\"t\":{at}");
                if !props.is_empty() {
                    b.extend_from_slice(b",\"p\":");
                    json_props(b, props);
                }
            }
            Shape::Track if name == "page_viewed" => {
                b.extend_from_slice(b"{\"type\":\"page\",\"userId\":");
                json_str(b, &c.id);
                b.extend_from_slice(b",\"timestamp\":");
                json_str(b, &format_timestamp(at));
                b.extend_from_slice(b",\"properties\":");
                json_props(b, props);
            }
            Shape::Track => {
                b.extend_from_slice(b"{\"type\":\"track\",\"userId\":");
                json_str(b, &c.id);
                b.extend_from_slice(b",\"event\":");
                json_str(b, &title_case(name));
                b.extend_from_slice(b",\"timestamp\":");
                json_str(b, &format_timestamp(at));
                b.extend_from_slice(b",\"properties\":");
                json_props(b, props);
            }
        }
        b.extend_from_slice(b"}\n");
    }

    /// A profile update: attributes, consent, zone and scores (computed at 06:00 UTC today).
    pub(super) fn identify(&mut self, c: &mut Customer, at: i64) {
        self.stats.lines += 1;
        self.stats.identifies += 1;
        let computed = at.div_euclid(DAY_MS) * DAY_MS + 6 * HOUR_MS;
        let computed = if computed > at { computed - DAY_MS } else { computed };
        let jitter = |c: &mut Customer, base: i64| (base + c.rng.range(-8, 8)).clamp(0, 100);
        let scores: Vec<(&str, V)> = match c.kind {
            Kind::Shop => vec![
                ("purchase_propensity", V::C(jitter(c, c.propensity))),
                ("ltv_band", V::I(c.ltv_band)),
                ("conversion_propensity", V::C(jitter(c, c.propensity))),
            ],
            Kind::Wallet => vec![("ltv_band", V::I(c.ltv_band)), ("churn_risk", V::C(jitter(c, c.churn_risk)))],
            Kind::Bank => vec![("conversion_propensity", V::C(jitter(c, c.propensity)))],
        };
        let home = &HOMES[c.home];
        let mut profile: Vec<(&str, V)> = vec![("home_country", V::S(home.country)), ("loyalty_tier", V::S(c.tier))];
        let (trial, kyc) = (format_timestamp(c.trial_ends_at), format_timestamp(c.kyc_expiry));
        match c.kind {
            Kind::Shop => {}
            Kind::Wallet => {
                profile.push(("balance", V::C(c.balance_cents)));
                profile.push(("bonus_match_rate", V::C(c.bonus_rate)));
            }
            Kind::Bank => {
                profile.push(("balance", V::C(c.balance_cents)));
                profile.push(("plan", V::S(c.plan)));
                if c.plan == "trial" {
                    profile.push(("trial_ends_at", V::S(&trial)));
                }
                profile.push(("kyc_expiry", V::S(&kyc)));
            }
        }
        let b = &mut self.buf;
        let consent = format!("{{\"personalization\":{},\"marketing\":{}}}", c.consent, c.marketing);
        let write_scores = |b: &mut Vec<u8>, track: bool| {
            b.push(b'{');
            for (i, (name, v)) in scores.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                json_str(b, name);
                b.extend_from_slice(b":{\"value\":");
                json_value(b, v);
                b.extend_from_slice(b",\"computed_at\":");
                if track {
                    json_str(b, &format_timestamp(computed));
                } else {
                    let _ = write!(b, "{computed}");
                }
                b.push(b'}');
            }
            b.push(b'}');
        };
        match self.shape {
            Shape::Compact => {
                b.extend_from_slice(b"{\"c\":");
                json_str(b, &c.id);
                let _ = write!(b, ",\"e\":\"identify\",\"t\":{at},\"profile\":");
                json_props(b, &profile);
                b.extend_from_slice(b",\"timezone\":");
                json_str(b, home.zone);
                let _ = write!(b, ",\"consent\":{consent},\"scores\":");
                write_scores(b, false);
            }
            Shape::Track => {
                b.extend_from_slice(b"{\"type\":\"identify\",\"userId\":");
                json_str(b, &c.id);
                b.extend_from_slice(b",\"timestamp\":");
                json_str(b, &format_timestamp(at));
                b.extend_from_slice(b",\"traits\":");
                json_props(b, &profile);
                b.pop(); // reopen the traits object for consent and scores
                let _ = write!(b, ",\"consent\":{consent},\"scores\":");
                write_scores(b, true);
                b.extend_from_slice(b"},\"context\":{\"timezone\":");
                json_str(b, home.zone);
                b.push(b'}');
            }
        }
        b.extend_from_slice(b"}\n");
    }
}

fn json_props(b: &mut Vec<u8>, props: &[(&str, V)]) {
    b.push(b'{');
    for (i, (k, v)) in props.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        json_str(b, k);
        b.push(b':');
        json_value(b, v);
    }
    b.push(b'}');
}

fn json_value(b: &mut Vec<u8>, v: &V) {
    match v {
        V::S(s) => json_str(b, s),
        V::I(n) => {
            let _ = write!(b, "{n}");
        }
        V::C(c) => {
            let sign = if *c < 0 { "-" } else { "" };
            let (whole, frac) = (c.unsigned_abs() / 100, c.unsigned_abs() % 100);
            let _ = match frac {
                0 => write!(b, "{sign}{whole}"),
                f if f % 10 == 0 => write!(b, "{sign}{whole}.{}", f / 10),
                f => write!(b, "{sign}{whole}.{f:02}"),
            };
        }
    }
}

/// A JSON string: quotes, backslashes and control characters escaped, the rest (UTF-8 included)
/// as it is. Generated text is plain; `columnar` writes any text through it.
pub(crate) fn json_str(b: &mut Vec<u8>, s: &str) {
    b.push(b'"');
    let bytes = s.as_bytes();
    // Runs of plain bytes are copied whole (Parquet rows go through here too, text of any size).
    let mut plain = 0;
    for (i, &c) in bytes.iter().enumerate() {
        if c != b'"' && c != b'\\' && c >= 0x20 {
            continue;
        }
        b.extend_from_slice(&bytes[plain..i]);
        plain = i + 1;
        match c {
            b'"' => b.extend_from_slice(b"\\\""),
            b'\\' => b.extend_from_slice(b"\\\\"),
            c => {
                let _ = write!(b, "\\u{c:04x}");
            }
        }
    }
    b.extend_from_slice(&bytes[plain..]);
    b.push(b'"');
}

/// `product_viewed` → `Product Viewed`, the analytics spelling (both normalise to one name).
fn title_case(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_read_back_as_written() {
        for s in ["", "plain", "q\"uote\"", "back\\slash\\", "\u{0}\u{1f}\n\t\r", "é💡 ünï", "\u{7f}"] {
            let mut b = Vec::new();
            json_str(&mut b, s);
            assert_eq!(serde_json::from_slice::<String>(&b).unwrap(), s);
        }
    }

    #[test]
    fn title_case_round_trips_through_normalisation() {
        for n in ["product_viewed", "$exposure", "order_completed"] {
            assert_eq!(kairos::context::normalize_event_name(&title_case(n)), n);
        }
    }
}
