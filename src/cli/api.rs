//! The commands as functions, for front ends other than the command line (the Python
//! module in `python/`): the same scenario handling, runs and results as `cgtsim run`,
//! so that a front end gives the same figures for the same scenario and seed, without
//! printing, progress bars or exit codes.
//!
//! A front end loads or parses a [`Source`] (a checked scenario with its text), may set
//! values in it by path ([`Source::with_values`], the paths sweeps use), and runs it
//! with [`run`], which keeps every replication's values for the front end's tables.
//! Cancelling is the front end's: [`run`] stops starting replications once its flag is
//! set.
//!
//! This module reads and writes only the files it is asked to (scenario, report).

use super::page;
use super::report::{self, Provenance, Results};
use super::scenario::{self, Scenario, ScenarioError};
use super::sweep::set_path;
use super::{Failure, check_replications};
use crate::experiment::{SeriesPoint, simulate_each};
use crate::model::{metric_names, pooled_distributions, pooled_percentiles};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Why a call did not finish.
#[derive(Debug)]
pub enum ApiError {
    /// The scenario (or a value set in it) is not valid: located in its text.
    Scenario(ScenarioError),
    /// An argument is out of range; the message says which and what it may be.
    Usage(String),
    /// A file could not be read or written.
    Io(String),
    /// The cancel flag was set: `done` of `asked` replications had finished.
    Interrupted {
        /// Replications finished.
        done: u64,
        /// Replications asked for.
        asked: u64,
    },
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Scenario(e) => write!(f, "{e}"),
            ApiError::Usage(m) | ApiError::Io(m) => write!(f, "{m}"),
            ApiError::Interrupted { done, asked } => {
                write!(f, "interrupted: {done} of {asked} replications finished")
            }
        }
    }
}

impl std::error::Error for ApiError {}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> ApiError {
        match f {
            Failure::Usage(m) => ApiError::Usage(m),
            Failure::Io(m) | Failure::Check(m) => ApiError::Io(m),
            Failure::Interrupted => ApiError::Interrupted { done: 0, asked: 0 },
        }
    }
}

/// A checked scenario with the text it was compiled from and the name it is shown by
/// in messages and provenance (a file's path, or what the front end calls it).
#[derive(Clone, Debug)]
pub struct Source {
    scenario: Scenario,
    text: String,
    shown: String,
}

impl Source {
    /// Reads, parses and checks a scenario file.
    pub fn load(path: &Path) -> Result<Source, ScenarioError> {
        let (scenario, text) = scenario::load(path)?;
        Ok(Source {
            scenario,
            text,
            shown: path.display().to_string(),
        })
    }

    /// Parses and checks scenario text; `shown` names it in messages and provenance
    /// (and relative paths in it, such as arrival logs, are read from its directory).
    pub fn parse(shown: &str, text: &str) -> Result<Source, ScenarioError> {
        Ok(Source {
            scenario: scenario::parse(shown, text)?,
            text: text.to_string(),
            shown: shown.to_string(),
        })
    }

    /// This scenario with `(path, value)` pairs set, checked, as a sweep sets them
    /// (`resources.suite.capacity`, `products.car-t.steps.manufacturing.duration`): a
    /// path must name a value that exists.
    pub fn with_values(&self, pairs: &[(String, toml::Value)]) -> Result<Source, ScenarioError> {
        let mut doc: toml::Table = toml::from_str(&self.text)
            .map_err(|e| scenario::toml_error(&self.shown, &self.text, &e))?;
        for (path, v) in pairs {
            set_path(&mut doc, path, v.clone()).map_err(|m| ScenarioError::file(&self.shown, m))?;
        }
        let text = toml::to_string(&doc).expect("a TOML table serialises");
        Source::parse(&self.shown, &text)
    }

    /// The checked scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The text it was compiled from (TOML).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The name it is shown by.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// What [`run`] runs: `None` takes the scenario's own (threads: `RAYON_NUM_THREADS`,
/// else `SLURM_CPUS_PER_TASK`, else all cores), as `cgtsim run` does.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Replications.
    pub replications: Option<u64>,
    /// Seed; replication r uses streams from (seed, r).
    pub seed: Option<u64>,
    /// Worker threads (results do not depend on them).
    pub threads: Option<usize>,
    /// A time series period ("week", "month", "year" or a duration such as "14d"),
    /// overriding the scenario's.
    pub timeseries: Option<String>,
}

/// A finished run: the summary, every replication's values and the time series.
pub struct RunOutput {
    spec: crate::model::Spec,
    seed: u64,
    results: Results,
    prov: Provenance,
    series: Vec<SeriesPoint>,
    /// Per replication, in order: its metrics' values (in the order of `metric_names`).
    values: Vec<Vec<f64>>,
    events: Vec<u64>,
}

