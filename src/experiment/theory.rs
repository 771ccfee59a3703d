//! Closed forms from queueing and inventory theory: the exact values that validation (the
//! tests and `cgtsim validate`) compares simulations with. Time in days, rates per day.
//!
//! This module must not simulate, read files or print.

/// Erlang C: the probability that an arrival waits in M/M/c with offered load
/// `a = lambda / mu < c`.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0; // a^k / k!
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let top = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    top / (sum + top)
}

/// Mean wait in queue of M/M/c: `erlang_c / (c mu - lambda)`.
pub fn mmc_wq(c: u32, lambda: f64, mu: f64) -> f64 {
    erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda)
}

/// Erlang B: the probability that an arrival finds all `c` servers busy in the loss
/// system M/M/c/c with offered load `a`.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Pollaczek-Khinchine: mean wait in queue of M/G/1 with arrival rate `lambda` and
/// service time moments `es`, `es2` (mean and mean square).
pub fn pollaczek_khinchine_wq(lambda: f64, es: f64, es2: f64) -> f64 {
    lambda * es2 / (2.0 * (1.0 - lambda * es))
}

/// Cobham: mean waits in queue of a non-preemptive priority M/G/1, classes in priority
/// order (highest first), each `(lambda, E[S], E[S^2])`.
pub fn cobham_wq(classes: &[(f64, f64, f64)]) -> Vec<f64> {
    let w0: f64 = classes.iter().map(|c| c.0 * c.2).sum::<f64>() / 2.0;
    let mut above = 0.0;
    classes
        .iter()
        .map(|&(lambda, es, _)| {
            let with = above + lambda * es;
            let w = w0 / ((1.0 - above) * (1.0 - with));
            above = with;
            w
        })
        .collect()
}

/// Erlang A (M/M/1+M): the probability that an arrival abandons, for arrival rate
/// `lambda`, service rate `mu` and abandonment rate `theta` of each waiting customer
/// ([`erlang_a`] with one server).
pub fn erlang_a_abandonment(lambda: f64, mu: f64, theta: f64) -> f64 {
    erlang_a(lambda, mu, theta, 1).0
}

/// Erlang A (M/M/c+M) by its birth-death chain (birth lambda, death min(n, c) mu +
/// (n - c)+ theta in state n; abandonment rate sum_n p_n (n - c)+ theta, over lambda):
/// the share of arrivals who abandon and the mean number waiting, `(P(abandon), Lq)`.
pub fn erlang_a(lambda: f64, mu: f64, theta: f64, c: u32) -> (f64, f64) {
    let c = c as usize;
    let mut p = vec![1.0f64];
    // Enough states for the tail to vanish: past c + (lambda - c mu) / theta the chain
    // drifts down.
    let n_max = c + 50 + (8.0 * lambda / theta.max(1e-9)).min(1e5) as usize;
    for n in 1..n_max {
        let served = n.min(c) as f64 * mu;
        let waiting = n.saturating_sub(c) as f64 * theta;
        let prev = p[n - 1];
        p.push(prev * lambda / (served + waiting));
    }
    let total: f64 = p.iter().sum();
    let lq: f64 = p
        .iter()
        .enumerate()
        .map(|(n, pn)| pn / total * n.saturating_sub(c) as f64)
        .sum();
    (lq * theta / lambda, lq)
}

fn poisson_pmf(mean: f64, k: u64) -> f64 {
    (0..k).fold((-mean).exp(), |p, i| p * mean / (i + 1) as f64)
}

/// Continuous-review (R, Q) with unit Poisson demand, a fixed lead time with demand
/// `mean_d` over it, and full backordering: the inventory position is uniform on
/// R+1..R+Q, so fill rate = (1/Q) sum_y P(D <= y - 1) and mean stock =
/// (1/Q) sum_y E[(y - D)+]. Returns (fill rate, mean stock).
pub fn rq_fill_rate_and_stock(r: u64, q: u64, mean_d: f64) -> (f64, f64) {
    let ys = r + 1..=r + q;
    let cdf = |y: u64| (0..=y).map(|d| poisson_pmf(mean_d, d)).sum::<f64>();
    let fill = ys.clone().map(|y| cdf(y - 1)).sum::<f64>() / q as f64;
    let stock = ys
        .map(|y| {
            (0..=y)
                .map(|d| (y - d) as f64 * poisson_pmf(mean_d, d))
                .sum::<f64>()
        })
        .sum::<f64>()
        / q as f64;
    (fill, stock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert!((erlang_c(5, 4.5) - 0.762_493).abs() < 1e-6);
        assert!((mmc_wq(5, 4.5, 1.0) - 1.524_986).abs() < 1e-6);
        assert!((erlang_b(1, 1.0) - 0.5).abs() < 1e-12);
        assert!((erlang_b(3, 2.5) - 0.282_167).abs() < 1e-6);
        assert!((pollaczek_khinchine_wq(0.8, 1.0, 1.0) - 2.0).abs() < 1e-12);
        let w = cobham_wq(&[(0.3, 1.0, 2.0), (0.4, 1.0, 2.0)]);
        assert!((w[0] - 1.0).abs() < 1e-12 && (w[1] - 0.7 / 0.21).abs() < 1e-12);
        let (fill, stock) = rq_fill_rate_and_stock(5, 10, 5.0);
        assert!((fill - 0.912_276).abs() < 1e-6 && (stock - 5.596_006).abs() < 1e-6);
        // With no impatience left, nobody abandons.
        assert!(erlang_a_abandonment(0.5, 1.0, 1e-12) < 1e-9);
    }
}
