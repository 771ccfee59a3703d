//! The future-event list: a 4-ary min-heap of `(time, sequence)`-ordered events.
//!
//! Events are plain `Copy` values of the model's closed event `enum`, stored inline in the
//! heap (no boxing, no pointers). Every event [`EventQueue::push`]ed gets the next value
//! of a 63-bit sequence counter (with the top bit set), and events at the same time leave
//! in the order they were scheduled, so a run is a pure function of its seed. An event
//! pushed with [`EventQueue::push_first`] carries a caller's rank instead (top bit clear):
//! it leaves before every pushed event of its instant, whenever those were scheduled.
//! A 4-ary heap is shallower than a binary heap and keeps the four children of a node in
//! one or two cache lines, which pays off for the large lists (10^4 to 10^6 events) of
//! big sweeps.
//!
//! Cancellation is lazy: a cancellable event carries a slot, and the slot remembers the
//! sequence number of the event it belongs to; cancelling forgets it, and an entry whose
//! slot no longer names it is stale and dropped when it reaches the top. (The sequence
//! number doubles as the generation, so an entry is 32 bytes: two per cache line.)
//! Slots are recycled through a free list, so after warm-up neither scheduling, popping
//! nor cancelling allocates (the vectors only grow to the peak number of pending events).
//!
//! This module must not know what an event means: no model types, no statistics.

use super::time::Time;

const NOT_CANCELLABLE: u32 = u32::MAX;
const FREE: u64 = u64::MAX;
/// Set in the sequence key of every event pushed in order; clear in the rank of one
/// pushed first (so those come before the others at the same time).
const IN_ORDER: u64 = 1 << 63;

/// A handle to a cancellable scheduled event. Cancelling an event that has already
/// happened (or was already cancelled) is a harmless no-op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timer {
    slot: u32,
    seq: u64,
}

#[derive(Clone, Copy)]
struct Entry<E> {
    time: Time,
    seq: u64,
    slot: u32,
    event: E,
}

impl<E> Entry<E> {
    #[inline(always)]
    fn before(&self, other: &Self) -> bool {
        // One 128-bit comparison (a subtraction with borrow), not two with a branch
        // between: in a heap the outcome is a coin toss no predictor learns, and on
        // model B the mispredictions cost more time than these instructions.
        let key = |e: &Self| (u128::from(e.time.ticks()) << 64) | u128::from(e.seq);
        key(self) < key(other)
    }
}

/// The pending events of one run, earliest first.
#[derive(Clone)]
pub struct EventQueue<E> {
    heap: Vec<Entry<E>>,
    next_seq: u64,
    /// Per slot: the sequence number of the live event holding it, or `FREE`.
    owner: Vec<u64>,
    free_slots: Vec<u32>,
    stale: usize,
    /// The top entry was handed out by [`EventQueue::take_before`] and still sits at the
    /// root: the next push overwrites it (one sift down instead of a removal and an
    /// insertion: most events schedule another), or [`EventQueue::settle`] removes it.
    hole: bool,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty list.
    pub fn new() -> Self {
        Self::with_capacity(64)
    }

