//! One replication of a scenario: entities flowing through chains of steps on shared
//! resource pools.
//!
//! **Entities and chains.** An autologous product's entity is a *patient* (one batch),
//! walking the product's chain from arrival (first collection) to infusion. An allogeneic
//! product has two chains: a *batch* walks the product's steps and, released, puts its
//! doses in stock (see `allogeneic`); an *order* is served from stock and walks the
//! `delivery` chain to infusion. All chains use the same step machinery.
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
//! step has now failed `max_attempts` times: the patient is then lost (a batch: failed;
//! an order: lost). Vein-to-vein runs from arrival through any rework.
//!
//! **Patience.** A product with patience draws it once per patient (or order) on arrival.
//! The patience clock runs only while the entity waits: in a queue for a work step's
//! resources, or (an order) for doses in stock, cumulated over its life; QC assay queues
//! do not count. When it runs out the entity leaves unserved (dropped out / order lost).
//!
//! **Statistics** cover the window `[warmup, warmup + horizon)`: arrivals, completions,
//! losses and drop-outs are counted when they happen in the window; times are tallied for
//! entities finishing in the window. A step's waiting time is the time from its start to
//! the grant of its resources (for an assay step, the longest assay wait); its working
//! time is the rest. Each pool's units held (changeover excluded) are also booked to the
//! product that held them.
//!
//! This module must not parse files or print.

mod allogeneic;
mod booking;
mod build;
mod costs;
mod events;
mod hazards;
mod holding;
mod lifecycle;
mod milestones;
mod network;
mod results;
mod series;
mod slots;
mod trace;

pub use build::Blueprint;
pub use trace::{MAX_TRACE_ROWS, TraceError, TraceRow, trace_replication};

use super::check::limits;
use super::spec::{Failure, Spec, StepSpec};
use crate::engine::dist::unit;
use crate::engine::{
    Dist, Duration, Kernel, Model, PoolId, RequestId, Rng, Tally, Time, TimeWeighted, Timer,
};
use allogeneic::AlloRt;

/// Events of the facility model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    /// A patient (or an order) of arrival source `.0` arrives (a product, or a product's
    /// demand at one site).
    Arrival(u16),
    /// Entity `.0`'s hands-on time of its work step ends (its touch resources go back).
    TouchEnd(u32),
    /// Entity `.0`'s work step ends.
    WorkEnd(u32),
    /// Entity `.0`'s hands-on time of assay `.1` ends.
    AssayTouchEnd(u32, u16),
    /// Entity `.0`'s assay `.1` reports.
    AssayEnd(u32, u16),
    /// Entity `.0` runs out of patience while waiting.
    OutOfPatience(u32),
    /// A campaign batch of product `.0` is due.
    Campaign(u16),
    /// Doses of product `.0` may have reached their expiry.
    Expiry(u16),
    /// A period of the time series ends.
    Period,
    /// Hazard `.1` of patient `.0` strikes.
    Hazard(u32, u16),
    /// Slot calendar `.0` releases slots.
    SlotRelease(u16),
    /// Open slots of calendar `.0` may have expired unallocated.
    SlotExpiry(u16),
    /// Entity `.0`'s booked window starts.
    BookedStart(u32),
    /// A year of the window ends (discounted costs).
    CostYear,
}

/// Which chain of its product an entity walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chain {
    /// The product's `steps`: a patient (autologous) or a batch (allogeneic).
    Main = 0,
    /// An allogeneic order's `delivery`.
    Delivery = 1,
}

/// A task (a work step, or one assay) as every replication reads it: its pools,
/// durations and failure rule (kept in the [`Blueprint`]).
struct TaskPlan {
    /// `uses` then `touch_uses`.
    needs: Vec<(PoolId, u32)>,
    /// The pools released at the end of the touch time (`touch_uses`).
    touch_pools: Vec<PoolId>,
    /// True when some pool is held for the whole work (`uses` or `seize` not empty).
    holds_to_end: bool,
    /// The pools of `needs` kept after the work (the step's `seize`).
    seize_pools: Vec<PoolId>,
    priority: i32,
    duration: Dist,
    touch: Option<Dist>,
    failure: Option<Failure>,
    /// Where its failures are counted: its step's (and assay's) place in the chain, the
    /// same at every site.
    rule: u16,
}

