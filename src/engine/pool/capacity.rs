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
        if let Some(cal) = &self.pools[p].calendar {
            let (cap, next) = cal.first_change(now, end);
            self.pools[p].scheduled = cap;
            self.pools[p].next_change = next;
            let avail = u64::from(self.pools[p].available());
            self.pools[p].available_tw.set(now, avail);
            if let Some(c) = next {
                schedule(c.at, PoolEvent::CalendarChange(id));
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
                if let Some(c) = pool.next_change {
                    schedule(c.at, PoolEvent::CalendarChange(p));
                }
                self.capacity_changed(now, p);
            }
            PoolEvent::Breakdown(p) => {
                let pool = &mut self.pools[p.0 as usize];
                let b = pool
                    .breakdowns
                    .as_mut()
                    .expect("breakdown of a pool without breakdowns");
                pool.down += b.units;
                let repair = Duration::from_ticks_f64(b.repair.sample(&mut b.rng));
                schedule(now + repair, PoolEvent::Repair(p));
                self.capacity_changed(now, p);
            }
            PoolEvent::Repair(p) => {
                let pool = &mut self.pools[p.0 as usize];
                let b = pool
                    .breakdowns
                    .as_mut()
                    .expect("repair of a pool without breakdowns");
                pool.down -= b.units;
                let up = Duration::from_ticks_f64(b.time_between.sample(&mut b.rng));
                schedule(now + up, PoolEvent::Breakdown(p));
                self.capacity_changed(now, p);
            }
        }
    }

    /// Applies a change of available capacity: preempt if the policy says so, then grant.
    fn capacity_changed(&mut self, now: Time, p: PoolId) {
        let pool = &mut self.pools[p.0 as usize];
        pool.available_tw.set(now, u64::from(pool.available()));
        if pool.policy == CapacityDrop::Preempt {
            while self.pools[p.0 as usize].in_use + self.pools[p.0 as usize].changeover
                > self.pools[p.0 as usize].available()
                && !self.pools[p.0 as usize].holders.is_empty()
            {
                let victim = self.pick_victim(p);
                self.preempt(now, victim);
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

    fn preempt(&mut self, now: Time, i: u32) {
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
                self.enqueue(now, q, i);
            }
        }
        self.notices.push(Notice::Preempted(r.token));
        for &(q, _) in r.needs() {
            self.dispatch(now, q);
        }
    }
}
