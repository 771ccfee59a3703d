//! Make-to-stock for allogeneic products: batches into a cryo store, orders out of it.
//!
//! - **Batches** start by policy: a campaign (one every `every`, the first at time zero)
//!   or a reorder point (whenever the inventory position is at or below R, within the
//!   cap on batches in production). A batch walks the product's steps like a patient;
//!   released, it yields a draw of doses (rounded), stored first-expiry-first-out with
//!   the product's shelf life counted from the start of its last QC release step. Doses
//!   beyond the store's capacity are discarded. A batch that fails more often than its
//!   rule allows is scrapped (failed).
//! - **Orders** arrive like patients. An order takes `order_size` doses at once if the
//!   store has them (served from stock), else it waits in a FIFO backorder queue, with
//!   the product's patience; a released batch serves waiting orders oldest first. A
//!   served order walks the `delivery` chain; order-to-infusion runs from its arrival.
//!
//! This module must not parse files or print.

use super::{Chain, Ev, Facility};
use crate::engine::{Dist, Duration, Kernel, Rng, Time, Welford};
use crate::model::inventory::Inventory;
use crate::model::spec::{Allogeneic, Policy};

/// Per allogeneic product: the store and the windowed counts.
pub(super) struct AlloRt {
    pub inv: Inventory,
    doses: Dist,
    doses_rng: Rng,
    expected_doses: f64,
    pub from_stock: u64,
    pub backordered: u64,
    /// Wait of backordered orders from arrival to service, in days.
    pub backorder_wait: Welford,
    pub batches_started: u64,
    pub batches_released: u64,
    pub batches_failed: u64,
}

impl AlloRt {
    pub fn new(a: &Allogeneic, doses_rng: Rng) -> AlloRt {
        AlloRt {
            inv: Inventory::new(a.stock_capacity),
            doses: a.doses.clone(),
            doses_rng,
            expected_doses: a.doses.mean().round(),
            from_stock: 0,
            backordered: 0,
            backorder_wait: Welford::new(),
            batches_started: 0,
            batches_released: 0,
            batches_failed: 0,
        }
    }

    pub fn reset_statistics(&mut self, now: Time) {
        self.inv.reset_statistics(now);
        self.from_stock = 0;
        self.backordered = 0;
        self.backorder_wait.reset();
        self.batches_started = 0;
        self.batches_released = 0;
        self.batches_failed = 0;
    }
}