/// Runs `src` as `cgtsim run` does; stops starting replications once `cancelled` is set
/// (then [`ApiError::Interrupted`]).
pub fn run(src: &Source, opts: &RunOptions, cancelled: &AtomicBool) -> Result<RunOutput, ApiError> {
    let mut spec = src.scenario.spec.clone();
    if let Some(p) = &opts.timeseries {
        spec.timeseries =
            Some(scenario::period(p).map_err(|m| ApiError::Usage(format!("timeseries: {m}")))?);
    }
    let replications = opts.replications.unwrap_or(src.scenario.replications);
    check_replications(replications, 1)?;
    let seed = opts.seed.unwrap_or(src.scenario.seed);
    let pool = super::thread_pool(opts.threads)?;
    let started = Instant::now();
    let mut values = Vec::new();
    let mut events = Vec::new();
    let summary = pool.install(|| {
        simulate_each(
            &spec,
            seed,
            replications,
            || {},
            || cancelled.load(Ordering::Relaxed),
            |_, rep| {
                values.push(rep.values);
                events.push(rep.events);
            },
        )
    });
    let summary = summary.map_err(|e| ApiError::Usage(e.to_string()))?;
    let done = summary.replications();
    if done < replications {
        return Err(ApiError::Interrupted {
            done,
            asked: replications,
        });
    }
    let results = Results::new(
        metric_names(&spec),
        summary.estimates(),
        pooled_percentiles(&spec, summary.pooled()),
        pooled_distributions(&spec, summary.pooled()),
    );
    let prov = Provenance {
        scenario_path: src.shown.clone(),
        scenario_sha256: format!("{:x}", Sha256::digest(src.text.as_bytes())),
        inputs: src.scenario.inputs.clone(),
        seed,
        replications: done,
        threads: pool.current_num_threads(),
        events: summary.events(),
        wall_time_s: started.elapsed().as_secs_f64(),
    };
    Ok(RunOutput {
        series: summary.series(),
        spec,
        seed,
        results,
        prov,
        values,
        events,
    })
}

impl RunOutput {
    /// `summary.json`, as `cgtsim run --json` prints it.
    pub fn summary_json(&self) -> serde_json::Value {
        report::summary_json(&self.spec, &self.results, &self.prov)
    }

    /// `summary.csv`, as `cgtsim run --out` writes it.
    pub fn summary_csv(&self) -> Vec<u8> {
        report::summary_csv(&self.spec, &self.results, &self.prov)
            .expect("a CSV table in memory is written")
    }

    /// `timeseries.csv` (empty without a time series).
    pub fn series_csv(&self) -> Vec<u8> {
        if self.series.is_empty() {
            return Vec::new();
        }
        report::series_csv(&self.series, &self.spec).expect("a CSV table in memory is written")
    }

    /// The metrics' names and units, in the order of each replication's values.
    pub fn metrics(&self) -> Vec<(String, String)> {
        self.results
            .metrics
            .iter()
            .map(|m| (m.name.clone(), m.unit.label(&self.spec).to_string()))
            .collect()
    }

    /// Replication r's values (in the order of [`RunOutput::metrics`]).
    pub fn values(&self) -> &[Vec<f64>] {
        &self.values
    }

    /// Replication r's events.
    pub fn events(&self) -> &[u64] {
        &self.events
    }

    /// The provenance columns of the tidy tables and their values.
    pub fn provenance(&self) -> Vec<(&'static str, String)> {
        report::PROVENANCE_COLUMNS
            .into_iter()
            .zip(report::provenance_row(&self.prov))
            .collect()
    }

    /// Writes the HTML report (as `cgtsim run --report FILE`).
    pub fn write_report(&self, file: &Path) -> Result<(), ApiError> {
        page::check_report_path(file)?;
        page::run_report(
            &self.spec,
            self.seed,
            &self.summary_json(),
            &self.series,
            file,
        )?;
        Ok(())
    }
}

/// What [`sweep`] did: variants run and skipped (already stored in `out`), and events.
#[derive(Clone, Copy, Debug)]
pub struct SweepOutcome {
    /// Variants run now.
    pub ran: usize,
    /// Variants found stored in the output directory (a resumed sweep).
    pub skipped: usize,
    /// Events simulated now.
    pub events: u64,
}

/// Runs a sweep over `src` as `cgtsim sweep` does, into `out` (`out/results.csv` at the
/// end; run again with the same arguments, it skips the variants already stored).
/// `design` is a sweep file's table without `base` (`src` is the base): `grid` or
/// `lhs`, and optionally `linked`, `replications` and `seed`.
pub fn sweep(
    src: &Source,
    design: &toml::Table,
    out: &Path,
    threads: Option<usize>,
    cancelled: &AtomicBool,
) -> Result<SweepOutcome, ApiError> {
    if design.contains_key("base") {
        return Err(ApiError::Usage(
            "the sweep's base is the scenario given: leave out `base`".into(),
        ));
    }
    let mut file = design.clone();
    file.insert("base".into(), toml::Value::String(src.shown.clone()));
    let text = toml::to_string(&file).expect("a TOML table serialises");
    let sw =
        super::sweep::parse("<sweep>", &text, &src.shown, &src.text).map_err(ApiError::Scenario)?;
    let pool = super::thread_pool(threads)?;
    let o = pool
        .install(|| super::sweep::run(&sw, out, None, cancelled, || {}))
        .map_err(|e| match e {
            super::sweep::SweepError::Usage(m) => ApiError::Usage(m),
            super::sweep::SweepError::Io(m) => ApiError::Io(m),
            super::sweep::SweepError::Interrupted(_) => ApiError::Interrupted {
                done: 0,
                asked: sw.len() as u64 * sw.replications,
            },
        })?;
    Ok(SweepOutcome {
        ran: o.ran,
        skipped: o.skipped,
        events: o.events,
    })
}
