//! Reservation calendars: for each unit of a resource (a lab, a testbed), the time it is
//! booked, and the earliest window of a given length that one unit has free.
//!
//! Each unit keeps its busy time as sorted, disjoint, half-open intervals `[start, end)`,
//! with touching intervals merged (back-to-back bookings make one block, so a calendar
//! booked solid is one block however many bookings it holds). A booking sits on one unit
//! for its whole window: a campaign does not move between labs.
//!
//! Blocks that ended are dropped as time passes (`prune`), so a calendar holds only the
//! future. Cancelling a booking frees its window (splitting a block if need be).
//!
//! This module must not know what is booked, and must not allocate per query.

use super::{Duration, Time};
use std::collections::VecDeque;

/// The booked time of each unit of one resource.
#[derive(Clone, Debug)]
pub struct Reservations {
    units: Vec<VecDeque<(Time, Time)>>,
}

/// A window booked on one unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reserved {
    /// The unit (0-based).
    pub unit: u32,
    /// Its start.
    pub start: Time,
    /// Its end (exclusive).
    pub end: Time,
}

impl Reservations {
    /// A calendar of `units` units, nothing booked.
    pub fn new(units: u32) -> Reservations {
        Reservations {
            units: vec![VecDeque::new(); units as usize],
        }
    }

    /// Units of the resource.
    pub fn units(&self) -> u32 {
        self.units.len() as u32
    }

    /// Blocks held (touching bookings count once), over all units.
    pub fn blocks(&self) -> usize {
        self.units.iter().map(VecDeque::len).sum()
    }

    /// Forgets the blocks that ended at or before `now`.
    pub fn prune(&mut self, now: Time) {
        for unit in &mut self.units {
            while unit.front().is_some_and(|b| b.1 <= now) {
                unit.pop_front();
            }
        }
    }

    /// The earliest window `[start, start + length)` with `start >= from` that one unit
    /// has free, on the lowest-numbered unit among those that have it earliest. `None`
    /// when the resource has no units.
    pub fn earliest(&self, from: Time, length: Duration) -> Option<Reserved> {
        let mut best: Option<Reserved> = None;
        for (u, blocks) in self.units.iter().enumerate() {
            let start = earliest_on(blocks, from, length);
            if best.is_none_or(|b| start < b.start) {
                best = Some(Reserved {
                    unit: u as u32,
                    start,
                    end: start + length,
                });
                if start == from {
                    break;
                }
            }
        }
        best
    }

    /// Books `r` (which must be free on its unit: found by [`Reservations::earliest`]).
    /// An empty window books nothing.
    pub fn book(&mut self, r: Reserved) {
        if r.end <= r.start {
            return;
        }
        let blocks = &mut self.units[r.unit as usize];
        // The first block that starts after the window's start.
        let i = blocks.partition_point(|b| b.0 <= r.start);
        debug_assert!(
            i == 0 || blocks[i - 1].1 <= r.start,
            "booked over a booking"
        );
        debug_assert!(
            i == blocks.len() || blocks[i].0 >= r.end,
            "booked over a booking"
        );
        let joins_before = i > 0 && blocks[i - 1].1 == r.start;
        let joins_after = i < blocks.len() && blocks[i].0 == r.end;
        match (joins_before, joins_after) {
            (true, true) => {
                blocks[i - 1].1 = blocks[i].1;
                blocks.remove(i);
            }
            (true, false) => blocks[i - 1].1 = r.end,
            (false, true) => blocks[i].0 = r.start,
            (false, false) => blocks.insert(i, (r.start, r.end)),
        }
    }

    /// Frees the window of booking `r` (made with [`Reservations::book`] and not pruned).
    pub fn cancel(&mut self, r: Reserved) {
        if r.end <= r.start {
            return;
        }
        let blocks = &mut self.units[r.unit as usize];
        let i = blocks.partition_point(|b| b.0 <= r.start);
        let Some(at) = i.checked_sub(1).filter(|&j| blocks[j].1 >= r.end) else {
            debug_assert!(false, "cancelled a window that is not booked");
            return;
        };
        let (start, end) = blocks[at];
        match (start == r.start, end == r.end) {
            (true, true) => {
                blocks.remove(at);
            }
            (true, false) => blocks[at].0 = r.end,
            (false, true) => blocks[at].1 = r.start,
            (false, false) => {
                blocks[at].1 = r.start;
                blocks.insert(at + 1, (r.end, end));
            }
        }
    }
}

