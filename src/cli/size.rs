//! Capacity sizing: the smallest capacity of one or more resources that meets one or
//! more targets on metrics, each with 95 % confidence.
//!
//! A target is `METRIC OP VALUE`, e.g. `products.car-t.v2v.p90 <= 28d` (OP one of `<=`,
//! `<`, `>=`, `>`; a duration in `s`, `min`, `h`, `d` or `w` for metrics in days, a plain
//! number otherwise).
//!
//! **A candidate** (a capacity for each named resource) is judged by replications in
//! batches of 10, with common random numbers: replication `r` of every candidate uses the
//! same streams. After each batch each target's 95 % confidence interval decides: a
//! target is *met* when the whole interval is on the good side of its value, *missed*
//! when it is on the bad side. A candidate is met when every target is met, missed when
//! any is missed, otherwise it gets another batch, up to `max_replications`; a candidate
//! still undecided then counts as missed (sizing errs on the safe side). Each target is
//! judged at 95 % on its own: with k targets, all k hold together with at least
//! 1 - k x 5 % confidence (Bonferroni).
//!
//! **Search.** One resource: from the scenario's capacity, double until met (at most
//! 2^12 times the start), then bisect between the last miss and the first meet; capacity
//! is assumed to help monotonically. Several resources: first double all of them
//! together until met, then, resource by resource in the order given, bisect each one's
//! smallest capacity with the others fixed, and repeat the round until nothing changes
//! (coordinate descent: a smallest point per resource, not necessarily the cheapest
//! combination). Every candidate tried is reported with its estimate and interval.
//!
//! **Least cost.** With an objective (`--minimise costs.per_infused`), the search goes on
//! from that smallest point: each resource in turn closes (to 0, its plant closed, if it
//! may close), steps up by one, then down, as long as the move still meets every target and
//! lowers the objective's mean over the replications both candidates ran (common random
//! numbers; each candidate runs at least 30). Rounds repeat until no step helps (a local
//! least, at most 400 candidates). More capacity can cost less per patient when it
//! loses fewer of them, so the least-cost point may lie above the smallest.

use super::scenario::units::{parse_duration, shown};
use crate::engine::Streams;
use crate::experiment::Estimate;
use crate::model::{Prepared, SiteKind, Spec, Staffing, Unit, metric_names};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// A target on a metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub metric: String,
    pub index: usize,
    pub at_most: bool,
    pub value: f64,
}

/// Parses `METRIC OP VALUE` against the metrics of `spec`; a `*` in METRIC stands for
/// any one dot-separated part of a name (`products.*.v2v.p90`: every product's), and the
/// target becomes one per metric it matches.
pub fn parse_targets(text: &str, spec: &Spec) -> Result<Vec<Target>, String> {
    let Some((metric, rest)) = split_target(text) else {
        return parse_target(text, spec).map(|t| vec![t]);
    };
    if !metric.contains('*') {
        return parse_target(text, spec).map(|t| vec![t]);
    }
    let pattern: Vec<&str> = metric.split('.').collect();
    let names = metric_names(spec);
    let matching: Vec<&crate::model::Metric> = names
        .iter()
        .filter(|m| {
            let parts: Vec<&str> = m.name.split('.').collect();
            parts.len() == pattern.len()
                && parts.iter().zip(&pattern).all(|(p, q)| *q == "*" || p == q)
        })
        .collect();
    let Some(first) = matching.first() else {
        return Err(format!(
            "`{}` matches no metric (a `*` stands for one part of a name, e.g. products.*.v2v.p90)",
            shown(metric)
        ));
    };
    if let Some(other) = matching.iter().find(|m| m.unit != first.unit) {
        return Err(format!(
            "`{}` matches metrics of different units ({} in days, {} in {}): give each its own target",
            shown(metric),
            first.name,
            other.name,
            other.unit.as_str()
        ));
    }
    matching
        .iter()
        .map(|m| parse_target(&format!("{}{rest}", m.name), spec))
        .collect()
}

/// Where a target's operator is, and which it is (the first one; `<=` over `<`).
fn operator(text: &str) -> Option<(usize, &'static str)> {
    ["<=", ">=", "<", ">"]
        .iter()
        .filter_map(|op| text.find(op).map(|i| (i, *op)))
        .min_by_key(|&(i, op)| (i, usize::MAX - op.len()))
}

