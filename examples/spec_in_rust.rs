//! Building a scenario in Rust rather than in a file, running its replications in
//! parallel and reading results by name: the library's API from a researcher's side.
//!
//! A single-site autologous CAR-T chain: 2 suites, a QP on weekday day shifts, a 3 %
//! manufacturing failure that sends the patient back to apheresis. The program sweeps
//! the number of suites and prints the vein-to-vein time and the suite utilisation.
//!
//! ```sh
//! cargo run --release --example spec_in_rust
//! ```

use cgtsim::engine::calendar::WEEKDAYS;
use cgtsim::engine::{CapacityDrop, Dist, Duration};
use cgtsim::experiment::{Estimate, simulate};
use cgtsim::model::{
    Arrivals, CalendarSpec, Failure, ProductSpec, ResourceSpec, ShiftSpec, Spec, Staffing,
    StepKind, StepSpec, Task, metric_names, pooled_percentiles,
};

const DAY: f64 = cgtsim::engine::time::TICKS_PER_DAY as f64;

/// A duration distribution given in days (the engine counts in clock ticks).
fn days(d: Dist) -> Dist {
    d.scaled(DAY)
}

fn step(name: &str, uses: Vec<(usize, u32)>, duration: Dist, failure: Option<Failure>) -> StepSpec {
    let task = Task {
        uses,
        touch_uses: vec![],
        duration: days(duration),
        touch: None,
    };
    StepSpec {
        name: name.into(),
        kind: StepKind::Work(task, failure),
        slot: None,
        seize: vec![],
        release: vec![],
        booking: None,
        at: Default::default(),
    }
}

fn facility(suites: u32) -> Spec {
    let (suite, qp) = (0, 1);
    let resource = |name: &str, capacity, calendar| ResourceSpec {
        name: name.into(),
        capacity,
        changeover: Some(days(Dist::fixed(0.5).unwrap())),
        calendar,
        breakdowns: None,
        on_capacity_drop: CapacityDrop::FinishCurrent,
    };
    let weekday_days = CalendarSpec {
        week_start: Duration::ZERO,
        base: 0,
        shifts: vec![ShiftSpec {
            days: WEEKDAYS,
            start: Duration::from_hours(8),
            end: Duration::from_hours(17),
            staffing: Staffing::All,
        }],
        exceptions: vec![],
    };
    let car_t = ProductSpec {
        name: "car-t".into(),
        // 100 patients a year, Poisson.
        arrivals: Arrivals::Renewal(days(Dist::exponential(365.0 / 100.0).unwrap())),
        window: None,
        patience: None,
        priority: vec![0, 0],
        steps: vec![
            step("apheresis", vec![], Dist::fixed(1.0).unwrap(), None),
            step(
                "manufacturing",
                vec![(suite, 1)],
                Dist::triangular(8.0, 10.0, 14.0).unwrap(),
                Some(Failure {
                    probability: 0.03,
                    retry_from: 0,
                    max_attempts: 2,
                }),
            ),
            step("qc release", vec![], Dist::fixed(7.0).unwrap(), None),
            step(
                "qp certification",
                vec![(qp, 1)],
                Dist::fixed(0.1).unwrap(),
                None,
            ),
        ],
        allogeneic: None,
        milestones: vec![],
        score: None,
        demand: Vec::new(),
        hazards: vec![],
    };
    Spec {
        resources: vec![
            resource("suite", suites, None),
            resource("qp", 1, Some(weekday_days)),
        ],
        products: vec![car_t],
        warmup: Duration::from_days(365),
        horizon: Duration::from_days(730),
        until_empty: false,
        timeseries: None,
        slots: vec![],
        network: Default::default(),
        costs: None,
    }
}

fn main() {
    println!("suites  vein-to-vein mean (95% CI)   p90 pooled   suite utilisation");
    for suites in [3, 4, 5] {
        let spec = facility(suites);
        // The same checks a scenario file gets; a Spec that passes runs in bounded time.
        if let Err(errors) = spec.validate() {
            eprintln!("not a valid facility: {errors:?}");
            std::process::exit(2);
        }
        let runs = simulate(&spec, 42, 20, || {}, || false).expect("the facility runs");
        // Results are read by name.
        let names = metric_names(&spec);
        let column = |name: &str| -> Vec<f64> {
            let at = names
                .iter()
                .position(|m| m.name == name)
                .expect("a metric name");
            runs.iter().map(|r| r.values[at]).collect()
        };
        let v2v = Estimate::of(&column("products.car-t.v2v.mean"));
        let util = Estimate::of(&column("resources.suite.utilisation"));
        let p90 = pooled_percentiles(&spec, runs.pooled())
            .into_iter()
            .find(|(name, _)| name == "products.car-t.v2v.p90")
            .map_or(f64::NAN, |p| p.1);
        let [lo, hi] = v2v.ci95();
        println!(
            "{suites:>6}  {:>8.2} d  [{lo:.2}, {hi:.2}]   {p90:>8.2} d   {:>12.3}",
            v2v.mean, util.mean
        );
    }
}
