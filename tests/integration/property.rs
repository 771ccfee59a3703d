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
//! The same stations read the same at the end whether quiet pools apply their calendar
//! changes late (the default) or every change is an event.
//!
//! And the future-event list is checked against a sorted-vector reference model.
//!
//! Random facility `Spec`s (several products, multi-pool requests, touch time, parallel
//! assays, rework, patience, staffed calendars, changeovers, breakdowns, make-to-stock,
//! a lab booked ahead)
//! run through the model, with a check after every event: time never decreases, units
//! in use never exceed nominal capacity and a grant never takes units that are not
//! available; at the end, patients and orders are conserved, utilisation split by product
//! adds up to the working utilisation, a lab booked ahead is never found taken at the
//! start of a window, and results are bit-identical on 1 and 2 threads.

use cgtsim::engine::time::TICKS_PER_HOUR;
use cgtsim::engine::{
    Breakdowns, Calendar, CapacityDrop, Dist, Duration, EventQueue, Exception, Kernel, PoolSpec,
    RunLength, Shift, Streams, Time, run, run_observed,
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

/// The case's shift calendar, if it has one, with `exceptions`.
fn calendar(c: &Case, exceptions: &[Exception]) -> Option<Calendar> {
    c.shift.map(|(start, end, extra)| {
        let shift = Shift {
            days: 0b111_1111,
            start: Duration::from_hours(start),
            end: Duration::from_hours(end),
            capacity: extra,
        };
        Calendar::new(Duration::ZERO, &[shift], 1, exceptions).unwrap()
    })
}

fn build(c: &Case) -> StationConfig {
    let calendar = calendar(c, &[]);
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
            calendar: calendar.map(Into::into),
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
    fn quiet_pools_changing_late_read_the_same(c in case(), holiday in any::<bool>()) {
        // A quiet pool applies its calendar changes when next used and integrates its
        // available capacity only when read, at a breakdown or once it is busy: every
        // reading must be the one of a run in which each change is an event. The run is
        // not stepped (a pause catches every pool up), and a day closed every week
        // (`holiday`) puts exceptions in the integrals.
        let mut cfg = build(&c);
        if holiday {
            let closed = Exception {
                from: Time::from_days(3),
                to: Time::from_days(4),
                capacity: 0,
                repeat: Some(Duration::from_days(7)),
            };
            cfg.servers.calendar = calendar(&c, &[closed]).map(Into::into);
        }
        let length = RunLength { warmup: Duration::from_days(2), horizon: Duration::from_days(20) };
        let readings = |lazy: bool| {
            let mut kernel = Kernel::new();
            kernel.set_lazy_calendars(lazy);
            let mut st = Station::new(&cfg, &mut kernel, Streams::new(c.seed, 0)).unwrap();
            assert_eq!(run(&mut st, &mut kernel, length), cgtsim::engine::RunEnd::Completed);
            let (p, now) = (kernel.pool(st.pool()), kernel.now());
            let means = [p.mean_available(now), p.mean_busy(now), p.mean_queue(now), p.utilisation_available(now), p.wait().mean()];
            (means.map(f64::to_bits), p.lifetime_areas(now), p.grants(), p.preemptions(), st.lifetime, st.in_system_area(now))
        };
        prop_assert_eq!(readings(true), readings(false));
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

mod facility {
    use cgtsim::engine::{
        CapacityDrop, Dist, Duration, Exception, Kernel, RunEnd, RunLength, Streams, Time,
        run_observed,
    };
    use cgtsim::experiment::simulate;
    use cgtsim::model::{
        Allogeneic, Arrivals, Assay, Blueprint, Booking, BreakdownSpec, CalendarSpec, Facility,
        Failure, Late, Policy, ProductSpec, Replication, ResourceSpec, ShiftSpec, Spec, Staffing,
        StepKind, StepSpec, Task, metric_names, run_replication, run_replication_every_change,
    };
    use proptest::prelude::*;

    const DAY: f64 = cgtsim::engine::time::TICKS_PER_DAY as f64;

    fn days(d: f64) -> Dist {
        Dist::exponential(d * DAY).unwrap()
    }

    fn resource() -> impl Strategy<Value = ResourceSpec> {
        (
            1u32..=4,
            any::<bool>(),
            0u8..3,
            prop::option::of((2.0f64..30.0, 0.2f64..3.0)),
            0u64..24,
            1u64..23,
        )
            .prop_map(|(capacity, changeover, calendar, breakdowns, start, len)| {
                ResourceSpec {
                    name: String::new(),
                    capacity,
                    changeover: changeover.then(|| days(0.3)),
                    calendar: (calendar > 0).then(|| CalendarSpec {
                        week_start: Duration::ZERO,
                        base: 0,
                        shifts: vec![ShiftSpec {
                            days: if calendar == 1 {
                                0b001_1111
                            } else {
                                0b111_1111
                            },
                            start: Duration::from_hours(start),
                            end: Duration::from_hours((start + len) % 24),
                            staffing: Staffing::All,
                        }],
                        exceptions: vec![Exception {
                            repeat: Some(Duration::from_days(60)),
                            ..Exception::once(Time::from_days(20), Time::from_days(23), 0)
                        }],
                    }),
                    breakdowns: breakdowns.map(|(up, repair)| BreakdownSpec {
                        time_between: days(up),
                        repair: days(repair),
                        units: 1,
                    }),
                    on_capacity_drop: CapacityDrop::FinishCurrent,
                }
            })
    }

    /// A task on up to two of `n` resources, with touch time on a third sometimes.
    fn task(n: usize) -> impl Strategy<Value = Task> {
        (
            prop::collection::vec(0..n, 0..=2),
            prop::option::of(0..n),
            0.2f64..6.0,
        )
            .prop_map(|(mut uses, touch, mean)| {
                uses.sort();
                uses.dedup();
                let touch = touch.filter(|t| !uses.contains(t));
                Task {
                    uses: uses.into_iter().map(|r| (r, 1)).collect(),
                    touch_uses: touch.iter().map(|&r| (r, 1)).collect(),
                    duration: days(mean),
                    touch: touch.map(|_| Dist::uniform(0.05 * DAY, 0.3 * DAY).unwrap()),
                }
            })
    }

    fn steps(n: usize) -> impl Strategy<Value = Vec<StepSpec>> {
        prop::collection::vec(
            (
                task(n),
                prop::option::of(0.0f64..0.5),
                prop::collection::vec(task(n), 0..=3),
            ),
            1..=4,
        )
        .prop_map(|list| {
            list.into_iter()
                .enumerate()
                .map(|(i, (task, fail, assays))| StepSpec {
                    name: format!("s{i}"),
                    slot: None,
                    seize: vec![],
                    release: vec![],
                    booking: None,
                    at: Default::default(),
                    kind: if assays.is_empty() {
                        let failure = fail.map(|p| Failure {
                            probability: p,
                            retry_from: i / 2,
                            max_attempts: 3,
                        });
                        StepKind::Work(task, failure)
                    } else {
                        StepKind::Assays(
                            assays
                                .into_iter()
                                .enumerate()
                                .map(|(j, task)| Assay {
                                    name: format!("a{j}"),
                                    task,
                                    failure: fail.map(|p| Failure {
                                        probability: p / 2.0,
                                        retry_from: 0,
                                        max_attempts: 2,
                                    }),
                                })
                                .collect(),
                        )
                    },
                })
                .collect()
        })
    }

    fn product(n: usize) -> impl Strategy<Value = ProductSpec> {
        (
            0.5f64..8.0,
            prop::option::of(1.0f64..20.0),
            prop::collection::vec(-1i32..2, n),
            steps(n),
            prop::option::of((5u32..40, 0i64..30)),
        )
            .prop_map(
                move |(interarrival, patience, priority, steps, allo)| ProductSpec {
                    name: String::new(),
                    arrivals: Arrivals::Renewal(days(interarrival)),
                    window: None,
                    patience: patience.map(days),
                    priority,
                    milestones: vec![],
                    score: None,
                    demand: Vec::new(),
                    hazards: vec![],
                    allogeneic: allo.map(|(doses, level)| Allogeneic {
                        doses: Dist::fixed(f64::from(doses)).unwrap(),
                        order_size: 1,
                        policy: Policy::ReorderPoint {
                            level,
                            max_in_production: Some(2),
                        },
                        stock_capacity: u64::MAX,
                        shelf_life: None,
                        delivery: vec![StepSpec {
                            name: "d".into(),
                            slot: None,
                            seize: vec![],
                            release: vec![],
                            booking: None,
                            at: Default::default(),
                            kind: StepKind::Work(
                                Task {
                                    uses: vec![],
                                    touch_uses: vec![],
                                    duration: days(0.5),
                                    touch: None,
                                },
                                None,
                            ),
                        }],
                    }),
                    steps,
                },
            )
    }

    fn spec() -> impl Strategy<Value = Spec> {
        prop::collection::vec(resource(), 1..=4)
            .prop_flat_map(|resources| {
                let n = resources.len();
                (
                    Just(resources),
                    prop::collection::vec(product(n), 1..=3),
                    60u64..200,
                    prop::option::of((
                        1u32..=3,
                        0.0f64..5.0,
                        prop::option::of(1.0f64..20.0),
                        any::<bool>(),
                    )),
                )
            })
            .prop_map(|(mut resources, mut products, horizon, booking)| {
                for (i, r) in resources.iter_mut().enumerate() {
                    r.name = format!("r{i}");
                }
                for (i, p) in products.iter_mut().enumerate() {
                    p.name = format!("p{i}");
                }
                // A lab booked ahead at the end of every autologous chain.
                if let Some((capacity, lead, deadline, postpone)) = booking {
                    let lab = resources.len();
                    resources.push(ResourceSpec {
                        name: format!("r{lab}"),
                        capacity,
                        changeover: None,
                        calendar: None,
                        breakdowns: None,
                        on_capacity_drop: CapacityDrop::FinishCurrent,
                    });
                    for p in &mut products {
                        p.priority.push(0);
                        if p.allogeneic.is_some() {
                            continue;
                        }
                        p.steps.push(StepSpec {
                            name: "booked".into(),
                            at: Default::default(),
                            slot: None,
                            seize: vec![],
                            release: vec![],
                            booking: Some(Booking {
                                lead: Duration::from_days_f64(lead),
                                deadline: deadline.map(|d| Duration::from_days_f64(lead + d)),
                                late: if postpone {
                                    Late::Postpone
                                } else {
                                    Late::Refuse
                                },
                            }),
                            kind: StepKind::Work(
                                Task {
                                    uses: vec![(lab, 1)],
                                    touch_uses: vec![],
                                    duration: days(2.0),
                                    touch: None,
                                },
                                None,
                            ),
                        });
                    }
                }
                Spec {
                    resources,
                    products,
                    warmup: Duration::ZERO,
                    horizon: Duration::from_days(horizon),
                    until_empty: false,
                    timeseries: None,
                    slots: vec![],
                    network: Default::default(),
                    costs: None,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn random_facilities_keep_their_invariants(spec in spec(), seed in any::<u64>()) {
            prop_assert_eq!(spec.validate(), Ok(()));
            let mut k = Kernel::new();
            let blueprint = Blueprint::new(&spec).unwrap();
            let mut f = Facility::new(&blueprint, &mut k, Streams::new(seed, 0)).unwrap();
            let mut failures: Vec<String> = Vec::new();
            let mut last = Time::ZERO;
            // Units in use after the previous event (grants made at time zero, before the
            // first event, are not seen: the first event only sets the baseline).
            let mut in_use: Vec<Option<u32>> = vec![None; spec.resources.len()];
            let length = RunLength { warmup: Duration::ZERO, horizon: spec.horizon };
            let end = run_observed(&mut f, &mut k, length, |k, e| {
                if k.now() < last { failures.push(format!("time went back at {e:?}")); }
                last = k.now();
                for (i, p) in k.pools().iter().enumerate() {
                    if p.in_use() + p.in_changeover() > p.nominal() {
                        failures.push(format!("r{i}: {} in use > nominal {}", p.in_use(), p.nominal()));
                    }
                    if in_use[i].is_some_and(|before| p.in_use() > before)
                        && p.in_use() + p.in_changeover() > p.available()
                    {
                        failures.push(format!("r{i}: a grant took units that were not available: at {} after {e:?}, in use {}, changeover {}, available {}", k.now(), p.in_use(), p.in_changeover(), p.available()));
                    }
                    in_use[i] = Some(p.in_use());
                }
            });
            prop_assert_eq!(end, RunEnd::Completed);
            prop_assert!(failures.is_empty(), "{:?}", &failures[..failures.len().min(5)]);
            let names = metric_names(&spec);
            let values = f.results(&k);
            let get = |n: &str| values[names.iter().position(|m| m.name == n).unwrap_or_else(|| panic!("{n}"))];
            for p in &spec.products {
                let b = format!("products.{}", p.name);
                if p.allogeneic.is_none() {
                    let refused = if p.steps.iter().any(|s| s.booking.is_some()) {
                        // No grant at all gives no mean wait (NaN).
                        let wait = get(&format!("resources.{}.wait.mean", spec.resources.last().unwrap().name));
                        prop_assert!(wait.is_nan() || wait == 0.0, "a booked unit was taken: waits {}", wait);
                        get(&format!("{b}.bookings.booked.refused"))
                    } else {
                        0.0
                    };
                    let out = get(&format!("{b}.completed")) + get(&format!("{b}.lost")) + get(&format!("{b}.dropped_out")) + get(&format!("{b}.wip_end")) + refused;
                    prop_assert_eq!(get(&format!("{b}.arrived")), out, "patients of {}", p.name);
                    prop_assert_eq!(get(&format!("{b}.left")) + get(&format!("{b}.wip_end")), get(&format!("{b}.arrived")));
                } else {
                    let out = get(&format!("{b}.orders.infused")) + get(&format!("{b}.orders.lost")) + get(&format!("{b}.orders.wip_end"));
                    prop_assert_eq!(get(&format!("{b}.orders.arrived")), out, "orders of {}", p.name);
                }
            }
            for r in &spec.resources {
                let split: f64 = spec.products.iter().map(|p| get(&format!("resources.{}.utilisation.by_product.{}", r.name, p.name))).sum();
                let working = get(&format!("resources.{}.utilisation_working", r.name));
                prop_assert!((split - working).abs() < 1e-9, "{}: split {} vs working {}", r.name, split, working);
            }
            let threads = |n: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
                pool.install(|| simulate(&spec, seed, 4, || {}, || false).unwrap())
                    .into_iter()
                    .map(|r| r.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            };
            prop_assert_eq!(threads(1), threads(2));
            // Quiet pools applying their calendar changes late change no result.
            let bits = |r: Result<Replication, _>| r.map(|r| (r.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), r.events)).map_err(|e: cgtsim::model::RunError| e.to_string());
            let lazy = bits(run_replication(&spec, Streams::new(seed, 1)));
            let every = bits(run_replication_every_change(&spec, Streams::new(seed, 1)));
            match (lazy, every) {
                (Ok((a, events_lazy)), Ok((b, events_every))) => {
                    prop_assert_eq!(a, b);
                    prop_assert!(events_lazy <= events_every);
                }
                (a, b) => prop_assert_eq!(a.map(|r| r.0), b.map(|r| r.0)),
            }
        }
    }
}

mod calendars {
    use cgtsim::engine::{Calendar, Duration, Shift, Time};
    use proptest::prelude::*;

    fn shift() -> impl Strategy<Value = Shift> {
        // Midnight often: shifts that end at 00:00 on a Sunday are the week's edge case.
        let time = || prop_oneof![Just(0u64), 0u64..1440];
        (1u8..128, time(), time(), 0u32..6).prop_map(|(days, start, end, capacity)| Shift {
            days,
            start: Duration::from_minutes(start),
            end: Duration::from_minutes(end),
            capacity,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// Every week schedules exactly the unit-hours its shifts promise: for each shift,
        /// its days x its length (past midnight when the end is not after the start, so
        /// 00:00-00:00 is 24 hours) x its units, plus the base all week, whatever the
        /// weekday the run starts on and whichever week is measured.
        #[test]
        fn a_week_holds_the_unit_hours_of_its_shifts(
            shifts in prop::collection::vec(shift(), 0..5),
            base in 0u32..3,
            start_day in 0u64..7,
            week in 0u64..60,
        ) {
            let c = Calendar::new(Duration::from_days(start_day), &shifts, base, &[]).unwrap();
            let minutes: u64 = shifts
                .iter()
                .map(|s| u64::from(s.days.count_ones()) * s.length().ticks() / 60_000_000 * u64::from(s.capacity))
                .sum::<u64>()
                + u64::from(base) * 7 * 24 * 60;
            let from = Time::from_days(7 * week);
            let scheduled = c.unit_ticks(from, Time::from_days(7 * week + 7)) / 60_000_000;
            prop_assert_eq!(scheduled, u128::from(minutes));
        }
    }
}
