//! `cgtsim trace`: one replication's events as a CSV file, a row per event (see
//! [`TraceRow`](crate::model::TraceRow)), for checking a model line by line and for the
//! Gantt chart of its first entities.
//!
//! This module only turns the model's rows into a file.

use super::Failure;
use super::report::write_atomic;
use crate::engine::Streams;
use crate::model::{MAX_TRACE_ROWS, TraceError, TraceRow, trace_replication};
use std::path::Path;

/// The file's columns.
pub const TRACE_COLUMNS: [&str; 11] = [
    "time_days",
    "event",
    "entity",
    "product",
    "chain",
    "step",
    "place",
    "resources",
    "started_days",
    "granted_days",
    "detail",
];

/// Traces replication `replication` of the scenario at `path` (seed `seed`, or the
/// file's), keeping the first `entities` entities, into `out`.
pub(super) fn trace_command(
    path: &Path,
    replication: u64,
    entities: u64,
    seed: Option<u64>,
    out: &Path,
) -> Result<usize, Failure> {
    let (sc, _) = super::scenario::load(path).map_err(|e| Failure::Usage(e.to_string()))?;
    if replication >= crate::model::limits::MAX_REPLICATIONS {
        return Err(Failure::Usage(format!(
            "--replication must be below {}",
            crate::model::limits::MAX_REPLICATIONS
        )));
    }
    let seed = seed.unwrap_or(sc.seed);
    let rows = trace_replication(&sc.spec, Streams::new(seed, replication), entities).map_err(
        |e| match e {
            TraceError::Run(e) => Failure::Usage(e.to_string()),
            TraceError::TooLong { at_days } => Failure::Usage(format!(
                "the trace passed {MAX_TRACE_ROWS} rows on day {at_days:.1}: shorten the horizon, or trace fewer entities with --entities"
            )),
        },
    )?;
    let bytes = csv_of(&rows).map_err(|e| Failure::Io(e.to_string()))?;
    write_atomic(out, &bytes).map_err(|e| Failure::Io(format!("{}: {e}", out.display())))?;
    Ok(rows.len())
}

pub(super) fn csv_of(rows: &[TraceRow]) -> std::io::Result<Vec<u8>> {
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(TRACE_COLUMNS)?;
    for r in rows {
        w.write_record([
            format!("{}", r.time_days),
            r.event.to_string(),
            r.entity.map_or(String::new(), |n| n.to_string()),
            r.product.clone(),
            r.chain.to_string(),
            r.step.clone(),
            r.place.clone(),
            r.resources.clone(),
            opt(r.started_days),
            opt(r.granted_days),
            r.detail.clone(),
        ])?;
    }
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}
