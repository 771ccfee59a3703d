//! Property tests: invariants that must hold for every model and seed.
//!
//! Random stations (1-4 servers, one or two classes with priorities, optional patience
//! and system limit, a random shift calendar, random breakdowns, either capacity-drop
//! policy) are run with a check after every event:
//! - simulated time never decreases;
//! - units in use never exceed nominal capacity; under `Preempt` they never exceed
//!   available capacity; under `FinishCurrent`, units in use only grow while they fit;
//! - every unit in use is held by a customer in service (in use = in system - waiting),
//!   so every seized unit is released when its holder leaves;
//! - customers are conserved: arrived = departed + abandoned + blocked + in system.
//!
//! And the future-event list is checked against a sorted-vector reference model.

use cgtsim::engine::time::TICKS_PER_HOUR;
use cgtsim::engine::{
    Breakdowns, Calendar, CapacityDrop, Dist, Duration, EventQueue, Kernel, PoolSpec, RunLength,
    Shift, Streams, Time, run_observed,
};
use cgtsim::station::{CustomerClass, Station, StationConfig};
use proptest::prelude::*;

const H: f64 = TICKS_PER_HOUR as f64;

#[derive(Debug, Clone)]
struct Case {
    servers: u32,
    classes: Vec<(f64, f64, i32, Option<f64>)>, // interarrival h, service h, priority, patience h
    limit: Option<u32>,
    shift: Option<(u64, u64, u32)>, // start h, end h, capacity on shift (base 1)
    breakdown: Option<(f64, f64)>,  // mean up h, mean repair h
    preempt: bool,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u32..=4,
        prop::collection::vec(
            (
                0.2f64..3.0,
                0.2f64..6.0,
                0i32..3,
                prop::option::of(0.5f64..10.0),
            ),
            1..=2,
        ),
        prop::option::of(2u32..10),
        prop::option::of((0u64..23, 0u64..23)),
        prop::option::of((5.0f64..50.0, 0.5f64..5.0)),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(servers, classes, limit, shift, breakdown, preempt, seed)| Case {
                servers,
                classes,
                limit,
                shift: shift.map(|(a, b)| (a, b, servers.saturating_sub(1))),
                breakdown,
                preempt,
                seed,
            },
        )
}

fn build(c: &Case) -> StationConfig {
    let calendar = c.shift.map(|(start, end, extra)| {
        let shift = Shift {
            days: 0b111_1111,
            start: Duration::from_hours(start),
            end: Duration::from_hours(end),
            capacity: extra,
        };
        Calendar::new(Duration::ZERO, &[shift], 1, &[]).unwrap()
    });
    StationConfig {
        classes: c
            .classes
            .iter()
            .map(|&(ia, s, priority, patience)| CustomerClass {
                interarrival: Dist::exponential(ia * H).unwrap(),
                service: Dist::exponential(s * H).unwrap(),
                priority,
                patience: patience.map(|p| Dist::exponential(p * H).unwrap()),
            })
            .collect(),
        servers: PoolSpec {
            capacity: c.servers,
            calendar,
            breakdowns: c.breakdown.map(|(up, repair)| Breakdowns {
                time_between: Dist::exponential(up * H).unwrap(),
                repair: Dist::exponential(repair * H).unwrap(),
                units: 1,
                rng: Streams::new(c.seed, 0).stream(99),
            }),
            on_capacity_drop: if c.preempt {
                CapacityDrop::Preempt
            } else {
                CapacityDrop::FinishCurrent
            },
        },
        system_limit: c.limit,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn station_invariants_hold_after_every_event(c in case()) {
        let cfg = build(&c);
        let mut kernel = Kernel::new();
        let mut st = Station::new(&cfg, &mut kernel, Streams::new(c.seed, 0)).unwrap();
        let pool = st.pool();
        let length = RunLength { warmup: Duration::from_days(2), horizon: Duration::from_days(20) };
        let mut last = Time::ZERO;
        let mut last_in_use = 0;
        let mut failures: Vec<String> = Vec::new();
        // The observer cannot see the station while it runs, so the model-side checks use
        // what the kernel shows; conservation is checked at the end.
        let end = run_observed(&mut st, &mut kernel, length, |k, e| {
            let p = k.pool(pool);
            if k.now() < last { failures.push(format!("time went back at {e:?}")); }
            if p.in_use() > p.nominal() { failures.push(format!("{} in use > nominal", p.in_use())); }
            if c.preempt && p.in_use() > p.available() {
                failures.push(format!("preempt: {} in use > {} available", p.in_use(), p.available()));
            }
            if !c.preempt && p.in_use() > last_in_use && p.in_use() > p.available() {
                failures.push(format!("granted beyond capacity: {} in use, {} available", p.in_use(), p.available()));
            }
            last = k.now();
            last_in_use = p.in_use();
        });
        assert_eq!(end, cgtsim::engine::RunEnd::Completed);
        prop_assert!(failures.is_empty(), "{:?}", &failures[..failures.len().min(3)]);
        let p = kernel.pool(pool);
        prop_assert_eq!(u64::from(p.in_use()), st.in_system() - p.queue_len() as u64);
        let [arrived, departed, abandoned, blocked] = st.lifetime;
        prop_assert_eq!(arrived, departed + abandoned + blocked + st.in_system());
        prop_assert_eq!(st.in_system_area(kernel.now()), st.sojourn_area(kernel.now()));
    }

    #[test]
    fn event_list_matches_a_sorted_reference(ops in prop::collection::vec((0u8..4, 0u64..1000), 1..400)) {
        let mut q: EventQueue<u32> = EventQueue::new();
        let mut reference: Vec<(u64, u64, u32)> = Vec::new(); // (time, seq, id)
        let mut timers = Vec::new();
        let mut seq = 0u64;
        let mut now = 0u64;
        for (i, &(op, x)) in ops.iter().enumerate() {
            let id = i as u32;
            match op {
                0 => { q.push(Time::from_ticks(now + x), id); reference.push((now + x, seq, id)); seq += 1; }
                1 => {
                    let t = q.push_cancellable(Time::from_ticks(now + x), id);
                    timers.push((t, id));
                    reference.push((now + x, seq, id));
                    seq += 1;
                }
                2 if !timers.is_empty() => {
                    let (t, tid) = timers.swap_remove(x as usize % timers.len());
                    let live = reference.iter().position(|r| r.2 == tid);
                    prop_assert_eq!(q.cancel(t), live.is_some());
                    if let Some(at) = live { reference.remove(at); }
                }
                _ => {
                    reference.sort();
                    let want = if reference.is_empty() { None } else { Some(reference.remove(0)) };
                    let got = q.pop();
                    prop_assert_eq!(got.map(|(t, e)| (t.ticks(), e)), want.map(|(t, _, e)| (t, e)));
                    if let Some((t, _)) = got { now = t.ticks(); }
                }
            }
            prop_assert_eq!(q.len(), reference.len());
        }
    }
}

#[test]
fn replications_do_not_depend_on_thread_count() {
    use rayon::prelude::*;
    let cfg = StationConfig::mmc(4.5, 1.0, 5).unwrap();
    let one = |r: u64| {
        let f = crate::support::run_station(&cfg, Streams::new(5, r), 10, 200);
        (
            f.station.class_stats()[0].wait.mean().to_bits(),
            f.kernel.events_processed(),
        )
    };
    let sequential: Vec<_> = (0..16).map(one).collect();
    for threads in [1, 2, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let parallel: Vec<_> = pool.install(|| (0..16).into_par_iter().map(one).collect());
        assert_eq!(parallel, sequential, "{threads} threads");
    }
}
