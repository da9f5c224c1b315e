//! Replays (`kairos_replay`) and the synthetic log generator: counts checked by hand, both line
//! shapes, bounded memory, report formats, located errors.
//! One file: the hand-counted logs and their expected reports are read side by side.

mod support;

use kairos::context::Event;
use kairos::Engine;
use kairos_replay::gen::{generate, GenOptions, Shape, DEFAULT_START_MS};
use kairos_replay::{Replay, ReplayError, ReplayOptions, Report, SegmentCount};
use support::generated;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
/// 2026-11-02T00:00:00Z
const T0: i64 = DEFAULT_START_MS + 24 * HOUR;

/// Three segments (two history windows, one profile attribute) and a slot that reads them.
const BUNDLE: &str = r#"{
  "kairos": 1,
  "name": "replay-test",
  "segments": {
    "carted": { "gte": [ { "count": { "event": "cart_viewed", "within": "2h" } }, 1 ] },
    "bought": { "gte": [ { "count": { "event": "order_completed", "within": "3h" } }, 1 ] },
    "gold": { "eq": [ { "var": "profile.tier" }, "gold" ] }
  },
  "slots": {
    "offer": {
      "default": { "id": "none", "content": null },
      "variants": [
        { "id": "nudge", "priority": 10,
          "when": { "all": [ { "segment": "carted" }, { "not": { "segment": "bought" } } ] },
          "content": { "text": "Your cart is waiting" } },
        { "id": "vip", "priority": 5, "when": { "segment": "gold" }, "content": { "text": "Gold" } }
      ]
    }
  }
}"#;

fn engine(rules: &str) -> Engine {
    Engine::from_rules_or_bundle(rules.as_bytes()).unwrap()
}

fn hourly(from: i64, to: i64) -> ReplayOptions {
    ReplayOptions { from: Some(from), to: Some(to), step: HOUR, ..ReplayOptions::default() }
}

fn replay(engine: &Engine, opts: ReplayOptions, log: &str) -> Result<Report, ReplayError> {
    let mut r = Replay::new(engine, opts);
    r.read(log.as_bytes())?;
    Ok(r.finish())
}

fn compact(customer: &str, event: &str, at: i64) -> String {
    format!("{{\"c\":\"{customer}\",\"e\":\"{event}\",\"t\":{at}}}\n")
}

/// The handcrafted log: `a` views its cart and buys, `b` views its cart twice, `c` only has a
/// profile (gold). Times in minutes after T0.
fn handcrafted_log() -> String {
    let m = |minutes: i64| T0 + minutes * MIN;
    [
        format!("{{\"c\":\"c\",\"t\":{},\"profile\":{{\"tier\":\"gold\"}}}}\n", m(10)),
        compact("a", "cart_viewed", m(30)),
        compact("b", "Cart Viewed", m(45)),
        compact("a", "order_completed", m(90)),
        compact("b", "cart_viewed", m(170)),
    ]
    .concat()
}

fn seg(size: u64, entered: u64, left: u64, unknown: u64) -> SegmentCount {
    SegmentCount { size, entered, left, unknown }
}

