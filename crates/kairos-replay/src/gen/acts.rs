//! What a customer does at each scheduled act: sessions and their funnel steps (shop, wallet,
//! bank), and what happens between sessions (emails, promos, card transactions, salaries,
//! payments), each written as lines.

use super::customer::{
    product_price_cents, Act, Customer, Kind, Phase, Session, CATEGORIES, COMPETITORS, HOMES, MERCHANTS, PAGES,
    PRODUCTS, REFERRERS, SEARCHES, UTM_SOURCES,
};
use super::writer::{Writer, V};
use kairos::time::{TimeZone, DAY_MS, HOUR_MS, MINUTE_MS};

impl Customer {
    /// Does the earliest scheduled thing, writing its lines.
    pub(super) fn step(&mut self, w: &mut Writer, zones: &[TimeZone]) {
        let Some(i) = (0..self.pending.len()).min_by_key(|&i| self.pending[i].0) else { return };
        let (at, act) = self.pending.remove(i);
        match act {
            Act::Session => {
                self.start_session(w, at);
                let next = self.next_session_after(at + 20 * MINUTE_MS, zones);
                self.schedule(next, Act::Session);
            }
            Act::Step => self.session_step(w, at),
            Act::Email => {
                let variant = if self.rng.chance(0.5) { "winter_sale" } else { "free_shipping" };
                w.event(
                    self,
                    at,
                    "$exposure",
                    &[("slot", V::S("offer")), ("variant", V::S(variant)), ("channel", V::S("email"))],
                );
                if self.rng.chance(0.45) {
                    let open = at + HOUR_MS + (self.rng.exp(10.0) * HOUR_MS as f64) as i64;
                    self.schedule(open, Act::EmailOpened);
                }
                let next = at + (self.rng.exp(5.0) * DAY_MS as f64) as i64 + HOUR_MS;
                self.schedule(next, Act::Email);
            }
            Act::EmailOpened => {
                let campaign = *self.rng.pick(&["winter-sale", "new-arrivals", "weekly"]);
                w.event(self, at, "email_opened", &[("campaign", V::S(campaign))]);
            }
            Act::Promo => {
                w.event(
                    self,
                    at,
                    "$exposure",
                    &[
                        ("slot", V::S("deposit_offer")),
                        ("variant", V::S("comeback_promo")),
                        ("channel", V::S("email")),
                        ("code", V::S("COMEBACK50")),
                    ],
                );
                if self.rng.chance(0.35) {
                    let back = at + 10 * MINUTE_MS + self.rng.below(170 * MINUTE_MS as u64) as i64;
                    self.schedule(back, Act::Session);
                }
                let next = at + (self.rng.exp(12.0) * DAY_MS as f64) as i64 + HOUR_MS;
                self.schedule(next, Act::Promo);
            }
            Act::CardTx => {
                let (merchant, mcc) = *self.rng.pick(MERCHANTS);
                let cents = self.rng.range(300, 12_000);
                w.event(
                    self,
                    at,
                    "card_transaction",
                    &[("mcc", V::I(i64::from(mcc))), ("amount", V::C(cents)), ("merchant", V::S(merchant))],
                );
                self.balance_cents -= cents;
                let next = at + (self.rng.exp(0.7) * DAY_MS as f64) as i64 + MINUTE_MS;
                self.schedule(next, Act::CardTx);
            }
            Act::Salary => {
                let cents = 180_000 + self.rng.range(0, 40) * 5_000;
                w.event(self, at, "salary_received", &[("amount", V::C(cents))]);
                self.balance_cents += cents;
                let next = self.next_payday(at + DAY_MS);
                self.schedule(next, Act::Salary);
            }
            Act::PaymentFailed => {
                let merchant = self.rng.below(MERCHANTS.len() as u64) as u8;
                let cents = self.rng.range(999, 15_000);
                let reason = *self.rng.pick(&["insufficient_funds", "card_expired", "do_not_honor"]);
                w.event(
                    self,
                    at,
                    "payment_failed",
                    &[
                        ("amount", V::C(cents)),
                        ("merchant", V::S(MERCHANTS[merchant as usize].0)),
                        ("reason", V::S(reason)),
                    ],
                );
                if self.rng.chance(0.6) {
                    let retry = at + HOUR_MS + self.rng.below(3 * DAY_MS as u64) as i64;
                    self.schedule(retry, Act::PaymentRetry { cents, merchant });
                }
                let next = at + (self.rng.exp(25.0) * DAY_MS as f64) as i64 + HOUR_MS;
                self.schedule(next, Act::PaymentFailed);
            }
            Act::PaymentRetry { cents, merchant } => {
                let name = MERCHANTS.get(merchant as usize).map_or("?", |m| m.0);
                w.event(self, at, "payment_succeeded", &[("amount", V::C(cents)), ("merchant", V::S(name))]);
            }
            Act::DepositDone { cents } => {
                w.event(self, at, "deposit_completed", &[("amount", V::C(cents))]);
                self.balance_cents += cents;
            }
        }
    }

