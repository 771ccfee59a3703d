//! One replication of a [`Spec`]: build the facility on a fresh kernel, run it, read its
//! metrics; or say why it could not finish.
//!
//! This is the model's entry point for everything above it (the experiment layer, the
//! CLI, benches, tests and library users). It must not know about threads or files.

use super::check::{SpecError, limits};
use super::facility::{Blueprint, Ev, Facility};
use super::metrics::Key;
use super::spec::Spec;
use std::sync::{Mutex, PoisonError};

use crate::engine::{Kernel, QuantileSketch, RunEnd, RunLength, Streams, Time, run};

/// What one replication produced.
#[derive(Clone, Debug)]
pub struct Replication {
    /// The metrics, in the order of [`keys`](super::metrics::keys) and of
    /// [`metric_names`](super::metric_names); read them by name through that list.
    pub values: Vec<f64>,
    /// Events processed (model and pool events, warm-up included).
    pub events: u64,
    /// Every time whose percentiles are also pooled across replications
    /// ([`pooled_percentiles`]): each product's end-to-end times, each milestone's.
    /// Empty in a [`Runs`], which holds them pooled.
    pub tails: Vec<Tail>,
    /// The time series, if the spec asks for one: one row per period from the start of
    /// the run, each in the order of [`series_names`](super::series_names); a run until
    /// empty has rows up to its end only.
    pub series: Option<Vec<f64>>,
}

/// The sketch of a time recorded in the window, with the keys of its p50, p90 and p95.
#[derive(Clone, Debug)]
pub struct Tail {
    /// The percentile metrics read from the sketch.
    pub keys: [Key; 3],
    /// Every time recorded in the window.
    pub sketch: QuantileSketch,
}

/// The replications of one scenario, in replication order, and the times whose
/// percentiles are pooled across them. The replications keep their metrics (for the
/// confidence intervals) but not their sketches: those are merged as each replication
/// ends, so memory grows with replications by their metrics only. A sketch's merge adds
/// bucket counts, so the pooled sketches do not depend on the order of the merges.
#[derive(Clone, Debug, Default)]
pub struct Runs {
    replications: Vec<Replication>,
    pooled: Pooled,
}

impl Runs {
    /// `replications` (in replication order), their sketches pooled.
    pub fn new(replications: Vec<Replication>) -> Runs {
        let mut pooled = Pooled::default();
        let replications = replications
            .into_iter()
            .map(|mut r| {
                pooled.add(std::mem::take(&mut r.tails));
                r
            })
            .collect();
        Runs {
            replications,
            pooled,
        }
    }

    /// Every replication's sketches, merged.
    pub fn pooled(&self) -> &Pooled {
        &self.pooled
    }

    /// Replications whose sketches are already in `pooled`.
    pub fn from_pooled(replications: Vec<Replication>, pooled: Pooled) -> Runs {
        debug_assert!(replications.iter().all(|r| r.tails.is_empty()));
        Runs {
            replications,
            pooled,
        }
    }
}

impl std::ops::Deref for Runs {
    type Target = [Replication];
    fn deref(&self) -> &[Replication] {
        &self.replications
    }
}

impl IntoIterator for Runs {
    type Item = Replication;
    type IntoIter = std::vec::IntoIter<Replication>;
    fn into_iter(self) -> Self::IntoIter {
        self.replications.into_iter()
    }
}

impl<'a> IntoIterator for &'a Runs {
    type Item = &'a Replication;
    type IntoIter = std::slice::Iter<'a, Replication>;
    fn into_iter(self) -> Self::IntoIter {
        self.replications.iter()
    }
}

/// The sketches of several replications, each time's merged into one.
#[derive(Clone, Debug, Default)]
pub struct Pooled {
    tails: Vec<Tail>,
}

