//! One replication of a scenario: patients flowing through their product's chain of steps
//! on shared resource pools.
//!
//! **A patient** is one batch of an autologous product. It arrives (first collection),
//! walks its chain step by step, and leaves completed (infused: vein-to-vein time is
//! recorded), lost (a step failed more often than allowed) or dropped out (patience ran
//! out while waiting). Vein-to-vein runs from arrival to the end of the last step,
//! through any rework.
//!
//! **A work step** requests its resources all-or-nothing (at the product's priority on
//! the first resource it names), then works for `duration`. Its `uses` are held for the
//! whole duration; its `touch_uses` only for the hands-on `touch` time at the start (the
//! work lasts at least that long). Releasing a resource with a changeover keeps the unit
//! busy for a changeover draw.
//!
//! **An assay step** (QC release) starts all its assays at once; each waits for its own
//! resources and works like a work step. The step ends when every assay has reported. If
//! any failed, the failure rule of the first failing assay (in the order listed) applies.
//!
//! **Failure and rework.** At the end of a step with a failure rule, the step fails with
//! its probability. The chain then restarts at the rule's `retry_from` step, unless this
//! step has now failed `max_attempts` times, in which case the patient is lost.
//!
//! **Patience.** A product with patience draws it once per patient on arrival. The
//! patience clock runs only while the patient waits in a queue for a work step's
//! resources (cumulated over the whole chain; QC assay queues do not count); when it runs
//! out the patient leaves unserved (dropped out).
//!
//! **Statistics** cover the window `[warmup, warmup + horizon)`: arrivals, completions,
//! losses and drop-outs are counted when they happen in the window; vein-to-vein and its
//! decomposition by step (waiting, working) are tallied for patients completed in the
//! window. A step's waiting time is the time from its start to the grant of its resources
//! (for an assay step, the longest assay wait); its working time is the rest.
//!
//! This module must not parse files or print.

use super::metrics::metric_names;
use super::spec::{Arrivals, Failure, Spec, StepKind, Task};
use crate::engine::dist::unit;
use crate::engine::pool::MAX_NEEDS;
use crate::engine::{
    Breakdowns, Dist, Duration, Kernel, Model, PoolId, PoolSpec, RequestId, Rng, Streams, Tally,
    Time, Timer, source_id,
};

/// Events of the facility model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    /// A patient of product `.0` arrives.
    Arrival(u16),
    /// Patient `.0`'s hands-on time of its work step ends (its resources are released).
    TouchEnd(u32),
    /// Patient `.0`'s work step ends.
    WorkEnd(u32),
    /// Patient `.0`'s hands-on time of assay `.1` ends.
    AssayTouchEnd(u32, u16),
    /// Patient `.0`'s assay `.1` reports.
    AssayEnd(u32, u16),
    /// Patient `.0` runs out of patience while waiting.
    OutOfPatience(u32),
}

/// A task (a work step, or one assay) with its pools and its random streams.
struct TaskRt {
    /// `uses` then `touch_uses`.
    needs: Vec<(PoolId, u32)>,
    /// The pools released at the end of the touch time (`touch_uses`).
    touch_pools: Vec<PoolId>,
    /// True when some pool is held for the whole work (`uses` not empty).
    holds_to_end: bool,
    priority: i32,
    duration: Dist,
    touch: Option<Dist>,
    failure: Option<Failure>,
    duration_rng: Rng,
    touch_rng: Rng,
    failure_rng: Rng,
}

/// Per product: streams, task layout and statistics.
struct ProductRt {
    arrival_rng: Rng,
    patience_rng: Rng,
    /// First task of each step (assays: consecutive tasks).
    step_task: Vec<usize>,
    arrived: u64,
    completed: u64,
    lost: u64,
    dropped_out: u64,
    v2v: Tally,
    /// Sums over patients completed in the window, per step, in days.
    step_wait: Vec<f64>,
    step_work: Vec<f64>,
}