    /// An empty list with room for `n` pending events before it allocates.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: Vec::with_capacity(n),
            next_seq: IN_ORDER,
            owner: Vec::new(),
            free_slots: Vec::new(),
            stale: 0,
            hole: false,
        }
    }

    /// Number of live (not cancelled) pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - self.stale - usize::from(self.hole)
    }

    /// True when no live event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: Time, event: E) {
        let seq = self.next_in_order();
        self.push_entry(time, seq, NOT_CANCELLABLE, event);
    }

    /// Schedules `event` at `time` ahead of every event [`EventQueue::push`]ed for that
    /// time, whenever those were pushed; events pushed first at one time leave in the
    /// order of `rank`. The caller keeps ranks unique among pending events at one time
    /// (the kernel ranks a pool's calendar change by the pool's index: one each).
    #[inline]
    pub fn push_first(&mut self, time: Time, rank: u32, event: E) {
        self.push_entry(time, u64::from(rank), NOT_CANCELLABLE, event);
    }

    /// Schedules `event` at `time` and returns a handle that can cancel it.
    pub fn push_cancellable(&mut self, time: Time, event: E) -> Timer {
        let slot = match self.free_slots.pop() {
            Some(s) => s,
            None => {
                self.owner.push(FREE);
                (self.owner.len() - 1) as u32
            }
        };
        let seq = self.next_in_order();
        self.push_entry(time, seq, slot, event);
        self.owner[slot as usize] = seq;
        Timer { slot, seq }
    }

    /// Cancels a pending event. Returns false if it had already happened or been cancelled.
    pub fn cancel(&mut self, timer: Timer) -> bool {
        let owner = &mut self.owner[timer.slot as usize];
        if *owner != timer.seq {
            return false;
        }
        *owner = FREE;
        self.free_slots.push(timer.slot);
        self.stale += 1;
        true
    }

    /// The earliest live event, if it is strictly before `limit` (left in the list).
    pub fn peek_before(&mut self, limit: Time) -> Option<(Time, E)> {
        let top = self.live_top()?;
        (top.time < limit).then_some((top.time, top.event))
    }

    /// Removes and returns the earliest live event if it is strictly before `limit`.
    /// Always inlined: the run loop's pop must not become a call when other callers
    /// (a trace's stepping) appear.
    #[inline(always)]
    pub fn pop_before(&mut self, limit: Time) -> Option<(Time, E)> {
        let top = self.live_top()?;
        if top.time >= limit {
            return None;
        }
        self.remove_top();
        if top.slot != NOT_CANCELLABLE {
            self.owner[top.slot as usize] = FREE;
            self.free_slots.push(top.slot);
        }
        Some((top.time, top.event))
    }

    /// Hands out the earliest live event if it is strictly before `limit`, like
    /// [`EventQueue::pop_before`], but leaves its entry at the root until the next push
    /// (which takes its place) or [`EventQueue::settle`]. The order events leave in is
    /// the same: it is fixed by `(time, sequence)`, whatever the heap's shape.
    #[inline(always)]
    pub fn take_before(&mut self, limit: Time) -> Option<(Time, E)> {
        let top = self.live_top()?;
        if top.time >= limit {
            return None;
        }
        self.hole = true;
        if top.slot != NOT_CANCELLABLE {
            self.owner[top.slot as usize] = FREE;
            self.free_slots.push(top.slot);
        }
        Some((top.time, top.event))
    }

    /// Removes the entry [`EventQueue::take_before`] handed out, unless a push took its
    /// place already.
    #[inline(always)]
    pub fn settle(&mut self) {
        if self.hole {
            self.hole = false;
            self.remove_top();
        }
    }

    /// Removes and returns the earliest live event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        self.pop_before(Time::NEVER)
    }

    /// The time of the earliest live event, if any.
    pub fn peek_time(&mut self) -> Option<Time> {
        self.live_top().map(|top| top.time)
    }

    /// Drops cancelled entries from the top; returns (a copy of) the live top, if any.
    #[inline(always)]
    fn live_top(&mut self) -> Option<Entry<E>> {
        debug_assert!(!self.hole, "settle the event handed out first");
        loop {
            let top = *self.heap.first()?;
            if top.slot == NOT_CANCELLABLE || self.owner[top.slot as usize] == top.seq {
                return Some(top);
            }
            self.remove_top();
            self.stale -= 1;
        }
    }

    /// Drops every pending event and resets the sequence counter, keeping the memory.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.owner.clear();
        self.free_slots.clear();
        self.stale = 0;
        self.hole = false;
        self.next_seq = IN_ORDER;
    }

    /// The sequence key of the next event pushed in order.
    #[inline(always)]
    fn next_in_order(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    #[inline(always)]
    fn push_entry(&mut self, time: Time, seq: u64, slot: u32, event: E) {
        let item = Entry {
            time,
            seq,
            slot,
            event,
        };
        if self.hole {
            // The event being handled still sits at the root: the new one takes its place.
            self.hole = false;
            self.sift_down(0, item);
            return;
        }
        // The new entry stays in registers while the hole moves up: reading it back from
        // the slot just written would stall on store-to-load forwarding.
        let pos = self.heap.len();
        self.heap.push(item);
        self.sift_up(pos, item);
    }

    #[inline(always)]
    fn remove_top(&mut self) {
        let last = self.heap.pop().expect("remove_top on an empty heap");
        if !self.heap.is_empty() {
            self.sift_down(0, last);
        }
    }

    /// Moves the hole at `pos` up until `item` fits, and puts it there.
    #[inline]
    fn sift_up(&mut self, mut pos: usize, item: Entry<E>) {
        while pos > 0 {
            let parent = (pos - 1) / 4;
            if !item.before(&self.heap[parent]) {
                break;
            }
            self.heap[pos] = self.heap[parent];
            pos = parent;
        }
        self.heap[pos] = item;
    }

    /// Moves the hole at `pos` down until `item` fits, and puts it there. A node with
    /// all four children (most levels) picks the earliest in a tournament of three
    /// comparisons over a `[_; 4]` taken with one length test; the last level's one to
    /// three children are scanned. Keys are unique (the sequence breaks ties), so the
    /// choice is the same whatever the order of comparisons.
    #[inline(always)]
    fn sift_down(&mut self, mut pos: usize, item: Entry<E>) {
        let heap = self.heap.as_mut_slice();
        loop {
            let first = 4 * pos + 1;
            let Some(kids) = heap.get(first..) else { break };
            let (best, best_entry) = match kids.first_chunk::<4>() {
                Some(kids) => {
                    // Indices computed from the comparisons, without branches.
                    let i = usize::from(kids[1].before(&kids[0]));
                    let j = 2 + usize::from(kids[3].before(&kids[2]));
                    let best = if kids[j].before(&kids[i]) { j } else { i };
                    (best, &kids[best])
                }
                None => {
                    let Some(mut best_entry) = kids.first() else {
                        break;
                    };
                    let mut best = 0;
                    for (j, kid) in kids.iter().enumerate().skip(1) {
                        if kid.before(best_entry) {
                            best = j;
                            best_entry = kid;
                        }
                    }
                    (best, best_entry)
                }
            };
            if !best_entry.before(&item) {
                break;
            }
            heap[pos] = *best_entry;
            pos = first + best;
        }
        heap[pos] = item;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simultaneous_events_leave_in_scheduling_order() {
        let mut q = EventQueue::new();
        let t = Time::from_days(1);
        for i in 0..10u32 {
            q.push(t, i);
        }
        q.push(Time::ZERO, 99);
        assert_eq!(q.pop(), Some((Time::ZERO, 99)));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn events_pushed_first_lead_their_instant_in_rank_order() {
        let mut q = EventQueue::new();
        let t = Time::from_days(1);
        q.push(t, 'a');
        q.push_first(t, 7, 'y');
        q.push(Time::from_ticks(5), 'e');
        q.push_first(t, 2, 'x');
        q.push(t, 'b');
        q.push_first(Time::from_days(2), 0, 'z');
        let order: String = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, "exyabz");
    }

    #[test]
    fn cancelled_events_never_come_out() {
        let mut q = EventQueue::new();
        let a = q.push_cancellable(Time::from_ticks(5), 'a');
        let _b = q.push_cancellable(Time::from_ticks(3), 'b');
        q.push(Time::from_ticks(4), 'c');
        assert!(q.cancel(a));
        assert!(!q.cancel(a), "a second cancel is a no-op");
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some((Time::from_ticks(3), 'b')));
        assert_eq!(q.pop(), Some((Time::from_ticks(4), 'c')));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn a_recycled_slot_does_not_revive_a_stale_entry() {
        let mut q = EventQueue::new();
        let a = q.push_cancellable(Time::from_ticks(10), 1);
        q.cancel(a);
        let b = q.push_cancellable(Time::from_ticks(20), 2); // reuses a's slot
        assert_eq!(q.pop(), Some((Time::from_ticks(20), 2)));
        assert!(!q.cancel(b), "b already happened");
        assert!(!q.cancel(a));
    }

    #[test]
    fn handing_out_the_top_gives_the_same_order_as_popping_it() {
        // The run loop takes an event, its handler schedules 0 to 2 more (the first takes
        // the handed-out entry's place), then settles: the order must be pop's, with
        // ties, cancellations and an empty list on the way.
        let (mut a, mut b) = (EventQueue::new(), EventQueue::new());
        let mut x: u64 = 7;
        let mut draw = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let (mut timers_a, mut timers_b) = (Vec::new(), Vec::new());
        let mut next = 0;
        let (mut ties, mut cancelled) = (0, 0);
        let mut last = None;
        for _ in 0..20_000 {
            let (ta, tb) = (a.take_before(Time::NEVER), b.pop());
            assert_eq!(ta, tb);
            let now = ta.map_or(Time::ZERO, |(now, _)| now);
            ties += usize::from(ta.is_some() && last == Some(now));
            last = ta.map(|(t, _)| t);
            for _ in 0..=draw(2) {
                let t = now + crate::engine::Duration::from_ticks(draw(4));
                if draw(4) == 0 {
                    timers_a.push(a.push_cancellable(t, next));
                    timers_b.push(b.push_cancellable(t, next));
                } else {
                    a.push(t, next);
                    b.push(t, next);
                }
                next += 1;
            }
            if draw(3) == 0 && !timers_a.is_empty() {
                let k = draw(timers_a.len() as u64) as usize;
                let (ca, cb) = (timers_a.swap_remove(k), timers_b.swap_remove(k));
                let done = a.cancel(ca);
                assert_eq!(done, b.cancel(cb));
                cancelled += usize::from(done);
            }
            if draw(2) == 0 {
                // A handler that schedules nothing: the handed-out entry is removed.
                a.settle();
                assert_eq!(a.take_before(Time::NEVER), b.pop());
            }
            a.settle();
            assert_eq!(a.len(), b.len());
        }
        // The walk went through simultaneous events and live cancellations.
        assert!(
            ties > 100 && cancelled > 100,
            "{ties} ties, {cancelled} cancelled"
        );
    }

    #[test]
    fn pop_before_respects_the_limit() {
        let mut q = EventQueue::new();
        q.push(Time::from_ticks(10), ());
        assert_eq!(q.pop_before(Time::from_ticks(10)), None);
        assert_eq!(
            q.pop_before(Time::from_ticks(11)),
            Some((Time::from_ticks(10), ()))
        );
    }
}