#[test]
fn counts_a_handcrafted_log_step_by_step() {
    let e = engine(BUNDLE);
    let report = replay(&e, hourly(T0 + HOUR, T0 + 6 * HOUR), &handcrafted_log()).unwrap();
    // Segments come in name order (the bundle's map is sorted).
    assert_eq!(report.segments, ["bought", "carted", "gold"]);
    assert_eq!(report.slots, [("offer".to_string(), vec!["none".to_string(), "nudge".into(), "vip".into()])]);
    // The lookback is the longest window (3h); a customer is forgotten 3h after their last line.
    assert_eq!(report.lookback, 3 * HOUR);
    // Worked out by hand, step by step (see docs/replay.md for what each column means):
    // 01:00 a and b carted, c gold (a and b have no tier: unknown); a and b nudged, c vip.
    // 02:00 a bought (01:30): no longer nudged, and vip is unknown for a: the default.
    // 03:00 a's cart (00:30) left the 2h window; b carted again (02:50).
    // 04:00 c forgotten (last line 00:10 is more than 3h old): leaves gold.
    // 05:00 a forgotten (01:30): leaves bought; b's cart left the window.
    // 06:00 b forgotten (02:50): nobody left.
    let expected = [
        // hour, active, forgotten, [bought, carted, gold], [none, nudge, vip], decisions missing profile.tier
        (1, 3, 0, [seg(0, 0, 0, 0), seg(2, 2, 0, 0), seg(1, 1, 0, 2)], [0, 2, 1], 2),
        (2, 3, 0, [seg(1, 1, 0, 0), seg(2, 0, 0, 0), seg(1, 0, 0, 2)], [1, 1, 1], 2),
        (3, 3, 0, [seg(1, 0, 0, 0), seg(1, 0, 1, 0), seg(1, 0, 0, 2)], [1, 1, 1], 2),
        (4, 2, 1, [seg(1, 0, 0, 0), seg(1, 0, 0, 0), seg(0, 0, 1, 2)], [1, 1, 0], 2),
        (5, 1, 1, [seg(0, 0, 1, 0), seg(0, 0, 1, 0), seg(0, 0, 0, 1)], [1, 0, 0], 1),
        (6, 0, 1, [seg(0, 0, 0, 0), seg(0, 0, 0, 0), seg(0, 0, 0, 0)], [0, 0, 0], 0),
    ];
    assert_eq!(report.rows.len(), expected.len());
    assert_eq!(report.missing, ["profile.tier"]);
    for (row, (hour, active, evicted, segments, variants, tier_missing)) in report.rows.iter().zip(expected) {
        let at = kairos_replay::report::short_time(row.at);
        assert_eq!(row.at, T0 + hour * HOUR, "{at}");
        assert_eq!((row.active, row.evicted), (active, evicted), "{at}");
        assert_eq!(row.segments, segments, "{at}");
        assert_eq!(row.variants, [variants.to_vec()], "{at}");
        assert_eq!(row.missing, [tier_missing], "{at}");
    }
    assert_eq!(report.missing_totals, [9]);
    // Sizes follow from entries and exits.
    for w in report.rows.windows(2) {
        for (before, after) in w[0].segments.iter().zip(&w[1].segments) {
            assert_eq!(after.size, before.size + after.entered - after.left);
        }
    }
    let s = &report.stats;
    assert_eq!((s.lines, s.events, s.profile_updates, s.decisions, s.evicted), (5, 4, 1, 12, 3));
    assert_eq!((s.resident, s.peak_resident, s.late, s.skipped), (0, 3, 0, 0));
}

#[test]
fn the_lookback_is_the_longest_window_a_rule_reads() {
    use kairos_replay::Lookback;
    let lookback = |rules: &str, opts: ReplayOptions| {
        let e = engine(rules);
        let r = replay(&e, opts, "").unwrap();
        (e.program.longest_window_ms(), r.lookback, r.lookback_source)
    };
    let d = ReplayOptions::default;
    assert_eq!(lookback(BUNDLE, d()), (Some(3 * HOUR), 3 * HOUR, Lookback::Bundle));
    // Conversion suppression reads the whole history: capped.
    let demo = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo/rules.json")).unwrap();
    assert_eq!(lookback(&demo, d()), (None, 30 * 24 * HOUR, Lookback::Capped));
    assert_eq!(lookback(&demo, ReplayOptions { lookback: Some(HOUR), ..d() }), (None, HOUR, Lookback::Given));
    // Never shorter than a session: session signals come from recent events.
    let short = BUNDLE.replace("\"2h\"", "\"5m\"").replace("\"3h\"", "\"10m\"");
    assert_eq!(lookback(&short, d()), (Some(10 * MIN), 30 * MIN, Lookback::Bundle));
}

#[test]
fn default_steps_follow_the_log() {
    // No --from/--to: the first boundary is the first whole step after the first line, the last
    // the first at or after the last line.
    let e = engine(BUNDLE);
    let report = replay(&e, ReplayOptions { step: HOUR, ..ReplayOptions::default() }, &handcrafted_log()).unwrap();
    let hours: Vec<i64> = report.rows.iter().map(|r| (r.at - T0) / HOUR).collect();
    assert_eq!(hours, [1, 2, 3]);
    // Lines after --to are not read.
    let report = replay(&e, hourly(T0 + HOUR, T0 + HOUR), &handcrafted_log()).unwrap();
    assert_eq!((report.rows.len(), report.stats.lines), (1, 4));
}

#[test]
fn late_lines_count_from_the_next_step() {
    let e = engine(BUNDLE);
    let log = [compact("a", "page_viewed", T0 + 90 * MIN), compact("b", "cart_viewed", T0 + 30 * MIN)].concat();
    let report = replay(&e, hourly(T0 + HOUR, T0 + 2 * HOUR), &log).unwrap();
    assert_eq!(report.stats.late, 1);
    let carted = report.segments.iter().position(|s| s == "carted").unwrap();
    assert_eq!(report.rows[0].segments[carted].size, 0); // b's cart was not known at 01:00
    assert_eq!(report.rows[1].segments[carted].size, 1); // and counts at 02:00
}

