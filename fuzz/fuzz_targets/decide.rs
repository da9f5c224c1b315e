//! Contexts against the example bundles; every decision must be deterministic and unchanged by
//! explanations (common::decide_checked), and a resident visitor fed the same events, before and
//! after save/restore, must decide and explain exactly alike (common::visitor_agrees). The text
//! read for the bundle (`Engine::decide_json`) must decide, or fail, exactly as the whole context.
//!
//! The first byte picks the bundle. Then either the rest is context JSON text as is (mode 0), or
//! (other modes) it drives a generator that writes a context in the right shape, with the event
//! names, properties, profile keys, scores and literals that bundle reads, timestamps near and far
//! from `now` (up to the years 1000 and 9999 the context accepts), odd zones and offsets, and the
//! exposure and conversion events frequency caps and suppression count.

#![no_main]

mod common;

use kairos::json::parse_context;
use kairos::program::{Lit, Node, Program, PropTest, Query, Question};
use kairos::Engine;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

/// 2026-11-23T18:30:00Z.
const NOW: i64 = 1_795_458_600_000;
const MIN_MS: i64 = -30_610_224_000_000;
const MAX_MS: i64 = 253_402_300_799_999;

/// What one bundle reads, to aim the generated contexts at it.
#[derive(Default)]
struct Pools {
    events: Vec<String>,
    props: Vec<String>,
    profile: Vec<String>,
    scores: Vec<String>,
    trigger: Vec<String>,
    strings: Vec<String>,
    numbers: Vec<f64>,
    variants: Vec<(String, String)>,
}

fn lit(p: &mut Pools, l: &Lit) {
    match l {
        Lit::Num(n) => p.numbers.push(*n),
        Lit::Str(s) => p.strings.push(s.clone()),
        Lit::Bool(_) => {}
    }
}

fn query(p: &mut Pools, q: &Query) {
    p.props.extend(q.prop.iter().cloned());
    for (name, test) in &q.filter {
        p.props.push(name.clone());
        match test {
            PropTest::Cmp(_, l) => lit(p, l),
            PropTest::In(list) => list.iter().for_each(|l| lit(p, l)),
            PropTest::Str(_, s) => p.strings.push(s.clone()),
        }
    }
}

fn pools(prog: &Program) -> Pools {
    let mut p = Pools { events: prog.events.clone(), ..Pools::default() };
    p.events.extend(["$exposure", "$conversion", "Product Viewed", "page_viewed"].map(String::from));
    p.props.extend(["variant", "slot", "amount", "product_id", "category"].map(String::from));
    for n in &prog.nodes {
        match n {
            Node::Lit(l) => lit(&mut p, l),
            Node::List(l) | Node::In(_, l) => l.iter().for_each(|l| lit(&mut p, l)),
            Node::Profile(name) => p.profile.push(name.clone()),
            Node::Score { name, .. } => p.scores.push(name.clone()),
            Node::Trigger(name) => p.trigger.push(name.clone()),
            // In node order, once per asking node: the pools are what they were before questions
            // had their own table, so committed seeds still reach what they reached.
            Node::Ask(id) => match prog.questions.get(*id as usize) {
                Some(Question::Agg(_, q)) => query(&mut p, q),
                Some(Question::Sequence(s)) => {
                    query(&mut p, &s.first);
                    query(&mut p, &s.then);
                }
                None => {}
            },
            _ => {}
        }
    }
    for slot in &prog.slots {
        for v in &slot.variants {
            p.variants.push((slot.name.clone(), v.id.clone()));
        }
    }
    p.strings.extend(["mobile", "desktop", "tablet", "", "42", "1e3", "sku-77"].map(String::from));
    p.numbers.extend([0.0, -0.0, 1.0, -1.0, 0.5, 1e15, -1e15, 9.007_199_254_740_993e15, 1e308, f64::MIN_POSITIVE]);
    p
}

fn all_pools() -> &'static [Pools] {
    static POOLS: std::sync::OnceLock<Vec<Pools>> = std::sync::OnceLock::new();
    POOLS.get_or_init(|| common::engines().iter().map(|e| pools(&e.program)).collect())
}

fn pick<'a, T>(u: &mut Unstructured, from: &'a [T]) -> Result<Option<&'a T>> {
    if from.is_empty() {
        return Ok(None);
    }
    Ok(Some(u.choose(from)?))
}

fn string(u: &mut Unstructured, p: &Pools) -> Result<Value> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => Value::String(u.arbitrary::<String>()?),
        _ => Value::String(pick(u, &p.strings)?.cloned().unwrap_or_default()),
    })
}

