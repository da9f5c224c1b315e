//! The customer model: where customers live and what they browse, who each one is (drawn once
//! from its own stream), and when it acts next.

use super::rng::{Rng, SplitMix64};
use super::GenOptions;
use kairos::time::{civil_from_days, days_from_civil, LocalTime, TimeZone, DAY_MS, HOUR_MS, MINUTE_MS};

/// Where a customer lives: zone, country, city.
pub(super) struct Home {
    pub(super) zone: &'static str,
    pub(super) country: &'static str,
    pub(super) city: &'static str,
}

pub(super) const HOMES: &[Home] = &[
    Home { zone: "Europe/Paris", country: "FR", city: "Paris" },
    Home { zone: "Europe/London", country: "GB", city: "London" },
    Home { zone: "Europe/Berlin", country: "DE", city: "Berlin" },
    Home { zone: "Europe/Malta", country: "MT", city: "Valletta" },
    Home { zone: "Europe/Lisbon", country: "PT", city: "Lisbon" },
    Home { zone: "Europe/Madrid", country: "ES", city: "Madrid" },
    Home { zone: "America/New_York", country: "US", city: "New York" },
];
const HOME_WEIGHTS: &[u32] = &[30, 15, 15, 8, 7, 10, 15];

pub(super) const CATEGORIES: &[&str] =
    &["running", "shoes", "outdoor", "jackets", "bags", "watches", "sofas", "lamps", "kitchen", "toys"];
pub(super) const SEARCHES: &[&str] = &[
    "trail shoes",
    "rain jacket",
    "tent 4 person",
    "gift ideas",
    "leather bag",
    "smart watch",
    "corner sofa",
    "desk lamp",
    "coffee maker",
    "lego",
];
/// Products `sku-0` … `sku-399`; product `i` is in category `i % 10`.
pub(super) const PRODUCTS: u64 = 400;
pub(super) const PAGES: &[&str] = &["home", "category", "deals", "new-in", "help"];
pub(super) const REFERRERS: &[&str] = &[
    "https://www.google.com/search?q=shop",
    "https://l.instagram.com/?u=https%3A%2F%2Fshop.example%2F",
    "https://www.facebook.com/",
    "https://news.example.org/article",
];
pub(super) const COMPETITORS: &[&str] =
    &["https://www.rivalbank.com/personal-loans", "https://loanhub.io/compare", "https://quickcredit.eu/offers"];
pub(super) const UTM_SOURCES: &[&str] = &["newsletter", "instagram", "google", "affiliate"];
pub(super) const MERCHANTS: &[(&str, u32)] = &[
    ("TotalEnergies", 5541),
    ("Shell", 5542),
    ("Carrefour", 5411),
    ("Amazon", 5942),
    ("Uber", 4121),
    ("Netflix", 4899),
    ("Telco Mobile", 4814),
];

/// Relative session likelihood by local hour: quiet nights, lunch, a peak from 18:00 to 22:00.
const DIURNAL: [u32; 24] = [3, 2, 1, 1, 1, 2, 4, 7, 9, 9, 9, 10, 12, 11, 9, 9, 10, 12, 16, 18, 18, 16, 10, 6];

/// Prices from 14.99 to 254.99, fixed per product.
pub(super) fn product_price_cents(p: u64) -> i64 {
    1_499 + (SplitMix64(p ^ 0x5eed).next_u64() % 241) as i64 * 100
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Shop,
    Wallet,
    Bank,
}

