//! The kernel: the clock, the future-event list, the resource pools and the run loop.
//!
//! A model is a type implementing [`Model`], with its own closed `enum` of events. The
//! kernel wraps it in [`Event`], adding the pools' own events (shift changes, breakdowns,
//! repairs, end of changeover), and [`run`] drives the loop (with [`begin`] and
//! [`advance`], which can also step it an event at a time):
//!
//! 1. pop the earliest event strictly before `warmup + horizon`;
//! 2. the first time an event at or after `warmup` comes up, set the clock to `warmup` and
//!    reset every statistic (pools' and model's), keeping the state (with no warm-up,
//!    the reset comes before `Model::start`, so actions at time zero count);
//! 3. set the clock to the event's time and hand the event to the model or the pools;
//! 4. deliver the resulting notices (grants, preemptions) to the model, in order, until
//!    none is left: a unit freed at `t` is handed to the next request at the same `t`.
//!
//! **Order at one instant.** A pool's calendar change comes before every other event of
//! its instant, and the changes of one instant come in the order of their pools; the
//! other events come in the order they were scheduled.
//!
//! **Quiet pools' calendars.** A pool that no request waits for and whose work in
//! progress, if any, cannot be preempted (it finishes whatever the capacity: the
//! default policy) is *quiet*: a change of its capacity would affect nothing but the
//! capacity itself. A quiet pool schedules no calendar events: it applies the changes
//! due when a request next comes to it (and schedules its changes again if a request
//! now waits there), when a preemption queues a request there again, at a breakdown or
//! repair, at the warm-up's reset, at the end of the run, when [`advance`] pauses and
//! when the model calls [`Kernel::catch_up_pools`]. Each change is recorded at its own
//! time and obeys the order above, so the results are those of every change as an
//! event ([`Kernel::set_lazy_calendars`]`(false)`, as a trace runs): only the count of
//! events is smaller. In a network of courier lanes that are idle most of the day, most
//! events were such changes.
//!
//! **Horizon semantics.** The statistics window is `[warmup, warmup + horizon)`. An event
//! at exactly `warmup` is processed after the reset (it counts); an event at exactly
//! `warmup + horizon` is not processed. At the end the clock is set to `warmup + horizon`
//! so that time averages cover the whole window.
//!
//! The resource pools are a component of the kernel (`pool::Pools`): the kernel forwards
//! requests and pool events to them with the current time, and schedules the events they
//! ask for. Everything is monomorphised: no `dyn`, no boxing, no allocation per event
//! once the vectors have reached their peak size. This module must not do I/O or know
//! any model.

use super::pool::{Notice, Pool, PoolError, PoolEvent, PoolId, PoolSpec, Pools, RequestId};
use super::queue::{EventQueue, Timer};
use super::time::{Duration, Time};

/// What the future-event list holds: the model's events and the pools' own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<E> {
    /// An event of the model.
    Model(E),
    /// An event of a resource pool (calendar, breakdown, changeover).
    Pool(PoolEvent),
}

/// The clock, the pending events and the resource pools of one replication.
pub struct Kernel<E> {
    now: Time,
    queue: EventQueue<Event<E>>,
    pools: Pools,
    /// The end of the run (`warmup + horizon`): nothing at or after it is processed.
    end: Time,
    events: u64,
    started: bool,
    stop: bool,
    /// The run loop pauses once `events` reaches it ([`advance`]'s budget; zero once
    /// the model asked to stop).
    limit: u64,
}

impl<E: Copy> Default for Kernel<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> Kernel<E> {
    /// An empty kernel at time zero.
    pub fn new() -> Self {
        Self::with_parts(EventQueue::with_capacity(1024), Pools::new())
    }

    /// An empty kernel at time zero, as [`Kernel::new`], that keeps the memory of this
    /// one: its event list's, and its pools' for the pools added next (their queues and
    /// wait tallies, whose quantile buckets then grow without reallocating). What a
    /// worker running one replication after another reuses; the results are those of a
    /// new kernel.
    pub fn recycled(self) -> Self {
        let mut queue = self.queue;
        queue.clear();
        Self::with_parts(queue, self.pools.recycled())
    }

    fn with_parts(queue: EventQueue<Event<E>>, pools: Pools) -> Self {
        Kernel {
            now: Time::ZERO,
            queue,
            pools,
            end: Time::NEVER,
            events: 0,
            started: false,
            stop: false,
            limit: u64::MAX,
        }
    }

    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> Time {
        self.now
    }

    /// Events processed so far (model and pool events, warm-up included).
    pub fn events_processed(&self) -> u64 {
        self.events
    }