/// `METRIC` and the rest (`OP VALUE`) of a target, if it has an operator.
fn split_target(text: &str) -> Option<(&str, &str)> {
    let (at, _) = operator(text)?;
    Some((text[..at].trim(), &text[at..]))
}

/// Parses `METRIC OP VALUE` against the metrics of `spec`.
pub fn parse_target(text: &str, spec: &Spec) -> Result<Target, String> {
    let Some((at, op)) = operator(text) else {
        return Err(format!(
            "a target is METRIC <= VALUE (or <, >=, >), e.g. \"products.car-t.v2v.p90 <= 28d\"; got `{}`",
            shown(text)
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
            "unknown metric `{}`; for example: {}",
            shown(&metric),
            close.join(", ")
        ));
    };
    let value = match names[index].unit {
        Unit::Days => parse_duration(value_text)?.0,
        _ => value_text
            .parse()
            .map_err(|_| format!("`{}` is not a number", shown(value_text)))?,
    };
    Ok(Target {
        metric,
        index,
        at_most: op.starts_with('<'),
        value,
    })
}

impl Target {
    /// Whether the estimate `e` meets the target with 95 % confidence, and whether it
    /// misses it with 95 % confidence (neither: undecided).
    pub fn verdict(&self, e: &Estimate) -> (bool, bool) {
        let [lo, hi] = e.ci95();
        if self.at_most {
            (hi <= self.value, lo > self.value)
        } else {
            (lo >= self.value, hi < self.value)
        }
    }
}

/// One candidate's evidence.
#[derive(Clone, Debug)]
pub struct Evidence {
    pub capacities: Vec<u32>,
    /// Per target, its metric's estimate.
    pub estimates: Vec<Estimate>,
    pub met: bool,
    pub decided: bool,
    /// Why the candidate could not run (it then counts as missed): the scenario is not
    /// valid with these capacities, or the system was overloaded.
    pub failed: Option<String>,
    /// With an objective: its value in each replication run.
    pub objective: Vec<f64>,
}

/// What to minimise among the candidates that meet every target: a metric (a cost).
#[derive(Clone, Debug)]
pub struct Objective {
    pub metric: String,
    pub index: usize,
}

/// One dimension of the search: a resource's units, or whether a plant is open (1: its
/// resources at their capacities in the scenario) or closed (0: all of them at 0).
#[derive(Clone, Debug)]
pub enum Dim {
    Units(usize),
    Plant(Vec<usize>),
}

/// The search's result: the answer (if any) and every candidate tried, in order.
pub struct Sizing {
    pub answer: Option<Vec<u32>>,
    pub tried: Vec<Evidence>,
}

const BATCH: u64 = 10;
const MAX_DOUBLINGS: u32 = 12;
/// With an objective, each candidate runs at least this many replications (or the most
/// allowed), so that two candidates' objectives are compared on common replications.
const OBJECTIVE_REPLICATIONS: u64 = 30;
/// With an objective, the most candidates the descent tries (it stops there, with the
/// best so far).
const MAX_CANDIDATES: usize = 400;

/// The search's state: the question and every candidate judged so far.
struct Search<'a> {
    spec: &'a Spec,
    dims: &'a [Dim],
    targets: &'a [Target],
    objective: Option<&'a Objective>,
    seed: u64,
    max_replications: u64,
    /// Once set, candidates not yet judged fail at once (the search then ends quickly).
    cancelled: &'a AtomicBool,
    tried: Vec<Evidence>,
}

