//! Capacity over time for the pools: calendar changes, breakdowns and repairs, and what
//! happens to work in progress when available capacity drops (finish it, or preempt the
//! lowest-priority, latest-granted holders and queue them again at their place).
//!
//! This module must not know about models or scenario files.

use super::{CapacityDrop, Notice, PoolEvent, PoolId, Pools, State};
use crate::engine::time::{Duration, Time};

impl Pools {
    /// Starts pool `p`'s calendar and breakdowns (`end`: the end of the run).
    pub(in crate::engine) fn start_pool(
        &mut self,
        now: Time,
        end: Time,
        p: usize,
        schedule: &mut impl FnMut(Time, PoolEvent),
    ) {
        let id = PoolId(p as u32);
        self.end = end;
        if let Some(cal) = &self.pools[p].calendar {
            let (cap, next) = cal.first_change(now, end);
            self.pools[p].scheduled = cap;
            self.pools[p].next_change = next;
            let avail = u64::from(self.pools[p].available());
            self.pools[p].available_tw.set(now, avail);
            if let Some(c) = next {
                if self.lazy {
                    self.pools[p].lagging = true;
                    self.lags = true;
                } else {
                    schedule(c.at, PoolEvent::CalendarChange(id));
                }
            }
        }
        if let Some(b) = &mut self.pools[p].breakdowns {
            let up = Duration::from_ticks_f64(b.time_between.sample(&mut b.rng));
            schedule(now + up, PoolEvent::Breakdown(id));
        }
    }

    /// Handles one of the pools' own events (`end`: the end of the run).
    pub(in crate::engine) fn handle(
        &mut self,
        now: Time,
        end: Time,
        e: PoolEvent,
        schedule: &mut impl FnMut(Time, PoolEvent),
    ) {
        match e {
            PoolEvent::ChangeoverEnd(p, u) => {
                let pool = &mut self.pools[p.0 as usize];
                pool.changeover -= u;
                pool.changeover_tw.set(now, u64::from(pool.changeover));
                self.dispatch(now, p);
            }
            PoolEvent::CalendarChange(p) => {
                // The changes of this instant of pools numbered above `p` are still to come.
                self.changing = p.0;
                let pool = &mut self.pools[p.0 as usize];
                let cal = pool
                    .calendar
                    .as_ref()
                    .expect("calendar event of a pool without a calendar");
                let change = pool
                    .next_change
                    .take()
                    .expect("a calendar event is the change scheduled");
                debug_assert_eq!(change.at, now, "calendar events come at their change");
                pool.scheduled = change.capacity;
                pool.next_change = cal.change_after(change, end);
                self.capacity_changed(now, p, schedule);
                let pool = &mut self.pools[p.0 as usize];
                if let Some(c) = pool.next_change {
                    if self.lazy && pool.calendar_can_wait() {
                        pool.lagging = true;
                    } else {
                        schedule(c.at, PoolEvent::CalendarChange(p));
                    }
                }
            }
            PoolEvent::Breakdown(p) => {
                self.catch_up(now, p.0 as usize, u32::MAX);
                self.settle_area(now, p.0 as usize);
                let pool = &mut self.pools[p.0 as usize];
                let b = pool
                    .breakdowns
                    .as_mut()
                    .expect("breakdown of a pool without breakdowns");
                pool.down += b.units;
                let repair = Duration::from_ticks_f64(b.repair.sample(&mut b.rng));
                schedule(now + repair, PoolEvent::Repair(p));
                self.capacity_changed(now, p, schedule);
            }
            PoolEvent::Repair(p) => {
                self.catch_up(now, p.0 as usize, u32::MAX);
                self.settle_area(now, p.0 as usize);
                let pool = &mut self.pools[p.0 as usize];
                let b = pool
                    .breakdowns
                    .as_mut()
                    .expect("repair of a pool without breakdowns");
                pool.down -= b.units;
                let up = Duration::from_ticks_f64(b.time_between.sample(&mut b.rng));
                schedule(now + up, PoolEvent::Breakdown(p));
                self.capacity_changed(now, p, schedule);
            }
        }
    }

    /// Applies the calendar changes that pool `p` left for later while quiet, up to `now`:
    /// those before `now`, and those at `now` if `p` is numbered below `rank_limit` (the
    /// changes of one instant are applied in the order of their pools, before any other
    /// event of that instant; `u32::MAX`: all of them, 0: none). Each change is recorded
    /// at its own time, so the statistics are those of a change applied as an event; a
    /// quiet pool's change has no other effect (no queue to serve, no work to preempt).
    #[inline(never)]
    pub(in crate::engine) fn catch_up(&mut self, now: Time, p: usize, rank_limit: u32) {
        let end = self.end;
        let pool = &mut self.pools[p];
        if !pool.lagging {
            return;
        }
        debug_assert!(
            pool.calendar_can_wait(),
            "a pool leaves its changes for later only while they can wait"
        );
        let cal = pool
            .calendar
            .as_ref()
            .expect("a lagging pool has a calendar");
        let due = |at: Time| at < now || (at == now && (p as u32) < rank_limit);
        if !pool.next_change.is_some_and(|c| due(c.at)) {
            return;
        }
        if pool.down == 0 {
            // Available = scheduled: only the capacity at the last instant due and the
            // next change are needed now, without a step per change (an idle courier pool
            // may have let weeks of shifts pass); the integral of the available capacity
            // waits for `settle_area`. Ticks are the calendar's resolution: the changes
            // due are those up to `upto`.
            let upto = if due(now) {
                now
            } else {
                Time::from_ticks(now.ticks() - 1)
            };
            let (scheduled, next) = cal.first_change(upto, end);
            pool.scheduled = scheduled;
            pool.next_change = next;
            pool.area_pending = true;
        } else {
            debug_assert!(!pool.area_pending, "a breakdown settles the area first");
            while let Some(c) = pool.next_change.filter(|c| due(c.at)) {
                pool.scheduled = c.capacity;
                pool.available_tw.set(c.at, u64::from(pool.available()));
                pool.next_change = cal.change_after(c, end);
            }
        }
        pool.lagging = pool.next_change.is_some();
        if !pool.lagging {
            // No change is left before the end: nothing catches up again.
            self.settle_area(now, p);
        }
    }