    /// Live events still pending.
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// Schedules a model event `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: Duration, event: E) {
        self.queue.push(self.now + delay, Event::Model(event));
    }

    /// Schedules a model event at `time` (not in the past).
    #[inline]
    pub fn schedule_at(&mut self, time: Time, event: E) {
        debug_assert!(time >= self.now, "scheduled in the past");
        self.queue.push(time.max(self.now), Event::Model(event));
    }

    /// Schedules a model event `delay` from now, returning a handle that can cancel it.
    #[inline]
    pub fn schedule_cancellable_in(&mut self, delay: Duration, event: E) -> Timer {
        self.queue
            .push_cancellable(self.now + delay, Event::Model(event))
    }

    /// Cancels an event scheduled with [`Kernel::schedule_cancellable_in`]; false if it
    /// already happened or was cancelled.
    #[inline]
    pub fn cancel(&mut self, timer: Timer) -> bool {
        self.queue.cancel(timer)
    }

    /// Asks the run loop to stop after the current event (the model found it cannot go
    /// on: say why through the model's own state); the run then ends with
    /// [`RunEnd::Stopped`].
    pub fn stop(&mut self) {
        self.stop = true;
        self.limit = 0;
    }

    /// The next event the run will handle, and its time (before the end of the run).
    pub fn next_event(&mut self) -> Option<(Time, Event<E>)> {
        self.queue.peek_before(self.end)
    }

    /// Adds a pool (before the run starts).
    pub fn add_pool(&mut self, spec: PoolSpec) -> Result<PoolId, PoolError> {
        self.pools.add(spec, self.now)
    }

    /// A pool's state and statistics.
    pub fn pool(&self, id: PoolId) -> &Pool {
        self.pools.get(id)
    }

    /// All pools, in the order they were added.
    pub fn pools(&self) -> &[Pool] {
        self.pools.all()
    }

    /// Asks for `needs` (pool, units) all at once, with `priority` (higher is served
    /// first). The model hears of the grant through `Model::granted(token)`, at once if the
    /// units are free (after the current handler returns) or later. Each pool may appear
    /// once; units must be at least 1 and at most the pool's nominal capacity (the model
    /// guarantees this when it is built; debug builds check it on every request).
    #[inline(always)]
    pub fn request(&mut self, needs: &[(PoolId, u32)], priority: i32, token: u64) -> RequestId {
        if self.pools.lags {
            return self.request_lagging(needs, priority, token);
        }
        self.pools.request(self.now, needs, priority, token)
    }

    /// [`Kernel::request`] once some pool lets its calendar wait: the pools it needs
    /// catch up first, and schedule their changes again if the request makes them busy
    /// in a way changes affect. Kept out of line, off the path of runs without calendars.
    #[inline(never)]
    fn request_lagging(&mut self, needs: &[(PoolId, u32)], priority: i32, token: u64) -> RequestId {
        self.pools.catch_up_needs(self.now, needs);
        let id = self.pools.request(self.now, needs, priority, token);
        let queue = &mut self.queue;
        let mut schedule = |t: Time, e: PoolEvent| schedule_pool_event(queue, t, e);
        self.pools.arm_needs(self.now, needs, &mut schedule);
        id
    }

    /// Releases every unit a granted request holds, and ends the request.
    pub fn release(&mut self, id: RequestId) {
        self.release_with_changeover(id, |_| Duration::ZERO);
    }

    /// Releases a granted request, keeping `changeover(pool)` of each pool's units busy
    /// for that long after the release.
    #[inline]
    pub fn release_with_changeover(
        &mut self,
        id: RequestId,
        changeover: impl FnMut(PoolId) -> Duration,
    ) {
        let queue = &mut self.queue;
        let mut schedule = |t: Time, e: PoolEvent| queue.push(t, Event::Pool(e));
        self.pools
            .release_with_changeover(self.now, id, changeover, &mut schedule);
    }

    /// Releases the units a granted request holds from one pool (an operator's hands-on
    /// time is over; the suite stays held), keeping them busy for `changeover`. The
    /// request stays in service for its other pools; releasing it later skips this pool.
    pub fn release_part(&mut self, id: RequestId, p: PoolId, changeover: Duration) {
        let queue = &mut self.queue;
        let mut schedule = |t: Time, e: PoolEvent| queue.push(t, Event::Pool(e));
        self.pools
            .release_part(self.now, id, p, changeover, &mut schedule);
    }

    /// Withdraws a waiting request (the patient gave up). Returns false, and does
    /// nothing, if the request is not waiting.
    pub fn withdraw(&mut self, id: RequestId) -> bool {
        self.pools.withdraw(self.now, id)
    }

    /// A request just made was granted at once and its notice is the only one pending:
    /// takes the notice back and returns true, and the caller begins the work itself.
    /// Only for a caller whose handler does nothing after this that schedules, draws or
    /// requests: the notice would have been delivered right after it, so the events
    /// follow in the same order either way. False (the notice stays) otherwise.
    #[inline(always)]
    pub fn claim_sole_grant(&mut self, token: u64) -> bool {
        self.pools.claim_sole_grant(token)
    }

    /// True while the request waits for units.
    pub fn is_waiting(&self, id: RequestId) -> bool {
        self.pools.is_waiting(id)
    }

    /// Applies every calendar change of a quiet pool that is due by now, so that
    /// [`Kernel::pools`] reads them (a model reading pools during a run calls this
    /// first). Pools apply them on their own when used, at the warm-up's reset, at the
    /// end of a run and when [`advance`] pauses.
    pub fn catch_up_pools(&mut self) {
        self.pools.catch_up_all(self.now, self.pools.changing());
    }

    /// Every calendar change is an event of its own, even in quiet pools (`false`), as a
    /// trace that lists the shifts wants; by default (`true`) a quiet pool applies them
    /// when it is next used or read. The results are the same either way; only the
    /// count of events differs. Set before the run begins.
    pub fn set_lazy_calendars(&mut self, lazy: bool) {
        assert!(!self.started, "set before the run begins");
        self.pools.set_lazy_calendars(lazy);
    }

    fn handle_pool_event(&mut self, e: PoolEvent) {
        let queue = &mut self.queue;
        let mut schedule = |t: Time, e: PoolEvent| schedule_pool_event(queue, t, e);
        self.pools.handle(self.now, self.end, e, &mut schedule);
    }

    fn start(&mut self, end: Time) {
        assert!(
            !self.started,
            "a kernel runs once; build a new one per replication"
        );
        self.started = true;
        self.end = end;
        let queue = &mut self.queue;
        let mut schedule = |t: Time, e: PoolEvent| schedule_pool_event(queue, t, e);
        for p in 0..self.pools.all().len() {
            self.pools.start_pool(self.now, end, p, &mut schedule);
        }
    }
}

