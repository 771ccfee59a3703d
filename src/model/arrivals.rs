//! How patients (or orders) arrive: renewal processes, non-homogeneous Poisson processes
//! (a rate by period, or a rate that grows), finite cohorts and dated lists, and the
//! window they are confined to.
//!
//! Non-homogeneous Poisson arrivals are drawn **by inversion**: with the cumulative rate
//! `Λ(t) = ∫ rate`, the next arrival after `now` is the time at which `Λ` has grown by an
//! exponential draw of mean 1 since `now`. Every rate here has a closed-form `Λ` and its
//! inverse, so the draw is exact (no thinning, no rejected draws) and costs the same at
//! any rate. [`Arrivals::expected`] gives the mean count in an interval, for the checks and
//! for tests of counts per period.
//!
//! This module must not parse text or know file formats.

use crate::engine::time::TICKS_PER_DAY;
use crate::engine::{Dist, Duration, Time};

/// Ticks in a year of 365 days (growth rates are per year).
const YEAR: f64 = 365.0 * TICKS_PER_DAY as f64;

/// How patients (or orders) of a product arrive.
#[derive(Clone, Debug)]
pub enum Arrivals {
    /// A renewal process: independent times between arrivals (Poisson when exponential).
    /// The first arrival comes one interarrival time after the start (of the window).
    Renewal(Dist),
    /// A non-homogeneous Poisson process with a piecewise-constant rate: each period
    /// starts at its time (in order) and lasts until the next; the last lasts for ever.
    /// No arrival before the first period.
    Schedule(Vec<RatePeriod>),
    /// A non-homogeneous Poisson process whose rate grows (or declines) from a date on.
    Growth(Growth),
    /// Exactly `size` patients over a window, or all at once.
    Cohort(Cohort),
    /// Arrivals at given times (a referral or enrolment log), in order.
    Dated(Vec<Time>),
}

/// One period of an arrival schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatePeriod {
    /// When the period starts.
    pub from: Time,
    /// Arrivals per clock tick during the period (0: none).
    pub rate: f64,
}

/// A rate that is `rate` until `from`, then grows by `yearly` (0.4: +40 %) a year,
/// compounding (exponential growth) or linearly (by `yearly x rate` each year), until it
/// reaches `cap` if one is given. A negative `yearly` is a decline (`cap` is then the
/// floor); a linear decline stops at zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Growth {
    /// Arrivals per tick before and at `from`.
    pub rate: f64,
    /// When growth starts.
    pub from: Time,
    /// Relative change of the rate per year of 365 days (> -1).
    pub yearly: f64,
    /// Compounding (`rate x (1 + yearly)^years`) or linear (`rate x (1 + yearly x years)`).
    pub compounding: bool,
    /// The rate at which growth stops (per tick), if any.
    pub cap: Option<f64>,
}

/// A finite cohort: exactly `size` arrivals in `[from, to)`; all at `from` when `to` is
/// `from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cohort {
    /// Patients in the cohort.
    pub size: u32,
    /// Start of the window.
    pub from: Time,
    /// End of the window (exclusive); equal to `from`: all arrive at once.
    pub to: Time,
    /// How the arrivals are spread over the window.
    pub spread: Spread,
}

/// How a cohort's arrivals are spread over its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spread {
    /// Independent uniform times (the order statistics, drawn one after the other).
    Random,
    /// Evenly spaced: the `i`-th of `n` at `from + i (to - from) / n`.
    Even,
}

/// Times outside which a product has no arrivals: `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// First time an arrival may come.
    pub from: Time,
    /// Arrivals stop before this time.
    pub to: Time,
}

impl Arrivals {
    /// True when the process ends by itself (a cohort, a dated list, a schedule whose
    /// last rate is zero); a window also ends any process.
    pub fn is_finite(&self) -> bool {
        match self {
            Arrivals::Cohort(_) | Arrivals::Dated(_) => true,
            Arrivals::Schedule(p) => p.last().is_some_and(|q| q.rate == 0.0),
            Arrivals::Growth(g) => {
                g.rate == 0.0 || (g.yearly < 0.0 && g.cap.is_none_or(|c| c == 0.0))
            }
            Arrivals::Renewal(_) => false,
        }
    }

