//! Golden traces: deterministic runs whose every event time was computed by hand.
//!
//! The station: one arrival every hour from 01:00 (fixed interarrival), service 3 h fixed,
//! two servers. The servers' calendar drops to one unit on [04:30, 08:00) (a dated
//! exception); a breakdown takes one unit down at 10:00 (fixed 10 h up time from the start)
//! for a 2 h repair. The run ends at 14:00: events at 14:00 are not processed.
//!
//! Simultaneous events: a calendar change comes before every other event of its instant;
//! the others leave in the order they were scheduled: the first breakdown (scheduled at
//! the start) before departures scheduled hours earlier, which come before arrivals
//! scheduled an hour earlier.
//!
//! Two more hand-computed cases pin down the order at a shift's boundary, each run with
//! quiet pools applying their calendar changes late (the default) and with every change
//! an event: a shift closing at 16:00 does not serve an arrival at 16:00 (scheduled
//! long before the change's event); changes of one instant come in the order of their
//! pools, even when one of them is applied late by a quiet pool; a pool whose calendar
//! waited while its work went on catches up when a preemption puts its request back in
//! its queue.
//!
//! Customers are named c1, c2... by arrival; the trace shows the station's customer slots
//! (`Departure(slot)`), which are recycled last-freed-first.

use cgtsim::engine::time::TICKS_PER_HOUR;
use cgtsim::engine::{
    Breakdowns, Calendar, CapacityDrop, Dist, Duration, Event, Exception, Kernel, Model, PoolEvent,
    PoolId, PoolSpec, RunLength, Shift, Streams, Time, run, run_observed,
};
use cgtsim::station::{CustomerClass, Station, StationConfig, StationEvent};

const H: f64 = TICKS_PER_HOUR as f64;

fn hours(h: f64) -> Time {
    Time::from_ticks((h * H) as u64)
}

fn config(policy: CapacityDrop) -> StationConfig {
    let half_past_four = hours(4.5);
    let calendar = Calendar::new(
        Duration::ZERO,
        &[],
        2,
        &[Exception::once(half_past_four, hours(8.0), 1)],
    )
    .unwrap();
    StationConfig {
        classes: vec![CustomerClass {
            interarrival: Dist::fixed(H).unwrap(),
            service: Dist::fixed(3.0 * H).unwrap(),
            priority: 0,
            patience: None,
        }],
        servers: PoolSpec {
            capacity: 2,
            calendar: Some(calendar.into()),
            breakdowns: Some(Breakdowns {
                time_between: Dist::fixed(10.0 * H).unwrap(),
                repair: Dist::fixed(2.0 * H).unwrap(),
                units: 1,
                rng: Streams::new(0, 0).stream(0),
            }),
            on_capacity_drop: policy,
        },
        system_limit: None,
    }
}

/// Runs the station and returns its trace as (hours, event) plus the finished model.
fn trace(policy: CapacityDrop, warmup: f64) -> (Vec<(f64, String)>, Station, Kernel<StationEvent>) {
    let mut kernel = Kernel::new();
    let mut station = Station::new(&config(policy), &mut kernel, Streams::new(1, 0)).unwrap();
    let length = RunLength {
        warmup: Duration::from_ticks((warmup * H) as u64),
        horizon: Duration::from_ticks(((14.0 - warmup) * H) as u64),
    };
    let mut log = Vec::new();
    let end = run_observed(&mut station, &mut kernel, length, |k, e| {
        let name = match e {
            Event::Model(StationEvent::Arrival(_)) => "A".to_string(),
            Event::Model(StationEvent::Departure(c)) => format!("D{c}"),
            Event::Model(StationEvent::Abandon(c)) => format!("X{c}"),
            Event::Pool(PoolEvent::CalendarChange(PoolId(0))) => "cal".to_string(),
            Event::Pool(PoolEvent::Breakdown(_)) => "down".to_string(),
            Event::Pool(PoolEvent::Repair(_)) => "up".to_string(),
            other => format!("{other:?}"),
        };
        log.push((k.now().ticks() as f64 / H, name));
    });
    assert_eq!(end, cgtsim::engine::RunEnd::Completed);
    (log, station, kernel)
}

fn expected(rows: &[(f64, &str)]) -> Vec<(f64, String)> {
    rows.iter().map(|&(t, e)| (t, e.to_string())).collect()
}

