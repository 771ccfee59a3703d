//! Resource pools: units that requests seize and release, with queues, changeover,
//! calendars, breakdowns and a policy for work in progress when capacity drops.
//!
//! **Requests.** A request names up to [`MAX_NEEDS`] pools and the units it needs from
//! each (a suite and an operator), and is granted all-or-nothing: it never holds part of
//! what it asked for. It waits in the queue of every pool it needs, ordered by priority
//! (higher first) and then by the order of requesting (stable FIFO within a priority).
//!
//! **Dispatch rule.** When units of a pool become free, its queue is scanned in order. A
//! request that this pool cannot serve (too few free units here) stops the scan: no later
//! request overtakes it for this pool's units. A request that this pool could serve but
//! another of its pools cannot is skipped, so that no unit stays idle for a request that
//! cannot start. For single-pool requests this is plain priority-FIFO.
//!
//! **Changeover.** Releasing a request may leave some of its units busy for a changeover
//! (cleaning a suite after a batch); they come free at the end of it.
//!
//! **Capacity over time.** Available capacity = scheduled capacity (from the pool's
//! [`Calendar`], else its fixed capacity) minus units down for repair. When it drops below
//! the units in use, the pool's [`CapacityDrop`] policy decides:
//! - `FinishCurrent`: work in progress runs to its end; no new grant is made until the
//!   units in use are below the new capacity (so, for a while, in use may exceed
//!   available: the overtime a shift hand-over really costs);
//! - `Preempt`: requests in service are interrupted, lowest priority and then latest
//!   granted first, until the units in use fit; an interrupted request goes back to its
//!   queues at its original place and the model is told (`Model::preempted`) so that it
//!   can resume the remaining work when granted again (preempt-resume).
//!   Units in changeover are never interrupted.
//!
//! A calendar change comes before every other event of its instant (a shift that opens
//! at 08:00 serves a request made at 08:00). A quiet pool (no request waiting, no work
//! that a drop would preempt: [`Pool::calendar_can_wait`]) applies its changes late,
//! when it is next used or read: see the kernel's documentation; the results are the
//! same as with every change an event.
//!
//! **Breakdowns.** An alternating renewal process per pool: up for a draw of
//! `time_between` (calendar time), then `units` units down for a draw of `repair`, then up
//! again. A pool has its own random stream for this.
//!
//! **Statistics** per pool, over the statistics window: time-weighted units in use
//! (working and in changeover), available units and queue length; a tally of waiting
//! times (one per grant), and the waits of requests withdrawn unserved; counts of grants,
//! withdrawals and preemptions. Utilisation is reported against available capacity and
//! against nominal capacity.
//!
//! **What held a request back.** A request that needs several pools waits for all of
//! them, but it is the last one to have units free that decides when it starts: the pool
//! whose dispatch grants it. Its whole wait is charged to that pool, split into the time
//! that pool's calendar was closed (scheduled capacity zero: a shift off, a weekend, a
//! holiday) and the rest (units busy, in changeover or down). The other pools it waited
//! in are not charged, so an operator needed beside a suite is not blamed for the
//! suite's queue.
//!
//! This module must not know about models or scenario files.

use std::sync::Arc;

use super::calendar::{Calendar, Change};
use super::dist::Dist;
use super::rng::Rng;
use super::stats::{Tally, TimeWeighted};
use super::time::{Duration, Time};
use std::collections::VecDeque;

mod capacity;
mod readings;

/// Most pools one request can need at once.
pub const MAX_NEEDS: usize = 4;

/// Index of a pool in its kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolId(pub u32);

/// Handle of a request (valid from `request` until `release` or `withdraw`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(u32);

impl RequestId {
    /// A placeholder for "no request yet"; using it with a kernel panics.
    pub const UNSET: RequestId = RequestId(u32::MAX);
}

/// What happens to work in progress when available capacity drops below the units in use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CapacityDrop {
    /// Work in progress finishes; new work waits until units in use fit the capacity.
    #[default]
    FinishCurrent,
    /// Work in progress is interrupted and resumed later (preempt-resume).
    Preempt,
}

/// Random breakdowns of a pool.
#[derive(Clone, Debug)]
pub struct Breakdowns {
    /// Up time between the end of a repair and the next breakdown, in ticks.
    pub time_between: Dist,
    /// Repair time, in ticks.
    pub repair: Dist,
    /// Units a breakdown takes down.
    pub units: u32,
    /// The pool's own random stream for breakdowns.
    pub rng: Rng,
}

