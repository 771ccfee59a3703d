//! A multi-class G/G/c/K queueing station written on the engine: the yardstick model.
//!
//! Customers of one or more classes arrive in renewal streams, wait for one unit of a pool
//! (priority by class, FIFO within a class), are served, and leave. Optional: a limit K on
//! customers in the system (arrivals beyond it are blocked and lost), a patience per class
//! (a customer still waiting when patience runs out abandons the queue; the patience clock
//! runs from arrival and stops at the start of service), and everything a pool can do
//! (calendars, breakdowns, preempt-resume).
//!
//! It exists so that the engine can be checked against queueing theory (M/M/1, M/M/c,
//! M/D/1, M/G/1, M/M/c/K, priority, abandonment) and benchmarked as reference model A
//! ("mmc") of `shared/reference-models.md`. The first arrival of each class comes one
//! interarrival time after zero. Statistics follow that document: waits and sojourn
//! times are tallied when the customer *departs* inside the window.
//!
//! This module must not do I/O; it knows nothing of cell therapy.

use crate::engine::{
    Dist, Duration, Kernel, Model, PoolId, PoolSpec, RequestId, Rng, Streams, Tally, Time,
    TimeWeighted, Timer, pool::PoolError, source_id,
};

/// One class of customers. Durations are in clock ticks (see [`Dist::scaled`]).
#[derive(Clone, Debug)]
pub struct CustomerClass {
    /// Time between arrivals.
    pub interarrival: Dist,
    /// Service time.
    pub service: Dist,
    /// Priority at the pool (higher is served first).
    pub priority: i32,
    /// Time a waiting customer will wait before abandoning, if limited.
    pub patience: Option<Dist>,
}

/// A station: classes of customers sharing one pool of servers.
#[derive(Clone, Debug)]
pub struct StationConfig {
    /// Customer classes.
    pub classes: Vec<CustomerClass>,
    /// The servers.
    pub servers: PoolSpec,
    /// Most customers in the system (waiting + in service); `None`: unlimited.
    pub system_limit: Option<u32>,
}

impl StationConfig {
    /// An M/M/c queue: Poisson arrivals at `rate` per day, exponential service with mean
    /// `service_days`, `c` servers always available, FIFO, no limit. Model A of
    /// `shared/reference-models.md` is `mmc(4.5, 1.0, 5)`.
    pub fn mmc(
        rate: f64,
        service_days: f64,
        c: u32,
    ) -> Result<StationConfig, crate::engine::DistError> {
        let day = crate::engine::time::TICKS_PER_DAY as f64;
        Ok(StationConfig {
            classes: vec![CustomerClass {
                interarrival: Dist::exponential(day / rate)?,
                service: Dist::exponential(day * service_days)?,
                priority: 0,
                patience: None,
            }],
            servers: PoolSpec::fixed(c),
            system_limit: None,
        })
    }
}

/// The events of the station.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StationEvent {
    /// A customer of class `.0` arrives.
    Arrival(u16),
    /// Customer `.0` finishes service.
    Departure(u32),
    /// Customer `.0` runs out of patience.
    Abandon(u32),
}

#[derive(Clone, Copy, Debug)]
struct Customer {
    class: u16,
    arrived: Time,
    /// First start of service (`Time::NEVER` until then).
    started: Time,
    request: RequestId,
    /// Pending patience timer while waiting; pending departure while in service (only
    /// kept when service can be preempted).
    timer: Option<Timer>,
    /// When the current stretch of service ends (preemptive pools only).
    stretch_end: Time,
    /// Service still to do after a preemption.
    remaining: Option<Duration>,
}

const NEW_CUSTOMER: Customer = Customer {
    class: 0,
    arrived: Time::ZERO,
    started: Time::NEVER,
    request: RequestId::UNSET,
    timer: None,
    stretch_end: Time::NEVER,
    remaining: None,
};

