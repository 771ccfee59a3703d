//! The model's description of a scenario: everything a replication needs.
//!
//! Durations are distributions in clock ticks. Resource and step references are indices.
//! Nothing here is random yet: each replication draws its own streams. A `Spec` may be
//! built by the scenario compiler, edited by a sweep or `size`, or written in Rust; in
//! every case [`Spec::validate`] (in `check`) says whether it can run.
//!
//! This module must not parse text or know file formats.

pub use super::arrivals::{Arrivals, Cohort, Growth, RatePeriod, Spread, Window};
pub use network::{
    At, LaneSpec, ModeChoice, ModeSpec, Network, Place, RouteAt, Routing, SiteDemand, SiteKind,
    SiteSpec, Sites, Unfit, admissible,
};

pub use costs::{Allocation, AssayCost, CostCategory, Costs, ResourceCost};

mod costs;
mod network;
use crate::engine::{
    Calendar, CalendarError, CapacityDrop, Dist, Duration, Exception, Shift, Time,
};

/// A scenario, compiled and checked.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Resource pools shared by every product.
    pub resources: Vec<ResourceSpec>,
    /// Products made in the facility, each with its own arrivals and chain.
    pub products: Vec<ProductSpec>,
    /// Time simulated before statistics start.
    pub warmup: Duration,
    /// Length of the statistics window; with `until_empty`, the longest the run may
    /// take after the warm-up.
    pub horizon: Duration,
    /// End the run when the last arrival has come and every entity has left (all
    /// products' arrivals must end), with the horizon as a safety cap.
    pub until_empty: bool,
    /// Record a time series with periods of this length (from the start of the run).
    pub timeseries: Option<Duration>,
    /// Slot calendars: manufacturing slots released over time, allocated to patients.
    pub slots: Vec<SlotSpec>,
    /// Sites, lanes and routing (empty: one site).
    pub network: Network,
    /// Cost rates, if the scenario prices its runs.
    pub costs: Option<Costs>,
}

/// A slot calendar: manufacturing slots released on dates or periodically, allocated to
/// waiting patients first come first served or by their priority score. A slot not
/// allocated within `open_for` of its release is wasted.
#[derive(Clone, Debug)]
pub struct SlotSpec {
    /// Name, as in the scenario (metric names use it).
    pub name: String,
    /// When slots are released, and how many.
    pub release: SlotRelease,
    /// How long a released slot waits for a patient (zero: only those already waiting).
    pub open_for: Duration,
    /// Allocate by the patients' priority scores (highest first; ties first come first
    /// served) rather than first come first served.
    pub by_score: bool,
}

/// When a slot calendar releases slots.
#[derive(Clone, Debug)]
pub enum SlotRelease {
    /// `count` slots at each of these times (in order).
    Dates {
        /// Release times.
        at: Vec<Time>,
        /// Slots per release.
        count: u32,
    },
    /// A release every `every` from `first`, each of a count drawn from `count` (rounded
    /// to a whole number, at least 0).
    Every {
        /// The first release.
        first: Time,
        /// Time between releases.
        every: Duration,
        /// Slots per release.
        count: Dist,
        /// No release from this time on.
        until: Time,
    },
}

/// A step that waits for a slot before its work: the slot is held from allocation to the
/// start of step `until` (this step or a later one), when it is used. A patient who
/// leaves while holding one gives it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotUse {
    /// Index of the slot calendar.
    pub slot: usize,
    /// The step whose start uses the slot.
    pub until: usize,
}

impl Spec {
    /// Every task step `s` may run, with the path of its resource lists below the step
    /// (`""`, `"assays.sterility."`): its kind's, each site's, or (a transport leg) every
    /// lane mode's.
    pub fn tasks_of<'a>(&'a self, s: &'a StepSpec) -> Vec<(&'a Task, String)> {
        let mut out = Vec::new();
        for kind in s.kinds() {
            match kind {
                StepKind::Work(t, _) => out.push((t, String::new())),
                StepKind::Assays(list) => {
                    out.extend(
                        list.iter()
                            .map(|a| (&a.task, format!("assays.{}.", a.name))),
                    );
                }
                StepKind::Transport(_) => out.extend(
                    self.network
                        .lanes
                        .iter()
                        .flat_map(|l| &l.modes)
                        .map(|m| (&m.task, "transport.".to_string())),
                ),
            }
        }
        out
    }

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

/// A product: an autologous therapy made one patient at a time, or an allogeneic one
/// made in batches to stock (`allogeneic` is then set).
#[derive(Clone, Debug)]
pub struct ProductSpec {
    /// Name, as in the scenario.
    pub name: String,
    /// Arrivals of patients (autologous) or of orders (allogeneic).
    pub arrivals: Arrivals,
    /// Times outside which `arrivals` (a renewal or Poisson process) brings no one.
    pub window: Option<Window>,
    /// How long a patient or an order waits, in total, before dropping out (if limited).
    pub patience: Option<Dist>,
    /// Priority of this product's requests at each resource (index = resource).
    pub priority: Vec<i32>,
    /// The chain of steps, in order: one patient's (autologous) or one batch's.
    pub steps: Vec<StepSpec>,
    /// Make-to-stock settings of an allogeneic product.
    pub allogeneic: Option<Allogeneic>,
    /// Named intervals of the chain (turnaround, collection to infusion), measured for
    /// every entity that finishes the chain (`steps`) in the window.
    pub milestones: Vec<Milestone>,
    /// Competing risks over phases of the chain (death, progression), autologous only.
    pub hazards: Vec<Hazard>,
    /// Each patient's priority score for slot allocation (higher first), if drawn.
    pub score: Option<Dist>,
    /// Arrivals per collection site of a network (then `arrivals` and `window` are not
    /// used); empty: `arrivals`, with no sites.
    pub demand: Vec<SiteDemand>,
}