/// How to build a pool.
#[derive(Clone, Debug)]
pub struct PoolSpec {
    /// Nominal capacity: the units the pool has.
    pub capacity: u32,
    /// Scheduled capacity over time (at most `capacity`); `None`: always `capacity`.
    /// Shared: the replications of a scenario build each calendar once.
    pub calendar: Option<Arc<Calendar>>,
    /// Random breakdowns, if any.
    pub breakdowns: Option<Breakdowns>,
    /// Policy for work in progress when capacity drops.
    pub on_capacity_drop: CapacityDrop,
}

impl PoolSpec {
    /// A pool of `capacity` units, always available.
    pub fn fixed(capacity: u32) -> PoolSpec {
        PoolSpec {
            capacity,
            calendar: None,
            breakdowns: None,
            on_capacity_drop: CapacityDrop::FinishCurrent,
        }
    }
}

/// Why a pool cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("the calendar schedules {scheduled} units but the pool has only {capacity}")]
    CalendarAboveCapacity { scheduled: u32, capacity: u32 },
    #[error("a breakdown takes {units} units down but the pool has only {capacity}")]
    BreakdownTooLarge { units: u32, capacity: u32 },
    #[error("a breakdown must take at least one unit down")]
    BreakdownOfNothing,
}

/// The pools' own events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolEvent {
    /// The pool's calendar changes its scheduled capacity.
    CalendarChange(PoolId),
    /// A breakdown starts.
    Breakdown(PoolId),
    /// A repair ends.
    Repair(PoolId),
    /// Units finish their changeover.
    ChangeoverEnd(PoolId, u32),
}

/// What the kernel tells the model after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Notice {
    Granted(u64),
    Preempted(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Waiting,
    Serving,
}

#[derive(Clone, Copy, Debug)]
struct Request {
    token: u64,
    priority: i32,
    seq: u64,
    granted_seq: u64,
    since: Time,
    state: State,
    n: u8,
    needs: [(PoolId, u32); MAX_NEEDS],
}

impl Request {
    fn needs(&self) -> &[(PoolId, u32)] {
        &self.needs[..self.n as usize]
    }
    fn units_from(&self, p: PoolId) -> u32 {
        self.needs().iter().find(|n| n.0 == p).map_or(0, |n| n.1)
    }
}

/// Every pool of a kernel and the requests on them: the kernel owns one and forwards its
/// requests and pool events here, with the current time.
#[derive(Debug)]
pub struct Pools {
    pools: Vec<Pool>,
    requests: Vec<Request>,
    free_requests: Vec<u32>,
    /// Notices for the model, oldest first from `delivered` on (a vector read forward
    /// and emptied once read: cheaper than a ring for the one or two of an event).
    notices: Vec<Notice>,
    delivered: usize,
    request_seq: u64,
    grant_seq: u64,
    /// Calendar changes of a quiet pool wait until it is used or read (see
    /// [`Pools::catch_up`]); false: every change is an event.
    lazy: bool,
    /// Some pool has left calendar changes for later (since the start of the run): a
    /// request first brings the lagging pools it needs up to date
    /// ([`Pools::catch_up_needs`], [`Pools::arm_needs`]).
    pub(super) lags: bool,
    /// The end of the run (calendars give no change at or after it).
    end: Time,
    /// The pool whose calendar change is being handled (its notices delivered), or
    /// `u32::MAX` during any other event: the changes of the same instant of pools
    /// numbered below it have been applied, the others not yet.
    changing: u32,
    /// The pools of a previous run, last first, whose queues and tallies the pools added
    /// next reuse (see [`Pools::recycled`]).
    spare: Vec<Pool>,
}

