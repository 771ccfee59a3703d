//! The cryo inventory of an allogeneic product: lots of doses with an expiry time,
//! first-expiry-first-out, a capacity in doses (dewar positions), and the queue of
//! orders waiting for doses (backorders).
//!
//! Every lot of one product has the same shelf life, so first-expiry-first-out is
//! first-released-first-out: lots form a queue, the front expires first. Doses a lot
//! brings beyond the free capacity are discarded at release (counted). The inventory
//! position used by the reorder-point policy is `on hand + on order - backordered`.
//!
//! Plain bookkeeping: no events, no randomness. The facility asks it what to do and
//! schedules what follows. This module must not know about pools or files.

use crate::engine::{Time, TimeWeighted};
use std::collections::VecDeque;

/// Lifetime dose counts (never reset), for conservation checks:
/// `released = used + expired + on_hand` and `arrived_in_batches = released + discarded`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DoseLedger {
    /// Doses that released batches brought.
    pub arrived_in_batches: u64,
    /// Doses stored (the rest did not fit and were discarded).
    pub released: u64,
    /// Doses discarded at release for lack of space.
    pub discarded: u64,
    /// Doses taken by orders.
    pub used: u64,
    /// Doses that reached their expiry in stock.
    pub expired: u64,
}

/// Stock, backorders and their statistics for one product.
#[derive(Clone, Debug)]
pub struct Inventory {
    lots: VecDeque<(Time, u64)>,
    on_hand: u64,
    capacity: u64,
    /// Orders waiting for doses, oldest first: (entity, doses wanted).
    backorders: VecDeque<(u32, u64)>,
    backordered_doses: u64,
    /// Doses expected from batches in production (for the inventory position).
    pub on_order: f64,
    /// Batches in production now.
    pub in_production: u32,
    ledger: DoseLedger,
    level: TimeWeighted,
    /// Windowed counts (reset at the warm-up).
    pub window: DoseLedger,
    /// Times the stock ran out (fell to zero) in the window.
    pub stockouts: u64,
}

impl Inventory {
    /// An empty store of `capacity` doses (`u64::MAX`: unlimited).
    pub fn new(capacity: u64) -> Inventory {
        Inventory {
            lots: VecDeque::new(),
            on_hand: 0,
            capacity,
            backorders: VecDeque::new(),
            backordered_doses: 0,
            on_order: 0.0,
            in_production: 0,
            ledger: DoseLedger::default(),
            level: TimeWeighted::new(Time::ZERO, 0),
            window: DoseLedger::default(),
            stockouts: 0,
        }
    }

    /// Doses in stock now.
    pub fn on_hand(&self) -> u64 {
        self.on_hand
    }

    /// Orders waiting for doses now.
    pub fn backorders(&self) -> usize {
        self.backorders.len()
    }

    /// On hand + on order - backordered.
    pub fn position(&self) -> f64 {
        self.on_hand as f64 + self.on_order - self.backordered_doses as f64
    }

    /// Lifetime dose counts.
    pub fn ledger(&self) -> DoseLedger {
        self.ledger
    }

    /// Time-average doses in stock over the window up to `now`.
    pub fn mean_level(&self, now: Time) -> f64 {
        self.level.mean(now)
    }

    fn set_level(&mut self, now: Time) {
        if self.on_hand == 0 && self.level.value() > 0 {
            self.stockouts += 1;
        }
        self.level.set(now, self.on_hand);
    }

    /// A batch brings `doses` at `now`, expiring at `expiry`. Returns the doses stored.
    pub fn receive(&mut self, now: Time, doses: u64, expiry: Time) -> u64 {
        let stored = doses.min(self.capacity.saturating_sub(self.on_hand));
        let discarded = doses - stored;
        for l in [&mut self.ledger, &mut self.window] {
            l.arrived_in_batches += doses;
            l.released += stored;
            l.discarded += discarded;
        }
        if stored > 0 {
            self.lots.push_back((expiry, stored));
            self.on_hand += stored;
            self.set_level(now);
        }
        stored
    }

