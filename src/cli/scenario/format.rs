//! The scenario file as written: serde types mirroring the TOML, with spans kept on every
//! value a later check may need to point at. Unknown keys are refused everywhere.
//!
//! ```toml
//! [simulation]
//! warmup = "365d"              # default "0d"
//! horizon = "730d"
//! replications = 200           # default 10
//! seed = 1                     # default 1
//! start_weekday = "monday"     # weekday of t = 0, for calendars (default monday)
//!
//! [resources]
//! suite = { capacity = 28, changeover = "1d" }
//! qp = { capacity = 2, calendar = { shifts = [{ days = "mon-fri", start = "07:00", end = "16:00" }] } }
//!
//! [[products]]
//! name = "car-t"
//! type = "autologous"
//! arrivals = { rate = 2.0, per = "day" }
//!
//!   [[products.steps]]
//!   name = "manufacturing"
//!   uses = ["suite"]
//!   duration = { triangular = { min = "8d", mode = "10d", max = "14d" } }
//!   failure = { probability = 0.05, retry_from = "apheresis", max_attempts = 2 }
//! ```
//!
//! A network adds sites (their own resources, or a site type's), lanes, routing, demand
//! per collection site, and steps located at a place of the patient or in transport:
//!
//! ```toml
//! [site_types.plant]
//! kind = "plant"
//! resources = { line = { capacity = "lines" } }
//!
//! [sites]
//! umea = { kind = "hospital", resources = { chair = { capacity = 2 } } }
//! molndal = { type = "plant", parameters = { lines = 6 } }
//!
//! [lanes.umea]
//! molndal = { modes = { road = "12h", air = "6h" } }     # both ways
//!
//! [routing]
//! rule = "nearest"
//!
//! [[products]]
//! name = "car-t"
//! type = "autologous"
//! demand.umea = { arrivals = { rate = 4, per = "year" } }
//!
//!   [[products.steps]]
//!   name = "inbound"
//!   transport = { from = "collection", to = "plant", fresh_limit = "30h" }
//!   [[products.steps]]
//!   name = "manufacturing"
//!   at = "plant"
//!   uses = ["line"]
//!   duration = "9d"
//! ```
//!
//! This module only describes the syntax; `compile` gives it meaning.

use super::spanned::Spanned;
use super::units::{CountDist, Days, DurationDist};
use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub simulation: Spanned<Simulation>,
    #[serde(default)]
    pub resources: IndexMap<Spanned<String>, Spanned<Resource>>,
    #[serde(default)]
    pub products: Vec<Spanned<Product>>,
    /// Slot calendars, by name.
    #[serde(default)]
    pub slots: IndexMap<Spanned<String>, Spanned<SlotCalendar>>,
    /// Designs of sites instantiated several times, by name.
    #[serde(default)]
    pub site_types: IndexMap<Spanned<String>, Spanned<SiteType>>,
    /// Sites of a network, by name.
    #[serde(default)]
    pub sites: IndexMap<Spanned<String>, Spanned<Site>>,
    /// Transport lanes: `[lanes.FROM]` then `TO = { modes = { ... } }`.
    #[serde(default)]
    pub lanes: IndexMap<Spanned<String>, Spanned<LanesFrom>>,
    /// How patients are routed to plants.
    pub routing: Option<Spanned<RoutingFile>>,
    /// Cost rates.
    pub costs: Option<Spanned<CostsFile>>,
}

/// `[costs]`: `currency = "SEK"` and rates, every one >= 0, in that currency:
/// `resources.NAME = { per_hour_held, per_hour_available, per_use, category }` (category
/// "facility" (default), "labour", "equipment", "materials", "qc" or "transport"),
/// `sites.NAME = { per_day }`, `products.NAME = { materials, qc, stored_per_day }` (per
/// patient, or per batch of an allogeneic product; a dose in store for a day; `assays =
/// { NAME = per run }`), `[costs.lanes.FROM] TO = { MODE = per leg }` (one direction),
/// `allocation` ("held" or "uses") and `discount_rate` (annual, in [0, 1)).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostsFile {
    pub currency: Spanned<String>,
    #[serde(default)]
    pub resources: IndexMap<Spanned<String>, Spanned<ResourceCostFile>>,
    #[serde(default)]
    pub sites: IndexMap<Spanned<String>, Spanned<SiteCostFile>>,
    #[serde(default)]
    pub products: IndexMap<Spanned<String>, Spanned<ProductCostFile>>,
    #[serde(default)]
    pub lanes: IndexMap<Spanned<String>, Spanned<LaneCostsFrom>>,
    /// How shared costs are split among products: "held" (default) or "uses".
    pub allocation: Option<Spanned<String>>,
    /// The annual discount rate in [0, 1) (net present cost); 0 or absent: none.
    pub discount_rate: Option<Spanned<f64>>,
}

