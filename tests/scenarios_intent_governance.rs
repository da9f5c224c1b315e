//! Scenarios 11–21 of the shared scenario list (session intent, banking moments,
//! governance), each written as a bundle under `examples/scenarios/` and decided
//! at the edges of its thresholds and windows: just inside and just outside.
//!
//! Every context uses a fixed decision time (`NOW`) and RFC 3339 timestamps;
//! nothing reads the clock.

use kairos::decide::SlotDecision;
use kairos::json::{compile_json, parse_context};
use kairos::{Decision, Engine, Options};
use serde_json::{json, Value};

/// The decision instant of every test: Monday 23 November 2026, 19:30 in Paris.
const NOW: &str = "2026-11-23T18:30:00Z";

const CHECKOUT: &str = include_str!("../examples/scenarios/11-checkout-hesitation.json");
const HERO: &str = include_str!("../examples/scenarios/12-session-intent-hero.json");
const CTA: &str = include_str!("../examples/scenarios/13-adaptive-cta.json");
const BANKING: &str = include_str!("../examples/scenarios/14-banking-moments.json");
const TRAVEL: &str = include_str!("../examples/scenarios/15-travel-kyc-trial.json");
const LOAN: &str = include_str!("../examples/scenarios/16-high-intent-loan.json");
const CONSENT: &str = include_str!("../examples/scenarios/17-consent.json");
const CAP: &str = include_str!("../examples/scenarios/18-frequency-cap.json");
const HOLDOUT: &str = include_str!("../examples/scenarios/19-holdout.json");
const MISSING: &str = include_str!("../examples/scenarios/20-missing-signals.json");
const EXPLAIN: &str = include_str!("../examples/scenarios/21-explain.json");

// ---- helpers ---------------------------------------------------------------

fn engine(rules: &str) -> Engine {
    Engine::new(compile_json(rules).unwrap_or_else(|e| panic!("bundle does not compile: {e}")))
}

/// A consenting visitor in Paris at `NOW`, with `extra` top-level keys added or replaced.
fn ctx(extra: Value) -> Value {
    let mut base = json!({
        "now": NOW,
        "customer_id": "cust-test",
        "timezone": "Europe/Paris",
        "consent": { "personalization": true }
    });
    let (Value::Object(b), Value::Object(x)) = (&mut base, extra) else { panic!("contexts are objects") };
    for (k, v) in x {
        if v.is_null() {
            b.remove(&k);
        } else {
            b.insert(k, v);
        }
    }
    base
}

fn decide(engine: &Engine, context: Value) -> Decision {
    let parsed = parse_context(&context.to_string()).unwrap_or_else(|e| panic!("context rejected: {e}"));
    engine.decide(&parsed, Options { explain: true })
}

fn slot<'a>(d: &'a Decision, name: &str) -> &'a SlotDecision {
    d.slots
        .iter()
        .find(|s| s.slot == name)
        .unwrap_or_else(|| panic!("no slot `{name}` in {:?}", d.slots.iter().map(|s| &s.slot).collect::<Vec<_>>()))
}

/// The variant a slot shows.
fn pick(d: &Decision, name: &str) -> String {
    slot(d, name).variant.clone()
}

fn content(d: &Decision, name: &str) -> Value {
    serde_json::to_value(&slot(d, name).content).expect("content serialises")
}

fn var<'a>(d: &'a Decision, name: &str, key: &str) -> Option<&'a str> {
    slot(d, name).vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn candidate<'a>(d: &'a Decision, name: &str, variant: &str) -> &'a kairos::decide::Candidate {
    let ex = slot(d, name).explain.as_ref().expect("explain requested");
    ex.candidates
        .iter()
        .find(|c| c.variant == variant)
        .unwrap_or_else(|| panic!("no candidate `{variant}` in `{name}`"))
}

fn summary<'a>(d: &'a Decision, name: &str) -> &'a str {
    &slot(d, name).explain.as_ref().expect("explain requested").summary
}

fn assert_default(d: &Decision, name: &str, id: &str, reason: &str) {
    let s = slot(d, name);
    assert_eq!(s.variant, id, "slot `{name}`: {:?}", s.explain);
    assert!(s.is_default, "slot `{name}` should show its default");
    assert_eq!(s.reason, reason, "slot `{name}`: {:?}", s.explain);
}

fn assert_rule(d: &Decision, name: &str, id: &str) {
    let s = slot(d, name);
    assert_eq!(s.variant, id, "slot `{name}`: {:?}", s.explain);
    assert!(!s.is_default);
    assert_eq!(s.reason, "rule");
}

fn missing_has(d: &Decision, what: &str) -> bool {
    d.missing.iter().any(|m| m == what)
}

#[test]
fn every_scenario_bundle_compiles() {
    for rules in [CHECKOUT, HERO, CTA, BANKING, TRAVEL, LOAN, CONSENT, CAP, HOLDOUT, MISSING, EXPLAIN] {
        let program = compile_json(rules).unwrap_or_else(|e| panic!("{e}"));
        assert!(!program.slots.is_empty());
    }
}

#[test]
fn every_example_context_parses_and_decides() {
    let pairs = [
        (
            CHECKOUT,
            include_str!("../examples/scenarios/11-checkout-hesitation.context.json"),
            "cta",
            "cart_recovery_coupon",
        ),
        (HERO, include_str!("../examples/scenarios/12-session-intent-hero.context.json"), "hero", "search_intent"),
        (CTA, include_str!("../examples/scenarios/13-adaptive-cta.context.json"), "cta", "book_demo"),
        (
            BANKING,
            include_str!("../examples/scenarios/14-banking-moments.context.json"),
            "home_banner",
            "payment_recovery",
        ),
        (
            TRAVEL,
            include_str!("../examples/scenarios/15-travel-kyc-trial.context.json"),
            "cross_sell",
            "travel_insurance",
        ),
        (
            LOAN,
            include_str!("../examples/scenarios/16-high-intent-loan.context.json"),
            "loan_offer",
            "preapproved_loan",
        ),
        (CONSENT, include_str!("../examples/scenarios/17-consent.context.json"), "hero", "brand_hero"),
        (CAP, include_str!("../examples/scenarios/18-frequency-cap.context.json"), "offer", "free_shipping"),
        (HOLDOUT, include_str!("../examples/scenarios/19-holdout.context.json"), "hero", "brand_hero"),
        (MISSING, include_str!("../examples/scenarios/20-missing-signals.context.json"), "hero", "brand_hero"),
        (EXPLAIN, include_str!("../examples/scenarios/21-explain.context.json"), "offer", "cart_reminder"),
    ];
    for (rules, context, slot_name, expected) in pairs {
        let e = engine(rules);
        let c = parse_context(context).unwrap_or_else(|err| panic!("{err}"));
        let d = e.decide(&c, Options { explain: true });
        assert_eq!(pick(&d, slot_name), expected, "{context}");
    }
}