/// Something a customer will do at a given instant.
#[derive(Debug, Clone, Copy)]
pub(super) enum Act {
    Session,
    Step,
    Email,
    EmailOpened,
    Promo,
    CardTx,
    Salary,
    PaymentFailed,
    PaymentRetry { cents: i64, merchant: u8 },
    DepositDone { cents: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Start,
    Browse,
    Checkout,
}

pub(super) struct Session {
    pub(super) phase: Phase,
    pub(super) steps: u32,
    pub(super) max_steps: u32,
    pub(super) product: Option<u64>,
    pub(super) deposited: bool,
}

pub(super) struct Customer {
    pub(super) id: String,
    pub(super) rng: Rng,
    pub(super) kind: Kind,
    pub(super) home: usize,
    pub(super) device: &'static str,
    /// Mean sessions per day.
    rate: f64,
    /// Nothing happens at or after this (end of the log, or churn).
    end: i64,
    pub(super) fav: usize,
    pub(super) recent: [Option<u64>; 4],
    pub(super) cart: Vec<u64>,
    pub(super) balance_cents: i64,
    pub(super) orders: u32,
    pub(super) loan_intent: bool,
    pub(super) consent: bool,
    pub(super) marketing: bool,
    pub(super) tier: &'static str,
    pub(super) plan: &'static str,
    pub(super) trial_ends_at: i64,
    pub(super) kyc_expiry: i64,
    /// Bonus match rate, in hundredths.
    pub(super) bonus_rate: i64,
    /// Score bases (hundredths).
    pub(super) propensity: i64,
    pub(super) ltv_band: i64,
    pub(super) churn_risk: i64,
    payday: u32,
    pub(super) pending: Vec<(i64, Act)>,
    pub(super) session: Option<Session>,
}

impl Customer {
    pub(super) fn new(opts: &GenOptions, idx: u32, end: i64, zones: &[TimeZone]) -> Customer {
        let mut rng = Rng::seeded(opts.seed ^ u64::from(idx).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17));
        let span = end - opts.start_ms;
        let kind = [Kind::Shop, Kind::Wallet, Kind::Bank][rng.weighted(&[50, 30, 20])];
        let home = rng.weighted(HOME_WEIGHTS);
        let device = ["mobile", "desktop", "tablet"][rng.weighted(&[60, 32, 8])];
        // Heavy-tailed activity: most customers come back now and then, a few daily or more.
        let rate = [0.08, 0.2, 0.4, 0.8, 1.5, 3.0][rng.weighted(&[15, 25, 25, 18, 12, 5])];
        let joined =
            if rng.chance(0.25) { opts.start_ms + rng.below(span.max(1) as u64) as i64 } else { opts.start_ms };
        let churned = if rng.chance(0.2) { opts.start_ms + rng.below(span.max(1) as u64) as i64 } else { end };
        let start = opts.start_ms;
        let mut c = Customer {
            id: format!("cust-{idx}"),
            kind,
            home,
            device,
            rate,
            end: churned.min(end),
            fav: rng.below(CATEGORIES.len() as u64) as usize,
            recent: [None; 4],
            cart: Vec::new(),
            balance_cents: if kind == Kind::Bank { rng.range(20_000, 500_000) } else { rng.range(0, 30_000) },
            orders: 0,
            loan_intent: rng.chance(0.3),
            consent: rng.chance(0.88),
            marketing: rng.chance(0.5),
            tier: ["bronze", "silver", "gold"][rng.weighted(&[60, 28, 12])],
            plan: ["trial", "basic", "premium"][rng.weighted(&[20, 55, 25])],
            trial_ends_at: start + rng.range(0, span.max(1) + 10 * DAY_MS),
            kyc_expiry: start + rng.range(-20 * DAY_MS, 200 * DAY_MS),
            bonus_rate: [25, 50, 100][rng.weighted(&[50, 35, 15])],
            propensity: rng.range(5, 97),
            ltv_band: rng.range(1, 5),
            churn_risk: rng.range(2, 95),
            payday: *rng.pick(&[1, 25, 28]),
            pending: Vec::with_capacity(6),
            session: None,
            rng,
        };
        let first = c.next_session_after(joined, zones);
        c.schedule(first, Act::Session);
        let per_day = |c: &mut Customer, mean_days: f64| joined + (c.rng.exp(mean_days) * DAY_MS as f64) as i64;
        match kind {
            Kind::Shop => {
                let at = per_day(&mut c, 6.0);
                c.schedule(at, Act::Email);
            }
            Kind::Wallet => {
                let at = per_day(&mut c, 15.0);
                c.schedule(at, Act::Promo);
            }
            Kind::Bank => {
                let at = per_day(&mut c, 0.7);
                c.schedule(at, Act::CardTx);
                let at = c.next_payday(joined);
                c.schedule(at, Act::Salary);
                let at = per_day(&mut c, 25.0);
                c.schedule(at, Act::PaymentFailed);
            }
        }
        c
    }

    pub(super) fn schedule(&mut self, at: i64, act: Act) {
        if at < self.end {
            self.pending.push((at, act));
        }
    }

    /// The instant of the next thing to do (the first scheduled, in scheduling order on ties).
    pub(super) fn next_at(&self) -> Option<i64> {
        self.pending.iter().map(|(at, _)| *at).min()
    }

    /// The next session start after `from`: exponential gaps at this customer's rate, thinned by
    /// the hour of day in the customer's zone.
    pub(super) fn next_session_after(&mut self, from: i64, zones: &[TimeZone]) -> i64 {
        let mean = DAY_MS as f64 / self.rate;
        let mut at = from;
        let peak = DIURNAL.iter().copied().max().unwrap_or(1);
        for _ in 0..64 {
            at += (self.rng.exp(mean * 0.55) as i64).max(MINUTE_MS);
            let hour = zones.get(self.home).map_or(0, |z| LocalTime::at(at, z).minute_of_day / 60) as usize;
            if self.rng.below(u64::from(peak)) < u64::from(DIURNAL[hour % 24]) {
                break;
            }
        }
        at
    }

    /// The next payday (06:00 UTC on the customer's day of the month) at or after `from`.
    pub(super) fn next_payday(&self, from: i64) -> i64 {
        let (mut y, mut m, _) = civil_from_days(from.div_euclid(DAY_MS));
        loop {
            let at = days_from_civil(y, m, self.payday) * DAY_MS + 6 * HOUR_MS;
            if at >= from {
                return at;
            }
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
    }
}
