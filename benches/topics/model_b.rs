//! Reference model B ("cart", shared/reference-models.md) and whole runs of the bundled
//! scenarios, as `cgtsim run` does them.
//!
//! - `model_b/cart_b1`: one replication of run B1 (S = 28, warm-up 365 d, horizon
//!   3,650 d, seed 1) on one thread; throughput in model events per second (E1..E9 of the
//!   reference document: changeover ends count, as in its canonical count).
//! - `model_b/lean_loop_b1`: the yardstick, run B1 as a single-purpose loop
//!   (`lean_b`), measured in the same run: the ratio of the two is what the model's
//!   generality costs on this machine, whatever its speed today.
//! - `model_b/cart_b1_s20`: the same with S = 20, the overloaded stress case (the suite
//!   queue grows without bound, so the event list and the queue are longest).
//! - `model_b/allogeneic_rq`: scenarios/reference/rq.toml, an allogeneic product alone
//!   (reorder point R = 5, batches of 10 doses, one order a day, 5-day lead time), one
//!   replication of 10,000 days on one thread: the make-to-stock machinery's events/s.
//! - `model_b/northx_matfors_10y`: the bundled NorthX scenario (allogeneic and autologous
//!   products sharing suites, QC and QP, calendars), one replication of 10 years, one thread.
//! - `model_b/sweden_network_10y`: the bundled network of 6 hospitals and 3 plants
//!   (routing, legs by lane and mode, calendars), one replication of 10 years, one thread:
//!   measured beside `cart_b1` so that the two can be compared in one run.
//! - `model_b/ccrm_nordic`, `model_b/ccrm_nordic_rampup`, `model_b/testa_testbed`: the
//!   other bundled scenarios, one replication of their own horizon, one thread.
//!
//!   The events of the bundled scenarios are those the run handles: since quiet pools
//!   apply their calendar changes late (2026-11-25), those changes are no longer events,
//!   and a replication of a scenario with shift calendars handles far fewer (the Swedish
//!   network a tenth). Compare such scenarios across that date by the time per
//!   replication, not by events per second.
//! - `run/cart_br_threads=N`: run BR (200 replications of 730 d after 365 d) on N rayon
//!   threads; parallel efficiency = time(1) / (2 time(2)).
//! - `run/ccrm_nordic`: what `cgtsim run scenarios/ccrm-nordic.toml` does before printing
//!   (parse, 100 replications on all cores, pooled percentiles).
use cgtsim::cli::scenario;
use cgtsim::experiment::simulate;
use cgtsim::model::pooled_percentiles;
use criterion::{Criterion, Throughput, criterion_group};
use std::hint::black_box;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn b1(suites: u32) -> scenario::Scenario {
    let text = read("scenarios/reference/cart.toml")
        .replace("horizon = \"730d\"", "horizon = \"3650d\"")
        .replace("capacity = 28", &format!("capacity = {suites}"));
    scenario::parse("cart-b1", &text).unwrap()
}

fn model_b(c: &mut Criterion) {
    let mut g = c.benchmark_group("model_b");
    g.sample_size(20);
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    for (name, suites) in [("cart_b1", 28), ("cart_b1_s20", 20)] {
        let sc = b1(suites);
        let events: u64 = one_thread.install(|| run(&sc.spec, 1, 1).1.iter().sum());
        g.throughput(Throughput::Elements(events));
        g.bench_function(name, |b| {
            b.iter(|| one_thread.install(|| black_box(run(&sc.spec, 1, 1))))
        });
        if suites == 28 {
            let (events, completed, v2v) = super::lean_b::run(365.0, 3650.0, 28, 1);
            // The same model: about 2 patients a day complete, V2V about 22.6 days.
            assert!(
                (6_500..8_000).contains(&completed),
                "lean B1 completed {completed}"
            );
            assert!((20.0..26.0).contains(&v2v), "lean B1 V2V {v2v}");
            g.throughput(Throughput::Elements(events));
            g.bench_function("lean_loop_b1", |b| {
                b.iter(|| black_box(super::lean_b::run(365.0, 3650.0, 28, 1)))
            });
        }
    }
    let allo = scenario::parse("rq", &read("scenarios/reference/rq.toml")).unwrap();
    let northx =
        read("scenarios/northx-matfors.toml").replace("horizon = \"730d\"", "horizon = \"3650d\"");
    let northx = scenario::parse("northx", &northx).unwrap();
    let network =
        read("scenarios/sweden-network.toml").replace("horizon = \"1095d\"", "horizon = \"3650d\"");
    let network = scenario::parse("sweden-network", &network).unwrap();
    // The other bundled scenarios, one replication of their own horizon each.
    let bundled: Vec<(&str, scenario::Scenario)> = [
        ("ccrm_nordic", "scenarios/ccrm-nordic.toml"),
        ("ccrm_nordic_rampup", "scenarios/ccrm-nordic-rampup.toml"),
        ("testa_testbed", "scenarios/testa-testbed.toml"),
    ]
    .into_iter()
    .map(|(name, path)| (name, scenario::parse(path, &read(path)).unwrap()))
    .collect();
    let mut all = vec![
        ("allogeneic_rq", &allo),
        ("northx_matfors_10y", &northx),
        ("sweden_network_10y", &network),
    ];
    all.extend(bundled.iter().map(|(name, sc)| (*name, sc)));
    for (name, sc) in all {
        let events: u64 = one_thread.install(|| run(&sc.spec, 1, 1).1.iter().sum());
        g.throughput(Throughput::Elements(events));
        g.bench_function(name, |b| {
            b.iter(|| one_thread.install(|| black_box(run(&sc.spec, 1, 1))))
        });
    }
    g.finish();
}

fn whole_runs(c: &mut Criterion) {
    let mut g = c.benchmark_group("run");
    g.sample_size(10);
    let br = scenario::parse("cart", &read("scenarios/reference/cart.toml")).unwrap();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let events: u64 = pool.install(|| run(&br.spec, 1, 200).1.iter().sum());
        g.throughput(Throughput::Elements(events));
        g.bench_function(format!("cart_br_threads={threads}"), |b| {
            b.iter(|| pool.install(|| black_box(run(&br.spec, 1, 200))))
        });
    }
    let text = read("scenarios/ccrm-nordic.toml");
    let sc = scenario::parse("ccrm", &text).unwrap();
    g.throughput(Throughput::Elements(
        run(&sc.spec, sc.seed, sc.replications).1.iter().sum(),
    ));
    g.bench_function("ccrm_nordic", |b| {
        b.iter(|| {
            let sc = scenario::parse("scenarios/ccrm-nordic.toml", &text).unwrap();
            // What `cgtsim run` does before printing: replications, then pooled percentiles
            // (the table's formatting is not measured: the CLI's internals are private).
            let runs = simulate(&sc.spec, sc.seed, sc.replications, || {}, || false).unwrap();
            black_box(pooled_percentiles(&sc.spec, runs.pooled()))
        })
    });
    g.finish();
}

criterion_group!(group, model_b, whole_runs);

/// Replications of `spec` on the current rayon pool: metrics and events per replication.
fn run(spec: &cgtsim::model::Spec, seed: u64, n: u64) -> (Vec<Vec<f64>>, Vec<u64>) {
    simulate(spec, seed, n, || {}, || false)
        .expect("bundled scenarios run")
        .into_iter()
        .map(|r| (r.values, r.events))
        .unzip()
}