/// A task in one replication: its [`TaskPlan`] borrowed field by field (so that an
/// event reads it as one record) beside its random streams.
struct TaskRt<'s> {
    needs: &'s [(PoolId, u32)],
    touch_pools: &'s [PoolId],
    holds_to_end: bool,
    seize_pools: &'s [PoolId],
    priority: i32,
    duration: &'s Dist,
    touch: Option<&'s Dist>,
    failure: Option<Failure>,
    rule: u16,
    duration_rng: Rng,
    touch_rng: Rng,
    failure_rng: Rng,
}

/// A step as the step machinery reads it, resolved when the facility is built (so that
/// events do not walk the spec).
#[derive(Clone, Copy, Debug)]
struct StepPlan {
    /// Its first task (at sites, `ChainRt::step_at` resolves the site's instead).
    task: u32,
    /// The assays of a QC release step; 0 for a work or transport step.
    assays: u16,
    /// The chain's last step.
    last: bool,
}

/// Per product and chain: where its step plans start and the time sums of the entities
/// that finished the chain in the window.
struct ChainRt {
    /// Where its steps' plans start in `Facility::plans`.
    plan_at: u32,
    /// Sums over entities finished in the window, per step, in ticks (exact integers,
    /// converted to days only when results are read).
    step_wait: Vec<u128>,
    step_work: Vec<u128>,
    finished: u64,
}

/// Per product: streams, chains and statistics.
pub(super) struct ProductRt {
    patience_rng: Rng,
    chains: Vec<ChainRt>,
    arrived: u64,
    completed: u64,
    lost: u64,
    dropped_out: u64,
    /// Patients who left in the window (completed, lost, dropped out), and the ticks they
    /// and the completed ones alone spent waiting in queues (autologous products).
    left: u64,
    waited_all: u128,
    waited_completed: u128,
    /// Vein-to-vein (autologous) or order-to-infusion (allogeneic), in days.
    v2v: Tally,
    /// Patients (orders) in the system; with `life`, what the time series reads.
    wip: TimeWeighted,
    /// Flows since the start of the run (the window's counters above restart after the
    /// warm-up).
    life: Flow,
    allo: Option<AlloRt>,
    milestones: milestones::MilestonesRt,
    hazards: hazards::HazardsRt,
    hazard_rng: Rng,
    score_rng: Rng,
    bookings: booking::BookingsRt,
}

/// A product's flows since the start of the run.
#[derive(Clone, Copy, Debug, Default)]
struct Flow {
    arrived: u64,
    completed: u64,
    lost: u64,
    dropped_out: u64,
    /// Sum of the vein-to-vein (order-to-infusion) times of the completed, in days.
    v2v_days: f64,
}

/// What an entity is waiting for or doing right now (only for entities in the system).
#[derive(Clone, Copy, Debug)]
struct Entity {
    /// In the system (false: its slot is free, or waits for its step's end as a zombie).
    live: bool,
    /// Its number, in order of creation from 0 (for traces).
    serial: u64,
    /// Where its chain's step plans start in `Facility::plans`.
    plan_at: u32,
    product: u16,
    chain: Chain,
    step: u16,
    /// The first task of the step in progress (its site, lane and mode resolved).
    task: u32,
    /// The step in progress: its assays (0: a work or transport step), and whether it
    /// is its chain's last (copied from its `StepPlan` when it starts).
    n_assays: u16,
    last_step: bool,
    arrived: Time,
    step_start: Time,
    /// Work step: the request, whether its units are still held, whether the touch-time
    /// units already went back, and since when they are held.
    request: RequestId,
    holding: bool,
    touch_over: bool,
    granted: Time,
    /// Assay step: assays still running, longest assay wait, first failed assay.
    outstanding: u16,
    longest_wait: Duration,
    first_failed: Option<u16>,
    /// Patience left (`UNLIMITED` when none) and the running patience timer.
    patience_left: Duration,
    patience_timer: Option<Timer>,
    /// An order waiting for doses in stock.
    waiting_for_stock: bool,
    /// Waiting in the queue of its work step's resources.
    queued: bool,
    /// A hazard struck: the patient leaves at the end of the step in progress.
    struck: bool,
    /// Left during a step without resources whose end is still scheduled; the slot is
    /// reused only after that end.
    zombie: bool,
    /// A batch: when its latest QC release step started (shelf life counts from there).
    qc_started: Option<Time>,
}