/// What a patient is waiting for or doing right now (only for patients in the system).
#[derive(Clone, Copy, Debug)]
struct Patient {
    product: u16,
    step: u16,
    arrived: Time,
    step_start: Time,
    /// Work step: the request and whether its units are still held.
    request: RequestId,
    holding: bool,
    granted: Time,
    /// Assay step: assays still running, longest assay wait, first failed assay.
    outstanding: u16,
    longest_wait: Duration,
    first_failed: Option<u16>,
    /// Patience left (Duration::MAX-like when unlimited) and the running patience timer.
    patience_left: Duration,
    patience_timer: Option<Timer>,
}

/// Per patient and assay.
#[derive(Clone, Copy, Debug)]
struct AssaySlot {
    request: RequestId,
    holding: bool,
}

const UNLIMITED: Duration = Duration::from_ticks(u64::MAX);

/// One replication of a [`Spec`], ready to run on a kernel.
pub struct Facility<'s> {
    spec: &'s Spec,
    changeover_rng: Vec<Rng>,
    tasks: Vec<TaskRt>,
    products: Vec<ProductRt>,
    patients: Vec<Patient>,
    live: Vec<bool>,
    free: Vec<u32>,
    /// Failures so far, per patient slot and task: `attempts[slot * n_tasks + task]`.
    attempts: Vec<u16>,
    /// Per patient slot and step, accumulated over attempts: (wait, work) in ticks.
    step_times: Vec<(u64, u64)>,
    max_steps: usize,
    assays: Vec<AssaySlot>,
    max_assays: usize,
}

