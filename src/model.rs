//! The cell and gene therapy model: process chains of products sharing resource pools.
//!
//! A [`Spec`] is a scenario compiled into engine terms: resources with capacities,
//! calendars, changeovers and breakdowns; products with arrivals, patience and a chain of
//! steps (work on resources, or parallel QC assays), each step with an optional failure
//! and rework rule. [`Facility`] runs one replication of a `Spec` on the engine, and
//! [`Facility::results`] reads its metrics.
//!
//! This layer knows the domain (patients, batches, steps, suites, release, vein-to-vein)
//! but no file format: no serde, no I/O, no printing. Scenario files are parsed and
//! checked by the CLI layer (`cli::scenario`), which builds a `Spec`.
mod facility;
mod inventory;
pub(crate) mod metrics;
mod spec;

pub use facility::{Ev, Facility};
pub use inventory::{DoseLedger, Inventory};
pub use metrics::{Metric, Unit, metric_names, slug};
pub use spec::{
    Allogeneic, Arrivals, Assay, Failure, Policy, ProductSpec, ResourceSpec, Spec, StepKind,
    StepSpec, Task,
};