/// What an entity has only with slots, holds across steps or bookings: kept beside `Entity`, so
/// that the entities of scenarios without them stay small to copy.
#[derive(Clone, Copy, Debug, Default)]
struct Extra {
    /// Waiting for a slot: its ticket in the calendar's queue (0: not waiting).
    slot_ticket: u64,
    /// A slot allocated and not yet used.
    slot_held: Option<slots::Held>,
    /// Priority score for slots allocated by score.
    score: f64,
    /// Resources seized at an earlier step and still held.
    seized: Option<holding::Seized>,
    /// A window booked ahead whose work has not begun.
    booked: Option<booking::Pending>,
}

/// Per entity and assay.
#[derive(Clone, Copy, Debug)]
struct AssaySlot {
    request: RequestId,
    holding: bool,
    touch_over: bool,
    granted: Time,
}

const UNLIMITED: Duration = Duration::from_ticks(u64::MAX);

/// One replication of a [`Spec`], ready to run on a kernel.
pub struct Facility<'s> {
    spec: &'s Spec,
    /// No network, slots, holds, bookings, milestones, hazards or costs: an entity's
    /// creation, steps and departure skip those hooks on one test instead of one each.
    plain: bool,
    /// Some product draws a patience or a score for each patient on arrival.
    draws_on_arrival: bool,
    /// Set when a product's entities filled the system past the limit (the run stops).
    overloaded: Option<(u16, Time)>,
    /// Arrival sources whose arrivals have not ended yet.
    arriving: usize,
    /// Arrival sources: per product, or per product and collection site.
    sources: Vec<network::SourceRt<'s>>,
    /// The network's state, if the spec has sites.
    net: Option<network::NetRt>,
    /// Set when a run until empty stopped because the system emptied.
    emptied: bool,
    /// Entities that left during a step without resources, waiting for its end event.
    zombies: usize,
    /// Slot calendars.
    slots: Vec<slots::SlotRt>,
    /// Per resource, its reservation calendar (units only for resources booked ahead;
    /// empty without bookings).
    reservations: Vec<crate::engine::Reservations>,
    /// The next slot queue ticket.
    next_ticket: u64,
    /// The time series being recorded, if the spec asks for one.
    series: Option<series::SeriesRec>,
    changeover_rng: Vec<Rng>,
    /// What the replications share: tasks, plans, sources' plants, calendars.
    blueprint: &'s Blueprint<'s>,
    /// The blueprint's tasks with their streams in this replication.
    tasks: Vec<TaskRt<'s>>,
    /// Every chain's steps as the step machinery reads them, chain after chain.
    plans: &'s [StepPlan],
    products: Vec<ProductRt>,
    entities: Vec<Entity>,
    /// Per entity slot, what only slots and holds need (empty without them).
    extras: Vec<Extra>,
    /// The spec has slots, holds across steps or bookings (`extras` is kept).
    with_extras: bool,
    /// The entities created so far.
    born: u64,
    free: Vec<u32>,
    /// Failures so far, per entity slot and step (and assay) of its chain:
    /// `attempts[slot * max_rules + rule]`.
    attempts: Vec<u16>,
    max_rules: usize,
    /// Per entity slot and step, accumulated over attempts: (wait, work) in ticks.
    step_times: Vec<(u64, u64)>,
    max_steps: usize,
    /// Per entity slot, the milestone marks (`max_marks` each; `Time::NEVER`: not yet).
    marks: Vec<Time>,
    max_marks: usize,
    /// Per entity slot, each hazard's clock (`max_hazards` each).
    clocks: Vec<hazards::Clock>,
    max_hazards: usize,
    assays: Vec<AssaySlot>,
    max_assays: usize,
    /// Units x ticks held in the window, per product and resource: `[p * n_res + r]`.
    held: Vec<u128>,
    /// What a priced scenario tallies as it runs (`None` without costs).
    ledger: Option<costs::Ledger>,
}

