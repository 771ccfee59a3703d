//! The commands as functions, for front ends other than the command line (the Python
//! module in `python/`): the same scenario handling, runs and results as `cgtsim run`,
//! so that a front end gives the same figures for the same scenario and seed, without
//! printing, progress bars or exit codes.
//!
//! A front end loads or parses a [`Source`] (a checked scenario with its text), may set
//! values in it by path ([`Source::with_values`], the paths sweeps use), and runs it
//! with [`run`] (which keeps every replication's values for the front end's tables),
//! [`sweep`] or [`size`]. Cancelling is the front end's: each stops starting work once
//! its flag is set.
//!
//! This module reads and writes only the files it is asked to (scenario, report).

use super::page;
use super::report::{self, Provenance, Results};
use super::scenario::{self, Scenario, ScenarioError};
use super::sweep::set_path;
use super::{Failure, check_replications};
use crate::experiment::{SeriesPoint, Summary, simulate_each};
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
    /// The cancel flag was set; the message says what had finished.
    Interrupted(String),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Scenario(e) => write!(f, "{e}"),
            ApiError::Usage(m) | ApiError::Io(m) | ApiError::Interrupted(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for ApiError {}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> ApiError {
        match f {
            Failure::Usage(m) => ApiError::Usage(m),
            Failure::Io(m) | Failure::Check(m) => ApiError::Io(m),
            Failure::Interrupted => ApiError::Interrupted("interrupted".into()),
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
        // The text is written anew, so its lines are not the file's: the error names the
        // path it is at and the values set instead.
        Source::parse(&self.shown, &text).map_err(|e| {
            let set: Vec<String> = pairs.iter().map(|(p, v)| format!("`{p} = {v}`")).collect();
            let at = (e.line > 0)
                .then(|| path_at(&text, e.line))
                .flatten()
                .map_or(String::new(), |p| format!("at `{p}`; "));
            ScenarioError::file(
                &self.shown,
                format!("{} ({at}with {})", e.message, set.join(", ")),
            )
        })
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

/// Splits a TOML header's or key's dotted path into its keys, unquoting quoted ones.
fn keys_of(dotted: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut key = String::new();
    let mut quoted = false;
    for ch in dotted.chars() {
        match ch {
            '"' => quoted = !quoted,
            '.' if !quoted => keys.push(std::mem::take(&mut key).trim().to_string()),
            c => key.push(c),
        }
    }
    keys.push(key.trim().to_string());
    keys
}

/// The path, in the sweeps' terms (arrays of tables by the `name` of an element), of
/// line `line` (1-based) of TOML text as `toml::to_string` writes it (tables as
/// headers, arrays of tables as `[[...]]`): what the author of a dict, or of values set
/// by path, can look up. `None` where the line is no key of a table.
pub fn path_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.get(line.checked_sub(1)?)?.trim();
    // The table the line is in: the nearest header above it.
    let (header, row) = (0..line).rev().find_map(|i| {
        let l = lines[i].trim();
        l.starts_with('[').then_some((l, i))
    })?;
    let arrays = header.starts_with("[[");
    let header_keys = keys_of(header.trim_matches(|c| c == '[' || c == ']'));
    // The name of the element each array-of-tables prefix is in: its nearest
    // `[[prefix]]` header above, then that element's `name` key.
    let element_name = |prefix: &[String], from: usize| -> Option<String> {
        let start = (0..=from).rev().find(|&i| {
            let l = lines[i].trim();
            l.starts_with("[[") && keys_of(l.trim_matches(|c| c == '[' || c == ']')) == prefix
        })?;
        lines[start + 1..]
            .iter()
            .map(|l| l.trim())
            .take_while(|l| !l.starts_with('['))
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == "name").then(|| v.trim().trim_matches('"').to_string())
            })
    };
    let mut path = Vec::new();
    for i in 0..header_keys.len() {
        path.push(header_keys[i].clone());
        let prefix = &header_keys[..=i];
        let is_array = (i + 1 == header_keys.len() && arrays)
            || lines[..row].iter().any(|l| {
                let l = l.trim();
                l.starts_with("[[") && keys_of(l.trim_matches(|c| c == '[' || c == ']')) == prefix
            });
        if is_array {
            path.push(element_name(prefix, row)?);
        }
    }
    if !at.starts_with('[') {
        let (key, _) = at.split_once('=')?;
        path.extend(keys_of(key));
    }
    Some(path.join("."))
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
        return Err(ApiError::Interrupted(format!(
            "interrupted: {done} of {replications} replications finished"
        )));
    }
    let (results, prov) = results_of(
        src,
        &spec,
        &summary,
        seed,
        pool.current_num_threads(),
        started.elapsed().as_secs_f64(),
    );
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