#[test]
fn finish_current_through_a_calendar_drop_and_a_breakdown() {
    // c1 01-04, c2 02-05, c3 waits 03-04 then 04-07. At 04:30 capacity drops to 1 with two
    // in service: both finish. c2 leaves at 05:00 (1 in use = capacity: c4 keeps waiting).
    // c3 leaves at 07:00 -> c4 07-10. At 08:00 capacity is 2 again -> c5 08-11. At 10:00 a
    // unit breaks with c4, c5 in service: both finish; c4 leaves at 10:00 (1 in use = 1
    // available). c5 leaves at 11:00 -> c6 11-14. Repair at 12:00 -> c7 12-15.
    let (log, st, k) = trace(CapacityDrop::FinishCurrent, 0.0);
    #[rustfmt::skip]
    let want = expected(&[
        (1.0, "A"), (2.0, "A"), (3.0, "A"), (4.0, "D0"), (4.0, "A"), (4.5, "cal"),
        (5.0, "D1"), (5.0, "A"), (6.0, "A"), (7.0, "D2"), (7.0, "A"), (8.0, "cal"), (8.0, "A"),
        (9.0, "A"), (10.0, "down"), (10.0, "D0"), (10.0, "A"), (11.0, "D1"), (11.0, "A"),
        (12.0, "up"), (12.0, "A"), (13.0, "A"),
    ]);
    assert_eq!(log, want);
    let end = k.now();
    assert_eq!(end, hours(14.0));
    assert!(k.pending_events() > 0, "events at 14:00 stay unprocessed");
    let s = &st.class_stats()[0];
    assert_eq!((s.arrived, s.served), (13, 5));
    // Waits of served c1..c5: 0, 0, 1, 3, 3 h.
    assert!((s.wait.mean() - (7.0 / 5.0) / 24.0).abs() < 1e-15); // Welford rounding
    let pool = k.pool(st.pool());
    // Grants c1..c7 waited 0, 0, 1, 3, 3, 5, 5 h.
    assert_eq!(pool.grants(), 7);
    assert!((pool.wait().mean() - (17.0 / 7.0) / 24.0).abs() < 1e-15);
    // Units in use: 20 unit-hours; available: 2*4.5 + 3.5 + 2*2 + 2 + 2*2 = 22.5.
    assert_eq!(pool.utilisation_available(end), 20.0 / 22.5);
    assert_eq!(pool.utilisation_nominal(end), 20.0 / 28.0);
    assert_eq!(pool.mean_available(end), 22.5 / 14.0);
    assert_eq!(
        (pool.available(), pool.in_use(), pool.queue_len()),
        (2, 2, 6)
    );
}

#[test]
fn preempt_resume_through_a_calendar_drop_and_a_breakdown() {
    // At 04:30 capacity drops to 1 with c2 (granted 02:00) and c3 (granted 04:00) in
    // service: the latest granted, c3, is interrupted with 2.5 h to go and waits ahead of c4.
    // c2 leaves at 05:00 -> c3 resumes 05:00-07:30 -> c4 07:30-10:30. Capacity 2 at 08:00 ->
    // c5 08:00-11:00. At 10:00 a unit breaks: c5 (granted last) is interrupted with 1 h to go;
    // c4 leaves at 10:30 -> c5 resumes 10:30-11:30 -> c6 11:30. Repair at 12:00 -> c7 12:00.
    let (log, st, k) = trace(CapacityDrop::Preempt, 0.0);
    #[rustfmt::skip]
    let want = expected(&[
        (1.0, "A"), (2.0, "A"), (3.0, "A"), (4.0, "D0"), (4.0, "A"), (4.5, "cal"),
        (5.0, "D1"), (5.0, "A"), (6.0, "A"), (7.0, "A"), (7.5, "D2"), (8.0, "cal"), (8.0, "A"),
        (9.0, "A"), (10.0, "down"), (10.0, "A"), (10.5, "D0"), (11.0, "A"), (11.5, "D1"),
        (12.0, "up"), (12.0, "A"), (13.0, "A"),
    ]);
    assert_eq!(log, want);
    let end = k.now();
    let s = &st.class_stats()[0];
    assert_eq!((s.arrived, s.served), (13, 5));
    // First-start waits of c1..c5: 0, 0, 1, 3.5, 3 h.
    assert!((s.wait.mean() - (7.5 / 5.0) / 24.0).abs() < 1e-15);
    let pool = k.pool(st.pool());
    assert_eq!((pool.grants(), pool.preemptions()), (9, 2));
    // Waits per grant: c1 0, c2 0, c3 1, c3 again 0.5, c4 3.5, c5 3, c5 again 0.5, c6 5.5,
    // c7 5 h.
    assert!((pool.wait().mean() - (19.0 / 9.0) / 24.0).abs() < 1e-15);
    // In use: 1 + 2*2.5 + 0.5 + 2.5 + 0.5 + 2*2 + 0.5 + 1 + 0.5 + 2*2 = 19.5 unit-hours.
    assert_eq!(pool.utilisation_available(end), 19.5 / 22.5);
    assert_eq!(pool.utilisation_nominal(end), 19.5 / 28.0);
}

