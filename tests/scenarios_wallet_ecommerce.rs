//! Scenarios 1–10 of /work/shared/scenarios.md (wallet and e-commerce), each
//! written as a bundle in examples/scenarios/ and decided here at the edges of
//! every threshold and window: just inside and just outside.
//!
//! Every context uses a fixed `now` (RFC 3339); events are placed relative to it.

use kairos::decide::SlotDecision;
use kairos::{Decision, Engine, Options};
use serde_json::{json, Value};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

// ---- helpers ---------------------------------------------------------------

fn engine(src: &str) -> Engine {
    let program = kairos::json::compile_json(src).unwrap_or_else(|e| panic!("bundle does not compile: {e}"));
    Engine::new(program)
}

/// Epoch ms of an RFC 3339 timestamp.
fn t(rfc: &str) -> i64 {
    kairos::time::parse_timestamp(rfc).unwrap_or_else(|e| panic!("{e}"))
}

/// RFC 3339 (UTC) of epoch ms.
fn iso(ms: i64) -> String {
    kairos::time::format_timestamp(ms)
}

/// A context under construction: consent given, a customer id, a zone.
#[derive(Clone)]
struct Ctx {
    now: i64,
    v: Value,
}

impl Ctx {
    fn at(now: &str) -> Ctx {
        let now_ms = t(now);
        Ctx {
            now: now_ms,
            v: json!({
                "now": now,
                "customer_id": "cust-1",
                "timezone": "Europe/Malta",
                "consent": { "personalization": true },
                "events": []
            }),
        }
    }
    fn set(mut self, key: &str, value: Value) -> Ctx {
        self.v[key] = value;
        self
    }
    fn without(mut self, key: &str) -> Ctx {
        self.v.as_object_mut().unwrap().remove(key);
        self
    }
    /// An event `ago` ms before now (negative: after now).
    fn event(mut self, name: &str, ago: i64, props: Value) -> Ctx {
        let e = json!({ "type": "track", "event": name, "properties": props, "timestamp": iso(self.now - ago) });
        self.v["events"].as_array_mut().unwrap().push(e);
        self
    }
    fn profile(mut self, key: &str, value: Value) -> Ctx {
        if self.v.get("profile").is_none() {
            self.v["profile"] = json!({});
        }
        self.v["profile"][key] = value;
        self
    }
    fn session(mut self, key: &str, value: Value) -> Ctx {
        if self.v.get("session").is_none() {
            self.v["session"] = json!({});
        }
        self.v["session"][key] = value;
        self
    }
    /// A cached score computed `age` ms before now.
    fn score(mut self, name: &str, value: f64, age: i64) -> Ctx {
        if self.v.get("scores").is_none() {
            self.v["scores"] = json!({});
        }
        self.v["scores"][name] = json!({ "value": value, "computed_at": iso(self.now - age) });
        self
    }
    fn decide(&self, engine: &Engine) -> Decision {
        let ctx = kairos::json::parse_context(&self.v.to_string())
            .unwrap_or_else(|e| panic!("context does not parse: {e}\n{}", self.v));
        engine.decide(&ctx, Options { explain: true })
    }
}

fn slot<'a>(d: &'a Decision, name: &str) -> &'a SlotDecision {
    d.slots.iter().find(|s| s.slot == name).unwrap_or_else(|| panic!("no slot `{name}` in the decision"))
}

fn explain(s: &SlotDecision) -> String {
    serde_json::to_string(&s.explain).unwrap()
}

fn content(s: &SlotDecision) -> Value {
    serde_json::to_value(&s.content).unwrap()
}

fn var<'a>(s: &'a SlotDecision, name: &str) -> &'a str {
    s.vars
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no var `{name}` in {:?}", s.vars))
}

/// Asserts the slot's variant, showing the explanation on failure; returns the slot decision.
#[track_caller]
fn pick<'a>(d: &'a Decision, slot_name: &str, variant: &str) -> &'a SlotDecision {
    let s = slot(d, slot_name);
    assert_eq!(s.variant, variant, "slot `{slot_name}`: explain = {}\nmissing = {:?}", explain(s), d.missing);
    s
}

#[track_caller]
fn assert_missing(d: &Decision, needle: &str) {
    assert!(d.missing.iter().any(|m| m.contains(needle)), "expected `{needle}` among missing signals {:?}", d.missing);
}

// ---- 1. Abandoned deposit --------------------------------------------------

fn s01() -> Engine {
    engine(include_str!("../examples/scenarios/01-abandoned-deposit.json"))
}

const S01_NOW: &str = "2026-11-23T20:00:00Z";

/// A deposit of $40 started `started_ago` before now; a low balance.
fn s01_ctx(started_ago: i64) -> Ctx {
    Ctx::at(S01_NOW).profile("balance", json!(12.4)).event(
        "deposit_started",
        started_ago,
        json!({ "amount": 40, "method": "apple_pay" }),
    )
}

#[test]
fn s01_abandoned_exactly_30m_after_start_gets_recovery() {
    let d = s01_ctx(30 * MIN).decide(&s01());
    let s = pick(&d, "deposit_recovery", "finish_deposit");
    assert!(!s.is_default);
    assert_eq!(s.reason, "rule");
    assert_eq!(var(s, "amount"), "40");
    assert_eq!(var(s, "method"), "apple_pay");
    let c = content(s);
    assert_eq!(c["title"], "Your $40 deposit is one tap away");
    assert_eq!(c["cta"]["url"], "/wallet/deposit?amount=40&method=apple_pay");
}

#[test]
fn s01_29m_after_start_is_not_yet_abandoned() {
    let d = s01_ctx(29 * MIN).decide(&s01());
    let s = pick(&d, "deposit_recovery", "none");
    assert!(s.is_default);
    assert_eq!(s.reason, "no_eligible_variant");
}

#[test]
fn s01_completed_29m_after_start_is_not_abandoned() {
    let d = s01_ctx(40 * MIN).event("deposit_completed", 11 * MIN, json!({ "amount": 40 })).decide(&s01());
    pick(&d, "deposit_recovery", "none");
}

#[test]
fn s01_completed_exactly_30m_after_start_is_not_abandoned() {
    let d = s01_ctx(40 * MIN).event("deposit_completed", 10 * MIN, json!({ "amount": 40 })).decide(&s01());
    pick(&d, "deposit_recovery", "none");
}