impl Pooled {
    /// Merges one replication's sketches (every replication has the same times, in the
    /// same order: the first one's become the pool).
    pub fn add(&mut self, tails: Vec<Tail>) {
        if self.tails.is_empty() {
            self.tails = tails;
            return;
        }
        for (all, one) in self.tails.iter_mut().zip(&tails) {
            debug_assert!(all.keys == one.keys, "every replication has the same tails");
            all.sketch.merge(&one.sketch);
        }
    }
}

/// The percentiles a planner means by "90 % of patients": each product's vein-to-vein
/// (or order-to-infusion) times, and each milestone's, of every replication pooled into
/// one sketch, read at 50, 90 and 95 %. Returned as `(metric name, days)`, with the
/// names of the per-replication percentile metrics.
pub fn pooled_percentiles(spec: &Spec, pooled: &Pooled) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for tail in &pooled.tails {
        for (key, q) in tail.keys.iter().zip([0.5, 0.9, 0.95]) {
            out.push((key.name(spec), tail.sketch.quantile(q)));
        }
    }
    out
}

/// A pooled distribution: the name of the time (`products.P.v2v`, say), how many
/// values were pooled, and its quantiles.
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    pub name: String,
    pub n: u64,
    /// `(q, value)` for q = 0.01, 0.02, ..., 0.99, then the largest value (q = 1).
    pub quantiles: Vec<(f64, f64)>,
}

/// The distributions behind [`pooled_percentiles`]: every replication's values of each
/// time pooled, read at every percent (for an ECDF; empty without values).
pub fn pooled_distributions(spec: &Spec, pooled: &Pooled) -> Vec<Distribution> {
    pooled
        .tails
        .iter()
        .map(|tail| {
            let all = &tail.sketch;
            let p50 = tail.keys[0].name(spec);
            let quantiles = if all.count() == 0 {
                Vec::new()
            } else {
                (1..=100)
                    .map(|i| (f64::from(i) / 100.0, all.quantile(f64::from(i) / 100.0)))
                    .collect()
            };
            Distribution {
                name: p50.strip_suffix(".p50").unwrap_or(&p50).to_string(),
                n: all.count(),
                quantiles,
            }
        })
        .collect()
}

/// Why a replication could not run or finish.
#[derive(Clone, Debug, PartialEq)]
pub enum RunError {
    /// The spec does not pass [`Spec::validate`].
    Invalid(Vec<SpecError>),
    /// A product's patients, batches or orders filled the system past
    /// [`limits::MAX_IN_SYSTEM`]: the system is overloaded and its work in progress grows
    /// without bound.
    Overloaded {
        /// The product whose arrival went past the limit.
        product: String,
        /// When, in days since the start of the run.
        at_days: f64,
    },
    /// The clock stopped moving: more than [`limits::MAX_EVENTS_AT_ONE_TIME`] events at
    /// one instant (zero-duration steps failing again and again, breakdowns and repairs
    /// of no duration).
    Stalled {
        /// When, in days since the start of the run.
        at_days: f64,
    },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Invalid(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                write!(f, "the scenario cannot run: {}", list.join("; "))
            }
            RunError::Overloaded { product, at_days } => write!(
                f,
                "the system is overloaded: on day {at_days:.1} more than {} patients, batches and orders were in it at once (the last to arrive: `{product}`), and work in progress grows without bound. Demand exceeds capacity: lower the arrival rate, add capacity, or shorten the horizon",
                limits::MAX_IN_SYSTEM
            ),
            RunError::Stalled { at_days } => write!(
                f,
                "the simulation stopped making progress on day {at_days:.4}: more than {} events happened at that instant without time passing (a zero-time loop: a step of zero duration failing again and again, or breakdowns and repairs that take no time). Give those durations a positive value",
                limits::MAX_EVENTS_AT_ONE_TIME
            ),
        }
    }
}

impl std::error::Error for RunError {}

/// Runs one replication of `spec` (which should have passed [`Spec::validate`]) with the
/// random streams `streams`. Many replications of one spec share a [`Prepared`]
/// instead ([`Prepared::run`]).
pub fn run_replication(spec: &Spec, streams: Streams) -> Result<Replication, RunError> {
    Prepared::new(spec)?.run(streams)
}