    /// Brings pool `p`'s integral of available capacity up to `now`, if catch-ups left
    /// it to the calendar (see [`Pool::area_pending`]): one closed-form integral over the
    /// whole span, exact in integer unit-ticks, so the result is the same as that of a
    /// `set` at every change. The pool has caught up to `now`, or to the tick before a
    /// change at `now` not applied yet (whose `set` at `now` then follows).
    pub(in crate::engine) fn settle_area(&mut self, now: Time, p: usize) {
        let pool = &mut self.pools[p];
        if !pool.area_pending {
            return;
        }
        pool.area_pending = false;
        let cal = pool
            .calendar
            .as_ref()
            .expect("a pool with a pending area has a calendar");
        let area = cal.unit_ticks(pool.available_tw.since(), now);
        pool.available_tw.jump(now, area, u64::from(pool.scheduled));
    }

    /// Brings every pool's calendar, and its integral of available capacity, up to
    /// `now` (see [`Pools::catch_up`]): before the pools are read. Out of line: the run
    /// loop calls it only when it pauses or ends.
    #[inline(never)]
    pub(in crate::engine) fn catch_up_all(&mut self, now: Time, rank_limit: u32) {
        for p in 0..self.pools.len() {
            self.catch_up(now, p, rank_limit);
            self.settle_area(now, p);
        }
    }

    /// The lagging pools among `needs` catch up: a request is about to read them.
    #[inline(never)]
    pub(in crate::engine) fn catch_up_needs(&mut self, now: Time, needs: &[(PoolId, u32)]) {
        for &(p, _) in needs {
            self.catch_up(now, p.0 as usize, self.changing);
        }
    }

    /// The lagging pools among `needs` whose calendar changes can no longer wait (a
    /// request waits now, or work that a drop would preempt is in progress) schedule
    /// their next change again.
    #[inline(never)]
    pub(in crate::engine) fn arm_needs(
        &mut self,
        now: Time,
        needs: &[(PoolId, u32)],
        schedule: &mut impl FnMut(Time, PoolEvent),
    ) {
        for &(p, _) in needs {
            self.arm(now, p, schedule);
        }
    }

    /// Pool `p`, if lagging and its changes can no longer wait, schedules its next one
    /// (its area settled up to `now`: its changes are `set`s from now on).
    fn arm(&mut self, now: Time, p: PoolId, schedule: &mut impl FnMut(Time, PoolEvent)) {
        let pool = &self.pools[p.0 as usize];
        if pool.lagging && !pool.calendar_can_wait() {
            self.settle_area(now, p.0 as usize);
            let pool = &mut self.pools[p.0 as usize];
            pool.lagging = false;
            if let Some(c) = pool.next_change {
                schedule(c.at, PoolEvent::CalendarChange(p));
            }
        }
    }

    /// The pool whose calendar change is being handled (`u32::MAX`: none): changes of
    /// the same instant of pools numbered below it have been applied.
    pub(in crate::engine) fn changing(&self) -> u32 {
        self.changing
    }

    /// Applies a change of available capacity: preempt if the policy says so, then grant.
    fn capacity_changed(
        &mut self,
        now: Time,
        p: PoolId,
        schedule: &mut impl FnMut(Time, PoolEvent),
    ) {
        let pool = &mut self.pools[p.0 as usize];
        debug_assert!(!pool.area_pending, "the area is settled before a change");
        pool.available_tw.set(now, u64::from(pool.available()));
        if pool.policy == CapacityDrop::Preempt {
            while self.pools[p.0 as usize].in_use + self.pools[p.0 as usize].changeover
                > self.pools[p.0 as usize].available()
                && !self.pools[p.0 as usize].holders.is_empty()
            {
                let victim = self.pick_victim(p);
                self.preempt(now, victim, schedule);
            }
        }
        self.dispatch(now, p);
    }

    /// The holder of `p` to interrupt: lowest priority, then latest granted.
    fn pick_victim(&self, p: PoolId) -> u32 {
        let reqs = &self.requests;
        *self.pools[p.0 as usize]
            .holders
            .iter()
            .min_by_key(|&&i| {
                (
                    reqs[i as usize].priority,
                    std::cmp::Reverse(reqs[i as usize].granted_seq),
                )
            })
            .expect("holders is not empty")
    }

    fn preempt(&mut self, now: Time, i: u32, schedule: &mut impl FnMut(Time, PoolEvent)) {
        let r = self.requests[i as usize];
        for &(q, u) in r.needs() {
            if u > 0 {
                let none = self.give_back(now, i, q, u, Duration::ZERO);
                debug_assert!(none.is_none(), "no changeover after a preemption");
                self.pools[q.0 as usize].preemptions += 1;
            }
        }
        let req = &mut self.requests[i as usize];
        req.state = State::Waiting;
        req.since = now;
        for &(q, u) in r.needs() {
            if u > 0 {
                // A pool that let its calendar wait (its work in progress finishes)
                // catches up before the request waits in its queue again.
                self.catch_up(now, q.0 as usize, self.changing);
                self.enqueue(now, q, i);
                self.arm(now, q, schedule);
            }
        }
        self.notices.push(Notice::Preempted(r.token));
        for &(q, _) in r.needs() {
            self.dispatch(now, q);
        }
    }
}
