//! The experiment layer: replications in parallel and their confidence intervals.
//!
//! Replication `r` of an experiment with seed `s` always draws from `Streams::new(s, r)`,
//! whatever thread runs it, and results come back in replication order, so an experiment
//! gives bit-identical output on 1 or 64 threads. Across-replication figures follow
//! `shared/reference-models.md`: the mean of the per-replication values, and the 95 % CI
//! `mean +- t(0.975, R - 1) sd / sqrt(R)`.
//!
//! A sweep runs many variants of a scenario: [`run_variants`] hands variant x replication
//! pairs in order to the rayon pool's threads and folds each variant's results in
//! replication order as they end (memory flat in replications), and replication `r` of
//! every variant draws from the same streams: common random numbers, so that the
//! difference between two variants is not drowned in noise.
//!
//! This module must not read or write files, or print: it returns values.

mod summary;
pub mod theory;

pub use summary::Summary;

use crate::engine::{Streams, Welford};
use crate::model::{Prepared, Replication, RunError, Runs, Spec, limits};
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

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
/// pool, calling `done` after each, and returns them all in replication order (see
/// [`simulate_each`]; a caller that needs only the summary, or each replication once,
/// should use that instead: this keeps every replication's metrics).
pub fn simulate(
    spec: &Spec,
    seed: u64,
    n: u64,
    done: impl Fn() + Sync,
    cancelled: impl Fn() -> bool + Sync,
) -> Result<Runs, RunError> {
    let mut replications = Vec::new();
    let summary = simulate_each(spec, seed, n, done, cancelled, |_, r| replications.push(r))?;
    Ok(Runs::from_pooled(replications, summary.into_pooled()))
}

