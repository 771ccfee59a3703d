//! Capacity sizing: the smallest capacity of one or more resources that meets a target
//! on a metric with 95 % confidence.
//!
//! A target is `METRIC OP VALUE`, e.g. `products.car-t.v2v.p90 <= 28d` (OP one of `<=`,
//! `<`, `>=`, `>`; a duration in `s`, `min`, `h`, `d` or `w` for metrics in days, a plain
//! number otherwise).
//!
//! **A candidate** (a capacity for each named resource) is judged by replications in
//! batches of 10, with common random numbers: replication `r` of every candidate uses the
//! same streams. After each batch the metric's 95 % confidence interval decides: *met*
//! when the whole interval is on the good side of the value, *missed* when it is on the
//! bad side, otherwise another batch, up to `max_replications`; a candidate still
//! undecided then counts as missed (sizing errs on the safe side).
//!
//! **Search.** One resource: from the scenario's capacity, double until met (at most
//! 2^12 times the start), then bisect between the last miss and the first meet; capacity
//! is assumed to help monotonically. Several resources: first double all of them
//! together until met, then, resource by resource in the order given, bisect each one's
//! smallest capacity with the others fixed, and repeat the round until nothing changes
//! (coordinate descent: a smallest point per resource, not necessarily the cheapest
//! combination). Every candidate tried is reported with its estimate and interval.

use super::scenario::units::parse_duration;
use crate::engine::Streams;
use crate::experiment::Estimate;
use crate::model::{Spec, Unit, metric_names};
use rayon::prelude::*;

/// A target on a metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub metric: String,
    pub index: usize,
    pub at_most: bool,
    pub value: f64,
}

/// Parses `METRIC OP VALUE` against the metrics of `spec`.
pub fn parse_target(text: &str, spec: &Spec) -> Result<Target, String> {
    let ops = ["<=", ">=", "<", ">"];
    let Some((at, op)) = ops
        .iter()
        .filter_map(|op| text.find(op).map(|i| (i, *op)))
        .min_by_key(|&(i, op)| (i, usize::MAX - op.len()))
    else {
        return Err(format!(
            "a target is METRIC <= VALUE (or <, >=, >), e.g. \"products.car-t.v2v.p90 <= 28d\"; got `{text}`"
        ));
    };
    let metric = text[..at].trim().to_string();
    let value_text = text[at + op.len()..].trim();
    let names = metric_names(spec);
    let Some(index) = names.iter().position(|m| m.name == metric) else {
        let close: Vec<&str> = names
            .iter()
            .map(|m| m.name.as_str())
            .filter(|n| n.ends_with(metric.rsplit('.').next().unwrap_or("")))
            .take(5)
            .collect();
        return Err(format!(
            "unknown metric `{metric}`; for example: {}",
            close.join(", ")
        ));
    };
    let value = match names[index].unit {
        Unit::Days => parse_duration(value_text)?.0,
        _ => value_text
            .parse()
            .map_err(|_| format!("`{value_text}` is not a number"))?,
    };
    Ok(Target {
        metric,
        index,
        at_most: op.starts_with('<'),
        value,
    })
}

/// One candidate's evidence.
#[derive(Clone, Debug)]
pub struct Evidence {
    pub capacities: Vec<u32>,
    pub estimate: Estimate,
    pub met: bool,
    pub decided: bool,
}

/// The search's result: the answer (if any) and every candidate tried, in order.
pub struct Sizing {
    pub answer: Option<Vec<u32>>,
    pub tried: Vec<Evidence>,
}

const BATCH: u64 = 10;
const MAX_DOUBLINGS: u32 = 12;

/// Sizes `resources` (indices into `spec.resources`) for `target`.
pub fn size(
    spec: &Spec,
    resources: &[usize],
    target: &Target,
    seed: u64,
    max_replications: u64,
) -> Sizing {
    let mut tried: Vec<Evidence> = Vec::new();
    let floor: Vec<u32> = resources.iter().map(|&r| min_units(spec, r)).collect();
    let mut judge = |caps: &[u32]| -> bool {
        if let Some(e) = tried.iter().find(|e| e.capacities == caps) {
            return e.met;
        }
        let mut s = spec.clone();
        for (&r, &c) in resources.iter().zip(caps) {
            s.resources[r].capacity = c;
        }
        let mut values = Vec::new();
        let ev = loop {
            let from = values.len() as u64;
            let batch: Vec<f64> = (from..from + BATCH)
                .into_par_iter()
                .map(|r| super::simulate_one(&s, Streams::new(seed, r)).0[target.index])
                .collect();
            values.extend(batch);
            let e = Estimate::of(&values);
            let [lo, hi] = e.ci95();
            let (met, missed) = if target.at_most {
                (hi <= target.value, lo > target.value)
            } else {
                (lo >= target.value, hi < target.value)
            };
            if met || missed {
                break Evidence {
                    capacities: caps.to_vec(),
                    estimate: e,
                    met,
                    decided: true,
                };
            }
            if values.len() as u64 >= max_replications {
                break Evidence {
                    capacities: caps.to_vec(),
                    estimate: e,
                    met: false,
                    decided: false,
                };
            }
        };
        let met = ev.met;
        tried.push(ev);
        met
    };
    // A feasible point: double every resource together.
    let mut caps: Vec<u32> = resources
        .iter()
        .zip(&floor)
        .map(|(&r, &f)| spec.resources[r].capacity.max(f).max(1))
        .collect();
    let mut doublings = 0;
    while !judge(&caps) {
        doublings += 1;
        if doublings > MAX_DOUBLINGS {
            return Sizing {
                answer: None,
                tried,
            };
        }
        caps.iter_mut().for_each(|c| *c = c.saturating_mul(2));
    }
    // Coordinate descent: the smallest capacity of each resource, the others fixed.
    loop {
        let before = caps.clone();
        for i in 0..caps.len() {
            let (mut lo, mut hi) = (floor[i].max(1) - 1, caps[i]); // lo misses (or is below the floor), hi meets
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let mut probe = caps.clone();
                probe[i] = mid;
                if judge(&probe) { hi = mid } else { lo = mid }
            }
            caps[i] = hi;
        }
        if caps == before {
            break;
        }
    }
    Sizing {
        answer: Some(caps),
        tried,
    }
}

/// The most units any step needs from resource `r` (a capacity below it can never serve).
fn min_units(spec: &Spec, r: usize) -> u32 {
    use crate::model::StepKind;
    let mut most = 1;
    for p in &spec.products {
        let delivery = p.allogeneic.iter().flat_map(|a| &a.delivery);
        for s in p.steps.iter().chain(delivery) {
            let tasks: Vec<&crate::model::Task> = match &s.kind {
                StepKind::Work(t, _) => vec![t],
                StepKind::Assays(list) => list.iter().map(|a| &a.task).collect(),
            };
            for t in tasks {
                for &(res, u) in t.uses.iter().chain(&t.touch_uses) {
                    if res == r {
                        most = most.max(u);
                    }
                }
            }
        }
    }
    most
}