// ---- 11. Checkout hesitation -----------------------------------------------

fn checkout(session: Value) -> Decision {
    decide(&engine(CHECKOUT), ctx(json!({ "session": session })))
}

#[test]
fn s11_checkout_dwell_one_second_over_threshold_gets_coupon() {
    let d = checkout(json!({ "page": "checkout", "checkout_dwell_ms": 91_000, "coupon_searches": 0 }));
    assert_rule(&d, "cta", "cart_recovery_coupon");
    let c = content(&d, "cta");
    assert_eq!(c["coupon"], "SAVE10");
    assert_eq!(c["href"], "/checkout/pay?coupon=SAVE10");
}

#[test]
fn s11_checkout_dwell_at_threshold_is_not_longer_than_it() {
    let d = checkout(json!({ "page": "checkout", "checkout_dwell_ms": 90_000, "coupon_searches": 0 }));
    assert_default(&d, "cta", "pay_now", "no_eligible_variant");
    assert_eq!(content(&d, "cta")["label"], "Continue to payment");
    let failed = candidate(&d, "cta", "cart_recovery_coupon").failed.clone().unwrap();
    assert!(failed.contains("session.checkout_dwell"), "{failed}");
    assert!(failed.contains("session.coupon_searches >= 1 was false (0 vs 1)"), "{failed}");
}

#[test]
fn s11_checkout_dwell_one_second_under_threshold_gets_nothing() {
    let d = checkout(json!({ "page": "checkout", "checkout_dwell_ms": 89_000, "coupon_searches": 0 }));
    assert_default(&d, "cta", "pay_now", "no_eligible_variant");
    // A millisecond over is already "longer than".
    let d = checkout(json!({ "page": "checkout", "checkout_dwell_ms": 90_001, "coupon_searches": 0 }));
    assert_rule(&d, "cta", "cart_recovery_coupon");
}

#[test]
fn s11_one_coupon_search_is_enough_zero_is_not() {
    let d = checkout(json!({ "page": "checkout", "checkout_dwell_ms": 5_000, "coupon_searches": 1 }));
    assert_rule(&d, "cta", "cart_recovery_coupon");
    let d = checkout(json!({ "page": "checkout", "checkout_dwell_ms": 5_000, "coupon_searches": 0 }));
    assert_default(&d, "cta", "pay_now", "no_eligible_variant");
}

#[test]
fn s11_coupon_search_decides_even_without_a_dwell_signal() {
    // `any` is true as soon as one part is true: the unknown dwell does not matter.
    let d = checkout(json!({ "page": "cart", "coupon_searches": 2 }));
    assert_rule(&d, "cta", "cart_recovery_coupon");
    // With no coupon search the missing dwell leaves the rule undecided.
    let d = checkout(json!({ "page": "cart", "coupon_searches": 0 }));
    assert_default(&d, "cta", "pay_now", "undecided");
    assert!(missing_has(&d, "session.checkout_dwell"), "{:?}", d.missing);
}

// ---- 12. Session intent hero -----------------------------------------------

fn hero(session: Value) -> Decision {
    decide(&engine(HERO), ctx(json!({ "session": session })))
}

#[test]
fn s12_search_category_wins_over_referral_and_viewed_category() {
    let d = hero(json!({
        "referrer": "https://www.instagram.com/shopexample/",
        "product_views": [ { "id": "sku-1", "category": "running" } ],
        "searches": [ { "term": "tent 4 person", "category": "outdoor" } ]
    }));
    assert_rule(&d, "hero", "search_intent");
    assert_eq!(var(&d, "hero", "category"), Some("outdoor"));
    assert_eq!(content(&d, "hero")["title"], "Everything for outdoor");
    assert_eq!(content(&d, "hero")["href"], "/c/outdoor");
    assert!(summary(&d, "hero").contains("3 eligible"), "{}", summary(&d, "hero"));
}

#[test]
fn s12_search_without_category_falls_through_to_referral() {
    let d = hero(json!({
        "referrer": "https://l.instagram.com/?u=https%3A%2F%2Fshop.example%2F",
        "product_views": [ { "id": "sku-1", "category": "running" } ],
        "searches": [ "red shoes" ]
    }));
    assert_rule(&d, "hero", "instagram_referral");
    assert_eq!(content(&d, "hero")["href"], "/lookbook");
}

#[test]
fn s12_instagram_utm_in_the_url_counts_as_referral_source() {
    let d = hero(json!({ "url": "https://shop.example/?utm_source=Instagram&utm_medium=social" }));
    assert_rule(&d, "hero", "instagram_referral");
}

#[test]
fn s12_other_referrer_falls_through_to_last_viewed_category() {
    let d = hero(json!({
        "referrer": "https://www.google.com/search?q=trail+shoes",
        "product_views": [ { "id": "sku-1", "category": "shoes" }, { "id": "sku-2", "category": "running" } ]
    }));
    assert_rule(&d, "hero", "category_intent");
    assert_eq!(var(&d, "hero", "category"), Some("running"));
    assert_eq!(content(&d, "hero")["title"], "More running picked for you");
    assert_eq!(candidate(&d, "hero", "instagram_referral").eligible, "false");
}

#[test]
fn s12_no_usable_signal_gives_the_default_hero() {
    let d = hero(json!({ "page": "home" }));
    assert_default(&d, "hero", "brand_hero", "no_eligible_variant");
    assert_eq!(content(&d, "hero")["title"], "New season, new arrivals");
    // A bare search and a viewed product without a category are not usable intent either.
    let d = hero(json!({ "searches": [ "gift" ], "product_views": [ { "id": "sku-9" } ] }));
    assert_default(&d, "hero", "brand_hero", "no_eligible_variant");
}

// ---- 13. Adaptive CTA by propensity band -----------------------------------

fn cta_with(score: Value) -> Decision {
    decide(&engine(CTA), ctx(json!({ "scores": { "conversion_propensity": score } })))
}

fn cta(p: f64) -> String {
    pick(&cta_with(json!({ "value": p, "computed_at": "2026-11-23T06:00:00Z" })), "cta")
}

#[test]
fn s13_band_edges() {
    assert_eq!(cta(1.0), "start_trial");
    assert_eq!(cta(0.7), "start_trial");
    assert_eq!(cta(0.6999), "book_demo");
    assert_eq!(cta(0.4), "book_demo");
    assert_eq!(cta(0.3999), "get_discount");
    assert_eq!(cta(0.0), "get_discount");
}

