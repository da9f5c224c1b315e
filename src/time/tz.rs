//! Time zones as POSIX TZ rules (the footer of each tzdata file), plus the
//! explicit transitions of the few zones whose coming years no rule describes.
//!
//! A rule gives the standard offset and, where the zone observes DST, the
//! yearly switch dates. It is exact for the present and future of most zones,
//! which is what a decision about "now" needs; instants before a zone's last
//! rule change may be off (documented in docs/time.md). Morocco's and
//! Palestine's Ramadan changes, or a zone whose rule changes soon, are listed
//! in tzdata transition by transition: for those the table keeps the list from
//! 2026 until the rule takes over ([`Transitions`]).
//!
//! The file stays whole: its code is about 330 lines, and the rest is tests that exercise the
//! table, the POSIX rule parser and the offset lookup together.

#[cfg(feature = "zone-table")]
use super::tz_table::{LISTED, ZONES};
use super::{days_from_civil, weekday_from_days};
use std::fmt;

/// Why a time zone could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TzError {
    /// The name is not an IANA zone we know.
    UnknownZone {
        /// The name as given.
        name: String,
        /// The nearest known name, when one is close.
        suggestion: Option<String>,
    },
    /// An explicit offset was not `±HH:MM` (or `UTC±H`).
    BadOffset(String),
}

impl TzError {
    /// Always `E_TIMEZONE`.
    pub fn code(&self) -> crate::error::ErrorCode {
        crate::error::ErrorCode::Timezone
    }
}

impl std::error::Error for TzError {}

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

/// A zone: a fixed offset, or standard/daylight offsets with yearly switches,
/// or explicit transitions followed by one of those.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeZone {
    /// A fixed offset from UTC.
    Fixed {
        /// Seconds east of UTC.
        offset_secs: i32,
    },
    /// Standard and daylight offsets with yearly switch rules.
    Rule(DstRule),
    /// Explicit transitions, then a rule or fixed offset.
    Listed(Listed),
    /// A zone the embedder resolves (builds without the zone table: [`crate::host`]).
    #[cfg(not(feature = "zone-table"))]
    Host(u32),
}

/// A zone's explicit transitions, then its footer rule from the last one on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    transitions: &'static Transitions,
    then: Footer,
}

/// What a [`Listed`] zone follows after its transitions. Not a `Box<TimeZone>`:
/// zones are cloned out of the cache on every decision, and that must not allocate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "zone-table"), allow(dead_code))]
enum Footer {
    Fixed(i32),
    Rule(DstRule),
}

/// Explicit transitions, as the generated table stores them (scripts/gen-tz.py):
/// whole minutes, which every transition since 1970 is, to keep the table small.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Transitions {
    /// UTC instants in minutes since 1970, ascending; the offset changes at each,
    /// and from the last one on the footer rule applies.
    pub(crate) at_min: &'static [u32],
    /// UTC offset in minutes from `at_min[i]` until `at_min[i + 1]` (one fewer than `at_min`).
    pub(crate) offset_min: &'static [i16],
}

impl Transitions {
    /// The listed offset in seconds at `utc_secs`, or `None` outside the listed span.
    fn offset_at(&self, utc_secs: i64) -> Option<i32> {
        // Transitions fall on whole minutes, so comparing floored minutes is exact.
        let minute = utc_secs.div_euclid(60);
        let after = self.at_min.partition_point(|&m| i64::from(m) <= minute);
        let i = after.checked_sub(1)?;
        self.offset_min.get(i).map(|&m| i32::from(m) * 60)
    }
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
    /// Coordinated Universal Time.
    pub const UTC: TimeZone = TimeZone::Fixed { offset_secs: 0 };

    /// Looks up an IANA zone name (`Europe/Paris`), case-insensitively.
    #[cfg(feature = "zone-table")]
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

    /// Asks the embedder for an IANA zone name ([`crate::host`]): this build has no zone table.
    #[cfg(not(feature = "zone-table"))]
    pub fn named(name: &str) -> Result<TimeZone, TzError> {
        crate::host::get()
            .and_then(|host| (host.zone)(name))
            .map(TimeZone::Host)
            .ok_or_else(|| TzError::UnknownZone { name: name.into(), suggestion: None })
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
            // `+0530`; a non-ASCII `+1é1` falls through and fails to parse rather than split a char.
            None if rest.len() == 4 && rest.is_char_boundary(2) => rest.split_at(2),
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
            TimeZone::Listed(listed) => listed.transitions.offset_at(utc_secs).unwrap_or_else(|| match &listed.then {
                Footer::Fixed(offset_secs) => *offset_secs,
                Footer::Rule(rule) => rule.offset_at(utc_secs),
            }),
            // Installed, or no zone of this kind could have been made.
            #[cfg(not(feature = "zone-table"))]
            TimeZone::Host(id) => crate::host::get().map_or(0, |host| (host.zone_offset)(*id, utc_secs)),
        }
    }
}

impl DstRule {
    fn offset_at(&self, utc_secs: i64) -> i32 {
        // Saturating: any i64 is accepted, and near its ends any offset will do, a panic will not.
        let local_std = utc_secs.saturating_add(self.std_offset as i64);
        let (year, _, _) = super::civil_from_days(local_std.div_euclid(86_400));
        // The start time is written in standard time, the end time in daylight time.
        let start = self.start.local_secs(year).saturating_sub(self.std_offset as i64);
        let end = self.end.local_secs(year).saturating_sub(self.dst_offset as i64);
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
        day.saturating_mul(86_400).saturating_add(self.time_secs as i64)
    }
}

#[cfg(feature = "zone-table")]
/// Each zone's rule, parsed on first use: every decision resolves the visitor's zone, and
/// parsing its POSIX rule each time was a quarter of a small bundle's decision (replays).
static PARSED: std::sync::OnceLock<Vec<std::sync::OnceLock<Option<TimeZone>>>> = std::sync::OnceLock::new();