impl<'s> Facility<'s> {
    /// Builds the model and its pools on `kernel`, drawing from `streams`.
    pub fn new(spec: &'s Spec, kernel: &mut Kernel<Ev>, streams: Streams) -> Facility<'s> {
        for r in &spec.resources {
            let breakdowns = r
                .breakdowns
                .as_ref()
                .map(|(between, repair, units)| Breakdowns {
                    time_between: between.clone(),
                    repair: repair.clone(),
                    units: *units,
                    rng: streams.stream(source_id(&format!("resources.{}.breakdowns", r.name))),
                });
            let pool = PoolSpec {
                capacity: r.capacity,
                calendar: r.calendar.clone(),
                breakdowns,
                on_capacity_drop: r.on_capacity_drop,
            };
            kernel
                .add_pool(pool)
                .expect("the scenario compiler checks pools");
        }
        let changeover_rng = spec
            .resources
            .iter()
            .map(|r| streams.stream(source_id(&format!("resources.{}.changeover", r.name))))
            .collect();
        let mut tasks = Vec::new();
        let mut products = Vec::new();
        let mut max_assays = 0;
        for p in &spec.products {
            let name =
                |what: &str| streams.stream(source_id(&format!("products.{}.{what}", p.name)));
            let mut step_task = Vec::with_capacity(p.steps.len());
            for s in &p.steps {
                step_task.push(tasks.len());
                let mut add = |task: &Task, failure: Option<Failure>, path: String| {
                    let needs: Vec<(PoolId, u32)> = task
                        .uses
                        .iter()
                        .chain(&task.touch_uses)
                        .map(|&(r, u)| (PoolId(r as u32), u))
                        .collect();
                    assert!(
                        needs.len() <= MAX_NEEDS,
                        "the scenario compiler limits resources per step"
                    );
                    let priority = needs.first().map_or(0, |&(r, _)| p.priority[r.0 as usize]);
                    tasks.push(TaskRt {
                        needs,
                        touch_pools: task
                            .touch_uses
                            .iter()
                            .map(|&(r, _)| PoolId(r as u32))
                            .collect(),
                        holds_to_end: !task.uses.is_empty(),
                        priority,
                        duration: task.duration.clone(),
                        touch: task.touch.clone(),
                        failure,
                        duration_rng: name(&format!("{path}.duration")),
                        touch_rng: name(&format!("{path}.touch")),
                        failure_rng: name(&format!("{path}.failure")),
                    });
                };
                match &s.kind {
                    StepKind::Work(task, failure) => {
                        add(task, *failure, format!("steps.{}", s.name))
                    }
                    StepKind::Assays(list) => {
                        max_assays = max_assays.max(list.len());
                        for a in list {
                            add(
                                &a.task,
                                a.failure,
                                format!("steps.{}.assays.{}", s.name, a.name),
                            );
                        }
                    }
                }
            }
            products.push(ProductRt {
                arrival_rng: name("arrivals"),
                patience_rng: name("patience"),
                step_task,
                arrived: 0,
                completed: 0,
                lost: 0,
                dropped_out: 0,
                v2v: Tally::new(),
                step_wait: vec![0.0; p.steps.len()],
                step_work: vec![0.0; p.steps.len()],
            });
        }
        let max_steps = spec
            .products
            .iter()
            .map(|p| p.steps.len())
            .max()
            .unwrap_or(0);
        Facility {
            spec,
            changeover_rng,
            tasks,
            products,
            patients: Vec::with_capacity(1024),
            live: Vec::with_capacity(1024),
            free: Vec::with_capacity(1024),
            attempts: Vec::new(),
            step_times: Vec::new(),
            max_steps,
            assays: Vec::new(),
            max_assays,
        }
    }

    /// Patients in the system now (arrived, not yet completed, lost or dropped out).
    pub fn in_system(&self) -> usize {
        self.patients.len() - self.free.len()
    }

    /// The replication's metrics, in the order of [`metric_names`]; call after the run.
    pub fn results(&self, kernel: &Kernel<Ev>) -> Vec<f64> {
        let now = kernel.now();
        let years = self.spec.horizon.as_days() / 365.0;
        let mut out = Vec::with_capacity(metric_names(self.spec).len());
        let mut wip = vec![0u64; self.products.len()];
        for (i, p) in self.patients.iter().enumerate() {
            if self.live[i] {
                wip[p.product as usize] += 1;
            }
        }
        for (pi, (p, rt)) in self.spec.products.iter().zip(&self.products).enumerate() {
            let done = rt.completed as f64;
            out.extend([
                rt.arrived as f64,
                done,
                rt.lost as f64,
                rt.dropped_out as f64,
                wip[pi] as f64,
                done / years,
                rt.v2v.mean(),
                rt.v2v.quantile(0.5),
                rt.v2v.quantile(0.9),
                rt.v2v.quantile(0.95),
            ]);
            for s in 0..p.steps.len() {
                out.extend([rt.step_wait[s] / done, rt.step_work[s] / done]);
            }
        }
        let total_queue_area: f64 = kernel.pools().iter().map(|pool| pool.mean_queue(now)).sum();
        for pool in kernel.pools() {
            out.extend([
                pool.utilisation_nominal(now),
                pool.utilisation_available(now),
                pool.mean_working(now) / f64::from(pool.nominal()),
                pool.mean_queue(now),
                pool.wait().mean(),
                pool.wait().quantile(0.9),
                if total_queue_area > 0.0 {
                    pool.mean_queue(now) / total_queue_area
                } else {
                    0.0
                },
            ]);
        }
        debug_assert_eq!(out.len(), metric_names(self.spec).len());
        out
    }

    fn in_window(&self, k: &Kernel<Ev>) -> bool {
        k.now() >= Time::ZERO + self.spec.warmup
    }

    fn new_patient(&mut self, product: u16, now: Time) -> u32 {
        let patience_left = match &self.spec.products[product as usize].patience {
            Some(d) => Duration::from_ticks_f64(
                d.sample(&mut self.products[product as usize].patience_rng),
            ),
            None => UNLIMITED,
        };
        let p = Patient {
            product,
            step: 0,
            arrived: now,
            step_start: now,
            request: RequestId::UNSET,
            holding: false,
            granted: now,
            outstanding: 0,
            longest_wait: Duration::ZERO,
            first_failed: None,
            patience_left,
            patience_timer: None,
        };
        let c = match self.free.pop() {
            Some(c) => {
                self.patients[c as usize] = p;
                c
            }
            None => {
                self.patients.push(p);
                self.live.push(false);
                let n = self.patients.len();
                self.attempts.resize(n * self.tasks.len(), 0);
                self.step_times.resize(n * self.max_steps, (0, 0));
                self.assays.resize(
                    n * self.max_assays,
                    AssaySlot {
                        request: RequestId::UNSET,
                        holding: false,
                    },
                );
                (n - 1) as u32
            }
        };
        self.live[c as usize] = true;
        let n_tasks = self.tasks.len();
        self.attempts[c as usize * n_tasks..(c as usize + 1) * n_tasks].fill(0);
        self.step_times[c as usize * self.max_steps..(c as usize + 1) * self.max_steps]
            .fill((0, 0));
        c
    }

    fn leave(&mut self, c: u32) {
        self.live[c as usize] = false;
        self.free.push(c);
    }

    fn task_of(&self, c: u32, assay: Option<u16>) -> usize {
        let p = &self.patients[c as usize];
        self.products[p.product as usize].step_task[p.step as usize] + assay.map_or(0, usize::from)
    }

    fn start_step(&mut self, c: u32, step: usize, k: &mut Kernel<Ev>) {
        let now = k.now();
        let pi = self.patients[c as usize].product as usize;
        {
            let p = &mut self.patients[c as usize];
            p.step = step as u16;
            p.step_start = now;
            p.granted = now;
        }
        let base = self.products[pi].step_task[step];
        match &self.spec.products[pi].steps[step].kind {
            StepKind::Work(..) => {
                if self.tasks[base].needs.is_empty() {
                    self.begin_work(c, None, k);
                } else {
                    let t = &self.tasks[base];
                    let req = k.request(&t.needs, t.priority, token(c, None));
                    let p = &mut self.patients[c as usize];
                    p.request = req;
                    if p.patience_left != UNLIMITED && k.is_waiting(req) {
                        p.patience_timer =
                            Some(k.schedule_cancellable_in(p.patience_left, Ev::OutOfPatience(c)));
                    }
                }
            }
            StepKind::Assays(list) => {
                let n = list.len();
                {
                    let p = &mut self.patients[c as usize];
                    p.outstanding = n as u16;
                    p.longest_wait = Duration::ZERO;
                    p.first_failed = None;
                }
                for a in 0..n {
                    let t = &self.tasks[base + a];
                    if t.needs.is_empty() {
                        self.begin_work(c, Some(a as u16), k);
                    } else {
                        let req = k.request(&t.needs, t.priority, token(c, Some(a as u16)));
                        self.assays[c as usize * self.max_assays + a].request = req;
                    }
                }
            }
        }
    }

    /// Resources granted (or none needed): draw the work and schedule its end.
    fn begin_work(&mut self, c: u32, assay: Option<u16>, k: &mut Kernel<Ev>) {
        let ti = self.task_of(c, assay);
        let t = &mut self.tasks[ti];
        let duration = Duration::from_ticks_f64(t.duration.sample(&mut t.duration_rng));
        let touch = t
            .touch
            .as_ref()
            .map(|d| Duration::from_ticks_f64(d.sample(&mut t.touch_rng)));
        let holds = !t.needs.is_empty();
        let (touch_end, end) = match assay {
            None => (Ev::TouchEnd(c), Ev::WorkEnd(c)),
            Some(a) => (Ev::AssayTouchEnd(c, a), Ev::AssayEnd(c, a)),
        };
        // The touch-time units go back at its end; the work itself lasts at least as long
        // as the touch. Simultaneous touch and work ends leave touch first.
        if let (Some(touch), false) = (touch, t.touch_pools.is_empty()) {
            k.schedule_in(touch, touch_end);
        }
        k.schedule_in(duration.max(touch.unwrap_or(Duration::ZERO)), end);
        match assay {
            None => self.patients[c as usize].holding = holds,
            Some(a) => self.assays[c as usize * self.max_assays + a as usize].holding = holds,
        }
    }

    fn release(&mut self, req: RequestId, k: &mut Kernel<Ev>) {
        let (spec, rngs) = (self.spec, &mut self.changeover_rng);
        k.release_with_changeover(req, |pool| {
            let r = pool.0 as usize;
            spec.resources[r]
                .changeover
                .as_ref()
                .map_or(Duration::ZERO, |d| {
                    Duration::from_ticks_f64(d.sample(&mut rngs[r]))
                })
        });
    }

    /// The hands-on time of task `ti` is over: its `touch_uses` go back. When nothing is
    /// held for the whole work, that ends the request (`released` marks it so).
    fn end_touch(
        &mut self,
        ti: usize,
        req: RequestId,
        k: &mut Kernel<Ev>,
        released: impl FnOnce(&mut Self),
    ) {
        if !self.tasks[ti].holds_to_end {
            released(self);
            self.release(req, k);
            return;
        }
        for i in 0..self.tasks[ti].touch_pools.len() {
            let pool = self.tasks[ti].touch_pools[i];
            let r = pool.0 as usize;
            let changeover = self.spec.resources[r]
                .changeover
                .as_ref()
                .map_or(Duration::ZERO, |d| {
                    Duration::from_ticks_f64(d.sample(&mut self.changeover_rng[r]))
                });
            k.release_part(req, pool, changeover);
        }
    }

    /// The step is over: book its times, then fail or move on.
    fn end_step(&mut self, c: u32, failure: Option<(Failure, usize)>, k: &mut Kernel<Ev>) {
        let now = k.now();
        let p = self.patients[c as usize];
        let elapsed = now.since(p.step_start);
        let wait = match &self.spec.products[p.product as usize].steps[p.step as usize].kind {
            StepKind::Work(..) => p.granted.since(p.step_start),
            StepKind::Assays(_) => p.longest_wait,
        };
        let slot = &mut self.step_times[c as usize * self.max_steps + p.step as usize];
        slot.0 += wait.ticks();
        slot.1 += (elapsed - wait).ticks();
        match failure {
            Some((rule, task)) => {
                let a = &mut self.attempts[c as usize * self.tasks.len() + task];
                *a += 1;
                if u32::from(*a) >= rule.max_attempts {
                    if self.in_window(k) {
                        self.products[p.product as usize].lost += 1;
                    }
                    self.leave(c);
                } else {
                    self.start_step(c, rule.retry_from, k);
                }
            }
            None => {
                let next = p.step as usize + 1;
                if next < self.spec.products[p.product as usize].steps.len() {
                    self.start_step(c, next, k);
                } else {
                    self.complete(c, k);
                }
            }
        }
    }

    fn complete(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let p = self.patients[c as usize];
        if self.in_window(k) {
            let rt = &mut self.products[p.product as usize];
            rt.completed += 1;
            rt.v2v.record(k.now().since(p.arrived).as_days());
            let days = |ticks: u64| Duration::from_ticks(ticks).as_days();
            for s in 0..rt.step_wait.len() {
                let (w, x) = self.step_times[c as usize * self.max_steps + s];
                rt.step_wait[s] += days(w);
                rt.step_work[s] += days(x);
            }
        }
        self.leave(c);
    }

    /// Draws whether task `ti` failed; returns its rule if so.
    fn failed(&mut self, ti: usize) -> Option<Failure> {
        let t = &mut self.tasks[ti];
        let rule = t.failure?;
        (unit(&mut t.failure_rng) < rule.probability).then_some(rule)
    }
}

fn token(c: u32, assay: Option<u16>) -> u64 {
    (u64::from(c) << 16) | assay.map_or(0, |a| u64::from(a) + 1)
}

fn untoken(t: u64) -> (u32, Option<u16>) {
    let tag = (t & 0xFFFF) as u16;
    ((t >> 16) as u32, tag.checked_sub(1))
}

impl Model for Facility<'_> {
    type Event = Ev;