/// One pool's state and statistics.
#[derive(Clone, Debug)]
pub struct Pool {
    nominal: u32,
    scheduled: u32,
    down: u32,
    in_use: u32,
    changeover: u32,
    policy: CapacityDrop,
    calendar: Option<Arc<Calendar>>,
    /// The calendar's next change: its event is pending, or (`lagging`) it waits until
    /// the pool is used or read.
    next_change: Option<Change>,
    /// Quiet ([`Pool::calendar_can_wait`]) with calendar changes left for later: no
    /// event is pending for `next_change`.
    lagging: bool,
    /// `available_tw` is integrated only up to its `since`: from there on the available
    /// capacity has followed the calendar (nothing down), and its integral comes from
    /// the calendar in closed form when next needed ([`Pools::settle_area`]), not at
    /// every catch-up.
    area_pending: bool,
    breakdowns: Option<Breakdowns>,
    queue: VecDeque<u32>,
    holders: Vec<u32>,
    working_tw: TimeWeighted,
    changeover_tw: TimeWeighted,
    available_tw: TimeWeighted,
    queue_tw: TimeWeighted,
    /// Most units busy (working and changeover) at once in the window.
    peak_busy: u32,
    wait: Tally,
    grants: u64,
    preemptions: u64,
    /// Requests withdrawn while waiting, and their summed waits in ticks.
    withdrawn: u64,
    withdrawn_wait: u128,
    /// Waiting charged to this pool (see the module docs), in ticks: while its calendar
    /// was closed, and otherwise.
    held_back_closed: u128,
    held_back_busy: u128,
    window_start: Time,
}

impl Pools {
    /// No pools yet.
    pub(super) fn new() -> Pools {
        Pools {
            pools: Vec::new(),
            requests: Vec::new(),
            free_requests: Vec::new(),
            notices: Vec::with_capacity(16),
            delivered: 0,
            request_seq: 0,
            grant_seq: 0,
            lazy: true,
            lags: false,
            end: Time::NEVER,
            changing: u32::MAX,
            spare: Vec::new(),
        }
    }

    /// No pools yet, as [`Pools::new`], keeping the memory of these: the pools added
    /// next take the queues and the wait tallies (emptied) of these in order, so that a
    /// tally's quantile buckets need not be allocated again as they grow.
    pub(super) fn recycled(self) -> Pools {
        let mut spare = self.pools;
        spare.reverse();
        Pools {
            requests: emptied(self.requests),
            free_requests: emptied(self.free_requests),
            notices: emptied(self.notices),
            spare,
            ..Pools::new()
        }
    }

    /// Whether the calendar changes of quiet pools wait until the pool is used or read
    /// (true, the default) or are each an event (for a trace that lists them).
    pub(super) fn set_lazy_calendars(&mut self, lazy: bool) {
        self.lazy = lazy;
    }

    /// Forgets every pool's statistics (the warm-up is over), keeping the state.
    pub(super) fn reset_statistics(&mut self, now: Time) {
        for p in &mut self.pools {
            p.reset_statistics(now);
        }
    }

    /// Takes back the notice of a grant just made to `token`, if it is the only notice
    /// not yet delivered; true if it did (the caller then acts on the grant itself).
    #[inline(always)]
    pub(super) fn claim_sole_grant(&mut self, token: u64) -> bool {
        let sole = self.notices.len() == self.delivered + 1
            && self.notices.last() == Some(&Notice::Granted(token));
        if sole {
            self.notices.pop();
        }
        sole
    }

    /// The next notice for the model (a grant or a preemption), oldest first.
    #[inline(always)]
    pub(super) fn next_notice(&mut self) -> Option<Notice> {
        match self.notices.get(self.delivered) {
            Some(&n) => {
                self.delivered += 1;
                Some(n)
            }
            None => {
                self.notices.clear();
                self.delivered = 0;
                // A calendar change's notices are delivered: it is handled.
                self.changing = u32::MAX;
                None
            }
        }
    }

    /// Adds a pool (before the run starts).
    pub(super) fn add(&mut self, spec: PoolSpec, now: Time) -> Result<PoolId, PoolError> {
        if let Some(c) = &spec.calendar
            && c.max_capacity() > spec.capacity
        {
            return Err(PoolError::CalendarAboveCapacity {
                scheduled: c.max_capacity(),
                capacity: spec.capacity,
            });
        }
        if let Some(b) = &spec.breakdowns {
            if b.units == 0 {
                return Err(PoolError::BreakdownOfNothing);
            }
            if b.units > spec.capacity {
                return Err(PoolError::BreakdownTooLarge {
                    units: b.units,
                    capacity: spec.capacity,
                });
            }
        }
        // A pool of a previous run lends its memory (emptied, see `recycled`).
        let (queue, holders, wait) = match self.spare.pop() {
            Some(old) => {
                let mut wait = old.wait;
                wait.reset();
                let mut queue = old.queue;
                queue.clear();
                (queue, emptied(old.holders), wait)
            }
            None => (VecDeque::new(), Vec::new(), Tally::new()),
        };
        self.pools.push(Pool {
            nominal: spec.capacity,
            scheduled: spec.capacity,
            down: 0,
            in_use: 0,
            changeover: 0,
            policy: spec.on_capacity_drop,
            calendar: spec.calendar,
            next_change: None,
            lagging: false,
            area_pending: false,
            breakdowns: spec.breakdowns,
            queue,
            holders,
            working_tw: TimeWeighted::new(now, 0),
            changeover_tw: TimeWeighted::new(now, 0),
            available_tw: TimeWeighted::new(now, u64::from(spec.capacity)),
            queue_tw: TimeWeighted::new(now, 0),
            peak_busy: 0,
            wait,
            grants: 0,
            preemptions: 0,
            withdrawn: 0,
            withdrawn_wait: 0,
            held_back_closed: 0,
            held_back_busy: 0,
            window_start: now,
        });
        Ok(PoolId(self.pools.len() as u32 - 1))
    }