/// What the replications of one spec share, built once: the facility's [`Blueprint`]
/// (the resources' calendars, the tasks, the step plans, the arrival sources; built for
/// every replication, the calendars took 3.7 % and the tasks 7 % of the instructions of
/// the bundled network's run), which nothing changes while replications run; and the
/// kernels of replications that ended, for the next ones to reuse their memory (at most
/// one per replication running at once).
pub struct Prepared<'s> {
    blueprint: Blueprint<'s>,
    /// Kernels whose replication ended: [`Kernel::recycled`] keeps their event lists' and
    /// pools' memory (a pool's wait tally keeps the memory of its quantile buckets, which
    /// otherwise reallocate as they grow in every replication). Which one a replication
    /// gets does not change its results.
    spare: Mutex<Vec<Kernel<Ev>>>,
}

impl<'s> Prepared<'s> {
    /// Prepares `spec` (which should have passed [`Spec::validate`]); an error names the
    /// resource whose calendar cannot be built.
    pub fn new(spec: &'s Spec) -> Result<Prepared<'s>, RunError> {
        let blueprint = Blueprint::new(spec).map_err(|e| RunError::Invalid(vec![e]))?;
        Ok(Prepared {
            blueprint,
            spare: Mutex::new(Vec::new()),
        })
    }

    /// Runs one replication with the random streams `streams`: the same as
    /// [`run_replication`].
    pub fn run(&self, streams: Streams) -> Result<Replication, RunError> {
        // (A replication that panicked left no kernel behind: the list is whole.)
        let spare = || self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        let mut kernel = spare().pop().map_or_else(Kernel::new, Kernel::recycled);
        let result = replicate(self, &mut kernel, streams, true);
        spare().push(kernel);
        result
    }

    /// Drops the kernels kept for reuse: no more replications are to run (a sweep keeps
    /// up to 256 variants prepared at once, each with a kernel per thread otherwise).
    pub fn release_kernels(&self) {
        let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        *spare = Vec::new();
    }
}

/// Like [`run_replication`], with every calendar change of every resource an event of
/// its own (idle resources too; see [`Kernel::set_lazy_calendars`]): the same results,
/// more events. The reference the default is tested against.
pub fn run_replication_every_change(
    spec: &Spec,
    streams: Streams,
) -> Result<Replication, RunError> {
    replicate(&Prepared::new(spec)?, &mut Kernel::new(), streams, false)
}

/// Runs one replication on `kernel` (new, or recycled).
fn replicate(
    prepared: &Prepared,
    kernel: &mut Kernel<Ev>,
    streams: Streams,
    lazy: bool,
) -> Result<Replication, RunError> {
    let spec = prepared.blueprint.spec();
    kernel.set_lazy_calendars(lazy);
    let mut facility = Facility::new(&prepared.blueprint, kernel, streams)
        .map_err(|e| RunError::Invalid(vec![e]))?;
    let length = RunLength {
        warmup: spec.warmup,
        horizon: spec.horizon,
    };
    match run(&mut facility, kernel, length) {
        RunEnd::Completed => Ok(Replication {
            values: facility.results(kernel),
            events: kernel.events_processed(),
            tails: facility.tail_sketches(),
            series: facility.finish_series(kernel),
        }),
        RunEnd::Stopped { .. } if facility.emptied() => Ok(Replication {
            values: facility.results(kernel),
            events: kernel.events_processed(),
            tails: facility.tail_sketches(),
            series: facility.finish_series(kernel),
        }),
        RunEnd::Stalled { at } => Err(RunError::Stalled {
            at_days: at.as_days(),
        }),
        RunEnd::Stopped { at } => {
            let (p, when) = facility.overloaded().unwrap_or((0, at));
            Err(RunError::Overloaded {
                product: spec.products[p].name.clone(),
                at_days: Time::as_days(when),
            })
        }
    }
}