impl Facility<'_> {
    fn allo(&mut self, pi: u16) -> &mut AlloRt {
        self.products[pi as usize]
            .allo
            .as_mut()
            .expect("an allogeneic product")
    }

    fn allo_spec(&self, pi: u16) -> &Allogeneic {
        self.spec.products[pi as usize]
            .allogeneic
            .as_ref()
            .expect("an allogeneic product")
    }

    /// At time zero: the first campaign batch, or batches up to the reorder point.
    pub(super) fn start_stock(&mut self, pi: u16, k: &mut Kernel<Ev>) {
        match self.allo_spec(pi).policy {
            Policy::Campaign { .. } => k.schedule_in(Duration::ZERO, Ev::Campaign(pi)),
            Policy::ReorderPoint { .. } => self.replenish(pi, k),
        }
    }

    pub(super) fn campaign(&mut self, pi: u16, k: &mut Kernel<Ev>) {
        if let Policy::Campaign { every } = self.allo_spec(pi).policy {
            self.start_batch(pi, k);
            k.schedule_in(every, Ev::Campaign(pi));
        }
    }

    /// Under a reorder point: start batches while the position is at or below it.
    fn replenish(&mut self, pi: u16, k: &mut Kernel<Ev>) {
        let Policy::ReorderPoint {
            level,
            max_in_production,
        } = self.allo_spec(pi).policy
        else {
            return;
        };
        loop {
            let inv = &self.allo(pi).inv;
            if inv.position() > level as f64
                || max_in_production.is_some_and(|m| inv.in_production >= m)
            {
                return;
            }
            self.start_batch(pi, k);
        }
    }

    fn start_batch(&mut self, pi: u16, k: &mut Kernel<Ev>) {
        let in_window = self.in_window(k);
        let a = self.allo(pi);
        a.inv.in_production += 1;
        a.inv.on_order += a.expected_doses;
        if in_window {
            a.batches_started += 1;
        }
        let c = self.new_entity(pi, Chain::Main, false, k);
        self.start_step(c, 0, false, k);
    }

    fn batch_done(&mut self, pi: u16) {
        let a = self.allo(pi);
        a.inv.in_production -= 1;
        a.inv.on_order -= a.expected_doses;
    }

    pub(super) fn batch_failed(&mut self, pi: u16, in_window: bool, k: &mut Kernel<Ev>) {
        self.batch_done(pi);
        if in_window {
            self.allo(pi).batches_failed += 1;
        }
        self.replenish(pi, k);
    }

    /// Batch `c` is released: its doses go into stock and serve waiting orders.
    pub(super) fn batch_released(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let now = k.now();
        let e = self.entities[c as usize];
        let pi = e.product;
        let shelf_life = self.allo_spec(pi).shelf_life;
        let in_window = self.in_window(k);
        self.batch_done(pi);
        let a = self.allo(pi);
        let doses = a.doses_rng_sample();
        let expiry = shelf_life.map_or(Time::NEVER, |life| e.qc_started.unwrap_or(now) + life);
        let stored = a.inv.receive(now, doses, expiry);
        if in_window {
            a.batches_released += 1;
            if let Some(l) = &mut self.ledger {
                l.released(c, pi, doses);
            }
        }
        if stored > 0 && expiry != Time::NEVER {
            k.schedule_at(expiry.max(now), Ev::Expiry(pi));
        }
        self.serve_backorders(pi, k);
        self.replenish(pi, k);
    }

    fn serve_backorders(&mut self, pi: u16, k: &mut Kernel<Ev>) {
        let (now, in_window) = (k.now(), self.in_window(k));
        while let Some((o, size)) = self.allo(pi).inv.next_servable() {
            let taken = self.allo(pi).inv.take(now, size);
            debug_assert!(taken, "next_servable checks the stock");
            let arrived = self.entities[o as usize].arrived;
            self.entities[o as usize].waiting_for_stock = false;
            self.stop_waiting(o, arrived, k);
            if in_window {
                self.allo(pi)
                    .backorder_wait
                    .record(now.since(arrived).as_days());
            }
            self.deliver(o, k);
        }
    }

    /// An order arrives: served from stock, or backordered.
    pub(super) fn order_arrives(&mut self, pi: u16, k: &mut Kernel<Ev>) {
        let (now, in_window) = (k.now(), self.in_window(k));
        let size = u64::from(self.allo_spec(pi).order_size);
        let c = self.new_entity(pi, Chain::Delivery, true, k);
        if self.allo(pi).inv.take(now, size) {
            if in_window {
                self.allo(pi).from_stock += 1;
            }
            self.deliver(c, k);
        } else {
            if in_window {
                self.allo(pi).backordered += 1;
            }
            self.entities[c as usize].waiting_for_stock = true;
            self.allo(pi).inv.backorder(c, size);
            self.wait_patiently(c, k);
        }
        self.replenish(pi, k);
    }

    /// A backordered order ran out of patience.
    pub(super) fn order_gives_up(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let pi = self.entities[c as usize].product;
        let cancelled = self.allo(pi).inv.cancel_backorder(c);
        debug_assert!(cancelled, "the order was waiting for stock");
        self.products[pi as usize].life.dropped_out += 1;
        if self.in_window(k) {
            self.products[pi as usize].dropped_out += 1;
        }
        self.leave(c, false, k);
        self.replenish(pi, k);
    }

    fn deliver(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let e = self.entities[c as usize];
        if self.steps(e.product, Chain::Delivery).is_empty() {
            self.finish_chain(c, k);
        } else {
            self.start_step(c, 0, false, k);
        }
    }

    pub(super) fn expire(&mut self, pi: u16, k: &mut Kernel<Ev>) {
        self.allo(pi).inv.expire(k.now());
        self.replenish(pi, k);
    }
}

impl AlloRt {
    /// Doses of one released batch: a draw of the dose distribution, rounded.
    fn doses_rng_sample(&mut self) -> u64 {
        self.doses.sample(&mut self.doses_rng).round() as u64
    }
}
