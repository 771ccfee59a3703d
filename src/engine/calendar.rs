//! Capacity over time: a weekly pattern of shifts plus dated exceptions (holidays).
//!
//! A [`Calendar`] answers two questions in exact integer time: what is the scheduled
//! capacity at `t`, and when does it next change. The week is anchored by `week_start`, the
//! time of week at `t = 0` (zero: the run starts on a Monday at 00:00). The weekly capacity
//! is a `base` present at all times (often zero) plus the capacity of every shift running
//! at that moment: shifts that overlap add up (two teams on site). A shift whose end is not
//! after its start runs past midnight into the next day (so `00:00`-`00:00` is 24 hours,
//! and a Sunday shift ending at `00:00` ends at the end of the week).
//!
//! An exception replaces the weekly pattern on `[from, to)` with its own capacity (a
//! holiday: zero). It may repeat every `repeat` (a yearly holiday): the repetition is
//! stored, never expanded, so memory does not grow with the horizon. Where exceptions
//! overlap, the lowest capacity of those in force applies (a closure wins).
//!
//! Breakdowns are not here: they are random and belong to the pool (see `pool`). This
//! module must not know about pools, events or randomness.

use super::time::{Duration, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_WEEK, Time};

/// A working period repeated on the given days of every week.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shift {
    /// Days on which the shift starts: bit 0 = Monday ... bit 6 = Sunday.
    pub days: u8,
    /// Time of day at which it starts.
    pub start: Duration,
    /// Time of day at which it ends (at or before `start`: the next day).
    pub end: Duration,
    /// Units available during the shift.
    pub capacity: u32,
}

impl Shift {
    /// The shift's length: from `start` to `end`, past midnight when `end <= start`.
    pub fn length(&self) -> Duration {
        let (s, e) = (self.start.ticks(), self.end.ticks());
        Duration::from_ticks(if e > s { e - s } else { TICKS_PER_DAY - s + e })
    }
}

/// Monday to Friday, as a [`Shift::days`] mask.
pub const WEEKDAYS: u8 = 0b001_1111;
/// Every day of the week.
pub const EVERY_DAY: u8 = 0b111_1111;

/// Shortest repetition of an exception: patterns within a week are shifts.
pub const MIN_REPEAT: Duration = Duration::from_ticks(TICKS_PER_DAY);

/// A dated period with its own capacity, replacing the weekly pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception {
    /// First instant of the (first) period.
    pub from: Time,
    /// First instant after the (first) period.
    pub to: Time,
    /// Units available during the period.
    pub capacity: u32,
    /// The period starts again every `repeat` (at least [`MIN_REPEAT`] and at least as
    /// long as the period), forever; `None`: once.
    pub repeat: Option<Duration>,
}

impl Exception {
    /// A period that happens once.
    pub fn once(from: Time, to: Time, capacity: u32) -> Exception {
        Exception {
            from,
            to,
            capacity,
            repeat: None,
        }
    }

    fn len(&self) -> u64 {
        self.to.ticks() - self.from.ticks()
    }

    /// True if an occurrence covers `t`.
    fn covers(&self, t: Time) -> bool {
        if t < self.from {
            return false;
        }
        let off = t.ticks() - self.from.ticks();
        match self.repeat {
            None => off < self.len(),
            Some(p) => off % p.ticks() < self.len(),
        }
    }

    /// Whether an occurrence covers `t` (as [`Exception::covers`]), and the first start
    /// or end of an occurrence strictly after `t`, if any: one division for both.
    fn piece(&self, t: Time) -> (bool, Option<Time>) {
        if t < self.from {
            return (false, Some(self.from));
        }
        let off = t.ticks() - self.from.ticks();
        let (len, period) = (self.len(), self.repeat.map_or(u64::MAX, |p| p.ticks()));
        if len >= period {
            return (true, None); // in force for ever after `from`
        }
        let (k, into) = (off / period, off % period);
        let at = if into < len {
            Some(k * period + len)
        } else {
            k.checked_add(1).and_then(|k| k.checked_mul(period))
        };
        let next = at.and_then(|at| self.from.ticks().checked_add(at));
        (into < len, next.map(Time::from_ticks))
    }
}

