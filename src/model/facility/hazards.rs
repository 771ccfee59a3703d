//! Hazards: competing risks of a patient (death, progression, loss of eligibility) over
//! phases of the chain. The time to the event is drawn when the patient first starts the
//! phase's `from` step and runs in calendar time until it has finished the `to` step
//! (rework inside the phase keeps it running). When it comes first, the patient leaves:
//! at once if waiting for resources (the request is withdrawn), for a booked window (the
//! window is freed) or in a step without resources (a wait, a courier), else at the end
//! of the step in progress (work once started runs to its end, its resources used). The
//! event is counted, by cause, in the step where it happened.
//!
//! Every running clock is a cancellable timer, cancelled when the phase is over or the
//! patient leaves, so a patient's slot is never reached by a stale event.
//!
//! This module must not parse files or print.

use super::{Chain, Ev, Facility};
use crate::engine::{Duration, Kernel, Timer};
use crate::model::metrics::hazard_outcomes;
use crate::model::spec::{ProductSpec, StepKind};

/// A hazard's clock for one patient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Clock {
    /// The phase has not started.
    Idle,
    /// Running; the event is due at the timer.
    Running(Timer),
    /// The phase is over, or the event happened.
    Over,
}

/// Per product: each hazard's cause, and the events counted by cause and step.
pub(super) struct HazardsRt {
    /// Index of each hazard's cause in `hazard_outcomes`.
    cause: Vec<usize>,
    pub(super) steps: usize,
    /// Events in the window, `[cause * steps + step]`.
    pub(super) in_window: Vec<u64>,
    /// Events since the start of the run, per cause (for the time series).
    pub(super) life: Vec<u64>,
}

impl HazardsRt {
    pub(super) fn new(p: &ProductSpec) -> HazardsRt {
        let causes = hazard_outcomes(p);
        let cause = p
            .hazards
            .iter()
            .map(|h| {
                causes
                    .iter()
                    .position(|(c, _)| *c == h.cause)
                    .expect("every cause is listed")
            })
            .collect();
        HazardsRt {
            cause,
            steps: p.steps.len(),
            in_window: vec![0; causes.len() * p.steps.len()],
            life: vec![0; causes.len()],
        }
    }
}

impl Facility<'_> {
    /// Patient `c` starts step `step`: start the clocks of the phases it opens.
    #[inline(always)]
    pub(super) fn open_phases(&mut self, c: u32, step: usize, k: &mut Kernel<Ev>) {
        if self.max_hazards == 0 {
            return;
        }
        let e = &self.entities[c as usize];
        if e.chain != Chain::Main {
            return;
        }
        let pi = e.product as usize;
        for (h, spec) in self.spec.products[pi].hazards.iter().enumerate() {
            let at = c as usize * self.max_hazards + h;
            if spec.from == step && self.clocks[at] == Clock::Idle {
                let rng = &mut self.products[pi].hazard_rng;
                let delay = Duration::from_ticks_f64(spec.time.sample(rng));
                let timer = k.schedule_cancellable_in(delay, Ev::Hazard(c, h as u16));
                self.clocks[at] = Clock::Running(timer);
            }
        }
    }

    /// Patient `c` finished step `step` and moves on: stop the clocks of the phases it
    /// closes.
    #[inline(always)]
    pub(super) fn close_phases(&mut self, c: u32, step: usize, k: &mut Kernel<Ev>) {
        if self.max_hazards == 0 {
            return;
        }
        let e = &self.entities[c as usize];
        if e.chain != Chain::Main {
            return;
        }
        for (h, spec) in self.spec.products[e.product as usize]
            .hazards
            .iter()
            .enumerate()
        {
            let at = c as usize * self.max_hazards + h;
            if spec.to == step
                && let Clock::Running(t) = self.clocks[at]
            {
                k.cancel(t);
                self.clocks[at] = Clock::Over;
            }
        }
    }

    /// Patient `c` leaves: no clock of it may run on.
    #[inline(always)]
    pub(super) fn stop_clocks(&mut self, c: u32, k: &mut Kernel<Ev>) {
        if self.max_hazards == 0 {
            return;
        }
        let range = c as usize * self.max_hazards..(c as usize + 1) * self.max_hazards;
        for clock in &mut self.clocks[range] {
            if let Clock::Running(t) = *clock {
                k.cancel(t);
            }
            *clock = Clock::Idle;
        }
    }

    /// Hazard `h` strikes patient `c`: count it where it happened; the patient leaves now
    /// if waiting, else at the end of its step.
    pub(super) fn strike(&mut self, c: u32, h: u16, k: &mut Kernel<Ev>) {
        self.clocks[c as usize * self.max_hazards + h as usize] = Clock::Over;
        let e = self.entities[c as usize];
        let in_window = self.in_window(k);
        let rt = &mut self.products[e.product as usize].hazards;
        let cause = rt.cause[h as usize];
        rt.life[cause] += 1;
        if in_window {
            rt.in_window[cause * rt.steps + e.step as usize] += 1;
        }
        self.entities[c as usize].struck = true;
        let idle = matches!(
            self.steps(e.product, e.chain)[e.step as usize].kind,
            StepKind::Work(..)
        ) && self.tasks[self.task_of(c, None)].needs.is_empty();
        if e.queued || self.waiting_for_slot(c) || self.waiting_for_window(c) {
            self.stop_queueing(c, k);
            self.leave(c, false, k);
        } else if idle {
            // A step of time alone (a wait, a courier): the patient leaves now.
            self.entities[c as usize].zombie = true;
            self.step_times[c as usize * self.max_steps + e.step as usize].1 +=
                k.now().since(e.step_start).ticks();
            self.leave(c, false, k);
        }
    }
}
