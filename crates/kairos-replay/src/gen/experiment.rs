//! `kairos gen --exposures`: a log of exposures and conversions whose true lift is known, for
//! `kairos lift`'s demo and tests (docs/measurement.md).
//!
//! Visitors arrive as a Poisson process over the period. Each is decided once by the real
//! engine, on a small context drawn for it (device, a product view, a coupon search), so the
//! variants, reasons and holdout in the log are the bundle's own. The holdout is the core's
//! hash of the visitor's id, at the bundle's percent; `holdout_share` overrides it (ids are drawn
//! again until the hash agrees with an arm drawn at that share), which is how a sample-ratio
//! mismatch is simulated. Each visitor then views 1 to 5 pages (each page view writes one
//! exposure per slot, as the edge and the page do) and converts at most once, with probability
//! `base_rate` in the holdout and `base_rate + lift` outside it, 1 minute to 3 days after their
//! first exposure. So, for any window of 3 days or more, the true absolute lift of every slot and
//! every variant is `lift`, the relative lift `lift / base_rate`, and the value per visitor
//! differs by `lift × value_mean`.
//!
//! Lines are written in time order with bounded memory: pending lines wait in a heap holding
//! only visitors still active (at most 3 days after their arrival).

use super::rng::{ln, Rng};
use kairos::context::{Context, ProductView, Text, Timestamp};
use kairos::decide::Options;
use kairos::exposure::{self, Exposure, ExposureProperties, Surface};
use kairos::time::DAY_MS;
use kairos::Engine;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{self, Write};

/// What to generate.
#[derive(Debug, Clone)]
pub struct ExperimentOptions {
    /// Visitors expected over the period (arrivals are a Poisson process at this mean).
    pub visitors: u32,
    pub days: u32,
    pub seed: u64,
    pub start_ms: i64,
    /// Probability that a holdout visitor converts.
    pub base_rate: f64,
    /// Absolute lift: treated visitors convert with `base_rate + lift`.
    pub lift: f64,
    /// The share of visitors in the holdout; `None` leaves it to the bundle's hash.
    pub holdout_share: Option<f64>,
    /// The conversion event's name as written (`Order Completed`).
    pub conversion: String,
    /// Each conversion's `revenue`: exponential with this mean, in whole cents; `None` writes none.
    pub value_mean: Option<f64>,
}

/// The answer a lift analysis of the log should find (for windows of 3 days or more).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Truth {
    pub lift_abs: f64,
    pub lift_rel: f64,
    pub value_diff: Option<f64>,
}

impl ExperimentOptions {
    pub fn truth(&self) -> Truth {
        Truth {
            lift_abs: self.lift,
            lift_rel: self.lift / self.base_rate,
            value_diff: self.value_mean.map(|m| m * self.lift),
        }
    }

    fn check(&self, engine: &Engine) -> Result<(), String> {
        let p = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be between 0 and 1 (it is {v})"))
            }
        };
        p("the base rate", self.base_rate)?;
        p("the base rate plus the lift", self.base_rate + self.lift)?;
        if let Some(share) = self.holdout_share {
            p("the holdout share", share)?;
            if engine.program.holdout.is_none() && share > 0.0 {
                return Err("a holdout share needs a bundle with a holdout".into());
            }
        }
        if self.value_mean.is_some_and(|m| !(m.is_finite() && m >= 0.0)) {
            return Err("the value mean must be a finite number ≥ 0".into());
        }
        if self.days == 0 {
            return Err("the period must be at least one day".into());
        }
        Ok(())
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExperimentStats {
    pub lines: u64,
    pub visitors: u64,
    pub holdout: u64,
    pub exposures: u64,
    pub conversions: u64,
}

/// Why no log was written.
#[derive(Debug)]
pub enum ExperimentError {
    /// The options cannot describe an experiment (a rate outside 0–1, a share the bundle cannot give).
    Invalid(String),
    Io(io::Error),
}

