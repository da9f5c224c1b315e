//! Calendar arithmetic, timestamps, durations and time zones.
//!
//! The core never reads a clock: every function here takes the instant it
//! works on. Days are proleptic Gregorian, computed with Howard Hinnant's
//! `days_from_civil` algorithms so no date library is pulled into the wasm.

mod tz;
// Kept as scripts/gen-tz.py writes it, so that `gen-tz.py --check` can compare it byte for byte.
#[cfg(feature = "zone-table")]
#[rustfmt::skip]
mod tz_table;

pub use tz::{TimeZone, TzError};

use crate::error::ErrorCode;
#[cfg(feature = "zone-table")]
pub use tz_table::TZDATA_VERSION;

/// Every IANA zone name [`TimeZone::named`] knows (links such as `US/Eastern` included).
#[cfg(feature = "zone-table")]
pub fn zone_names() -> impl Iterator<Item = &'static str> {
    tz::zone_names()
}

/// Milliseconds in one minute.
pub const MINUTE_MS: i64 = 60_000;
/// Milliseconds in one hour.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Milliseconds in one day.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month 1..=12, day 1..=31) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Day of week of a day count since 1970-01-01: 0 = Sunday … 6 = Saturday.
pub fn weekday_from_days(days: i64) -> u32 {
    (days + 4).rem_euclid(7) as u32
}

/// Local wall-clock facts about an instant, in some zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// Minutes since local midnight, 0..1440.
    pub minute_of_day: u32,
    /// 0 = Sunday … 6 = Saturday.
    pub weekday: u32,
    /// UTC offset in seconds that applied.
    pub offset_secs: i32,
    /// The local date, as days since 1970-01-01 (see [`LocalTime::date`]).
    pub days: i64,
}

impl LocalTime {
    /// The local facts of `now_ms` in `zone`.
    pub fn at(now_ms: i64, zone: &TimeZone) -> LocalTime {
        let offset_secs = zone.offset_at(now_ms.div_euclid(1000));
        // Saturating: `now` comes from contexts, and an absurd one must not panic.
        let local_ms = now_ms.saturating_add(offset_secs as i64 * 1000);
        let days = local_ms.div_euclid(DAY_MS);
        LocalTime {
            minute_of_day: (local_ms.rem_euclid(DAY_MS) / MINUTE_MS) as u32,
            weekday: weekday_from_days(days),
            offset_secs,
            days,
        }
    }

    /// The local date: (year, month 1..=12, day 1..=31).
    pub fn date(&self) -> (i64, u32, u32) {
        civil_from_days(self.days)
    }
}

/// Weekday names as rules write them, indexed like [`LocalTime::weekday`].
pub const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// What a [`TimeError`] was reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeKind {
    /// An RFC 3339 timestamp ([`parse_timestamp`]).
    Timestamp,
    /// A duration like `48h` ([`parse_duration`]).
    Duration,
    /// A time of day like `18:00` ([`parse_clock`]).
    Clock,
}

/// A timestamp, duration or time of day that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError {
    /// What was being read.
    pub kind: TimeKind,
    /// The byte offset in the input where it went wrong, when one is known.
    pub offset: Option<usize>,
    /// What is wrong and what was expected, quoting the input, for people.
    pub message: String,
}

impl TimeError {
    /// `E_DURATION` for durations, `E_TIME` for timestamps and times of day.
    pub fn code(&self) -> ErrorCode {
        match self.kind {
            TimeKind::Duration => ErrorCode::Duration,
            TimeKind::Timestamp | TimeKind::Clock => ErrorCode::Time,
        }
    }
}

impl std::fmt::Display for TimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TimeError {}