fn number(u: &mut Unstructured, p: &Pools) -> Result<Value> {
    let n = match u.int_in_range(0..=3u8)? {
        0 => u.arbitrary::<f64>()?,
        1 => f64::from(u.arbitrary::<i32>()?),
        _ => pick(u, &p.numbers)?.copied().unwrap_or(0.0),
    };
    Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
}

fn scalar(u: &mut Unstructured, p: &Pools) -> Result<Value> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 | 3 => number(u, p)?,
        4 => json!([1, {"nested": true}]),
        _ => string(u, p)?,
    })
}

/// An instant: mostly near `now` (within days), sometimes anywhere the context allows.
fn instant(u: &mut Unstructured, now: i64) -> Result<i64> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => u.int_in_range(MIN_MS..=MAX_MS)?,
        1 => [MIN_MS, MAX_MS, 0, now][u.choose_index(4)?],
        2 => now.saturating_add(u.int_in_range(-1_000_000_000..=1_000_000_000)?).clamp(MIN_MS, MAX_MS),
        _ => now.saturating_sub(u.int_in_range(0..=90 * 86_400_000i64)?).clamp(MIN_MS, MAX_MS),
    })
}

fn timestamp(u: &mut Unstructured, now: i64) -> Result<Value> {
    let ms = instant(u, now)?;
    Ok(match u.int_in_range(0..=3u8)? {
        0 => Value::String(rfc3339(ms, u.int_in_range(-14 * 60..=14 * 60)?)),
        1 => json!(ms as f64 + 0.5),
        _ => json!(ms),
    })
}

/// `ms` written in RFC 3339 at a UTC offset in minutes.
fn rfc3339(ms: i64, offset_min: i64) -> String {
    let local = ms + offset_min * 60_000;
    let days = local.div_euclid(86_400_000);
    let (y, m, d) = kairos::time::civil_from_days(days);
    let t = local.rem_euclid(86_400_000);
    let sign = if offset_min < 0 { '-' } else { '+' };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}{sign}{:02}:{:02}",
        t / 3_600_000,
        t / 60_000 % 60,
        t / 1000 % 60,
        t % 1000,
        offset_min.abs() / 60,
        offset_min.abs() % 60
    )
}

fn event(u: &mut Unstructured, p: &Pools, now: i64) -> Result<Value> {
    let name = pick(u, &p.events)?.cloned().unwrap_or_default();
    let mut props = Map::new();
    if name == "$exposure" || name == "$conversion" {
        if let Some((slot, variant)) = pick(u, &p.variants)? {
            props.insert("variant".into(), json!(variant));
            if u.arbitrary()? {
                props.insert("slot".into(), json!(slot));
            }
        }
    }
    for _ in 0..u.int_in_range(0..=3u8)? {
        if let Some(k) = pick(u, &p.props)? {
            props.insert(k.clone(), scalar(u, p)?);
        }
    }
    let at = timestamp(u, now)?;
    Ok(if u.ratio(1, 4)? {
        json!({"type": "track", "event": name, "properties": props, "timestamp": at, "messageId": "m"})
    } else {
        json!({"e": name, "p": props, "t": at})
    })
}

const ZONES: &[&str] = &[
    "Europe/Paris",
    "Asia/Tokyo",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Kiritimati",
    "UTC",
    "Mars/Olympus",
];
const OFFSETS: &[&str] = &["+05:30", "-12:00", "+14:00", "+00:00", "-00:30", "+24:00", "5"];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)",
    "Mozilla/5.0 (Linux; Android 14) Mobile",
];

