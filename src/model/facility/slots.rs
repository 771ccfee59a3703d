//! Slot calendars: manufacturing slots released on dates or periodically, offered to the
//! patients waiting for them (first come first served, or by priority score, ties first
//! come first served), and wasted when nobody takes them within `open_for`.
//!
//! A patient reaching a step with a slot joins the calendar's queue; the step's work
//! starts when a slot is allocated. The slot is held until the start of the step named
//! by `until`, when it is used; a patient who leaves while holding one gives it back,
//! and it is offered again (open for `open_for` from then). A patient struck by a hazard
//! while waiting leaves the queue (the entry is skipped when it comes up).
//!
//! This module must not parse files or print.

use super::{Ev, Facility};
use crate::engine::{Kernel, Rng, Time, TimeWeighted};
use crate::model::spec::SlotRelease;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A slot allocated to a patient and not yet used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Held {
    /// The calendar.
    pub(super) slot: u16,
    /// The step whose start uses it.
    pub(super) until: u16,
}

/// Flows of a calendar (in the window, or since the start of the run).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct SlotFlow {
    pub(super) released: u64,
    pub(super) joined: u64,
    pub(super) allocated: u64,
    pub(super) used: u64,
    pub(super) returned: u64,
    pub(super) wasted: u64,
    /// Ticks from joining the queue to allocation, summed over the allocated.
    pub(super) wait: u128,
}

/// A slot calendar while a replication runs.
pub(super) struct SlotRt {
    /// Expiry of each open slot, earliest first.
    open: VecDeque<Time>,
    /// Waiting patients: (score key, earliest ticket first, entity).
    queue: BinaryHeap<(u64, Reverse<u64>, u32)>,
    pub(super) waiting: TimeWeighted,
    next_date: usize,
    count_rng: Rng,
    pub(super) window: SlotFlow,
    pub(super) life: SlotFlow,
}

impl SlotRt {
    pub(super) fn new(count_rng: Rng) -> SlotRt {
        SlotRt {
            open: VecDeque::new(),
            queue: BinaryHeap::new(),
            waiting: TimeWeighted::new(Time::ZERO, 0),
            next_date: 0,
            count_rng,
            window: SlotFlow::default(),
            life: SlotFlow::default(),
        }
    }

    /// Slots open now.
    pub(super) fn open_slots(&self) -> usize {
        self.open.len()
    }

    pub(super) fn reset(&mut self, now: Time) {
        self.window = SlotFlow::default();
        self.waiting.reset(now);
    }
}

/// A score as a key whose unsigned order is the score's order.
fn score_key(x: f64) -> u64 {
    let b = x.to_bits();
    if x.is_sign_negative() {
        !b
    } else {
        b | 1 << 63
    }
}

/// Most slots one release may make available (a count drawn beyond it is cut): a
/// hundred thousand, far beyond any manufacturing calendar; keeps memory bounded.
const MAX_PER_RELEASE: u64 = 100_000;

