//! Capacity over time: a weekly pattern of shifts plus dated exceptions (holidays).
//!
//! A [`Calendar`] answers two questions in exact integer time: what is the scheduled
//! capacity at `t`, and when does it next change. The week is anchored by `week_start`, the
//! time of week at `t = 0` (zero: the run starts on a Monday at 00:00). The weekly capacity
//! is a `base` present at all times (often zero) plus the capacity of every shift running
//! at that moment: shifts that overlap add up (two teams on site). A shift whose end is not
//! after its start runs past midnight into the next day. An exception replaces the weekly
//! pattern on `[from, to)` with its own capacity (a holiday: zero); exceptions must not
//! overlap.
//!
//! Breakdowns are not here: they are random and belong to the pool (see `pool`). This
//! module must not know about pools, events or randomness.

use super::time::{Duration, TICKS_PER_DAY, TICKS_PER_WEEK, Time};

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

/// Monday to Friday, as a [`Shift::days`] mask.
pub const WEEKDAYS: u8 = 0b001_1111;
/// Every day of the week.
pub const EVERY_DAY: u8 = 0b111_1111;

/// A dated period with its own capacity, replacing the weekly pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception {
    /// First instant of the period.
    pub from: Time,
    /// First instant after the period.
    pub to: Time,
    /// Units available during the period.
    pub capacity: u32,
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
    #[error("exceptions {first} and {second} overlap; merge them or move one")]
    Overlap { first: usize, second: usize },
    #[error("week_start must be less than one week")]
    WeekStart,
}

/// Scheduled capacity as a function of time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    week_start: u64,
    /// Step function over one week: (offset in week, capacity from there on), first at 0.
    weekly: Vec<(u64, u32)>,
    /// Sorted, non-overlapping.
    exceptions: Vec<Exception>,
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
            let len = if s.end > s.start {
                s.end.ticks() - s.start.ticks()
            } else {
                TICKS_PER_DAY - s.start.ticks() + s.end.ticks()
            };
            for day in 0..7u64 {
                if s.days & (1 << day) == 0 {
                    continue;
                }
                let a = day * TICKS_PER_DAY + s.start.ticks();
                let b = a + len;
                let c = i64::from(s.capacity);
                if b <= TICKS_PER_WEEK {
                    deltas.extend([(a, c), (b % TICKS_PER_WEEK, -c)]);
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
        let mut exceptions = exceptions.to_vec();
        for (index, e) in exceptions.iter().enumerate() {
            if e.from >= e.to {
                return Err(CalendarError::EmptyException { index });
            }
        }
        let mut order: Vec<usize> = (0..exceptions.len()).collect();
        order.sort_by_key(|&i| exceptions[i].from);
        for w in order.windows(2) {
            if exceptions[w[0]].to > exceptions[w[1]].from {
                let (first, second) = (w[0].min(w[1]), w[0].max(w[1]));
                return Err(CalendarError::Overlap { first, second });
            }
        }
        exceptions.sort_by_key(|e| e.from);
        Ok(Calendar {
            week_start: week_start.ticks(),
            weekly,
            exceptions,
        })
    }

    /// The same capacity at all times.
    pub fn constant(capacity: u32) -> Calendar {
        Calendar::new(Duration::ZERO, &[], capacity, &[]).expect("a constant calendar is valid")
    }

    /// The largest capacity the calendar ever schedules.
    pub fn max_capacity(&self) -> u32 {
        let weekly = self.weekly.iter().map(|&(_, c)| c).max().unwrap_or(0);
        self.exceptions
            .iter()
            .map(|e| e.capacity)
            .fold(weekly, u32::max)
    }

    /// The scheduled capacity at `t`.
    pub fn capacity_at(&self, t: Time) -> u32 {
        let i = self.exceptions.partition_point(|e| e.from <= t);
        if i > 0 && t < self.exceptions[i - 1].to {
            return self.exceptions[i - 1].capacity;
        }
        self.weekly_at(t)
    }

    fn weekly_at(&self, t: Time) -> u32 {
        let w = (t.ticks() + self.week_start) % TICKS_PER_WEEK;
        let j = self.weekly.partition_point(|&(o, _)| o <= w);
        self.weekly[j - 1].1
    }

    /// The first weekly boundary strictly after `t`, if the pattern is not constant.
    fn next_weekly_boundary(&self, t: Time) -> Option<Time> {
        if self.weekly.len() < 2 {
            return None;
        }
        let w = (t.ticks() + self.week_start) % TICKS_PER_WEEK;
        let j = self.weekly.partition_point(|&(o, _)| o <= w);
        let next_offset = match self.weekly.get(j) {
            Some(&(o, _)) => o,
            None => TICKS_PER_WEEK, // the Monday 00:00 boundary of next week
        };
        Some(Time::from_ticks(t.ticks() + (next_offset - w)))
    }

    /// The first instant strictly after `t` at which the capacity differs from
    /// `capacity_at(t)`, or `None` if it never changes again.
    pub fn next_change(&self, t: Time) -> Option<Time> {
        let now = self.capacity_at(t);
        let mut probe = t;
        loop {
            let i = self.exceptions.partition_point(|e| e.from <= probe);
            let inside = i > 0 && probe < self.exceptions[i - 1].to;
            let candidate = if inside {
                Some(self.exceptions[i - 1].to)
            } else {
                let next_exc = self.exceptions.get(i).map(|e| e.from);
                match (self.next_weekly_boundary(probe), next_exc) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }?;
            if self.capacity_at(candidate) != now {
                return Some(candidate);
            }
            probe = candidate;
        }
    }
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
        let xmas = Exception {
            from: Time::from_days(2),
            to: Time::from_days(3),
            capacity: 0,
        };
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
        assert_eq!(c.next_change(at(0, 0)), Some(at(0, 7)));
        assert_eq!(c.next_change(at(0, 7)), Some(at(0, 16)));
        assert_eq!(
            c.next_change(at(1, 16)),
            Some(at(3, 7)),
            "skips the holiday"
        );
        assert_eq!(
            c.next_change(at(4, 16)),
            Some(at(7, 7)),
            "skips the weekend"
        );
        assert_eq!(c.max_capacity(), 2);
    }

    #[test]
    fn boundaries_stay_exact_after_a_century() {
        let c = qp_calendar();
        let monday = Time::from_days(7 * 5218); // about 100 years on
        assert_eq!(c.next_change(monday), Some(monday + h(7)));
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
        assert_eq!(c.next_change(at(0, 0)), Some(at(2, 0)));
    }

    #[test]
    fn constant_calendars_never_change() {
        assert_eq!(Calendar::constant(4).next_change(at(3, 3)), None);
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
        let e = |a, b| Exception {
            from: Time::from_days(a),
            to: Time::from_days(b),
            capacity: 0,
        };
        assert_eq!(
            Calendar::new(Duration::ZERO, &[], 1, &[e(5, 7), e(1, 6)]),
            Err(CalendarError::Overlap {
                first: 0,
                second: 1
            })
        );
        assert!(Calendar::new(Duration::ZERO, &[], 1, &[e(3, 3)]).is_err());
    }
}