/// Per-class results over the statistics window.
#[derive(Clone, Debug, Default)]
pub struct ClassStats {
    /// Customers that arrived in the window (blocked ones included).
    pub arrived: u64,
    /// Customers that departed after service in the window.
    pub served: u64,
    /// Arrivals refused because the system was full.
    pub blocked: u64,
    /// Customers that abandoned the queue in the window.
    pub abandoned: u64,
    /// Of the served: how many waited at all.
    pub waited: u64,
    /// Wait from arrival to (first) start of service of served customers, in days.
    pub wait: Tally,
    /// Time in system of served customers, in days.
    pub sojourn: Tally,
}

/// The station model.
pub struct Station {
    classes: Vec<CustomerClass>,
    pool: PoolId,
    preemptive: bool,
    limit: u32,
    arrival_rng: Vec<Rng>,
    service_rng: Vec<Rng>,
    patience_rng: Vec<Rng>,
    customers: Vec<Customer>,
    free: Vec<u32>,
    live: Vec<bool>,
    in_system: TimeWeighted,
    window_start: Time,
    /// Sum over customers of their time in system inside the window, in ticks.
    sojourn_area: u128,
    stats: Vec<ClassStats>,
    /// Lifetime counts (never reset): arrived, departed, abandoned, blocked.
    pub lifetime: [u64; 4],
}

impl Station {
    /// Builds the station and its pool on `kernel`, with streams from `streams`.
    pub fn new(
        cfg: &StationConfig,
        kernel: &mut Kernel<StationEvent>,
        streams: Streams,
    ) -> Result<Station, PoolError> {
        let preemptive = cfg.servers.on_capacity_drop == crate::engine::CapacityDrop::Preempt;
        let pool = kernel.add_pool(cfg.servers.clone())?;
        let n = cfg.classes.len();
        let rng = |what: &str| {
            (0..n)
                .map(|i| streams.stream(source_id(&format!("class{i}.{what}"))))
                .collect::<Vec<_>>()
        };
        Ok(Station {
            classes: cfg.classes.clone(),
            pool,
            preemptive,
            limit: cfg.system_limit.unwrap_or(u32::MAX),
            arrival_rng: rng("arrivals"),
            service_rng: rng("service"),
            patience_rng: rng("patience"),
            customers: Vec::with_capacity(256),
            free: Vec::with_capacity(256),
            live: Vec::with_capacity(256),
            in_system: TimeWeighted::new(Time::ZERO, 0),
            window_start: Time::ZERO,
            sojourn_area: 0,
            stats: vec![ClassStats::default(); n],
            lifetime: [0; 4],
        })
    }

    /// The pool of servers.
    pub fn pool(&self) -> PoolId {
        self.pool
    }

    /// Results per class.
    pub fn class_stats(&self) -> &[ClassStats] {
        &self.stats
    }

    /// Customers in the system now.
    pub fn in_system(&self) -> u64 {
        self.in_system.value()
    }

    /// Time-average number in system over the window up to `now`.
    pub fn mean_in_system(&self, now: Time) -> f64 {
        self.in_system.mean(now)
    }

    /// Exact integral of the number in system over the window up to `now` (ticks).
    pub fn in_system_area(&self, now: Time) -> u128 {
        self.in_system.area(now)
    }

    /// Sum over all customers of their time in system inside the window up to `now`,
    /// counted customer by customer (ticks). Equals [`Station::in_system_area`]: the
    /// sample-path form of Little's law.
    pub fn sojourn_area(&self, now: Time) -> u128 {
        let open: u128 = (0..self.customers.len())
            .filter(|&i| self.live[i])
            .map(|i| {
                u128::from(
                    now.since(self.customers[i].arrived.max(self.window_start))
                        .ticks(),
                )
            })
            .sum();
        self.sojourn_area + open
    }

    fn sample(dist: &Dist, rng: &mut Rng) -> Duration {
        Duration::from_ticks_f64(dist.sample(rng))
    }

    fn leave(&mut self, c: u32, now: Time) {
        let cust = self.customers[c as usize];
        self.sojourn_area += u128::from(now.since(cust.arrived.max(self.window_start)).ticks());
        self.in_system.decrement(now);
        self.live[c as usize] = false;
        self.free.push(c);
    }