#[test]
fn s13_content_follows_the_band() {
    let d = cta_with(json!({ "value": 0.7, "computed_at": "2026-11-23T06:00:00Z" }));
    assert_eq!(content(&d, "cta")["label"], "Start trial");
    let d = cta_with(json!({ "value": 0.55, "computed_at": "2026-11-23T06:00:00Z" }));
    assert_eq!(content(&d, "cta")["label"], "Book a demo");
    let failed = candidate(&d, "cta", "start_trial").failed.clone().unwrap();
    assert!(failed.contains("(medium vs high)"), "{failed}");
    let d = cta_with(json!({ "value": 0.1, "computed_at": "2026-11-23T06:00:00Z" }));
    assert_eq!(content(&d, "cta")["label"], "Get discount");
    assert_eq!(content(&d, "cta")["code"], "WELCOME20");
}

#[test]
fn s13_score_exactly_max_age_old_is_used_one_second_more_is_stale() {
    let d = cta_with(json!({ "value": 0.9, "computed_at": "2026-11-22T18:30:00Z" }));
    assert_rule(&d, "cta", "start_trial");
    let d = cta_with(json!({ "value": 0.9, "computed_at": "2026-11-22T18:29:59Z" }));
    assert_default(&d, "cta", "learn_more", "undecided");
    assert!(d.missing.iter().any(|m| m.starts_with("score.conversion_propensity (stale")), "{:?}", d.missing);
}

#[test]
fn s13_no_score_shows_the_neutral_default() {
    let d = decide(&engine(CTA), ctx(json!({})));
    assert_default(&d, "cta", "learn_more", "undecided");
    assert!(missing_has(&d, "score.conversion_propensity"), "{:?}", d.missing);
    assert_eq!(content(&d, "cta")["label"], "Learn more");
}

// ---- 14. Banking moments ---------------------------------------------------

fn banking(events: Value) -> Decision {
    decide(&engine(BANKING), ctx(json!({ "events": events })))
}

fn fuel(t: &str) -> Value {
    json!({ "e": "card_transaction", "p": { "mcc": 5541, "amount": 62.4 }, "t": t })
}

fn salary(t: &str) -> Value {
    json!({ "e": "salary_received", "p": { "amount": 3200 }, "t": t })
}

#[test]
fn s14_gas_purchase_gets_the_fuel_card_offer() {
    let d = banking(json!([fuel("2026-11-20T08:10:00Z")]));
    assert_rule(&d, "home_banner", "fuel_card_offer");
    assert_eq!(content(&d, "home_banner")["href"], "/cards/fuel");
}

#[test]
fn s14_gas_purchase_window_is_14_days_inclusive() {
    assert_eq!(pick(&banking(json!([fuel("2026-11-09T18:30:00Z")])), "home_banner"), "fuel_card_offer");
    let d = banking(json!([fuel("2026-11-09T18:29:00Z")]));
    assert_default(&d, "home_banner", "brand_banner", "no_eligible_variant");
}

#[test]
fn s14_only_fuel_merchant_codes_count() {
    let d = banking(json!([ { "e": "card_transaction", "p": { "mcc": 5411 }, "t": "2026-11-20T08:10:00Z" } ]));
    assert_default(&d, "home_banner", "brand_banner", "no_eligible_variant");
    // Analytics pipelines send codes as strings too.
    let d = banking(json!([ { "e": "Card Transaction", "p": { "mcc": "5542" }, "t": "2026-11-20T08:10:00Z" } ]));
    assert_rule(&d, "home_banner", "fuel_card_offer");
}

#[test]
fn s14_salary_gets_the_loan_offer_over_fuel_for_3_days() {
    let d = banking(json!([fuel("2026-11-20T08:10:00Z"), salary("2026-11-20T18:30:00Z")]));
    assert_rule(&d, "home_banner", "loan_offer");
    assert_eq!(content(&d, "home_banner")["kind"], "marketing");
    let d = banking(json!([fuel("2026-11-20T08:10:00Z"), salary("2026-11-20T18:29:00Z")]));
    assert_rule(&d, "home_banner", "fuel_card_offer");
}

#[test]
fn s14_failed_payment_recovery_comes_before_any_marketing() {
    let d = banking(json!([
        fuel("2026-11-20T08:10:00Z"),
        salary("2026-11-22T06:00:00Z"),
        { "e": "payment_failed", "p": { "amount": 89.99, "merchant": "Telco Mobile" }, "t": "2026-11-23T09:15:00Z" }
    ]));
    assert_rule(&d, "home_banner", "payment_recovery");
    assert_eq!(var(&d, "home_banner", "merchant"), Some("Telco Mobile"));
    let c = content(&d, "home_banner");
    assert_eq!(c["kind"], "service");
    assert_eq!(c["title"], "Your payment to Telco Mobile did not go through");
    // The marketing variants were eligible too and lost on priority.
    assert_eq!(candidate(&d, "home_banner", "loan_offer").eligible, "true");
    assert_eq!(candidate(&d, "home_banner", "fuel_card_offer").eligible, "true");
    assert!(summary(&d, "home_banner").contains("priority 100"), "{}", summary(&d, "home_banner"));
}

#[test]
fn s14_recovery_without_merchant_still_shows_with_a_fallback() {
    let d = banking(json!([ { "e": "payment_failed", "t": "2026-11-23T09:15:00Z" } ]));
    assert_rule(&d, "home_banner", "payment_recovery");
    assert_eq!(content(&d, "home_banner")["title"], "Your payment to a merchant did not go through");
}

#[test]
fn s14_resolved_failure_returns_to_marketing() {
    let d = banking(json!([
        salary("2026-11-22T06:00:00Z"),
        { "e": "payment_failed", "p": { "merchant": "Telco Mobile" }, "t": "2026-11-23T09:15:00Z" },
        { "e": "payment_succeeded", "p": { "merchant": "Telco Mobile" }, "t": "2026-11-23T09:40:00Z" }
    ]));
    assert_rule(&d, "home_banner", "loan_offer");
    assert_eq!(candidate(&d, "home_banner", "payment_recovery").eligible, "false");
    // A success *before* the latest failure does not resolve it.
    let d = banking(json!([
        { "e": "payment_succeeded", "t": "2026-11-22T09:00:00Z" },
        { "e": "payment_failed", "t": "2026-11-23T09:15:00Z" }
    ]));
    assert_rule(&d, "home_banner", "payment_recovery");
}

#[test]
fn s14_failure_older_than_7_days_is_no_longer_urgent() {
    let d = banking(json!([ { "e": "payment_failed", "t": "2026-11-16T18:30:00Z" } ]));
    assert_rule(&d, "home_banner", "payment_recovery");
    let d = banking(json!([ { "e": "payment_failed", "t": "2026-11-16T18:29:00Z" } ]));
    assert_default(&d, "home_banner", "brand_banner", "no_eligible_variant");
}

// ---- 15. Abroad, KYC expiry, trial ending ----------------------------------

