//! The floor: the same generated rules decided by plain Rust written for exactly this workload,
//! with no kairos code. Rules are read once into an enum tree; a decision makes one pass over
//! the (already parsed) events filling every windowed count and sum the rules read, then walks
//! each slot's variants in rank order. This is what the hardware allows; kairos' resident visitor
//! is measured against it.

use serde_json::Value;

const DEVICES: [&str; 3] = ["mobile", "desktop", "tablet"];
const TIERS: [&str; 4] = ["bronze", "silver", "gold", "platinum"];
const DAY_MS: i64 = 86_400_000;

enum Cond {
    CountGte(usize, f64),
    NoEvents(usize),
    SumGte(usize, f64),
    Device(u8),
    LtvGt(f64),
    TierIn(u8),
    ScoreGt(f64, i64),
    LocalBetween(i64, i64),
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
}

/// One windowed aggregate: (event index, window ms, sum of `amount` or count).
#[derive(PartialEq, Clone, Copy)]
struct Agg {
    event: u8,
    window: i64,
    sum: bool,
}

pub struct Floor {
    events: Vec<String>,
    aggs: Vec<Agg>,
    /// Per event index: the aggregates that read it.
    by_event: Vec<Vec<usize>>,
    /// Per slot: (variant id, condition) in rank order (priority, then bundle order).
    slots: Vec<(String, Vec<(String, Cond)>)>,
}

/// A context with its history already parsed into plain numbers.
pub struct FloorContext {
    now: i64,
    device: u8,
    ltv: f64,
    tier: u8,
    score: Option<(f64, i64)>,
    offset_ms: i64,
    events: Vec<(u8, i64, f64)>,
}

fn window_ms(w: &str) -> i64 {
    let (n, unit) = w.split_at(w.len() - 1);
    let n: i64 = n.parse().expect("window");
    n * match unit {
        "h" => 3_600_000,
        "d" => DAY_MS,
        "m" => 60_000,
        _ => panic!("window unit {unit}"),
    }
}

fn minutes(hhmm: &str) -> i64 {
    let (h, m) = hhmm.split_once(':').expect("HH:MM");
    h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap()
}

