//! Yardsticks for the speed of the path users run (issue 13): reference models A and B
//! as single-purpose loops, which `scripts/bench-peers.sh` measures in instructions per
//! model event beside `cgtsim run` of the same scenario files.
//!
//! - `a-bare DAYS`: model A (M/M/5, rho 0.9, warm-up 1,000 days) on cgtsim's own event
//!   list, random streams and distributions, keeping only the mean wait: what the
//!   engine's pieces cost with no statistics and no model machinery.
//! - `a-stats DAYS`: the same loop keeping the statistics the facility model keeps for
//!   model A's pool and product, with cgtsim's own types: the pool's waits (a `Tally`:
//!   moments, minimum, maximum and a quantile sketch), its busy units and queue length,
//!   work in progress (time-weighted), the vein-to-vein times (a `Tally`), and the sums
//!   of waits and work; reset at the end of the warm-up. What is left between this and
//!   `cgtsim run` is the general model: pools with priorities, calendars and requests of
//!   several pools, step chains, failure rules, entities and their records.
//! - `b DAYS`: model B (the CAR-T chain, 28 suites, warm-up 365 days) as the lean loop
//!   of `benches/topics/lean_b.rs`, the criterion yardstick of `model_b`.
//!
//! Each prints one JSON line with its model events and a result to check it by.
//!
//! ```sh
//! cargo run --release --example yardsticks -- a-stats 20000
//! ```

#[path = "../benches/topics/lean_b.rs"]
#[allow(dead_code)] // (the bench module's criterion group is not used here)
mod lean_b;

use cgtsim::engine::{Dist, Duration, EventQueue, Streams, Tally, Time, TimeWeighted};
use std::collections::VecDeque;

const DAY: f64 = cgtsim::engine::time::TICKS_PER_DAY as f64;
const SERVERS: u64 = 5;

#[derive(Clone, Copy)]
enum Ev {
    Arrival,
    /// The end of a customer's service.
    End(u32),
}

/// What `a-stats` keeps: the facility's statistics for one pool and one product.
struct Stats {
    wait: Tally,
    v2v: Tally,
    busy: TimeWeighted,
    queue: TimeWeighted,
    wip: TimeWeighted,
    grants: u64,
    completed: u64,
    waited: u128,
    worked: u128,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            wait: Tally::new(),
            v2v: Tally::new(),
            busy: TimeWeighted::new(Time::ZERO, 0),
            queue: TimeWeighted::new(Time::ZERO, 0),
            wip: TimeWeighted::new(Time::ZERO, 0),
            grants: 0,
            completed: 0,
            waited: 0,
            worked: 0,
        }
    }

    fn reset(&mut self, now: Time) {
        self.wait.reset();
        self.v2v.reset();
        self.busy.reset(now);
        self.queue.reset(now);
        self.wip.reset(now);
        (self.grants, self.completed, self.waited, self.worked) = (0, 0, 0, 0);
    }
}

/// Model A for `days` days in all: (model events, mean wait in days, p90 of the
/// vein-to-vein time in days: NaN without statistics).
fn model_a(days: u64, keep: bool) -> (u64, f64, f64) {
    let warmup = Time::from_days(1_000);
    let end = Time::from_days(days);
    let streams = Streams::new(1, 0);
    let (mut arrivals, mut services) = (streams.stream(1), streams.stream(2));
    let gap = Dist::exponential(DAY / 4.5).expect("a positive mean");
    let service = Dist::exponential(DAY).expect("a positive mean");
    let mut events = EventQueue::new();
    let mut queue: VecDeque<(u32, Time)> = VecDeque::new();
    // Per customer: arrival and start of service; free slots are reused.
    let (mut customers, mut free) = (Vec::<(Time, Time)>::new(), Vec::<u32>::new());
    let (mut busy, mut count, mut stats) = (0u64, 0u64, Stats::new());
    let (mut waits, mut served, mut warm) = (0.0, 0u64, false);
    events.push(
        Time::ZERO + Duration::from_ticks_f64(gap.sample(&mut arrivals)),
        Ev::Arrival,
    );
    while let Some((now, ev)) = events.pop_before(end) {
        count += 1;
        if !warm && now >= warmup {
            warm = true;
            stats.reset(warmup);
            (waits, served) = (0.0, 0);
        }
        match ev {
            Ev::Arrival => {
                let next = now + Duration::from_ticks_f64(gap.sample(&mut arrivals));
                events.push(next, Ev::Arrival);
                let c = match free.pop() {
                    Some(c) => {
                        customers[c as usize] = (now, now);
                        c
                    }
                    None => {
                        customers.push((now, now));
                        customers.len() as u32 - 1
                    }
                };
                if keep {
                    stats.wip.increment(now);
                }
                if busy < SERVERS {
                    busy += 1;
                    served += 1;
                    if keep {
                        stats.busy.set(now, busy);
                        stats.wait.record(0.0);
                        stats.grants += 1;
                    }
                    let done = now + Duration::from_ticks_f64(service.sample(&mut services));
                    events.push(done, Ev::End(c));
                } else {
                    queue.push_back((c, now));
                    if keep {
                        stats.queue.set(now, queue.len() as u64);
                    }
                }
            }
            Ev::End(c) => {
                let (arrived, started) = customers[c as usize];
                free.push(c);
                if keep {
                    stats.wip.decrement(now);
                    stats.completed += 1;
                    stats.v2v.record(now.since(arrived).as_days());
                    stats.waited += u128::from(started.since(arrived).ticks());
                    stats.worked += u128::from(now.since(started).ticks());
                }
                if let Some((next, since)) = queue.pop_front() {
                    let waited = now.since(since);
                    waits += waited.as_days();
                    served += 1;
                    customers[next as usize].1 = now;
                    if keep {
                        stats.queue.set(now, queue.len() as u64);
                        stats.wait.record(waited.as_days());
                        stats.grants += 1;
                    }
                    let done = now + Duration::from_ticks_f64(service.sample(&mut services));
                    events.push(done, Ev::End(next));
                } else {
                    busy -= 1;
                    if keep {
                        stats.busy.set(now, busy);
                    }
                }
            }
        }
    }
    let p90 = if keep {
        stats.v2v.quantile(0.9)
    } else {
        f64::NAN
    };
    (count, waits / served as f64, p90)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: yardsticks (a-bare | a-stats | b) DAYS";
    let (Some(which), Some(days)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let Ok(days) = days.parse::<u64>() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    match which.as_str() {
        "a-bare" | "a-stats" => {
            let (events, wq, p90) = model_a(days, which == "a-stats");
            let p90 = if p90.is_nan() {
                "null".to_string()
            } else {
                format!("{p90:.4}")
            };
            println!(r#"{{"events": {events}, "wq": {wq:.4}, "v2v_p90": {p90}}}"#);
        }
        "b" => {
            let (events, completed, v2v) = lean_b::run(365.0, days as f64 - 365.0, 28, 1);
            println!(r#"{{"events": {events}, "completed": {completed}, "v2v": {v2v:.4}}}"#);
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