/// A competing risk of a patient: a time to the event (death, progression, loss of
/// eligibility) drawn when the patient first starts step `from`, running in calendar
/// time (not only while queued) until the patient has finished step `to`. If the event
/// comes first the patient leaves: at once when waiting for resources or in a step
/// without resources, else at the end of the step in progress (work once started on
/// resources runs to its end).
#[derive(Clone, Debug)]
pub struct Hazard {
    /// What happens (metric names use it): "death", "progression".
    pub cause: String,
    /// Time from the start of `from` to the event, in ticks.
    pub time: Dist,
    /// The step whose (first) start starts the clock.
    pub from: usize,
    /// The step whose (successful) end stops it.
    pub to: usize,
}

/// A named interval between two edges of a product's chain: from the first time an
/// entity reaches `from` to the last time it reaches `to` (so rework counts in it).
#[derive(Clone, Debug, PartialEq)]
pub struct Milestone {
    /// Name, as in the scenario (metric names use it).
    pub name: String,
    /// Where the interval starts.
    pub from: Edge,
    /// Where it ends.
    pub to: Edge,
    /// The service level: the share of entities within this time is reported.
    pub deadline: Option<Duration>,
}

/// The start or the end of a step of a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Index of the step.
    pub step: usize,
    /// The end of the step (its last attempt's end) rather than its start.
    pub end: bool,
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
    /// A slot the step waits for before its work, if any (autologous chains).
    pub slot: Option<SlotUse>,
    /// Resources (index, units) granted with the step's own and held after its work,
    /// across the steps that follow, until a step that releases them (a device seized at
    /// seeding and released at harvest). Work steps only.
    pub seize: Vec<(usize, u32)>,
    /// Resources seized at an earlier step that go back at the end of this one (all of
    /// them, by index).
    pub release: Vec<usize>,
    /// The step's resource is booked ahead rather than queued for (work steps only).
    pub booking: Option<Booking>,
    /// Where the step's resources are: as listed, or at a place of the patient.
    pub at: At,
}

impl ProductSpec {
    /// The names of the assays of the product's chains (at any site), each once, in
    /// chain order.
    pub fn assay_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let delivery = self.allogeneic.iter().flat_map(|a| a.delivery.iter());
        for s in self.steps.iter().chain(delivery) {
            for kind in s.kinds() {
                if let StepKind::Assays(list) = kind {
                    for a in list {
                        if !out.contains(&a.name.as_str()) {
                            out.push(&a.name);
                        }
                    }
                }
            }
        }
        out
    }
}

impl StepSpec {
    /// Every kind the step may run as: its own, or one per site where it can run.
    pub fn kinds(&self) -> Vec<&StepKind> {
        match &self.at {
            At::Listed => vec![&self.kind],
            At::Sited(_, kinds) => kinds.iter().flatten().collect(),
        }
    }
}

/// Booking ahead (a campaign reserving a lab of a process-development testbed): when the
/// step starts, its work is drawn and one unit of its one resource is reserved for a
/// window that long, the earliest that starts `lead` or more later and that one unit has
/// free (a campaign does not move between units). The patient (the campaign) waits for
/// the window, works in it and gives the unit back at its end. A window ending more than
/// `deadline` after the request does not fit: the booking is then refused (the campaign
/// leaves) or postponed (made anyway, counted late). A resource booked ahead is used by
/// booking steps alone, with no calendar, breakdowns or changeover, so that a window once
/// booked is always there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Booking {
    /// The earliest a window may start after the request (planning, shipping material).
    pub lead: Duration,
    /// The latest a window may end after the request, if limited.
    pub deadline: Option<Duration>,
    /// What happens to a booking that does not fit before its deadline.
    pub late: Late,
}

/// What happens to a booking whose earliest window ends after its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Late {
    /// Refused: the campaign leaves unserved.
    Refuse,
    /// Postponed: booked at its earliest window all the same, and counted late.
    Postpone,
}

/// What a step does.
#[derive(Clone, Debug)]
pub enum StepKind {
    /// Work that may hold resources, and may fail.
    Work(Task, Option<Failure>),
    /// QC release: assays run in parallel; the step ends when all have reported.
    Assays(Vec<Assay>),
    /// A transport leg between two places of the patient, on the lane between their
    /// sites, in a mode chosen when the leg starts (see [`ModeChoice`]).
    Transport(Transport),
}

/// A transport leg of a chain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transport {
    /// Where the leg starts.
    pub from: Place,
    /// Where it ends.
    pub to: Place,
    /// The longest a fresh product may travel (from the start of the leg, waiting for
    /// the courier included); a leg over it spoils the product and the patient is lost.
    pub fresh_limit: Option<Duration>,
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