#[test]
fn s01_late_completion_after_the_30m_window_still_suppresses_the_message() {
    // Completed 35 minutes after the start: past the 30-minute window, but the money arrived;
    // the bundle also requires no completion since the start.
    let d = s01_ctx(45 * MIN).event("deposit_completed", 10 * MIN, json!({ "amount": 40 })).decide(&s01());
    pick(&d, "deposit_recovery", "none");
}

#[test]
fn s01_completion_before_the_attempt_does_not_count() {
    let d = s01_ctx(35 * MIN).event("deposit_completed", 2 * HOUR, json!({ "amount": 10 })).decide(&s01());
    pick(&d, "deposit_recovery", "finish_deposit");
}

#[test]
fn s01_balance_49_99_gets_recovery_but_50_gets_nothing() {
    let d = s01_ctx(31 * MIN).profile("balance", json!(49.99)).decide(&s01());
    pick(&d, "deposit_recovery", "finish_deposit");
    let d = s01_ctx(31 * MIN).profile("balance", json!(50)).decide(&s01());
    let s = pick(&d, "deposit_recovery", "none");
    assert_eq!(s.reason, "no_eligible_variant");
    assert!(explain(s).contains("profile.balance < 50 was false (50 vs 50)"), "{}", explain(s));
}

#[test]
fn s01_unknown_balance_is_undecided_and_named() {
    let d = s01_ctx(31 * MIN).without("profile").decide(&s01());
    let s = pick(&d, "deposit_recovery", "none");
    assert_eq!(s.reason, "undecided");
    assert_missing(&d, "profile.balance");
    assert!(explain(s).contains("profile.balance"));
}

#[test]
fn s01_attempt_window_is_24h() {
    let d = s01_ctx(24 * HOUR).decide(&s01());
    pick(&d, "deposit_recovery", "finish_deposit");
    let d = s01_ctx(24 * HOUR + MIN).decide(&s01());
    pick(&d, "deposit_recovery", "none");
}

#[test]
fn s01_most_recent_attempt_decides() {
    // An attempt abandoned 3 h ago, then a new one 10 minutes ago: not abandoned (yet).
    let ctx = s01_ctx(3 * HOUR).event("deposit_started", 10 * MIN, json!({ "amount": 75 }));
    pick(&ctx.decide(&s01()), "deposit_recovery", "none");
    // 30 minutes after the new attempt: abandoned, and the amount is the new one.
    let ctx = s01_ctx(3 * HOUR).event("deposit_started", 30 * MIN, json!({ "amount": 75 }));
    let d = ctx.decide(&s01());
    let s = pick(&d, "deposit_recovery", "finish_deposit");
    assert_eq!(var(s, "amount"), "75");
}

#[test]
fn s01_attempt_without_method_falls_back_to_card() {
    let ctx = Ctx::at(S01_NOW).profile("balance", json!(0)).event("deposit_started", 31 * MIN, json!({ "amount": 15 }));
    let d = ctx.decide(&s01());
    let s = pick(&d, "deposit_recovery", "finish_deposit");
    assert_eq!(var(s, "method"), "card");
    assert_eq!(content(s)["cta"]["url"], "/wallet/deposit?amount=15&method=card");
}

#[test]
fn s01_without_consent_everything_is_default() {
    let d = s01_ctx(31 * MIN).set("consent", json!({})).decide(&s01());
    let s = pick(&d, "deposit_recovery", "none");
    assert_eq!(s.reason, "no_consent");
    assert!(!d.consent);
}

// ---- 2. Churn factor ---------------------------------------------------------

fn s02() -> Engine {
    engine(include_str!("../examples/scenarios/02-churn-factor.json"))
}

const S02_NOW: &str = "2026-11-23T20:00:00Z";

/// An abandoner (started 40 min ago, balance $10) who deposited four times,
/// every `interval`, the last one `since` ago: churn factor = since / interval.
fn s02_ctx(interval: i64, since: i64) -> Ctx {
    let mut c =
        Ctx::at(S02_NOW).profile("balance", json!(10)).event("deposit_started", 40 * MIN, json!({ "amount": 25 }));
    for k in 0..4 {
        c = c.event("deposit_completed", since + k * interval, json!({ "amount": 20 }));
    }
    c
}

const WEEK: i64 = 7 * DAY;

#[test]
fn s02_weekly_depositor_gone_4_weeks_is_factor_4_middle_band() {
    // Factor exactly 4 is "between 2 and 4", not "above 4".
    let d = s02_ctx(WEEK, 4 * WEEK).score("ltv_band", 2.0, HOUR).decide(&s02());
    let s = pick(&d, "deposit_offer", "gentle_nudge");
    assert!(explain(s).contains("was false (value 4)") || explain(s).contains("(4 vs 4)"), "{}", explain(s));
    let d = s02_ctx(WEEK, 4 * WEEK).score("ltv_band", 3.0, HOUR).decide(&s02());
    let s = pick(&d, "deposit_offer", "comeback_promo");
    assert_eq!(var(s, "amount"), "25");
    assert_eq!(content(s)["code"], "COMEBACK50");
}

#[test]
fn s02_factor_just_above_4_gets_promo_without_high_ltv() {
    let d = s02_ctx(WEEK, 4 * WEEK + MIN).score("ltv_band", 1.0, HOUR).decide(&s02());
    pick(&d, "deposit_offer", "comeback_promo");
    // Even with no LTV score at all.
    let d = s02_ctx(WEEK, 4 * WEEK + MIN).decide(&s02());
    pick(&d, "deposit_offer", "comeback_promo");
}

#[test]
fn s02_factor_exactly_2_is_middle_band() {
    let d = s02_ctx(WEEK, 2 * WEEK).score("ltv_band", 2.0, HOUR).decide(&s02());
    pick(&d, "deposit_offer", "gentle_nudge");
    let d = s02_ctx(WEEK, 2 * WEEK).score("ltv_band", 3.0, HOUR).decide(&s02());
    pick(&d, "deposit_offer", "comeback_promo");
}

#[test]
fn s02_factor_just_below_2_gets_no_communication() {
    let d = s02_ctx(WEEK, 2 * WEEK - MIN).score("ltv_band", 3.0, HOUR).decide(&s02());
    let s = pick(&d, "deposit_offer", "no_message");
    assert_eq!(s.reason, "no_eligible_variant");
    assert!(content(s).is_null());
}