    fn start_session(&mut self, w: &mut Writer, at: i64) {
        w.identify(self, at);
        let home = &HOMES[self.home];
        // Now and then abroad (the travel scenario): another country than home.
        let country = if self.rng.chance(0.06) {
            HOMES[self.rng.below(HOMES.len() as u64) as usize].country
        } else {
            home.country
        };
        let mut props: Vec<(&str, V)> =
            vec![("device", V::S(self.device)), ("country", V::S(country)), ("city", V::S(home.city))];
        match self.kind {
            Kind::Bank if self.loan_intent && self.rng.chance(0.3) => {
                props.push(("referrer", V::S(self.rng.pick::<&str>(COMPETITORS))));
            }
            _ if self.rng.chance(0.3) => props.push(("referrer", V::S(self.rng.pick::<&str>(REFERRERS)))),
            _ => {}
        }
        if self.rng.chance(0.2) {
            props.push(("utm_source", V::S(self.rng.pick::<&str>(UTM_SOURCES))));
        }
        w.event(self, at, "session_started", &props);
        let max_steps = match self.kind {
            Kind::Shop => self.rng.range(3, 40) as u32,
            Kind::Wallet => self.rng.range(3, 16) as u32,
            Kind::Bank => self.rng.range(2, 7) as u32,
        };
        self.session = Some(Session { phase: Phase::Start, steps: 0, max_steps, product: None, deposited: false });
        let next = at + self.rng.range(2_000, 30_000);
        self.schedule(next, Act::Step);
    }

    fn session_step(&mut self, w: &mut Writer, at: i64) {
        let Some(mut s) = self.session.take() else { return };
        s.steps += 1;
        let go_on = match self.kind {
            Kind::Shop => self.shop_step(w, at, &mut s),
            Kind::Wallet => self.wallet_step(w, at, &mut s),
            Kind::Bank => self.bank_step(w, at, &mut s),
        };
        if go_on && s.steps < s.max_steps {
            let mean = if s.phase == Phase::Checkout { 50_000.0 } else { 35_000.0 };
            let next = at + 4_000 + self.rng.exp(mean) as i64;
            self.session = Some(s);
            self.schedule(next, Act::Step);
        }
    }

    fn view_product(&mut self, w: &mut Writer, at: i64, s: &mut Session) {
        let recent: Vec<u64> = self.recent.iter().flatten().copied().collect();
        let p = if !recent.is_empty() && self.rng.chance(0.35) {
            *self.rng.pick(&recent)
        } else if self.rng.chance(0.7) {
            self.rng.below(PRODUCTS / CATEGORIES.len() as u64) * CATEGORIES.len() as u64 + self.fav as u64
        } else {
            self.rng.below(PRODUCTS)
        };
        if !self.recent.contains(&Some(p)) {
            self.recent.rotate_right(1);
            self.recent[0] = Some(p);
        }
        s.product = Some(p);
        let sku = format!("sku-{p}");
        let category = CATEGORIES[(p % CATEGORIES.len() as u64) as usize];
        w.event(
            self,
            at,
            "product_viewed",
            &[("product_id", V::S(&sku)), ("category", V::S(category)), ("price", V::C(product_price_cents(p)))],
        );
    }

    fn cart_value(&self) -> i64 {
        self.cart.iter().map(|p| product_price_cents(*p)).sum()
    }