/// Per destination, per mode: the cost of one leg.
pub type LaneCostsFrom =
    IndexMap<Spanned<String>, Spanned<IndexMap<Spanned<String>, Spanned<f64>>>>;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceCostFile {
    pub per_hour_held: Option<Spanned<f64>>,
    pub per_hour_available: Option<Spanned<f64>>,
    pub per_use: Option<Spanned<f64>>,
    pub category: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteCostFile {
    pub per_day: Spanned<f64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductCostFile {
    pub materials: Option<Spanned<f64>>,
    pub qc: Option<Spanned<f64>>,
    /// Allogeneic: one dose in the store for a day.
    pub stored_per_day: Option<Spanned<f64>>,
    /// Per run of each named QC assay: `assays = { sterility = 2500 }`.
    #[serde(default)]
    pub assays: IndexMap<Spanned<String>, Spanned<f64>>,
}

/// `[sites.molndal]`: `kind = "plant"` ("hospital", "plant" or "other"), and its own
/// resources (named `ROLE@SITE` in results; steps located at a site name the role); or
/// `type = "regional"` with the type's `parameters = { lines = 4 }` (and resources of its
/// own besides the type's).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub kind: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub site_type: Option<Spanned<String>>,
    #[serde(default)]
    pub parameters: IndexMap<Spanned<String>, Spanned<i64>>,
    #[serde(default)]
    pub resources: IndexMap<Spanned<String>, Spanned<Resource>>,
}

/// `[site_types.regional]`: a site's design, `kind` and `resources`, whose capacities may
/// name a parameter each site of the type sets (`capacity = "lines"`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteType {
    pub kind: Spanned<String>,
    #[serde(default)]
    pub resources: IndexMap<Spanned<String>, Spanned<Resource>>,
}

/// A whole number, or (in a site type) the name of a parameter its sites set.
#[derive(Clone, Debug)]
pub enum Count {
    Value(i64),
    Param(String),
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a whole number, or in a site type a parameter's name")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                Ok(Count::Value(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count::Value(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Count, E> {
                Ok(Count::Param(s.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The lanes from one site, by destination.
pub type LanesFrom = IndexMap<Spanned<String>, Spanned<Lane>>;

/// A lane `[lanes.FROM] TO = { modes = { express = "1d", standard = "2d" } }`: modes in
/// order of preference, each a door-to-door duration; resources every mode holds
/// (`uses`) or takes for a hands-on `touch` at the start (`touch_uses`: a courier's
/// pick-up, whose calendar sets cut-off times), resolved at the origin site first; the
/// same lane back from TO to FROM unless `one_way = true`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lane {
    pub modes: Spanned<IndexMap<Spanned<String>, Spanned<DurationDist>>>,
    #[serde(default)]
    pub uses: Vec<Spanned<Use>>,
    #[serde(default)]
    pub touch_uses: Vec<Spanned<Use>>,
    pub touch: Option<Spanned<DurationDist>>,
    pub one_way: Option<Spanned<bool>>,
}

/// `[routing]`: `rule = "nearest"` (default), `"fixed"` with `table = { SITE = "PLANT" }`,
/// `"shortest_wait"` or `"most_free"`; `at = "arrival"` (default) or `"dispatch"`;
/// `mode = "first"` (default), `"fastest"` or `"deadline"` with `deadline = "18d"`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingFile {
    pub rule: Option<Spanned<String>>,
    #[serde(default)]
    pub table: IndexMap<Spanned<String>, Spanned<String>>,
    pub at: Option<Spanned<String>>,
    pub mode: Option<Spanned<String>>,
    pub deadline: Option<Spanned<Days>>,
}

/// `[products.demand.umea]`: that collection site's arrivals, and where its patients are
/// treated if elsewhere.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteDemand {
    pub arrivals: Spanned<ArrivalsSpec>,
    pub treated_at: Option<Spanned<String>>,
}

