//! Time zones as POSIX TZ rules (the footer of each tzdata file).
//!
//! A rule gives the standard offset and, where the zone observes DST, the
//! yearly switch dates. It is exact for the present and future, which is what
//! a decision about "now" needs; instants before a zone's last rule change may
//! be off (documented in docs/time.md).

use super::{days_from_civil, tz_table::ZONES, weekday_from_days};
use std::fmt;

/// Why a time zone could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TzError {
    /// The name is not an IANA zone we know.
    UnknownZone { name: String, suggestion: Option<String> },
    /// An explicit offset was not `±HH:MM` (or `UTC±H`).
    BadOffset(String),
}

impl fmt::Display for TzError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TzError::UnknownZone { name, suggestion: Some(s) } => {
                write!(f, "unknown time zone `{name}` (did you mean `{s}`?)")
            }
            TzError::UnknownZone { name, suggestion: None } => {
                write!(f, "unknown time zone `{name}`: expected an IANA name like `Europe/Paris`")
            }
            TzError::BadOffset(s) => write!(f, "`{s}` is not a UTC offset: expected ±HH:MM like `+05:30`"),
        }
    }
}

/// A zone: a fixed offset, or standard/daylight offsets with yearly switches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeZone {
    Fixed { offset_secs: i32 },
    Rule(DstRule),
}

/// Offsets are seconds east of UTC (the opposite of POSIX's sign).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DstRule {
    std_offset: i32,
    dst_offset: i32,
    start: Transition,
    end: Transition,
}

/// `Mm.w.d/time`: day `d` (0 = Sunday) of week `w` (5 = last) of month `m`, at local `time` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Transition {
    month: u32,
    week: u32,
    weekday: u32,
    time_secs: i32,
}

impl TimeZone {
    pub const UTC: TimeZone = TimeZone::Fixed { offset_secs: 0 };

    /// Looks up an IANA zone name (`Europe/Paris`), case-insensitively.
    pub fn named(name: &str) -> Result<TimeZone, TzError> {
        let found = ZONES
            .binary_search_by(|(n, _)| n.cmp(&name))
            .ok()
            .or_else(|| ZONES.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)));
        match found {
            Some(i) => parsed(i).ok_or_else(|| TzError::UnknownZone { name: name.into(), suggestion: None }),
            None => Err(TzError::UnknownZone {
                name: name.into(),
                suggestion: crate::suggest::nearest(name, ZONES.iter().map(|(n, _)| *n)).map(String::from),
            }),
        }
    }

    /// Parses an explicit offset: `+05:30`, `-08:00`, `+0530`, `UTC+2`, `Z`.
    pub fn offset(text: &str) -> Result<TimeZone, TzError> {
        let bad = || TzError::BadOffset(text.into());
        let t = text.trim();
        let t = t.strip_prefix("UTC").or_else(|| t.strip_prefix("GMT")).unwrap_or(t);
        if t.is_empty() || t == "Z" {
            return Ok(TimeZone::UTC);
        }
        let (sign, rest) = match t.as_bytes()[0] {
            b'+' => (1, &t[1..]),
            b'-' => (-1, &t[1..]),
            _ => return Err(bad()),
        };
        let (h, m) = match rest.split_once(':') {
            Some((h, m)) => (h, m),
            None if rest.len() == 4 => rest.split_at(2),
            None => (rest, "0"),
        };
        let h: i32 = h.parse().map_err(|_| bad())?;
        let m: i32 = m.parse().map_err(|_| bad())?;
        if !(0..=14).contains(&h) || !(0..60).contains(&m) {
            return Err(bad());
        }
        Ok(TimeZone::Fixed { offset_secs: sign * (h * 3600 + m * 60) })
    }

    /// UTC offset in seconds in force at `utc_secs`.
    pub fn offset_at(&self, utc_secs: i64) -> i32 {
        match self {
            TimeZone::Fixed { offset_secs } => *offset_secs,
            TimeZone::Rule(rule) => rule.offset_at(utc_secs),
        }
    }
}

impl DstRule {
    fn offset_at(&self, utc_secs: i64) -> i32 {
        let local_std = utc_secs + self.std_offset as i64;
        let (year, _, _) = super::civil_from_days(local_std.div_euclid(86_400));
        // The start time is written in standard time, the end time in daylight time.
        let start = self.start.local_secs(year) - self.std_offset as i64;
        let end = self.end.local_secs(year) - self.dst_offset as i64;
        let in_dst = if start < end {
            start <= utc_secs && utc_secs < end
        } else {
            // Southern hemisphere, or Dublin's "negative DST": DST spans the new year.
            !(end <= utc_secs && utc_secs < start)
        };
        if in_dst {
            self.dst_offset
        } else {
            self.std_offset
        }
    }
}

impl Transition {
    fn local_secs(&self, year: i64) -> i64 {
        let first = days_from_civil(year, self.month, 1);
        let first_wd = weekday_from_days(first);
        let mut day = first + ((self.weekday + 7 - first_wd) % 7) as i64 + 7 * (self.week as i64 - 1);
        let next_month =
            if self.month == 12 { days_from_civil(year + 1, 1, 1) } else { days_from_civil(year, self.month + 1, 1) };
        while day >= next_month {
            day -= 7;
        }
        day * 86_400 + self.time_secs as i64
    }
}

/// Each zone's rule, parsed on first use: every decision resolves the visitor's zone, and
/// parsing its POSIX rule each time was a quarter of a small bundle's decision (replays).
static PARSED: std::sync::OnceLock<Vec<std::sync::OnceLock<Option<TimeZone>>>> = std::sync::OnceLock::new();