impl Search<'_> {
    /// Judges capacities `caps` (once: a candidate tried before is looked up) and
    /// returns its place in `tried`.
    fn judge(&mut self, caps: &[u32]) -> usize {
        if let Some(i) = self.tried.iter().position(|e| e.capacities == caps) {
            return i;
        }
        let targets = self.targets;
        let mut s = self.spec.clone();
        s.timeseries = None;
        for (d, &c) in self.dims.iter().zip(caps) {
            match d {
                Dim::Units(r) => s.resources[*r].capacity = c,
                Dim::Plant(list) if c == 0 => {
                    list.iter().for_each(|&r| s.resources[r].capacity = 0)
                }
                Dim::Plant(_) => {}
            }
        }
        s.close_empty_sites();
        // An edited spec is checked again, like any other.
        let failed = |why: String| Evidence {
            capacities: caps.to_vec(),
            estimates: vec![Estimate::of(&[]); targets.len()],
            met: false,
            decided: true,
            failed: Some(why),
            objective: Vec::new(),
        };
        let at_least = match self.objective {
            Some(_) => OBJECTIVE_REPLICATIONS.min(self.max_replications),
            None => 0,
        };
        // Per target (then the objective), its metric's value in each replication so far.
        let indices: Vec<usize> = (targets.iter().map(|t| t.index))
            .chain(self.objective.map(|o| o.index))
            .collect();
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); indices.len()];
        let ev = loop {
            if self.cancelled.load(Ordering::Relaxed) {
                break failed("interrupted".into());
            }
            if let Err(errors) = s.validate() {
                break failed(errors[0].to_string());
            }
            let from = values[0].len() as u64;
            let seed = self.seed;
            let batch: Result<Vec<Vec<f64>>, _> = Prepared::new(&s).and_then(|prepared| {
                (from..from + BATCH)
                    .into_par_iter()
                    .map(|r| {
                        let x = prepared.run(Streams::new(seed, r))?;
                        Ok(indices.iter().map(|&i| x.values[i]).collect())
                    })
                    .collect()
            });
            match batch {
                Ok(b) => {
                    for row in b {
                        for (v, x) in values.iter_mut().zip(row) {
                            v.push(x);
                        }
                    }
                }
                Err(e) => break failed(e.to_string()),
            }
            let estimates: Vec<Estimate> = values[..targets.len()]
                .iter()
                .map(|v| Estimate::of(v))
                .collect();
            let verdicts: Vec<(bool, bool)> = targets
                .iter()
                .zip(&estimates)
                .map(|(t, e)| t.verdict(e))
                .collect();
            let met = verdicts.iter().all(|v| v.0);
            let missed = verdicts.iter().any(|v| v.1);
            let n = values[0].len() as u64;
            let out_of_replications = n >= self.max_replications;
            if missed || out_of_replications || (met && n >= at_least) {
                break Evidence {
                    capacities: caps.to_vec(),
                    estimates,
                    met,
                    decided: met || missed,
                    failed: None,
                    objective: values.get(targets.len()).cloned().unwrap_or_default(),
                };
            }
        };
        tracing::debug!(
            "candidate {caps:?}: {} after {} replications",
            match (ev.met, &ev.failed) {
                (_, Some(_)) => "cannot run",
                (true, _) => "met",
                (false, _) => "missed or undecided",
            },
            ev.estimates.first().map_or(0, |e| e.n)
        );
        self.tried.push(ev);
        self.tried.len() - 1
    }

    fn met(&mut self, caps: &[u32]) -> bool {
        let i = self.judge(caps);
        self.tried[i].met
    }

    /// True when candidate `a`'s objective is below `b`'s, both averaged over the
    /// replications both ran (common random numbers: the same streams).
    fn lower(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.tried[a].objective, &self.tried[b].objective);
        let n = a.len().min(b.len());
        n > 0 && a[..n].iter().sum::<f64>() < b[..n].iter().sum::<f64>()
    }
}

/// Sizes `dims` (resources' units, plants open or closed) to meet every one of
/// `targets`; with an objective, the candidate of least objective among those that meet
/// them.
pub fn size(
    spec: &Spec,
    dims: &[Dim],
    targets: &[Target],
    objective: Option<&Objective>,
    seed: u64,
    max_replications: u64,
    cancelled: &AtomicBool,
) -> Sizing {
    let mut search = Search {
        spec,
        dims,
        targets,
        objective,
        seed,
        max_replications,
        cancelled,
        tried: Vec::new(),
    };
    let floor: Vec<u32> = (dims.iter())
        .map(|d| match d {
            Dim::Units(r) => min_units(spec, *r),
            Dim::Plant(_) => 1,
        })
        .collect();
    // A feasible point: double every resource together (plants open).
    let mut caps: Vec<u32> = (dims.iter().zip(&floor))
        .map(|(d, &f)| match d {
            Dim::Units(r) => spec.resources[*r].capacity.max(f).max(1),
            Dim::Plant(_) => 1,
        })
        .collect();
    let ceiling: Vec<u32> = (dims.iter().zip(&caps))
        .map(|(d, c)| match d {
            Dim::Units(_) => c.saturating_mul(1 << MAX_DOUBLINGS),
            Dim::Plant(_) => 1,
        })
        .collect();
    let mut doublings = 0;
    while !search.met(&caps) {
        doublings += 1;
        if doublings > MAX_DOUBLINGS {
            return Sizing {
                answer: None,
                tried: search.tried,
            };
        }
        for (c, &top) in caps.iter_mut().zip(&ceiling) {
            *c = c.saturating_mul(2).min(top);
        }
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
                if search.met(&probe) {
                    hi = mid
                } else {
                    lo = mid
                }
            }
            caps[i] = hi;
        }
        if caps == before {
            break;
        }
    }
    if objective.is_some() {
        let may_close: Vec<bool> = dims.iter().map(|d| matches!(d, Dim::Plant(_))).collect();
        caps = least(&mut search, caps, &floor, &ceiling, &may_close);
    }
    Sizing {
        answer: Some(caps),
        tried: search.tried,
    }
}