/// A transport step: `transport = { from = "collection", to = "plant", fresh_limit = "2d" }`
/// (places: "collection", "treatment", "plant", or a site's name).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransportFile {
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    pub fresh_limit: Option<Spanned<Days>>,
}

/// `[slots.bcma]`: `release = { every = "month", count = { uniform = { min = 0, max = 4 } } }`
/// or `release = { dates = ["10d", "40d"], count = 1 }`; `open_for = "7d"`;
/// `allocation = "fcfs"` (default) or `"score"`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotCalendar {
    pub release: Spanned<SlotReleaseSpec>,
    pub open_for: Option<Spanned<Days>>,
    pub allocation: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotReleaseSpec {
    pub dates: Option<Vec<Spanned<Days>>>,
    /// "week", "month" (365/12 days), "year" or a duration.
    pub every: Option<Spanned<String>>,
    /// The first periodic release (default "0d")...
    pub from: Option<Spanned<Days>>,
    /// ...and no release from this time on (default: none).
    pub to: Option<Spanned<Days>>,
    /// Slots per release: a number, or a distribution (periodic releases).
    pub count: Option<Spanned<CountDist>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    pub warmup: Option<Spanned<Days>>,
    pub horizon: Spanned<Days>,
    pub replications: Option<Spanned<i64>>,
    pub seed: Option<Spanned<i64>>,
    pub start_weekday: Option<Spanned<String>>,
    /// The calendar date of t = 0 ("2021-03-01"): dates in arrival files count from it,
    /// and it sets the weekday.
    pub start_date: Option<Spanned<String>>,
    /// End each replication when the last arrival has come and everyone has left (the
    /// horizon is then a safety cap).
    pub until_empty: Option<Spanned<bool>>,
    /// Record a time series by "week", "month" (365/12 days), "year", or a duration.
    pub timeseries: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub capacity: Spanned<Count>,
    pub changeover: Option<Spanned<DurationDist>>,
    pub calendar: Option<Spanned<CalendarSpec>>,
    pub breakdowns: Option<Spanned<BreakdownSpec>>,
    /// "finish" (default) or "preempt".
    pub on_capacity_drop: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// Units present at all times; shifts add to it (default 0).
    pub base: Option<Spanned<i64>>,
    #[serde(default)]
    pub shifts: Vec<Spanned<ShiftSpec>>,
    #[serde(default)]
    pub exceptions: Vec<Spanned<ExceptionSpec>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftSpec {
    pub days: Spanned<String>,
    pub start: Spanned<String>,
    pub end: Spanned<String>,
    /// Units working the shift (default: every unit of the resource, so that its
    /// `capacity` sets how many work).
    pub capacity: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionSpec {
    /// Start, as time since the start of the run.
    pub from: Spanned<Days>,
    /// End (exclusive), as time since the start of the run.
    pub to: Spanned<Days>,
    /// Units during the exception (default 0: closed).
    pub capacity: Option<Spanned<i64>>,
    /// Repeat every this long (e.g. "365d" for a yearly holiday), over the whole run.
    pub repeat: Option<Spanned<Days>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakdownSpec {
    /// Up time from the end of one repair to the next breakdown.
    pub time_between: Spanned<DurationDist>,
    pub repair: Spanned<DurationDist>,
    /// Units a breakdown takes down (default 1).
    pub units: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    /// Arrivals, for a product without sites...
    pub arrivals: Option<Spanned<ArrivalsSpec>>,
    /// ...or per collection site of a network.
    #[serde(default)]
    pub demand: IndexMap<Spanned<String>, Spanned<SiteDemand>>,
    pub patience: Option<Spanned<DurationDist>>,
    /// Priority at every resource (default 0; higher is served first).
    pub priority: Option<Spanned<i64>>,
    /// Priority at named resources, overriding `priority`.
    #[serde(default)]
    pub resource_priority: IndexMap<Spanned<String>, Spanned<i64>>,
    pub steps: Spanned<Vec<Spanned<Step>>>,
    /// Allogeneic: doses a released batch yields (a number or a distribution).
    pub doses: Option<Spanned<CountDist>>,
    /// Allogeneic: doses one order takes (default 1).
    pub order_size: Option<Spanned<i64>>,
    /// Allogeneic: when batches start.
    pub policy: Option<Spanned<PolicySpec>>,
    /// Allogeneic: the cryo store.
    pub stock: Option<Spanned<StockSpec>>,
    /// Allogeneic: an order's way from the store to the patient.
    #[serde(default)]
    pub delivery: Vec<Spanned<Step>>,
    /// Named intervals of the chain, with an optional deadline.
    #[serde(default)]
    pub milestones: Vec<Spanned<MilestoneSpec>>,
    /// Competing risks over phases of the chain.
    #[serde(default)]
    pub hazards: Vec<Spanned<HazardSpec>>,
    /// Each patient's priority score for slots allocated by score (a number or a
    /// distribution; higher first).
    pub score: Option<Spanned<CountDist>>,
}

/// `{ cause = "death", time = { exponential = { mean = "395d" } }, from = "waiting list", to = "infusion" }`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HazardSpec {
    pub cause: Spanned<String>,
    /// Time from the start of `from` to the event.
    pub time: Spanned<DurationDist>,
    /// The phase: from the start of this step (default: the first)...
    pub from: Option<Spanned<String>>,
    /// ...to the end of this one (default: the last).
    pub to: Option<Spanned<String>>,
}

/// `{ name = "turnaround", from = "apheresis", to = "qc release", deadline = "28d" }`:
/// from the start of `from` to the end of `to` (or `from_at = "end"`, `to_at = "start"`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneSpec {
    pub name: Spanned<String>,
    pub from: Spanned<String>,
    pub from_at: Option<Spanned<String>>,
    pub to: Spanned<String>,
    pub to_at: Option<Spanned<String>>,
    pub deadline: Option<Spanned<Days>>,
}

/// `{ reorder_point = 20, max_in_production = 2 }` or `{ campaign_every = "30d" }`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub reorder_point: Option<Spanned<i64>>,
    pub max_in_production: Option<Spanned<i64>>,
    pub campaign_every: Option<Spanned<Days>>,
}