#[test]
fn s02_daily_depositor_gone_3_days_is_factor_3() {
    let d = s02_ctx(DAY, 3 * DAY).score("ltv_band", 3.0, HOUR).decide(&s02());
    pick(&d, "deposit_offer", "comeback_promo");
    let d = s02_ctx(DAY, 3 * DAY).score("ltv_band", 2.0, HOUR).decide(&s02());
    pick(&d, "deposit_offer", "gentle_nudge");
}

#[test]
fn s02_ltv_score_older_than_7d_counts_as_missing() {
    let d = s02_ctx(WEEK, 3 * WEEK).score("ltv_band", 3.0, 7 * DAY).decide(&s02());
    pick(&d, "deposit_offer", "comeback_promo");
    // Stale: the promo cannot be decided, the rest of the middle band gets the nudge.
    let d = s02_ctx(WEEK, 3 * WEEK).score("ltv_band", 3.0, 7 * DAY + MIN).decide(&s02());
    let s = pick(&d, "deposit_offer", "gentle_nudge");
    assert_missing(&d, "score.ltv_band (stale");
    assert!(explain(s).contains("score.ltv_band"), "{}", explain(s));
}

#[test]
fn s02_missing_ltv_score_in_middle_band_gets_nudge() {
    let d = s02_ctx(WEEK, 3 * WEEK).decide(&s02());
    pick(&d, "deposit_offer", "gentle_nudge");
    assert_missing(&d, "score.ltv_band");
}

#[test]
fn s02_churn_unknown_with_one_deposit_is_undecided() {
    let ctx = Ctx::at(S02_NOW)
        .profile("balance", json!(10))
        .event("deposit_started", 40 * MIN, json!({ "amount": 25 }))
        .event("deposit_completed", 30 * DAY, json!({ "amount": 20 }))
        .score("ltv_band", 3.0, HOUR);
    let d = ctx.decide(&s02());
    let s = pick(&d, "deposit_offer", "no_message");
    assert_eq!(s.reason, "undecided");
    assert_missing(&d, "fewer than 2 deposit_completed event(s)");
}

#[test]
fn s02_only_abandoners_get_anything() {
    // Funded customer ($50): nothing, whatever the churn factor.
    let d = s02_ctx(WEEK, 6 * WEEK).profile("balance", json!(50)).decide(&s02());
    pick(&d, "deposit_offer", "no_message");
    // Attempt only 29 minutes old: not an abandoner yet.
    let mut c =
        Ctx::at(S02_NOW).profile("balance", json!(10)).event("deposit_started", 29 * MIN, json!({ "amount": 25 }));
    for k in 0..4 {
        c = c.event("deposit_completed", 6 * WEEK + k * WEEK, json!({ "amount": 20 }));
    }
    pick(&c.decide(&s02()), "deposit_offer", "no_message");
}

// ---- 3. Follow-up across channels --------------------------------------------

fn s03() -> Engine {
    engine(include_str!("../examples/scenarios/03-cross-channel-follow-up.json"))
}

/// When the promotion was sent.
const S03_SENT: &str = "2026-11-23T12:00:00Z";

/// `now` = sent + `after`, with the promo exposure in the history.
fn s03_ctx(after: i64) -> Ctx {
    let now = iso(t(S03_SENT) + after);
    Ctx::at(&now).event(
        "$exposure",
        after,
        json!({ "slot": "deposit_offer", "variant": "comeback_promo", "channel": "email", "code": "COMEBACK50" }),
    )
}

/// A login `at` after the promotion (only when that is not after now).
fn login(c: Ctx, sent_to_login: i64, sent_to_now: i64) -> Ctx {
    c.event("login", sent_to_now - sent_to_login, json!({}))
}

#[test]
fn s03_login_exactly_3h_after_promo_reinforces_on_site() {
    let d = login(s03_ctx(3 * HOUR), 3 * HOUR, 3 * HOUR).decide(&s03());
    let s = pick(&d, "hero", "promo_reinforcement");
    assert_eq!(var(s, "code"), "COMEBACK50");
    assert_eq!(content(s)["cta"]["url"], "/wallet/deposit?promo=COMEBACK50");
    pick(&d, "push", "no_push");
}

#[test]
fn s03_login_3h01_after_promo_is_too_late_for_the_hero() {
    let d = login(s03_ctx(3 * HOUR + MIN), 3 * HOUR + MIN, 3 * HOUR + MIN).decide(&s03());
    pick(&d, "hero", "brand_hero");
    // 3 hours passed without a login: the push channel's decision is the reminder.
    pick(&d, "push", "promo_reminder");
}

#[test]
fn s03_push_reminder_not_before_3h_without_login() {
    let d = s03_ctx(3 * HOUR - MIN).decide(&s03());
    let s = pick(&d, "push", "no_push");
    assert_eq!(s.reason, "no_eligible_variant");
    pick(&d, "hero", "brand_hero");
    let d = s03_ctx(3 * HOUR).decide(&s03());
    let s = pick(&d, "push", "promo_reminder");
    assert_eq!(var(s, "code"), "COMEBACK50");
    assert_eq!(content(s)["deep_link"], "app://wallet/deposit?promo=COMEBACK50");
}

#[test]
fn s03_login_within_3h_means_no_push_later() {
    let d = login(s03_ctx(5 * HOUR), HOUR, 5 * HOUR).decide(&s03());
    pick(&d, "push", "no_push");
    // The on-site hero still follows the offer on later visits.
    pick(&d, "hero", "promo_reinforcement");
}

#[test]
fn s03_push_reminder_is_sent_once() {
    let ctx = s03_ctx(4 * HOUR).event("$exposure", HOUR, json!({ "slot": "push", "variant": "promo_reminder" }));
    let d = ctx.decide(&s03());
    let s = pick(&d, "push", "no_push");
    assert!(explain(s).contains("frequency cap reached"), "{}", explain(s));
}

#[test]
fn s03_other_exposures_do_not_start_a_follow_up() {
    let now = iso(t(S03_SENT) + 4 * HOUR);
    let ctx = Ctx::at(&now)
        .event("$exposure", 4 * HOUR, json!({ "slot": "deposit_offer", "variant": "gentle_nudge" }))
        .event("login", HOUR, json!({}));
    let d = ctx.decide(&s03());
    pick(&d, "hero", "brand_hero");
    pick(&d, "push", "no_push");
    // Nor does having no exposure at all.
    let d = Ctx::at(&now).decide(&s03());
    pick(&d, "hero", "brand_hero");
    pick(&d, "push", "no_push");
}

