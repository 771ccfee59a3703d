//! `cgtsim validate`: the engine on this machine against theory, so that a planner can show
//! a reviewer that the build reproduces exact results.
//!
//! Every analytic oracle of the validation tests runs through a scenario file (bundled in
//! the binary from `scenarios/validation/` and `scenarios/reference/`): M/M/1, M/M/c
//! (reference model A), M/D/1 and M/G/1 (Pollaczek-Khinchine), M/M/c/c (Erlang B), a
//! two-class priority queue (Cobham), M/M/1+M (Erlang A) and the (R, Q) inventory. Each
//! quantity is a mean over replications, compared with its exact value: it passes when
//! it lies within k standard errors, k the Student-t quantile for a two-sided
//! false-failure rate of 1e-4 per quantity (4.33 for 40 replications, 4.06 for 100), so
//! a correct build fails a run of all 14 quantities about once in 700 runs. Warm-ups are
//! stated in each file's header.

use super::scenario;
use crate::experiment::theory::{
    cobham_wq, erlang_a_abandonment, erlang_b, mmc_wq, pollaczek_khinchine_wq,
    rq_fill_rate_and_stock,
};
use crate::experiment::{Estimate, simulate};
use crate::model::metric_names;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The two-sided probability that a correct build fails one quantity.
pub const FALSE_FAILURE: f64 = 1e-4;

/// A quantity computed from one replication's metrics, read by name.
type Quantity = fn(&dyn Fn(&str) -> f64) -> f64;

/// One oracle: a bundled scenario and the quantities checked on it.
struct Oracle {
    name: &'static str,
    file: &'static str,
    text: &'static str,
    checks: Vec<(&'static str, Quantity, f64)>,
}

fn oracles() -> Vec<Oracle> {
    let (fill, stock) = rq_fill_rate_and_stock(5, 10, 5.0);
    let priority = cobham_wq(&[(0.3, 1.0, 2.0), (0.4, 1.0, 2.0)]);
    let wait = |m: &dyn Fn(&str) -> f64| m("products.p.steps.serve.wait.mean");
    let queue = |m: &dyn Fn(&str) -> f64| m("resources.server.queue.mean");
    let busy = |m: &dyn Fn(&str) -> f64| m("resources.server.utilisation");
    let lost = |m: &dyn Fn(&str) -> f64| m("products.p.dropped_out") / m("products.p.arrived");
    vec![
        Oracle {
            name: "M/M/1",
            file: "scenarios/validation/mm1.toml",
            text: include_str!("../../scenarios/validation/mm1.toml"),
            checks: vec![
                ("Wq (d)", wait, 0.8 / (1.0 - 0.8)),
                ("Lq", queue, 0.8 * 0.8 / (1.0 - 0.8)),
                ("utilisation", busy, 0.8),
            ],
        },
        Oracle {
            name: "M/M/5 (model A)",
            file: "scenarios/reference/mmc.toml",
            text: include_str!("../../scenarios/reference/mmc.toml"),
            checks: vec![
                (
                    "Wq (d)",
                    |m| m("products.mmc.steps.service.wait.mean"),
                    mmc_wq(5, 4.5, 1.0),
                ),
                ("Lq", queue, 4.5 * mmc_wq(5, 4.5, 1.0)),
                ("utilisation", busy, 0.9),
            ],
        },
        Oracle {
            name: "M/D/1",
            file: "scenarios/validation/md1.toml",
            text: include_str!("../../scenarios/validation/md1.toml"),
            checks: vec![("Wq (d)", wait, pollaczek_khinchine_wq(0.8, 1.0, 1.0))],
        },
        Oracle {
            name: "M/G/1 lognormal",
            file: "scenarios/validation/mg1-lognormal.toml",
            text: include_str!("../../scenarios/validation/mg1-lognormal.toml"),
            checks: vec![("Wq (d)", wait, pollaczek_khinchine_wq(0.7, 1.0, 3.25))],
        },
        Oracle {
            name: "M/M/3/3 (Erlang B)",
            file: "scenarios/validation/erlang-b.toml",
            text: include_str!("../../scenarios/validation/erlang-b.toml"),
            checks: vec![("P(blocked)", lost, erlang_b(3, 2.5))],
        },
        Oracle {
            name: "priority M/M/1",
            file: "scenarios/validation/priority.toml",
            text: include_str!("../../scenarios/validation/priority.toml"),
            checks: vec![
                (
                    "Wq high (d)",
                    |m| m("products.high.steps.serve.wait.mean"),
                    priority[0],
                ),
                (
                    "Wq low (d)",
                    |m| m("products.low.steps.serve.wait.mean"),
                    priority[1],
                ),
            ],
        },
        Oracle {
            name: "M/M/1+M (Erlang A)",
            file: "scenarios/validation/erlang-a.toml",
            text: include_str!("../../scenarios/validation/erlang-a.toml"),
            checks: vec![("P(abandon)", lost, erlang_a_abandonment(1.0, 1.0, 0.5))],
        },
        Oracle {
            name: "(R, Q) inventory",
            file: "scenarios/reference/rq.toml",
            text: include_str!("../../scenarios/reference/rq.toml"),
            checks: vec![
                ("fill rate", |m| m("products.allo.orders.fill_rate"), fill),
                ("mean stock", |m| m("products.allo.stock.mean"), stock),
            ],
        },
    ]
}

/// One checked quantity's outcome.
pub struct Verdict {
    pub oracle: &'static str,
    pub quantity: &'static str,
    pub estimate: Estimate,
    pub exact: f64,
    /// |estimate - exact| / standard error, and the k allowed.
    pub z: f64,
    pub allowed: f64,
}

impl Verdict {
    /// True when the estimate is within the allowed number of standard errors.
    pub fn passed(&self) -> bool {
        self.z <= self.allowed
    }
}

/// Runs every oracle on the current rayon pool (`seed` and `replications` override the
/// files' own); returns the verdicts and the events simulated.
pub fn run(seed: Option<u64>, replications: Option<u64>) -> Result<(Vec<Verdict>, u64), String> {
    let mut verdicts = Vec::new();
    let mut events = 0;
    for o in oracles() {
        let sc = scenario::parse(o.file, o.text).map_err(|e| e.to_string())?;
        let n = replications.unwrap_or(sc.replications);
        let runs = simulate(&sc.spec, seed.unwrap_or(sc.seed), n, || {}, || false)
            .map_err(|e| format!("{}: {e}", o.file))?;
        events += runs.iter().map(|r| r.events).sum::<u64>();
        let names = metric_names(&sc.spec);
        for (quantity, value, exact) in &o.checks {
            let per_run: Vec<f64> = runs
                .iter()
                .map(|r| {
                    let get = |name: &str| {
                        let at = names.iter().position(|m| m.name == name);
                        at.map_or(f64::NAN, |i| r.values[i])
                    };
                    value(&get)
                })
                .collect();
            let estimate = Estimate::of(&per_run);
            let se = estimate.sd / (estimate.n as f64).sqrt();
            let allowed = StudentsT::new(0.0, 1.0, (estimate.n - 1) as f64)
                .map_err(|e| e.to_string())?
                .inverse_cdf(1.0 - FALSE_FAILURE / 2.0);
            verdicts.push(Verdict {
                oracle: o.name,
                quantity,
                estimate,
                exact: *exact,
                z: (estimate.mean - exact).abs() / se,
                allowed,
            });
        }
    }
    Ok((verdicts, events))
}