/// `{ capacity = 500, shelf_life = "365d" }`, both optional.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockSpec {
    pub capacity: Option<Spanned<i64>>,
    pub shelf_life: Option<Spanned<Days>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArrivalsSpec {
    /// Poisson arrivals at this rate...
    pub rate: Option<Spanned<f64>>,
    /// ...per "hour", "day", "week" or "year" (365 days).
    pub per: Option<Spanned<String>>,
    /// Or: any distribution of the time between arrivals.
    pub interarrival: Option<Spanned<DurationDist>>,
    /// Or: Poisson arrivals whose rate changes by period, e.g.
    /// `[{ from = "0d", rate = 20, per = "year" }, { from = "365d", rate = 35, per = "year" }]`.
    pub schedule: Option<Vec<Spanned<RatePeriodSpec>>>,
    /// Or: Poisson arrivals at a rate that grows (or declines) by a share a year.
    pub growth: Option<Spanned<GrowthSpec>>,
    /// Or: exactly this many patients, between `from` and `to` (all at `from` without
    /// `to`), spread "random" (default) or "even".
    pub cohort: Option<Spanned<i64>>,
    pub spread: Option<Spanned<String>>,
    /// Or: the arrivals listed in a CSV file (a `day` or a `date` column), relative to
    /// the scenario file.
    pub file: Option<Spanned<String>>,
    /// A window for a rate, interarrival, schedule or growth: no arrival before `from`
    /// or from `to` on. For a cohort: its window.
    pub from: Option<Spanned<Days>>,
    pub to: Option<Spanned<Days>>,
}

/// `{ rate = 20, per = "year", yearly = "+40%", kind = "compounding", cap = 60, from = "365d" }`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrowthSpec {
    /// The rate before and when growth starts.
    pub rate: Spanned<f64>,
    /// "hour", "day" (default), "week" or "year", for `rate` and `cap`.
    pub per: Option<Spanned<String>>,
    /// Change per year: "+40%", "-10%", or a fraction (0.4).
    pub yearly: Spanned<Share>,
    /// "compounding" (default) or "linear".
    pub kind: Option<Spanned<String>>,
    /// The rate at which growth stops, per `per`.
    pub cap: Option<Spanned<f64>>,
    /// When growth starts (default "0d").
    pub from: Option<Spanned<Days>>,
}