    /// The expected number of arrivals in `[a, b)` (ignoring any window); for a renewal
    /// process the long-run rate times the length.
    pub fn expected(&self, a: Time, b: Time) -> f64 {
        if b <= a {
            return 0.0;
        }
        let (x, y) = (a.ticks() as f64, b.ticks() as f64);
        match self {
            Arrivals::Renewal(d) => (y - x) / d.mean(),
            Arrivals::Schedule(periods) => {
                let mut n = 0.0;
                for (i, q) in periods.iter().enumerate() {
                    let from = (q.from.ticks() as f64).max(x);
                    let to = periods
                        .get(i + 1)
                        .map_or(y, |r| (r.from.ticks() as f64).min(y));
                    n += q.rate * (to - from).max(0.0);
                }
                n
            }
            Arrivals::Growth(g) => g.cumulative(y) - g.cumulative(x),
            Arrivals::Cohort(c) if c.to == c.from => {
                if (a..b).contains(&c.from) {
                    f64::from(c.size)
                } else {
                    0.0
                }
            }
            Arrivals::Cohort(c) => {
                let (f, t) = (c.from.ticks() as f64, c.to.ticks() as f64);
                match c.spread {
                    Spread::Random => {
                        f64::from(c.size) * ((y.min(t) - x.max(f)).max(0.0) / (t - f))
                    }
                    Spread::Even => {
                        (0..c.size).filter(|&i| (a..b).contains(&c.even(i))).count() as f64
                    }
                }
            }
            Arrivals::Dated(times) => {
                (times.partition_point(|&t| t < b) - times.partition_point(|&t| t < a)) as f64
            }
        }
    }
}

impl Cohort {
    /// The time of the `i`-th of `size` evenly spread arrivals.
    pub fn even(&self, i: u32) -> Time {
        let span = self.to.since(self.from).ticks() as u128;
        let off = span * u128::from(i) / u128::from(self.size.max(1));
        self.from + Duration::from_ticks(off as u64)
    }

    /// The next of `remaining` independent uniform arrivals in `[now, to)` (the minimum of
    /// `remaining` uniforms), given a uniform draw `u` in `[0, 1)`.
    pub fn next_random(&self, now: Time, remaining: u32, u: f64) -> Time {
        if self.to <= now {
            return now;
        }
        let span = self.to.since(now).ticks() as f64;
        // P(min > s) = (1 - s/span)^m, inverted with 1 - u in (0, 1].
        let s = span * (1.0 - (1.0 - u).powf(1.0 / f64::from(remaining)));
        (now + Duration::from_ticks(s as u64)).min(self.to)
    }
}

impl RatePeriod {
    /// The first arrival after `now` of a Poisson process with the piecewise-constant
    /// rate of `periods`, given an exponential draw `e` of mean 1: the time at which the
    /// cumulative rate since `now` reaches `e`. `None` if it never does.
    pub fn next_arrival(periods: &[RatePeriod], now: Time, mut e: f64) -> Option<Time> {
        let mut t = now.ticks() as f64;
        let start = periods.partition_point(|p| p.from <= now).saturating_sub(1);
        for (i, p) in periods.iter().enumerate().skip(start) {
            let from = (p.from.ticks() as f64).max(t);
            let end = periods
                .get(i + 1)
                .map_or(f64::INFINITY, |q| q.from.ticks() as f64);
            if from >= end {
                continue;
            }
            let mass = p.rate * (end - from);
            if p.rate > 0.0 && e <= mass {
                return at(from + e / p.rate, now);
            }
            e -= mass.min(e);
            t = end;
        }
        None
    }
}

/// `ticks` as a time not before `now`; `None` beyond the clock's range.
fn at(ticks: f64, now: Time) -> Option<Time> {
    (ticks < 1.8e19).then(|| Time::from_ticks(ticks.round() as u64).max(now))
}

impl Growth {
    /// Ticks after `from` at which growth stops (the cap is reached, or a linear decline
    /// reaches zero), and the rate from then on. `None`: it never stops.
    fn stop(&self) -> Option<(f64, f64)> {
        let (r, x) = (self.rate, self.yearly);
        if x == 0.0 || r == 0.0 {
            return Some((0.0, r));
        }
        if let Some(cap) = self.cap
            && (cap - r) * x >= 0.0
        {
            let s = if self.compounding {
                (cap / r).ln() / ((1.0 + x).ln() / YEAR)
            } else {
                (cap / r - 1.0) / x * YEAR
            };
            return Some((s, cap));
        }
        (!self.compounding && x < 0.0).then(|| (-YEAR / x, 0.0))
    }