/// Why a calendar cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("shift {index}: start and end must be times of day below 24:00")]
    TimeOfDay { index: usize },
    #[error("shift {index}: give at least one day of the week")]
    NoDays { index: usize },
    #[error("exception {index}: `from` must be before `to`")]
    EmptyException { index: usize },
    #[error(
        "exception {index}: `repeat` must be at least one day and at least as long as the exception (for patterns within a week, use shifts)"
    )]
    Repeat { index: usize },
    #[error("week_start must be less than one week")]
    WeekStart,
}

/// A change of scheduled capacity: when, to what, and the calendar's first boundary
/// after it (where the search for the next change resumes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// When the capacity changes.
    pub at: Time,
    /// The scheduled capacity from then on.
    pub capacity: u32,
    /// The calendar's first boundary after `at`.
    resume: Option<Time>,
}

/// Scheduled capacity as a function of time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    week_start: u64,
    /// Step function over one week: (offset in week, capacity from there on), first at 0.
    weekly: Vec<(u64, u32)>,
    /// Per hour of the week, the last step of `weekly` starting at or before it: where
    /// a lookup starts (then a step or two forward), instead of a binary search.
    by_hour: Vec<u32>,
    /// Per step of `weekly`: the unit-ticks and the closed ticks of the week before it
    /// starts; and those of a whole week (integrals in closed form, see `weekly_area_to`).
    weekly_area: Vec<(u128, u64)>,
    week_area: (u128, u64),
    /// Exceptions that happen once, made disjoint (overlaps resolved to the lowest
    /// capacity) and sorted.
    once: Vec<Exception>,
    /// Repeating exceptions, checked one by one (a scenario has a handful).
    repeating: Vec<Exception>,
}

impl Calendar {
    /// Builds a calendar: `base` units at all times plus the units of the shifts running,
    /// except during `exceptions` (in any order).
    pub fn new(
        week_start: Duration,
        shifts: &[Shift],
        base: u32,
        exceptions: &[Exception],
    ) -> Result<Calendar, CalendarError> {
        if week_start.ticks() >= TICKS_PER_WEEK {
            return Err(CalendarError::WeekStart);
        }
        // Capacity deltas at points of the week, then a running sum.
        let mut deltas: Vec<(u64, i64)> = vec![(0, i64::from(base))];
        for (index, s) in shifts.iter().enumerate() {
            if s.start.ticks() >= TICKS_PER_DAY || s.end.ticks() >= TICKS_PER_DAY {
                return Err(CalendarError::TimeOfDay { index });
            }
            if s.days & EVERY_DAY == 0 {
                return Err(CalendarError::NoDays { index });
            }
            let len = s.length().ticks();
            for day in 0..7u64 {
                if s.days & (1 << day) == 0 {
                    continue;
                }
                let a = day * TICKS_PER_DAY + s.start.ticks();
                let b = a + len;
                let c = i64::from(s.capacity);
                if b < TICKS_PER_WEEK {
                    deltas.extend([(a, c), (b, -c)]);
                } else if b == TICKS_PER_WEEK {
                    // Ends exactly at the end of the week: nothing to take back inside it.
                    deltas.push((a, c));
                } else {
                    // Sunday night into Monday morning: wraps round the week.
                    deltas.extend([(a, c), (0, c), (b - TICKS_PER_WEEK, -c)]);
                }
            }
        }
        deltas.sort_by_key(|&(t, _)| t);
        let mut weekly: Vec<(u64, u32)> = Vec::new();
        let mut level = 0i64;
        let mut i = 0;
        while i < deltas.len() {
            let t = deltas[i].0;
            while i < deltas.len() && deltas[i].0 == t {
                level += deltas[i].1;
                i += 1;
            }
            let cap = u32::try_from(level.max(0)).unwrap_or(u32::MAX);
            match weekly.last() {
                Some(&(_, last)) if last == cap => {}
                _ => weekly.push((t, cap)),
            }
        }
        let (mut once, mut repeating) = (Vec::new(), Vec::new());
        for (index, e) in exceptions.iter().enumerate() {
            if e.from >= e.to {
                return Err(CalendarError::EmptyException { index });
            }
            match e.repeat {
                None => once.push(*e),
                Some(p) if p >= MIN_REPEAT && p.ticks() >= e.len() => repeating.push(*e),
                Some(_) => return Err(CalendarError::Repeat { index }),
            }
        }
        let mut step = 0;
        let by_hour = (0..TICKS_PER_WEEK / TICKS_PER_HOUR)
            .map(|h| {
                step = last_step_from(&weekly, step, h * TICKS_PER_HOUR);
                step as u32
            })
            .collect();
        let mut weekly_area = Vec::with_capacity(weekly.len());
        let (mut units, mut closed) = (0u128, 0u64);
        for (j, &(offset, cap)) in weekly.iter().enumerate() {
            weekly_area.push((units, closed));
            let until = weekly.get(j + 1).map_or(TICKS_PER_WEEK, |&(o, _)| o);
            units += u128::from(cap) * u128::from(until - offset);
            closed += if cap == 0 { until - offset } else { 0 };
        }
        Ok(Calendar {
            week_start: week_start.ticks(),
            by_hour,
            weekly,
            weekly_area,
            week_area: (units, closed),
            once: disjoint(&once),
            repeating,
        })
    }