/// The earliest start at or after `from` of a free window of `length` between `blocks`.
fn earliest_on(blocks: &VecDeque<(Time, Time)>, from: Time, length: Duration) -> Time {
    // Blocks ending at or before `from` do not matter.
    let first = blocks.partition_point(|b| b.1 <= from);
    let mut start = from;
    for &(b_start, b_end) in blocks.range(first..) {
        if start + length <= b_start && (length.ticks() > 0 || start < b_start) {
            return start;
        }
        start = start.max(b_end);
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(days: u64) -> Duration {
        Duration::from_days(days)
    }
    fn t(days: u64) -> Time {
        Time::from_days(days)
    }

    fn book(r: &mut Reservations, from: u64, length: u64) -> Reserved {
        let w = r.earliest(t(from), d(length)).expect("units");
        r.book(w);
        w
    }

    #[test]
    fn bookings_take_the_earliest_gap_that_fits_on_one_unit() {
        let mut r = Reservations::new(1);
        assert_eq!(book(&mut r, 1, 5).start, t(1)); // [1, 6)
        assert_eq!(book(&mut r, 2, 5).start, t(6)); // [6, 11)
        assert_eq!(book(&mut r, 20, 2).start, t(20)); // [20, 22)
        // A gap of 9 days, [11, 20): a 10-day booking goes after the last one...
        assert_eq!(book(&mut r, 3, 10).start, t(22));
        // ...and a 9-day one fits it exactly.
        assert_eq!(book(&mut r, 3, 9).start, t(11));
        // [1, 32) booked solid: one block.
        assert_eq!(r.blocks(), 1);
    }

    #[test]
    fn a_window_must_fit_on_one_unit_not_across_units() {
        // Unit 0 busy [0, 2) and [3, 5); unit 1 busy [1, 3) and [4, 6): at every instant
        // in [2, 4) one unit is free, but no unit is free for all of it.
        let mut r = Reservations::new(2);
        for (u, s, e) in [(0, 0, 2), (0, 3, 5), (1, 1, 3), (1, 4, 6)] {
            r.book(Reserved {
                unit: u,
                start: t(s),
                end: t(e),
            });
        }
        let w = r.earliest(t(2), d(2)).unwrap();
        assert_eq!((w.unit, w.start, w.end), (0, t(5), t(7)));
        // Ties go to the lowest unit; a free unit at `from` ends the search.
        let w = r.earliest(t(6), d(1)).unwrap();
        assert_eq!((w.unit, w.start), (0, t(6)));
    }

    #[test]
    fn cancelling_frees_the_window_and_splits_blocks() {
        let mut r = Reservations::new(1);
        let a = book(&mut r, 0, 2);
        let b = book(&mut r, 0, 2);
        let c = book(&mut r, 0, 2);
        assert_eq!(r.blocks(), 1); // [0, 6)
        r.cancel(b);
        assert_eq!(r.blocks(), 2); // [0, 2), [4, 6)
        assert_eq!(book(&mut r, 0, 2).start, t(2));
        r.cancel(a);
        r.cancel(c);
        assert_eq!(r.blocks(), 1); // [2, 4)
        assert_eq!(book(&mut r, 0, 3).start, t(4));
    }

    #[test]
    fn pruning_forgets_what_ended() {
        let mut r = Reservations::new(2);
        book(&mut r, 0, 2);
        book(&mut r, 0, 5);
        book(&mut r, 9, 1);
        r.prune(t(2));
        assert_eq!(r.blocks(), 2);
        r.prune(t(10));
        assert_eq!(r.blocks(), 0);
    }

    #[test]
    fn zero_length_windows_book_nothing() {
        let mut r = Reservations::new(1);
        book(&mut r, 0, 4);
        let w = r.earliest(t(1), d(0)).unwrap();
        assert_eq!(w.start, t(4), "not inside a booking");
        r.book(w);
        assert_eq!(r.blocks(), 1);
        assert!(Reservations::new(0).earliest(t(0), d(1)).is_none());
    }

    #[test]
    fn bookings_and_cancellations_agree_with_a_day_by_day_ledger() {
        // Whole days on 3 units; the ledger marks each booked day per unit and finds the
        // earliest window by trying every start.
        use crate::engine::dist::unit;
        let mut rng = crate::engine::Streams::new(11, 0).stream(1);
        let mut draw = |n: u64| (unit(&mut rng) * n as f64) as u64;
        let mut r = Reservations::new(3);
        let mut ledger = vec![[false; 400]; 3];
        let mut booked: Vec<Reserved> = Vec::new();
        for _ in 0..2_000 {
            if draw(3) == 0 && !booked.is_empty() {
                let w = booked.swap_remove(draw(booked.len() as u64) as usize);
                r.cancel(w);
                for day in w.start.ticks() / TPD..w.end.ticks() / TPD {
                    ledger[w.unit as usize][day as usize] = false;
                }
                continue;
            }
            let (from, length) = (draw(40), 1 + draw(8));
            let expected = (from..)
                .find_map(|s| {
                    (0..3)
                        .find(|&u| (s..s + length).all(|day| !ledger[u][day as usize]))
                        .map(|u| (u as u32, s))
                })
                .unwrap();
            let w = r.earliest(t(from), d(length)).unwrap();
            assert_eq!((w.unit, w.start), (expected.0, t(expected.1)));
            if w.end.ticks() / TPD < 390 {
                r.book(w);
                for day in expected.1..expected.1 + length {
                    ledger[w.unit as usize][day as usize] = true;
                }
                booked.push(w);
            }
        }
    }

    const TPD: u64 = crate::engine::time::TICKS_PER_DAY;
}
