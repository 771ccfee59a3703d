//! cgtsim: discrete-event simulation of cell and gene therapy (ATMP) manufacturing.
//!
//! Layers, each using only those below it:
//! - [`engine`]: clock, event list, random streams, distributions, resource pools,
//!   calendars, statistics. No I/O, no serde, no printing.
//! - [`station`]: a multi-class G/G/c/K queueing station on the engine, the yardstick
//!   for validation against queueing theory and for benchmarks (reference model A).
//! - [`experiment`]: replications in parallel, confidence intervals.
//! - the `cgtsim` binary (`src/main.rs`): the command line, the only place with files,
//!   formats and printing.
pub mod engine;
pub mod experiment;
pub mod station;