    /// The same capacity at all times.
    pub fn constant(capacity: u32) -> Calendar {
        Calendar::new(Duration::ZERO, &[], capacity, &[]).expect("a constant calendar is valid")
    }

    /// The largest capacity the calendar ever schedules.
    pub fn max_capacity(&self) -> u32 {
        let weekly = self.weekly.iter().map(|&(_, c)| c).max().unwrap_or(0);
        self.once
            .iter()
            .chain(&self.repeating)
            .map(|e| e.capacity)
            .fold(weekly, u32::max)
    }

    /// The scheduled capacity at `t`: the definition, read exception by exception (the
    /// walks from boundary to boundary use `piece`, which the tests hold to it).
    pub fn capacity_at(&self, t: Time) -> u32 {
        let i = self.once.partition_point(|e| e.from <= t);
        let mut cap = (i > 0 && t < self.once[i - 1].to).then(|| self.once[i - 1].capacity);
        for e in &self.repeating {
            if e.covers(t) {
                cap = Some(cap.map_or(e.capacity, |c| c.min(e.capacity)));
            }
        }
        cap.unwrap_or_else(|| self.weekly_at(t))
    }

    fn weekly_at(&self, t: Time) -> u32 {
        let w = (t.ticks() + self.week_start) % TICKS_PER_WEEK;
        self.weekly[self.weekly_step(w)].1
    }

    /// The step of `weekly` in force at offset `w` of the week: the last one starting at
    /// or before `w`.
    #[inline]
    fn weekly_step(&self, w: u64) -> usize {
        let from = self.by_hour[(w / TICKS_PER_HOUR) as usize] as usize;
        last_step_from(&self.weekly, from, w)
    }

    /// The weekly pattern's capacity at `t`, and its first boundary strictly after `t`
    /// (`None` if the pattern is constant): one search for both.
    fn weekly_piece(&self, t: Time) -> (u32, Option<Time>) {
        let w = (t.ticks() + self.week_start) % TICKS_PER_WEEK;
        let j = self.weekly_step(w);
        let capacity = self.weekly[j].1;
        if self.weekly.len() < 2 {
            return (capacity, None);
        }
        let next_offset = match self.weekly.get(j + 1) {
            Some(&(o, _)) => o,
            None => TICKS_PER_WEEK, // the Monday 00:00 boundary of next week
        };
        let next = t.ticks().checked_add(next_offset - w).map(Time::from_ticks);
        (capacity, next)
    }

    /// The scheduled capacity at `t` (as [`Calendar::capacity_at`]) and the first
    /// boundary of the pattern or of an exception strictly after `t` (`None`: none), in
    /// one pass: what a walk from boundary to boundary needs at each step. (At a
    /// boundary the capacity need not change: a weekly boundary inside a holiday.)
    fn piece(&self, t: Time) -> (u32, Option<Time>) {
        let (exception, next) = self.exceptions_piece(t);
        let (weekly, boundary) = self.weekly_piece(t);
        (exception.unwrap_or(weekly), earliest(next, boundary))
    }

    /// The capacity of the exceptions in force at `t` (the lowest; `None`: none is), and
    /// the first start or end of an exception strictly after `t`.
    #[inline(always)]
    fn exceptions_piece(&self, t: Time) -> (Option<u32>, Option<Time>) {
        if self.once.is_empty() && self.repeating.is_empty() {
            return (None, None); // (most calendars: shifts only, and no call)
        }
        self.listed_exceptions_piece(t)
    }