#[test]
fn decisions_without_content_choose_the_same_variants() {
    let mut bundles = 0;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.to_str().unwrap();
        if !name.ends_with(".json") || name.ends_with(".context.json") {
            continue;
        }
        let e = engine(&std::fs::read_to_string(&path).unwrap());
        assert!(!e.reads_decisions(), "{name}");
        let ctx_text = std::fs::read_to_string(name.replace(".json", ".context.json")).unwrap();
        let ctx = kairos::json::parse_context(&ctx_text).unwrap();
        let full = e.decide(&ctx, kairos::Options::default());
        let (light, segments) = e.decide_with_segments(&ctx, kairos::Options::default(), false);
        let pick = |d: &kairos::Decision| -> Vec<(String, bool, &'static str)> {
            d.slots.iter().map(|s| (s.variant.clone(), s.is_default, s.reason)).collect()
        };
        assert_eq!(pick(&full), pick(&light), "{name}");
        assert_eq!((full.missing, full.holdout), (light.missing, light.holdout), "{name}");
        assert_eq!(segments.len(), e.program.segments.len());
        bundles += 1;
    }
    assert!(bundles >= 20);
    // A content that reads another slot's decision needs content to be built.
    let refs = r#"{"kairos": 1, "slots": {
        "a": {"default": {"id": "d", "content": null},
              "variants": [{"id": "v", "content": {"text": "{{decision.b.title}}"}}]},
        "b": {"default": {"id": "none", "content": {"title": "Hello"}}, "variants": []}}}"#;
    assert!(engine(refs).reads_decisions());
}

#[test]
fn gen_is_deterministic_for_a_seed() {
    let a = generated(60, 3, 42, Shape::Compact);
    assert!(a.len() > 10_000, "{} bytes", a.len());
    assert_eq!(a, generated(60, 3, 42, Shape::Compact));
    assert_ne!(a, generated(60, 3, 43, Shape::Compact));
    assert_eq!(generated(60, 3, 42, Shape::Track), generated(60, 3, 42, Shape::Track));
}

#[test]
fn gen_lines_are_context_events_sorted_by_time() {
    for shape in [Shape::Compact, Shape::Track] {
        let log = String::from_utf8(generated(80, 4, 7, shape)).unwrap();
        let mut last = i64::MIN;
        let mut names = std::collections::BTreeSet::new();
        for line in log.lines() {
            // Every line is a history event as contexts take them (extra keys are ignored)…
            let event: Event = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert!(event.at >= last, "not sorted: {line}");
            assert!((DEFAULT_START_MS..DEFAULT_START_MS + 4 * 24 * HOUR).contains(&event.at), "{line}");
            last = event.at;
            names.insert(event.name.clone());
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            // …with the customer…
            let customer = if shape == Shape::Compact { &v["c"] } else { &v["userId"] };
            assert!(customer.as_str().is_some_and(|c| c.starts_with("cust-")), "{line}");
            // …and profile updates in the shapes contexts take.
            if event.name == "identify" {
                let (profile, consent, scores, zone) = match shape {
                    Shape::Compact => (&v["profile"], &v["consent"], &v["scores"], &v["timezone"]),
                    Shape::Track => {
                        let mut traits = v["traits"].clone();
                        let consent = traits.as_object_mut().unwrap().remove("consent").unwrap();
                        let scores = traits.as_object_mut().unwrap().remove("scores").unwrap();
                        let ctx = serde_json::json!({ "now": 0, "profile": traits, "consent": consent,
                            "scores": scores, "timezone": v["context"]["timezone"] });
                        kairos::json::parse_context(&ctx.to_string()).unwrap();
                        continue;
                    }
                };
                let ctx = serde_json::json!({ "now": 0, "profile": profile, "consent": consent,
                    "scores": scores, "timezone": zone });
                kairos::json::parse_context(&ctx.to_string()).unwrap_or_else(|e| panic!("{e}: {line}"));
            }
        }
        // The names the example bundles read are there.
        for n in ["product_viewed", "cart_viewed", "order_completed", "deposit_started", "session_started", "identify"]
        {
            assert!(names.contains(n), "{n} missing from {names:?}");
        }
    }
}