fn travel(geo: Value, profile: Value) -> Decision {
    decide(&engine(TRAVEL), ctx(json!({ "geo": geo, "profile": profile })))
}

#[test]
fn s15_abroad_gets_travel_insurance_for_that_country() {
    let d = travel(json!({ "country": "PT" }), json!({ "home_country": "FR" }));
    assert_rule(&d, "cross_sell", "travel_insurance");
    assert_eq!(var(&d, "cross_sell", "country"), Some("PT"));
    assert_eq!(content(&d, "cross_sell")["href"], "/insurance/travel?country=PT");
}

#[test]
fn s15_at_home_gets_no_travel_insurance() {
    let d = travel(json!({ "country": "FR" }), json!({ "home_country": "FR" }));
    assert_default(&d, "cross_sell", "savings_tips", "no_eligible_variant");
}

#[test]
fn s15_unknown_country_or_home_is_undecided_not_abroad() {
    let d = travel(json!({}), json!({ "home_country": "FR" }));
    assert_default(&d, "cross_sell", "savings_tips", "undecided");
    assert!(missing_has(&d, "geo.country"), "{:?}", d.missing);
    let d = travel(json!({ "country": "PT" }), json!({}));
    assert_default(&d, "cross_sell", "savings_tips", "undecided");
    assert!(missing_has(&d, "profile.home_country"), "{:?}", d.missing);
}

fn kyc(expiry: Value) -> Decision {
    travel(json!({ "country": "FR" }), json!({ "home_country": "FR", "kyc_expiry": expiry }))
}

#[test]
fn s15_kyc_expiring_in_exactly_14_days_gets_the_reminder() {
    let d = kyc(json!("2026-12-07T18:30:00Z"));
    assert_rule(&d, "service_notice", "kyc_reminder");
    assert_eq!(var(&d, "service_notice", "expiry"), Some("2026-12-07T18:30:00Z"));
    assert_eq!(content(&d, "service_notice")["body"], "Renew it before 2026-12-07T18:30:00Z to avoid interruptions.");
    // Epoch milliseconds are read too.
    let d = kyc(json!(1_796_668_200_000_i64));
    assert_rule(&d, "service_notice", "kyc_reminder");
}

#[test]
fn s15_kyc_expiring_in_14_days_and_an_hour_gets_nothing() {
    let d = kyc(json!("2026-12-07T19:30:00Z"));
    assert_default(&d, "service_notice", "none", "no_eligible_variant");
    let failed = candidate(&d, "service_notice", "kyc_reminder").failed.clone().unwrap();
    assert!(failed.contains("days until profile.kyc_expiry"), "{failed}");
    assert!(failed.contains("14.04"), "{failed}");
}

#[test]
fn s15_kyc_expiring_now_is_a_reminder_already_expired_is_a_block() {
    assert_eq!(pick(&kyc(json!(NOW)), "service_notice"), "kyc_reminder");
    let d = kyc(json!("2026-11-23T18:29:00Z"));
    assert_rule(&d, "service_notice", "kyc_expired_block");
    assert_eq!(content(&d, "service_notice")["href"], "/kyc/renew");
}

#[test]
fn s15_unreadable_kyc_date_is_undecided() {
    let d = kyc(json!("next month"));
    assert_default(&d, "service_notice", "none", "undecided");
    assert!(missing_has(&d, "timestamp (unreadable)"), "{:?}", d.missing);
}

fn trial(plan: &str, ends: &str) -> Decision {
    travel(json!({ "country": "FR" }), json!({ "home_country": "FR", "plan": plan, "trial_ends_at": ends }))
}

#[test]
fn s15_trial_ending_within_3_days_gets_the_upgrade_prompt() {
    let d = trial("trial", "2026-11-26T18:30:00Z");
    assert_rule(&d, "plan", "trial_upgrade");
    assert_eq!(content(&d, "plan")["title"], "Your trial ends on 2026-11-26T18:30:00Z");
    assert_eq!(pick(&trial("trial", "2026-11-24T08:00:00Z"), "plan"), "trial_upgrade");
}

#[test]
fn s15_trial_ending_in_3_days_and_a_minute_or_already_ended_gets_nothing() {
    assert_default(&trial("trial", "2026-11-26T18:31:00Z"), "plan", "none", "no_eligible_variant");
    assert_default(&trial("trial", "2026-11-22T18:30:00Z"), "plan", "none", "no_eligible_variant");
}

#[test]
fn s15_paying_customer_gets_no_trial_prompt() {
    let d = trial("pro", "2026-11-24T18:30:00Z");
    assert_default(&d, "plan", "none", "no_eligible_variant");
    let failed = candidate(&d, "plan", "trial_upgrade").failed.clone().unwrap();
    assert!(failed.contains("(pro vs trial)"), "{failed}");
}

// ---- 16. High-intent loan --------------------------------------------------

fn calc(t: &str) -> Value {
    json!({ "type": "page", "properties": { "page": "loan-calculator" }, "timestamp": t })
}

fn rates(t: &str) -> Value {
    json!({ "type": "track", "event": "Rates Compared", "properties": { "products": 3 }, "timestamp": t })
}

fn referral(url: &str, t: &str) -> Value {
    json!({ "type": "track", "event": "Session Started", "properties": { "referrer": url }, "timestamp": t })
}

fn loan(events: Vec<Value>) -> Decision {
    decide(&engine(LOAN), ctx(json!({ "events": events })))
}

fn intent(calc_views: usize, referral_at: &str) -> Vec<Value> {
    let mut ev = vec![referral("https://www.rivalbank.com/personal-loans", referral_at), rates("2026-11-15T20:45:00Z")];
    for i in 0..calc_views {
        ev.push(calc(&format!("2026-11-2{i}T12:00:00Z")));
    }
    ev
}

#[test]
fn s16_three_calculator_views_rates_and_competitor_referral() {
    let d = loan(intent(3, "2026-11-02T10:00:00Z"));
    assert_rule(&d, "loan_offer", "preapproved_loan");
    assert_eq!(content(&d, "loan_offer")["rate_apr"], 4.2);
}

#[test]
fn s16_two_calculator_views_are_not_enough() {
    let d = loan(intent(2, "2026-11-02T10:00:00Z"));
    assert_default(&d, "loan_offer", "none", "no_eligible_variant");
    let failed = candidate(&d, "loan_offer", "preapproved_loan").failed.clone().unwrap();
    assert!(failed.contains("segment loan_calculator_regular"), "{failed}");
    assert!(failed.contains("(2 vs 3)"), "{failed}");
}

#[test]
fn s16_other_calculator_pages_do_not_count() {
    let mut ev = intent(2, "2026-11-02T10:00:00Z");
    ev.push(
        json!({ "type": "page", "properties": { "page": "savings-calculator" }, "timestamp": "2026-11-23T10:00:00Z" }),
    );
    assert_eq!(pick(&loan(ev), "loan_offer"), "none");
}