    /// A pool's state and statistics.
    pub(super) fn get(&self, id: PoolId) -> &Pool {
        &self.pools[id.0 as usize]
    }

    /// All pools, in the order they were added.
    pub(super) fn all(&self) -> &[Pool] {
        &self.pools
    }

    /// Asks for `needs` (pool, units) all at once, with `priority` (higher is served
    /// first). The model hears of the grant through `Model::granted(token)`, at once if the
    /// units are free (after the current handler returns) or later. Each pool may appear
    /// once; units must be at least 1 and at most the pool's nominal capacity (the model
    /// guarantees this when it is built; debug builds check it on every request).
    #[inline(always)]
    pub(super) fn request(
        &mut self,
        now: Time,
        needs: &[(PoolId, u32)],
        priority: i32,
        token: u64,
    ) -> RequestId {
        assert!(
            !needs.is_empty() && needs.len() <= MAX_NEEDS,
            "a request needs 1 to {MAX_NEEDS} pools"
        );
        let mut arr = [(PoolId(0), 0u32); MAX_NEEDS];
        for (i, &(p, u)) in needs.iter().enumerate() {
            debug_assert!(
                u >= 1 && u <= self.pools[p.0 as usize].nominal,
                "request for {u} units of a pool of {}",
                self.pools[p.0 as usize].nominal
            );
            debug_assert!(
                !needs[..i].iter().any(|n| n.0 == p),
                "a pool appears twice in one request"
            );
            arr[i] = (p, u);
        }
        let req = Request {
            token,
            priority,
            seq: self.request_seq,
            granted_seq: 0,
            since: now,
            state: State::Waiting,
            n: needs.len() as u8,
            needs: arr,
        };
        self.request_seq += 1;
        let id = match self.free_requests.pop() {
            Some(i) => {
                self.requests[i as usize] = req;
                i
            }
            None => {
                self.requests.push(req);
                self.requests.len() as u32 - 1
            }
        };
        let (fits, queues_empty) = match *needs {
            // (One pool, the common case: no scan.)
            [(p, u)] => {
                let pool = &self.pools[p.0 as usize];
                (pool.free() >= u, pool.queue.is_empty())
            }
            _ => needs.iter().fold((true, true), |(fits, empty), &(p, u)| {
                let pool = &self.pools[p.0 as usize];
                (fits && pool.free() >= u, empty && pool.queue.is_empty())
            }),
        };
        if fits && queues_empty {
            self.grant(now, id, None);
        } else {
            for &(p, _) in needs {
                self.enqueue(now, p, id);
            }
            // A new request frees nothing, so it is the only one that may now be granted,
            // and only if every pool it needs has the units free: otherwise no scan (in an
            // overloaded system a scan of the whole queue on every arrival is quadratic).
            if fits {
                for &(p, _) in needs {
                    self.dispatch(now, p);
                }
            }
        }
        RequestId(id)
    }

    /// Releases a granted request, keeping `changeover(pool)` of each pool's units busy
    /// for that long after the release.
    #[inline(always)]
    pub(super) fn release_with_changeover(
        &mut self,
        now: Time,
        id: RequestId,
        mut changeover: impl FnMut(PoolId) -> Duration,
        schedule: &mut impl FnMut(Time, PoolEvent),
    ) {
        let (state, n, needs) = {
            let r = &self.requests[id.0 as usize];
            (r.state, r.n as usize, r.needs)
        };
        assert_eq!(
            state,
            State::Serving,
            "release of a request that is not in service"
        );
        for &(p, u) in &needs[..n] {
            if u > 0 {
                // (zero: released earlier by `release_part`)
                let c = changeover(p);
                if let Some((t, e)) = self.give_back(now, id.0, p, u, c) {
                    schedule(t, e);
                }
            }
        }
        self.free_request(id.0);
        for &(p, _) in &needs[..n] {
            self.dispatch(now, p);
        }
    }