#[test]
fn s03_promo_follow_up_lasts_7_days() {
    let d = login(s03_ctx(7 * DAY), HOUR, 7 * DAY).decide(&s03());
    pick(&d, "hero", "promo_reinforcement");
    let d = login(s03_ctx(7 * DAY + MIN), HOUR, 7 * DAY + MIN).decide(&s03());
    pick(&d, "hero", "brand_hero");
    let d = s03_ctx(7 * DAY).decide(&s03());
    pick(&d, "push", "promo_reminder");
    let d = s03_ctx(7 * DAY + MIN).decide(&s03());
    pick(&d, "push", "no_push");
}

// ---- 4. Bad-experience moment ------------------------------------------------

fn s04() -> Engine {
    engine(include_str!("../examples/scenarios/04-bad-experience.json"))
}

const S04_NOW: &str = "2026-11-23T23:00:00Z";

/// High value, elevated churn risk, $100 deposited 5 h ago.
fn s04_ctx() -> Ctx {
    Ctx::at(S04_NOW).score("ltv_band", 3.0, DAY).score("churn_risk", 0.8, 2 * HOUR).event(
        "deposit_completed",
        5 * HOUR,
        json!({ "amount": 100 }),
    )
}

fn loss(c: Ctx, ago: i64, amount: f64) -> Ctx {
    c.event("bet_settled", ago, json!({ "outcome": "loss", "amount": amount }))
}

#[test]
fn s04_ratio_exactly_50_percent_is_not_above() {
    let d = loss(s04_ctx(), HOUR, 50.0).decide(&s04());
    let s = pick(&d, "care", "none");
    assert!(explain(s).contains("0.5 vs 0.5"), "{}", explain(s));
}

#[test]
fn s04_ratio_above_50_percent_gets_care_offer() {
    let d = loss(s04_ctx(), HOUR, 50.01).decide(&s04());
    let s = pick(&d, "care", "care_offer");
    assert_eq!(content(s)["free_spins"], 20);
}

#[test]
fn s04_only_losses_count_and_they_add_up() {
    let ctx = loss(loss(s04_ctx(), 4 * HOUR, 30.0), HOUR, 20.01).event(
        "bet_settled",
        2 * HOUR,
        json!({ "outcome": "win", "amount": 500 }),
    );
    pick(&ctx.decide(&s04()), "care", "care_offer");
    let ctx = loss(loss(s04_ctx(), 4 * HOUR, 30.0), HOUR, 20.0).event(
        "bet_settled",
        2 * HOUR,
        json!({ "outcome": "win", "amount": 500 }),
    );
    pick(&ctx.decide(&s04()), "care", "none");
}

#[test]
fn s04_loss_exactly_6h_ago_counts_6h01_does_not() {
    let d = loss(loss(s04_ctx(), 6 * HOUR, 30.0), HOUR, 20.01).decide(&s04());
    pick(&d, "care", "care_offer");
    let d = loss(loss(s04_ctx(), 6 * HOUR + MIN, 30.0), HOUR, 20.01).decide(&s04());
    pick(&d, "care", "none");
}

#[test]
fn s04_deposit_exactly_6h_ago_counts_6h01_does_not() {
    // $100 + $2 deposited: 51 / 102 = 50% exactly → no offer.
    let d = loss(s04_ctx().event("deposit_completed", 6 * HOUR, json!({ "amount": 2 })), HOUR, 51.0).decide(&s04());
    pick(&d, "care", "none");
    // The $2 is outside the window: 51 / 100 > 50%.
    let d =
        loss(s04_ctx().event("deposit_completed", 6 * HOUR + MIN, json!({ "amount": 2 })), HOUR, 51.0).decide(&s04());
    pick(&d, "care", "care_offer");
}

#[test]
fn s04_no_deposit_in_6h_is_undecided_division_by_zero() {
    let ctx = Ctx::at(S04_NOW).score("ltv_band", 3.0, DAY).score("churn_risk", 0.8, 2 * HOUR).event(
        "deposit_completed",
        7 * HOUR,
        json!({ "amount": 100 }),
    );
    let d = loss(ctx, HOUR, 80.0).decide(&s04());
    let s = pick(&d, "care", "none");
    assert_eq!(s.reason, "undecided");
    assert_missing(&d, "division by zero");
}

#[test]
fn s04_needs_high_value() {
    let d = loss(s04_ctx().score("ltv_band", 2.0, DAY), HOUR, 80.0).decide(&s04());
    pick(&d, "care", "none");
    // 7 days old still counts; older is missing.
    let d = loss(s04_ctx().score("ltv_band", 3.0, 7 * DAY), HOUR, 80.0).decide(&s04());
    pick(&d, "care", "care_offer");
    let d = loss(s04_ctx().score("ltv_band", 3.0, 7 * DAY + MIN), HOUR, 80.0).decide(&s04());
    let s = pick(&d, "care", "none");
    assert_eq!(s.reason, "undecided");
    assert_missing(&d, "score.ltv_band (stale");
}

#[test]
fn s04_needs_elevated_churn_risk() {
    let d = loss(s04_ctx().score("churn_risk", 0.7, HOUR), HOUR, 80.0).decide(&s04());
    pick(&d, "care", "care_offer");
    let d = loss(s04_ctx().score("churn_risk", 0.69, HOUR), HOUR, 80.0).decide(&s04());
    pick(&d, "care", "none");
    let d = loss(s04_ctx().score("churn_risk", 0.9, 24 * HOUR), HOUR, 80.0).decide(&s04());
    pick(&d, "care", "care_offer");
    let d = loss(s04_ctx().score("churn_risk", 0.9, 24 * HOUR + MIN), HOUR, 80.0).decide(&s04());
    let s = pick(&d, "care", "none");
    assert_eq!(s.reason, "undecided");
    assert_missing(&d, "score.churn_risk (stale");
}

// ---- 5. Live content at open -------------------------------------------------

fn s05() -> Engine {
    engine(include_str!("../examples/scenarios/05-live-email-content.json"))
}

/// The email is opened at this instant.
const S05_OPEN: &str = "2026-11-25T08:00:00Z";

fn s05_ctx(amount: f64, attempt_ago: i64) -> Ctx {
    Ctx::at(S05_OPEN).event("deposit_started", attempt_ago, json!({ "amount": amount }))
}

