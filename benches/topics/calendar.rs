//! What calendars cost.
//!
//! - `calendar_changes_only`: a pool whose calendar changes capacity every hour (168
//!   changes a week) and no customers, over 100 years, with every change an event (an
//!   idle pool (a quiet one) would otherwise apply them only when read, and this is the cost of one
//!   change as an event: work out the next boundary, update the pool's time averages,
//!   schedule the next change). The throughput is calendar changes per second.
//! - `idle_calendar_read_at_end`: the same pool as the default runs it: idle all along,
//!   it applies the 876,000 changes when the results are read at the end; throughput in
//!   changes per second again.
//! - `fixed_pool` vs `weekly_calendar`: an M/M/5 station (lambda 3 per day, mean service
//!   1 day) over 20,000 days with a fixed pool, and with a weekly calendar (5 units on
//!   weekdays 07:00-19:00, 3 otherwise) plus a holiday every 100 days. Fewer servers at
//!   night also means longer queues, so this is the cost of a calendar in a real model.
use cgtsim::engine::calendar::{EVERY_DAY, WEEKDAYS};
use cgtsim::engine::{
    Calendar, Dist, Duration, Exception, Kernel, PoolSpec, RunLength, Shift, Streams, Time, run,
};
use cgtsim::station::{CustomerClass, Station, StationConfig};
use criterion::{Criterion, Throughput, criterion_group};
use std::hint::black_box;

const DAYS: u64 = 20_000;

fn station(with_calendar: bool) -> StationConfig {
    let mut cfg = StationConfig::mmc(3.0, 1.0, 5).unwrap();
    if with_calendar {
        let day_shift = Shift {
            days: WEEKDAYS,
            start: Duration::from_hours(7),
            end: Duration::from_hours(19),
            capacity: 2,
        };
        let holidays: Vec<Exception> = (1..DAYS / 100)
            .map(|i| Exception::once(Time::from_days(i * 100), Time::from_days(i * 100 + 1), 3))
            .collect();
        cfg.servers.calendar = Some(
            Calendar::new(Duration::ZERO, &[day_shift], 3, &holidays)
                .unwrap()
                .into(),
        );
    }
    cfg
}

/// One unit on even hours, two on odd hours, every day; no customer ever arrives.
fn hourly_calendar_only() -> StationConfig {
    let shifts: Vec<Shift> = (0..12)
        .map(|i| Shift {
            days: EVERY_DAY,
            start: Duration::from_hours(2 * i + 1),
            end: Duration::from_hours((2 * i + 2) % 24), // 24:00 is written 00:00
            capacity: 1,
        })
        .collect();
    let never = Dist::fixed(1e30).unwrap();
    StationConfig {
        classes: vec![CustomerClass {
            interarrival: never.clone(),
            service: never,
            priority: 0,
            patience: None,
        }],
        servers: PoolSpec {
            calendar: Some(
                Calendar::new(Duration::ZERO, &shifts, 1, &[])
                    .unwrap()
                    .into(),
            ),
            ..PoolSpec::fixed(2)
        },
        system_limit: None,
    }
}

fn simulate(cfg: &StationConfig, days: u64) -> u64 {
    simulate_with(cfg, days, true)
}

/// Runs the station for `days`; `lazy`: quiet pools apply calendar changes when read.
fn simulate_with(cfg: &StationConfig, days: u64, lazy: bool) -> u64 {
    let mut kernel = Kernel::new();
    kernel.set_lazy_calendars(lazy);
    let mut st = Station::new(cfg, &mut kernel, Streams::new(1, 0)).unwrap();
    let length = RunLength {
        warmup: Duration::ZERO,
        horizon: Duration::from_days(days),
    };
    let end = run(&mut st, &mut kernel, length);
    assert_eq!(end, cgtsim::engine::RunEnd::Completed);
    kernel.events_processed()
}

fn calendar(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool_calendar");
    g.sample_size(20);
    let hourly = hourly_calendar_only();
    let changes = simulate_with(&hourly, 36_500, false);
    g.throughput(Throughput::Elements(changes));
    g.bench_function("calendar_changes_only", |b| {
        b.iter(|| black_box(simulate_with(&hourly, 36_500, false)))
    });
    assert_eq!(
        simulate(&hourly, 36_500),
        0,
        "an idle pool's changes are no events"
    );
    g.bench_function("idle_calendar_read_at_end", |b| {
        b.iter(|| black_box(simulate(&hourly, 36_500)))
    });
    for (name, with) in [("fixed_pool", false), ("weekly_calendar", true)] {
        let cfg = station(with);
        g.throughput(Throughput::Elements(simulate(&cfg, DAYS)));
        g.bench_function(name, |b| b.iter(|| black_box(simulate(&cfg, DAYS))));
    }
    g.finish();
}

criterion_group!(group, calendar);
