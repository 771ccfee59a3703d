//! Reference model B ("cart", shared/reference-models.md) as a lean loop: the yardstick
//! measured beside `model_b/cart_b1`, as `lean_loop_a1` is beside model A. A
//! single-purpose loop: f64 days, a (time, seq)-ordered binary heap, FIFO deques, the
//! patients in a vector, only the completions and their vein-to-vein time kept. Its
//! events are E1..E9 of the reference document (the changeover end, E5, included), the
//! same work that cgtsim counts.
use cgtsim::engine::{Rng, Streams};
use rand::Rng as _;
use rand_distr::{Distribution, LogNormal, Triangular};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

#[derive(Clone, Copy)]
enum Kind {
    Arrival,
    ApheresisEnd(u32),
    AtFacility(u32),
    ManufacturingEnd(u32),
    ChangeoverEnd,
    QcEnd(u32),
    SterilityEnd(u32),
    ReleaseEnd(u32),
    AtHospital(u32),
}

struct Ev(f64, u64, Kind);

impl PartialEq for Ev {
    fn eq(&self, o: &Self) -> bool {
        self.1 == o.1
    }
}
impl Eq for Ev {}
impl PartialOrd for Ev {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ev {
    /// Reversed: the heap's top is the earliest event.
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}

/// A pool of identical units with a FIFO queue of patients.
struct Pool {
    free: u32,
    queue: VecDeque<u32>,
}

/// One replication of `warmup + horizon` days with `suites` suites: (model events,
/// patients completed in the window, their mean vein-to-vein time in days).
pub fn run(warmup: f64, horizon: f64, suites: u32, seed: u64) -> (u64, u64, f64) {
    let mut rng = Streams::new(seed, 0).stream(0);
    let unit = |rng: &mut Rng| ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
    let sigma = (1.0f64 + 0.3 * 0.3).ln().sqrt();
    let courier = LogNormal::new(-sigma * sigma / 2.0, sigma).unwrap();
    let manufacturing = Triangular::new(8.0, 14.0, 10.0).unwrap();
    let end = warmup + horizon;
    let mut heap = BinaryHeap::with_capacity(1024);
    let mut seq = 0u64;
    let mut at = |heap: &mut BinaryHeap<Ev>, t: f64, k: Kind| {
        seq += 1;
        heap.push(Ev(t, seq, k));
    };
    let mut patients: Vec<(f64, bool)> = Vec::new(); // (arrival, failed once)
    let (mut suite, mut analyst, mut qp) = (
        Pool {
            free: suites,
            queue: VecDeque::new(),
        },
        Pool {
            free: 6,
            queue: VecDeque::new(),
        },
        Pool {
            free: 2,
            queue: VecDeque::new(),
        },
    );
    let (mut events, mut completed, mut v2v) = (0u64, 0u64, 0.0);
    at(&mut heap, -unit(&mut rng).ln() / 2.0, Kind::Arrival);
    while let Some(Ev(t, _, kind)) = heap.pop() {
        if t >= end {
            break;
        }
        events += 1;
        match kind {
            Kind::Arrival => {
                at(&mut heap, t - unit(&mut rng).ln() / 2.0, Kind::Arrival);
                patients.push((t, false));
                at(
                    &mut heap,
                    t + 1.0,
                    Kind::ApheresisEnd(patients.len() as u32 - 1),
                );
            }
            Kind::ApheresisEnd(p) => {
                at(&mut heap, t + courier.sample(&mut rng), Kind::AtFacility(p))
            }
            Kind::AtFacility(p) => {
                if suite.free > 0 {
                    suite.free -= 1;
                    at(
                        &mut heap,
                        t + manufacturing.sample(&mut rng),
                        Kind::ManufacturingEnd(p),
                    );
                } else {
                    suite.queue.push_back(p);
                }
            }
            Kind::ManufacturingEnd(p) => {
                at(&mut heap, t + 1.0, Kind::ChangeoverEnd);
                if unit(&mut rng) < 0.05 {
                    let failed_before = std::mem::replace(&mut patients[p as usize].1, true);
                    if !failed_before {
                        at(&mut heap, t + 1.0, Kind::ApheresisEnd(p)); // re-collection
                    }
                } else if analyst.free > 0 {
                    analyst.free -= 1;
                    at(&mut heap, t + 0.5, Kind::QcEnd(p));
                } else {
                    analyst.queue.push_back(p);
                }
            }
            Kind::ChangeoverEnd => match suite.queue.pop_front() {
                Some(p) => at(
                    &mut heap,
                    t + manufacturing.sample(&mut rng),
                    Kind::ManufacturingEnd(p),
                ),
                None => suite.free += 1,
            },
            Kind::QcEnd(p) => {
                at(&mut heap, t + 7.0, Kind::SterilityEnd(p));
                match analyst.queue.pop_front() {
                    Some(q) => at(&mut heap, t + 0.5, Kind::QcEnd(q)),
                    None => analyst.free += 1,
                }
            }
            Kind::SterilityEnd(p) => {
                if qp.free > 0 {
                    qp.free -= 1;
                    at(&mut heap, t + 0.1, Kind::ReleaseEnd(p));
                } else {
                    qp.queue.push_back(p);
                }
            }
            Kind::ReleaseEnd(p) => {
                at(&mut heap, t + courier.sample(&mut rng), Kind::AtHospital(p));
                match qp.queue.pop_front() {
                    Some(q) => at(&mut heap, t + 0.1, Kind::ReleaseEnd(q)),
                    None => qp.free += 1,
                }
            }
            Kind::AtHospital(p) => {
                if t >= warmup {
                    completed += 1;
                    v2v += t - patients[p as usize].0;
                }
            }
        }
    }
    (events, completed, v2v / completed as f64)
}