    /// The rate `s` ticks after `from`, during growth.
    fn rate_after(&self, s: f64) -> f64 {
        if self.compounding {
            self.rate * ((1.0 + self.yearly).ln() / YEAR * s).exp()
        } else {
            self.rate * (1.0 + self.yearly * s / YEAR)
        }
    }

    /// Arrivals expected over `d` ticks of growth starting at rate `r0`.
    fn mass(&self, r0: f64, d: f64) -> f64 {
        if self.compounding {
            let g = (1.0 + self.yearly).ln() / YEAR;
            if g == 0.0 {
                r0 * d
            } else {
                r0 * (g * d).exp_m1() / g
            }
        } else {
            r0 * d + self.rate * self.yearly / YEAR * d * d / 2.0
        }
    }

    /// Ticks until growth starting at rate `r0` has accumulated `e` arrivals (`e` at
    /// most the mass up to the stop).
    fn invert(&self, r0: f64, e: f64) -> f64 {
        if self.compounding {
            let g = (1.0 + self.yearly).ln() / YEAR;
            if g == 0.0 {
                e / r0
            } else {
                (e * g / r0).ln_1p() / g
            }
        } else {
            let a = self.rate * self.yearly / YEAR;
            // The smaller root of a/2 d^2 + r0 d - e = 0, in the form that does not cancel.
            2.0 * e / (r0 + (r0 * r0 + 2.0 * a * e).max(0.0).sqrt())
        }
    }

    /// The cumulative rate from time zero to `t` ticks.
    pub fn cumulative(&self, t: f64) -> f64 {
        let from = self.from.ticks() as f64;
        if t <= from {
            return self.rate * t;
        }
        let s = t - from;
        let before = self.rate * from;
        match self.stop() {
            Some((stop, after)) if s > stop => {
                before + self.mass(self.rate, stop) + after * (s - stop)
            }
            _ => before + self.mass(self.rate, s),
        }
    }