/// A finished run's summary as results and provenance: the same for the command line
/// and every front end.
pub(super) fn results_of(
    src: &Source,
    spec: &crate::model::Spec,
    summary: &Summary,
    seed: u64,
    threads: usize,
    wall_time_s: f64,
) -> (Results, Provenance) {
    let results = Results::new(
        metric_names(spec),
        summary.estimates(),
        pooled_percentiles(spec, summary.pooled()),
        pooled_distributions(spec, summary.pooled()),
    );
    let prov = Provenance {
        scenario_path: src.shown.clone(),
        scenario_sha256: format!("{:x}", Sha256::digest(src.text.as_bytes())),
        inputs: src.scenario.inputs.clone(),
        seed,
        replications: summary.replications(),
        threads,
        events: summary.events(),
        wall_time_s,
    };
    (results, prov)
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
            super::sweep::SweepError::Interrupted(m) => ApiError::Interrupted(m),
        })?;
    Ok(SweepOutcome {
        ran: o.ran,
        skipped: o.skipped,
        events: o.events,
    })
}

/// What [`size`] sizes, as `cgtsim size` takes it.
#[derive(Clone, Debug, Default)]
pub struct SizeQuestion {
    /// Resources whose units are sized.
    pub resources: Vec<String>,
    /// Plants that may be open or closed (with `minimise`).
    pub plants: Vec<String>,
    /// `METRIC OP VALUE` targets, e.g. `products.car-t.v2v.p90 <= 28d`.
    pub targets: Vec<String>,
    /// A metric to minimise among the candidates that meet every target.
    pub minimise: Option<String>,
    /// Most replications per candidate (`cgtsim size`'s default is 200).
    pub max_replications: u64,
    /// Seed (default: the scenario's).
    pub seed: Option<u64>,
    /// Worker threads.
    pub threads: Option<usize>,
}

/// One candidate a sizing search judged.
#[derive(Clone, Debug)]
pub struct SizedCandidate {
    /// Per dimension (resources, then plants), its units (a plant: 1 open, 0 closed).
    pub capacities: Vec<u32>,
    /// Per target, its metric's estimate over the candidate's replications.
    pub estimates: Vec<crate::experiment::Estimate>,
    /// Every target met with 95 % confidence.
    pub met: bool,
    /// In words: met, missed, undecided (counted as missed), or why it cannot run.
    pub verdict: String,
    /// With an objective: its estimate over the candidate's replications.
    pub objective: Option<crate::experiment::Estimate>,
}