#[cfg(feature = "zone-table")]
fn parsed(i: usize) -> Option<TimeZone> {
    let table = PARSED.get_or_init(|| ZONES.iter().map(|_| std::sync::OnceLock::new()).collect());
    table.get(i)?.get_or_init(|| zone_at(i)).clone()
}

#[cfg(feature = "zone-table")]
fn zone_at(i: usize) -> Option<TimeZone> {
    let footer = parse_posix(ZONES.get(i)?.1)?;
    let Ok(at) = LISTED.binary_search_by_key(&i, |&(zone, _)| usize::from(zone)) else {
        return Some(footer);
    };
    let then = match footer {
        TimeZone::Fixed { offset_secs } => Footer::Fixed(offset_secs),
        TimeZone::Rule(rule) => Footer::Rule(rule),
        TimeZone::Listed(_) => return None,
    };
    Some(TimeZone::Listed(Listed { transitions: LISTED.get(at)?.1, then }))
}

#[cfg(feature = "zone-table")]
/// Every IANA zone name the table knows, in table order.
pub(crate) fn zone_names() -> impl Iterator<Item = &'static str> {
    ZONES.iter().map(|&(name, _)| name)
}

#[cfg(feature = "zone-table")]
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

#[cfg(feature = "zone-table")]
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

#[cfg(feature = "zone-table")]
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

#[cfg(all(test, feature = "zone-table"))]
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
        for (i, (name, rule)) in ZONES.iter().enumerate() {
            assert!(parse_posix(rule).is_some(), "{name}: {rule}");
            assert!(zone_at(i).is_some(), "{name}");
        }
    }

    #[test]
    fn listed_transitions_are_well_formed() {
        assert!(LISTED.windows(2).all(|w| w[0].0 < w[1].0), "LISTED is sorted by zone index, once each");
        for &(zone, t) in LISTED {
            let name = ZONES.get(usize::from(zone)).map(|z| z.0);
            assert!(name.is_some(), "LISTED names zone {zone}, past the table");
            assert!(t.at_min.windows(2).all(|w| w[0] < w[1]), "{name:?}: instants ascend");
            assert_eq!(t.offset_min.len() + 1, t.at_min.len(), "{name:?}: an offset between each two instants");
            assert!(matches!(TimeZone::named(name.unwrap()), Ok(TimeZone::Listed(_))));
        }
    }

    #[test]
    fn morocco_follows_its_listed_transitions() {
        // tzdata 2026f: +01 until 2026-02-15 02:00Z, +00 (Ramadan), +01 from 2026-03-22 02:00Z,
        // then +00 from 2026-09-20 01:00Z on, which is the footer rule.
        for zone in ["Africa/Casablanca", "Africa/El_Aaiun"] {
            assert_eq!(local(zone, "2026-01-10T12:00:00Z").1, 60, "{zone}");
            assert_eq!(local(zone, "2026-02-15T01:59:59Z").1, 60, "{zone}");
            assert_eq!(local(zone, "2026-02-15T02:00:00Z").1, 0, "{zone}");
            assert_eq!(local(zone, "2026-03-22T01:59:59Z"), (60 + 59, 0), "{zone}");
            assert_eq!(local(zone, "2026-03-22T02:00:00Z"), (3 * 60, 60), "{zone}");
            assert_eq!(local(zone, "2026-09-20T00:59:59Z").1, 60, "{zone}");
            assert_eq!(local(zone, "2026-09-20T01:00:00Z").1, 0, "{zone}");
            assert_eq!(local(zone, "2031-06-01T00:00:00Z").1, 0, "{zone}");
        }
    }

    #[test]
    fn transitions_lookup_edges() {
        static T: Transitions = Transitions { at_min: &[10, 20, 30], offset_min: &[60, -30] };
        assert_eq!(T.offset_at(10 * 60 - 1), None, "before the list: the footer's");
        assert_eq!(T.offset_at(10 * 60), Some(3600));
        assert_eq!(T.offset_at(20 * 60 - 1), Some(3600));
        assert_eq!(T.offset_at(20 * 60), Some(-1800));
        assert_eq!(T.offset_at(30 * 60), None, "from the last instant on: the footer's");
        for malformed in [
            Transitions { at_min: &[], offset_min: &[] },
            Transitions { at_min: &[10], offset_min: &[] },
            Transitions { at_min: &[10, 20], offset_min: &[] },
            Transitions { at_min: &[], offset_min: &[60] },
        ] {
            for secs in [i64::MIN, -1, 0, 600, 1200, i64::MAX] {
                assert_eq!(malformed.offset_at(secs), None);
            }
        }
    }

    #[test]
    fn no_instant_panics() {
        let instants = [i64::MIN, i64::MIN + 1, -86_400_000_001, -1, 0, 1, 1 << 40, 1 << 55, i64::MAX - 1, i64::MAX];
        for (name, _) in ZONES {
            let zone = TimeZone::named(name).unwrap();
            for ms in instants {
                let lt = LocalTime::at(ms, &zone);
                assert!(lt.minute_of_day < 1440 && lt.weekday < 7, "{name} at {ms}");
                let _ = lt.date();
                let _ = zone.offset_at(ms);
            }
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
        assert!(TimeZone::offset("+1é1").is_err(), "not split inside a character");
        assert!(TimeZone::named("europe/paris").is_ok());
        match TimeZone::named("Europe/Pariss") {
            Err(TzError::UnknownZone { suggestion, .. }) => assert_eq!(suggestion.as_deref(), Some("Europe/Paris")),
            other => panic!("{other:?}"),
        }
    }
}
