//! The anonymous id at the edge (src/anonymous.rs): one id, and so one bucket, for a visitor
//! across sessions; page-made ids adopted, tampered ones replaced; nothing without consent; and
//! the history kept when the visitor identifies.

mod support;

use kairos_edge::runtime::block_on;
use kairos_edge::service::{EdgeDecision, BUNDLE_KEY};
use kairos_edge::{anonymous, cookies, Edge, EdgeRequest, HistoryCookie};
use support::*;

const AB: &str = include_str!("../../../examples/scenarios/19-holdout.json");

fn decide(rt: &Fake, req: &EdgeRequest) -> EdgeDecision {
    block_on(Edge::new(builtin()).decide_for_request(rt, &full_config(), req, true, false)).unwrap()
}

fn id_cookie(d: &EdgeDecision) -> Option<&str> {
    d.set_cookies.iter().find_map(|c| c.strip_prefix("kairos_aid=")).map(|c| c.split(';').next().unwrap())
}

/// The A/B arm and the holdout flag: what a bucket decides in scenario 19.
fn arm(d: &EdgeDecision) -> (String, bool) {
    let cta = d.decision.slots.iter().find(|s| s.slot == "cta").unwrap();
    (cta.variant.clone(), d.decision.holdout)
}

#[test]
fn an_anonymous_visitor_keeps_one_id_and_one_bucket_across_sessions() {
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(AB)));
    let mut arms = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let mut first = consented("/", None);
        let d1 = decide(&rt, &first);
        assert_eq!(d1.id.unwrap().as_str(), "new");
        let signed = id_cookie(&d1).expect("an id cookie with consent").to_owned();
        let id = signed.split('.').next().unwrap();
        assert!(anonymous::well_formed(id) && signed.len() > id.len(), "signed under IDENTITY_KEY: {signed}");
        keep_cookies(&mut first, &d1.set_cookies);

        // Another session: the browser kept its cookies.
        let mut second = consented("/", None);
        second.headers = first.headers.clone();
        let d2 = decide(&rt, &second);
        assert_eq!(d2.id.unwrap().as_str(), "valid");
        assert_eq!(id_cookie(&d2), None, "a valid id is not written again");
        assert_eq!(arm(&d2), arm(&d1), "one bucket in both sessions");
        // The bucket is the id's: the same arm as its hash gives.
        let expected = if kairos::bucket("cta-copy-test", id) < 5000 { "benefit_copy" } else { "urgency_copy" };
        if !d1.decision.holdout {
            assert_eq!(arm(&d1).0, expected);
        }
        // An anonymous id is not a customer: rules on `customer.id` do not see it.
        assert_eq!(d1.decision.slots.iter().find(|s| s.slot == "hero").unwrap().variant, "brand_hero");
        arms.insert(arm(&d1));
    }
    assert!(arms.len() >= 3, "both arms and the holdout among 40 visitors: {arms:?}");
}

#[test]
fn a_page_made_id_is_adopted_and_signed_and_a_tampered_one_is_replaced() {
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(AB)));
    let page_made = anonymous::from_random([42; 16]);
    let cookie = format!("{}=1; {}={page_made}", cookies::CONSENT, anonymous::COOKIE);
    let d = decide(&rt, &request("/", &[("cookie", &cookie)]));
    assert_eq!(d.id.unwrap().as_str(), "adopted");
    let signed = id_cookie(&d).unwrap();
    assert!(signed.starts_with(&format!("{page_made}.")), "the page's id, signed: {signed}");

    // The signature moved to another id: refused, a new id, one impersonal log line.
    let other = anonymous::from_random([43; 16]);
    let tampered = signed.replace(&page_made, &other);
    let cookie = format!("{}=1; {}={tampered}", cookies::CONSENT, anonymous::COOKIE);
    let d = decide(&rt, &request("/", &[("cookie", &cookie)]));
    assert_eq!(d.id.unwrap().as_str(), "refused");
    let fresh = id_cookie(&d).unwrap();
    assert!(!fresh.starts_with(&other) && !fresh.starts_with(&page_made), "{fresh}");
    let lines = rt.lines();
    assert_eq!(lines.iter().filter(|l| l.contains("anonymous id")).count(), 1, "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains(&other) || l.contains(&page_made)), "no id in the log: {lines:?}");
    assert_impersonal(&lines);
}

#[test]
fn without_consent_there_is_no_id_and_an_old_one_is_cleared() {
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(AB)));
    let d = decide(&rt, &request("/", &[]));
    assert_eq!((d.id, d.set_cookies.len()), (None, 0), "nothing written without consent");
    let old = format!("{}={}", anonymous::COOKIE, anonymous::from_random([5; 16]));
    let d = decide(&rt, &request("/", &[("cookie", &old)]));
    assert_eq!(d.id, None);
    assert!(
        d.set_cookies.iter().any(|c| c.starts_with("kairos_aid=;") && c.contains("Max-Age=0")),
        "{:?}",
        d.set_cookies
    );
    assert!(d.decision.slots.iter().all(|s| s.is_default), "defaults without consent");
}

#[test]
fn identifying_keeps_the_anonymous_history() {
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(DEMO)));
    let mut req = consented("/product/sku-1", None);
    for _ in 0..3 {
        let d = decide(&rt, &req);
        keep_cookies(&mut req, &d.set_cookies);
    }
    let anonymous_id = req.cookie(anonymous::COOKIE).unwrap().split('.').next().unwrap().to_owned();
    let history = HistoryCookie::new(HISTORY_KEY.as_bytes());
    let before = history.read(req.cookie(cookies::HISTORY).unwrap(), &anonymous_id, NOW).unwrap();
    assert_eq!(before.iter().filter(|e| e.name == "product_viewed").count(), 3);

    // The site signs the customer in: the history written for the anonymous id is read, then
    // written again for the customer.
    let mut signed_in = consented("/product/sku-2", Some("cust-77"));
    let customer_cookie = signed_in.cookie(cookies::CUSTOMER).unwrap().to_owned();
    signed_in.headers = req.headers.clone();
    keep_cookies(&mut signed_in, &[format!("{}={customer_cookie}", cookies::CUSTOMER)]);
    let d = decide(&rt, &signed_in);
    assert_eq!(d.history.as_str(), "valid", "the anonymous history is linked, not refused");
    keep_cookies(&mut signed_in, &d.set_cookies);
    let after = history.read(signed_in.cookie(cookies::HISTORY).unwrap(), "cust-77", NOW).unwrap();
    assert_eq!(after.iter().filter(|e| e.name == "product_viewed").count(), 4, "no event lost");
    assert!(
        history.read(signed_in.cookie(cookies::HISTORY).unwrap(), &anonymous_id, NOW).is_err(),
        "now the customer's"
    );
}
