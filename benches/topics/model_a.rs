//! Reference model A ("mmc", shared/reference-models.md): M/M/5, lambda = 4.5, mu = 1,
//! run A1 (warm-up 1,000 days, horizon 100,000 days, seed 1: about 909,000 model events).
//! Throughput is in model events (arrivals and departures) per second, comparable with
//! the figures of other simulators for the same run.
//!
//! - `model_a/cgtsim_a1`: the path users run: `scenarios/reference/mmc.toml` (horizon
//!   100,000 days, one replication) parsed and run through the facility model on one
//!   thread, as `cgtsim run` does.
//! - `model_a/station_a1`: the same queue on the engine's minimal `Station` model: what
//!   the engine alone costs.
//! - `model_a/lean_loop_a1`: the yardstick, the same model as a single-purpose loop
//!   (binary heap, xoshiro, inline state, only the four outputs), written here so that
//!   all three run on the same machine in the same build.
use cgtsim::engine::{Duration, Kernel, RunLength, Streams, run};
use cgtsim::station::{Station, StationConfig};
use criterion::{Criterion, Throughput, criterion_group};
use rand::Rng as _;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

const WARMUP: u64 = 1_000;
const HORIZON: u64 = 100_000;

/// Run A1 through the scenario file and the facility model: (events, Wq).
fn scenario_a1() -> (u64, f64) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/reference/mmc.toml"
    ))
    .unwrap()
    .replace("horizon = \"10000d\"", "horizon = \"100000d\"");
    let sc = cgtsim::cli::scenario::parse("mmc-a1", &text).unwrap();
    let rep = cgtsim::model::run_replication(&sc.spec, Streams::new(1, 0)).unwrap();
    let names = cgtsim::model::metric_names(&sc.spec);
    let wq = names
        .iter()
        .position(|m| m.name == "products.mmc.steps.service.wait.mean")
        .expect("the scenario reports Wq");
    (rep.events, rep.values[wq])
}

fn run_a1() -> (u64, f64) {
    let cfg = StationConfig::mmc(4.5, 1.0, 5).unwrap();
    let mut kernel = Kernel::new();
    let mut st = Station::new(&cfg, &mut kernel, Streams::new(1, 0)).unwrap();
    let length = RunLength {
        warmup: Duration::from_days(WARMUP),
        horizon: Duration::from_days(HORIZON),
    };
    let end = run(&mut st, &mut kernel, length);
    assert_eq!(end, cgtsim::engine::RunEnd::Completed);
    (kernel.events_processed(), st.class_stats()[0].wait.mean())
}

/// Model A as a lean loop: f64 days, (time, seq)-ordered binary heap, FIFO deque.
fn lean_loop() -> (u64, f64) {
    let mut rng = Streams::new(1, 0).stream(0);
    let mut exp = |mean: f64| -> f64 {
        let u = ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
        -mean * u.ln()
    };
    /// (time, seq, payload): payload is the wait of a departing customer, or -1 for an arrival.
    struct Ev(f64, u64, f64);
    impl PartialEq for Ev {
        fn eq(&self, o: &Self) -> bool {
            self.1 == o.1
        }
    }
    impl Eq for Ev {}
    impl PartialOrd for Ev {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Ev {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&o.0).then(self.1.cmp(&o.1))
        }
    }
    let (end, warm) = ((WARMUP + HORIZON) as f64, WARMUP as f64);
    let mut heap: BinaryHeap<Reverse<Ev>> = BinaryHeap::new();
    let mut seq = 0;
    heap.push(Reverse(Ev(exp(1.0 / 4.5), seq, -1.0)));
    let mut queue = std::collections::VecDeque::new();
    let (mut busy, mut events, mut wsum, mut served) = (0u32, 0u64, 0.0, 0u64);
    while let Some(Reverse(Ev(t, _, what))) = heap.pop() {
        if t >= end {
            break;
        }
        events += 1;
        if what < 0.0 {
            seq += 1;
            heap.push(Reverse(Ev(t + exp(1.0 / 4.5), seq, -1.0)));
            if busy < 5 {
                busy += 1;
                seq += 1;
                heap.push(Reverse(Ev(t + exp(1.0), seq, 0.0)));
            } else {
                queue.push_back(t);
            }
        } else {
            if t >= warm {
                wsum += what;
                served += 1;
            }
            if let Some(a) = queue.pop_front() {
                seq += 1;
                heap.push(Reverse(Ev(t + exp(1.0), seq, t - a)));
            } else {
                busy -= 1;
            }
        }
    }
    (events, wsum / served as f64)
}

fn model_a(c: &mut Criterion) {
    let mut g = c.benchmark_group("model_a");
    g.sample_size(20);
    let (events, wq) = scenario_a1();
    assert!((wq - 1.525).abs() < 0.3, "model A Wq {wq}");
    g.throughput(Throughput::Elements(events));
    g.bench_function("cgtsim_a1", |b| b.iter(|| black_box(scenario_a1())));
    let (events, wq) = run_a1();
    assert!((wq - 1.525).abs() < 0.3, "model A Wq {wq}");
    g.throughput(Throughput::Elements(events));
    g.bench_function("station_a1", |b| b.iter(|| black_box(run_a1())));
    let (lean_events, _) = lean_loop();
    g.throughput(Throughput::Elements(lean_events));
    g.bench_function("lean_loop_a1", |b| b.iter(|| black_box(lean_loop())));
    g.finish();
}

criterion_group!(group, model_a);
