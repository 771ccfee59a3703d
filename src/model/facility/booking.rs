//! Booking ahead: a step whose resource is reserved for a window rather than queued for
//! (a campaign booking a lab of a process-development testbed; see
//! [`Booking`](crate::model::spec::Booking)).
//!
//! When the step starts, its work is drawn and the resource's reservation calendar gives
//! the earliest window that long, starting `lead` or more later, on one unit. A window
//! ending after the deadline is refused (the campaign leaves) or postponed (booked all the
//! same, counted late). At the window's start the unit is requested from the pool: it is
//! free, or freed at that very instant by the window before it, since the resource is
//! used by booking steps alone and holds no changeover. The work lasts exactly to the
//! window's end. A campaign that leaves before its window (a hazard) frees it.
//!
//! This module must not parse files or print.

use super::{Ev, Facility, token};
use crate::engine::{Duration, Kernel, Reserved, Time, Timer};
use crate::model::spec::{Late, ProductSpec};

/// A window booked and not yet started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pending {
    pub(super) window: Reserved,
    /// The resource (its reservation calendar).
    pub(super) resource: u16,
    /// The start event, until it comes.
    pub(super) timer: Option<Timer>,
}

/// Bookings of one step (in the window, or since the start of the run).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct BookingCount {
    pub(super) requested: u64,
    pub(super) on_time: u64,
    pub(super) late: u64,
    pub(super) refused: u64,
    pub(super) cancelled: u64,
    /// Ticks from request to window start, summed over the bookings made.
    pub(super) lead: u128,
}

/// Per product: the bookings of each step (empty when no step books).
pub(super) struct BookingsRt {
    pub(super) window: Vec<BookingCount>,
    pub(super) life: Vec<BookingCount>,
}

impl BookingsRt {
    pub(super) fn new(p: &ProductSpec) -> BookingsRt {
        let n = if p.steps.iter().any(|s| s.booking.is_some()) {
            p.steps.len()
        } else {
            0
        };
        BookingsRt {
            window: vec![BookingCount::default(); n],
            life: vec![BookingCount::default(); n],
        }
    }

    fn count(&mut self, step: usize, in_window: bool, f: impl Fn(&mut BookingCount)) {
        f(&mut self.life[step]);
        if in_window {
            f(&mut self.window[step]);
        }
    }
}

impl Facility<'_> {
    /// Patient `c`'s step `step` (a booking step) starts its work: book the window, or
    /// refuse.
    pub(super) fn book_ahead(&mut self, c: u32, step: usize, k: &mut Kernel<Ev>) {
        let (now, in_window) = (k.now(), self.in_window(k));
        let pi = self.entities[c as usize].product as usize;
        let b = self.spec.products[pi].steps[step]
            .booking
            .expect("a booking step");
        let ti = self.task_of(c, None);
        let t = &mut self.tasks[ti];
        let length = Duration::from_ticks_f64(t.duration.sample(&mut t.duration_rng));
        let resource = t.needs[0].0.0 as usize;
        let calendar = &mut self.reservations[resource];
        calendar.prune(now);
        let w = calendar
            .earliest(now + b.lead, length)
            .expect("a booked resource has units");
        let late = b.deadline.is_some_and(|d| w.end > now + d);
        let flows = &mut self.products[pi].bookings;
        flows.count(step, in_window, |f| f.requested += 1);
        if late && b.late == Late::Refuse {
            flows.count(step, in_window, |f| f.refused += 1);
            self.leave(c, false, k);
            return;
        }
        calendar.book(w);
        let lead = u128::from(w.start.since(now).ticks());
        flows.count(step, in_window, |f| {
            if late {
                f.late += 1;
            } else {
                f.on_time += 1;
            }
            f.lead += lead;
        });
        let timer = k.schedule_cancellable_in(w.start.since(now), Ev::BookedStart(c));
        self.extras[c as usize].booked = Some(Pending {
            window: w,
            resource: resource as u16,
            timer: Some(timer),
        });
    }

    /// Patient `c`'s booked window starts: its unit is requested (free now, or freed at
    /// this instant by the window before it).
    pub(super) fn start_booked(&mut self, c: u32, k: &mut Kernel<Ev>) {
        if let Some(p) = &mut self.extras[c as usize].booked {
            p.timer = None;
        }
        let ti = self.task_of(c, None);
        let t = &self.tasks[ti];
        let req = k.request(t.needs, t.priority, token(c, None));
        self.entities[c as usize].request = req;
        if k.is_waiting(req) {
            self.entities[c as usize].queued = true;
        }
    }

    /// True while patient `c` waits for its booked window to start.
    pub(super) fn waiting_for_window(&self, c: u32) -> bool {
        self.with_extras
            && self.extras[c as usize]
                .booked
                .is_some_and(|p| p.timer.is_some())
    }

    /// The work of patient `c`'s booked step begins now: it lasts to the window's end.
    #[inline]
    pub(super) fn booked_work(&mut self, c: u32, now: Time) -> Option<Duration> {
        if !self.with_extras {
            return None;
        }
        let p = self.extras[c as usize].booked.take()?;
        debug_assert_eq!(now, p.window.start, "a booked unit is free at its window");
        Some(p.window.end.since(now))
    }

    /// Patient `c` leaves before its booked window began: the window is freed.
    pub(super) fn cancel_booking(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let Some(p) = self.extras[c as usize].booked.take() else {
            return;
        };
        if let Some(timer) = p.timer {
            k.cancel(timer);
        }
        self.reservations[p.resource as usize].cancel(p.window);
        let in_window = self.in_window(k);
        let e = &self.entities[c as usize];
        let step = e.step as usize;
        self.products[e.product as usize]
            .bookings
            .count(step, in_window, |f| f.cancelled += 1);
    }
}
