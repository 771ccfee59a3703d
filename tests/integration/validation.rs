//! Statistical validation of the engine against exact queueing-theory results.
//!
//! Each test states its warm-up (long against the queue's relaxation time, so that the
//! initial-transient bias, which decays exponentially, is negligible) and compares the
//! mean over R independent replications with the exact value, allowing k standard errors
//! where k is the Student-t quantile for a two-sided false-failure rate of 1e-6
//! (`support::k_for`): with R = 40, k = 5.6; with R = 100, k = 5.2.
//! Time unit: days.

use crate::support::{assert_agrees, replicate};
use cgtsim::engine::time::TICKS_PER_DAY;
use cgtsim::engine::{Dist, PoolSpec};
use cgtsim::station::{CustomerClass, StationConfig};

const DAY: f64 = TICKS_PER_DAY as f64;

fn class(interarrival: Dist, service: Dist) -> CustomerClass {
    CustomerClass {
        interarrival: interarrival.scaled(DAY),
        service: service.scaled(DAY),
        priority: 0,
        patience: None,
    }
}

fn exp(mean: f64) -> Dist {
    Dist::exponential(mean).unwrap()
}

/// Erlang C: probability that an arrival waits in M/M/c with offered load a = lambda/mu.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0; // a^k / k!
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let top = term * a / c as f64 * c as f64 / (c as f64 - a);
    top / (sum + top)
}

#[test]
fn mm1_wait_number_in_system_and_utilisation() {
    // lambda = 0.8, mu = 1: rho = 0.8, Wq = rho / (mu - lambda) = 4, L = rho / (1 - rho) = 4.
    // Relaxation time 1 / (mu (1 - sqrt(rho))^2) = 90 days; warm-up 2,000 days.
    let cfg = StationConfig {
        classes: vec![class(exp(1.25), exp(1.0))],
        servers: PoolSpec::fixed(1),
        system_limit: None,
    };
    let runs = replicate(&cfg, 11, 40, 2_000, 20_000);
    let wq: Vec<f64> = runs
        .iter()
        .map(|r| r.station.class_stats()[0].wait.mean())
        .collect();
    let l: Vec<f64> = runs
        .iter()
        .map(|r| r.station.mean_in_system(r.end))
        .collect();
    let util: Vec<f64> = runs
        .iter()
        .map(|r| r.kernel.pool(r.station.pool()).utilisation_nominal(r.end))
        .collect();
    assert_agrees("M/M/1 Wq", &wq, 4.0);
    assert_agrees("M/M/1 L", &l, 4.0);
    assert_agrees("M/M/1 utilisation", &util, 0.8);
}

#[test]
fn mmc_erlang_c_reference_model_a() {
    // Model A of shared/reference-models.md: c = 5, lambda = 4.5, mu = 1 (rho = 0.9), run
    // AR: warm-up 1,000 days, horizon 10,000 days, R = 100.
    let cfg = StationConfig::mmc(4.5, 1.0, 5).unwrap();
    let runs = replicate(&cfg, 1, 100, 1_000, 10_000);
    let pw_exact = erlang_c(5, 4.5);
    assert!(
        (pw_exact - 0.762_493).abs() < 1e-6,
        "Erlang C formula: {pw_exact}"
    );
    let wq_exact = pw_exact / (5.0 - 4.5);
    let c = |r: &crate::support::Finished| r.station.class_stats()[0].clone();
    let pw: Vec<f64> = runs
        .iter()
        .map(|r| c(r).waited as f64 / c(r).served as f64)
        .collect();
    let wq: Vec<f64> = runs.iter().map(|r| c(r).wait.mean()).collect();
    let l: Vec<f64> = runs
        .iter()
        .map(|r| r.station.mean_in_system(r.end))
        .collect();
    let util: Vec<f64> = runs
        .iter()
        .map(|r| r.kernel.pool(r.station.pool()).utilisation_nominal(r.end))
        .collect();
    assert_agrees("M/M/5 P(wait)", &pw, pw_exact);
    assert_agrees("M/M/5 Wq", &wq, wq_exact);
    assert!((wq_exact - 1.524_986).abs() < 1e-6);
    assert_agrees("M/M/5 L", &l, 11.362_439);
    assert_agrees("M/M/5 utilisation", &util, 0.9);
}

#[test]
fn md1_pollaczek_khinchine() {
    // M/D/1, lambda = 0.8, D = 1: Wq = lambda E[S^2] / (2 (1 - rho)) = 0.8 / 0.4 = 2.
    // Warm-up 2,000 days (relaxation time about 45 days).
    let cfg = StationConfig {
        classes: vec![class(exp(1.25), Dist::fixed(1.0).unwrap())],
        servers: PoolSpec::fixed(1),
        system_limit: None,
    };
    let runs = replicate(&cfg, 12, 40, 2_000, 20_000);
    let wq: Vec<f64> = runs
        .iter()
        .map(|r| r.station.class_stats()[0].wait.mean())
        .collect();
    assert_agrees("M/D/1 Wq", &wq, 2.0);
}

#[test]
fn mg1_lognormal_pollaczek_khinchine() {
    // M/G/1, lambda = 0.7, service lognormal mean 1, sd 1.5: E[S^2] = 1.5^2 + 1 = 3.25,
    // Wq = 0.7 * 3.25 / (2 * 0.3) = 3.791667. Warm-up 2,000 days.
    let cfg = StationConfig {
        classes: vec![class(exp(1.0 / 0.7), Dist::lognormal(1.0, 1.5).unwrap())],
        servers: PoolSpec::fixed(1),
        system_limit: None,
    };
    let runs = replicate(&cfg, 13, 40, 2_000, 40_000);
    let wq: Vec<f64> = runs
        .iter()
        .map(|r| r.station.class_stats()[0].wait.mean())
        .collect();
    assert_agrees("M/G/1 lognormal Wq", &wq, 0.7 * 3.25 / 0.6);
}