/// Parses an RFC 3339 / ISO 8601 timestamp (`2026-11-23T18:05:00Z`,
/// `2026-11-23T18:05:00.250+01:00`, or a bare date `2026-11-23` as UTC
/// midnight) into epoch milliseconds.
pub fn parse_timestamp(s: &str) -> Result<i64, TimeError> {
    let b = s.as_bytes();
    let fail = |offset: usize, message: String| TimeError { kind: TimeKind::Timestamp, offset: Some(offset), message };
    let num = |from: usize, len: usize| -> Result<i64, TimeError> {
        let part = b.get(from..from + len).ok_or_else(|| fail(b.len(), format!("timestamp `{s}` is too short")))?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(fail(from, format!("expected digits at offset {from} of timestamp `{s}`")));
        }
        Ok(part.iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
    };
    let expect = |at: usize, chars: &[u8]| -> Result<(), TimeError> {
        match b.get(at) {
            Some(c) if chars.contains(c) => Ok(()),
            _ => Err(fail(
                at,
                format!("expected one of {:?} at offset {at} of timestamp `{s}`", String::from_utf8_lossy(chars)),
            )),
        }
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    expect(4, b"-")?;
    expect(7, b"-")?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month as u32) as i64 {
        return Err(fail(0, format!("timestamp `{s}` is not a real calendar date")));
    }
    let days = days_from_civil(year, month as u32, day as u32);
    if b.len() == 10 {
        return Ok(days * DAY_MS);
    }
    expect(10, b"Tt ")?;
    let (hour, minute) = (num(11, 2)?, num(14, 2)?);
    expect(13, b":")?;
    let mut pos = 16;
    let mut second = 0;
    let mut millis = 0;
    if b.get(pos) == Some(&b':') {
        second = num(pos + 1, 2)?;
        pos += 3;
        if matches!(b.get(pos), Some(b'.') | Some(b',')) {
            pos += 1;
            let start = pos;
            while b.get(pos).is_some_and(u8::is_ascii_digit) {
                if pos - start < 3 {
                    millis = millis * 10 + i64::from(b[pos] - b'0');
                }
                pos += 1;
            }
            if pos == start {
                return Err(fail(pos, format!("expected fraction digits in timestamp `{s}`")));
            }
            for _ in (pos - start)..3 {
                millis *= 10;
            }
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(fail(11, format!("timestamp `{s}` has an impossible time of day")));
    }
    let offset_secs = match b.get(pos) {
        Some(b'Z') | Some(b'z') if b.len() == pos + 1 => 0,
        Some(&sign @ (b'+' | b'-')) if b.len() == pos + 6 => {
            expect(pos + 3, b":")?;
            let (oh, om) = (num(pos + 1, 2)?, num(pos + 4, 2)?);
            if oh > 23 || om > 59 {
                return Err(fail(pos, format!("timestamp `{s}` has an impossible UTC offset")));
            }
            let v = oh * 3600 + om * 60;
            if sign == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return Err(fail(pos, format!("timestamp `{s}` needs a zone: `Z` or `±hh:mm` at offset {pos}"))),
    };
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Ok(secs * 1000 + millis)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Formats epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_timestamp(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let rem = ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / HOUR_MS,
        rem % HOUR_MS / MINUTE_MS,
        rem % MINUTE_MS / 1000,
        rem % 1000
    )
}

/// Parses a duration such as `30m`, `48h`, `7d`, `2w`, `1h30m`, `500ms` or
/// `45s` into milliseconds.
pub fn parse_duration(s: &str) -> Result<i64, TimeError> {
    let err = || TimeError {
        kind: TimeKind::Duration,
        offset: None,
        message: format!(
            "`{s}` is not a duration: expected a number and a unit (ms, s, m, h, d, w), like `30m` or `48h`"
        ),
    };
    let mut total: i64 = 0;
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(err());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(err());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" | "min" => MINUTE_MS,
            "h" => HOUR_MS,
            "d" => DAY_MS,
            "w" => 7 * DAY_MS,
            _ => return Err(err()),
        };
        rest = &rest[unit_len..];
        total = total.checked_add(n.checked_mul(unit).ok_or_else(err)?).ok_or_else(err)?;
    }
    Ok(total)
}

/// Formats milliseconds as the shortest exact duration (`48h`, `1h30m`).
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, name) in [(7 * DAY_MS, "w"), (DAY_MS, "d"), (HOUR_MS, "h"), (MINUTE_MS, "m"), (1000, "s"), (1, "ms")] {
        if rest >= unit {
            out.push_str(&format!("{}{name}", rest / unit));
            rest %= unit;
        }
    }
    out
}

/// Parses a wall-clock time `HH:MM` into minutes since midnight (`24:00` allowed as the end of a day).
pub fn parse_clock(s: &str) -> Result<u32, TimeError> {
    let err = || TimeError {
        kind: TimeKind::Clock,
        offset: None,
        message: format!("`{s}` is not a time of day: expected HH:MM, like `18:00`"),
    };
    let (h, m) = s.split_once(':').ok_or_else(err)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(err());
    }
    let h: u32 = h.parse().map_err(|_| err())?;
    let m: u32 = m.parse().map_err(|_| err())?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(err());
    }
    Ok(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 11_016, 20_415, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(weekday_from_days(days_from_civil(2026, 11, 23)), 1); // a Monday
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_timestamp("2026-11-23T18:05:00.25+01:00"), Ok(1_795_453_500_250));
        assert_eq!(format_timestamp(1_795_453_500_250), "2026-11-23T17:05:00.250Z");
        assert_eq!(parse_timestamp("2026-11-23"), Ok(1_795_392_000_000));
        for bad in ["", "2026-13-01", "2026-02-30T00:00:00Z", "2026-11-23T18:05", "2026-11-23T25:00:00Z", "２０２６"]
        {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_and_clocks() {
        assert_eq!(parse_duration("48h"), Ok(48 * HOUR_MS));
        assert_eq!(parse_duration("1h30m"), Ok(90 * MINUTE_MS));
        assert_eq!(format_duration(90 * MINUTE_MS), "1h30m");
        assert_eq!(format_duration(14 * DAY_MS), "2w");
        for bad in ["", "h", "48", "4x", "99999999999d", "-3h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_clock("18:00"), Ok(1080));
        assert_eq!(parse_clock("24:00"), Ok(1440));
        assert!(parse_clock("18:60").is_err() && parse_clock("1800").is_err());
    }
}