#[test]
fn both_line_shapes_give_the_same_report() {
    let e = engine(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo/rules.json")).unwrap(),
    );
    let opts = ReplayOptions { step: 6 * HOUR, ..ReplayOptions::default() };
    let compact = String::from_utf8(generated(150, 4, 11, Shape::Compact)).unwrap();
    let track = String::from_utf8(generated(150, 4, 11, Shape::Track)).unwrap();
    let a = replay(&e, opts.clone(), &compact).unwrap();
    let b = replay(&e, opts, &track).unwrap();
    assert_eq!(a, b);
    // And the demo's segments are not empty.
    assert!(a.rows.iter().any(|r| r.segments[0].size > 0), "{}", a.to_table());
    assert!(a.stats.decisions > 1000);
}

#[test]
fn memory_follows_active_customers_not_the_log() {
    // 4,000 customers, each active for a few minutes, one after another over ~28 days.
    let e = engine(BUNDLE);
    let mut log = String::new();
    for i in 0..4000i64 {
        let at = T0 + i * 10 * MIN;
        log.push_str(&compact(&format!("churn-{i}"), "cart_viewed", at));
        log.push_str(&compact(&format!("churn-{i}"), "order_completed", at + MIN));
    }
    let mut r = Replay::new(&e, ReplayOptions { step: HOUR, ..ReplayOptions::default() });
    r.read(log.as_bytes()).unwrap();
    let stats = r.stats().clone();
    // The lookback is 3h: never more than ~3h of customers (18 at one every 10 minutes) plus one step.
    assert!(stats.peak_resident <= 26, "{stats:?}");
    assert!(stats.evicted >= 3900, "{stats:?}");
    let report = r.finish();
    assert!(report.rows.len() > 600);

    // One customer with far more events than the bundle reads: the history stays bounded.
    let bounded = BUNDLE.replace("\"name\": \"replay-test\",", "\"name\": \"replay-test\", \"max_history\": 50,");
    let e = engine(&bounded);
    let log: String = (0..20_000).map(|i| compact("busy", "cart_viewed", T0 + i * 100)).collect();
    let mut r = Replay::new(&e, ReplayOptions { step: HOUR, ..ReplayOptions::default() });
    r.read(log.as_bytes()).unwrap();
    assert!(r.stats().held_events <= 100, "{:?}", r.stats());
    let report = r.finish();
    assert_eq!(report.stats.held_events, 50);
}

#[test]
fn missing_signals_quoting_input_stay_a_bounded_table() {
    // Every customer has a zone of its own that does not exist: 300 different "missing" texts.
    let rules = r#"{"kairos": 1, "slots": {"s": {"default": {"id": "d", "content": null},
        "variants": [{"id": "evening", "when": {"local_time_between": ["18:00", "21:00"]}, "content": 1}]}}}"#;
    let e = engine(rules);
    let log: String = (0..300)
        .map(|i| format!("{{\"c\":\"c{i}\",\"e\":\"x\",\"t\":{},\"timezone\":\"Nowhere/Z{i}\"}}\n", T0 + 40 * MIN + i))
        .collect();
    let report = replay(&e, hourly(T0 + HOUR, T0 + HOUR), &log).unwrap();
    assert_eq!(report.missing.len(), 256, "{:?}", &report.missing[..3]);
    assert_eq!(report.missing.last().map(String::as_str), Some("(other signals)"));
    assert_eq!(report.missing_totals.iter().sum::<u64>(), 300);
}

#[test]
fn csv_and_svg_are_well_formed() {
    let rules = BUNDLE.replace("\"name\": \"replay-test\"", r#""name": "A&B <script>\"x\" 'y'""#);
    let e = engine(&rules);
    let report = replay(&e, hourly(T0 + HOUR, T0 + 6 * HOUR), &handcrafted_log()).unwrap();

    let csv = report.to_csv();
    let rows: Vec<Vec<String>> = csv.lines().map(split_csv).collect();
    assert_eq!(rows.len(), 7);
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{csv}");
    assert_eq!(&rows[0][..4], ["time", "active", "evicted", "segment:bought:size"]);
    assert!(rows[0].contains(&"slot:offer:nudge".to_string()) && rows[0].contains(&"missing:profile.tier".into()));
    assert_eq!(rows[1][0], "2026-11-02T01:00Z");

    let svg = report.to_svg();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains("A&amp;B &lt;script&gt;&quot;x&quot; &#39;y&#39;"), "{svg}");
    assert!(!svg.contains("<script"));
    assert_eq!(svg.matches("<polyline").count(), 3);
    check_xml(&svg);

    let table = report.to_table();
    assert!(table.contains("carted") && table.contains("profile.tier"), "{table}");
}