impl<'s> Facility<'s> {
    /// The product whose entities filled the system past [`limits::MAX_IN_SYSTEM`], and
    /// when, if the run was stopped for it.
    pub fn overloaded(&self) -> Option<(usize, Time)> {
        self.overloaded.map(|(p, t)| (usize::from(p), t))
    }

    /// True when a run until empty ended because the last entity left.
    pub fn emptied(&self) -> bool {
        self.emptied
    }

    /// Each allogeneic product's lifetime dose counts and doses on hand now (in product
    /// order; `None` for autologous products), for conservation checks.
    pub fn dose_ledgers(&self) -> Vec<Option<(crate::model::DoseLedger, u64)>> {
        self.products
            .iter()
            .map(|p| p.allo.as_ref().map(|a| (a.inv.ledger(), a.inv.on_hand())))
            .collect()
    }

    /// Entities in the system now (patients, batches and orders in progress).
    pub fn in_system(&self) -> usize {
        self.entities.len() - self.free.len() - self.zombies
    }

    #[inline]
    fn in_window(&self, k: &Kernel<Ev>) -> bool {
        k.now() >= self.window_start()
    }

    fn window_start(&self) -> Time {
        Time::ZERO + self.spec.warmup
    }

    #[inline(always)]
    fn steps(&self, product: u16, chain: Chain) -> &'s [StepSpec] {
        let p = &self.spec.products[product as usize];
        match chain {
            Chain::Main => &p.steps,
            Chain::Delivery => {
                &p.allogeneic
                    .as_ref()
                    .expect("only allogeneic orders deliver")
                    .delivery
            }
        }
    }

    #[inline]
    fn task_of(&self, c: u32, assay: Option<u16>) -> usize {
        self.entities[c as usize].task as usize + assay.map_or(0, usize::from)
    }

    /// Starts the patience clock of entity `c`, waiting from now.
    #[inline(always)]
    fn wait_patiently(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let e = &mut self.entities[c as usize];
        if e.patience_left != UNLIMITED {
            e.patience_timer =
                Some(k.schedule_cancellable_in(e.patience_left, Ev::OutOfPatience(c)));
        }
    }

    /// Entity `c` stops waiting at its step unserved (its patience ran out, a hazard
    /// struck): its resource request is withdrawn (and its patience clock stopped), or
    /// it leaves the slot queue. The wait so far counts as time in queues.
    fn stop_queueing(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let e = self.entities[c as usize];
        if e.queued {
            let withdrawn = k.withdraw(e.request);
            debug_assert!(withdrawn, "a queued request can be withdrawn");
            self.entities[c as usize].queued = false;
            if let Some(timer) = self.entities[c as usize].patience_timer.take() {
                k.cancel(timer);
            }
        } else if self.waiting_for_slot(c) {
            self.leave_slot_queue(c, k.now());
        }
        self.step_times[c as usize * self.max_steps + e.step as usize].0 +=
            k.now().since(e.step_start).ticks();
    }

    /// Stops the patience clock of entity `c`, which waited since `since`.
    #[inline(always)]
    fn stop_waiting(&mut self, c: u32, since: Time, k: &mut Kernel<Ev>) {
        let e = &mut self.entities[c as usize];
        if let Some(timer) = e.patience_timer.take() {
            k.cancel(timer);
            e.patience_left = e.patience_left - k.now().since(since);
        }
    }

    /// Entity `c` starts step `step` of its chain. `last`: the caller's handler does
    /// nothing after this call that schedules, draws or requests, so that a grant made
    /// at once can begin the work here (see [`Kernel::claim_sole_grant`]).
    #[inline(always)]
    fn start_step(&mut self, c: u32, step: usize, last: bool, k: &mut Kernel<Ev>) {
        let now = k.now();
        let (pi, chain) = (
            self.entities[c as usize].product,
            self.entities[c as usize].chain,
        );
        if self.net.is_some()
            && self.sited(c).plant == network::NO_SITE
            && network::needs_plant(&self.steps(pi, chain)[step])
        {
            self.route(c, now);
        }
        let plan = self.plans[self.entities[c as usize].plan_at as usize + step];
        let task = match self.net {
            None => plan.task,
            Some(_) => self.resolve(c, step, true, now) as u32,
        };
        {
            let e = &mut self.entities[c as usize];
            e.step = step as u16;
            e.step_start = now;
            e.granted = now;
            e.task = task;
            e.n_assays = plan.assays;
            e.last_step = plan.last;
        }
        if !self.plain {
            if self.net.is_some() {
                self.leg_starts(c, task as usize, now);
            }
            self.mark(c, step, false, now);
            self.open_phases(c, step, k);
            if self.with_extras {
                if let Some(used) = self.extras[c as usize].slot_held
                    && used.until as usize == step
                {
                    self.use_slot(c);
                }
                if let Some(slot) = self.steps(pi, chain)[step].slot {
                    // The work starts when a slot is allocated (`allocate_slots`).
                    self.join_slot_queue(c, slot.slot, k);
                    return;
                }
            }
        }
        self.start_work(c, step, last, k);
    }

    /// The work of step `step` of entity `c` starts: its resources are requested, or
    /// (none needed) the work begins.
    #[inline(always)]
    fn start_work(&mut self, c: u32, step: usize, last: bool, k: &mut Kernel<Ev>) {
        let now = k.now();
        let e = &self.entities[c as usize];
        let (pi, chain, base, n_assays) = (e.product, e.chain, e.task as usize, e.n_assays);
        if self.with_extras && self.steps(pi, chain)[step].booking.is_some() {
            self.book_ahead(c, step, k);
            return;
        }
        match n_assays {
            0 => {
                if self.tasks[base].needs.is_empty() {
                    self.begin_work(c, None, k);
                } else {
                    let t = &self.tasks[base];
                    let req = k.request(t.needs, t.priority, token(c, None));
                    self.entities[c as usize].request = req;
                    if k.is_waiting(req) {
                        self.entities[c as usize].queued = true;
                        self.wait_patiently(c, k);
                    } else if last && k.claim_sole_grant(token(c, None)) {
                        // The notice taken back, handled here as it would have been.
                        self.granted(token(c, None), k);
                    }
                }
            }
            n => {
                let n = usize::from(n);
                {
                    let e = &mut self.entities[c as usize];
                    e.outstanding = n as u16;
                    e.longest_wait = Duration::ZERO;
                    e.first_failed = None;
                    e.qc_started = Some(now);
                }
                for a in 0..n {
                    let t = &self.tasks[base + a];
                    if t.needs.is_empty() {
                        self.begin_work(c, Some(a as u16), k);
                    } else {
                        let req = k.request(t.needs, t.priority, token(c, Some(a as u16)));
                        self.assays[c as usize * self.max_assays + a].request = req;
                    }
                }
            }
        }
    }

    /// Resources granted (or none needed): draw the work and schedule its end.
    #[inline(always)]
    fn begin_work(&mut self, c: u32, assay: Option<u16>, k: &mut Kernel<Ev>) {
        let ti = self.task_of(c, assay);
        let booked = match assay {
            None if self.with_extras => self.booked_work(c, k.now()),
            _ => None,
        };
        let t = &mut self.tasks[ti];
        let duration = booked
            .unwrap_or_else(|| Duration::from_ticks_f64(t.duration.sample(&mut t.duration_rng)));
        let touch = t
            .touch
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
        let now = k.now();
        match assay {
            None => {
                let e = &mut self.entities[c as usize];
                e.holding = holds;
                e.touch_over = false;
            }
            Some(a) => {
                let slot = &mut self.assays[c as usize * self.max_assays + a as usize];
                slot.holding = holds;
                slot.touch_over = false;
                slot.granted = now;
            }
        }
    }

    /// The step is over: book its times, then fail or move on.
    #[inline(always)]
    fn end_step(&mut self, c: u32, failure: Option<(Failure, usize)>, k: &mut Kernel<Ev>) {
        let now = k.now();
        let e = self.entities[c as usize];
        if !self.plain {
            self.mark(c, e.step as usize, true, now);
            self.step_over(c, e.step);
        }
        let elapsed = now.since(e.step_start);
        let wait = match e.n_assays {
            0 => e.granted.since(e.step_start),
            _ => e.longest_wait,
        };
        let slot = &mut self.step_times[c as usize * self.max_steps + e.step as usize];
        slot.0 += wait.ticks();
        slot.1 += (elapsed - wait).ticks();
        if self.with_extras {
            let releases = !self.steps(e.product, e.chain)[e.step as usize]
                .release
                .is_empty();
            let seized = self.extras[c as usize].seized;
            match failure {
                None if releases => self.release_seized(c, k),
                // Rework from before the seizing step: seized again there.
                Some((rule, _)) if seized.is_some_and(|s| rule.retry_from <= s.step as usize) => {
                    self.release_seized(c, k);
                }
                _ => {}
            }
        }
        if e.struck {
            // A hazard struck during the step: the patient leaves now it is over.
            self.leave(c, false, k);
            return;
        }
        match failure {
            Some((rule, task)) => {
                let rule_slot = usize::from(self.tasks[task].rule);
                let a = &mut self.attempts[c as usize * self.max_rules + rule_slot];
                *a += 1;
                if u32::from(*a) >= rule.max_attempts {
                    self.lose(c, k);
                } else {
                    self.start_step(c, rule.retry_from, true, k);
                }
            }
            None => {
                if !self.plain {
                    self.close_phases(c, e.step as usize, k);
                }
                if !e.last_step {
                    self.start_step(c, e.step as usize + 1, true, k);
                } else {
                    self.finish_chain(c, k);
                }
            }
        }
    }

    /// Entity `c` failed more often than allowed.
    fn lose(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let e = self.entities[c as usize];
        let in_window = self.in_window(k);
        let batch = e.chain == Chain::Main && self.products[e.product as usize].allo.is_some();
        if !batch {
            self.products[e.product as usize].life.lost += 1;
        }
        match (e.chain, self.products[e.product as usize].allo.is_some()) {
            (Chain::Main, true) => self.batch_failed(e.product, in_window, k),
            _ if in_window => self.products[e.product as usize].lost += 1,
            _ => {}
        }
        self.leave(c, false, k);
    }

    /// Entity `c` reached the end of its chain.
    #[inline(always)]
    fn finish_chain(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let e = self.entities[c as usize];
        let rt = &mut self.products[e.product as usize];
        if e.chain == Chain::Delivery || rt.allo.is_none() {
            rt.life.completed += 1;
            rt.life.v2v_days += k.now().since(e.arrived).as_days();
        }
        if self.in_window(k) {
            let rt = &mut self.products[e.product as usize];
            let ch = &mut rt.chains[e.chain as usize];
            ch.finished += 1;
            let times = &self.step_times[c as usize * self.max_steps..][..ch.step_wait.len()];
            for (s, &(w, x)) in times.iter().enumerate() {
                ch.step_wait[s] += u128::from(w);
                ch.step_work[s] += u128::from(x);
            }
            if e.chain == Chain::Delivery || rt.allo.is_none() {
                rt.completed += 1;
                rt.v2v.record(k.now().since(e.arrived).as_days());
            }
            if e.chain == Chain::Main && self.max_marks > 0 {
                self.record_milestones(c);
            }
        }
        if e.chain == Chain::Main && self.products[e.product as usize].allo.is_some() {
            self.batch_released(c, k);
        }
        self.leave(c, true, k);
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
