//! The experiment layer: replications in parallel and their confidence intervals.
//!
//! Replication `r` of an experiment with seed `s` always draws from `Streams::new(s, r)`,
//! whatever thread runs it, and results come back in replication order, so an experiment
//! gives bit-identical output on 1 or 64 threads. Across-replication figures follow
//! `shared/reference-models.md`: the mean of the per-replication values, and the 95 % CI
//! `mean +- t(0.975, R - 1) sd / sqrt(R)`.
//!
//! This module must not read or write files, or print: it returns values.

use crate::engine::Streams;
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

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
    fn replications_come_back_in_order() {
        let v = replicate(9, 50, |r, s| (r, s));
        assert!(
            v.iter()
                .enumerate()
                .all(|(i, &(r, s))| r == i as u64 && s == Streams::new(9, r))
        );
    }
}