/// Checks `spec`, then runs its replications `0..n` in parallel on the current rayon
/// pool, calling `done` after each. Each replication is added to the returned
/// [`Summary`] and then handed to `each`, in replication order, without its sketches
/// (pooled in the summary): memory does not grow with `n`.
/// Replications run in blocks (every replication of a block in parallel) small enough
/// that a block's results fit in a few hundred megabytes; a block is added (serially, in
/// order) while the next one runs, so `each` must be `Send`.
///
/// A replication is not started once `cancelled` returns true (Ctrl-C): the summary
/// then holds the replications that finished. The first failed replication (in
/// replication order) is the error; the ones after it are not started.
pub fn simulate_each(
    spec: &Spec,
    seed: u64,
    n: u64,
    done: impl Fn() + Sync,
    cancelled: impl Fn() -> bool + Sync,
    mut each: impl FnMut(u64, Replication) + Send,
) -> Result<Summary, RunError> {
    spec.validate().map_err(RunError::Invalid)?;
    if n > limits::MAX_REPLICATIONS {
        return Err(RunError::Invalid(vec![crate::model::SpecError {
            path: "simulation.replications".into(),
            message: format!(
                "{n} replications; at most {} (see README, Limits)",
                limits::MAX_REPLICATIONS
            ),
        }]));
    }
    let (periods, series) = series_size(spec);
    if series > limits::MAX_SERIES_VALUES {
        return Err(RunError::Invalid(vec![crate::model::SpecError {
            path: "simulation.timeseries".into(),
            message: format!(
                "the time series would hold {series:.2e} values ({periods} periods x metrics); at most {:.0e}: choose longer periods",
                limits::MAX_SERIES_VALUES
            ),
        }]));
    }
    let per_replication = crate::model::metric_names(spec).len() as f64 + series;
    let block = block_size(per_replication, rayon::current_num_threads());
    // After a failure (an overloaded system, say) the other replications would fail the
    // same way: the ones not yet started are skipped.
    let failed = std::sync::atomic::AtomicBool::new(false);
    // (An invalid calendar fails every replication, as each would fail to build it.)
    let prepared = Prepared::new(spec);
    let run_block = |from: u64, to: u64| -> Vec<Option<Result<Replication, RunError>>> {
        (from..to)
            .into_par_iter()
            .map(|r| {
                if cancelled() || failed.load(std::sync::atomic::Ordering::Relaxed) {
                    return None;
                }
                let streams = Streams::new(seed, r);
                let result = match &prepared {
                    Ok(p) => p.run(streams),
                    Err(e) => Err(e.clone()),
                };
                if result.is_err() {
                    failed.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                done();
                Some(result)
            })
            .collect()
    };
    let mut summary = Summary::new(spec);
    // Adds a finished block to the summary and hands it on, in replication order (an
    // interrupted run skips the replications that did not run).
    let mut fold = |from: u64, results: Vec<Option<Result<Replication, RunError>>>| {
        for (r, result) in (from..).zip(results) {
            match result {
                Some(Ok(mut rep)) => {
                    summary.add(&mut rep);
                    each(r, rep);
                }
                Some(Err(e)) => return Err(e),
                None => {}
            }
        }
        Ok(())
    };
    // Each block is folded while the next one runs, so that the fold (serial: the sums
    // must be in replication order) leaves no thread idle.
    let mut finished = None;
    let mut from = 0;
    loop {
        let next = (from < n && !cancelled()).then(|| (from, n.min(from + block)));
        if next.is_none() && finished.is_none() {
            break;
        }
        let (folded, ran) = rayon::join(
            || {
                finished
                    .take()
                    .map_or(Ok(()), |(f, results)| fold(f, results))
            },
            || next.map(|(f, t)| (f, run_block(f, t))),
        );
        folded?;
        finished = ran;
        if let Some((_, t)) = next {
            from = t;
        }
    }
    Ok(summary)
}

/// A replication's time series: its periods, and its values (periods x metrics), which
/// it keeps until it is summarised; none without a series.
fn series_size(spec: &Spec) -> (u64, f64) {
    spec.timeseries.map_or((0, 0.0), |period| {
        let periods = ((spec.warmup + spec.horizon).ticks()).div_ceil(period.ticks().max(1));
        let values = periods as f64 * crate::model::series_names(spec).len() as f64;
        (periods, values)
    })
}

/// Replications per block of [`simulate_each`]: as many as hold [`BLOCK_VALUES`] values
/// (metrics and time series rows), at most 1,024 (a replication also holds its
/// percentile sketches, a few kilobytes, until it is summarised) and at least one per
/// thread (a replication holds its own rows while it runs anyway). A block of a few
/// hundred leaves threads idle at its end only briefly.
fn block_size(values_per_replication: f64, threads: usize) -> u64 {
    let fit = (BLOCK_VALUES / values_per_replication.max(1.0)) as u64;
    fit.clamp(threads.max(1) as u64, 1024)
}

/// Most values (metrics and time series rows) the replications of one block of
/// [`simulate_each`] hold at once: 16 million (128 MB).
const BLOCK_VALUES: f64 = 16e6;

/// Runs `one(variant, replication, streams)` for each of `variants` and replications
/// `0..replications`, all on the current rayon pool, and hands each result to
/// `fold(accumulator, replication, result)` of its variant in replication order. The
/// accumulator comes from `start(variant)` when the variant's first result is folded
/// (so only the variants under way hold one); when a variant's last replication has been
/// folded, `done(variant, accumulator)` is called (on that thread), so a caller can save
/// each variant as soon as it is complete. Replication `r` uses `Streams::new(seed, r)`
/// in every variant (common random numbers).
///
/// The pairs are handed out in order (variant by variant, replication by replication),
/// the next one to whichever thread is free, so variants finish one after another (an
/// interrupted sweep keeps them) and a result waits to be folded only while an earlier
/// replication of its variant still runs. A thread takes no new pair while
/// [`EARLY_PER_THREAD`] results per thread wait (a replication that runs far longer
/// than the others holds the rest back): memory does not grow with the replications.
pub fn run_variants<T, A, F, S, G, D>(
    variants: &[usize],
    replications: u64,
    seed: u64,
    one: F,
    start: S,
    fold: G,
    done: D,
) where
    T: Send,
    A: Send,
    F: Fn(usize, u64, Streams) -> T + Sync,
    S: Fn(usize) -> A + Sync,
    G: Fn(&mut A, u64, T) + Sync,
    D: Fn(usize, A) + Sync,
{
    /// A variant's accumulator (from its first fold to its last), the replication it
    /// folds next, and the results that ended before it.
    struct Fold<T, A> {
        acc: Option<A>,
        next: u64,
        early: Vec<(u64, T)>,
    }
    if replications == 0 {
        for &v in variants {
            done(v, start(v));
        }
        return;
    }
    let folds: Vec<Mutex<Fold<T, A>>> = variants
        .iter()
        .map(|_| {
            Mutex::new(Fold {
                acc: None,
                next: 0,
                early: Vec::new(),
            })
        })
        .collect();
    let pairs = variants.len() as u64 * replications;
    let handed = AtomicU64::new(0);
    let threads = rayon::current_num_threads();
    let most_early = EARLY_PER_THREAD * threads;
    // Results waiting to be folded (in `early` of their variant), and a signal when
    // some were folded.
    let (early_count, room) = (Mutex::new(0usize), Condvar::new());
    // Set when a thread panicked (a bug): the others stop, rather than wait for a
    // replication that will never be folded, and the scope passes the panic on.
    let abandoned = AtomicBool::new(false);
    struct Abandon<'a>(&'a AtomicBool, &'a Mutex<usize>, &'a Condvar);
    impl Drop for Abandon<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.store(true, Ordering::SeqCst);
                let _count = self.1.lock().unwrap_or_else(PoisonError::into_inner);
                self.2.notify_all();
            }
        }
    }
    let worker = || {
        let _abandon = Abandon(&abandoned, &early_count, &room);
        loop {
            {
                let lock = early_count.lock().unwrap_or_else(PoisonError::into_inner);
                let _room = room
                    .wait_while(lock, |n| {
                        *n >= most_early && !abandoned.load(Ordering::SeqCst)
                    })
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if abandoned.load(Ordering::SeqCst) {
                return;
            }
            let k = handed.fetch_add(1, Ordering::Relaxed);
            if k >= pairs {
                return;
            }
            let (i, r) = ((k / replications) as usize, k % replications);
            let result = one(variants[i], r, Streams::new(seed, r));
            let finished = {
                let mut f = folds[i].lock().expect("no thread panics while folding");
                if r != f.next {
                    f.early.push((r, result));
                    *early_count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
                    continue;
                }
                let Fold { acc, next, early } = &mut *f;
                let acc_ref = acc.get_or_insert_with(|| start(variants[i]));
                fold(acc_ref, r, result);
                *next += 1;
                // Results that ended early, now in turn.
                let mut folded_early = 0;
                while let Some(at) = early.iter().position(|&(er, _)| er == *next) {
                    let (er, result) = early.swap_remove(at);
                    fold(acc_ref, er, result);
                    *next += 1;
                    folded_early += 1;
                }
                if folded_early > 0 {
                    *early_count.lock().unwrap_or_else(PoisonError::into_inner) -= folded_early;
                    room.notify_all();
                }
                (*next == replications).then(|| acc.take().expect("a variant is done once"))
            };
            if let Some(acc) = finished {
                done(variants[i], acc);
            }
        }
    };
    rayon::scope(|s| {
        for _ in 0..threads {
            s.spawn(|_| worker());
        }
    });
}