    /// The first arrival after `now`, given an exponential draw `e` of mean 1.
    pub fn next_arrival(&self, now: Time, mut e: f64) -> Option<Time> {
        let from = self.from.ticks() as f64;
        let mut t = now.ticks() as f64;
        if t < from {
            let before = self.rate * (from - t);
            if self.rate > 0.0 && e <= before {
                return at(t + e / self.rate, now);
            }
            e -= before;
            t = from;
        }
        let s = t - from;
        let stop = self.stop();
        let (growth_left, after) = match stop {
            Some((stop, after)) => ((stop - s).max(0.0), after),
            None => (f64::INFINITY, 0.0),
        };
        if growth_left > 0.0 {
            let r0 = self.rate_after(s);
            let mass = self.mass(r0, growth_left);
            if e <= mass {
                return at(t + self.invert(r0, e), now);
            }
            e -= mass;
            t += growth_left;
        }
        if after > 0.0 {
            at(t + e / after, now)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Arrivals, Cohort, Growth, RatePeriod, Spread, YEAR};
    use crate::engine::time::TICKS_PER_DAY;
    use crate::engine::{Duration, Time};

    #[test]
    fn inversion_walks_the_periods() {
        // 1 a day until day 10, none until day 20, then 2 a day (rates per tick).
        let per_day = |r: f64| r / TICKS_PER_DAY as f64;
        let periods = [
            RatePeriod {
                from: Time::ZERO,
                rate: per_day(1.0),
            },
            RatePeriod {
                from: Time::from_days(10),
                rate: 0.0,
            },
            RatePeriod {
                from: Time::from_days(20),
                rate: per_day(2.0),
            },
        ];
        let next = |now: u64, e: f64| RatePeriod::next_arrival(&periods, Time::from_days(now), e);
        assert_eq!(next(5, 3.0), Some(Time::from_days(8)));
        // 5 units by day 10, nothing to day 20, the last 2 at 2 a day: day 21.
        assert_eq!(next(5, 7.0), Some(Time::from_days(21)));
        assert_eq!(next(12, 4.0), Some(Time::from_days(22)));
        let ending = [
            RatePeriod {
                from: Time::from_days(3),
                rate: per_day(1.0),
            },
            RatePeriod {
                from: Time::from_days(4),
                rate: 0.0,
            },
        ];
        assert_eq!(
            RatePeriod::next_arrival(&ending, Time::ZERO, 0.5),
            Some(Time::ZERO + Duration::from_hours(84))
        );
        assert_eq!(
            RatePeriod::next_arrival(&ending, Time::ZERO, 1.5),
            None,
            "the rate ends"
        );
    }

    /// Inverting the cumulative rate gives back the time it was computed at.
    fn round_trip(g: &Growth) {
        for start_day in [0.0, 100.0, 400.0, 1500.0] {
            let now = Time::ZERO + Duration::from_days_f64(start_day);
            for e in [0.01, 0.7, 5.0, 60.0, 400.0] {
                let want = g.cumulative(now.ticks() as f64) + e;
                let Some(t) = g.next_arrival(now, e) else {
                    panic!("{g:?}: no arrival from day {start_day} with e = {e}");
                };
                let got = g.cumulative(t.ticks() as f64);
                assert!(
                    (got - want).abs() < 1e-6 * want.max(1.0),
                    "{g:?} from day {start_day}, e = {e}: Λ(t) = {got}, want {want}"
                );
            }
        }
    }

    #[test]
    fn growth_inverts_its_cumulative_rate() {
        let per_year = |r: f64| r / YEAR;
        for compounding in [true, false] {
            for (yearly, cap) in [
                (0.4, None),
                (0.4, Some(per_year(60.0))),
                (0.0, None),
                (-0.2, Some(per_year(5.0))),
            ] {
                round_trip(&Growth {
                    rate: per_year(20.0),
                    from: Time::from_days(365),
                    yearly,
                    compounding,
                    cap,
                });
            }
        }
    }

    #[test]
    fn growth_by_hand() {
        // 100 a year, +50 % a year compounding from day 0: Λ(1 year) = 100 x 0.5 / ln 1.5.
        let g = Growth {
            rate: 100.0 / YEAR,
            from: Time::ZERO,
            yearly: 0.5,
            compounding: true,
            cap: Some(200.0 / YEAR),
        };
        let year1 = g.cumulative(YEAR);
        assert!((year1 - 50.0 / 1.5f64.ln()).abs() < 1e-9, "{year1}");
        // The cap of 200 a year is reached after ln 2 / ln 1.5 years, then the rate stays.
        let t_cap = 2f64.ln() / 1.5f64.ln() * YEAR;
        let at_cap = g.cumulative(t_cap);
        assert!((at_cap - 100.0 / 1.5f64.ln()).abs() < 1e-9, "{at_cap}");
        assert!((g.cumulative(t_cap + YEAR) - at_cap - 200.0).abs() < 1e-6);
        // Linear: 100 a year growing by 50 a year: 125 in the first year.
        let l = Growth {
            compounding: false,
            cap: None,
            ..g
        };
        assert!((l.cumulative(YEAR) - 125.0).abs() < 1e-9);
        // A linear decline of 50 % a year stops at zero after two years: 100 arrivals.
        let d = Growth { yearly: -0.5, ..l };
        assert!((d.cumulative(5.0 * YEAR) - 100.0).abs() < 1e-9);
        assert_eq!(d.next_arrival(Time::ZERO, 100.5), None);
        assert!(Arrivals::Growth(d).is_finite());
    }

    #[test]
    fn cohorts_spread_their_arrivals() {
        let c = Cohort {
            size: 4,
            from: Time::from_days(10),
            to: Time::from_days(18),
            spread: Spread::Even,
        };
        let times: Vec<u64> = (0..4).map(|i| c.even(i).ticks() / TICKS_PER_DAY).collect();
        assert_eq!(times, [10, 12, 14, 16]);
        let a = Arrivals::Cohort(c);
        assert_eq!(a.expected(Time::from_days(11), Time::from_days(15)), 2.0);
        let r = Cohort {
            spread: Spread::Random,
            ..c
        };
        // The minimum of 1 uniform on [10, 18) at u = 0.5 is day 14; of 2 it is earlier.
        assert_eq!(r.next_random(c.from, 1, 0.5), Time::from_days(14));
        assert!(r.next_random(c.from, 2, 0.5) < Time::from_days(14));
        assert_eq!(
            Arrivals::Cohort(r).expected(Time::from_days(10), Time::from_days(12)),
            1.0
        );
    }
}
