//! A [`kairos::host::Host`] backed by the JS engine: zone offsets from `Temporal` (or `Intl` where
//! the engine has no Temporal) and non-ASCII case mapping from `toLowerCase`/`toUpperCase`, in
//! place of tables the browser and workerd already carry. The page module and the Worker, built
//! without kairos's `zone-table` and `case-tables`, call [`install`] before they decide; one copy
//! of the JS for both.
//!
//! The same decisions as the table build on the scenario vectors (tests/every-way.mjs runs them
//! in Chromium, which has Temporal, and in workerd; tests/worker runs the Worker's own). Where the
//! two may differ: instants before a zone's last rule change, which the table approximates by its
//! current rule and the engine gives from full history (docs/time.md), and characters new in a
//! later Unicode version than one side knows.

mod intl {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(inline_js = r#"
// Temporal where the engine has it (recent Chromium): no locale data to load, about 0.3 ms for a
// first offset against about 15 ms for a first Intl.DateTimeFormat. Intl elsewhere (Node 20,
// older browsers). Both read the engine's own tz database, so they give the same offsets.
const temporal = typeof Temporal === 'object' && Temporal !== null && typeof Temporal.Instant === 'function';
const zones = []; // per id: [name, Intl.DateTimeFormat made on first use]
const ids = new Map();
function format(zone) {
  return zone[1] || (zone[1] = new Intl.DateTimeFormat('en-US', { timeZone: zone[0], hourCycle: 'h23', era: 'short',
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }));
}
// Zone id for an IANA name (both match names case-insensitively and know the links), or -1.
export function zone_id(name) {
  let id = ids.get(name);
  if (id === undefined) {
    try {
      const zone = [name, null];
      if (temporal) Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(name);
      else format(zone);
      id = zones.push(zone) - 1;
    } catch (_) { id = -1; }
    ids.set(name, id);
  }
  return id;
}
// Seconds east of UTC in force at utcSecs.
export function zone_offset(id, utcSecs) {
  const ms = utcSecs * 1000;
  if (!(Math.abs(ms) <= 8.64e15)) return 0;
  const zone = zones[id];
  if (temporal) {
    try { return Math.round(Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone[0]).offsetNanoseconds / 1e9); } catch (_) { /* Intl below */ }
  }
  // The zone's wall clock at that instant, read as if it were UTC, minus the instant. Nothing may
  // throw from here: an exception would unwind through wasm mid-decision.
  try {
    const p = {};
    for (const { type, value } of format(zone).formatToParts(ms)) p[type] = value;
    const year = p.era === 'BC' || p.era === 'B' ? 1 - p.year : +p.year;
    const wall = new Date(0);
    wall.setUTCFullYear(year, p.month - 1, +p.day);
    wall.setUTCHours(p.hour % 24, +p.minute, +p.second, 0);
    const offset = Math.round((wall.getTime() - ms) / 1000);
    return Number.isFinite(offset) ? offset : 0;
  } catch (_) { return 0; }
}
export function lower(text) { return text.toLowerCase(); }
export function upper(text) { return text.toUpperCase(); }
"#)]
    extern "C" {
        fn zone_id(name: &str) -> i32;
        fn zone_offset(id: u32, utc_secs: f64) -> i32;
        fn lower(text: &str) -> String;
        fn upper(text: &str) -> String;
    }

    pub(crate) fn install() {
        kairos::host::install(kairos::host::Host {
            zone: |name| u32::try_from(zone_id(name)).ok(),
            // Instants in contexts are bounded (years 1000–9999), well inside an f64's exact integers.
            zone_offset: |id, utc_secs| zone_offset(id, utc_secs as f64),
            lowercase: |text| lower(text),
            uppercase: |text| upper(text),
        });
    }
}

/// Installs the JS-backed host (the first call wins; later ones cost a check).
pub fn install() {
    intl::install();
}