    /// [`Calendar::exceptions_piece`] of a calendar with exceptions.
    #[inline]
    fn listed_exceptions_piece(&self, t: Time) -> (Option<u32>, Option<Time>) {
        let i = self.once.partition_point(|e| e.from <= t);
        let (mut capacity, mut next) = match i.checked_sub(1).map(|j| &self.once[j]) {
            Some(e) if t < e.to => (Some(e.capacity), Some(e.to)),
            _ => (None, self.once.get(i).map(|e| e.from)),
        };
        for e in &self.repeating {
            let (covers, boundary) = e.piece(t);
            if covers {
                capacity = Some(capacity.map_or(e.capacity, |c| c.min(e.capacity)));
            }
            next = earliest(next, boundary);
        }
        (capacity, next)
    }

    /// Unit-ticks and closed ticks of the weekly pattern from the origin of the week that
    /// `t = 0` falls in up to `t`: whole weeks, the steps of its week before its step,
    /// and its step up to `t`. Differences of two give the integrals between two times
    /// without a walk.
    fn weekly_area_to(&self, t: Time) -> (u128, u64) {
        let x = t.ticks() + self.week_start;
        let (weeks, w) = (x / TICKS_PER_WEEK, x % TICKS_PER_WEEK);
        let j = self.weekly_step(w);
        let ((offset, cap), (units, closed)) = (self.weekly[j], self.weekly_area[j]);
        let into = w - offset;
        (
            u128::from(weeks) * self.week_area.0 + units + u128::from(cap) * u128::from(into),
            weeks * self.week_area.1 + closed + if cap == 0 { into } else { 0 },
        )
    }

    /// The first instant strictly after `t` and before `until` at which the capacity
    /// differs from `capacity_at(t)`, or `None` if it does not change before `until`.
    pub fn next_change(&self, t: Time, until: Time) -> Option<Time> {
        self.first_change(t, until).1.map(|c| c.at)
    }

    /// `capacity_at(t)` and the first change strictly after `t` and before `until`.
    pub fn first_change(&self, t: Time, until: Time) -> (u32, Option<Change>) {
        let (now, next) = self.piece(t);
        (now, self.change_from(now, next, until))
    }

    /// The change that follows `change` (before `until`): the walk resumes where the
    /// one that found `change` stopped, so a pool stepping from change to change reads
    /// each boundary once.
    pub fn change_after(&self, change: Change, until: Time) -> Option<Change> {
        self.change_from(change.capacity, change.resume, until)
    }

    /// The first boundary from `next` on (and before `until`) where the capacity is no
    /// longer `capacity`.
    fn change_from(&self, capacity: u32, mut next: Option<Time>, until: Time) -> Option<Change> {
        loop {
            let at = next.filter(|&c| c < until)?;
            let (there, resume) = self.piece(at);
            if there != capacity {
                return Some(Change {
                    at,
                    capacity: there,
                    resume,
                });
            }
            next = resume;
        }
    }

    /// Ticks of `[from, to)` during which no unit is scheduled (closed: a shift off, a
    /// weekend, a holiday).
    pub fn closed_ticks(&self, from: Time, to: Time) -> u64 {
        self.areas(from, to).1
    }

    /// Unit-ticks scheduled over `[from, to)`: the integral of the capacity.
    pub fn unit_ticks(&self, from: Time, to: Time) -> u128 {
        self.areas(from, to).0
    }

    /// Unit-ticks and closed ticks over `[from, to)`: from one start or end of an
    /// exception to the next, the weekly pattern's in closed form where none is in force
    /// (so a span of many weeks costs no more than one), the exceptions' own capacity
    /// where some are.
    fn areas(&self, from: Time, to: Time) -> (u128, u64) {
        let (mut units, mut closed) = (0u128, 0u64);
        let mut t = from;
        while t < to {
            let (exception, next) = self.exceptions_piece(t);
            let next = next.map_or(to, |n| n.min(to));
            match exception {
                None => {
                    let ((u1, c1), (u0, c0)) = (self.weekly_area_to(next), self.weekly_area_to(t));
                    units += u1 - u0;
                    closed += c1 - c0;
                }
                Some(cap) => {
                    let span = next.ticks() - t.ticks();
                    units += u128::from(cap) * u128::from(span);
                    closed += if cap == 0 { span } else { 0 };
                }
            }
            t = next;
        }
        (units, closed)
    }
}