#[test]
fn s05_content_carries_attempt_bonus_and_balance_at_open() {
    let d =
        s05_ctx(60.0, 36 * HOUR).profile("balance", json!(7.5)).profile("bonus_match_rate", json!(0.5)).decide(&s05());
    let s = pick(&d, "email_body", "deposit_match");
    assert_eq!(var(s, "amount"), "60");
    assert_eq!(var(s, "bonus"), "30");
    assert_eq!(var(s, "balance"), "7.5");
    let c = content(s);
    assert_eq!(c["subject"], "Finish your $60 deposit and get $30 extra");
    assert_eq!(
        c["body"],
        "You started a deposit of $60. Complete it today and we add $30 on top. Your balance right now: $7.5."
    );
    assert_eq!(c["cta"], "/wallet/deposit?amount=60");
}

#[test]
fn s05_balance_is_the_one_at_opening() {
    // Same email, opened later after the balance changed: the content follows.
    let d = s05_ctx(60.0, 36 * HOUR)
        .profile("balance", json!(120.25))
        .profile("bonus_match_rate", json!(0.5))
        .decide(&s05());
    let s = pick(&d, "email_body", "deposit_match");
    assert_eq!(var(s, "balance"), "120.25");
    assert!(content(s)["body"].as_str().unwrap().ends_with("Your balance right now: $120.25."));
}

#[test]
fn s05_triggering_attempt_is_the_most_recent() {
    let ctx = s05_ctx(20.0, 5 * DAY)
        .event("deposit_started", 2 * DAY, json!({ "amount": 80 }))
        .profile("balance", json!(1))
        .profile("bonus_match_rate", json!(0.5));
    let d = ctx.decide(&s05());
    let s = pick(&d, "email_body", "deposit_match");
    assert_eq!(var(s, "amount"), "80");
    assert_eq!(var(s, "bonus"), "40");
}

#[test]
fn s05_bonus_rate_defaults_to_25_percent() {
    let d = s05_ctx(60.0, HOUR).profile("balance", json!(0)).decide(&s05());
    let s = pick(&d, "email_body", "deposit_match");
    assert_eq!(var(s, "bonus"), "15");
    assert_eq!(var(s, "balance"), "0");
}

#[test]
fn s05_bonus_cap_at_100() {
    let d = s05_ctx(200.0, HOUR).profile("balance", json!(3)).profile("bonus_match_rate", json!(0.5)).decide(&s05());
    let s = pick(&d, "email_body", "deposit_match");
    assert_eq!(var(s, "bonus"), "100");
    let d = s05_ctx(200.02, HOUR).profile("balance", json!(3)).profile("bonus_match_rate", json!(0.5)).decide(&s05());
    let s = pick(&d, "email_body", "deposit_match_capped");
    assert_eq!(var(s, "bonus"), "100");
    assert_eq!(var(s, "amount"), "200.02");
    assert_eq!(content(s)["subject"], "Finish your $200.02 deposit and get $100 extra");
}

#[test]
fn s05_attempt_window_is_7_days() {
    let d = s05_ctx(60.0, 7 * DAY).profile("balance", json!(3)).decide(&s05());
    pick(&d, "email_body", "deposit_match");
    let d = s05_ctx(60.0, 7 * DAY + MIN).profile("balance", json!(3)).decide(&s05());
    let s = pick(&d, "email_body", "generic_reminder");
    assert_eq!(content(s)["subject"], "Your wallet is ready when you are");
}

#[test]
fn s05_unknown_balance_never_leaves_a_hole() {
    let d = s05_ctx(60.0, HOUR).decide(&s05());
    let s = pick(&d, "email_body", "generic_reminder");
    assert!(s.is_default);
    assert!(explain(s).contains("var `balance` is unknown"), "{}", explain(s));
    assert_missing(&d, "profile.balance");
}

// ---- 6. Exclusive evening offer ----------------------------------------------

fn s06() -> Engine {
    engine(include_str!("../examples/scenarios/06-exclusive-evening-offer.json"))
}

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";

/// A New York shopper on an iPhone at local time `hhmm` on Monday 23 Nov 2026 (EST, -05:00):
/// cart viewed 1 h and 47 h ago, last email opened 5 days ago.
fn s06_ctx(hhmm: &str) -> Ctx {
    s06_ctx_at(&format!("2026-11-23T{hhmm}:00-05:00"))
}

fn s06_ctx_at(now: &str) -> Ctx {
    Ctx::at(now)
        .set("timezone", json!("America/New_York"))
        .session("user_agent", json!(IPHONE))
        .event("Cart Viewed", 47 * HOUR, json!({ "product_id": "sku-4471" }))
        .event("Cart Viewed", HOUR, json!({ "product_id": "sku-4471" }))
        .event("Email Opened", 5 * DAY, json!({ "campaign": "fall" }))
}

#[test]
fn s06_local_time_edges_17_59_18_00_20_59_21_00() {
    let e = s06();
    let s = slot(&s06_ctx("17:59").decide(&e), "offer").clone();
    assert_eq!(s.variant, "none", "{}", explain(&s));
    assert!(explain(&s).contains("local time between 18:00 and 21:00 was false"), "{}", explain(&s));
    pick(&s06_ctx("18:00").decide(&e), "offer", "exclusive_evening_offer");
    pick(&s06_ctx("20:59").decide(&e), "offer", "exclusive_evening_offer");
    pick(&s06_ctx("21:00").decide(&e), "offer", "none");
}

#[test]
fn s06_local_time_follows_daylight_saving() {
    // 15 July: New York is on EDT (-04:00); 18:00 local is 22:00Z.
    let e = s06();
    pick(&s06_ctx_at("2026-07-15T18:00:00-04:00").decide(&e), "offer", "exclusive_evening_offer");
    pick(&s06_ctx_at("2026-07-15T17:59:00-04:00").decide(&e), "offer", "none");
    pick(&s06_ctx_at("2026-07-15T21:00:00-04:00").decide(&e), "offer", "none");
}