/// A finished sizing search, as `cgtsim size` prints it.
pub struct SizeOutcome {
    /// Per dimension, its name, and whether it is a plant (open or closed).
    pub dims: Vec<(String, bool)>,
    /// The targets as parsed: metric, `<=` or `>=`, value in the metric's unit (days
    /// for times).
    pub targets: Vec<(String, &'static str, f64)>,
    /// The metric minimised, if any.
    pub objective: Option<String>,
    /// Every candidate tried, in order.
    pub candidates: Vec<SizedCandidate>,
    /// The answer's capacities, per dimension; `None` when no candidate met every
    /// target.
    pub answer: Option<Vec<u32>>,
    /// Without an answer, why: the best value each target reached.
    pub unreachable: Option<String>,
    /// The seed the candidates ran with.
    pub seed: u64,
    report: report::SizeReport,
}

/// Runs `cgtsim size`'s search on `src`; stops judging candidates once `cancelled` is
/// set (then [`ApiError::Interrupted`]).
pub fn size(
    src: &Source,
    ask: &SizeQuestion,
    cancelled: &AtomicBool,
) -> Result<SizeOutcome, ApiError> {
    let spec = &src.scenario.spec;
    let q = super::sizing::Question::check(
        spec,
        &super::sizing::Ask {
            resources: &ask.resources,
            plants: &ask.plants,
            targets: &ask.targets,
            minimise: ask.minimise.as_deref(),
            max_replications: ask.max_replications,
        },
    )?;
    let pool = super::thread_pool(ask.threads)?;
    let seed = ask.seed.unwrap_or(src.scenario.seed);
    let result = pool.install(|| q.search(spec, seed, cancelled));
    if cancelled.load(Ordering::Relaxed) {
        return Err(ApiError::Interrupted(format!(
            "interrupted: {} candidates judged before",
            result.tried.iter().filter(|e| e.failed.is_none()).count()
        )));
    }
    let candidates = (result.tried.iter())
        .map(|e| SizedCandidate {
            capacities: e.capacities.clone(),
            estimates: e.estimates.clone(),
            met: e.met,
            verdict: super::sizing::verdict(e),
            objective: (q.objective.is_some() && e.failed.is_none())
                .then(|| crate::experiment::Estimate::of(&e.objective)),
        })
        .collect();
    Ok(SizeOutcome {
        dims: (q.names.iter().zip(&q.dims))
            .map(|(n, d)| (n.clone(), matches!(d, super::size::Dim::Plant(_))))
            .collect(),
        targets: (q.targets.iter())
            .map(|t| {
                (
                    t.metric.clone(),
                    if t.at_most { "<=" } else { ">=" },
                    t.value,
                )
            })
            .collect(),
        objective: q.objective.as_ref().map(|o| o.metric.clone()),
        candidates,
        unreachable: result.answer.is_none().then(|| q.unreachable(&result)),
        report: q.report(&src.shown, seed, &result),
        answer: result.answer,
        seed,
    })
}

impl SizeOutcome {
    /// Writes the HTML page of the search (as `cgtsim size --report FILE`).
    pub fn write_report(&self, file: &Path) -> Result<(), ApiError> {
        page::check_report_path(file)?;
        page::write_html(&report::size_page(&self.report), file)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_of_written_toml_is_named_by_its_sweep_path() {
        let text = "[simulation]\nhorizon = \"10d\"\n\n[resources.\"my suite\"]\ncapacity = 1\n\n[[products]]\nname = \"x\"\n\n[products.arrivals]\nrate = 1\n\n[[products.steps]]\nname = \"s\"\nuses = [\"my suite\"]\n\n[[products.steps]]\nuses = [\"nope\"]\nname = \"t\"\n\n[[products]]\nname = \"y\"\n";
        let at = |line| path_at(text, line);
        assert_eq!(at(2).as_deref(), Some("simulation.horizon"));
        assert_eq!(at(5).as_deref(), Some("resources.my suite.capacity"));
        assert_eq!(at(8).as_deref(), Some("products.x.name"));
        assert_eq!(at(11).as_deref(), Some("products.x.arrivals.rate"));
        assert_eq!(at(15).as_deref(), Some("products.x.steps.s.uses"));
        // `name` after the key, in the second element.
        assert_eq!(at(18).as_deref(), Some("products.x.steps.t.uses"));
        assert_eq!(at(21).as_deref(), Some("products.y"));
        assert_eq!(at(3), None);
        assert_eq!(at(99), None);
    }
}