fn parsed(i: usize) -> Option<TimeZone> {
    let table = PARSED.get_or_init(|| ZONES.iter().map(|_| std::sync::OnceLock::new()).collect());
    table.get(i)?.get_or_init(|| ZONES.get(i).and_then(|(_, rule)| parse_posix(rule))).clone()
}

/// Parses the POSIX TZ forms tzdata footers use: `CET-1CEST,M3.5.0,M10.5.0/3`,
/// `<+0330>-3:30`, `<-02>2<-01>,M3.5.0/-1,M10.5.0/0`.
fn parse_posix(s: &str) -> Option<TimeZone> {
    let mut p = Parser { s: s.as_bytes(), i: 0 };
    p.name()?;
    let std_offset = -p.hms()?;
    if p.done() {
        return Some(TimeZone::Fixed { offset_secs: std_offset });
    }
    p.name()?;
    let dst_offset = if p.peek() == Some(b',') { std_offset + 3600 } else { -p.hms()? };
    p.eat(b',')?;
    let start = p.transition()?;
    p.eat(b',')?;
    let end = p.transition()?;
    p.done().then_some(TimeZone::Rule(DstRule { std_offset, dst_offset, start, end }))
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn done(&self) -> bool {
        self.i == self.s.len()
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }
    fn name(&mut self) -> Option<()> {
        if self.peek()? == b'<' {
            let close = self.s[self.i..].iter().position(|&c| c == b'>')?;
            self.i += close + 1;
        } else {
            let n = self.s[self.i..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
            (n >= 3).then_some(())?;
            self.i += n;
        }
        Some(())
    }
    fn number(&mut self) -> Option<i32> {
        let n = self.s[self.i..].iter().take_while(|c| c.is_ascii_digit()).count();
        (1..=3).contains(&n).then_some(())?;
        let v = std::str::from_utf8(&self.s[self.i..self.i + n]).ok()?.parse().ok()?;
        self.i += n;
        Some(v)
    }
    /// `[+-]hh[:mm[:ss]]` in seconds.
    fn hms(&mut self) -> Option<i32> {
        let sign = match self.peek()? {
            b'-' => {
                self.i += 1;
                -1
            }
            b'+' => {
                self.i += 1;
                1
            }
            _ => 1,
        };
        let mut secs = self.number()? * 3600;
        if self.eat(b':').is_some() {
            secs += self.number()? * 60;
            if self.eat(b':').is_some() {
                secs += self.number()?;
            }
        }
        Some(sign * secs)
    }
    fn transition(&mut self) -> Option<Transition> {
        self.eat(b'M')?;
        let month = self.number()? as u32;
        self.eat(b'.')?;
        let week = self.number()? as u32;
        self.eat(b'.')?;
        let weekday = self.number()? as u32;
        let valid = (1..=12).contains(&month) && (1..=5).contains(&week) && weekday <= 6;
        valid.then_some(())?;
        let time_secs = if self.eat(b'/').is_some() { self.hms()? } else { 7200 };
        Some(Transition { month, week, weekday, time_secs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{parse_timestamp, LocalTime};

    fn local(zone: &str, ts: &str) -> (u32, i32) {
        let ms = parse_timestamp(ts).unwrap();
        let lt = LocalTime::at(ms, &TimeZone::named(zone).unwrap());
        (lt.minute_of_day, lt.offset_secs / 60)
    }

    #[test]
    fn every_zone_in_the_table_parses() {
        for (name, rule) in ZONES {
            assert!(parse_posix(rule).is_some(), "{name}: {rule}");
        }
    }

    #[test]
    fn spring_forward_new_york() {
        // 2026-03-08 02:00 EST -> 03:00 EDT, i.e. 07:00 UTC.
        assert_eq!(local("America/New_York", "2026-03-08T06:59:59Z"), (60 + 59, -300));
        assert_eq!(local("America/New_York", "2026-03-08T07:00:00Z"), (180, -240));
    }

    #[test]
    fn fall_back_paris() {
        // 2026-10-25 03:00 CEST -> 02:00 CET, i.e. 01:00 UTC.
        assert_eq!(local("Europe/Paris", "2026-10-25T00:59:59Z"), (2 * 60 + 59, 120));
        assert_eq!(local("Europe/Paris", "2026-10-25T01:00:00Z"), (2 * 60, 60));
    }

    #[test]
    fn southern_and_negative_dst() {
        // Sydney: DST from first Sunday of October to first Sunday of April.
        assert_eq!(local("Australia/Sydney", "2026-01-15T00:00:00Z").1, 660);
        assert_eq!(local("Australia/Sydney", "2026-07-15T00:00:00Z").1, 600);
        // Dublin: "IST" in summer (+1), GMT in winter, encoded as negative DST.
        assert_eq!(local("Europe/Dublin", "2026-07-15T00:00:00Z").1, 60);
        assert_eq!(local("Europe/Dublin", "2026-12-15T00:00:00Z").1, 0);
        assert_eq!(local("Asia/Kolkata", "2026-07-15T00:00:00Z").1, 330);
    }

    #[test]
    fn offsets_and_unknown_names() {
        assert_eq!(TimeZone::offset("+05:30"), Ok(TimeZone::Fixed { offset_secs: 19_800 }));
        assert_eq!(TimeZone::offset("UTC-8"), Ok(TimeZone::Fixed { offset_secs: -28_800 }));
        assert_eq!(TimeZone::offset("-0800"), Ok(TimeZone::Fixed { offset_secs: -28_800 }));
        assert!(TimeZone::offset("+25:00").is_err() && TimeZone::offset("noon").is_err());
        assert!(TimeZone::named("europe/paris").is_ok());
        match TimeZone::named("Europe/Pariss") {
            Err(TzError::UnknownZone { suggestion, .. }) => assert_eq!(suggestion.as_deref(), Some("Europe/Paris")),
            other => panic!("{other:?}"),
        }
    }
}
