//! The facility's event handlers: what each event of a replication does, and the
//! kernel's notices (grants) and warm-up reset. The state and the step machinery they
//! drive live in the parent module.
//!
//! This module must not parse files or print.

use super::{Chain, Ev, Facility, untoken};
use crate::engine::dist::unit;
use crate::engine::{Duration, Kernel, Model, Time};
use crate::model::spec::{Arrivals, RatePeriod, Spread};

impl Facility<'_> {
    /// Schedules source `si`'s next arrival after now, if there is one; when there is
    /// none, its arrivals have ended.
    #[inline(always)]
    fn schedule_arrival(&mut self, si: u16, k: &mut Kernel<Ev>) {
        let rt = &mut self.sources[si as usize];
        let (arrivals, window) = (rt.arrivals, rt.window);
        if let (Arrivals::Renewal(d), None) = (arrivals, window) {
            // The common case, kept as lean as before windows and cohorts existed.
            let gap = Duration::from_ticks_f64(d.sample_gap(&mut rt.rng));
            k.schedule_in(gap, Ev::Arrival(si));
            return;
        }
        let now = k.now();
        let window_from = window.map_or(Time::ZERO, |w| w.from);
        // An exponential draw of mean 1 (1 - U is in (0, 1]), inverted through the
        // cumulative rate.
        let exponential = |rng: &mut crate::engine::Rng| -(1.0 - unit(rng)).ln();
        let next = match arrivals {
            Arrivals::Renewal(d) => {
                let gap = Duration::from_ticks_f64(d.sample(&mut rt.rng));
                Some(now.max(window_from) + gap)
            }
            Arrivals::Schedule(periods) => {
                let e = exponential(&mut rt.rng);
                RatePeriod::next_arrival(periods, now.max(window_from), e)
            }
            Arrivals::Growth(g) => {
                let e = exponential(&mut rt.rng);
                g.next_arrival(now.max(window_from), e)
            }
            Arrivals::Cohort(c) => {
                let issued = rt.issued as u32;
                match c.spread {
                    _ if issued >= c.size => None,
                    _ if c.to == c.from => Some(c.from),
                    Spread::Even => Some(c.even(issued)),
                    Spread::Random => {
                        let u = unit(&mut rt.rng);
                        Some(c.next_random(now.max(c.from), c.size - issued, u))
                    }
                }
            }
            Arrivals::Dated(times) => times.get(rt.issued as usize).copied(),
        };
        let end = window.map_or(Time::NEVER, |w| w.to);
        match next {
            Some(t) if t < end => {
                rt.issued += 1;
                k.schedule_at(t.max(now), Ev::Arrival(si));
            }
            // Arrivals have ended. Whoever arrives now is not in the system yet: the
            // caller asks whether a run until empty is over once it is.
            _ => self.arriving -= 1,
        }
    }

    /// With `until_empty`, stops the run once no arrival is to come and no one is left.
    pub(super) fn stop_if_empty(&mut self, k: &mut Kernel<Ev>) {
        if self.spec.until_empty && self.arriving == 0 && self.in_system() == 0 {
            self.emptied = true;
            k.stop();
        }
    }
}