#[test]
fn s06_offer_content_has_product_image_and_24h_code() {
    let ctx = s06_ctx("19:30").event("Cart Viewed", 10 * MIN, json!({ "product_id": "sku-9" }));
    let d = ctx.decide(&s06());
    let s = pick(&d, "offer", "exclusive_evening_offer");
    assert_eq!(var(s, "product"), "sku-9");
    assert_eq!(var(s, "expires_at_ms"), (ctx.now + 24 * HOUR).to_string());
    let c = content(s);
    assert_eq!(c["headline"], "Exclusive Evening Offer");
    assert_eq!(c["code_valid_hours"], 24);
    assert_eq!(c["image"], "https://cdn.shop.example/products/sku-9/hero.jpg");
}

#[test]
fn s06_cart_viewed_once_is_not_enough() {
    let ctx = Ctx::at("2026-11-23T19:00:00-05:00")
        .set("timezone", json!("America/New_York"))
        .session("device", json!("mobile"))
        .event("cart_viewed", HOUR, json!({ "product_id": "sku-1" }));
    let d = ctx.decide(&s06());
    let s = pick(&d, "offer", "none");
    assert!(explain(s).contains("count(cart_viewed within 2d) >= 2 was false (1 vs 2)"), "{}", explain(s));
}

#[test]
fn s06_cart_view_exactly_48h_ago_counts_48h01_does_not() {
    let base = || {
        Ctx::at("2026-11-23T19:00:00-05:00")
            .set("timezone", json!("America/New_York"))
            .session("device", json!("mobile"))
            .event("cart_viewed", HOUR, json!({ "product_id": "sku-1" }))
    };
    let d = base().event("cart_viewed", 48 * HOUR, json!({ "product_id": "sku-1" })).decide(&s06());
    pick(&d, "offer", "exclusive_evening_offer");
    let d = base().event("cart_viewed", 48 * HOUR + MIN, json!({ "product_id": "sku-1" })).decide(&s06());
    pick(&d, "offer", "none");
}

#[test]
fn s06_email_opened_exactly_72h_ago_blocks_72h01_does_not() {
    let d = s06_ctx("19:00").event("email_opened", 72 * HOUR, json!({})).decide(&s06());
    pick(&d, "offer", "none");
    let d = s06_ctx("19:00").event("email_opened", 72 * HOUR + MIN, json!({})).decide(&s06());
    pick(&d, "offer", "exclusive_evening_offer");
}

#[test]
fn s06_device_must_be_mobile() {
    let d = s06_ctx("19:00").session("device", json!("desktop")).decide(&s06());
    let s = pick(&d, "offer", "none");
    assert_eq!(s.reason, "no_eligible_variant");
    // Unknown device (no class, hint or user agent): undecided, and named.
    let d = s06_ctx("19:00").without("session").decide(&s06());
    let s = pick(&d, "offer", "none");
    assert_eq!(s.reason, "undecided");
    assert_missing(&d, "session.device");
}

#[test]
fn s06_no_time_zone_is_undecided() {
    let d = s06_ctx("19:00").without("timezone").decide(&s06());
    let s = pick(&d, "offer", "none");
    assert_eq!(s.reason, "undecided");
    assert_missing(&d, "timezone");
    // An explicit offset is enough.
    let d = s06_ctx("19:00").without("timezone").set("utc_offset", json!("-05:00")).decide(&s06());
    pick(&d, "offer", "exclusive_evening_offer");
}

// ---- 7. Propensity override --------------------------------------------------

fn s07() -> Engine {
    engine(include_str!("../examples/scenarios/07-propensity-override.json"))
}

/// A New York mobile shopper at local `hhmm` (EST) whose cart was viewed 45 min ago, no order since.
fn s07_ctx(hhmm: &str) -> Ctx {
    Ctx::at(&format!("2026-11-23T{hhmm}:00-05:00"))
        .set("timezone", json!("America/New_York"))
        .session("device", json!("mobile"))
        .event("cart_viewed", 45 * MIN, json!({ "product_id": "sku-2210" }))
}

#[test]
fn s07_propensity_0_86_overrides_time_of_day_but_0_85_does_not() {
    let d = s07_ctx("13:00").score("purchase_propensity", 0.86, 2 * HOUR).decide(&s07());
    let s = pick(&d, "offer", "exclusive_offer_high_propensity");
    assert_eq!(var(s, "product"), "sku-2210");
    assert_eq!(content(s)["image"], "https://cdn.shop.example/products/sku-2210/hero.jpg");
    let d = s07_ctx("13:00").score("purchase_propensity", 0.85, 2 * HOUR).decide(&s07());
    let s = pick(&d, "offer", "none");
    assert_eq!(s.reason, "no_eligible_variant");
}

#[test]
fn s07_stale_propensity_counts_as_missing() {
    let d = s07_ctx("13:00").score("purchase_propensity", 0.99, 24 * HOUR).decide(&s07());
    pick(&d, "offer", "exclusive_offer_high_propensity");
    let d = s07_ctx("13:00").score("purchase_propensity", 0.99, 24 * HOUR + MIN).decide(&s07());
    let s = pick(&d, "offer", "none");
    assert_eq!(s.reason, "undecided");
    assert_missing(&d, "score.purchase_propensity (stale");
    assert!(explain(s).contains("score.purchase_propensity (stale"), "{}", explain(s));
}

#[test]
fn s07_absent_propensity_is_missing() {
    let d = s07_ctx("13:00").decide(&s07());
    let s = pick(&d, "offer", "none");
    assert_eq!(s.reason, "undecided");
    assert_missing(&d, "score.purchase_propensity");
}

#[test]
fn s07_in_the_evening_the_override_has_priority() {
    let ctx = s07_ctx("19:00").event("cart_viewed", 5 * HOUR, json!({ "product_id": "sku-2210" }));
    let d = ctx.clone().score("purchase_propensity", 0.9, HOUR).decide(&s07());
    let s = pick(&d, "offer", "exclusive_offer_high_propensity");
    let ex = explain(s);
    assert!(ex.contains("won among 2 eligible variant(s): priority 20"), "{ex}");
    // A stale score does not block the evening offer.
    let d = ctx.score("purchase_propensity", 0.9, 2 * DAY).decide(&s07());
    pick(&d, "offer", "exclusive_evening_offer");
}