impl Facility<'_> {
    /// Schedules each calendar's first release.
    pub(super) fn start_slots(&mut self, k: &mut Kernel<Ev>) {
        for (s, spec) in self.spec.slots.iter().enumerate() {
            let first = match &spec.release {
                SlotRelease::Dates { at, .. } => at.first().copied(),
                SlotRelease::Every { first, until, .. } => Some(*first).filter(|t| t < until),
            };
            if let Some(t) = first {
                k.schedule_at(t, Ev::SlotRelease(s as u16));
            }
        }
    }

    /// Calendar `s` releases its slots now; the next release is scheduled.
    pub(super) fn release_slots(&mut self, s: u16, k: &mut Kernel<Ev>) {
        let now = k.now();
        let spec = &self.spec.slots[s as usize];
        let rt = &mut self.slots[s as usize];
        let n = match &spec.release {
            SlotRelease::Dates { at, count } => {
                rt.next_date += 1;
                if let Some(&t) = at.get(rt.next_date) {
                    k.schedule_at(t.max(now), Ev::SlotRelease(s));
                }
                u64::from(*count)
            }
            SlotRelease::Every {
                every,
                count,
                until,
                ..
            } => {
                if now + *every < *until {
                    k.schedule_in(*every, Ev::SlotRelease(s));
                }
                (count.sample(&mut rt.count_rng).round().max(0.0) as u64).min(MAX_PER_RELEASE)
            }
        };
        if n == 0 {
            return;
        }
        let expiry = now + spec.open_for;
        rt.open.extend(std::iter::repeat_n(expiry, n as usize));
        rt.life.released += n;
        if self.in_window(k) {
            self.slots[s as usize].window.released += n;
        }
        k.schedule_at(expiry, Ev::SlotExpiry(s));
        self.allocate_slots(s, k);
    }

    /// Open slots of calendar `s` whose time is up are wasted.
    pub(super) fn expire_slots(&mut self, s: u16, k: &Kernel<Ev>) {
        let (now, in_window) = (k.now(), self.in_window(k));
        let rt = &mut self.slots[s as usize];
        while rt.open.front().is_some_and(|&t| t <= now) {
            rt.open.pop_front();
            rt.life.wasted += 1;
            if in_window {
                rt.window.wasted += 1;
            }
        }
    }

    /// Patient `c` waits for a slot of calendar `s`.
    pub(super) fn join_slot_queue(&mut self, c: u32, s: usize, k: &mut Kernel<Ev>) {
        if self.extras[c as usize].slot_held.is_some() {
            // Back at a slot step with a slot in hand (rework): it goes back first.
            self.give_back_slot(c, k);
        }
        let (now, in_window) = (k.now(), self.in_window(k));
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let x = &mut self.extras[c as usize];
        x.slot_ticket = ticket;
        let rt = &mut self.slots[s];
        rt.queue.push((score_key(x.score), Reverse(ticket), c));
        rt.waiting.increment(now);
        rt.life.joined += 1;
        if in_window {
            rt.window.joined += 1;
        }
        self.allocate_slots(s as u16, k);
    }

    /// True while patient `c` waits for a slot.
    pub(super) fn waiting_for_slot(&self, c: u32) -> bool {
        self.with_extras && self.extras[c as usize].slot_ticket != 0
    }

    /// Patient `c` leaves the slot queue it waits in (its entry is skipped later).
    pub(super) fn leave_slot_queue(&mut self, c: u32, now: Time) {
        self.extras[c as usize].slot_ticket = 0;
        let e = &self.entities[c as usize];
        let s = self.spec.products[e.product as usize].steps[e.step as usize]
            .slot
            .expect("waiting at a slot step")
            .slot;
        self.slots[s].waiting.decrement(now);
    }

    /// Patient `c` reached the step that uses its slot.
    pub(super) fn use_slot(&mut self, c: u32) {
        let Some(held) = self.extras[c as usize].slot_held.take() else {
            return;
        };
        let in_window = self.entities[c as usize].step_start >= self.window_start();
        let rt = &mut self.slots[held.slot as usize];
        rt.life.used += 1;
        if in_window {
            rt.window.used += 1;
        }
    }

    /// Patient `c` gives its slot back (it leaves, or needs a new one): offered again.
    pub(super) fn give_back_slot(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let Some(held) = self.extras[c as usize].slot_held.take() else {
            return;
        };
        let (now, in_window) = (k.now(), self.in_window(k));
        let s = held.slot;
        let expiry = now + self.spec.slots[s as usize].open_for;
        let rt = &mut self.slots[s as usize];
        rt.life.returned += 1;
        if in_window {
            rt.window.returned += 1;
        }
        // Open slots stay in expiry order: this one expires last.
        rt.open.push_back(expiry);
        k.schedule_at(expiry, Ev::SlotExpiry(s));
        self.allocate_slots(s, k);
    }

    /// Offers calendar `s`'s open slots to its waiting patients.
    fn allocate_slots(&mut self, s: u16, k: &mut Kernel<Ev>) {
        let (now, in_window) = (k.now(), self.in_window(k));
        loop {
            let rt = &mut self.slots[s as usize];
            if rt.open.is_empty() {
                return;
            }
            let Some(&(_, Reverse(ticket), c)) = rt.queue.peek() else {
                return;
            };
            rt.queue.pop();
            if self.extras[c as usize].slot_ticket != ticket {
                continue; // left the queue
            }
            rt.open.pop_front();
            rt.waiting.decrement(now);
            self.extras[c as usize].slot_ticket = 0;
            let e = &mut self.entities[c as usize];
            e.granted = now;
            let until = self.spec.products[e.product as usize].steps[e.step as usize]
                .slot
                .expect("waiting at a slot step")
                .until;
            let (step_start, step) = (e.step_start, e.step as usize);
            self.extras[c as usize].slot_held = Some(Held {
                slot: s,
                until: until as u16,
            });
            let waited = u128::from(now.since(step_start).ticks());
            let rt = &mut self.slots[s as usize];
            rt.life.allocated += 1;
            if in_window {
                rt.window.allocated += 1;
                rt.window.wait += waited;
            }
            if until == step {
                self.use_slot(c);
            }
            self.start_work(c, step, false, k);
        }
    }
}
