//! The experiment layer: replications in parallel and their confidence intervals.
//!
//! Replication `r` of an experiment with seed `s` always draws from `Streams::new(s, r)`,
//! whatever thread runs it, and results come back in replication order, so an experiment
//! gives bit-identical output on 1 or 64 threads. Across-replication figures follow
//! `shared/reference-models.md`: the mean of the per-replication values, and the 95 % CI
//! `mean +- t(0.975, R - 1) sd / sqrt(R)`.
//!
//! A sweep runs many variants of a scenario: [`run_variants`] spreads every variant x
//! replication pair over the rayon pool at once (not variant by variant), and replication
//! `r` of every variant draws from the same streams: common random numbers, so that the
//! difference between two variants is not drowned in noise.
//!
//! This module must not read or write files, or print: it returns values.

pub mod theory;

use crate::engine::Streams;
use crate::model::{Pooled, Replication, RunError, Runs, Spec, limits, run_replication};
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::sync::Mutex;

/// Runs `one(replication, streams)` for replications `0..n` in parallel (on the current
/// rayon pool) and returns the results in replication order.
pub fn replicate<T, F>(seed: u64, n: u64, one: F) -> Vec<T>
where
    T: Send,
    F: Fn(u64, Streams) -> T + Sync,
{
    (0..n)
        .into_par_iter()
        .map(|r| one(r, Streams::new(seed, r)))
        .collect()
}

/// Checks `spec`, then runs its replications `0..n` in parallel on the current rayon
/// pool, calling `done` after each. A replication is not started once `cancelled`
/// returns true (Ctrl-C): the result then holds the replications that finished, in
/// order. The first failed replication (in replication order) is the error.
pub fn simulate(
    spec: &Spec,
    seed: u64,
    n: u64,
    done: impl Fn() + Sync,
    cancelled: impl Fn() -> bool + Sync,
) -> Result<Runs, RunError> {
    spec.validate().map_err(RunError::Invalid)?;
    if n > limits::MAX_REPLICATIONS {
        return Err(RunError::Invalid(vec![crate::model::SpecError {
            path: "simulation.replications".into(),
            message: format!(
                "{n} replications; at most {} (each replication's metrics are kept for the confidence intervals)",
                limits::MAX_REPLICATIONS
            ),
        }]));
    }
    if let Some(period) = spec.timeseries {
        let periods = ((spec.warmup + spec.horizon).ticks()).div_ceil(period.ticks().max(1));
        let values = periods as f64 * crate::model::series_names(spec).len() as f64 * n as f64;
        if values > limits::MAX_SERIES_VALUES {
            return Err(RunError::Invalid(vec![crate::model::SpecError {
                path: "simulation.timeseries".into(),
                message: format!(
                    "the time series would hold {values:.2e} values ({periods} periods x metrics x {n} replications); at most {:.0e}: choose longer periods or fewer replications",
                    limits::MAX_SERIES_VALUES
                ),
            }]));
        }
    }
    // After a failure (an overloaded system, say) the other replications would fail the
    // same way: the ones not yet started are skipped.
    let failed = std::sync::atomic::AtomicBool::new(false);
    // Each replication's sketches are pooled as it ends (a merge adds counts, so the
    // order does not matter); the replication keeps only its metrics.
    let pooled = Mutex::new(Pooled::default());
    let runs = replicate(seed, n, |_, streams| {
        if cancelled() || failed.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        let mut r = run_replication(spec, streams);
        match &mut r {
            Ok(rep) => pooled
                .lock()
                .expect("no panics while pooling")
                .add(std::mem::take(&mut rep.tails)),
            Err(_) => failed.store(true, std::sync::atomic::Ordering::Relaxed),
        }
        done();
        Some(r)
    });
    if let Some(e) = runs.iter().flatten().find_map(|r| r.as_ref().err()) {
        return Err(e.clone());
    }
    // Interrupted: every replication that finished, in order (all of them are pooled).
    let replications = runs
        .into_iter()
        .flatten()
        .map(|r| r.expect("errors returned above"))
        .collect();
    Ok(Runs::from_pooled(
        replications,
        pooled.into_inner().expect("no panics while pooling"),
    ))
}

/// Runs `one(variant, replication, streams)` for each of `variants` and replications
/// `0..replications`, all pairs in parallel on the current rayon pool. When the last
/// replication of a variant finishes, `done(variant, results)` is called (on that
/// thread) with the results in replication order, so a caller can save each variant as
/// soon as it is complete. Replication `r` uses `Streams::new(seed, r)` in every variant.
pub fn run_variants<T, F, D>(variants: &[usize], replications: u64, seed: u64, one: F, done: D)
where
    T: Send,
    F: Fn(usize, u64, Streams) -> T + Sync,
    D: Fn(usize, Vec<T>) + Sync,
{
    // Blocks of variants keep memory bounded for sweeps of a million variants; within a
    // block every pair runs in parallel.
    const BLOCK: usize = 256;
    for block in variants.chunks(BLOCK) {
        run_block(block, replications, seed, &one, &done);
    }
}