#[test]
fn s07_cart_abandoned_after_30m_without_order() {
    let base = |viewed_ago: i64| {
        Ctx::at("2026-11-23T13:00:00-05:00")
            .set("timezone", json!("America/New_York"))
            .session("device", json!("mobile"))
            .score("purchase_propensity", 0.9, HOUR)
            .event("cart_viewed", viewed_ago, json!({ "product_id": "sku-5" }))
    };
    pick(&base(29 * MIN).decide(&s07()), "offer", "none");
    pick(&base(30 * MIN).decide(&s07()), "offer", "exclusive_offer_high_propensity");
    // Ordered 20 minutes after viewing the cart: not abandoned.
    let d = base(45 * MIN).event("order_completed", 25 * MIN, json!({ "order_id": "o-1" })).decide(&s07());
    pick(&d, "offer", "none");
    // The cart view must be within 48 h.
    pick(&base(48 * HOUR).decide(&s07()), "offer", "exclusive_offer_high_propensity");
    pick(&base(48 * HOUR + MIN).decide(&s07()), "offer", "none");
}

#[test]
fn s07_override_needs_mobile() {
    let d =
        s07_ctx("13:00").session("device", json!("desktop")).score("purchase_propensity", 0.95, HOUR).decide(&s07());
    pick(&d, "offer", "none");
}

// ---- 8. Viewed twice, never added ---------------------------------------------

fn s08() -> Engine {
    engine(include_str!("../examples/scenarios/08-viewed-twice-not-added.json"))
}

const S08_NOW: &str = "2026-11-23T21:00:00+01:00";

fn viewed(c: Ctx, ago: i64, product: &str) -> Ctx {
    c.event("Product Viewed", ago, json!({ "product_id": product }))
}

#[test]
fn s08_same_product_viewed_twice_gets_follow_up_for_it() {
    let ctx = viewed(viewed(viewed(Ctx::at(S08_NOW), 11 * HOUR, "sku-311"), 10 * HOUR, "sku-902"), 20 * MIN, "sku-311");
    let d = ctx.decide(&s08());
    let s = pick(&d, "follow_up", "product_follow_up");
    assert_eq!(var(s, "product"), "sku-311");
    let c = content(s);
    assert_eq!(c["product_id"], "sku-311");
    assert_eq!(c["url"], "https://shop.example/p/sku-311?utm_source=kairos&utm_campaign=viewed_twice");
}

#[test]
fn s08_one_view_or_two_different_products_is_not_enough() {
    let d = viewed(Ctx::at(S08_NOW), HOUR, "sku-311").decide(&s08());
    pick(&d, "follow_up", "none");
    let d = viewed(viewed(Ctx::at(S08_NOW), 2 * HOUR, "sku-311"), HOUR, "sku-902").decide(&s08());
    let s = pick(&d, "follow_up", "none");
    assert!(explain(s).contains("(1 vs 2)"), "{}", explain(s));
}

#[test]
fn s08_one_day_window_24h_vs_24h01() {
    let d = viewed(viewed(Ctx::at(S08_NOW), 24 * HOUR, "sku-311"), HOUR, "sku-311").decide(&s08());
    pick(&d, "follow_up", "product_follow_up");
    let d = viewed(viewed(Ctx::at(S08_NOW), 24 * HOUR + MIN, "sku-311"), HOUR, "sku-311").decide(&s08());
    pick(&d, "follow_up", "none");
}

#[test]
fn s08_add_to_cart_in_the_day_cancels_the_follow_up() {
    let twice = || viewed(viewed(Ctx::at(S08_NOW), 5 * HOUR, "sku-311"), HOUR, "sku-311");
    let d = twice().event("Product Added", 30 * MIN, json!({ "product_id": "sku-311" })).decide(&s08());
    pick(&d, "follow_up", "none");
    let d = twice().event("Product Added", 24 * HOUR, json!({ "product_id": "sku-311" })).decide(&s08());
    pick(&d, "follow_up", "none");
    let d = twice().event("Product Added", 24 * HOUR + MIN, json!({ "product_id": "sku-311" })).decide(&s08());
    pick(&d, "follow_up", "product_follow_up");
}

#[test]
fn s08_most_viewed_product_flows_into_content() {
    let mut ctx = Ctx::at(S08_NOW);
    for (ago, p) in [(9, "sku-a"), (8, "sku-b"), (7, "sku-a"), (6, "sku-b"), (5, "sku-b")] {
        ctx = viewed(ctx, ago * HOUR, p);
    }
    let d = ctx.decide(&s08());
    let s = pick(&d, "follow_up", "product_follow_up");
    assert_eq!(var(s, "product"), "sku-b");
}

// ---- 9. Three views without purchase -----------------------------------------

fn s09() -> Engine {
    engine(include_str!("../examples/scenarios/09-three-views-no-purchase.json"))
}

const S09_NOW: &str = "2026-11-23T12:00:00Z";

/// The same product viewed at each of `agos`.
fn views(agos: &[i64], product: &str) -> Ctx {
    agos.iter().fold(Ctx::at(S09_NOW), |c, &ago| c.event("product_viewed", ago, json!({ "product_id": product })))
}

#[test]
fn s09_three_views_enter_high_intent_two_do_not() {
    let d = views(&[30 * HOUR, 5 * HOUR, 10 * MIN], "sku-77").decide(&s09());
    let s = pick(&d, "hero", "high_intent_product");
    assert_eq!(var(s, "product"), "sku-77");
    assert_eq!(content(s)["cta"]["url"], "https://shop.example/p/sku-77?ship=express");
    let d = views(&[5 * HOUR, 10 * MIN], "sku-77").decide(&s09());
    let s = pick(&d, "hero", "brand_hero");
    assert!(explain(s).contains("(2 vs 3)"), "{}", explain(s));
}

#[test]
fn s09_three_views_must_be_of_the_same_product() {
    let ctx = views(&[5 * HOUR, 10 * MIN], "sku-77").event("product_viewed", HOUR, json!({ "product_id": "sku-12" }));
    pick(&ctx.decide(&s09()), "hero", "brand_hero");
}

#[test]
fn s09_view_exactly_48h_ago_counts_48h01_does_not() {
    pick(&views(&[48 * HOUR, 5 * HOUR, 10 * MIN], "sku-77").decide(&s09()), "hero", "high_intent_product");
    pick(&views(&[48 * HOUR + MIN, 5 * HOUR, 10 * MIN], "sku-77").decide(&s09()), "hero", "brand_hero");
}

#[test]
fn s09_purchase_in_the_window_blocks_high_intent() {
    let three = || views(&[30 * HOUR, 5 * HOUR, 10 * MIN], "sku-77");
    let order = |c: Ctx, ago: i64| c.event("Order Completed", ago, json!({ "order_id": "o-9", "revenue": 42 }));
    pick(&order(three(), HOUR).decide(&s09()), "hero", "brand_hero");
    pick(&order(three(), 48 * HOUR).decide(&s09()), "hero", "brand_hero");
    pick(&order(three(), 48 * HOUR + MIN).decide(&s09()), "hero", "high_intent_product");
}

