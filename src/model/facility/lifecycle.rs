//! An entity's life in the facility's records: its creation (a patient arrives, a batch
//! starts, an order comes in), with its patience and per-step records reset, and its
//! departure (completed, lost, dropped out), with the statistics of those who leave.
//! The steps it walks in between are the parent module's.
//!
//! This module must not parse files or print.

use super::{AssaySlot, Chain, Entity, Ev, Extra, Facility, UNLIMITED, hazards, limits};
use crate::engine::{Duration, Kernel, RequestId, Time};

impl Facility<'_> {
    /// A new entity of `product` on `chain`, arrived now; draws its patience if `patient`.
    #[inline(always)]
    pub(super) fn new_entity(
        &mut self,
        product: u16,
        chain: Chain,
        patient: bool,
        k: &mut Kernel<Ev>,
    ) -> u32 {
        let now = k.now();
        let (mut patience_left, mut score) = (UNLIMITED, 0.0);
        if self.draws_on_arrival && patient {
            let (p, rt) = (
                &self.spec.products[product as usize],
                &mut self.products[product as usize],
            );
            if let Some(d) = &p.patience {
                patience_left = Duration::from_ticks_f64(d.sample(&mut rt.patience_rng));
            }
            if let Some(d) = &p.score {
                score = d.sample(&mut rt.score_rng);
            }
        }
        let e = Entity {
            live: true,
            serial: self.born,
            plan_at: self.products[product as usize].chains[chain as usize].plan_at,
            product,
            chain,
            step: 0,
            task: 0,
            n_assays: 0,
            last_step: false,
            arrived: now,
            step_start: now,
            request: RequestId::UNSET,
            holding: false,
            touch_over: false,
            granted: now,
            outstanding: 0,
            longest_wait: Duration::ZERO,
            first_failed: None,
            patience_left,
            patience_timer: None,
            waiting_for_stock: false,
            queued: false,
            struck: false,
            zombie: false,
            qc_started: None,
        };
        let c = match self.free.pop() {
            Some(c) => {
                self.entities[c as usize] = e;
                c
            }
            None => {
                self.entities.push(e);
                let n = self.entities.len();
                self.attempts.resize(n * self.max_rules, 0);
                self.step_times.resize(n * self.max_steps, (0, 0));
                self.marks.resize(n * self.max_marks, Time::NEVER);
                self.clocks
                    .resize(n * self.max_hazards, hazards::Clock::Idle);
                let empty = AssaySlot {
                    request: RequestId::UNSET,
                    holding: false,
                    touch_over: false,
                    granted: now,
                };
                self.assays.resize(n * self.max_assays, empty);
                (n - 1) as u32
            }
        };
        self.born += 1;
        if !self.plain {
            if self.net.is_some() {
                self.new_sited(c);
            }
            if let Some(l) = &mut self.ledger {
                l.new_entity(c);
            }
            if self.with_extras {
                if self.extras.len() <= c as usize {
                    self.extras.resize(c as usize + 1, Extra::default());
                }
                self.extras[c as usize] = Extra {
                    score,
                    ..Extra::default()
                };
            }
        }
        if patient {
            self.products[product as usize].wip.increment(now);
        }
        if self.overloaded.is_none() && self.in_system() > limits::MAX_IN_SYSTEM {
            self.overloaded = Some((product, now));
            k.stop();
        }
        let n_rules = self.max_rules;
        if n_rules > 0 {
            reset(
                &mut self.attempts[c as usize * n_rules..(c as usize + 1) * n_rules],
                0,
            );
        }
        reset(
            &mut self.step_times[c as usize * self.max_steps..(c as usize + 1) * self.max_steps],
            (0, 0),
        );
        if self.max_marks > 0 {
            self.marks[c as usize * self.max_marks..(c as usize + 1) * self.max_marks]
                .fill(Time::NEVER);
        }
        c
    }

    /// Entity `c` leaves the system (`completed`: at the end of its chain). A patient of an
    /// autologous product leaving in the window adds its time in queues to its product's
    /// waiting totals.
    #[inline(always)]
    pub(super) fn leave(&mut self, c: u32, completed: bool, k: &mut Kernel<Ev>) {
        if !self.plain {
            self.stop_clocks(c, k);
            if self.net.is_some() {
                self.leave_site(c, completed, k.now());
            }
            if self.with_extras {
                self.release_seized(c, k);
                self.cancel_booking(c, k);
                if self.waiting_for_slot(c) {
                    self.leave_slot_queue(c, k.now());
                }
            }
            if let Some(l) = &mut self.ledger
                && !completed
                && k.now() >= self.spec.warmup_end()
            {
                l.lost(c);
            }
        }
        let e = self.entities[c as usize];
        let rt = &mut self.products[e.product as usize];
        if e.chain == Chain::Delivery || rt.allo.is_none() {
            rt.wip.decrement(k.now());
        }
        if e.chain == Chain::Main && rt.allo.is_none() && k.now() >= self.spec.warmup_end() {
            let waited: u64 = self.step_times[c as usize * self.max_steps..]
                [..rt.chains[0].step_wait.len()]
                .iter()
                .map(|t| t.0)
                .sum();
            rt.left += 1;
            rt.waited_all += u128::from(waited);
            if completed {
                rt.waited_completed += u128::from(waited);
            }
        }
        self.entities[c as usize].live = false;
        // A slot in hand goes back to be offered again (once this patient is gone).
        let held = self.with_extras && self.extras[c as usize].slot_held.is_some();
        if self.entities[c as usize].zombie {
            // Its step's end is still scheduled: the slot is freed when it comes.
            self.zombies += 1;
        } else {
            self.free.push(c);
        }
        if held {
            self.give_back_slot(c, k);
        }
        self.stop_if_empty(k);
    }
}

/// Sets every element of `s` to `v`. An entity's per-step records are none or a few
/// elements long, where `fill`'s call to `memset` costs more than the stores.
#[inline(always)]
fn reset<T: Copy>(s: &mut [T], v: T) {
    match s {
        [] => {}
        [a] => *a = v,
        [a, b] => (*a, *b) = (v, v),
        _ => s.fill(v),
    }
}