    fn start_service(&mut self, c: u32, k: &mut Kernel<StationEvent>) {
        let now = k.now();
        let cust = &mut self.customers[c as usize];
        if let Some(t) = cust.timer.take() {
            k.cancel(t); // the patience clock stops at the start of service
        }
        let class = cust.class as usize;
        let service = match cust.remaining.take() {
            Some(rest) => rest,
            None => {
                cust.started = now;
                Self::sample(&self.classes[class].service, &mut self.service_rng[class])
            }
        };
        if self.preemptive {
            cust.timer = Some(k.schedule_cancellable_in(service, StationEvent::Departure(c)));
            cust.stretch_end = now + service;
        } else {
            k.schedule_in(service, StationEvent::Departure(c));
        }
    }
}

impl Model for Station {
    type Event = StationEvent;

    fn start(&mut self, k: &mut Kernel<StationEvent>) {
        for (i, class) in self.classes.iter().enumerate() {
            let first = Self::sample(&class.interarrival, &mut self.arrival_rng[i]);
            k.schedule_in(first, StationEvent::Arrival(i as u16));
        }
    }

    fn handle(&mut self, event: StationEvent, k: &mut Kernel<StationEvent>) {
        let now = k.now();
        match event {
            StationEvent::Arrival(class) => {
                let ci = class as usize;
                let next = Self::sample(&self.classes[ci].interarrival, &mut self.arrival_rng[ci]);
                k.schedule_in(next, StationEvent::Arrival(class));
                self.stats[ci].arrived += 1;
                self.lifetime[0] += 1;
                if self.in_system.value() >= u64::from(self.limit) {
                    self.stats[ci].blocked += 1;
                    self.lifetime[3] += 1;
                    return;
                }
                let c = match self.free.pop() {
                    Some(c) => c,
                    None => {
                        self.customers.push(NEW_CUSTOMER);
                        self.live.push(true);
                        self.customers.len() as u32 - 1
                    }
                };
                self.in_system.increment(now);
                self.live[c as usize] = true;
                let timer = self.classes[ci]
                    .patience
                    .as_ref()
                    .map(|p| Self::sample(p, &mut self.patience_rng[ci]))
                    .map(|p| k.schedule_cancellable_in(p, StationEvent::Abandon(c)));
                self.customers[c as usize] = Customer {
                    class,
                    arrived: now,
                    timer,
                    ..NEW_CUSTOMER
                };
                let prio = self.classes[ci].priority;
                self.customers[c as usize].request =
                    k.request(&[(self.pool, 1)], prio, u64::from(c));
            }
            StationEvent::Departure(c) => {
                let cust = self.customers[c as usize];
                k.release(cust.request);
                let s = &mut self.stats[cust.class as usize];
                s.served += 1;
                let wait = cust.started.since(cust.arrived);
                if wait > Duration::ZERO {
                    s.waited += 1;
                }
                s.wait.record(wait.as_days());
                s.sojourn.record(now.since(cust.arrived).as_days());
                self.lifetime[1] += 1;
                self.leave(c, now);
            }
            StationEvent::Abandon(c) => {
                let cust = self.customers[c as usize];
                let withdrawn = k.withdraw(cust.request);
                debug_assert!(
                    withdrawn,
                    "patience timers are cancelled at the start of service"
                );
                self.stats[cust.class as usize].abandoned += 1;
                self.lifetime[2] += 1;
                self.leave(c, now);
            }
        }
    }

    fn granted(&mut self, token: u64, k: &mut Kernel<StationEvent>) {
        self.start_service(token as u32, k);
    }

    fn preempted(&mut self, token: u64, k: &mut Kernel<StationEvent>) {
        let now = k.now();
        let cust = &mut self.customers[token as usize];
        if let Some(t) = cust.timer.take() {
            k.cancel(t); // the departure that will not happen now
        }
        cust.remaining = Some(cust.stretch_end.since(now));
    }

    fn reset_statistics(&mut self, now: Time) {
        self.in_system.reset(now);
        self.window_start = now;
        self.sojourn_area = 0;
        for s in &mut self.stats {
            *s = ClassStats::default();
        }
    }
}