#[test]
fn mmck_blocking_probability() {
    // M/M/3/6 with a = lambda/mu = 2.5: p_n proportional to a^n/n! (n <= 3) and
    // a^3/3! (a/3)^(n-3) (n > 3); an arrival is blocked with probability p_6 (PASTA).
    let (c, k, a) = (3u32, 6u32, 2.5f64);
    let weights: Vec<f64> = (0..=k)
        .map(|n| {
            let m = n.min(c);
            let fact: f64 = (1..=m).map(f64::from).product();
            a.powi(m as i32) / fact * (a / f64::from(c)).powi((n - m) as i32)
        })
        .collect();
    let blocking = weights[k as usize] / weights.iter().sum::<f64>();
    let cfg = StationConfig {
        classes: vec![class(exp(1.0 / a), exp(1.0))],
        servers: PoolSpec::fixed(c),
        system_limit: Some(k),
    };
    let runs = replicate(&cfg, 14, 40, 500, 10_000);
    let pb: Vec<f64> = runs
        .iter()
        .map(|r| {
            let s = &r.station.class_stats()[0];
            s.blocked as f64 / s.arrived as f64
        })
        .collect();
    assert_agrees("M/M/3/6 blocking", &pb, blocking);
}

#[test]
fn priority_mm1_cobham() {
    // Non-preemptive priority M/M/1, class 1 (high) lambda 0.3, class 2 lambda 0.4, mu = 1:
    // W0 = sum lambda_i E[S_i^2] / 2 = 0.7; Wq1 = W0 / (1 - 0.3) = 1;
    // Wq2 = W0 / ((1 - 0.3)(1 - 0.7)) = 3.3333. Warm-up 2,000 days.
    let mut high = class(exp(1.0 / 0.3), exp(1.0));
    high.priority = 1;
    let low = class(exp(1.0 / 0.4), exp(1.0));
    let cfg = StationConfig {
        classes: vec![high, low],
        servers: PoolSpec::fixed(1),
        system_limit: None,
    };
    let runs = replicate(&cfg, 15, 40, 2_000, 20_000);
    let wq = |i: usize| {
        runs.iter()
            .map(|r| r.station.class_stats()[i].wait.mean())
            .collect::<Vec<f64>>()
    };
    assert_agrees("priority M/M/1 Wq high", &wq(0), 1.0);
    assert_agrees("priority M/M/1 Wq low", &wq(1), 0.7 / (0.7 * 0.3));
}

#[test]
fn erlang_a_abandonment() {
    // M/M/1+M: lambda = 1, mu = 1, patience exponential with mean 2 (theta = 0.5). Birth-death
    // chain: birth 1, death mu + (n - 1) theta in state n >= 1. Abandonment probability =
    // (sum_n p_n (n - 1) theta) / lambda. Warm-up 500 days.
    let (lambda, mu, theta) = (1.0, 1.0, 0.5);
    let mut p = vec![1.0f64];
    for n in 1..200 {
        let prev = p[n - 1];
        p.push(prev * lambda / (mu + (n - 1) as f64 * theta));
    }
    let total: f64 = p.iter().sum();
    let aband: f64 = p
        .iter()
        .enumerate()
        .skip(1)
        .map(|(n, pn)| pn / total * (n - 1) as f64 * theta)
        .sum::<f64>()
        / lambda;
    let mut c = class(exp(1.0), exp(1.0));
    c.patience = Some(exp(2.0).scaled(DAY));
    let cfg = StationConfig {
        classes: vec![c],
        servers: PoolSpec::fixed(1),
        system_limit: None,
    };
    let runs = replicate(&cfg, 16, 40, 500, 10_000);
    let pa: Vec<f64> = runs
        .iter()
        .map(|r| {
            let s = &r.station.class_stats()[0];
            s.abandoned as f64 / (s.abandoned + s.served) as f64
        })
        .collect();
    assert_agrees("M/M/1+M abandonment", &pa, aband);
}

#[test]
fn littles_law_and_conservation_hold_on_every_run() {
    // Sample-path Little's law: the area under the number in system over the window equals,
    // customer by customer, the time each spent in the system inside the window. Both are
    // exact integers of ticks, so they must be equal, not close. And L = lambda W for the
    // window's own throughput, up to the edge customers (checked within 1 %).
    let mut with_abandonment = class(exp(0.25), exp(1.0));
    with_abandonment.patience = Some(exp(3.0).scaled(DAY));
    let configs = [
        StationConfig::mmc(4.5, 1.0, 5).unwrap(),
        StationConfig {
            classes: vec![with_abandonment],
            servers: PoolSpec::fixed(4),
            system_limit: Some(12),
        },
    ];
    for cfg in &configs {
        for r in replicate(cfg, 21, 8, 300, 3_000) {
            let st = &r.station;
            assert_eq!(
                st.in_system_area(r.end),
                st.sojourn_area(r.end),
                "sample-path Little's law"
            );
            let [arrived, departed, abandoned, blocked] = st.lifetime;
            assert_eq!(
                arrived,
                departed + abandoned + blocked + st.in_system(),
                "conservation"
            );
            let s = &st.class_stats()[0];
            if s.abandoned == 0 {
                let lambda_w = s.served as f64 / 3_000.0 * s.sojourn.mean();
                let l = st.mean_in_system(r.end);
                assert!(
                    (l - lambda_w).abs() / l < 0.01,
                    "L = {l}, lambda W = {lambda_w}"
                );
            }
        }
    }
}