/// Schedules one of the pools' own events. A calendar change comes before every other
/// event of its instant (a shift that opens at 08:00 serves a request made at 08:00; one
/// that closes at 16:00 does not), and changes of one instant come in the order of their
/// pools: an order that does not depend on when each was scheduled.
fn schedule_pool_event<E: Copy>(queue: &mut EventQueue<Event<E>>, t: Time, e: PoolEvent) {
    match e {
        PoolEvent::CalendarChange(p) => queue.push_first(t, p.0, Event::Pool(e)),
        _ => queue.push(t, Event::Pool(e)),
    }
}

/// A simulation model driven by the kernel. Every method is called with the clock already
/// set to the current time.
pub trait Model {
    /// The model's closed set of events (small and `Copy`: they live in the event list).
    type Event: Copy;

    /// Schedules the first events (called once, at time zero).
    fn start(&mut self, kernel: &mut Kernel<Self::Event>);

    /// Handles one of the model's events.
    fn handle(&mut self, event: Self::Event, kernel: &mut Kernel<Self::Event>);

    /// A request made with [`Kernel::request`] has been granted: its units are held.
    fn granted(&mut self, _token: u64, _kernel: &mut Kernel<Self::Event>) {}

    /// A request in service lost its units (capacity dropped under a preemptive policy)
    /// and is waiting again; it will be granted again later.
    fn preempted(&mut self, _token: u64, _kernel: &mut Kernel<Self::Event>) {}

    /// The warm-up is over: forget every statistic, keep the state.
    fn reset_statistics(&mut self, _now: Time) {}
}

/// Warm-up and horizon of a run: statistics cover `[warmup, warmup + horizon)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLength {
    /// Time simulated before statistics start.
    pub warmup: Duration,
    /// Length of the statistics window.
    pub horizon: Duration,
}