#[test]
fn an_event_at_the_warmup_instant_counts_and_one_at_the_end_does_not() {
    // With warm-up 04:00 the reset happens before the 04:00 events, so c1's departure at
    // 04:00 is in the window: c1..c5 served. One microsecond later it is not.
    let (_, st, _) = trace(CapacityDrop::FinishCurrent, 4.0);
    assert_eq!(st.class_stats()[0].served, 5);
    assert_eq!(st.class_stats()[0].arrived, 10, "arrivals 04:00..13:00");
    let (_, st, _) = trace(CapacityDrop::FinishCurrent, 4.0 + 1.0 / H);
    assert_eq!(st.class_stats()[0].served, 4);
}

#[test]
fn same_seed_same_trace_bit_for_bit() {
    let run = |seed| {
        let cfg = StationConfig::mmc(4.5, 1.0, 5).unwrap();
        let mut kernel = Kernel::new();
        let mut st = Station::new(&cfg, &mut kernel, Streams::new(seed, 3)).unwrap();
        let mut times = Vec::new();
        let length = RunLength {
            warmup: Duration::from_days(10),
            horizon: Duration::from_days(100),
        };
        let end = run_observed(&mut st, &mut kernel, length, |k, _| {
            times.push(k.now().ticks())
        });
        assert_eq!(end, cgtsim::engine::RunEnd::Completed);
        (times, st.class_stats()[0].wait.mean().to_bits())
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

/// A calendar of one unit on a daily shift from `start` to `end` (hours; past midnight
/// when `end <= start`), none otherwise.
fn daily(start: u64, end: u64) -> Calendar {
    let shift = Shift {
        days: 0b111_1111,
        start: Duration::from_hours(start),
        end: Duration::from_hours(end),
        capacity: 1,
    };
    Calendar::new(Duration::ZERO, &[shift], 0, &[]).unwrap()
}

#[test]
fn a_shift_closing_at_an_arrival_does_not_serve_it() {
    // One server on 08:00-16:00; arrivals every 16 h from 16:00, service 1 h. The change
    // at 16:00 comes first, although the arrival's event was scheduled at the start and
    // the change's at 08:00: c1 (16:00) waits for 08:00 the next day and is served
    // 08:00-09:00; c2 arrives at 08:00 and waits for c1. The run ends at 47:00.
    for lazy in [true, false] {
        let cfg = StationConfig {
            classes: vec![CustomerClass {
                interarrival: Dist::fixed(16.0 * H).unwrap(),
                service: Dist::fixed(H).unwrap(),
                priority: 0,
                patience: None,
            }],
            servers: PoolSpec {
                capacity: 1,
                calendar: Some(daily(8, 16).into()),
                breakdowns: None,
                on_capacity_drop: CapacityDrop::FinishCurrent,
            },
            system_limit: None,
        };
        let mut k = Kernel::new();
        k.set_lazy_calendars(lazy);
        let mut st = Station::new(&cfg, &mut k, Streams::new(1, 0)).unwrap();
        let length = RunLength {
            warmup: Duration::ZERO,
            horizon: Duration::from_hours(47),
        };
        assert_eq!(
            run(&mut st, &mut k, length),
            cgtsim::engine::RunEnd::Completed
        );
        let pool = k.pool(st.pool());
        // Waits 16 h and 1 h.
        assert_eq!(pool.grants(), 2, "lazy {lazy}");
        assert!(
            (pool.wait().mean() - 8.5 / 24.0).abs() < 1e-15,
            "lazy {lazy}"
        );
        // Open 08:00-16:00 and 32:00-40:00: 16 unit-hours of 47.
        assert_eq!(pool.mean_available(k.now()), 16.0 / 47.0, "lazy {lazy}");
    }
}

/// Waits for pool `first` from the start; once granted, asks for pool `then` and notes
/// when each grant came (hours).
struct Relay {
    first: PoolId,
    then: PoolId,
    granted: Vec<f64>,
}

impl Model for Relay {
    type Event = ();
    fn start(&mut self, k: &mut Kernel<()>) {
        k.request(&[(self.first, 1)], 0, 1);
    }
    fn handle(&mut self, _: (), _: &mut Kernel<()>) {}
    fn granted(&mut self, token: u64, k: &mut Kernel<()>) {
        self.granted.push(k.now().ticks() as f64 / H);
        if token == 1 {
            k.request(&[(self.then, 1)], 0, 2);
        }
    }
}

#[test]
fn changes_of_one_instant_come_in_the_order_of_their_pools() {
    // Pool "opens" is open 08:00-20:00, pool "closes" 20:00-08:00. At 08:00 "opens" grants
    // the relay, which at once asks for "closes". If "closes" is numbered first, its
    // change at 08:00 came before: it is closed, and grants at 20:00. If it is numbered
    // after "opens", its change is still to come: it grants at 08:00 (and finishes the
    // work when it closes). "closes" is idle until then: with lazy calendars it applies
    // the change late, and must get the same answer.
    for lazy in [true, false] {
        for closes_first in [true, false] {
            let mut k = Kernel::new();
            k.set_lazy_calendars(lazy);
            let spec = |cal: Calendar| PoolSpec {
                capacity: 1,
                calendar: Some(cal.into()),
                breakdowns: None,
                on_capacity_drop: CapacityDrop::FinishCurrent,
            };
            let (first, then) = if closes_first {
                let closes = k.add_pool(spec(daily(20, 8))).unwrap();
                (k.add_pool(spec(daily(8, 20))).unwrap(), closes)
            } else {
                let opens = k.add_pool(spec(daily(8, 20))).unwrap();
                (opens, k.add_pool(spec(daily(20, 8))).unwrap())
            };
            let mut relay = Relay {
                first,
                then,
                granted: Vec::new(),
            };
            let length = RunLength {
                warmup: Duration::ZERO,
                horizon: Duration::from_hours(30),
            };
            assert_eq!(
                run(&mut relay, &mut k, length),
                cgtsim::engine::RunEnd::Completed
            );
            let want = if closes_first {
                [8.0, 20.0]
            } else {
                [8.0, 8.0]
            };
            assert_eq!(
                relay.granted, want,
                "lazy {lazy}, closes first {closes_first}"
            );
        }
    }
}

/// Holds pools `a` and `b` from the start (one request for both), never releasing;
/// notes when it is granted and preempted (hours).
struct Holder {
    a: PoolId,
    b: PoolId,
    granted: Vec<f64>,
    preempted: Vec<f64>,
}

impl Model for Holder {
    type Event = ();
    fn start(&mut self, k: &mut Kernel<()>) {
        k.request(&[(self.a, 1), (self.b, 1)], 0, 1);
    }
    fn handle(&mut self, _: (), _: &mut Kernel<()>) {}
    fn granted(&mut self, _: u64, k: &mut Kernel<()>) {
        self.granted.push(k.now().ticks() as f64 / H);
    }
    fn preempted(&mut self, _: u64, k: &mut Kernel<()>) {
        self.preempted.push(k.now().ticks() as f64 / H);
    }
}

#[test]
fn a_preemption_puts_work_back_where_the_calendar_has_moved_on() {
    // A request holds "preempts" (one unit, none on [10:00, 12:00), preempt policy) and
    // "finishes" (one unit, none on [09:00, 14:00), work in progress finishes) from 00:00.
    // At 09:00 "finishes" closes around the work; at 10:00 "preempts" drops and
    // interrupts it, and the request waits in both queues. At 12:00 "preempts" is back,
    // but "finishes" is closed until 14:00: granted again at 14:00. With lazy calendars
    // "finishes" lets its 09:00 change wait while it works (no request waits there), and
    // must catch it up when the preemption queues the request there again.
    for lazy in [true, false] {
        let mut k = Kernel::new();
        k.set_lazy_calendars(lazy);
        let closed = |from, to| {
            let off = Exception::once(hours(from), hours(to), 0);
            Calendar::new(Duration::ZERO, &[], 1, &[off]).unwrap()
        };
        let pool = |calendar: Calendar, on_capacity_drop| PoolSpec {
            capacity: 1,
            calendar: Some(calendar.into()),
            breakdowns: None,
            on_capacity_drop,
        };
        let a = k
            .add_pool(pool(closed(10.0, 12.0), CapacityDrop::Preempt))
            .unwrap();
        let b = k
            .add_pool(pool(closed(9.0, 14.0), CapacityDrop::FinishCurrent))
            .unwrap();
        let mut holder = Holder {
            a,
            b,
            granted: Vec::new(),
            preempted: Vec::new(),
        };
        let length = RunLength {
            warmup: Duration::ZERO,
            horizon: Duration::from_hours(20),
        };
        let mut last = Time::ZERO;
        let mut went_back = false;
        let end = run_observed(&mut holder, &mut k, length, |k, _| {
            went_back |= k.now() < last;
            last = k.now();
        });
        assert_eq!(end, cgtsim::engine::RunEnd::Completed);
        assert!(!went_back, "time went back (lazy {lazy})");
        assert_eq!(holder.granted, [0.0, 14.0], "lazy {lazy}");
        assert_eq!(holder.preempted, [10.0], "lazy {lazy}");
        // "finishes" was available 00:00-09:00 and 14:00-20:00: 15 of 20 hours.
        assert_eq!(
            k.pool(b).mean_available(k.now()),
            15.0 / 20.0,
            "lazy {lazy}"
        );
    }
}