/// A move of the least-cost descent.
#[derive(Clone, Copy)]
enum Step {
    /// To capacity 0: the plant closed.
    Close,
    Up,
    Down,
}

/// From `caps` (met), the candidate of least objective: each resource in turn closes
/// (if it may), steps up, then down, while the move meets every target and lowers the
/// objective; rounds repeat until none does, or until [`MAX_CANDIDATES`] were tried.
fn least(
    search: &mut Search,
    mut caps: Vec<u32>,
    floor: &[u32],
    ceiling: &[u32],
    may_close: &[bool],
) -> Vec<u32> {
    let mut best = search.judge(&caps);
    loop {
        let mut improved = false;
        for i in 0..caps.len() {
            // Closing first (one step, however many units), then up, then down.
            for step in [Step::Close, Step::Up, Step::Down] {
                loop {
                    let next = match (step, caps[i]) {
                        (Step::Close, c) if c > 0 && may_close[i] => 0,
                        (Step::Up, 0) => floor[i].max(1),
                        (Step::Up, c) if c < ceiling[i] => c + 1,
                        (Step::Down, c) if c > floor[i].max(1) => c - 1,
                        _ => break,
                    };
                    if search.tried.len() >= MAX_CANDIDATES {
                        return caps;
                    }
                    let mut probe = caps.clone();
                    probe[i] = next;
                    let j = search.judge(&probe);
                    if !(search.tried[j].met && search.lower(j, best)) {
                        break;
                    }
                    (caps, best, improved) = (probe, j, true);
                }
            }
        }
        if !improved {
            return caps;
        }
    }
}

/// The dimension of plant `name`: its own resources, open as in the scenario or closed.
pub fn plant(spec: &Spec, name: &str) -> Result<Dim, String> {
    let sites = &spec.network.sites;
    let Some(site) = sites.iter().find(|s| s.name == name) else {
        let plants: Vec<&str> = (sites.iter())
            .filter(|s| s.kind == SiteKind::Plant)
            .map(|s| s.name.as_str())
            .collect();
        return Err(format!(
            "unknown plant `{}` (the scenario's plants: {})",
            shown(name),
            if plants.is_empty() {
                "none".to_string()
            } else {
                plants.join(", ")
            }
        ));
    };
    if site.kind != SiteKind::Plant {
        return Err(format!(
            "`{name}` is not a plant (kind = \"plant\"); only plants open and close"
        ));
    }
    if site
        .resources
        .iter()
        .all(|&r| spec.resources[r].capacity == 0)
    {
        return Err(format!(
            "`{name}` is closed in the scenario (its resources have capacity 0); give them their capacities when open"
        ));
    }
    Ok(Dim::Plant(site.resources.clone()))
}

/// The smallest capacity resource `r` can have: the most units any step needs from it,
/// and no fewer than its breakdowns take down or its calendar schedules on fixed terms.
fn min_units(spec: &Spec, r: usize) -> u32 {
    let res = &spec.resources[r];
    let mut most = res.breakdowns.as_ref().map_or(1, |b| b.units);
    if let Some(c) = &res.calendar {
        let fixed = c.shifts.iter().filter_map(|s| match s.staffing {
            Staffing::Units(n) => Some(n),
            Staffing::All => None,
        });
        let exceptions = c.exceptions.iter().map(|e| e.capacity);
        most = fixed.chain(exceptions).fold(most.max(c.base), u32::max);
    }
    for p in &spec.products {
        let delivery = p.allogeneic.iter().flat_map(|a| &a.delivery);
        for s in p.steps.iter().chain(delivery) {
            for (t, _) in spec.tasks_of(s) {
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