    /// One funnel step of a shop session; false ends the session.
    fn shop_step(&mut self, w: &mut Writer, at: i64, s: &mut Session) -> bool {
        if s.phase == Phase::Start {
            s.phase = Phase::Browse;
            if self.rng.chance(0.5) {
                w.event(self, at, "page_viewed", &[("page", V::S("home"))]);
                return true;
            }
        }
        if s.phase == Phase::Checkout {
            return match self.rng.weighted(&[20, 50, 30]) {
                0 => {
                    w.event(self, at, "coupon_searched", &[("term", V::S("discount code"))]);
                    true
                }
                1 => {
                    self.orders += 1;
                    let order = format!("o-{}-{}", self.id, self.orders);
                    let revenue = self.cart_value();
                    w.event(self, at, "order_completed", &[("order_id", V::S(&order)), ("revenue", V::C(revenue))]);
                    self.cart.clear();
                    s.phase = Phase::Browse;
                    self.rng.chance(0.3)
                }
                _ => false, // abandoned at checkout
            };
        }
        match self.rng.weighted(&[50, 10, 8, 12, 10, 10]) {
            0 => self.view_product(w, at, s),
            1 => {
                let page = *self.rng.pick(PAGES);
                w.event(self, at, "page_viewed", &[("page", V::S(page))]);
            }
            2 => {
                let i = if self.rng.chance(0.6) { self.fav } else { self.rng.below(SEARCHES.len() as u64) as usize };
                w.event(
                    self,
                    at,
                    "products_searched",
                    &[("term", V::S(SEARCHES[i])), ("category", V::S(CATEGORIES[i]))],
                );
            }
            3 => match s.product {
                Some(p) if self.cart.len() < 6 => {
                    self.cart.push(p);
                    let sku = format!("sku-{p}");
                    w.event(
                        self,
                        at,
                        "product_added",
                        &[("product_id", V::S(&sku)), ("price", V::C(product_price_cents(p)))],
                    );
                }
                _ => self.view_product(w, at, s),
            },
            4 => match self.cart.last() {
                Some(&p) => {
                    let sku = format!("sku-{p}");
                    let value = self.cart_value();
                    w.event(self, at, "cart_viewed", &[("product_id", V::S(&sku)), ("cart_value", V::C(value))]);
                    if self.rng.chance(0.4) {
                        w.event(self, at + 1_000, "checkout_started", &[("cart_value", V::C(value))]);
                        s.phase = Phase::Checkout;
                    }
                }
                None => self.view_product(w, at, s),
            },
            _ => return false,
        }
        true
    }

    fn wallet_step(&mut self, w: &mut Writer, at: i64, s: &mut Session) -> bool {
        if s.phase == Phase::Start {
            s.phase = Phase::Browse;
            let method = *self.rng.pick(&["password", "face_id", "sms"]);
            w.event(self, at, "login", &[("method", V::S(method))]);
            return true;
        }
        if !s.deposited && (self.balance_cents < 5_000 || self.rng.chance(0.25)) {
            s.deposited = true;
            let cents = *self.rng.pick(&[1_000, 2_000, 2_500, 4_000, 5_000, 10_000, 20_000]);
            let method = *self.rng.pick(&["card", "apple_pay", "bank_transfer"]);
            w.event(self, at, "deposit_started", &[("amount", V::C(cents)), ("method", V::S(method))]);
            if self.rng.chance(0.7) {
                let done = at + self.rng.range(10_000, 240_000);
                self.schedule(done, Act::DepositDone { cents });
            }
            return true;
        }
        let stake = self.rng.range(100, 5_000).min(self.balance_cents.max(100));
        let loss = self.rng.chance(0.55);
        w.event(
            self,
            at,
            "bet_settled",
            &[("outcome", V::S(if loss { "loss" } else { "win" })), ("amount", V::C(stake))],
        );
        self.balance_cents += if loss { -stake } else { stake };
        self.balance_cents = self.balance_cents.max(0);
        !self.rng.chance(0.08)
    }

    fn bank_step(&mut self, w: &mut Writer, at: i64, s: &mut Session) -> bool {
        if s.phase == Phase::Start {
            s.phase = Phase::Browse;
            w.event(self, at, "login", &[("method", V::S("password"))]);
            return true;
        }
        let loan = if self.loan_intent { 45 } else { 4 };
        match self.rng.weighted(&[40, loan, if self.loan_intent { 15 } else { 1 }, 20]) {
            0 => {
                let page = *self.rng.pick(&["home", "cards", "savings", "payments"]);
                w.event(self, at, "page_viewed", &[("page", V::S(page))]);
            }
            1 => {
                let amount = self.rng.range(5, 30) * 100_000;
                w.event(self, at, "page_viewed", &[("page", V::S("loan-calculator")), ("amount", V::C(amount))]);
            }
            2 => {
                let n = self.rng.range(2, 5);
                w.event(self, at, "rates_compared", &[("products", V::I(n))]);
            }
            _ => return false,
        }
        true
    }
}