impl From<String> for ExperimentError {
    fn from(m: String) -> Self {
        ExperimentError::Invalid(m)
    }
}

impl From<io::Error> for ExperimentError {
    fn from(e: io::Error) -> Self {
        ExperimentError::Io(e)
    }
}

/// Latest conversion after the first exposure.
const CONVERSION_DELAY_MAX_MS: i64 = 3 * DAY_MS;
/// Most redraws of an id to land in the arm a forced holdout share asks for.
const MAX_REDRAWS: u32 = 100_000;
const CATEGORIES: [&str; 5] = ["running", "trail", "tennis", "hiking", "basketball"];
const DESKTOP_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
const MOBILE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";

/// One visitor while they still have lines to write.
struct Visitor {
    anonymous_id: String,
    user_id: Option<String>,
    holdout: bool,
    /// Per slot: (slot, variant, reason).
    shown: Vec<(String, String, &'static str)>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Act {
    /// A page view: the product view then one exposure per slot.
    PageView,
    Conversion,
}

/// Writes the log to `out`, in time order.
pub fn generate_experiment<W: Write>(
    engine: &Engine,
    opts: &ExperimentOptions,
    mut out: W,
) -> Result<ExperimentStats, ExperimentError> {
    opts.check(engine)?;
    let mut rng = Rng::seeded(opts.seed ^ 0x6b61_6972_6f73_4c46);
    let end = opts.start_ms + i64::from(opts.days) * DAY_MS;
    let mean_gap = (end - opts.start_ms) as f64 / f64::from(opts.visitors.max(1));
    let bundle_id = engine.bundle_id().unwrap_or_default().to_owned();
    let mut stats = ExperimentStats::default();
    // (when, order written, visitor, act): ties keep the order they were scheduled in.
    let mut heap: BinaryHeap<Reverse<(i64, u64, u32, Act)>> = BinaryHeap::new();
    let mut live: HashMap<u32, (Visitor, u32)> = HashMap::new();
    let mut order = 0u64;
    let mut buf = Vec::with_capacity(1024);
    let mut next_arrival = opts.start_ms + (rng.exp(mean_gap) as i64);
    let mut index = 0u32;
    loop {
        let due = heap.peek().map(|Reverse((at, ..))| *at);
        if opts.visitors > 0 && next_arrival < end && due.is_none_or(|d| next_arrival < d) {
            let (visitor, acts) = arrive(engine, opts, &mut rng, next_arrival)?;
            stats.visitors += 1;
            stats.holdout += u64::from(visitor.holdout);
            live.insert(index, (visitor, acts.len() as u32));
            for (at, act) in acts {
                heap.push(Reverse((at, order, index, act)));
                order += 1;
            }
            index += 1;
            next_arrival += (rng.exp(mean_gap) as i64).max(1);
            continue;
        }
        let Some(Reverse((at, _, who, act))) = heap.pop() else { break };
        let Some((visitor, pending)) = live.get_mut(&who) else { continue };
        buf.clear();
        match act {
            Act::PageView => {
                let surface = if rng.chance(0.7) { Surface::Edge } else { Surface::Page };
                product_view(&mut buf, visitor, at, &mut rng);
                stats.lines += 1;
                for (slot, variant, reason) in &visitor.shown {
                    let e = Exposure {
                        kind: "track",
                        event: exposure::EVENT,
                        message_id: message_id(&mut rng),
                        timestamp: kairos::time::format_timestamp(at),
                        anonymous_id: Some(visitor.anonymous_id.clone()),
                        user_id: visitor.user_id.clone(),
                        properties: ExposureProperties {
                            experiment_id: match engine.program.name.as_str() {
                                "" => slot.clone(),
                                name => format!("{name}:{slot}"),
                            },
                            variation_id: if visitor.holdout { "holdout".into() } else { variant.clone() },
                            slot: slot.clone(),
                            variant: variant.clone(),
                            reason,
                            holdout: visitor.holdout,
                            bundle_id: bundle_id.clone(),
                            surface,
                        },
                    };
                    serde_json::to_writer(&mut buf, &e).map_err(io::Error::from)?;
                    buf.push(b'\n');
                    stats.lines += 1;
                    stats.exposures += 1;
                }
            }
            Act::Conversion => {
                conversion(&mut buf, opts, visitor, at, &mut rng)?;
                stats.lines += 1;
                stats.conversions += 1;
            }
        }
        out.write_all(&buf)?;
        *pending -= 1;
        if *pending == 0 {
            live.remove(&who);
        }
    }
    out.flush()?;
    Ok(stats)
}

/// A new visitor at `at`: decided by the engine, with their page views and conversion.
fn arrive(
    engine: &Engine,
    opts: &ExperimentOptions,
    rng: &mut Rng,
    at: i64,
) -> Result<(Visitor, Vec<(i64, Act)>), String> {
    let mut ctx = Context { now: Timestamp(at), ..Context::default() };
    ctx.consent.insert("personalization".into(), true);
    ctx.session.user_agent = Some(Text((if rng.chance(0.6) { MOBILE_UA } else { DESKTOP_UA }).into()));
    if rng.chance(0.5) {
        let category = (*rng.pick(&CATEGORIES)).to_owned();
        ctx.session
            .product_views
            .push(ProductView { id: Text(format!("sku-{}", rng.below(100))), category: Some(Text(category)) });
    }
    if rng.chance(0.25) {
        ctx.session.coupon_searches = Some(1);
    }
    let known = rng.chance(0.3);
    let wanted_arm = opts.holdout_share.map(|share| rng.chance(share));
    let mut redraws = 0;
    let (decision, anonymous_id, user_id) = loop {
        let anonymous_id = format!("a{}", random_id(rng));
        let user_id = known.then(|| format!("cust-{}", random_id(rng)));
        ctx.anonymous_id = Some(Text(anonymous_id.clone()));
        ctx.customer_id = user_id.clone().map(Text);
        let decision = engine.decide(&ctx, Options::default());
        if wanted_arm.is_none_or(|arm| arm == decision.holdout) {
            break (decision, anonymous_id, user_id);
        }
        redraws += 1;
        if redraws == MAX_REDRAWS {
            return Err(
                "no id landed in the arm the holdout share asks for: is the bundle's holdout 0 % or 100 %?".into()
            );
        }
    };
    let shown = decision.slots.iter().map(|s| (s.slot.clone(), s.variant.clone(), s.reason)).collect();
    let mut acts = vec![(at, Act::PageView)];
    let mut t = at;
    while acts.len() < 5 && rng.chance(0.5) {
        t += (rng.exp(6.0 * 3_600_000.0) as i64).clamp(60_000, CONVERSION_DELAY_MAX_MS / 2);
        acts.push((t, Act::PageView));
    }
    let p = if decision.holdout { opts.base_rate } else { opts.base_rate + opts.lift };
    if rng.chance(p) {
        acts.push((at + rng.range(60_000, CONVERSION_DELAY_MAX_MS), Act::Conversion));
    }
    let visitor = Visitor { anonymous_id, user_id, holdout: decision.holdout, shown };
    Ok((visitor, acts))
}

/// 22 characters of base64url (128 bits), the shape of the edge's ids.
fn random_id(rng: &mut Rng) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (a, b) = (rng.next_u64(), rng.next_u64());
    (0..22)
        .map(|i| {
            let bits = if i < 11 { a >> (i * 6) } else { b >> ((i - 11) * 6) };
            char::from(ALPHABET[(bits & 63) as usize])
        })
        .collect()
}

