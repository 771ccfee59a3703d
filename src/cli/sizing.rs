//! `cgtsim size`: the question (resources, plants, targets, an objective) read and
//! checked against the scenario (`Question`), the search (`size`), every candidate tried
//! and the answer printed, and with `--report` the HTML page. `cli::api::size` asks the
//! same question from other front ends.
//!
//! This module is the command's I/O; the search is `cli::size`.

use super::report::{SizeCandidate, SizeReport, SizeTarget, size_page};
use super::{Failure, SizeArgs, check_replications, page, scenario, size, thread_pool};
use crate::experiment::Estimate;
use crate::model::{Spec, limits};
use std::sync::atomic::AtomicBool;

/// What to size, as the command line (or a front end) gives it.
pub(super) struct Ask<'a> {
    /// Resources whose units are sized.
    pub resources: &'a [String],
    /// Plants that may be open or closed (with `minimise`).
    pub plants: &'a [String],
    /// `METRIC OP VALUE` targets.
    pub targets: &'a [String],
    /// A metric to minimise among the candidates that meet every target.
    pub minimise: Option<&'a str>,
    /// Most replications per candidate.
    pub max_replications: u64,
}

/// A checked sizing question: what the search needs, and the names to show.
pub(super) struct Question {
    pub targets: Vec<size::Target>,
    pub dims: Vec<size::Dim>,
    /// Per dimension, its resource's or plant's name.
    pub names: Vec<String>,
    pub objective: Option<size::Objective>,
    pub max_replications: u64,
}

impl Question {
    /// Reads `a` against `spec`: every name known, every target parsed, every resource
    /// one whose capacity changes what is available.
    pub(super) fn check(spec: &Spec, a: &Ask) -> Result<Question, Failure> {
        let mut targets: Vec<size::Target> = Vec::new();
        for t in a.targets {
            let parsed = size::parse_targets(t, spec)
                .map_err(|m| Failure::Usage(format!("--target: {m}")))?;
            targets.extend(parsed);
        }
        if targets.is_empty() {
            return Err(Failure::Usage(
                "--target: give at least one, e.g. \"products.car-t.v2v.p90 <= 28d\"".into(),
            ));
        }
        let mut resources = Vec::new();
        for name in a.resources {
            let Some(r) = spec.resources.iter().position(|r| &r.name == name) else {
                let known: Vec<&str> = spec.resources.iter().map(|r| r.name.as_str()).collect();
                return Err(Failure::Usage(format!(
                    "--resource: unknown resource `{name}` (the scenario has: {})",
                    known.join(", ")
                )));
            };
            if let Some(c) = &spec.resources[r].calendar
                && !c.follows_capacity()
            {
                return Err(Failure::Usage(format!(
                    "--resource: every shift of `{name}`'s calendar states its own capacity, so changing the capacity would change nothing that is available; leave out `capacity` on the shifts that all units work (they then follow the resource's capacity)"
                )));
            }
            if !spec.network.is_empty() && spec.resources[r].capacity == 0 {
                return Err(Failure::Usage(format!(
                    "--resource: `{name}` has capacity 0 in the scenario, so its site is closed to the steps that use it and sizing it would change nothing; give it a capacity of 1 or more in the file"
                )));
            }
            resources.push(r);
        }
        if resources.is_empty() && a.plants.is_empty() {
            return Err(Failure::Usage(
                "--resource: give at least one resource to size (or plants with --minimise)".into(),
            ));
        }
        let mut dims: Vec<size::Dim> = resources.iter().map(|&r| size::Dim::Units(r)).collect();
        for name in a.plants {
            dims.push(
                size::plant(spec, name).map_err(|m| Failure::Usage(format!("--plant: {m}")))?,
            );
        }
        let objective = match a.minimise {
            None if !a.plants.is_empty() => {
                return Err(Failure::Usage(
                    "--plant is for --minimise: whether a plant is open is chosen for its cost"
                        .into(),
                ));
            }
            None => None,
            Some(metric) => {
                let names = crate::model::metric_names(spec);
                let Some(index) = names.iter().position(|m| m.name == metric) else {
                    let costs: Vec<&str> = (names.iter())
                        .map(|m| m.name.as_str())
                        .filter(|n| n.starts_with("costs."))
                        .take(6)
                        .collect();
                    return Err(Failure::Usage(format!(
                        "--minimise: unknown metric `{}`; {}",
                        scenario::units::shown(metric),
                        match costs.is_empty() {
                            true => "the scenario has no [costs], so it has no cost to minimise"
                                .to_string(),
                            false => format!("for example: {}", costs.join(", ")),
                        }
                    )));
                };
                Some(size::Objective {
                    metric: metric.to_string(),
                    index,
                })
            }
        };
        check_replications(a.max_replications, 2).map_err(|_| {
            Failure::Usage(format!(
                "--max-replications must be from 2 to {}",
                limits::MAX_REPLICATIONS
            ))
        })?;
        let names = (resources.iter())
            .map(|&r| spec.resources[r].name.clone())
            .chain(a.plants.iter().cloned())
            .collect();
        Ok(Question {
            targets,
            dims,
            names,
            objective,
            max_replications: a.max_replications,
        })
    }