// ---- 10. RFM at-risk -----------------------------------------------------------

fn s10() -> Engine {
    engine(include_str!("../examples/scenarios/10-rfm-at-risk.json"))
}

const S10_NOW: &str = "2026-11-23T10:00:00Z";

/// Orders `(ago, revenue)`.
fn orders(list: &[(i64, f64)]) -> Ctx {
    list.iter().enumerate().fold(Ctx::at(S10_NOW), |c, (i, &(ago, revenue))| {
        c.event("Order Completed", ago, json!({ "order_id": format!("o-{i}"), "revenue": revenue }))
    })
}

fn tier(d: &Decision) -> String {
    let s = pick(d, "crm_sync", "tier_label");
    var(s, "tier").to_string()
}

#[test]
fn s10_last_purchase_59_days_ago_is_not_at_risk() {
    let d = orders(&[(90 * DAY, 40.0), (59 * DAY, 40.0)]).decide(&s10());
    assert_eq!(tier(&d), "active");
    pick(&d, "retention", "none");
    let d = orders(&[(90 * DAY, 40.0), (60 * DAY - MIN, 40.0)]).decide(&s10());
    assert_eq!(tier(&d), "active");
    pick(&d, "retention", "none");
}

#[test]
fn s10_no_purchase_in_60_days_is_at_risk_and_gets_retention_offer() {
    let d = orders(&[(90 * DAY, 40.0), (60 * DAY, 40.0)]).decide(&s10());
    assert_eq!(tier(&d), "at_risk");
    let s = pick(&d, "retention", "retention_offer");
    assert_eq!(var(s, "last_order"), "o-1");
    let c = content(s);
    assert_eq!(c["code"], "COMEBACK15");
    assert_eq!(c["tracking"]["last_order"], "o-1");
    // Champions too: five big orders, but none in the last 60 days.
    let d = orders(&[(200 * DAY, 300.0), (150 * DAY, 300.0), (100 * DAY, 300.0), (80 * DAY, 300.0), (61 * DAY, 300.0)])
        .decide(&s10());
    assert_eq!(tier(&d), "at_risk");
    pick(&d, "retention", "retention_offer");
}

#[test]
fn s10_180_days_is_hibernating() {
    let d = orders(&[(180 * DAY - MIN, 40.0)]).decide(&s10());
    assert_eq!(tier(&d), "at_risk");
    pick(&d, "retention", "retention_offer");
    let d = orders(&[(180 * DAY, 40.0)]).decide(&s10());
    assert_eq!(tier(&d), "hibernating");
    pick(&d, "retention", "winback_offer");
}

#[test]
fn s10_champions_edges() {
    let champ = [(300 * DAY, 100.0), (200 * DAY, 100.0), (100 * DAY, 100.0), (50 * DAY, 100.0), (29 * DAY, 100.0)];
    let d = orders(&champ).decide(&s10());
    assert_eq!(tier(&d), "champions");
    pick(&d, "retention", "vip_early_access");
    // Monetary 499.99 instead of 500: loyal.
    let mut less = champ;
    less[0].1 = 99.99;
    assert_eq!(tier(&orders(&less).decide(&s10())), "loyal");
    // Frequency 4 instead of 5 (same $500): loyal.
    let four = [(200 * DAY, 125.0), (100 * DAY, 125.0), (50 * DAY, 125.0), (29 * DAY, 125.0)];
    assert_eq!(tier(&orders(&four).decide(&s10())), "loyal");
    // Recency exactly 30 days: no longer a champion.
    let mut late = champ;
    late[4].0 = 30 * DAY;
    let d = orders(&late).decide(&s10());
    assert_eq!(tier(&d), "loyal");
    pick(&d, "retention", "none");
}

#[test]
fn s10_frequency_and_monetary_window_is_365_days() {
    let mut champ = [(365 * DAY, 100.0), (200 * DAY, 100.0), (100 * DAY, 100.0), (50 * DAY, 100.0), (29 * DAY, 100.0)];
    assert_eq!(tier(&orders(&champ).decide(&s10())), "champions");
    champ[0].0 = 365 * DAY + MIN;
    assert_eq!(tier(&orders(&champ).decide(&s10())), "loyal");
    // Monetary alone: six orders (frequency stays >= 5), $500 only if the 365-day-old one counts.
    let mut six = [
        (365 * DAY, 100.0),
        (300 * DAY, 100.0),
        (200 * DAY, 100.0),
        (100 * DAY, 100.0),
        (50 * DAY, 50.0),
        (29 * DAY, 50.0),
    ];
    assert_eq!(tier(&orders(&six).decide(&s10())), "champions");
    six[0].0 = 365 * DAY + MIN;
    assert_eq!(tier(&orders(&six).decide(&s10())), "loyal");
}

#[test]
fn s10_loyal_needs_3_orders() {
    assert_eq!(tier(&orders(&[(100 * DAY, 20.0), (50 * DAY, 20.0), (10 * DAY, 20.0)]).decide(&s10())), "loyal");
    assert_eq!(tier(&orders(&[(50 * DAY, 20.0), (10 * DAY, 20.0)]).decide(&s10())), "active");
}

#[test]
fn s10_tier_moves_with_every_transaction() {
    let at_risk = orders(&[(120 * DAY, 60.0), (70 * DAY, 60.0)]);
    let d = at_risk.decide(&s10());
    assert_eq!(tier(&d), "at_risk");
    pick(&d, "retention", "retention_offer");
    // A purchase a minute ago moves the customer out of at-risk at once.
    let d = at_risk.event("Order Completed", MIN, json!({ "order_id": "o-new", "revenue": 60 })).decide(&s10());
    assert_eq!(tier(&d), "loyal");
    pick(&d, "retention", "none");
}

#[test]
fn s10_never_purchased_is_a_prospect_not_missing() {
    let d = Ctx::at(S10_NOW).decide(&s10());
    assert_eq!(tier(&d), "prospect");
    let s = pick(&d, "retention", "none");
    assert_eq!(s.reason, "no_eligible_variant");
    assert!(d.missing.is_empty(), "{:?}", d.missing);
}