    /// Releases the units a granted request holds from one pool (an operator's hands-on
    /// time is over; the suite stays held), keeping them busy for `changeover`. The
    /// request stays in service for its other pools; releasing it later skips this pool.
    pub(super) fn release_part(
        &mut self,
        now: Time,
        id: RequestId,
        p: PoolId,
        changeover: Duration,
        schedule: &mut impl FnMut(Time, PoolEvent),
    ) {
        let r = &mut self.requests[id.0 as usize];
        assert_eq!(
            r.state,
            State::Serving,
            "partial release of a request that is not in service"
        );
        let Some(need) = r.needs[..r.n as usize].iter_mut().find(|n| n.0 == p) else {
            panic!("partial release of a pool the request does not hold");
        };
        let u = std::mem::replace(&mut need.1, 0);
        if u == 0 {
            return;
        }
        if let Some((t, e)) = self.give_back(now, id.0, p, u, changeover) {
            schedule(t, e);
        }
        self.dispatch(now, p);
    }

    /// Request `i` gives back `u` units of pool `p`, which stay busy for `changeover`;
    /// returns the end of the changeover, for the caller to schedule.
    fn give_back(
        &mut self,
        now: Time,
        i: u32,
        p: PoolId,
        u: u32,
        changeover: Duration,
    ) -> Option<(Time, PoolEvent)> {
        let pool = &mut self.pools[p.0 as usize];
        pool.in_use -= u;
        pool.working_tw.set(now, u64::from(pool.in_use));
        if pool.policy == CapacityDrop::Preempt {
            remove_value(&mut pool.holders, i);
        }
        if changeover == Duration::ZERO {
            return None;
        }
        pool.changeover += u;
        pool.changeover_tw.set(now, u64::from(pool.changeover));
        Some((now + changeover, PoolEvent::ChangeoverEnd(p, u)))
    }

    /// Withdraws a waiting request (the patient gave up). Returns false, and does
    /// nothing, if the request is not waiting.
    pub(super) fn withdraw(&mut self, now: Time, id: RequestId) -> bool {
        let r = self.requests[id.0 as usize];
        if r.state != State::Waiting {
            return false;
        }
        let waited = u128::from(now.since(r.since).ticks());
        for &(p, _) in r.needs() {
            self.dequeue(now, p, id.0);
            let pool = &mut self.pools[p.0 as usize];
            pool.withdrawn += 1;
            pool.withdrawn_wait += waited;
        }
        self.free_request(id.0);
        for &(p, _) in r.needs() {
            self.dispatch(now, p);
        }
        true
    }

    /// True while the request waits for units.
    pub(super) fn is_waiting(&self, id: RequestId) -> bool {
        self.requests[id.0 as usize].state == State::Waiting
    }

    #[inline(always)]
    fn free_request(&mut self, i: u32) {
        self.requests[i as usize].state = State::Free;
        self.free_requests.push(i);
    }

    /// Inserts request `i` in pool `p`'s queue at its (priority, seq) place.
    #[inline(always)]
    fn enqueue(&mut self, now: Time, p: PoolId, i: u32) {
        let key = |r: &Request| (std::cmp::Reverse(r.priority), r.seq);
        let k = key(&self.requests[i as usize]);
        let reqs = &self.requests;
        let pool = &mut self.pools[p.0 as usize];
        match pool.queue.back() {
            Some(&last) if key(&reqs[last as usize]) > k => {
                let at = pool.queue.partition_point(|&j| key(&reqs[j as usize]) < k);
                pool.queue.insert(at, i);
            }
            _ => pool.queue.push_back(i),
        }
        pool.queue_tw.set(now, pool.queue.len() as u64);
    }

    fn dequeue(&mut self, now: Time, p: PoolId, i: u32) {
        let pool = &mut self.pools[p.0 as usize];
        if pool.queue.front() == Some(&i) {
            pool.queue.pop_front();
        } else if let Some(at) = pool.queue.iter().position(|&j| j == i) {
            pool.queue.remove(at);
        }
        pool.queue_tw.set(now, pool.queue.len() as u64);
    }

