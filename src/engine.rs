//! The simulation engine: clock, future-event list, random streams, distributions,
//! resource pools, calendars, reservation calendars and statistics.
//!
//! The engine knows nothing of cell therapy, files or formats: no I/O, no serde, no
//! printing. Models above it (the CGT chains, the queueing station) are written against
//! [`Kernel`] and [`Model`].
pub mod calendar;
pub mod dist;
pub mod kernel;
pub mod pool;
pub mod queue;
pub mod reservations;
pub mod rng;
pub mod stats;
pub mod time;

pub use calendar::{Calendar, CalendarError, Change, Exception, Shift};
pub use dist::{Dist, DistError};
pub use kernel::{
    Event, Kernel, MAX_EVENTS_AT_ONE_TIME, Model, RunEnd, RunLength, Running, advance, begin, run,
    run_observed,
};
pub use pool::{Breakdowns, CapacityDrop, PoolEvent, PoolId, PoolSpec, RequestId};
pub use queue::{EventQueue, Timer};
pub use reservations::{Reservations, Reserved};
pub use rng::{Rng, SourceName, Streams, source_id};
pub use stats::{QuantileSketch, Tally, TimeWeighted, Welford};
pub use time::{Duration, Time};