impl RunLength {
    /// The end of the run, `warmup + horizon`.
    pub fn end(&self) -> Time {
        Time::ZERO + self.warmup + self.horizon
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a run that stopped early has no valid statistics"]
pub enum RunEnd {
    /// The clock reached `warmup + horizon`.
    Completed,
    /// More than `max_events_at_one_time` events happened at the same instant `at`
    /// without the clock moving: a zero-time loop.
    Stalled {
        /// The instant the clock stuck at.
        at: Time,
    },
    /// The model called [`Kernel::stop`] at `at`.
    Stopped {
        /// The time of the event that stopped the run.
        at: Time,
    },
}

/// Most events processed at one instant before [`run`] reports a zero-time loop.
pub const MAX_EVENTS_AT_ONE_TIME: u64 = 10_000_000;

/// Runs `model` on `kernel` for `length`. See the module documentation for the semantics.
pub fn run<M: Model>(model: &mut M, k: &mut Kernel<M::Event>, length: RunLength) -> RunEnd {
    let mut run = begin(model, k, length);
    advance(model, k, &mut run, u64::MAX).expect("an unlimited run ends")
}

/// Like [`run`], calling `observe` after every event has been handled and its notices
/// delivered (for invariant checks), stepping the run with [`advance`].
pub fn run_observed<M, F>(
    model: &mut M,
    k: &mut Kernel<M::Event>,
    length: RunLength,
    mut observe: F,
) -> RunEnd
where
    M: Model,
    F: FnMut(&Kernel<M::Event>, &Event<M::Event>),
{
    let mut run = begin(model, k, length);
    loop {
        let next = k.next_event();
        match advance(model, k, &mut run, 1) {
            None => observe(k, &next.expect("an event was handled").1),
            Some(end) => return end,
        }
    }
}

/// A run under way: what [`advance`] needs to go on where it paused.
#[derive(Clone, Copy, Debug)]
pub struct Running {
    warmup_end: Time,
    end: Time,
    /// The statistics window is open (the warm-up is over).
    in_window: bool,
    /// Events since the clock last moved (a guard against zero-time loops).
    at_this_time: u64,
}

/// Starts a run of `model` for `length`: the pools' calendars, [`Model::start`] and its
/// notices; [`advance`] then handles the events.
pub fn begin<M: Model>(model: &mut M, k: &mut Kernel<M::Event>, length: RunLength) -> Running {
    let warmup_end = Time::ZERO + length.warmup;
    let end = length.end();
    k.start(end);
    // With no warm-up the window opens before the model's first actions, so that what
    // it does at time zero (starting a batch, say) is counted.
    let in_window = warmup_end == Time::ZERO;
    if in_window {
        reset_all(model, k, Time::ZERO);
    }
    model.start(k);
    deliver_notices(model, k);
    Running {
        warmup_end,
        end,
        in_window,
        at_this_time: 0,
    }
}

/// Handles at most `budget` more events of a run [`begin`] started: `None` if the budget
/// ran out first (call again to go on), else how the run ended. This is the only event
/// loop: a whole run is one call with an unlimited budget, a trace or an invariant check
/// steps with a budget of one. The budget adds no check to the loop: its one check per
/// event also serves [`Kernel::stop`].
#[inline(never)]
pub fn advance<M: Model>(
    model: &mut M,
    k: &mut Kernel<M::Event>,
    run: &mut Running,
    budget: u64,
) -> Option<RunEnd> {
    // The loop's state lives in locals (registers), written back when it pauses.
    let Running {
        warmup_end,
        end,
        mut in_window,
        mut at_this_time,
    } = *run;
    if !k.stop {
        k.limit = k.events.saturating_add(budget);
    }
    while let Some((t, event)) = k.queue.take_before(end) {
        if !in_window && t >= warmup_end {
            reset_all(model, k, warmup_end);
            in_window = true;
        }
        if t == k.now {
            at_this_time += 1;
            if at_this_time > MAX_EVENTS_AT_ONE_TIME {
                k.queue.settle();
                return Some(RunEnd::Stalled { at: t });
            }
        } else {
            at_this_time = 0;
        }
        handle(model, k, t, event);
        if k.events >= k.limit {
            run.in_window = in_window;
            run.at_this_time = at_this_time;
            // Pools read between events (or after a stop) show the changes due by now.
            let changing = match event {
                Event::Pool(PoolEvent::CalendarChange(p)) => p.0,
                _ => u32::MAX,
            };
            k.pools.catch_up_all(t, changing);
            return k.stop.then_some(RunEnd::Stopped { at: t });
        }
    }
    if !in_window {
        reset_all(model, k, warmup_end);
    }
    run.in_window = true;
    k.now = end;
    // No change at or after the end is applied (none of their events would be).
    k.pools.catch_up_all(end, 0);
    Some(RunEnd::Completed)
}

/// Event `event` at `t`: the clock moves, the model or the pools handle it, and the
/// notices it caused are delivered.
#[inline(always)]
fn handle<M: Model>(model: &mut M, k: &mut Kernel<M::Event>, t: Time, event: Event<M::Event>) {
    k.now = t;
    k.events += 1;
    match event {
        Event::Model(e) => model.handle(e, k),
        Event::Pool(p) => k.handle_pool_event(p),
    }
    deliver_notices(model, k);
    k.queue.settle();
}

fn reset_all<M: Model>(model: &mut M, k: &mut Kernel<M::Event>, at: Time) {
    k.now = at;
    // The changes before `at`: those at `at` come after the reset, as their events would.
    k.pools.catch_up_all(at, 0);
    k.pools.reset_statistics(at);
    model.reset_statistics(at);
}

#[inline]
fn deliver_notices<M: Model>(model: &mut M, k: &mut Kernel<M::Event>) {
    while let Some(n) = k.pools.next_notice() {
        match n {
            Notice::Granted(token) => model.granted(token, k),
            Notice::Preempted(token) => model.preempted(token, k),
        }
    }
}
