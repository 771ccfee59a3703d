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
//!
//! # Writing a model on the engine
//!
//! A model owns its state and a closed `enum` of events; the [`engine::Kernel`] owns the
//! clock, the event list and the resource pools. Here batches arrive every 2 days and
//! need one of two suites for 3 days; each suite is cleaned for 1 day after every batch
//! (changeover), so one suite turns a batch around every 4 days.
//!
//! ```
//! use cgtsim::engine::{Duration, Kernel, Model, PoolId, PoolSpec, RequestId, RunLength, run};
//!
//! #[derive(Clone, Copy)]
//! enum Ev { Arrival, Done(u32) }
//!
//! struct Facility { suites: PoolId, held: Vec<RequestId>, released: u64 }
//!
//! impl Model for Facility {
//!     type Event = Ev;
//!     fn start(&mut self, k: &mut Kernel<Ev>) {
//!         k.schedule_in(Duration::ZERO, Ev::Arrival);
//!     }
//!     fn handle(&mut self, ev: Ev, k: &mut Kernel<Ev>) {
//!         match ev {
//!             Ev::Arrival => {
//!                 k.schedule_in(Duration::from_days(2), Ev::Arrival);
//!                 let batch = self.held.len() as u64;
//!                 let req = k.request(&[(self.suites, 1)], 0, batch);
//!                 self.held.push(req);
//!             }
//!             Ev::Done(batch) => {
//!                 // The suite stays busy for a 1-day changeover after the batch leaves.
//!                 k.release_with_changeover(self.held[batch as usize], |_| Duration::from_days(1));
//!                 self.released += 1;
//!             }
//!         }
//!     }
//!     fn granted(&mut self, batch: u64, k: &mut Kernel<Ev>) {
//!         k.schedule_in(Duration::from_days(3), Ev::Done(batch as u32));
//!     }
//! }
//!
//! let mut kernel = Kernel::new();
//! let suites = kernel.add_pool(PoolSpec::fixed(2)).unwrap();
//! let mut model = Facility { suites, held: Vec::new(), released: 0 };
//! let length = RunLength { warmup: Duration::ZERO, horizon: Duration::from_days(100) };
//! run(&mut model, &mut kernel, length);
//!
//! // Batches arrive on days 0, 2, 4, ... 98 and never wait: released on days 3, 5, ..., 99.
//! assert_eq!(model.released, 49);
//! // Each batch holds a suite for 3 + 1 days out of every 2 days per batch: 2 of 2 suites.
//! let pool = kernel.pool(suites);
//! assert!((pool.utilisation_nominal(kernel.now()) - 0.985).abs() < 0.01);
//! assert!(pool.mean_working(kernel.now()) < pool.mean_busy(kernel.now()));
//! ```
pub mod cli;
pub mod engine;
pub mod experiment;
pub mod model;
pub mod station;