impl Model for Facility<'_> {
    type Event = Ev;

    fn start(&mut self, k: &mut Kernel<Ev>) {
        self.start_series(k);
        self.start_slots(k);
        self.start_years(k);
        for si in 0..self.sources.len() {
            self.schedule_arrival(si as u16, k);
        }
        for i in 0..self.spec.products.len() {
            if self.products[i].allo.is_some() {
                self.start_stock(i as u16, k);
            }
        }
        self.stop_if_empty(k);
    }

    fn handle(&mut self, ev: Ev, k: &mut Kernel<Ev>) {
        match ev {
            Ev::Arrival(si) => {
                self.schedule_arrival(si, k);
                let pi = self.sources[si as usize].product;
                self.products[pi as usize].life.arrived += 1;
                if self.in_window(k) {
                    self.products[pi as usize].arrived += 1;
                }
                if self.products[pi as usize].allo.is_some() {
                    self.order_arrives(pi, k);
                } else {
                    let c = self.new_entity(pi, Chain::Main, true, k);
                    if self.net.is_some() {
                        self.arrive_at_site(c, si, k.now());
                    }
                    self.start_step(c, 0, true, k);
                }
                // The last arrival of a run until empty may have left at once.
                self.stop_if_empty(k);
            }
            Ev::TouchEnd(c) => {
                let e = self.entities[c as usize];
                let ti = self.task_of(c, None);
                self.entities[c as usize].touch_over = true;
                if self.end_touch(c, ti, e.request, e.granted, k) {
                    self.entities[c as usize].holding = false;
                }
            }
            Ev::WorkEnd(c) if self.entities[c as usize].zombie => {
                // The patient left during this step; its slot is free from now on.
                self.entities[c as usize].zombie = false;
                self.zombies -= 1;
                self.free.push(c);
            }
            Ev::WorkEnd(c) => {
                let e = self.entities[c as usize];
                let ti = self.task_of(c, None);
                if e.holding {
                    self.entities[c as usize].holding = false;
                    let touch_done = self.tasks[ti].touch.is_some();
                    self.release(c, ti, e.request, e.granted, touch_done, k);
                }
                if self.net.is_some() && self.leg_over(c, ti, k) {
                    return;
                }
                let failure = self.failed(ti).map(|rule| (rule, ti));
                self.end_step(c, failure, k);
            }
            Ev::AssayTouchEnd(c, a) => {
                let at = c as usize * self.max_assays + a as usize;
                let slot = self.assays[at];
                let ti = self.task_of(c, Some(a));
                self.assays[at].touch_over = true;
                if self.end_touch(c, ti, slot.request, slot.granted, k) {
                    self.assays[at].holding = false;
                }
            }
            Ev::AssayEnd(c, a) => {
                let at = c as usize * self.max_assays + a as usize;
                let slot = self.assays[at];
                let ti = self.task_of(c, Some(a));
                if slot.holding {
                    self.assays[at].holding = false;
                    let touch_done = self.tasks[ti].touch.is_some();
                    self.release(c, ti, slot.request, slot.granted, touch_done, k);
                }
                let failed = self.failed(ti).is_some();
                if let Some(l) = &mut self.ledger
                    && k.now() >= self.spec.warmup_end()
                {
                    l.ran(c, ti);
                }
                let e = &mut self.entities[c as usize];
                if failed && e.first_failed.is_none_or(|f| a < f) {
                    e.first_failed = Some(a);
                }
                e.outstanding -= 1;
                if e.outstanding == 0 {
                    let failure = e.first_failed.map(|f| {
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
                self.entities[c as usize].patience_timer = None;
                let e = self.entities[c as usize];
                let product = e.product;
                if e.waiting_for_stock {
                    self.order_gives_up(c, k);
                } else {
                    debug_assert!(e.queued, "patience timers stop when service starts");
                    self.products[product as usize].life.dropped_out += 1;
                    if self.in_window(k) {
                        self.products[product as usize].dropped_out += 1;
                    }
                    self.stop_queueing(c, k);
                    self.leave(c, false, k);
                }
            }
            Ev::Campaign(pi) => self.campaign(pi, k),
            Ev::Expiry(pi) => self.expire(pi, k),
            Ev::Period => self.record_period(k),
            Ev::CostYear => self.close_year(k),
            Ev::Hazard(c, h) => self.strike(c, h, k),
            Ev::SlotRelease(s) => self.release_slots(s, k),
            Ev::SlotExpiry(s) => self.expire_slots(s, k),
            Ev::BookedStart(c) => self.start_booked(c, k),
        }
    }

    fn granted(&mut self, t: u64, k: &mut Kernel<Ev>) {
        let (c, assay) = untoken(t);
        let now = k.now();
        match assay {
            None => {
                let since = self.entities[c as usize].step_start;
                self.entities[c as usize].granted = now;
                self.entities[c as usize].queued = false;
                self.stop_waiting(c, since, k);
            }
            Some(_) => {
                let e = &mut self.entities[c as usize];
                e.longest_wait = e.longest_wait.max(now.since(e.step_start));
            }
        }
        self.begin_work(c, assay, k);
    }

    fn reset_statistics(&mut self, now: Time) {
        for s in &mut self.slots {
            s.reset(now);
        }
        for rt in &mut self.products {
            rt.arrived = 0;
            rt.completed = 0;
            rt.lost = 0;
            rt.dropped_out = 0;
            rt.left = 0;
            rt.waited_all = 0;
            rt.waited_completed = 0;
            rt.v2v.reset();
            rt.wip.reset(now);
            rt.milestones.reset();
            rt.hazards.in_window.fill(0);
            rt.bookings.window.fill(Default::default());
            for ch in &mut rt.chains {
                ch.step_wait.fill(0);
                ch.step_work.fill(0);
                ch.finished = 0;
            }
            if let Some(a) = &mut rt.allo {
                a.reset_statistics(now);
            }
        }
        self.held.fill(0);
        if let Some(l) = &mut self.ledger {
            l.reset();
        }
        if let Some(net) = &mut self.net {
            net.reset(now);
        }
    }
}