#[test]
fn s16_rates_must_have_been_compared() {
    let ev: Vec<Value> =
        intent(3, "2026-11-02T10:00:00Z").into_iter().filter(|e| e["event"] != "Rates Compared").collect();
    let d = loan(ev);
    assert_default(&d, "loan_offer", "none", "no_eligible_variant");
    assert!(candidate(&d, "loan_offer", "preapproved_loan")
        .failed
        .as_deref()
        .unwrap()
        .contains("segment compared_rates"));
}

#[test]
fn s16_competitor_referral_window_is_30_days_inclusive() {
    assert_rule(&loan(intent(3, "2026-10-24T18:30:00Z")), "loan_offer", "preapproved_loan");
    let d = loan(intent(3, "2026-10-24T18:29:00Z"));
    assert_default(&d, "loan_offer", "none", "no_eligible_variant");
    assert!(candidate(&d, "loan_offer", "preapproved_loan")
        .failed
        .as_deref()
        .unwrap()
        .contains("segment competitor_referral"));
}

#[test]
fn s16_referrer_must_be_a_competitor() {
    let mut ev = intent(3, "2026-11-02T10:00:00Z");
    ev[0] = referral("https://www.google.com/search?q=personal+loan", "2026-11-02T10:00:00Z");
    assert_eq!(pick(&loan(ev.clone()), "loan_offer"), "none");
    ev[0] = referral("https://loanhub.io/compare?amount=12000", "2026-11-02T10:00:00Z");
    assert_eq!(pick(&loan(ev), "loan_offer"), "preapproved_loan");
}

// ---- 17. Consent -----------------------------------------------------------

fn consent_ctx(consent: Option<Value>) -> Value {
    let mut c = ctx(json!({
        "events": [ { "e": "product_viewed", "p": { "product_id": "sku-17" }, "t": "2026-11-22T12:00:00Z" } ]
    }));
    match consent {
        Some(v) => c["consent"] = v,
        None => {
            c.as_object_mut().unwrap().remove("consent");
        }
    }
    c
}

#[test]
fn s17_with_consent_history_personalises() {
    let d = decide(&engine(CONSENT), consent_ctx(Some(json!({ "personalization": true, "marketing": true }))));
    assert!(d.consent);
    assert_rule(&d, "hero", "returning_visitor");
    assert_eq!(var(&d, "hero", "product"), Some("sku-17"));
    assert_eq!(content(&d, "hero")["image"], "/img/products/sku-17.jpg");
    assert_rule(&d, "newsletter", "marketing_offer");
}

fn assert_no_consent(d: &Decision) {
    assert!(!d.consent);
    assert!(!d.holdout);
    assert!(d.missing.is_empty(), "{:?}", d.missing);
    for s in &d.slots {
        assert!(s.is_default, "{}", s.slot);
        assert_eq!(s.reason, "no_consent");
        assert!(s.vars.is_empty());
        let ex = s.explain.as_ref().unwrap();
        assert!(ex.candidates.is_empty(), "no rule is evaluated without consent");
        assert!(ex.summary.contains("history not read"), "{}", ex.summary);
    }
    assert_eq!(pick(d, "hero"), "brand_hero");
    assert_eq!(pick(d, "newsletter"), "generic_signup");
}

#[test]
fn s17_without_consent_every_slot_is_default() {
    assert_no_consent(&decide(&engine(CONSENT), consent_ctx(None)));
    assert_no_consent(&decide(&engine(CONSENT), consent_ctx(Some(json!({})))));
    assert_no_consent(&decide(&engine(CONSENT), consent_ctx(Some(json!({ "personalization": false })))));
}

#[test]
fn s17_other_consents_do_not_replace_personalisation_consent() {
    assert_no_consent(&decide(&engine(CONSENT), consent_ctx(Some(json!({ "marketing": true, "analytics": true })))));
}

#[test]
fn s17_marketing_consent_gates_only_its_own_variant() {
    let d = decide(&engine(CONSENT), consent_ctx(Some(json!({ "personalization": true }))));
    assert_rule(&d, "hero", "returning_visitor");
    assert_default(&d, "newsletter", "generic_signup", "no_eligible_variant");
    let failed = candidate(&d, "newsletter", "marketing_offer").failed.clone().unwrap();
    assert!(failed.contains("consent.marketing was false"), "{failed}");
}

#[test]
fn s17_no_consent_beats_holdout() {
    // The holdout bundle, a customer inside the holdout, no consent: consent is checked first.
    let mut c = ctx(json!({ "customer_id": "cust-18668" }));
    c.as_object_mut().unwrap().remove("consent");
    let d = decide(&engine(HOLDOUT), c);
    assert!(!d.holdout);
    assert_default(&d, "hero", "brand_hero", "no_consent");
}

// ---- 18. Frequency cap and conversion suppression ---------------------------

fn exposure(variant: &str, t: &str) -> Value {
    json!({ "e": "$exposure", "p": { "slot": "offer", "variant": variant }, "t": t })
}

fn conversion(variant: &str, t: &str) -> Value {
    json!({ "e": "$conversion", "p": { "slot": "offer", "variant": variant }, "t": t })
}

fn capped(events: Vec<Value>) -> Decision {
    decide(&engine(CAP), ctx(json!({ "events": events })))
}

#[test]
fn s18_two_exposures_in_7_days_still_shown() {
    let d =
        capped(vec![exposure("winter_sale", "2026-11-17T09:00:00Z"), exposure("winter_sale", "2026-11-23T08:12:00Z")]);
    assert_rule(&d, "offer", "winter_sale");
    assert_eq!(content(&d, "offer")["code"], "WINTER30");
    assert!(candidate(&d, "offer", "winter_sale").excluded.is_none());
}

#[test]
fn s18_third_exposure_in_7_days_caps_the_offer() {
    let d = capped(vec![
        exposure("winter_sale", "2026-11-17T09:00:00Z"),
        exposure("winter_sale", "2026-11-20T19:05:00Z"),
        exposure("winter_sale", "2026-11-23T08:12:00Z"),
    ]);
    assert_rule(&d, "offer", "free_shipping");
    let c = candidate(&d, "offer", "winter_sale");
    assert_eq!(c.eligible, "true");
    let why = c.excluded.as_deref().unwrap();
    assert!(why.starts_with("frequency cap reached: shown 3 times"), "{why}");
}

#[test]
fn s18_exposure_exactly_7_days_ago_still_counts() {
    let d = capped(vec![
        exposure("winter_sale", "2026-11-16T18:30:00Z"),
        exposure("winter_sale", "2026-11-20T19:05:00Z"),
        exposure("winter_sale", "2026-11-23T08:12:00Z"),
    ]);
    assert_rule(&d, "offer", "free_shipping");
}