    /// Grants request `i`: takes its units, leaves its queues (if it is queued, at
    /// position `at` of pool `from`'s queue), tells the model.
    #[inline(always)]
    fn grant(&mut self, now: Time, i: u32, queued: Option<(PoolId, usize)>) {
        // Only the fields used are read: the request is 72 bytes.
        let (since, token, n, needs) = {
            let r = &self.requests[i as usize];
            (r.since, r.token, r.n as usize, r.needs)
        };
        let waited = now.since(since);
        if let Some((from, _)) = queued {
            // The pool whose units came free last is the one that held the request back.
            let pool = &mut self.pools[from.0 as usize];
            let waited = waited.ticks();
            let closed = pool.closed_between(since, now).min(waited);
            pool.held_back_closed += u128::from(closed);
            pool.held_back_busy += u128::from(waited - closed);
        }
        let wait_days = waited.as_days();
        match queued {
            // A new request granted at once: it is in no queue, and wants every pool.
            None => {
                for &(p, u) in &needs[..n] {
                    debug_assert!(u > 0, "a new request wants at least one unit");
                    self.take_units(now, i, p, u, wait_days);
                }
            }
            // The common case, one pool, whose queue held the request: no scan.
            Some((from, 0)) if n == 1 && needs[0].0 == from && needs[0].1 > 0 => {
                let pool = &mut self.pools[from.0 as usize];
                pool.queue.pop_front();
                pool.queue_tw.set(now, pool.queue.len() as u64);
                self.take_units(now, i, from, needs[0].1, wait_days);
            }
            Some((from, at)) => {
                for &(p, u) in &needs[..n] {
                    if from == p {
                        let pool = &mut self.pools[p.0 as usize];
                        if at == 0 {
                            pool.queue.pop_front();
                        } else {
                            pool.queue.remove(at);
                        }
                        pool.queue_tw.set(now, pool.queue.len() as u64);
                    } else if u > 0 {
                        self.dequeue(now, p, i);
                    }
                    if u > 0 {
                        // (zero: released by `release_part` before a preemption, not
                        // wanted again)
                        self.take_units(now, i, p, u, wait_days);
                    }
                }
            }
        }
        let req = &mut self.requests[i as usize];
        req.state = State::Serving;
        req.granted_seq = self.grant_seq;
        self.grant_seq += 1;
        self.notices.push(Notice::Granted(token));
    }

    /// Request `i` takes `u` units of pool `p` after waiting `wait_days`.
    #[inline(always)]
    fn take_units(&mut self, now: Time, i: u32, p: PoolId, u: u32, wait_days: f64) {
        let pool = &mut self.pools[p.0 as usize];
        pool.in_use += u;
        pool.working_tw.set(now, u64::from(pool.in_use));
        pool.peak_busy = pool.peak_busy.max(pool.in_use + pool.changeover);
        pool.wait.record(wait_days);
        pool.grants += 1;
        if pool.policy == CapacityDrop::Preempt {
            pool.holders.push(i);
        }
    }

    /// Grants what pool `p`'s free units allow, in queue order (see the dispatch rule).
    #[inline(always)]
    fn dispatch(&mut self, now: Time, p: PoolId) {
        let mut at = 0;
        loop {
            let pool = &self.pools[p.0 as usize];
            let free = pool.free();
            if free == 0 {
                return;
            }
            let Some(&i) = pool.queue.get(at) else { return };
            let r = &self.requests[i as usize];
            // (A request for one pool, the common case, needs no scan of its pools.)
            let units = if r.n == 1 {
                r.needs[0].1
            } else {
                r.units_from(p)
            };
            if free < units {
                return; // strict: nobody overtakes this request for this pool's units
            }
            let fits_elsewhere = r.n == 1
                || r.needs()
                    .iter()
                    .all(|&(q, u)| q == p || self.pools[q.0 as usize].free() >= u);
            if fits_elsewhere {
                self.grant(now, i, Some((p, at))); // `at` now points at the next one
            } else {
                at += 1;
            }
        }
    }
}

/// `v` with nothing in it, its memory kept.
fn emptied<T>(mut v: Vec<T>) -> Vec<T> {
    v.clear();
    v
}

fn remove_value(v: &mut Vec<u32>, x: u32) {
    if let Some(at) = v.iter().position(|&y| y == x) {
        v.swap_remove(at);
    }
}
