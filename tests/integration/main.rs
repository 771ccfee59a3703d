//! The one integration test binary (matklad's "delete cargo integration tests"): a
//! single link step for every test. Three kinds of test are kept apart:
//!
//! - `validation`: statistical checks against queueing theory, each with its tolerance
//!   (k standard errors over R replications, k set for a false-failure rate below 1e-6)
//!   and its warm-up stated in place;
//! - `golden`: deterministic runs whose every event time was computed by hand;
//! - `property`: invariants over random models (proptest).
mod booking;
mod cli;
mod costs;
mod demand;
mod durability;
mod fuzz;
mod golden;
mod invariants;
mod inventory;
mod limits;
mod model;
mod network;
mod outcomes;
mod parquet;
mod property;
mod published;
mod report;
mod scenarios;
mod schema;
mod semantics;
mod size;
mod slots;
mod summary;
mod support;
mod sweep;
mod sweep_store;
mod trace;
mod validation;
