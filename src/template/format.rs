//! Formatting a hole's value through its filters: `money`, `number`, `date`, `upper`, `lower`.

use super::{DateStyle, Filter};
use crate::time;

/// A hole's value as decided: a number, a timestamp-capable number, text, or a boolean.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// A number (a timestamp, for `date`).
    Num(f64),
    /// Text.
    Str(&'a str),
    /// A boolean.
    Bool(bool),
}

/// Formats a value through the filters (`default` and `raw` are handled by the caller).
/// `zone` converts dates to the customer's local time.
pub fn apply_filters(value: Value, filters: &[Filter], zone: Option<&time::TimeZone>) -> String {
    let mut text = match value {
        Value::Num(n) => crate::eval::fmt_num(n),
        Value::Str(s) => s.to_owned(),
        Value::Bool(b) => b.to_string(),
    };
    let num = match value {
        Value::Num(n) => Some(n),
        Value::Str(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        Value::Bool(_) => None,
    };
    for f in filters {
        text = match f {
            Filter::Money(code) => match num {
                Some(n) => money(n, code),
                None => text,
            },
            Filter::Number(decimals) => match num {
                Some(n) => group(n, *decimals),
                None => text,
            },
            Filter::Date(style) => {
                let ms = match value {
                    Value::Num(n) => Some(n as i64),
                    Value::Str(s) => time::parse_timestamp(s).ok(),
                    Value::Bool(_) => None,
                };
                match ms {
                    Some(ms) => date(ms, *style, zone),
                    None => text,
                }
            }
            Filter::Upper => crate::host::uppercase(&text),
            Filter::Lower => crate::host::lowercase(&text),
            Filter::Default(_) | Filter::Raw => text,
        };
    }
    text
}

fn money(n: f64, code: &str) -> String {
    let decimals = if code == "JPY" { 0 } else { 2 };
    let amount = group(n.abs(), decimals);
    let sign = if n < 0.0 && amount.trim_start_matches(['0', '.', ',']).is_empty() {
        ""
    } else if n < 0.0 {
        "-"
    } else {
        ""
    };
    match code {
        "USD" => format!("{sign}${amount}"),
        "EUR" => format!("{sign}€{amount}"),
        "GBP" => format!("{sign}£{amount}"),
        "JPY" => format!("{sign}¥{amount}"),
        _ => format!("{sign}{amount} {code}"),
    }
}

/// `1234567.891` with 2 decimals → `1,234,567.89`.
fn group(n: f64, decimals: u8) -> String {
    let fixed = format!("{:.*}", decimals as usize, n.abs());
    let (int, frac) = fixed.split_once('.').map_or((fixed.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let negative = n < 0.0 && fixed.bytes().any(|b| (b'1'..=b'9').contains(&b));
    format!("{}{grouped}{}", if negative { "-" } else { "" }, frac.map(|f| format!(".{f}")).unwrap_or_default())
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

fn date(ms: i64, style: DateStyle, zone: Option<&time::TimeZone>) -> String {
    let local = zone.map_or(ms, |z| ms.saturating_add(z.offset_at(ms.div_euclid(1000)) as i64 * 1000));
    let days = local.div_euclid(86_400_000);
    let (y, m, d) = time::civil_from_days(days);
    let minute_of_day = local.rem_euclid(86_400_000) / 60_000;
    let weekday = (time::weekday_from_days(days) as usize + 6) % 7; // WEEKDAYS starts on Monday
    let month = MONTHS[(m as usize).clamp(1, 12) - 1];
    match style {
        DateStyle::Iso => format!("{y:04}-{m:02}-{d:02}"),
        DateStyle::Short => format!("{d} {} {y}", &month[..3]),
        DateStyle::Long => format!("{} {d} {month} {y}", WEEKDAYS[weekday]),
        DateStyle::Time => format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let f = |v: Value, filters: &[Filter]| apply_filters(v, filters, None);
        assert_eq!(f(Value::Num(1234.5), &[Filter::Money("USD".into())]), "$1,234.50");
        assert_eq!(f(Value::Num(-0.001), &[Filter::Money("EUR".into())]), "€0.00");
        assert_eq!(f(Value::Num(-1234567.0), &[Filter::Money("CHF".into())]), "-1,234,567.00 CHF");
        assert_eq!(f(Value::Num(1500.0), &[Filter::Money("JPY".into())]), "¥1,500");
        assert_eq!(f(Value::Str("42.126"), &[Filter::Number(2)]), "42.13");
        assert_eq!(f(Value::Num(999.0), &[Filter::Number(0)]), "999");
        assert_eq!(f(Value::Str("not a number"), &[Filter::Money("USD".into())]), "not a number");
        assert_eq!(f(Value::Str("gold"), &[Filter::Upper]), "GOLD");
        let ms: i64 = 1_795_458_600_000; // 2026-11-23T18:30:00Z, a Monday
        assert_eq!(f(Value::Num(ms as f64), &[Filter::Date(DateStyle::Iso)]), "2026-11-23");
        assert_eq!(f(Value::Num(ms as f64), &[Filter::Date(DateStyle::Short)]), "23 Nov 2026");
        assert_eq!(f(Value::Str("2026-11-23T18:30:00Z"), &[Filter::Date(DateStyle::Long)]), "Monday 23 November 2026");
        let tokyo = time::TimeZone::named("Asia/Tokyo").unwrap();
        assert_eq!(
            apply_filters(Value::Num(ms as f64), &[Filter::Date(DateStyle::Long)], Some(&tokyo)),
            "Tuesday 24 November 2026"
        );
        assert_eq!(apply_filters(Value::Num(ms as f64), &[Filter::Date(DateStyle::Time)], Some(&tokyo)), "03:30");
    }
}
