//! The future-event list alone: the classic "hold" benchmark. The list is filled to a
//! steady-state size n; each operation pops the earliest event and schedules one at that
//! time plus an exponential increment, so the size stays n. Throughput: hold operations
//! (one pop plus one push) per second, at n = 10^2, 10^4 and 10^6.
use cgtsim::engine::{Dist, EventQueue, Streams, Time};
use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use std::hint::black_box;

const OPS: u64 = 100_000;

fn filled(n: usize) -> (EventQueue<u32>, cgtsim::engine::Rng, Dist) {
    let mut rng = Streams::new(1, 0).stream(0);
    let inc = Dist::exponential(1e6).unwrap();
    let mut q = EventQueue::with_capacity(n + 1);
    for i in 0..n {
        q.push(Time::from_ticks(inc.sample(&mut rng) as u64 * 10), i as u32);
    }
    // Let the shape of the heap reach its steady state before measuring.
    for _ in 0..n.min(200_000) {
        let (t, e) = q.pop().unwrap();
        q.push(Time::from_ticks(t.ticks() + inc.sample(&mut rng) as u64), e);
    }
    (q, rng, inc)
}

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_list_hold");
    g.throughput(Throughput::Elements(OPS));
    for n in [100usize, 10_000, 1_000_000] {
        let (q0, rng0, inc) = filled(n);
        g.bench_function(format!("n={n}"), |b| {
            b.iter_batched_ref(
                || (q0.clone(), rng0.clone()),
                |(q, rng)| {
                    for _ in 0..OPS {
                        let (t, e) = q.pop().unwrap();
                        q.push(Time::from_ticks(t.ticks() + inc.sample(rng) as u64), e);
                    }
                    black_box(q.len())
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(group, hold);
