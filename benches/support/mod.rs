//! Generated benchmark inputs, shared by the native benchmark and the wasm one (via examples/gen_bench_inputs.rs).

use serde_json::json;

const EVENTS: [&str; 10] = [
    "product_viewed",
    "cart_viewed",
    "order_completed",
    "email_opened",
    "deposit_started",
    "deposit_completed",
    "login",
    "search",
    "add_to_cart",
    "page_viewed",
];

/// 20 slots × 10 variants = 200 eligibility rules, plus 10 shared segments.
pub fn rules() -> String {
    let mut segments = serde_json::Map::new();
    for s in 0..10 {
        let e = EVENTS[s % EVENTS.len()];
        segments.insert(
            format!("seg{s}"),
            json!({"all": [
                {"gte": [{"count": {"event": e, "within": format!("{}h", 24 + s * 12)}}, 2]},
                {"none": {"event": EVENTS[(s + 3) % 10], "within": "72h"}}
            ]}),
        );
    }
    let mut slots = serde_json::Map::new();
    for slot in 0..20 {
        let variants: Vec<_> = (0..10).map(|v| {
            let i = slot * 10 + v;
            let e = EVENTS[i % EVENTS.len()];
            let when = match v % 5 {
                0 => json!({"all": [{"segment": format!("seg{}", i % 10)}, {"eq": [{"var": "session.device"}, "mobile"]}]}),
                1 => json!({"all": [{"gte": [{"sum": {"event": e, "prop": "amount", "within": "30d"}}, 100 + i]}, {"local_time_between": ["18:00", "21:00"]}]}),
                2 => json!({"any": [{"gt": [{"score": {"name": "propensity", "max_age": "24h"}}, 0.5 + (i % 5) as f64 / 10.0]},
                                      {"gt": [{"since_last": {"event": e}}, format!("{}d", 1 + i % 30)]}]}),
                3 => json!({"sequence": {"first": {"event": "deposit_started", "within": "24h"}, "then_not": {"event": "deposit_completed"}, "gap": "30m"}}),
                _ => json!({"all": [{"gte": [{"max_count_by": {"event": "product_viewed", "prop": "product_id", "within": "48h"}}, 3]},
                                    {"lt": [{"coalesce": [{"div": [{"since_last": {"event": e}}, {"mean_interval": {"event": e}}]}, 0]}, 4]}]}),
            };
            json!({"id": format!("v{v}"), "priority": v % 3, "when": when,
                   "score": {"mul": [{"coalesce": [{"score": {"name": "propensity", "max_age": "24h"}}, 0]}, 10 + v]},
                   "cap": {"max": 3, "within": "7d"}, "content": {"title": format!("Variant {i}")}})
        }).collect();
        slots.insert(
            format!("slot{slot}"),
            json!({"default": {"id": "default", "content": {"title": "Default"}}, "variants": variants}),
        );
    }
    json!({"kairos": 1, "default_timezone": "Europe/Paris", "segments": segments, "slots": slots}).to_string()
}

pub fn context(events: usize) -> String {
    let now: i64 = 1_795_453_500_000;
    let evs: Vec<_> = (0..events).map(|i| {
        let ago = (i as i64 * 7_919_000) % (60 * 86_400_000);
        json!({"e": EVENTS[(i * 7) % 10], "t": now - ago, "p": {"product_id": format!("sku-{}", i % 13), "amount": (i % 50) as f64 * 3.5}})
    }).collect();
    json!({"now": now, "customer_id": "cust-42", "timezone": "Europe/Paris", "consent": {"personalization": true},
           "session": {"device": "mobile"}, "scores": {"propensity": {"value": 0.72, "computed_at": now - 3_600_000}},
           "events": evs})
    .to_string()
}