    /// Takes `doses` from the oldest lots if there are enough; false (nothing taken) if not.
    pub fn take(&mut self, now: Time, doses: u64) -> bool {
        if self.on_hand < doses {
            return false;
        }
        let mut left = doses;
        while left > 0 {
            let front = self.lots.front_mut().expect("on_hand counts the lots");
            let n = front.1.min(left);
            front.1 -= n;
            left -= n;
            if front.1 == 0 {
                self.lots.pop_front();
            }
        }
        self.on_hand -= doses;
        self.ledger.used += doses;
        self.window.used += doses;
        self.set_level(now);
        true
    }

    /// Removes the lots that have expired by `now`; returns the doses lost.
    pub fn expire(&mut self, now: Time) -> u64 {
        let mut gone = 0;
        while let Some(&(expiry, n)) = self.lots.front() {
            if expiry > now {
                break;
            }
            gone += n;
            self.lots.pop_front();
        }
        if gone > 0 {
            self.on_hand -= gone;
            self.ledger.expired += gone;
            self.window.expired += gone;
            self.set_level(now);
        }
        gone
    }

    /// Order `entity` waits for `doses`.
    pub fn backorder(&mut self, entity: u32, doses: u64) {
        self.backorders.push_back((entity, doses));
        self.backordered_doses += doses;
    }

    /// The oldest backorder, if the stock can serve it now; it leaves the queue.
    pub fn next_servable(&mut self) -> Option<(u32, u64)> {
        let &(entity, doses) = self.backorders.front()?;
        if doses > self.on_hand {
            return None;
        }
        self.backorders.pop_front();
        self.backordered_doses -= doses;
        Some((entity, doses))
    }

    /// Order `entity` gives up waiting; false if it was not waiting.
    pub fn cancel_backorder(&mut self, entity: u32) -> bool {
        match self.backorders.iter().position(|&(e, _)| e == entity) {
            Some(at) => {
                let (_, doses) = self.backorders.remove(at).expect("position is in range");
                self.backordered_doses -= doses;
                true
            }
            None => false,
        }
    }

    /// Starts a new statistics window at `now`.
    pub fn reset_statistics(&mut self, now: Time) {
        self.level.reset(now);
        self.window = DoseLedger::default();
        self.stockouts = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(x: u64) -> Time {
        Time::from_ticks(x)
    }

    #[test]
    fn first_expiry_first_out_and_conservation() {
        let mut inv = Inventory::new(25);
        assert_eq!(inv.receive(t(0), 10, t(100)), 10);
        assert_eq!(inv.receive(t(5), 10, t(105)), 10);
        assert_eq!(inv.receive(t(6), 10, t(106)), 5, "only 5 positions left");
        assert!(
            inv.take(t(10), 12),
            "10 from the first lot, 2 from the second"
        );
        assert!(!inv.take(t(11), 14));
        assert_eq!(inv.expire(t(100)), 0, "the first lot is used up");
        assert_eq!(inv.expire(t(105)), 8);
        assert_eq!(inv.on_hand(), 5);
        let l = inv.ledger();
        assert_eq!((l.arrived_in_batches, l.released, l.discarded), (30, 25, 5));
        assert_eq!(l.released, l.used + l.expired + inv.on_hand());
    }

    #[test]
    fn backorders_are_served_in_order_and_can_be_cancelled() {
        let mut inv = Inventory::new(u64::MAX);
        inv.on_order = 10.0;
        inv.backorder(1, 2);
        inv.backorder(2, 1);
        inv.backorder(3, 1);
        assert_eq!(inv.position(), 6.0);
        assert!(inv.cancel_backorder(2));
        assert!(!inv.cancel_backorder(2));
        inv.receive(t(1), 2, Time::NEVER);
        assert_eq!(inv.next_servable(), Some((1, 2)));
        inv.take(t(1), 2);
        assert_eq!(inv.next_servable(), None, "order 3 waits for the next lot");
        assert_eq!(inv.backorders(), 1);
    }

    #[test]
    fn stockouts_count_the_times_stock_runs_out() {
        let mut inv = Inventory::new(u64::MAX);
        inv.receive(t(0), 2, Time::NEVER);
        inv.take(t(1), 1);
        inv.take(t(2), 1);
        inv.receive(t(3), 1, Time::NEVER);
        inv.take(t(4), 1);
        assert_eq!(inv.stockouts, 2);
        assert_eq!(inv.mean_level(t(4)), (2.0 + 1.0 + 1.0) / 4.0);
    }
}
