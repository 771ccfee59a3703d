//! The cell and gene therapy model: process chains of products sharing resource pools.
//!
//! A [`Spec`] is a scenario compiled into engine terms: resources with capacities,
//! calendars, changeovers and breakdowns; products with arrivals, patience and a chain of
//! steps (work on resources, or parallel QC assays), each step with an optional failure
//! and rework rule. [`Facility`] runs one replication of a `Spec` on the engine, and
//! [`Facility::results`] reads its metrics.
//!
//! A `Spec` checks itself ([`Spec::validate`], with [`limits`]) and runs with
//! [`run_replication`], which reports an overloaded system or a zero-time loop as a
//! [`RunError`] instead of running away. Replications of one spec share a [`Prepared`]
//! (what is built once: the calendars).
//!
//! This layer knows the domain (patients, batches, steps, suites, release, vein-to-vein)
//! but no file format: no serde, no I/O, no printing. Scenario files are parsed by the
//! CLI layer (`cli::scenario`), which builds a `Spec`.
mod arrivals;
mod check;
mod facility;
mod inventory;
pub(crate) mod metrics;
mod run;
mod spec;

pub use check::{SpecError, duration_in_range, limits};
pub use run::{
    Distribution, Pooled, Prepared, Replication, RunError, Runs, Tail, pooled_distributions,
    pooled_percentiles, run_replication, run_replication_every_change,
};

pub use facility::{
    Blueprint, Ev, Facility, MAX_TRACE_ROWS, TraceError, TraceRow, trace_replication,
};
pub use inventory::{DoseLedger, Inventory};
pub use metrics::{
    BookingStat, Key, LaneStat, Metric, MilestoneStat, PatientStat, PlantStat, ResourceStat,
    SeriesBookingStat, SeriesKey, SeriesProductStat, SeriesResourceStat, SeriesSiteStat,
    SeriesSlotStat, SiteStat, SlotStat, StepStat, StockStat, Unit, keys, metric_names, series_keys,
    series_names, slug, tail_name,
};
pub use spec::{
    Allocation, Allogeneic, Arrivals, Assay, AssayCost, At, Booking, BreakdownSpec, CalendarSpec,
    Cohort, CostCategory, Costs, Edge, Failure, Growth, Hazard, LaneSpec, Late, Milestone,
    ModeChoice, ModeSpec, Network, Place, Policy, ProductSpec, RatePeriod, ResourceCost,
    ResourceSpec, RouteAt, Routing, ShiftSpec, SiteDemand, SiteKind, SiteSpec, SlotRelease,
    SlotSpec, SlotUse, Spec, Spread, Staffing, StepKind, StepSpec, Task, Transport, Window,
};
