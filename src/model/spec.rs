//! The model's description of a scenario: everything a replication needs.
//!
//! Durations are distributions in clock ticks. Resource and step references are indices.
//! Nothing here is random yet: each replication draws its own streams. A `Spec` may be
//! built by the scenario compiler, edited by a sweep or `size`, or written in Rust; in
//! every case [`Spec::validate`] (in `check`) says whether it can run.
//!
//! This module must not parse text or know file formats.

use crate::engine::{Calendar, CalendarError, CapacityDrop, Dist, Duration, Exception, Shift};

/// A scenario, compiled and checked.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Resource pools shared by every product.
    pub resources: Vec<ResourceSpec>,
    /// Products made in the facility, each with its own arrivals and chain.
    pub products: Vec<ProductSpec>,
    /// Time simulated before statistics start.
    pub warmup: Duration,
    /// Length of the statistics window.
    pub horizon: Duration,
}

impl Spec {
    /// The start of the statistics window (the end of the warm-up).
    pub fn warmup_end(&self) -> crate::engine::Time {
        crate::engine::Time::ZERO + self.warmup
    }
}

/// A resource pool: suites, devices, analysts, QPs.
#[derive(Clone, Debug)]
pub struct ResourceSpec {
    /// Name, as in the scenario (metric names use it).
    pub name: String,
    /// Units the pool has.
    pub capacity: u32,
    /// Time a unit stays busy after each use (cleaning a suite), if any.
    pub changeover: Option<Dist>,
    /// Working pattern (shifts, holidays), if not always `capacity`.
    pub calendar: Option<CalendarSpec>,
    /// Random breakdowns, if any.
    pub breakdowns: Option<BreakdownSpec>,
    /// What happens to work in progress when capacity drops.
    pub on_capacity_drop: CapacityDrop,
}

/// How many of a resource's units work a shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Staffing {
    /// Every unit the resource has (its `capacity`): sweeping or sizing the capacity
    /// changes what the shift makes available.
    All,
    /// A fixed number of units, whatever the capacity.
    Units(u32),
}

impl Staffing {
    /// Units working, for a resource of `capacity` units.
    pub fn of(self, capacity: u32) -> u32 {
        match self {
            Staffing::All => capacity,
            Staffing::Units(n) => n,
        }
    }
}

/// A shift of a resource's calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftSpec {
    /// Days on which the shift starts: bit 0 = Monday ... bit 6 = Sunday.
    pub days: u8,
    /// Time of day at which it starts.
    pub start: Duration,
    /// Time of day at which it ends (at or before `start`: the next day).
    pub end: Duration,
    /// Units working the shift.
    pub staffing: Staffing,
}

/// A resource's working pattern: shifts and exceptions, in terms of its capacity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarSpec {
    /// Time of week at `t = 0` (zero: the run starts on Monday at 00:00).
    pub week_start: Duration,
    /// Units available at all times, shifts or not.
    pub base: u32,
    /// Weekly shifts; overlapping shifts add up.
    pub shifts: Vec<ShiftSpec>,
    /// Dated periods (holidays) with their own capacity, possibly repeating.
    pub exceptions: Vec<Exception>,
}

impl CalendarSpec {
    /// The engine calendar of a resource with `capacity` units.
    pub fn build(&self, capacity: u32) -> Result<Calendar, CalendarError> {
        let shifts: Vec<Shift> = self
            .shifts
            .iter()
            .map(|s| Shift {
                days: s.days,
                start: s.start,
                end: s.end,
                capacity: s.staffing.of(capacity),
            })
            .collect();
        Calendar::new(self.week_start, &shifts, self.base, &self.exceptions)
    }

    /// True when some shift works with every unit, so that capacity changes availability.
    pub fn follows_capacity(&self) -> bool {
        self.shifts.iter().any(|s| s.staffing == Staffing::All)
    }
}

/// Random breakdowns of a resource: an alternating renewal process.
#[derive(Clone, Debug)]
pub struct BreakdownSpec {
    /// Up time between the end of a repair and the next breakdown.
    pub time_between: Dist,
    /// Repair time.
    pub repair: Dist,
    /// Units one breakdown takes down.
    pub units: u32,
}

impl ResourceSpec {
    /// The most units this pool ever has available (its capacity if the calendar is
    /// invalid: `validate` reports that).
    pub fn max_capacity(&self) -> u32 {
        self.calendar
            .as_ref()
            .and_then(|c| c.build(self.capacity).ok())
            .map_or(self.capacity, |c| c.max_capacity().min(self.capacity))
    }
}

/// How patients (or orders) arrive.
#[derive(Clone, Debug)]
pub enum Arrivals {
    /// A renewal process: independent times between arrivals (Poisson when exponential).
    /// The first arrival comes one interarrival time after the start.
    Renewal(Dist),
    /// A non-homogeneous Poisson process with a piecewise-constant rate: each period
    /// starts at its time (in order) and lasts until the next; the last lasts for ever.
    /// No arrival before the first period. Arrivals are drawn by inversion of the
    /// cumulative rate (exact; see `RatePeriod::next_arrival`).
    Schedule(Vec<RatePeriod>),
}