/// The earlier of two boundaries, either of which may be missing.
fn earliest(a: Option<Time>, b: Option<Time>) -> Option<Time> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => a.or(b),
    }
}

/// The last step of `weekly` starting at or before offset `w`, searched forward from
/// step `from` (which starts at or before `w`).
#[inline]
fn last_step_from(weekly: &[(u64, u32)], mut from: usize, w: u64) -> usize {
    while weekly.get(from + 1).is_some_and(|&(o, _)| o <= w) {
        from += 1;
    }
    from
}

/// One-off exceptions as disjoint, sorted periods: where several overlap, the lowest
/// capacity applies.
fn disjoint(list: &[Exception]) -> Vec<Exception> {
    let mut cuts: Vec<Time> = list.iter().flat_map(|e| [e.from, e.to]).collect();
    cuts.sort();
    cuts.dedup();
    let mut sorted = list.to_vec();
    sorted.sort_by_key(|e| e.from);
    let mut out: Vec<Exception> = Vec::new();
    let mut active: Vec<Exception> = Vec::new();
    let mut next = 0;
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        active.retain(|e| e.to > a);
        while next < sorted.len() && sorted[next].from <= a {
            active.push(sorted[next]);
            next += 1;
        }
        let Some(cap) = active.iter().map(|e| e.capacity).min() else {
            continue;
        };
        match out.last_mut() {
            Some(last) if last.to == a && last.capacity == cap => last.to = b,
            _ => out.push(Exception::once(a, b, cap)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(x: u64) -> Duration {
        Duration::from_hours(x)
    }
    fn at(day: u64, hour: u64) -> Time {
        Time::from_days(day) + h(hour)
    }

    fn qp_calendar() -> Calendar {
        // QPs: 2 on weekdays 07:00-16:00; Christmas Day (day 2) off.
        let shifts = [Shift {
            days: WEEKDAYS,
            start: h(7),
            end: h(16),
            capacity: 2,
        }];
        let xmas = Exception::once(Time::from_days(2), Time::from_days(3), 0);
        Calendar::new(Duration::ZERO, &shifts, 0, &[xmas]).unwrap()
    }

    #[test]
    fn weekday_shift_with_a_holiday() {
        let c = qp_calendar();
        assert_eq!(c.capacity_at(at(0, 6)), 0);
        assert_eq!(c.capacity_at(at(0, 7)), 2);
        assert_eq!(c.capacity_at(at(0, 16)), 0);
        assert_eq!(c.capacity_at(at(2, 10)), 0, "holiday");
        assert_eq!(c.capacity_at(at(5, 10)), 0, "Saturday");
        assert_eq!(c.next_change(at(0, 0), Time::NEVER), Some(at(0, 7)));
        assert_eq!(c.next_change(at(0, 7), Time::NEVER), Some(at(0, 16)));
        assert_eq!(
            c.next_change(at(1, 16), Time::NEVER),
            Some(at(3, 7)),
            "skips the holiday"
        );
        assert_eq!(
            c.next_change(at(4, 16), Time::NEVER),
            Some(at(7, 7)),
            "skips the weekend"
        );
        assert_eq!(c.max_capacity(), 2);
    }

    #[test]
    fn boundaries_stay_exact_after_a_century() {
        let c = qp_calendar();
        let monday = Time::from_days(7 * 5218); // about 100 years on
        assert_eq!(c.next_change(monday, Time::NEVER), Some(monday + h(7)));
        assert_eq!(c.capacity_at(monday + h(16)), 0);
        assert_eq!(
            c.capacity_at(Time::from_ticks((monday + h(16)).ticks() - 1)),
            2
        );
    }

    #[test]
    fn overlapping_and_overnight_shifts() {
        let shifts = [
            Shift {
                days: EVERY_DAY,
                start: h(6),
                end: h(14),
                capacity: 3,
            },
            Shift {
                days: EVERY_DAY,
                start: h(12),
                end: h(22),
                capacity: 2,
            },
            Shift {
                days: 1 << 6,
                start: h(22),
                end: h(6),
                capacity: 1,
            }, // Sunday night
        ];
        let c = Calendar::new(Duration::ZERO, &shifts, 0, &[]).unwrap();
        assert_eq!(c.capacity_at(at(0, 13)), 5);
        assert_eq!(c.capacity_at(at(6, 23)), 1);
        assert_eq!(c.capacity_at(at(7, 3)), 1, "Sunday night runs into Monday");
        assert_eq!(c.capacity_at(at(8, 3)), 0);
    }

    #[test]
    fn week_start_shifts_the_pattern() {
        let shifts = [Shift {
            days: WEEKDAYS,
            start: h(0),
            end: h(0),
            capacity: 1,
        }];
        // The run starts on a Saturday: days 0 and 1 are the weekend.
        let c = Calendar::new(Duration::from_days(5), &shifts, 0, &[]).unwrap();
        assert_eq!(c.capacity_at(at(0, 12)), 0);
        assert_eq!(c.capacity_at(at(2, 12)), 1);
        assert_eq!(c.next_change(at(0, 0), Time::NEVER), Some(at(2, 0)));
    }

    #[test]
    fn constant_calendars_never_change() {
        assert_eq!(
            Calendar::constant(4).next_change(at(3, 3), Time::NEVER),
            None
        );
    }

    #[test]
    fn bad_calendars_are_rejected() {
        let bad = [Shift {
            days: 0,
            start: h(1),
            end: h(2),
            capacity: 1,
        }];
        assert_eq!(
            Calendar::new(Duration::ZERO, &bad, 0, &[]),
            Err(CalendarError::NoDays { index: 0 })
        );
        let e = |a, b| Exception::once(Time::from_days(a), Time::from_days(b), 0);
        assert!(Calendar::new(Duration::ZERO, &[], 1, &[e(3, 3)]).is_err());
        let every = |d| Exception {
            repeat: Some(Duration::from_hours(d)),
            ..e(0, 1)
        };
        assert_eq!(
            Calendar::new(Duration::ZERO, &[], 1, &[every(48), every(12)]),
            Err(CalendarError::Repeat { index: 1 })
        );
    }

    fn shift(days: u8, start: u64, end: u64, capacity: u32) -> Shift {
        Shift {
            days,
            start: h(start),
            end: h(end),
            capacity,
        }
    }
    fn week_hours(c: &Calendar) -> f64 {
        c.unit_ticks(Time::ZERO, Time::from_days(7)) as f64 / h(1).ticks() as f64
    }

    #[test]
    fn a_sunday_shift_ending_at_midnight_ends_at_the_end_of_the_week() {
        let c = Calendar::new(
            Duration::ZERO,
            &[shift(WEEKDAYS, 8, 16, 1), shift(1 << 6, 16, 0, 1)],
            0,
            &[],
        )
        .unwrap();
        assert_eq!(c.capacity_at(at(0, 3)), 0, "Monday night is not worked");
        assert_eq!(c.capacity_at(at(6, 20)), 1, "Sunday evening is");
        assert_eq!(week_hours(&c), 5.0 * 8.0 + 8.0);
    }

    #[test]
    fn a_daily_24_hour_shift_is_always_on() {
        let c = Calendar::new(
            Duration::ZERO,
            &[shift(EVERY_DAY, 0, 0, 2), shift(1, 8, 12, 1)],
            0,
            &[],
        )
        .unwrap();
        for hour in [0, 7, 23, 24 * 6 + 23] {
            assert!(c.capacity_at(at(0, hour)) >= 2, "hour {hour}");
        }
        assert_eq!(c.capacity_at(at(0, 9)), 3);
        assert_eq!(week_hours(&c), 2.0 * 168.0 + 4.0);
        assert_eq!(c.next_change(at(0, 12), Time::NEVER), Some(at(7, 8)));
    }

    #[test]
    fn a_repeating_holiday_is_stored_once_and_recurs() {
        let xmas = Exception {
            repeat: Some(Duration::from_days(365)),
            ..Exception::once(Time::from_days(358), Time::from_days(360), 0)
        };
        let c = Calendar::new(Duration::ZERO, &[], 3, &[xmas]).unwrap();
        for year in [0, 1, 99] {
            let d = 358 + 365 * year;
            assert_eq!(c.capacity_at(at(d, 0)), 0, "year {year}");
            assert_eq!(c.capacity_at(at(d + 2, 0)), 3, "year {year}");
            assert_eq!(c.next_change(at(d - 100, 0), Time::NEVER), Some(at(d, 0)));
            assert_eq!(c.next_change(at(d, 5), Time::NEVER), Some(at(d + 2, 0)));
        }
        assert_eq!(
            c.next_change(Time::ZERO, Time::from_days(358)),
            None,
            "no change before `until`"
        );
    }

    #[test]
    fn closed_time_counts_the_hours_with_no_unit() {
        // Weekdays 08:00-16:00: Friday 14:00 to Monday 10:00 is closed from Friday 16:00
        // to Monday 08:00, 64 hours.
        let c = Calendar::new(Duration::ZERO, &[shift(WEEKDAYS, 8, 16, 1)], 0, &[]).unwrap();
        assert_eq!(c.closed_ticks(at(4, 14), at(7, 10)), h(64).ticks());
        assert_eq!(Calendar::constant(2).closed_ticks(at(0, 0), at(9, 0)), 0);
    }

    /// Random calendars whose boundaries all fall on whole hours: closed time, unit time
    /// and the next change agree with an hour-by-hour reading of `capacity_at`.
    #[test]
    fn walks_from_boundary_to_boundary_agree_with_an_hourly_reading() {
        let mut state = 7u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for _ in 0..60 {
            let shifts: Vec<Shift> = (0..next(4))
                .map(|_| shift(next(127) as u8 + 1, next(24), next(24), next(3) as u32 + 1))
                .collect();
            let exceptions: Vec<Exception> = (0..next(4))
                .map(|_| {
                    let from = at(next(40), next(24));
                    let to = from + h(next(72) + 1);
                    let repeat = (next(2) == 0).then(|| h(24 * (next(20) + 4)));
                    Exception {
                        repeat: repeat.filter(|r| r.ticks() >= to.ticks() - from.ticks()),
                        ..Exception::once(from, to, next(3) as u32)
                    }
                })
                .collect();
            let c = Calendar::new(h(next(168)), &shifts, next(2) as u32, &exceptions).unwrap();
            let hours = 24 * 60;
            let cap: Vec<u32> = (0..hours)
                .map(|k| c.capacity_at(Time::ZERO + h(k)))
                .collect();
            for _ in 0..20 {
                let a = next(hours);
                let b = a + next(hours - a) + 1;
                let closed = (a..b).filter(|&k| cap[k as usize] == 0).count() as u64;
                let units: u128 = (a..b).map(|k| u128::from(cap[k as usize])).sum();
                let (from, to) = (Time::ZERO + h(a), Time::ZERO + h(b));
                assert_eq!(c.closed_ticks(from, to), closed * h(1).ticks());
                assert_eq!(c.unit_ticks(from, to), units * u128::from(h(1).ticks()));
                let change = (a + 1..b).find(|&k| cap[k as usize] != cap[a as usize]);
                assert_eq!(c.next_change(from, to), change.map(|k| Time::ZERO + h(k)));
                let (now, first) = c.first_change(from, to);
                assert_eq!(now, cap[a as usize]);
                assert_eq!(first.map(|c| c.at), change.map(|k| Time::ZERO + h(k)));
                // Stepping from change to change reads the same changes as asking anew.
                if let Some(first) = first {
                    let second = (first.at.ticks() / h(1).ticks() + 1..b)
                        .find(|&k| cap[k as usize] != first.capacity)
                        .map(|k| Time::ZERO + h(k));
                    assert_eq!(first.capacity, c.capacity_at(first.at));
                    assert_eq!(c.change_after(first, to).map(|c| c.at), second);
                }
            }
        }
    }

    #[test]
    fn overlapping_exceptions_take_the_lowest_capacity() {
        let c = Calendar::new(
            Duration::ZERO,
            &[],
            4,
            &[
                Exception::once(Time::from_days(1), Time::from_days(5), 2),
                Exception::once(Time::from_days(3), Time::from_days(4), 0),
                Exception {
                    repeat: Some(Duration::from_days(10)),
                    ..Exception::once(Time::from_days(4), Time::from_days(6), 1)
                },
            ],
        )
        .unwrap();
        let caps: Vec<u32> = (0..8).map(|d| c.capacity_at(at(d, 12))).collect();
        assert_eq!(caps, [4, 2, 2, 0, 1, 1, 4, 4]);
        assert_eq!(c.capacity_at(at(14, 12)), 1);
    }
}
