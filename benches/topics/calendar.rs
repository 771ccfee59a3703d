//! What a calendar costs: an M/M/5 station (lambda = 3 per day, mean service 1 day) over
//! 20,000 days with a fixed pool, against the same pool following a weekly calendar (5
//! units on weekdays 07:00-19:00, 3 otherwise) with a dated holiday every 100 days.
//! Throughput is in events per second, calendar events included; the difference in time
//! per simulated day is the calendar's cost.
use cgtsim::engine::{
    Calendar, Duration, Exception, Kernel, RunLength, Shift, Streams, Time, calendar::WEEKDAYS, run,
};
use cgtsim::station::{Station, StationConfig};
use criterion::{Criterion, Throughput, criterion_group};
use std::hint::black_box;

const DAYS: u64 = 20_000;

fn config(with_calendar: bool) -> StationConfig {
    let mut cfg = StationConfig::mmc(3.0, 1.0, 5).unwrap();
    if with_calendar {
        let day_shift = Shift {
            days: WEEKDAYS,
            start: Duration::from_hours(7),
            end: Duration::from_hours(19),
            capacity: 2,
        };
        let holidays: Vec<Exception> = (1..DAYS / 100)
            .map(|i| Exception {
                from: Time::from_days(i * 100),
                to: Time::from_days(i * 100 + 1),
                capacity: 3,
            })
            .collect();
        cfg.servers.calendar =
            Some(Calendar::new(Duration::ZERO, &[day_shift], 3, &holidays).unwrap());
    }
    cfg
}

fn simulate(cfg: &StationConfig) -> u64 {
    let mut kernel = Kernel::new();
    let mut st = Station::new(cfg, &mut kernel, Streams::new(1, 0)).unwrap();
    run(
        &mut st,
        &mut kernel,
        RunLength {
            warmup: Duration::ZERO,
            horizon: Duration::from_days(DAYS),
        },
    );
    kernel.events_processed()
}

fn calendar(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool_calendar");
    g.sample_size(20);
    for (name, with) in [("fixed_pool", false), ("weekly_calendar", true)] {
        let cfg = config(with);
        g.throughput(Throughput::Elements(simulate(&cfg)));
        g.bench_function(name, |b| b.iter(|| black_box(simulate(&cfg))));
    }
    g.finish();
}

criterion_group!(group, calendar);