/// Fields of one CSV line (RFC 4180 quoting).
fn split_csv(line: &str) -> Vec<String> {
    let (mut fields, mut cur, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// Tags balance, attribute values are quoted, text has no raw `<` and only known entities.
fn check_xml(svg: &str) {
    let mut open: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(lt) = rest.find('<') {
        check_text(&rest[..lt]);
        let gt = rest[lt..].find('>').expect("unclosed tag") + lt;
        let tag = &rest[lt + 1..gt];
        assert!(!tag.contains('<'), "{tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().unwrap().to_string());
        }
        assert_eq!(tag.matches('"').count() % 2, 0, "{tag}");
        rest = &rest[gt + 1..];
    }
    check_text(rest);
    assert!(open.is_empty(), "unclosed: {open:?}");
}

fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
        assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#96;"].contains(&entity), "{entity}");
    }
}

#[test]
fn bad_lines_are_located_or_skipped() {
    let e = engine(BUNDLE);
    let opts = hourly(T0 + HOUR, T0 + 2 * HOUR);
    let cases: [(&[u8], u64, usize, &str); 5] = [
        (
            b"{\"c\":\"a\",\"e\":\"x\",\"t\":1793577600000}\n{\"c\":\"a\",\"e\":\"x\",\"t\":1793577600000,}\n",
            2,
            36,
            "expected a key",
        ),
        (b"\n{\"e\":\"x\",\"t\":1793577600000}\n", 2, 1, "no customer id"),
        (b"{\"c\":\"a\",\"e\":\"x\"}\n", 1, 1, "no time"),
        (b"{\"c\":\"a\",\"e\":\"x\",\"t\":\"monday\"}\n", 1, 22, "timestamp"),
        (b"{\"c\":\"\xff\",\"e\":\"x\",\"t\":1793577600000}\n", 1, 7, "invalid UTF-8"),
    ];
    for (log, line, column, message) in cases {
        let mut r = Replay::new(&e, opts.clone());
        let err = r.read(log).unwrap_err();
        assert_eq!((err.line, err.column), (line, column), "{err}");
        assert!(err.message.contains(message), "{err}");
        assert!(err.to_string().starts_with(&format!("line {line}, column {column}: ")), "{err}");
    }
    // Skipped instead: counted, listed, and the good lines still count.
    let log =
        [compact("a", "cart_viewed", T0 + MIN), "{oops}\n".into(), "[]\n".into(), compact("b", "cart_viewed", T0)]
            .concat();
    let mut r = Replay::new(&e, ReplayOptions { skip_bad: true, ..opts });
    r.read(log.as_bytes()).unwrap();
    let report = r.finish();
    assert_eq!(report.stats.skipped, 2);
    assert_eq!(report.stats.bad_lines.iter().map(|(l, c, _)| (*l, *c)).collect::<Vec<_>>(), [(2, 2), (3, 1)]);
    assert_eq!(report.rows[0].segments[1].size, 2); // carted
    assert!(report.to_table().contains("skipped line 2, column 2: expected a key"), "{}", report.to_table());
}

/// docs/replay.md's chart at 720 hourly steps: one panel per segment, each with its own scale,
/// and its entries and exits grouped into 6-hour bars (120 a panel at most), so nothing is
/// narrower than a few pixels; the whole picture stays small.
#[test]
fn the_chart_reads_at_720_steps() {
    let e = engine(include_str!("../../../examples/demo/rules.json"));
    let mut log = Vec::new();
    let opts = GenOptions { customers: 300, days: 30, seed: 7, start_ms: DEFAULT_START_MS, shape: Shape::Compact };
    generate(&opts, &mut log).unwrap();
    let day = 24 * HOUR;
    let mut r = Replay::new(&e, hourly(DEFAULT_START_MS + HOUR, DEFAULT_START_MS + 30 * day));
    r.read(&log[..]).unwrap();
    let report = r.finish();
    assert_eq!(report.rows.len(), 720);
    let svg = report.to_svg();
    check_xml(&svg);
    let segments = report.segments.len();
    assert_eq!(svg.matches("<polyline").count(), segments, "one size line a panel");
    assert!(svg.contains("per 6h"), "the grouping is said");
    let bars = svg.matches("<rect x=").count();
    assert!(bars > 0 && bars <= segments * 2 * 120, "{bars} bars");
    let entered: u64 = report.rows.iter().flat_map(|r| r.segments.iter().map(|s| s.entered)).sum();
    assert!(entered > 0, "the log moves customers in and out");
    assert!(svg.len() < 200_000, "{} bytes", svg.len());
}