#[test]
fn s18_window_allows_again_once_the_third_exposure_is_older_than_7_days() {
    for oldest in ["2026-11-16T18:29:59Z", "2026-11-16T18:29:59.999Z"] {
        let d = capped(vec![
            exposure("winter_sale", oldest),
            exposure("winter_sale", "2026-11-20T19:05:00Z"),
            exposure("winter_sale", "2026-11-23T08:12:00Z"),
        ]);
        assert_rule(&d, "offer", "winter_sale");
    }
}

#[test]
fn s18_exposures_of_other_slots_variants_or_the_future_do_not_count() {
    let d = capped(vec![
        json!({ "e": "$exposure", "p": { "slot": "banner", "variant": "winter_sale" }, "t": "2026-11-21T10:00:00Z" }),
        exposure("free_shipping", "2026-11-22T10:00:00Z"),
        exposure("winter_sale", "2026-11-22T11:00:00Z"),
        exposure("winter_sale", "2026-11-23T08:12:00Z"),
        exposure("winter_sale", "2026-11-24T08:12:00Z"),
    ]);
    assert_rule(&d, "offer", "winter_sale");
}

#[test]
fn s18_converted_offer_is_suppressed_for_good() {
    let d = capped(vec![conversion("winter_sale", "2026-09-01T10:00:00Z")]);
    assert_rule(&d, "offer", "free_shipping");
    assert_eq!(candidate(&d, "offer", "winter_sale").excluded.as_deref(), Some("converted already: suppressed"));
    // Converting on another variant does not suppress this one.
    let d = capped(vec![conversion("free_shipping", "2026-11-23T10:00:00Z")]);
    assert_rule(&d, "offer", "winter_sale");
}

#[test]
fn s18_everything_capped_or_converted_falls_back_to_default() {
    let mut ev = vec![conversion("winter_sale", "2026-11-20T10:00:00Z")];
    for t in ["2026-11-21T10:00:00Z", "2026-11-22T10:00:00Z", "2026-11-23T10:00:00Z"] {
        ev.push(exposure("free_shipping", t));
    }
    let d = capped(ev);
    assert_default(&d, "offer", "none", "no_eligible_variant");
    assert_eq!(content(&d, "offer"), Value::Null);
    assert!(candidate(&d, "offer", "free_shipping").excluded.as_deref().unwrap().starts_with("frequency cap reached"));
}

// ---- 19. Holdout and stable A/B arms ----------------------------------------

// Buckets found with `kairos bucket SALT ID` (holdout salt `lift-2026q4`, 10% → buckets 0–999).
const IN_HOLDOUT_EDGE: &str = "cust-18668"; // lift-2026q4 → 999
const IN_HOLDOUT_ZERO: &str = "cust-30804"; // lift-2026q4 → 0
const OUT_HOLDOUT_EDGE: &str = "cust-521"; // lift-2026q4 → 1000, cta-copy-test → 6667
const ARM_A_EDGE: &str = "cust-40650"; // lift-2026q4 → 5513, cta-copy-test → 4999
const ARM_B_EDGE: &str = "cust-3322"; // lift-2026q4 → 9015, cta-copy-test → 5000

fn holdout(id: &str) -> Decision {
    decide(&engine(HOLDOUT), ctx(json!({ "customer_id": id })))
}

#[test]
fn s19_bucket_values_match_the_cli() {
    use kairos::bucket::bucket;
    assert_eq!(bucket("lift-2026q4", IN_HOLDOUT_EDGE), 999);
    assert_eq!(bucket("lift-2026q4", IN_HOLDOUT_ZERO), 0);
    assert_eq!(bucket("lift-2026q4", OUT_HOLDOUT_EDGE), 1000);
    assert_eq!(bucket("cta-copy-test", OUT_HOLDOUT_EDGE), 6667);
    assert_eq!(bucket("cta-copy-test", ARM_A_EDGE), 4999);
    assert_eq!(bucket("cta-copy-test", ARM_B_EDGE), 5000);
}

#[test]
fn s19_customer_inside_the_holdout_gets_every_default() {
    for id in [IN_HOLDOUT_EDGE, IN_HOLDOUT_ZERO] {
        let d = holdout(id);
        assert!(d.holdout, "{id}");
        assert!(d.consent);
        assert_default(&d, "hero", "brand_hero", "holdout");
        assert_default(&d, "cta", "plain_copy", "holdout");
        assert!(summary(&d, "hero").contains("holdout"));
    }
}

#[test]
fn s19_customer_just_outside_the_holdout_is_personalised() {
    let d = holdout(OUT_HOLDOUT_EDGE);
    assert!(!d.holdout);
    assert_rule(&d, "hero", "personal_picks");
    assert_rule(&d, "cta", "urgency_copy");
}

#[test]
fn s19_ab_arm_edges() {
    let d = holdout(ARM_A_EDGE);
    assert_rule(&d, "cta", "benefit_copy");
    assert_eq!(content(&d, "cta")["arm"], "A");
    let d = holdout(ARM_B_EDGE);
    assert_rule(&d, "cta", "urgency_copy");
    assert_eq!(content(&d, "cta")["arm"], "B");
}

#[test]
fn s19_groups_are_stable_across_time_device_and_zone() {
    let e = engine(HOLDOUT);
    let variations = [
        json!({ "now": "2026-11-23T18:30:00Z", "session": { "device": "desktop" } }),
        json!({ "now": "2027-03-01T07:00:00Z", "timezone": "America/New_York", "session": { "device": "mobile" } }),
        json!({ "now": 1_795_458_600_000_i64, "timezone": null, "utc_offset": "+09:00", "session": { "user_agent": "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)" } }),
    ];
    for (id, hero, arm) in [
        (IN_HOLDOUT_EDGE, "brand_hero", "plain_copy"),
        (OUT_HOLDOUT_EDGE, "personal_picks", "urgency_copy"),
        (ARM_A_EDGE, "personal_picks", "benefit_copy"),
        (ARM_B_EDGE, "personal_picks", "urgency_copy"),
    ] {
        for v in &variations {
            let mut c = ctx(v.clone());
            c["customer_id"] = json!(id);
            let d = decide(&e, c);
            assert_eq!(pick(&d, "hero"), hero, "{id} {v}");
            assert_eq!(pick(&d, "cta"), arm, "{id} {v}");
        }
    }
}

#[test]
fn s19_holdout_share_is_about_ten_percent() {
    let e = engine(HOLDOUT);
    let n = 20_000;
    let held = (0..n)
        .filter(|i| {
            let c = parse_context(&ctx(json!({ "customer_id": format!("visitor-{i}") })).to_string()).unwrap();
            e.decide(&c, Options::default()).holdout
        })
        .count();
    let share = held as f64 / n as f64;
    assert!((0.09..=0.11).contains(&share), "holdout share {share}");
}

