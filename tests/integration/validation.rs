//! Statistical validation of the engine against exact queueing-theory results.
//!
//! Each test states its warm-up (long against the queue's relaxation time, so that the
//! initial-transient bias, which decays exponentially, is negligible) and compares the
//! mean over R independent replications with the exact value, allowing k standard errors
//! where k is the Student-t quantile for a two-sided false-failure rate of 1e-6
//! (`support::k_for`): with R = 40, k = 5.6; with R = 100, k = 5.2.
//! Time unit: days.

use crate::support::{Finished, assert_agrees, per_run, replicate};
use cgtsim::engine::time::TICKS_PER_DAY;
use cgtsim::engine::{Dist, PoolSpec};
use cgtsim::station::{ClassStats, CustomerClass, StationConfig};

const DAY: f64 = TICKS_PER_DAY as f64;

fn class(interarrival: Dist, service: Dist) -> CustomerClass {
    CustomerClass {
        interarrival: interarrival.scaled(DAY),
        service: service.scaled(DAY),
        priority: 0,
        patience: None,
    }
}

fn station(classes: Vec<CustomerClass>, servers: u32, system_limit: Option<u32>) -> StationConfig {
    StationConfig {
        classes,
        servers: PoolSpec::fixed(servers),
        system_limit,
    }
}

fn exp(mean: f64) -> Dist {
    Dist::exponential(mean).unwrap()
}

/// Mean wait in queue of class `i`, in days.
fn wq(i: usize) -> impl Fn(&Finished) -> f64 {
    move |r| r.station.class_stats()[i].wait.mean()
}

/// Time-average number in system.
fn l(r: &Finished) -> f64 {
    r.station.mean_in_system(r.end)
}

/// Busy servers over nominal servers, time-averaged.
fn util(r: &Finished) -> f64 {
    r.kernel.pool(r.station.pool()).utilisation_nominal(r.end)
}

/// Share of the class-0 customers that left a certain way, among `of` customers.
fn share(part: fn(&ClassStats) -> u64, of: fn(&ClassStats) -> u64) -> impl Fn(&Finished) -> f64 {
    move |r| {
        let s = &r.station.class_stats()[0];
        part(s) as f64 / of(s) as f64
    }
}

use cgtsim::experiment::theory::erlang_c;

#[test]
fn mm1_wait_number_in_system_and_utilisation() {
    // lambda = 0.8, mu = 1: rho = 0.8, Wq = rho / (mu - lambda) = 4, L = rho / (1 - rho) = 4.
    // Relaxation time 1 / (mu (1 - sqrt(rho))^2) = 90 days; warm-up 2,000 days.
    let cfg = station(vec![class(exp(1.25), exp(1.0))], 1, None);
    let runs = replicate(&cfg, 11, 40, 2_000, 20_000);
    assert_agrees("M/M/1 Wq", &per_run(&runs, wq(0)), 4.0);
    assert_agrees("M/M/1 L", &per_run(&runs, l), 4.0);
    assert_agrees("M/M/1 utilisation", &per_run(&runs, util), 0.8);
}

#[test]
fn mmc_erlang_c_reference_model_a() {
    // Model A of shared/reference-models.md: c = 5, lambda = 4.5, mu = 1 (rho = 0.9), run
    // AR: warm-up 1,000 days, horizon 10,000 days, R = 100.
    let runs = replicate(
        &StationConfig::mmc(4.5, 1.0, 5).unwrap(),
        1,
        100,
        1_000,
        10_000,
    );
    let pw_exact = erlang_c(5, 4.5);
    assert!(
        (pw_exact - 0.762_493).abs() < 1e-6,
        "Erlang C formula: {pw_exact}"
    );
    let wq_exact = pw_exact / (5.0 - 4.5);
    assert!((wq_exact - 1.524_986).abs() < 1e-6);
    let p_wait = share(|s| s.waited, |s| s.served);
    assert_agrees("M/M/5 P(wait)", &per_run(&runs, p_wait), pw_exact);
    assert_agrees("M/M/5 Wq", &per_run(&runs, wq(0)), wq_exact);
    assert_agrees("M/M/5 L", &per_run(&runs, l), 11.362_439);
    assert_agrees("M/M/5 utilisation", &per_run(&runs, util), 0.9);
}

#[test]
fn md1_pollaczek_khinchine() {
    // M/D/1, lambda = 0.8, D = 1: Wq = lambda E[S^2] / (2 (1 - rho)) = 0.8 / 0.4 = 2.
    // Warm-up 2,000 days (relaxation time about 45 days).
    let cfg = station(vec![class(exp(1.25), Dist::fixed(1.0).unwrap())], 1, None);
    let runs = replicate(&cfg, 12, 40, 2_000, 20_000);
    assert_agrees("M/D/1 Wq", &per_run(&runs, wq(0)), 2.0);
}