fn context(u: &mut Unstructured, p: &Pools) -> Result<Value> {
    let now = if u.ratio(7, 8)? { NOW + u.int_in_range(-86_400_000..=86_400_000)? } else { instant(u, NOW)? };
    let mut c = Map::new();
    c.insert("now".into(), if u.ratio(1, 4)? { Value::String(rfc3339(now, 60)) } else { json!(now) });
    if u.ratio(7, 8)? {
        c.insert("consent".into(), json!({"personalization": u.ratio(15, 16)?, "marketing": u.arbitrary::<bool>()?}));
    }
    if u.ratio(3, 4)? {
        let id = if u.arbitrary()? { u.arbitrary::<String>()? } else { format!("cust-{}", u.int_in_range(0..=999)?) };
        c.insert("customer_id".into(), json!(id));
    }
    match u.int_in_range(0..=3u8)? {
        0 => {}
        1 => {
            c.insert("utc_offset".into(), json!(u.choose(OFFSETS)?));
        }
        _ => {
            c.insert("timezone".into(), json!(u.choose(ZONES)?));
        }
    }
    let mut s = Map::new();
    if u.arbitrary()? {
        s.insert("device".into(), string(u, p)?);
    }
    if u.arbitrary()? {
        s.insert("user_agent".into(), json!(u.choose(AGENTS)?));
    }
    if u.ratio(1, 4)? {
        s.insert("client_hints".into(), json!({"mobile": u.choose(&["?1", "?0"])?, "platform": "Android"}));
    }
    if u.ratio(1, 4)? {
        s.insert("viewport".into(), json!({"width": number(u, p)?, "height": 800}));
    }
    if u.ratio(1, 3)? {
        s.insert("referrer".into(), json!(format!("https://{}/x?y=1", u.arbitrary::<String>()?)));
    }
    if u.ratio(1, 3)? {
        s.insert(
            "url".into(),
            json!(format!("https://shop.example/p?utm_source={}&utm_campaign=spring", u.arbitrary::<String>()?)),
        );
    }
    if u.ratio(1, 4)? {
        s.insert("utm".into(), json!({"source": string(u, p)?, "medium": "email"}));
    }
    if u.arbitrary()? {
        s.insert("page".into(), string(u, p)?);
    }
    if u.ratio(1, 3)? {
        s.insert("page_views".into(), json!(u.arbitrary::<u32>()?));
    }
    let views: Vec<Value> = (0..u.int_in_range(0..=3u8)?)
        .map(|_| Ok(json!({"id": string(u, p)?, "category": string(u, p)?})))
        .collect::<Result<_>>()?;
    s.insert("product_views".into(), json!(views));
    if u.ratio(1, 3)? {
        s.insert("searches".into(), json!([string(u, p)?, {"term": "loan", "category": string(u, p)?}]));
    }
    for key in ["cart_dwell_ms", "checkout_dwell_ms"] {
        if u.ratio(1, 4)? {
            s.insert(key.into(), number(u, p)?);
        }
    }
    if u.ratio(1, 4)? {
        s.insert("coupon_searches".into(), json!(u.int_in_range(0..=5u32)?));
    }
    c.insert("session".into(), Value::Object(s));
    if u.ratio(1, 3)? {
        c.insert("geo".into(), json!({"country": string(u, p)?, "city": "Paris", "lat": number(u, p)?, "lon": 2.35}));
    }
    let mut profile = Map::new();
    for key in &p.profile {
        if u.ratio(3, 4)? {
            profile.insert(
                key.clone(),
                if key.contains("at") || key.contains("expir") { timestamp(u, now)? } else { scalar(u, p)? },
            );
        }
    }
    c.insert("profile".into(), Value::Object(profile));
    let mut scores = Map::new();
    for key in &p.scores {
        if u.ratio(3, 4)? {
            scores.insert(key.clone(), json!({"value": number(u, p)?, "computed_at": timestamp(u, now)?}));
        }
    }
    c.insert("scores".into(), Value::Object(scores));
    let events: Vec<Value> = (0..u.int_in_range(0..=60u8)?).map(|_| event(u, p, now)).collect::<Result<_>>()?;
    c.insert("events".into(), json!(events));
    if !p.trigger.is_empty() && u.arbitrary()? {
        let mut props = Map::new();
        for key in &p.trigger {
            props.insert(key.clone(), scalar(u, p)?);
        }
        c.insert("event".into(), json!({"e": "deposit_started", "p": props, "t": now}));
    }
    Ok(Value::Object(c))
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(which) = u.arbitrary::<u8>() else { return };
    let Ok(mode) = u.arbitrary::<u8>() else { return };
    let engines: &[Engine] = common::engines();
    let i = which as usize % engines.len();
    let text = if mode % 4 == 0 {
        String::from_utf8_lossy(u.take_rest()).into_owned()
    } else {
        match context(&mut u, &all_pools()[i]) {
            Ok(v) => v.to_string(),
            Err(_) => return,
        }
    };
    // The text read for this bundle (history properties it does not read left out) decides as
    // the whole context does, and fails exactly when and as it fails.
    let parsed = parse_context(&text);
    for explain in [false, true] {
        let opts = kairos::Options::explaining(explain);
        match (&parsed, engines[i].decide_json(&text, opts)) {
            (Ok(ctx), Ok(d)) => assert_eq!(
                kairos::json::decision_to_json(&d),
                kairos::json::decision_to_json(&engines[i].decide(ctx, opts)),
                "decide_json disagrees with decide"
            ),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "decide_json fails otherwise"),
            (a, b) => panic!("decide_json and parse_context disagree: {:?} vs {:?}", a.is_ok(), b.is_ok()),
        }
    }
    let Ok(ctx) = parsed else { return };
    common::decide_checked(&engines[i], &ctx);
    common::visitor_agrees(&common::shared_engines()[i], &ctx);
});