#[test]
fn s19_without_a_customer_id_the_group_is_unknown_so_defaults_are_shown() {
    let d = decide(&engine(HOLDOUT), ctx(json!({ "customer_id": null })));
    assert!(d.holdout);
    assert_default(&d, "hero", "brand_hero", "holdout");
    assert!(missing_has(&d, "customer.id"), "{:?}", d.missing);
}

// ---- 20. Missing or broken signals ------------------------------------------

/// No time zone anywhere (the bundle has no default either), unknown device, empty history, empty profile.
fn bare(session: Value) -> Value {
    json!({
        "now": NOW,
        "customer_id": "cust-2001",
        "consent": { "personalization": true },
        "session": session,
        "profile": {},
        "events": []
    })
}

#[test]
fn s20_unknown_device_and_no_time_zone_give_the_default_hero() {
    let e = engine(MISSING);
    for session in [json!({ "user_agent": "SmartFridge/2.1 (embedded)" }), json!({ "device": "smart-tv" }), json!({})] {
        let d = decide(&e, bare(session.clone()));
        assert_default(&d, "hero", "brand_hero", "undecided");
        assert!(missing_has(&d, "session.device"), "{session}: {:?}", d.missing);
        assert!(missing_has(&d, "timezone"), "{session}: {:?}", d.missing);
        assert_eq!(candidate(&d, "hero", "mobile_app_push").missing, vec!["session.device".to_string()]);
        assert_eq!(candidate(&d, "hero", "evening_hero").missing, vec!["timezone".to_string()]);
        assert_eq!(candidate(&d, "hero", "evening_hero").eligible, "unknown");
    }
}

#[test]
fn s20_known_signals_decide_normally() {
    let e = engine(MISSING);
    let mut c = bare(json!({ "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15" }));
    c["utc_offset"] = json!("+01:00"); // 19:30 local
    let d = decide(&e, c);
    assert_rule(&d, "hero", "evening_hero");
    assert_eq!(candidate(&d, "hero", "mobile_app_push").eligible, "false");
    let d = decide(&e, bare(json!({ "client_hints": { "mobile": "?1" } })));
    assert_rule(&d, "hero", "mobile_app_push");
}

#[test]
fn s20_unreadable_time_zone_is_named_in_missing() {
    let mut c = bare(json!({ "device": "desktop" }));
    c["timezone"] = json!("Mars/Olympus");
    let d = decide(&engine(MISSING), c);
    assert_default(&d, "hero", "brand_hero", "undecided");
    assert!(d.missing.iter().any(|m| m.starts_with("timezone (") && m.contains("Mars/Olympus")), "{:?}", d.missing);
}

#[test]
fn s20_empty_history_gives_the_welcome_offer() {
    let d = decide(&engine(MISSING), bare(json!({})));
    assert_default(&d, "offer", "welcome_offer", "undecided");
    assert!(missing_has(&d, "history: no order_completed event(s) in window"), "{:?}", d.missing);
    assert_eq!(candidate(&d, "offer", "winback").eligible, "unknown");
    let loyal = candidate(&d, "offer", "loyal_thanks");
    assert_eq!(loyal.eligible, "false");
    assert!(loyal.failed.as_deref().unwrap().contains("(0 vs 3)"));
    assert_eq!(content(&d, "offer")["code"], "WELCOME10");
}

#[test]
fn s20_history_present_decides_the_offer() {
    let mut c = bare(json!({}));
    c["events"] = json!([ { "e": "order_completed", "t": "2026-09-01T10:00:00Z" } ]);
    assert_rule(&decide(&engine(MISSING), c), "offer", "winback");
}

#[test]
fn s20_absent_profile_attribute_is_missing_not_false() {
    let e = engine(MISSING);
    let d = decide(&e, bare(json!({})));
    assert_default(&d, "banner", "generic_banner", "undecided");
    assert!(missing_has(&d, "profile.loyalty_tier"), "{:?}", d.missing);
    assert_eq!(candidate(&d, "banner", "gold_lounge").missing, vec!["profile.loyalty_tier".to_string()]);
    // null is as good as absent
    let mut c = bare(json!({}));
    c["profile"] = json!({ "loyalty_tier": null });
    assert_default(&decide(&e, c), "banner", "generic_banner", "undecided");
    let mut c = bare(json!({}));
    c["profile"] = json!({ "loyalty_tier": "gold" });
    assert_rule(&decide(&e, c), "banner", "gold_lounge");
    let mut c = bare(json!({}));
    c["profile"] = json!({ "loyalty_tier": "silver" });
    assert_default(&decide(&e, c), "banner", "generic_banner", "no_eligible_variant");
}

/// Parses text that must be rejected; returns the error's Display and location.
fn reject(text: &str) -> (String, kairos::Location) {
    match parse_context(text) {
        Ok(_) => panic!("accepted a malformed context:\n{text}"),
        Err(e) => (e.to_string(), e.at),
    }
}

#[test]
fn s20_malformed_json_is_a_located_error() {
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"session\": {\"page\": \"home\",}\n}\n");
    assert_eq!(at.line, 4, "{msg}");
    assert!(at.path.starts_with("session"), "{msg}");
    assert!(msg.contains("line 4, column"), "{msg}");
    assert!(msg.contains("trailing comma"), "{msg}");
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"geo\": {\"lat\": NaN}\n}\n");
    assert_eq!(at.path, "geo.lat", "{msg}");
    assert!(msg.contains("geo.lat (line 4, column"), "{msg}");
}

#[test]
fn s20_truncated_json_is_an_error_with_its_line() {
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"session\": {\"page_views\": 3}\n");
    assert_eq!(at.line, 5, "{msg}");
    assert!(msg.contains("line 5"), "{msg}");
    assert!(msg.contains("EOF while parsing"), "{msg}");
}

#[test]
fn s20_wrong_type_is_a_located_error() {
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"session\": {\"page_views\": \"three\"}\n}\n");
    assert_eq!(at.path, "session.page_views");
    assert_eq!((at.line, at.column), (4, 35));
    assert!(msg.contains("session.page_views (line 4, column 35)"), "{msg}");
    assert!(msg.contains("invalid type"), "{msg}");
    let (msg, at) = reject("{\n  \"now\": \"soon\",\n  \"consent\": {\"personalization\": true}\n}\n");
    assert_eq!(at.path, "now", "{msg}");
    assert_eq!(at.line, 2, "{msg}");
}

