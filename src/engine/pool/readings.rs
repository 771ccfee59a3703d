//! What a pool reports: its state now (units available, in use, in changeover, down,
//! free; its queue) and its statistics over the window (utilisation against available
//! and nominal capacity, mean queue and wait, waits held back by a closed calendar or by
//! busy units), and their reset after the warm-up.
//!
//! This module must not know about models or scenario files.

use super::{CapacityDrop, Pool};
use crate::engine::stats::{Tally, u128_to_f64};
use crate::engine::time::{TICKS_PER_DAY, Time};

impl Pool {
    /// Nominal capacity (units the pool has).
    pub fn nominal(&self) -> u32 {
        self.nominal
    }
    /// Units available now: scheduled capacity minus units down.
    pub fn available(&self) -> u32 {
        self.scheduled.saturating_sub(self.down)
    }
    /// Units held by requests in service.
    pub fn in_use(&self) -> u32 {
        self.in_use
    }
    /// Units in changeover after a release.
    pub fn in_changeover(&self) -> u32 {
        self.changeover
    }
    /// Units down for repair.
    pub fn down(&self) -> u32 {
        self.down
    }
    /// Units free for a new grant now.
    pub fn free(&self) -> u32 {
        self.available()
            .saturating_sub(self.in_use + self.changeover)
    }
    /// No request waits, and no work can be preempted (the policy lets work in progress
    /// finish, or there is none): a change of capacity now would affect nothing but the
    /// capacity itself, so its calendar changes can wait until it is used or read.
    pub fn calendar_can_wait(&self) -> bool {
        self.queue.is_empty()
            && (self.policy == CapacityDrop::FinishCurrent
                || (self.in_use == 0 && self.changeover == 0))
    }
    /// Requests waiting now.
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }
    /// The policy for work in progress when capacity drops.
    pub fn policy(&self) -> CapacityDrop {
        self.policy
    }
    /// Mean units in use (working plus changeover) over the window up to `now`.
    pub fn mean_busy(&self, now: Time) -> f64 {
        self.working_tw.mean(now) + self.changeover_tw.mean(now)
    }
    /// Mean units working (not in changeover) over the window up to `now`.
    pub fn mean_working(&self, now: Time) -> f64 {
        self.working_tw.mean(now)
    }
    /// Mean available units over the window up to `now`.
    pub fn mean_available(&self, now: Time) -> f64 {
        debug_assert!(!self.area_pending, "pools are read after they catch up");
        self.available_tw.mean(now)
    }
    /// Mean queue length over the window up to `now`.
    pub fn mean_queue(&self, now: Time) -> f64 {
        self.queue_tw.mean(now)
    }
    /// Most units busy (working or in changeover) at once in the window.
    pub fn peak_busy(&self) -> u32 {
        self.peak_busy
    }
    /// Integrals since the start of the run up to `now`, in units x ticks: units busy
    /// (working and changeover), units available, and requests waiting.
    pub fn lifetime_areas(&self, now: Time) -> [u128; 3] {
        debug_assert!(!self.area_pending, "pools are read after they catch up");
        [
            self.working_tw.lifetime_area(now) + self.changeover_tw.lifetime_area(now),
            self.available_tw.lifetime_area(now),
            self.queue_tw.lifetime_area(now),
        ]
    }
    /// Busy units (working and changeover) over nominal capacity, time-averaged.
    pub fn utilisation_nominal(&self, now: Time) -> f64 {
        self.mean_busy(now) / f64::from(self.nominal)
    }
    /// Busy units over available units, time-averaged (ratio of the two integrals; may
    /// exceed 1 under `FinishCurrent` when work runs past the end of a shift).
    pub fn utilisation_available(&self, now: Time) -> f64 {
        debug_assert!(!self.area_pending, "pools are read after they catch up");
        let busy = self.working_tw.area(now) + self.changeover_tw.area(now);
        u128_to_f64(busy) / u128_to_f64(self.available_tw.area(now))
    }
    /// Waiting time from request (or preemption) to grant, in days; one value per grant.
    pub fn wait(&self) -> &Tally {
        &self.wait
    }
    /// Grants in the window.
    pub fn grants(&self) -> u64 {
        self.grants
    }
    /// Preemptions in the window.
    pub fn preemptions(&self) -> u64 {
        self.preemptions
    }
    /// Start of the current statistics window.
    pub fn window_start(&self) -> Time {
        self.window_start
    }
    /// Requests withdrawn unserved in the window (patients who gave up).
    pub fn withdrawn(&self) -> u64 {
        self.withdrawn
    }
    /// Mean wait in days over every request that stopped waiting in the window: those
    /// granted and those withdrawn.
    pub fn mean_wait_all(&self) -> f64 {
        let served = self.wait.moments();
        let n = served.count() + self.withdrawn;
        let withdrawn_days = u128_to_f64(self.withdrawn_wait) / TICKS_PER_DAY as f64;
        (served.mean() * served.count() as f64 + withdrawn_days) / n as f64
    }
    /// Waiting charged to this pool in the window, in days: (while its calendar was
    /// closed, while it was open but short of units).
    pub fn held_back_days(&self) -> (f64, f64) {
        let day = TICKS_PER_DAY as f64;
        (
            u128_to_f64(self.held_back_closed) / day,
            u128_to_f64(self.held_back_busy) / day,
        )
    }
    /// Ticks of `[from, to)` during which the calendar scheduled no unit.
    /// Out of line: a grant after a wait asks it, and with the calendar's arithmetic
    /// inlined there, model A (no calendar) took 2 instructions per event more.
    #[inline(never)]
    pub(super) fn closed_between(&self, from: Time, to: Time) -> u64 {
        self.calendar
            .as_ref()
            .map_or(0, |c| c.closed_ticks(from, to))
    }

    pub(super) fn reset_statistics(&mut self, now: Time) {
        debug_assert!(!self.area_pending, "pools are read after they catch up");
        self.peak_busy = self.in_use + self.changeover;
        self.working_tw.reset(now);
        self.changeover_tw.reset(now);
        self.available_tw.reset(now);
        self.queue_tw.reset(now);
        self.wait.reset();
        self.grants = 0;
        self.preemptions = 0;
        self.withdrawn = 0;
        self.withdrawn_wait = 0;
        self.held_back_closed = 0;
        self.held_back_busy = 0;
        self.window_start = now;
    }
}
