//! What entities hold: units booked to products, releases at the end of the work or of
//! its hands-on time, with a changeover draw per pool, and resources seized at one step
//! and held across the following ones until a step releases them (their request stays
//! in service with only the seized pools left; rework from before the seizing step, or
//! leaving, gives them back).
//!
//! This module must not parse files or print.

use super::{Ev, Facility};
use crate::engine::{Duration, Kernel, PoolId, RequestId, Rng, Time};
use crate::model::spec::Spec;

/// Resources an entity seized at a step and holds across the following ones: the
/// request that holds them (its other pools already went back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Seized {
    pub(super) request: RequestId,
    /// Since when they are held.
    pub(super) since: Time,
    /// The seizing step's task, and the step.
    pub(super) task: u32,
    pub(super) step: u16,
}

impl Facility<'_> {
    /// Books `units` of pool `p` held by entity `c` since `since` (clipped to the window)
    /// to its product (and, priced, to what it cost).
    #[inline(always)]
    pub(super) fn book(&mut self, c: u32, p: PoolId, units: u32, since: Time, now: Time) {
        let from = since.max(self.window_start());
        if now > from {
            let pi = self.entities[c as usize].product;
            let at = pi as usize * self.spec.resources.len() + p.0 as usize;
            let ticks = now.since(from).ticks();
            self.held[at] += u128::from(units) * u128::from(ticks);
            if let Some(l) = &mut self.ledger {
                l.held(c, pi, p, units, ticks);
            }
        }
    }

    /// Gives back everything request `req` of task `ti` still holds (booking it to the
    /// product), each pool with a changeover draw. `touch_done`: the touch pools already
    /// went back.
    #[inline(always)]
    pub(super) fn release(
        &mut self,
        c: u32,
        ti: usize,
        req: RequestId,
        since: Time,
        touch_done: bool,
        k: &mut Kernel<Ev>,
    ) {
        let now = k.now();
        if self.tasks[ti].seize_pools.is_empty() {
            for i in 0..self.tasks[ti].needs.len() {
                let (p, u) = self.tasks[ti].needs[i];
                if !(touch_done && self.tasks[ti].touch_pools.contains(&p)) {
                    self.book(c, p, u, since, now);
                }
            }
            let (spec, rngs) = (self.spec, &mut self.changeover_rng);
            k.release_with_changeover(req, |pool| changeover_draw(spec, rngs, pool));
            return;
        }
        // The step seizes: everything else goes back now, the seized pools stay held by
        // the same request until a step releases them.
        for i in 0..self.tasks[ti].needs.len() {
            let (p, u) = self.tasks[ti].needs[i];
            let touch_gone = touch_done && self.tasks[ti].touch_pools.contains(&p);
            if touch_gone || self.tasks[ti].seize_pools.contains(&p) {
                continue;
            }
            self.book(c, p, u, since, now);
            let changeover = changeover_draw(self.spec, &mut self.changeover_rng, p);
            k.release_part(req, p, changeover);
        }
        let step = self.entities[c as usize].step;
        self.extras[c as usize].seized = Some(Seized {
            request: req,
            since,
            task: ti as u32,
            step,
        });
    }

    /// Entity `c` gives back what it seized at an earlier step, if anything.
    pub(super) fn release_seized(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let Some(s) = self.extras[c as usize].seized.take() else {
            return;
        };
        let now = k.now();
        let ti = s.task as usize;
        for i in 0..self.tasks[ti].needs.len() {
            let (p, u) = self.tasks[ti].needs[i];
            if self.tasks[ti].seize_pools.contains(&p) {
                self.book(c, p, u, s.since, now);
            }
        }
        let (spec, rngs) = (self.spec, &mut self.changeover_rng);
        k.release_with_changeover(s.request, |pool| changeover_draw(spec, rngs, pool));
    }

    /// The hands-on time of task `ti` is over: its `touch_uses` go back. When nothing is
    /// held for the whole work, that ends the request; returns true then.
    pub(super) fn end_touch(
        &mut self,
        c: u32,
        ti: usize,
        req: RequestId,
        since: Time,
        k: &mut Kernel<Ev>,
    ) -> bool {
        if !self.tasks[ti].holds_to_end {
            self.release(c, ti, req, since, false, k);
            return true;
        }
        let now = k.now();
        for i in 0..self.tasks[ti].touch_pools.len() {
            let pool = self.tasks[ti].touch_pools[i];
            let units = self.tasks[ti]
                .needs
                .iter()
                .find(|n| n.0 == pool)
                .map_or(0, |n| n.1);
            self.book(c, pool, units, since, now);
            let changeover = changeover_draw(self.spec, &mut self.changeover_rng, pool);
            k.release_part(req, pool, changeover);
        }
        false
    }
}

/// How long a unit of `pool` stays busy after a use: a draw of its changeover, if any.
pub(super) fn changeover_draw(spec: &Spec, rngs: &mut [Rng], pool: PoolId) -> Duration {
    let r = pool.0 as usize;
    spec.resources[r]
        .changeover
        .as_ref()
        .map_or(Duration::ZERO, |d| {
            Duration::from_ticks_f64(d.sample(&mut rngs[r]))
        })
}