/// A share: "40%", "+40 %", "-10%", or a number (a fraction, 0.4).
#[derive(Clone, Copy, Debug)]
pub struct Share(pub f64);

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Share;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a percentage such as \"+40%\", or a fraction such as 0.4"
                )
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Share, E> {
                Ok(Share(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Share, E> {
                Ok(Share(v as f64))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Share, E> {
                let t = s.trim();
                let number = t.strip_suffix('%').map(str::trim).ok_or_else(|| {
                    E::custom(format!(
                        "`{}` is not a percentage; write it as \"+40%\" or as a fraction (0.4)",
                        super::units::shown(s)
                    ))
                })?;
                let number = number.strip_prefix('+').unwrap_or(number).trim();
                match number.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Share(v / 100.0)),
                    _ => Err(E::custom(format!(
                        "`{}` is not a percentage; write it as \"+40%\" or as a fraction (0.4)",
                        super::units::shown(s)
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// One period of an arrival schedule.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RatePeriodSpec {
    /// When the period starts (time since the start of the run).
    pub from: Spanned<Days>,
    /// Arrivals per `per` during the period.
    pub rate: Spanned<f64>,
    /// "hour", "day" (default), "week" or "year".
    pub per: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: Spanned<String>,
    /// Held for the whole step.
    #[serde(default)]
    pub uses: Vec<Spanned<Use>>,
    /// Held only for the hands-on `touch` time at the start.
    #[serde(default)]
    pub touch_uses: Vec<Spanned<Use>>,
    pub duration: Option<Spanned<DurationDist>>,
    pub touch: Option<Spanned<DurationDist>>,
    pub failure: Option<Spanned<FailureSpec>>,
    pub assays: Option<Vec<Spanned<AssaySpec>>>,
    /// Wait for a slot of this calendar before the work...
    pub slot: Option<Spanned<String>>,
    /// ...and hold it until the start of this step (default: this one).
    pub slot_until: Option<Spanned<String>>,
    /// Granted with the step's own resources and held after its work, until a later
    /// step's `release`.
    #[serde(default)]
    pub seize: Vec<Spanned<Use>>,
    /// Resources seized at an earlier step, given back at the end of this one.
    #[serde(default)]
    pub release: Vec<Spanned<String>>,
    /// Book the step's resource ahead rather than queue for it.
    pub book: Option<Spanned<BookSpec>>,
    /// Where the step's resources are: "collection", "treatment", "plant" (the
    /// patient's), or a site's name; its `uses` then name roles of that site's resources.
    pub at: Option<Spanned<String>>,
    /// A transport leg instead of work.
    pub transport: Option<Spanned<TransportFile>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BookSpec {
    /// The earliest a window may start after the request (default "0d").
    pub lead: Option<Spanned<Days>>,
    /// The latest a window may end after the request (default: no limit).
    pub deadline: Option<Spanned<Days>>,
    /// "refuse" (default) or "postpone": a booking that does not fit.
    pub late: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssaySpec {
    pub name: Spanned<String>,
    #[serde(default)]
    pub uses: Vec<Spanned<Use>>,
    #[serde(default)]
    pub touch_uses: Vec<Spanned<Use>>,
    pub duration: Spanned<DurationDist>,
    pub touch: Option<Spanned<DurationDist>>,
    pub failure: Option<Spanned<FailureSpec>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailureSpec {
    pub probability: Spanned<f64>,
    /// Step to restart from (this one or an earlier one); none: the patient is lost.
    pub retry_from: Option<Spanned<String>>,
    /// Failures of this step after which the patient is lost (default: 2 with
    /// `retry_from`, 1 without).
    pub max_attempts: Option<Spanned<i64>>,
}

/// A resource a step uses: `"suite"` (one unit) or `{ resource = "operator", units = 2 }`.
#[derive(Debug)]
pub struct Use {
    pub resource: String,
    pub units: i64,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct UseTable {
    resource: String,
    units: i64,
}

impl<'de> Deserialize<'de> for Use {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Use;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a resource name, or {{ resource = \"name\", units = 2 }}"
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Use, E> {
                Ok(Use {
                    resource: s.to_string(),
                    units: 1,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Use, A::Error> {
                let t = UseTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Use {
                    resource: t.resource,
                    units: t.units,
                })
            }
        }
        d.deserialize_any(V)
    }
}