#[test]
fn mg1_lognormal_pollaczek_khinchine() {
    // M/G/1, lambda = 0.7, service lognormal mean 1, sd 1.5: E[S^2] = 1.5^2 + 1 = 3.25,
    // Wq = 0.7 * 3.25 / (2 * 0.3) = 3.791667. Warm-up 2,000 days.
    let cfg = station(
        vec![class(exp(1.0 / 0.7), Dist::lognormal(1.0, 1.5).unwrap())],
        1,
        None,
    );
    let runs = replicate(&cfg, 13, 40, 2_000, 40_000);
    assert_agrees(
        "M/G/1 lognormal Wq",
        &per_run(&runs, wq(0)),
        0.7 * 3.25 / 0.6,
    );
}

#[test]
fn mmck_blocking_probability() {
    // M/M/3/6 with a = lambda/mu = 2.5: p_n proportional to a^n/n! (n <= 3) and
    // a^3/3! (a/3)^(n-3) (n > 3); an arrival is blocked with probability p_6 (PASTA).
    // Warm-up 500 days.
    let (c, k, a) = (3u32, 6u32, 2.5f64);
    let weights: Vec<f64> = (0..=k)
        .map(|n| {
            let m = n.min(c);
            let fact: f64 = (1..=m).map(f64::from).product();
            a.powi(m as i32) / fact * (a / f64::from(c)).powi((n - m) as i32)
        })
        .collect();
    let blocking = weights[k as usize] / weights.iter().sum::<f64>();
    let cfg = station(vec![class(exp(1.0 / a), exp(1.0))], c, Some(k));
    let runs = replicate(&cfg, 14, 40, 500, 10_000);
    let blocked = share(|s| s.blocked, |s| s.arrived);
    assert_agrees("M/M/3/6 blocking", &per_run(&runs, blocked), blocking);
}

#[test]
fn priority_mm1_cobham() {
    // Non-preemptive priority M/M/1, class 1 (high) lambda 0.3, class 2 lambda 0.4, mu = 1:
    // W0 = sum lambda_i E[S_i^2] / 2 = 0.7; Wq1 = W0 / (1 - 0.3) = 1;
    // Wq2 = W0 / ((1 - 0.3)(1 - 0.7)) = 3.3333. Warm-up 2,000 days.
    let mut high = class(exp(1.0 / 0.3), exp(1.0));
    high.priority = 1;
    let low = class(exp(1.0 / 0.4), exp(1.0));
    let runs = replicate(&station(vec![high, low], 1, None), 15, 40, 2_000, 20_000);
    assert_agrees("priority M/M/1 Wq high", &per_run(&runs, wq(0)), 1.0);
    assert_agrees(
        "priority M/M/1 Wq low",
        &per_run(&runs, wq(1)),
        0.7 / (0.7 * 0.3),
    );
}

#[test]
fn erlang_a_abandonment() {
    // M/M/1+M: lambda = 1, mu = 1, patience exponential with mean 2 (theta = 0.5). Birth-death
    // chain: birth 1, death mu + (n - 1) theta in state n >= 1. Abandonment probability =
    // (sum_n p_n (n - 1) theta) / lambda. Warm-up 500 days.
    let exact = cgtsim::experiment::theory::erlang_a_abandonment(1.0, 1.0, 0.5);
    let mut impatient = class(exp(1.0), exp(1.0));
    impatient.patience = Some(exp(2.0).scaled(DAY));
    let runs = replicate(&station(vec![impatient], 1, None), 16, 40, 500, 10_000);
    let abandoned = share(|s| s.abandoned, |s| s.abandoned + s.served);
    assert_agrees("M/M/1+M abandonment", &per_run(&runs, abandoned), exact);
}

#[test]
fn littles_law_and_conservation_hold_on_every_run() {
    // Sample-path Little's law: the area under the number in system over the window equals,
    // customer by customer, the time each spent in the system inside the window. Both are
    // exact integers of ticks, so they must be equal, not close. And L = lambda W for the
    // window's own throughput, up to the edge customers (checked within 1 %).
    let mut impatient = class(exp(0.25), exp(1.0));
    impatient.patience = Some(exp(3.0).scaled(DAY));
    let configs = [
        StationConfig::mmc(4.5, 1.0, 5).unwrap(),
        station(vec![impatient], 4, Some(12)),
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