fn message_id(rng: &mut Rng) -> String {
    format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64())
}

#[derive(Serialize)]
struct Track<'a, P: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    event: &'a str,
    #[serde(rename = "messageId")]
    message_id: String,
    timestamp: String,
    #[serde(rename = "anonymousId")]
    anonymous_id: &'a str,
    #[serde(rename = "userId", skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    properties: P,
}

/// The page view's own event, which `kairos lift` must skip.
fn product_view(buf: &mut Vec<u8>, v: &Visitor, at: i64, rng: &mut Rng) {
    #[derive(Serialize)]
    struct Props {
        product_id: String,
    }
    let line = Track {
        kind: "track",
        event: "Product Viewed",
        message_id: message_id(rng),
        timestamp: kairos::time::format_timestamp(at),
        anonymous_id: &v.anonymous_id,
        user_id: v.user_id.as_deref(),
        properties: Props { product_id: format!("sku-{}", rng.below(100)) },
    };
    // Writing to a Vec cannot fail, and the shape has no map with non-string keys.
    if serde_json::to_writer(&mut *buf, &line).is_ok() {
        buf.push(b'\n');
    }
}

fn conversion(buf: &mut Vec<u8>, opts: &ExperimentOptions, v: &Visitor, at: i64, rng: &mut Rng) -> io::Result<()> {
    #[derive(Serialize)]
    struct Props {
        #[serde(skip_serializing_if = "Option::is_none")]
        revenue: Option<f64>,
        order_id: String,
    }
    let revenue = opts.value_mean.map(|m| (-m * ln(1.0 - rng.f64()) * 100.0).round() / 100.0);
    let line = Track {
        kind: "track",
        event: &opts.conversion,
        message_id: message_id(rng),
        timestamp: kairos::time::format_timestamp(at),
        anonymous_id: &v.anonymous_id,
        user_id: v.user_id.as_deref(),
        properties: Props { revenue, order_id: format!("o-{}", rng.next_u64() % 1_000_000_000) },
    };
    serde_json::to_writer(&mut *buf, &line)?;
    buf.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let rules = include_str!("../../../../examples/demo/rules.json");
        Engine::from_rules_or_bundle(rules.as_bytes()).unwrap()
    }

    fn options(seed: u64) -> ExperimentOptions {
        ExperimentOptions {
            visitors: 300,
            days: 2,
            seed,
            start_ms: super::super::DEFAULT_START_MS,
            base_rate: 0.2,
            lift: 0.1,
            holdout_share: None,
            conversion: "Order Completed".into(),
            value_mean: Some(40.0),
        }
    }

    fn log(opts: &ExperimentOptions) -> (Vec<u8>, ExperimentStats) {
        let mut out = Vec::new();
        let stats = generate_experiment(&engine(), opts, &mut out).unwrap();
        (out, stats)
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes_in_time_order() {
        let (a, stats) = log(&options(9));
        assert_eq!(a, log(&options(9)).0);
        assert_ne!(a, log(&options(10)).0);
        let lines: Vec<serde_json::Value> =
            a.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect();
        assert_eq!(lines.len() as u64, stats.lines);
        let times: Vec<i64> =
            lines.iter().map(|l| kairos::time::parse_timestamp(l["timestamp"].as_str().unwrap()).unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "sorted by time");
        let exposures = lines.iter().filter(|l| l["event"] == exposure::EVENT).count() as u64;
        assert_eq!(exposures, stats.exposures);
        assert!(stats.visitors > 250 && stats.holdout > 0 && stats.conversions > 0, "{stats:?}");
    }

    #[test]
    fn options_that_describe_no_experiment_are_refused() {
        for bad in [
            ExperimentOptions { base_rate: 1.5, ..options(1) },
            ExperimentOptions { lift: 0.9, ..options(1) },
            ExperimentOptions { holdout_share: Some(-0.1), ..options(1) },
            ExperimentOptions { value_mean: Some(f64::NAN), ..options(1) },
            ExperimentOptions { days: 0, ..options(1) },
        ] {
            assert!(matches!(generate_experiment(&engine(), &bad, Vec::new()), Err(ExperimentError::Invalid(_))));
        }
    }
}