    fn start(&mut self, k: &mut Kernel<Ev>) {
        for (i, p) in self.spec.products.iter().enumerate() {
            let Arrivals::Renewal(d) = &p.arrivals;
            let first = Duration::from_ticks_f64(d.sample(&mut self.products[i].arrival_rng));
            k.schedule_in(first, Ev::Arrival(i as u16));
        }
    }

    fn handle(&mut self, ev: Ev, k: &mut Kernel<Ev>) {
        match ev {
            Ev::Arrival(pi) => {
                let Arrivals::Renewal(d) = &self.spec.products[pi as usize].arrivals;
                let next =
                    Duration::from_ticks_f64(d.sample(&mut self.products[pi as usize].arrival_rng));
                k.schedule_in(next, Ev::Arrival(pi));
                if self.in_window(k) {
                    self.products[pi as usize].arrived += 1;
                }
                let c = self.new_patient(pi, k.now());
                self.start_step(c, 0, k);
            }
            Ev::TouchEnd(c) => {
                let req = self.patients[c as usize].request;
                let ti = self.task_of(c, None);
                self.end_touch(ti, req, k, |f| f.patients[c as usize].holding = false);
            }
            Ev::WorkEnd(c) => {
                let p = self.patients[c as usize];
                if p.holding {
                    self.patients[c as usize].holding = false;
                    self.release(p.request, k);
                }
                let ti = self.task_of(c, None);
                let failure = self.failed(ti).map(|rule| (rule, ti));
                self.end_step(c, failure, k);
            }
            Ev::AssayTouchEnd(c, a) => {
                let at = c as usize * self.max_assays + a as usize;
                let req = self.assays[at].request;
                let ti = self.task_of(c, Some(a));
                self.end_touch(ti, req, k, |f| f.assays[at].holding = false);
            }
            Ev::AssayEnd(c, a) => {
                let slot = self.assays[c as usize * self.max_assays + a as usize];
                if slot.holding {
                    self.assays[c as usize * self.max_assays + a as usize].holding = false;
                    self.release(slot.request, k);
                }
                let ti = self.task_of(c, Some(a));
                let failed = self.failed(ti).is_some();
                let p = &mut self.patients[c as usize];
                if failed && p.first_failed.is_none_or(|f| a < f) {
                    p.first_failed = Some(a);
                }
                p.outstanding -= 1;
                if p.outstanding == 0 {
                    let failure = p.first_failed.map(|f| {
                        let ti = self.task_of(c, Some(f));
                        (
                            self.tasks[ti]
                                .failure
                                .expect("only assays with a rule fail"),
                            ti,
                        )
                    });
                    self.end_step(c, failure, k);
                }
            }
            Ev::OutOfPatience(c) => {
                let p = &mut self.patients[c as usize];
                p.patience_timer = None;
                let withdrawn = k.withdraw(p.request);
                debug_assert!(withdrawn, "patience timers stop when service starts");
                if self.in_window(k) {
                    self.products[self.patients[c as usize].product as usize].dropped_out += 1;
                }
                self.leave(c);
            }
        }
    }

    fn granted(&mut self, t: u64, k: &mut Kernel<Ev>) {
        let (c, assay) = untoken(t);
        let now = k.now();
        let p = &mut self.patients[c as usize];
        match assay {
            None => {
                p.granted = now;
                if let Some(timer) = p.patience_timer.take() {
                    k.cancel(timer);
                    p.patience_left = p.patience_left - now.since(p.step_start);
                }
            }
            Some(_) => p.longest_wait = p.longest_wait.max(now.since(p.step_start)),
        }
        self.begin_work(c, assay, k);
    }

    fn reset_statistics(&mut self, _now: Time) {
        for rt in &mut self.products {
            rt.arrived = 0;
            rt.completed = 0;
            rt.lost = 0;
            rt.dropped_out = 0;
            rt.v2v.reset();
            rt.step_wait.fill(0.0);
            rt.step_work.fill(0.0);
        }
    }
}