#[test]
fn s20_out_of_range_numbers_are_located_errors() {
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"geo\": {\"lat\": 1e400}\n}\n");
    assert_eq!(at.path, "geo.lat");
    assert!(msg.contains("geo.lat (line 4, column"), "{msg}");
    assert!(msg.contains("number out of range"), "{msg}");
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"consent\": {\"personalization\": true},\n  \"profile\": {\"balance\": -1e999}\n}\n");
    assert_eq!(at.path, "profile.balance", "{msg}");
    let (msg, at) = reject("{\n  \"now\": 1e300,\n  \"consent\": {\"personalization\": true}\n}\n");
    assert_eq!(at.path, "now", "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
}

#[test]
fn s20_misspelt_key_is_a_located_error() {
    let (msg, at) = reject("{\n  \"now\": \"2026-11-23T18:30:00Z\",\n  \"sesion\": {}\n}\n");
    assert_eq!(at.path, "sesion");
    assert_eq!(at.line, 3);
    assert!(msg.contains("unknown field `sesion`"), "{msg}");
}

// ---- 21. Explain -----------------------------------------------------------

fn explain_ctx() -> Value {
    ctx(json!({
        "session": { "device": "mobile", "page": "home" },
        "events": [
            { "e": "product_viewed", "p": { "product_id": "sku-9", "price": 45 }, "t": "2026-11-23T17:40:00Z" },
            { "e": "cart_viewed", "p": { "product_id": "sku-9", "cart_value": 120 }, "t": "2026-11-23T17:45:00Z" },
            { "e": "$exposure", "p": { "slot": "offer", "variant": "winter_sale" }, "t": "2026-11-18T10:00:00Z" },
            { "e": "$exposure", "p": { "slot": "offer", "variant": "winter_sale" }, "t": "2026-11-20T10:00:00Z" },
            { "e": "$exposure", "p": { "slot": "offer", "variant": "winter_sale" }, "t": "2026-11-22T10:00:00Z" }
        ]
    }))
}

#[test]
fn s21_explains_every_candidate_of_the_winning_slot() {
    let d = decide(&engine(EXPLAIN), explain_ctx());
    assert_rule(&d, "offer", "cart_reminder");
    assert_eq!(var(&d, "offer", "product"), Some("sku-9"));
    let ex = slot(&d, "offer").explain.as_ref().unwrap();
    let order: Vec<&str> = ex.candidates.iter().map(|c| c.variant.as_str()).collect();
    assert_eq!(order, ["vip_evening", "propensity_boost", "winter_sale", "cart_reminder", "browse_reminder"]);
    let eligible: Vec<(&str, &str)> = ex.candidates.iter().map(|c| (c.variant.as_str(), c.eligible)).collect();
    assert_eq!(
        eligible,
        [
            ("vip_evening", "false"),
            ("propensity_boost", "unknown"),
            ("winter_sale", "true"),
            ("cart_reminder", "true"),
            ("browse_reminder", "true")
        ]
    );

    // Failed, with the values seen.
    let vip = candidate(&d, "offer", "vip_evening");
    assert_eq!(vip.priority, 30);
    assert_eq!(
        vip.failed.as_deref(),
        Some("segment repeat_cart_viewer: count(cart_viewed within 2d) >= 2 was false (1 vs 2)")
    );
    assert!(vip.missing.is_empty());

    // Could not be decided, and on what.
    let boost = candidate(&d, "offer", "propensity_boost");
    assert_eq!(
        boost.failed.as_deref(),
        Some("score purchase_propensity (max age 1d) > 0.85 was unknown (unknown vs 0.85)")
    );
    assert_eq!(boost.missing, vec!["score.purchase_propensity".to_string()]);

    // Eligible but excluded, and why.
    let sale = candidate(&d, "offer", "winter_sale");
    assert!(sale.failed.is_none());
    assert_eq!(sale.excluded.as_deref(), Some("frequency cap reached: shown 3 times in 1w"));

    // The two survivors, ranked by score at equal priority.
    assert_eq!(candidate(&d, "offer", "cart_reminder").score, Some(120.0));
    assert_eq!(candidate(&d, "offer", "browse_reminder").score, Some(45.0));
    assert!(candidate(&d, "offer", "cart_reminder").excluded.is_none());
    assert_eq!(ex.summary, "`cart_reminder` won among 2 eligible variant(s): priority 10, score 120");
    assert_eq!(d.missing, vec!["score.purchase_propensity".to_string()]);
}

#[test]
fn s21_explains_a_default() {
    let d = decide(&engine(EXPLAIN), explain_ctx());
    assert_default(&d, "hero", "brand_hero", "no_eligible_variant");
    assert_eq!(summary(&d, "hero"), "no variant was eligible: default shown");
    let c = candidate(&d, "hero", "tablet_lookbook");
    assert_eq!(c.eligible, "false");
    assert_eq!(c.failed.as_deref(), Some("session.device == \"tablet\" was false (mobile vs tablet)"));
}

#[test]
fn s21_explains_an_undecided_default() {
    let mut c = explain_ctx();
    c["session"] = json!({ "page": "home" });
    let d = decide(&engine(EXPLAIN), c);
    assert_default(&d, "hero", "brand_hero", "undecided");
    assert!(summary(&d, "hero").contains("signals were missing"), "{}", summary(&d, "hero"));
    let cand = candidate(&d, "hero", "tablet_lookbook");
    assert_eq!(cand.eligible, "unknown");
    assert_eq!(cand.missing, vec!["session.device".to_string()]);
}

#[test]
fn s21_higher_priority_wins_when_it_becomes_eligible() {
    let mut c = explain_ctx();
    c["events"].as_array_mut().unwrap().push(
        json!({ "e": "cart_viewed", "p": { "product_id": "sku-9", "cart_value": 130 }, "t": "2026-11-23T18:00:00Z" }),
    );
    let d = decide(&engine(EXPLAIN), c);
    assert_rule(&d, "offer", "vip_evening");
    assert_eq!(summary(&d, "offer"), "`vip_evening` won among 3 eligible variant(s): priority 30");
}

#[test]
fn s21_explanation_and_decision_are_serialisable_and_optional() {
    let e = engine(EXPLAIN);
    let c = parse_context(&explain_ctx().to_string()).unwrap();
    let with = e.decide(&c, Options { explain: true });
    let without = e.decide(&c, Options { explain: false });
    assert!(without.slots.iter().all(|s| s.explain.is_none()));
    assert_eq!(
        with.slots.iter().map(|s| &s.variant).collect::<Vec<_>>(),
        without.slots.iter().map(|s| &s.variant).collect::<Vec<_>>()
    );
    let v: Value = serde_json::from_str(&kairos::json::decision_to_json(&with)).unwrap();
    assert_eq!(v["slots"]["offer"]["variant"], "cart_reminder");
    assert_eq!(
        v["slots"]["offer"]["explain"]["candidates"][2]["excluded"],
        "frequency cap reached: shown 3 times in 1w"
    );
    assert_eq!(v["slots"]["offer"]["content"]["image"], "/img/products/sku-9.jpg");
}
