//! `cgtsim size`: reads the resources, plants and targets of the command line, runs the
//! search (`size`), prints every candidate tried and the answer, and with `--report`
//! writes them as an HTML page.
//!
//! This module is the command's I/O; the search is `cli::size`.

use super::report::{SizeCandidate, SizeReport, SizeTarget, size_page};
use super::{Failure, SizeArgs, check_replications, page, scenario, size, thread_pool};
use crate::model::limits;

pub(super) fn size_command(a: SizeArgs) -> Result<(), Failure> {
    let (sc, _) = scenario::load(&a.scenario).map_err(|e| Failure::Usage(e.to_string()))?;
    let mut targets: Vec<size::Target> = Vec::new();
    for t in &a.targets {
        let parsed = size::parse_targets(t, &sc.spec)
            .map_err(|m| Failure::Usage(format!("--target: {m}")))?;
        targets.extend(parsed);
    }
    let mut resources = Vec::new();
    for name in &a.resources {
        let Some(r) = sc.spec.resources.iter().position(|r| &r.name == name) else {
            let known: Vec<&str> = sc.spec.resources.iter().map(|r| r.name.as_str()).collect();
            return Err(Failure::Usage(format!(
                "--resource: unknown resource `{name}` (the scenario has: {})",
                known.join(", ")
            )));
        };
        if let Some(c) = &sc.spec.resources[r].calendar
            && !c.follows_capacity()
        {
            return Err(Failure::Usage(format!(
                "--resource: every shift of `{name}`'s calendar states its own capacity, so changing the capacity would change nothing that is available; leave out `capacity` on the shifts that all units work (they then follow the resource's capacity)"
            )));
        }
        if !sc.spec.network.is_empty() && sc.spec.resources[r].capacity == 0 {
            return Err(Failure::Usage(format!(
                "--resource: `{name}` has capacity 0 in the scenario, so its site is closed to the steps that use it and sizing it would change nothing; give it a capacity of 1 or more in the file"
            )));
        }
        resources.push(r);
    }
    let mut dims: Vec<size::Dim> = resources.iter().map(|&r| size::Dim::Units(r)).collect();
    for name in &a.plants {
        dims.push(
            size::plant(&sc.spec, name).map_err(|m| Failure::Usage(format!("--plant: {m}")))?,
        );
    }
    let objective = match &a.minimise {
        None if !a.plants.is_empty() => {
            return Err(Failure::Usage(
                "--plant is for --minimise: whether a plant is open is chosen for its cost".into(),
            ));
        }
        None => None,
        Some(metric) => {
            let names = crate::model::metric_names(&sc.spec);
            let Some(index) = names.iter().position(|m| &m.name == metric) else {
                let costs: Vec<&str> = (names.iter())
                    .map(|m| m.name.as_str())
                    .filter(|n| n.starts_with("costs."))
                    .take(6)
                    .collect();
                return Err(Failure::Usage(format!(
                    "--minimise: unknown metric `{}`; {}",
                    scenario::units::shown(metric),
                    match costs.is_empty() {
                        true =>
                            "the scenario has no [costs], so it has no cost to minimise".to_string(),
                        false => format!("for example: {}", costs.join(", ")),
                    }
                )));
            };
            Some(size::Objective {
                metric: metric.clone(),
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
    if let Some(file) = &a.report {
        page::check_report_path(file)?;
    }
    let pool = thread_pool(a.threads)?;
    let seed = a.seed.unwrap_or(sc.seed);
    let result = pool.install(|| {
        size::size(
            &sc.spec,
            &dims,
            &targets,
            objective.as_ref(),
            seed,
            a.max_replications,
        )
    });
    let names: Vec<&str> = (resources.iter())
        .map(|&r| sc.spec.resources[r].name.as_str())
        .chain(a.plants.iter().map(String::as_str))
        .collect();
    let value = |i: usize, c: u32| match (&dims[i], c) {
        (size::Dim::Plant(_), 0) => "closed".to_string(),
        (size::Dim::Plant(_), _) => "open".to_string(),
        (size::Dim::Units(_), c) => c.to_string(),
    };
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
        let caps = (e.capacities.iter().enumerate())
            .map(|(i, &c)| value(i, c))
            .collect::<Vec<_>>()
            .join(" / ");
        let verdict = match (e.met, e.decided, &e.failed) {
            (_, _, Some(why)) => format!("cannot run (counted as missed): {why}"),
            (true, _, _) => "met".into(),
            (false, true, _) => "missed".into(),
            (false, false, _) => "undecided (counted as missed)".into(),
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
        let label = |caps: &[u32]| {
            (caps.iter().enumerate())
                .map(|(i, &c)| value(i, c))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        let r = SizeReport {
            scenario: a.scenario.display().to_string(),
            dims: names.join(" / "),
            targets: (targets.iter())
                .map(|t| SizeTarget {
                    metric: t.metric.clone(),
                    at_most: t.at_most,
                    value: t.value,
                })
                .collect(),
            objective: objective.as_ref().map(|o| o.metric.clone()),
            candidates: (result.tried.iter())
                .map(|e| SizeCandidate {
                    label: label(&e.capacities),
                    estimates: (e.estimates.iter())
                        .map(|est| (est.mean, est.ci95()[0], est.ci95()[1]))
                        .collect(),
                    met: e.met,
                    verdict: match (e.met, e.decided, &e.failed) {
                        (_, _, Some(why)) => format!("cannot run: {why}"),
                        (true, _, _) => "met".into(),
                        (false, true, _) => "missed".into(),
                        (false, false, _) => "undecided (counted as missed)".into(),
                    },
                    objective: (objective.is_some() && e.failed.is_none()).then(|| {
                        let est = crate::experiment::Estimate::of(&e.objective);
                        (est.mean, est.ci95()[0], est.ci95()[1])
                    }),
                })
                .collect(),
            answer: result.answer.as_ref().map(|caps| {
                (names.iter().zip(caps).enumerate())
                    .map(|(i, (n, &c))| format!("{n} = {}", value(i, c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            seed,
        };
        page::write_html(&size_page(&r), file)?;
    }
    match result.answer {
        Some(caps) => {
            let list: Vec<String> = (names.iter().zip(&caps).enumerate())
                .map(|(i, (n, &c))| format!("{n} = {}", value(i, c)))
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
        None => {
            // Per target, the best value any candidate reached.
            let best: Vec<(&str, f64)> = targets
                .iter()
                .enumerate()
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
            Err(Failure::Usage(match best.as_slice() {
                [(_, one)] => format!(
                    "the target cannot be reached by adding capacity: the best value found is {one:.4} (with up to 2^12 times the capacity)"
                ),
                _ => {
                    let list: Vec<String> =
                        best.iter().map(|(m, v)| format!("{m} {v:.4}")).collect();
                    format!(
                        "the targets cannot all be reached by adding capacity: the best values found are {} (with up to 2^12 times the capacity)",
                        list.join(", ")
                    )
                }
            }))
        }
    }
}