/// Results per thread of [`run_variants`] that may wait to be folded before threads stop
/// taking new replications.
pub const EARLY_PER_THREAD: usize = 8;

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
        let mut m = Welford::new();
        for &x in values.iter().filter(|x| !x.is_nan()) {
            m.record(x);
        }
        Estimate::of_moments(&m)
    }

    /// Summarises the moments of some values (accumulated in a fixed order: the same
    /// values in the same order give the same estimate, bit for bit).
    pub fn of_moments(m: &Welford) -> Estimate {
        let n = m.count() as usize;
        let (mean, sd) = (m.mean(), m.sd());
        if n < 2 {
            return Estimate {
                n,
                mean,
                sd: f64::NAN,
                half_width: f64::NAN,
            };
        }
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

    /// A pool of four threads: more than this machine's cores, so that results end out
    /// of order.
    fn four_threads() -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap()
    }

    #[test]
    fn every_variant_completes_once_with_its_replications_in_order() {
        let seen = Mutex::new(Vec::new());
        let pool = four_threads();
        pool.install(|| {
            run_variants(
                &[3, 7, 9],
                50,
                1,
                |v, r, s| {
                    // Later replications end first now and then: folds must wait.
                    std::thread::sleep(std::time::Duration::from_micros(50 * (r % 3)));
                    (v, r, s)
                },
                |v| (v, Vec::new()),
                |(v, results): &mut (usize, Vec<_>), r, result| {
                    assert_eq!(results.len() as u64, r, "folded in replication order");
                    assert_eq!(result, (*v, r, Streams::new(1, r)));
                    results.push(result);
                },
                |v, (fv, results)| {
                    assert_eq!((fv, results.len()), (v, 50));
                    seen.lock().unwrap().push(v);
                },
            );
        });
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen, vec![3, 7, 9]);
    }

    #[test]
    fn a_sweep_holds_a_few_results_per_thread_whatever_its_replications() {
        // A result counts while it is alive: made by `one`, dropped once folded.
        struct Held<'a>(&'a AtomicU64);
        impl Drop for Held<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let (alive, most) = (AtomicU64::new(0), AtomicU64::new(0));
        let pool = four_threads();
        pool.install(|| {
            run_variants(
                &[0, 1],
                400,
                1,
                |_, r, _| {
                    let now = alive.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    // One replication in a hundred runs far longer than the rest.
                    if r % 100 == 10 {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    Held(&alive)
                },
                |_| 0u64,
                |n, _, held| {
                    *n += 1;
                    drop(held);
                },
                |_, n| assert_eq!(n, 400),
            );
        });
        // Each thread's running replication, and those that ended before an earlier one
        // (a thread may pass the check for room just before others fill it).
        let most = most.into_inner();
        let bound = (EARLY_PER_THREAD * 4 + 2 * 4) as u64;
        assert!((1..=bound).contains(&most), "{most} results held at once");
    }

    #[test]
    fn a_replication_that_panics_stops_the_others_instead_of_hanging_them() {
        let pool = four_threads();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                run_variants(
                    &[0],
                    10_000,
                    1,
                    |_, r, _| {
                        // The others run ahead until their results fill the room.
                        if r == 3 {
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            panic!("a bug in replication 3");
                        }
                    },
                    |_| (),
                    |_, _, _| {},
                    |_, _| {},
                )
            })
        }));
        assert!(outcome.is_err(), "the panic is passed on");
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