impl Floor {
    pub fn new(rules: &Value) -> Floor {
        let mut floor = Floor { events: Vec::new(), aggs: Vec::new(), by_event: Vec::new(), slots: Vec::new() };
        for (slot, def) in rules["slots"].as_object().expect("slots") {
            let mut variants: Vec<(i64, usize, String, Cond)> = def["variants"]
                .as_array()
                .expect("variants")
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    (
                        v["priority"].as_i64().unwrap_or(0),
                        i,
                        v["id"].as_str().unwrap().to_owned(),
                        floor.cond(&v["when"]),
                    )
                })
                .collect();
            variants.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            floor.slots.push((slot.clone(), variants.into_iter().map(|(_, _, id, c)| (id, c)).collect()));
        }
        floor
    }

    fn event(&mut self, name: &str) -> u8 {
        match self.events.iter().position(|e| e == name) {
            Some(i) => i as u8,
            None => {
                self.events.push(name.to_owned());
                self.by_event.push(Vec::new());
                (self.events.len() - 1) as u8
            }
        }
    }

    fn agg(&mut self, q: &Value, sum: bool) -> usize {
        let agg = Agg {
            event: self.event(q["event"].as_str().unwrap()),
            window: window_ms(q["within"].as_str().unwrap()),
            sum,
        };
        match self.aggs.iter().position(|a| *a == agg) {
            Some(i) => i,
            None => {
                self.aggs.push(agg);
                self.by_event[agg.event as usize].push(self.aggs.len() - 1);
                self.aggs.len() - 1
            }
        }
    }

    fn cond(&mut self, c: &Value) -> Cond {
        let (op, arg) = c.as_object().and_then(|o| o.iter().next()).expect("one operator");
        let num = |v: &Value| v.as_f64().unwrap();
        match op.as_str() {
            "all" => Cond::All(arg.as_array().unwrap().iter().map(|x| self.cond(x)).collect()),
            "any" => Cond::Any(arg.as_array().unwrap().iter().map(|x| self.cond(x)).collect()),
            "not" => Cond::Not(Box::new(self.cond(arg))),
            "none" => Cond::NoEvents(self.agg(arg, false)),
            "local_time_between" => {
                Cond::LocalBetween(minutes(arg[0].as_str().unwrap()), minutes(arg[1].as_str().unwrap()))
            }
            "gte" if arg[0].get("count").is_some() => Cond::CountGte(self.agg(&arg[0]["count"], false), num(&arg[1])),
            "gte" if arg[0].get("sum").is_some() => Cond::SumGte(self.agg(&arg[0]["sum"], true), num(&arg[1])),
            "eq" => Cond::Device(DEVICES.iter().position(|d| arg[1] == *d).unwrap() as u8),
            "gt" if arg[0].get("score").is_some() => {
                Cond::ScoreGt(num(&arg[1]), window_ms(arg[0]["score"]["max_age"].as_str().unwrap()))
            }
            "gt" => Cond::LtvGt(num(&arg[1])),
            "in" => Cond::TierIn(
                arg[1]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| 1u8 << TIERS.iter().position(|x| t == *x).unwrap())
                    .fold(0, |a, b| a | b),
            ),
            other => panic!("floor: no {other}"),
        }
    }

    pub fn context(&self, ctx: &Value) -> FloorContext {
        let offset = ctx["utc_offset"].as_str().unwrap();
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let offset_ms =
            sign * (offset[1..3].parse::<i64>().unwrap() * 60 + offset[4..6].parse::<i64>().unwrap()) * 60_000;
        let score = &ctx["scores"]["propensity"];
        FloorContext {
            now: ctx["now"].as_i64().unwrap(),
            device: DEVICES.iter().position(|d| ctx["session"]["device"] == *d).unwrap() as u8,
            ltv: ctx["profile"]["ltv"].as_f64().unwrap(),
            tier: TIERS.iter().position(|t| ctx["profile"]["tier"] == *t).unwrap() as u8,
            score: score["value"].as_f64().map(|v| (v, score["computed_at"].as_i64().unwrap())),
            offset_ms,
            events: ctx["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| {
                    let id = self.events.iter().position(|n| e["e"] == *n.as_str())?;
                    Some((id as u8, e["t"].as_i64().unwrap(), e["p"]["amount"].as_f64().unwrap_or(f64::NAN)))
                })
                .collect(),
        }
    }

    /// Every slot's winner.
    pub fn decide<'f>(&'f self, ctx: &FloorContext, values: &mut Vec<f64>) -> Vec<&'f str> {
        values.clear();
        values.resize(self.aggs.len(), 0.0);
        for &(event, t, amount) in &ctx.events {
            if t > ctx.now {
                continue;
            }
            for &a in &self.by_event[event as usize] {
                let agg = self.aggs[a];
                if t >= ctx.now - agg.window {
                    values[a] += if agg.sum {
                        if amount.is_nan() {
                            0.0
                        } else {
                            amount
                        }
                    } else {
                        1.0
                    };
                }
            }
        }
        let local = (ctx.now + ctx.offset_ms).rem_euclid(DAY_MS) / 60_000;
        let holds = |c: &Cond| -> bool {
            fn go(c: &Cond, ctx: &FloorContext, v: &[f64], local: i64) -> bool {
                match c {
                    Cond::CountGte(a, n) | Cond::SumGte(a, n) => v[*a] >= *n,
                    Cond::NoEvents(a) => v[*a] == 0.0,
                    Cond::Device(d) => ctx.device == *d,
                    Cond::LtvGt(x) => ctx.ltv > *x,
                    Cond::TierIn(mask) => mask & (1 << ctx.tier) != 0,
                    Cond::ScoreGt(x, age) => ctx.score.is_some_and(|(s, at)| ctx.now - at <= *age && s > *x),
                    Cond::LocalBetween(from, to) => *from <= local && local < *to,
                    Cond::All(cs) => cs.iter().all(|c| go(c, ctx, v, local)),
                    Cond::Any(cs) => cs.iter().any(|c| go(c, ctx, v, local)),
                    Cond::Not(c) => !go(c, ctx, v, local),
                }
            }
            go(c, ctx, values, local)
        };
        self.slots
            .iter()
            .map(|(_, variants)| variants.iter().find(|(_, c)| holds(c)).map_or("default", |(id, _)| id.as_str()))
            .collect()
    }

    pub fn slot_names(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|(s, _)| s.as_str())
    }
}