/// One period of an arrival schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatePeriod {
    /// When the period starts.
    pub from: crate::engine::Time,
    /// Arrivals per clock tick during the period (0: none).
    pub rate: f64,
}

impl RatePeriod {
    /// The first arrival after `now` of a Poisson process with the piecewise-constant
    /// rate of `periods`, given an exponential draw `e` of mean 1: the time at which the
    /// cumulative rate since `now` reaches `e`. `None` if it never does.
    pub fn next_arrival(
        periods: &[RatePeriod],
        now: crate::engine::Time,
        mut e: f64,
    ) -> Option<crate::engine::Time> {
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
                let at = from + e / p.rate;
                return Some(crate::engine::Time::from_ticks(at.round() as u64).max(now));
            }
            e -= mass.min(e);
            t = end;
        }
        None
    }
}

/// A product: an autologous therapy made one patient at a time, or an allogeneic one
/// made in batches to stock (`allogeneic` is then set).
#[derive(Clone, Debug)]
pub struct ProductSpec {
    /// Name, as in the scenario.
    pub name: String,
    /// Arrivals of patients (autologous) or of orders (allogeneic).
    pub arrivals: Arrivals,
    /// How long a patient or an order waits, in total, before dropping out (if limited).
    pub patience: Option<Dist>,
    /// Priority of this product's requests at each resource (index = resource).
    pub priority: Vec<i32>,
    /// The chain of steps, in order: one patient's (autologous) or one batch's.
    pub steps: Vec<StepSpec>,
    /// Make-to-stock settings of an allogeneic product.
    pub allogeneic: Option<Allogeneic>,
}

/// Make-to-stock: batches of doses, a cryo store, orders served from it.
#[derive(Clone, Debug)]
pub struct Allogeneic {
    /// Doses a released batch yields (rounded to a whole number).
    pub doses: Dist,
    /// Doses one order takes.
    pub order_size: u32,
    /// When batches start.
    pub policy: Policy,
    /// Dewar positions, in doses (`u64::MAX`: unlimited).
    pub stock_capacity: u64,
    /// Shelf life, counted from the start of the batch's (last) QC release step, or from
    /// release when the chain has no assay step. `None`: doses never expire.
    pub shelf_life: Option<Duration>,
    /// An order's way from the store to the patient (courier, infusion).
    pub delivery: Vec<StepSpec>,
}

/// When batches of an allogeneic product start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Policy {
    /// A batch every `every`, the first at time zero.
    Campaign {
        /// Time between batch starts.
        every: Duration,
    },
    /// Start a batch whenever the inventory position (on hand + expected doses of
    /// batches in production - backordered doses) is at or below `level`, with at most
    /// `max_in_production` batches in production at once.
    ReorderPoint {
        /// The reorder point R, in doses.
        level: i64,
        /// Cap on batches in production at once.
        max_in_production: Option<u32>,
    },
}

/// One step of a chain.
#[derive(Clone, Debug)]
pub struct StepSpec {
    /// Name, as in the scenario.
    pub name: String,
    /// What the step does.
    pub kind: StepKind,
}

/// What a step does.
#[derive(Clone, Debug)]
pub enum StepKind {
    /// Work that may hold resources, and may fail.
    Work(Task, Option<Failure>),
    /// QC release: assays run in parallel; the step ends when all have reported.
    Assays(Vec<Assay>),
}

/// Work on zero or more resources. `uses` and `touch_uses` are granted together,
/// all-or-nothing (a suite and an operator at once).
#[derive(Clone, Debug)]
pub struct Task {
    /// Resources held for the whole work (index, units): the suite, the device.
    pub uses: Vec<(usize, u32)>,
    /// Resources held only for the hands-on `touch` time at the start: the operator,
    /// the analyst.
    pub touch_uses: Vec<(usize, u32)>,
    /// Time from the start of the work (resources granted) to its end.
    pub duration: Dist,
    /// Hands-on time at the start of the work (with `touch_uses`). The work lasts at
    /// least its touch time.
    pub touch: Option<Dist>,
}

/// One QC assay of a release step.
#[derive(Clone, Debug)]
pub struct Assay {
    /// Name (sterility, mycoplasma, endotoxin, potency...).
    pub name: String,
    /// The assay's work: analyst touch time and total duration.
    pub task: Task,
    /// Out-of-specification results and what follows.
    pub failure: Option<Failure>,
}

/// A failure rule: with `probability` the step (or assay) fails; the chain goes back to
/// step `retry_from`; after `max_attempts` failures of this step the patient is lost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Failure {
    /// Probability of failure of one attempt.
    pub probability: f64,
    /// Index of the step the chain restarts from (at or before this step).
    pub retry_from: usize,
    /// Failures of this step after which the patient is lost (at least 1).
    pub max_attempts: u32,
}

#[cfg(test)]
mod tests {
    use super::RatePeriod;
    use crate::engine::Time;
    use crate::engine::time::TICKS_PER_DAY;

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
            Some(Time::ZERO + crate::engine::Duration::from_hours(84))
        );
        assert_eq!(
            RatePeriod::next_arrival(&ending, Time::ZERO, 1.5),
            None,
            "the rate ends"
        );
    }
}