fn run_block<T, F, D>(variants: &[usize], replications: u64, seed: u64, one: &F, done: &D)
where
    T: Send,
    F: Fn(usize, u64, Streams) -> T + Sync,
    D: Fn(usize, Vec<T>) + Sync,
{
    type Slot<T> = Mutex<(Vec<Option<T>>, u64)>;
    let slots: Vec<Slot<T>> = variants
        .iter()
        .map(|_| Mutex::new(((0..replications).map(|_| None).collect(), replications)))
        .collect();
    let pairs: Vec<(usize, u64)> = (0..variants.len())
        .flat_map(|i| (0..replications).map(move |r| (i, r)))
        .collect();
    pairs.into_par_iter().for_each(|(i, r)| {
        let result = one(variants[i], r, Streams::new(seed, r));
        let finished = {
            let mut slot = slots[i]
                .lock()
                .expect("no thread panics while holding a slot");
            slot.0[r as usize] = Some(result);
            slot.1 -= 1;
            (slot.1 == 0).then(|| std::mem::take(&mut slot.0))
        };
        if let Some(all) = finished {
            done(
                variants[i],
                all.into_iter()
                    .map(|x| x.expect("every replication ran"))
                    .collect(),
            );
        }
    });
}

/// Mean, standard deviation and 95 % confidence interval of per-replication values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Number of replications.
    pub n: usize,
    /// Mean over replications.
    pub mean: f64,
    /// Standard deviation over replications (n - 1 denominator).
    pub sd: f64,
    /// Half-width of the 95 % confidence interval (NaN with fewer than two values).
    pub half_width: f64,
}

impl Estimate {
    /// Summarises `values` (NaN values, such as a mean over no patients, are skipped).
    pub fn of(values: &[f64]) -> Estimate {
        let xs: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        let n = xs.len();
        if n == 0 {
            return Estimate {
                n,
                mean: f64::NAN,
                sd: f64::NAN,
                half_width: f64::NAN,
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Estimate {
                n,
                mean,
                sd: f64::NAN,
                half_width: f64::NAN,
            };
        }
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .expect("n >= 2")
            .inverse_cdf(0.975);
        Estimate {
            n,
            mean,
            sd,
            half_width: t * sd / (n as f64).sqrt(),
        }
    }

    /// The 95 % confidence interval `[low, high]`.
    pub fn ci95(&self) -> [f64; 2] {
        [self.mean - self.half_width, self.mean + self.half_width]
    }
}

/// One point of a time series summarised over replications.
#[derive(Clone, Debug)]
pub struct SeriesPoint {
    /// Start of the period, in days since the start of the run.
    pub period_start_days: f64,
    /// The metric, as in [`series_names`](crate::model::series_names).
    pub metric: String,
    /// Mean over replications with its confidence interval.
    pub estimate: Estimate,
}

/// The time series of `runs` (replications of `spec`) summarised per period and metric:
/// the mean over replications and its 95 % CI. A replication that ended early (a run
/// until empty) gives, for the periods after its end, each metric's value after the
/// end (0 for flows and levels; nothing for means over no one). Empty without a series.
pub fn series_estimates(spec: &Spec, runs: &[Replication]) -> Vec<SeriesPoint> {
    let Some(period) = spec.timeseries else {
        return Vec::new();
    };
    let names = crate::model::series_names(spec);
    let width = names.len();
    let periods = runs
        .iter()
        .filter_map(|r| r.series.as_ref())
        .map(|rows| rows.len() / width.max(1))
        .max()
        .unwrap_or(0);
    let mut out = Vec::with_capacity(periods * width);
    let mut values = Vec::with_capacity(runs.len());
    for p in 0..periods {
        for (m, (metric, after_end)) in names.iter().enumerate() {
            values.clear();
            values.extend(
                runs.iter()
                    .filter_map(|r| r.series.as_ref())
                    .map(|rows| rows.get(p * width + m).copied().unwrap_or(*after_end)),
            );
            out.push(SeriesPoint {
                period_start_days: period.as_days() * p as f64,
                metric: metric.name.clone(),
                estimate: Estimate::of(&values),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_uses_the_t_quantile() {
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!((e.n, e.mean), (4, 2.5));
        // sd = 1.290994, t(0.975, 3) = 3.182446
        assert!((e.half_width - 3.182_446 * 1.290_994 / 2.0).abs() < 1e-5);
        assert_eq!(Estimate::of(&[f64::NAN, 5.0]).mean, 5.0);
        assert!(Estimate::of(&[]).mean.is_nan());
    }

    #[test]
    fn every_variant_completes_once_with_its_replications_in_order() {
        let seen = Mutex::new(Vec::new());
        run_variants(
            &[3, 7, 9],
            5,
            1,
            |v, r, s| (v, r, s),
            |v, results| {
                assert!(results.iter().enumerate().all(|(r, &(rv, rr, s))| rv == v
                    && rr == r as u64
                    && s == Streams::new(1, rr)));
                seen.lock().unwrap().push(v);
            },
        );
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen, vec![3, 7, 9]);
    }

    #[test]
    fn replications_come_back_in_order() {
        let v = replicate(9, 50, |r, s| (r, s));
        assert!(
            v.iter()
                .enumerate()
                .all(|(i, &(r, s))| r == i as u64 && s == Streams::new(9, r))
        );
    }
}