    /// Runs the search on `spec` (on the current thread pool); once `cancelled` is set,
    /// candidates not yet judged count as failed.
    pub(super) fn search(&self, spec: &Spec, seed: u64, cancelled: &AtomicBool) -> size::Sizing {
        size::size(
            spec,
            &self.dims,
            &self.targets,
            self.objective.as_ref(),
            seed,
            self.max_replications,
            cancelled,
        )
    }

    /// Capacity `c` of dimension `i` as shown: a number of units, or a plant open or
    /// closed.
    pub(super) fn value(&self, i: usize, c: u32) -> String {
        match (&self.dims[i], c) {
            (size::Dim::Plant(_), 0) => "closed".to_string(),
            (size::Dim::Plant(_), _) => "open".to_string(),
            (size::Dim::Units(_), c) => c.to_string(),
        }
    }

    /// A candidate's capacities as shown, `a / b`.
    pub(super) fn label(&self, caps: &[u32]) -> String {
        (caps.iter().enumerate())
            .map(|(i, &c)| self.value(i, c))
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// Why no candidate met every target: the best value each target reached.
    pub(super) fn unreachable(&self, result: &size::Sizing) -> String {
        let best: Vec<(&str, f64)> = (self.targets.iter().enumerate())
            .map(|(i, t)| {
                let means = result.tried.iter().map(|e| e.estimates[i].mean);
                let best = means.filter(|x| !x.is_nan()).fold(f64::NAN, |b, x| {
                    match (b.is_nan(), t.at_most) {
                        (true, _) => x,
                        (false, true) => b.min(x),
                        (false, false) => b.max(x),
                    }
                });
                (t.metric.as_str(), best)
            })
            .collect();
        match best.as_slice() {
            [(_, one)] => format!(
                "the target cannot be reached by adding capacity: the best value found is {one:.4} (with up to 2^12 times the capacity)"
            ),
            _ => {
                let list: Vec<String> = best.iter().map(|(m, v)| format!("{m} {v:.4}")).collect();
                format!(
                    "the targets cannot all be reached by adding capacity: the best values found are {} (with up to 2^12 times the capacity)",
                    list.join(", ")
                )
            }
        }
    }

    /// The search as the report page shows it.
    pub(super) fn report(&self, scenario: &str, seed: u64, result: &size::Sizing) -> SizeReport {
        SizeReport {
            scenario: scenario.to_string(),
            dims: self.names.join(" / "),
            targets: (self.targets.iter())
                .map(|t| SizeTarget {
                    metric: t.metric.clone(),
                    at_most: t.at_most,
                    value: t.value,
                })
                .collect(),
            objective: self.objective.as_ref().map(|o| o.metric.clone()),
            candidates: (result.tried.iter())
                .map(|e| SizeCandidate {
                    label: self.label(&e.capacities),
                    estimates: (e.estimates.iter())
                        .map(|est| (est.mean, est.ci95()[0], est.ci95()[1]))
                        .collect(),
                    met: e.met,
                    verdict: verdict(e),
                    objective: (self.objective.is_some() && e.failed.is_none()).then(|| {
                        let est = Estimate::of(&e.objective);
                        (est.mean, est.ci95()[0], est.ci95()[1])
                    }),
                })
                .collect(),
            answer: result.answer.as_ref().map(|caps| {
                (self.names.iter().zip(caps).enumerate())
                    .map(|(i, (n, &c))| format!("{n} = {}", self.value(i, c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            seed,
        }
    }
}

/// A candidate's verdict in a word or a few.
pub(super) fn verdict(e: &size::Evidence) -> String {
    match (e.met, e.decided, &e.failed) {
        (_, _, Some(why)) => format!("cannot run: {why}"),
        (true, _, _) => "met".into(),
        (false, true, _) => "missed".into(),
        (false, false, _) => "undecided (counted as missed)".into(),
    }
}

pub(super) fn size_command(a: SizeArgs) -> Result<(), Failure> {
    let (sc, _) = scenario::load(&a.scenario).map_err(|e| Failure::Usage(e.to_string()))?;
    let q = Question::check(
        &sc.spec,
        &Ask {
            resources: &a.resources,
            plants: &a.plants,
            targets: &a.targets,
            minimise: a.minimise.as_deref(),
            max_replications: a.max_replications,
        },
    )?;
    if let Some(file) = &a.report {
        page::check_report_path(file)?;
    }
    let pool = thread_pool(a.threads)?;
    let seed = a.seed.unwrap_or(sc.seed);
    let result = pool.install(|| q.search(&sc.spec, seed, &AtomicBool::new(false)));
    let (targets, objective) = (&q.targets, &q.objective);
    let names = &q.names;
    let shown = |t: &size::Target| {
        let op = if t.at_most { "<=" } else { ">=" };
        format!("{} {op} {}", t.metric, t.value)
    };
    match targets.as_slice() {
        [t] => println!("target: {} (95 % confidence; seed {seed})", shown(t)),
        _ => {
            println!(
                "targets, every one to be met, each with 95 % confidence (all together at least {} %; seed {seed}):",
                100 - 5 * targets.len().min(20)
            );
            for (i, t) in targets.iter().enumerate() {
                println!("  ({}) {}", i + 1, shown(t));
            }
        }
    }
    println!(
        "{:<24} {:>12} {:>26} {:>6}  verdict",
        names.join(" / "),
        "estimate",
        "95% CI",
        "reps"
    );
    for e in &result.tried {
        let caps = q.label(&e.capacities);
        let verdict = match &e.failed {
            Some(why) => format!("cannot run (counted as missed): {why}"),
            None => verdict(e),
        };
        for (i, (t, est)) in targets.iter().zip(&e.estimates).enumerate() {
            let [lo, hi] = est.ci95();
            let label = match (i, targets.len()) {
                (0, _) => caps.clone(),
                _ => String::new(),
            };
            let judged = match (targets.len(), t.verdict(est), i) {
                (1, _, _) => verdict.clone(),
                (_, _, _) if e.failed.is_some() && i > 0 => String::new(),
                (_, (true, _), 0) => format!("({}) met; candidate {verdict}", i + 1),
                (_, (_, true), 0) => format!("({}) missed; candidate {verdict}", i + 1),
                (_, _, 0) => format!("({}) undecided; candidate {verdict}", i + 1),
                (_, (true, _), _) => format!("({}) met", i + 1),
                (_, (_, true), _) => format!("({}) missed", i + 1),
                _ => format!("({}) undecided", i + 1),
            };
            println!(
                "{label:<24} {:>12.4} {:>26} {:>6}  {judged}",
                est.mean,
                format!("[{lo:.4}, {hi:.4}]"),
                est.n
            );
        }
        if let Some(o) = &objective
            && e.failed.is_none()
        {
            let est = crate::experiment::Estimate::of(&e.objective);
            let [lo, hi] = est.ci95();
            println!(
                "{:<24} {:>12.1} {:>26} {:>6}  to minimise: {}",
                "",
                est.mean,
                format!("[{lo:.1}, {hi:.1}]"),
                est.n,
                o.metric
            );
        }
    }
    if let Some(file) = &a.report {
        let r = q.report(&a.scenario.display().to_string(), seed, &result);
        page::write_html(&size_page(&r), file)?;
    }
    match result.answer {
        Some(caps) => {
            let list: Vec<String> = (names.iter().zip(&caps).enumerate())
                .map(|(i, (n, &c))| format!("{n} = {}", q.value(i, c)))
                .collect();
            match &objective {
                None => println!("answer: {}", list.join(", ")),
                Some(o) => {
                    let e = (result.tried.iter())
                        .find(|e| e.capacities == caps)
                        .expect("the answer was tried");
                    let est = crate::experiment::Estimate::of(&e.objective);
                    let [lo, hi] = est.ci95();
                    println!(
                        "answer (least {} of the {} candidates that meet every target): {}; {} {:.1} [{lo:.1}, {hi:.1}]",
                        o.metric,
                        result.tried.iter().filter(|e| e.met).count(),
                        list.join(", "),
                        o.metric,
                        est.mean
                    );
                }
            }
            Ok(())
        }
        None => Err(Failure::Usage(q.unreachable(&result))),
    }
}
