//! The files a run writes with `--out`: `summary.json`, `summary.csv`, a tidy
//! `replications.csv` (one row per replication x metric), `costs.csv` and
//! `timeseries.csv` when there are costs or a series, written as one set: each to a
//! temporary file, synced, then renamed into place.
//!
//! This module only writes results it is given.

use super::{Provenance, Results, costs};
use crate::experiment::SeriesPoint;
use crate::model::Spec;
use serde_json::{Value, json};
use std::io;
use std::path::{Path, PathBuf};

/// `summary.json` as a value.
pub fn summary_json(spec: &Spec, res: &Results, prov: &Provenance) -> Value {
    let mut metrics = serde_json::Map::new();
    for (m, e) in res.metrics.iter().zip(&res.estimates) {
        let mut v = json!({ "mean": e.mean, "sd": e.sd, "ci95": e.ci95(), "n": e.n, "unit": m.unit.label(spec) });
        if let Some(p) = res.pooled(&m.name) {
            v["pooled"] = json!(p);
        }
        metrics.insert(m.name.clone(), v);
    }
    json!({
        "cgtsim_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "path": prov.scenario_path,
            "sha256": prov.scenario_sha256,
            "inputs": prov.inputs.iter().map(|(path, sha)| json!({ "path": path, "sha256": sha })).collect::<Vec<_>>(),
        },
        "seed": prov.seed,
        "replications": prov.replications,
        "threads": prov.threads,
        "events": prov.events,
        "wall_time_s": prov.wall_time_s,
        "warmup_days": spec.warmup.as_days(),
        "horizon_days": spec.horizon.as_days(),
        "bottleneck": res.bottleneck(spec).map(|b| json!({
            "resource": b.name,
            "share": b.share,
            "closed_share": b.closed,
            "days_per_grant": b.days_per_grant,
        })),
        "warnings": res.growing(spec).iter().map(|p| format!("work in progress of `{p}` was still growing at the end of the run")).collect::<Vec<_>>(),
        "percentiles": "metrics ending in .p50, .p90, .p95: `mean`, `sd` and `ci95` are over per-replication percentiles; `pooled` is the percentile of all replications' values pooled (merged sketches), the headline figure",
        "brief": brief(spec),
        "metrics": metrics,
        "distributions": res.distributions.iter().map(|d| (d.name.clone(), json!({
            "unit": "days",
            "n": d.n,
            "quantiles": d.quantiles.iter().map(|&(q, v)| [q, v]).collect::<Vec<_>>(),
        }))).collect::<serde_json::Map<_, _>>(),
    })
}

/// The scenario in brief: what a reader of the results needs to know of it (products
/// and their deadlines, resources and their capacity, sites), so that reports built
/// from `summary.json` alone can say what was simulated.
fn brief(spec: &Spec) -> Value {
    let days = |d: Option<crate::engine::Duration>| d.map(|d| d.as_days());
    json!({
        "products": spec.products.iter().map(|p| json!({
            "name": p.name,
            "kind": if p.allogeneic.is_some() { "allogeneic" } else { "autologous" },
            "steps": p.steps.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
            "milestones": p.milestones.iter().map(|m| json!({
                "name": m.name,
                "deadline_days": days(m.deadline),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "resources": spec.resources.iter().map(|r| json!({
            "name": r.name,
            "capacity": r.capacity,
            "calendar": r.calendar.is_some(),
        })).collect::<Vec<_>>(),
        "sites": spec.network.sites.iter().map(|s| json!({
            "name": s.name,
            "kind": format!("{:?}", s.kind).to_lowercase(),
        })).collect::<Vec<_>>(),
        "network_deadline_days": days(spec.network.deadline()),
        "currency": spec.costs.as_ref().map(|c| c.currency.clone()),
    })
}

/// The provenance columns every tidy table ends with (see [`provenance_row`]).
pub const PROVENANCE_COLUMNS: [&str; 7] = [
    "seed",
    "replications",
    "events",
    "wall_time_s",
    "cgtsim_version",
    "scenario",
    "scenario_sha256",
];

/// A run's provenance as the values of [`PROVENANCE_COLUMNS`].
pub fn provenance_row(p: &Provenance) -> [String; 7] {
    [
        p.seed.to_string(),
        p.replications.to_string(),
        p.events.to_string(),
        format!("{:.6}", p.wall_time_s),
        env!("CARGO_PKG_VERSION").to_string(),
        p.scenario_path.clone(),
        p.scenario_sha256.clone(),
    ]
}

pub(super) fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

/// The files a run writes into its `--out` directory.
pub const RUN_FILES: [&str; 3] = ["summary.json", "summary.csv", "replications.csv"];

/// Creates `dir` if needed and checks that a file can be written in it, so that a run
/// finds out before simulating, not after.
pub fn check_writable(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".cgtsim-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

/// Writes `summary.json`, `summary.csv` and `replications.csv` (from `rows`, which
/// were written as the replications ended) into `dir` as one set: see [`write_set`].
pub fn write_files(
    dir: &Path,
    spec: &Spec,
    res: &Results,
    prov: &Provenance,
    series: &[SeriesPoint],
    parquet: bool,
    rows: &mut ReplicationRows,
) -> io::Result<()> {
    let json =
        serde_json::to_string_pretty(&summary_json(spec, res, prov)).map_err(io::Error::other)?;
    let [json_name, summary_name, replications_name] = RUN_FILES;
    let summary_csv = summary_csv(spec, res, prov)?;
    let tail = provenance_row(prov);

    let body = rows.finish()?;
    let replications = |w: &mut io::BufWriter<std::fs::File>| copy_rows(body, &tail, w);
    let mut files: Vec<(String, Content)> = vec![
        (json_name.into(), Content::Bytes((json + "\n").into_bytes())),
        (summary_name.into(), Content::Bytes(summary_csv)),
        (replications_name.into(), Content::Stream(&replications)),
    ];
    match costs::costs_csv(res, spec)? {
        Some(csv) => files.push((COSTS_FILE.into(), Content::Bytes(csv))),
        // Costs of an earlier run must not pass for this run's.
        None => remove_stale(&dir.join(COSTS_FILE))?,
    }
    if series.is_empty() {
        // A series of an earlier run must not pass for this run's.
        remove_stale(&dir.join(SERIES_FILE))?;
    } else {
        files.push((
            SERIES_FILE.into(),
            Content::Bytes(series_csv(series, spec)?),
        ));
    }
    // Parquet copies of the tables, in the same set (each read back from its CSV's
    // temporary, written before it); without them, an earlier run's must not pass for
    // this run's.
    let tables: Vec<String> = files
        .iter()
        .filter(|(name, _)| name.ends_with(".csv"))
        .map(|(name, _)| name.clone())
        .collect();
    let copies: Vec<(String, PathBuf)> = tables
        .iter()
        .map(|name| {
            let stem = name.trim_end_matches(".csv");
            (format!("{stem}.parquet"), set_temporary(dir, name))
        })
        .collect();
    let writers: Vec<_> = copies
        .iter()
        .map(|(_, csv)| move |w: &mut io::BufWriter<std::fs::File>| parquet_stream(csv, w))
        .collect();
    if parquet {
        for ((name, _), write) in copies.iter().zip(&writers) {
            files.push((name.clone(), Content::Stream(write)));
        }
    } else {
        for name in [summary_name, replications_name, COSTS_FILE, SERIES_FILE] {
            remove_stale(&dir.join(name.replace(".csv", ".parquet")))?;
        }
    }
    write_set(dir, &files)?;
    for (name, _) in &files {
        tracing::info!("wrote {}", dir.join(name).display());
    }
    Ok(())
}

/// `summary.csv`: one row per metric (estimate over the replications), with the
/// provenance columns.
pub fn summary_csv(spec: &Spec, res: &Results, prov: &Provenance) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["metric", "unit", "mean", "sd", "ci95_low", "ci95_high", "n"];
    header.extend(PROVENANCE_COLUMNS);
    w.write_record(&header)?;
    let tail = provenance_row(prov);
    for (m, e) in res.metrics.iter().zip(&res.estimates) {
        let mut row = vec![
            m.name.clone(),
            m.unit.label(spec).into(),
            num(e.mean),
            num(e.sd),
            num(e.ci95()[0]),
            num(e.ci95()[1]),
            e.n.to_string(),
        ];
        row.extend(tail.iter().cloned());
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// Removes a file an earlier run left that this run does not write.
fn remove_stale(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// `replications.csv` as replications end: each row without the provenance columns
/// (known only once the run is over) goes to a temporary body in the output directory,
/// and [`write_files`] adds them as it copies the body into place. Memory stays the
/// same for any number of replications. The body is removed when this is dropped, so a
/// run that was interrupted or failed leaves nothing behind.
pub struct ReplicationRows {
    path: PathBuf,
    out: Option<csv::Writer<io::BufWriter<std::fs::File>>>,
    /// Per metric, its name and unit; then the events.
    columns: Vec<(String, String)>,
}

impl ReplicationRows {
    /// Starts the body in `dir` (created if needed) for `spec`'s metrics.
    pub fn create(dir: &Path, spec: &Spec) -> io::Result<ReplicationRows> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!(".replications.{}.body", std::process::id()));
        let out = csv::Writer::from_writer(io::BufWriter::new(std::fs::File::create(&path)?));
        let columns = crate::model::metric_names(spec)
            .into_iter()
            .map(|m| {
                let unit = m.unit.label(spec).to_string();
                (m.name, unit)
            })
            .collect();
        Ok(ReplicationRows {
            path,
            out: Some(out),
            columns,
        })
    }

    /// The rows of replication `r`: one per metric (`values` in the order of
    /// `metric_names`), then its events.
    pub fn add(&mut self, r: u64, values: &[f64], events: u64) -> io::Result<()> {
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| io::Error::other("rows finished"))?;
        let r = r.to_string();
        for ((name, unit), &v) in self.columns.iter().zip(values) {
            out.write_record([r.as_str(), name, unit, &num(v)])?;
        }
        out.write_record([r.as_str(), "run.events", "events", &events.to_string()])?;
        Ok(())
    }

    /// Flushes the body; returns its path.
    fn finish(&mut self) -> io::Result<&Path> {
        if let Some(out) = self.out.take() {
            out.into_inner()
                .map_err(|e| io::Error::other(e.to_string()))?
                .into_inner()
                .map_err(|e| e.into_error())?;
        }
        Ok(&self.path)
    }
}

impl Drop for ReplicationRows {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `replications.csv` from the body at `body`: the header, then each body row with the
/// provenance columns `tail` appended.
fn copy_rows(body: &Path, tail: &[String], w: &mut impl io::Write) -> io::Result<()> {
    use std::io::BufRead;
    let mut header = vec!["replication", "metric", "unit", "value"];
    header.extend(PROVENANCE_COLUMNS);
    let mut t = csv::Writer::from_writer(Vec::new());
    t.write_record(tail)?;
    let mut tail = t
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    tail.insert(0, b',');
    writeln!(w, "{}", header.join(","))?;
    let mut line = Vec::new();
    let mut body = io::BufReader::new(std::fs::File::open(body)?);
    loop {
        line.clear();
        if body.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        // (Metric names and units are slugs: no field holds a line break.)
        w.write_all(line.strip_suffix(b"\n").unwrap_or(&line))?;
        w.write_all(&tail)?;
    }
}

#[cfg(not(feature = "parquet"))]
fn no_parquet() -> io::Error {
    io::Error::other(
        "this cgtsim was built without Parquet (cargo build --release --features parquet)",
    )
}

/// Writes the Parquet copy of the CSV table at `csv` to `out` atomically, reading the
/// table as it goes (a sweep's results can be gigabytes).
pub fn parquet_file(csv: &Path, out: &Path) -> io::Result<()> {
    write_atomic_with(out, |w| parquet_stream(csv, w))
}

/// Writes the Parquet copy of the CSV table at `csv` to `w`, reading the table twice
/// as it goes.
#[cfg(feature = "parquet")]
fn parquet_stream(csv: &Path, w: &mut io::BufWriter<std::fs::File>) -> io::Result<()> {
    let open = || std::fs::File::open(csv).map(io::BufReader::new);
    super::columnar::write_parquet_of_csv(open, w).map(|_| ())
}

/// Without the `parquet` feature there are no Parquet copies (the CLI refuses
/// `--parquet` before anything runs).
#[cfg(not(feature = "parquet"))]
fn parquet_stream(_csv: &Path, _w: &mut io::BufWriter<std::fs::File>) -> io::Result<()> {
    Err(no_parquet())
}

/// The tidy cost table written with `--out` when the scenario has costs.
pub const COSTS_FILE: &str = "costs.csv";

/// The time series file written with `--out` when the scenario asks for one.
pub const SERIES_FILE: &str = "timeseries.csv";

/// The tidy time series: one row per period and metric.
pub fn series_csv(series: &[SeriesPoint], spec: &Spec) -> io::Result<Vec<u8>> {
    let units: std::collections::HashMap<String, &str> = crate::model::series_names(spec)
        .into_iter()
        .map(|(m, _)| (m.name, m.unit.label(spec)))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "period_start",
        "metric",
        "mean",
        "ci_low",
        "ci_high",
        "unit",
        "n",
    ])?;
    for p in series {
        let e = &p.estimate;
        let [low, high] = e.ci95();
        w.write_record([
            num(p.period_start_days),
            p.metric.clone(),
            num(e.mean),
            num(low),
            num(high),
            units.get(&p.metric).copied().unwrap_or("").to_string(),
            e.n.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// Writes files that belong together so that `dir` never holds files of two runs: every
/// file goes to a temporary first (a failure there removes the temporaries and leaves
/// the old files alone); then the old files are removed and the new ones renamed in.
pub fn write_set(dir: &Path, files: &[(String, Content<'_>)]) -> io::Result<()> {
    let clean = || {
        for (name, _) in files {
            let _ = std::fs::remove_file(set_temporary(dir, name));
        }
    };
    for (name, content) in files {
        let tmp = set_temporary(dir, name);
        let written = match content {
            Content::Bytes(bytes) => write_synced(&tmp, bytes),
            Content::Stream(fill) => write_synced_with(&tmp, fill),
        };
        if let Err(e) = written {
            clean();
            return Err(e);
        }
    }
    for (name, _) in files {
        if let Err(e) = remove_stale(&dir.join(name)) {
            clean();
            return Err(e);
        }
    }
    for (name, _) in files {
        if let Err(e) = std::fs::rename(set_temporary(dir, name), dir.join(name)) {
            clean();
            return Err(e);
        }
    }
    Ok(())
}

/// What [`write_set`] writes into one file: bytes, or a function that writes a table too
/// large to hold in memory through a buffer.
pub enum Content<'a> {
    Bytes(Vec<u8>),
    Stream(&'a Fill<'a>),
}

/// A function that writes a file's content through a buffer.
pub type Fill<'a> = dyn Fn(&mut io::BufWriter<std::fs::File>) -> io::Result<()> + 'a;

/// The temporary [`write_set`] writes file `name` of `dir` to.
fn set_temporary(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

fn write_synced_with(path: &Path, fill: &Fill<'_>) -> io::Result<()> {
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    fill(&mut out)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// A temporary's name beside `path`, unique to this process and moment: processes on
/// different hosts of a cluster writing to one shared directory may have the same id.
fn temporary(path: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    path.with_extension(format!("{}-{nanos}.tmp", std::process::id()))
}

/// Writes `path` through a temporary in the same directory that `fill` writes (through
/// a buffer), forced to disk and renamed into place, so a reader never sees half a
/// file; the temporary is removed if anything fails.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut io::BufWriter<std::fs::File>) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = temporary(path);
    let write = || {
        let mut out = io::BufWriter::new(std::fs::File::create(&tmp)?);
        fill(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    let outcome = write();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    outcome
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// so a reader never sees half a file; the temporary is removed if anything fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temporary(path);
    let outcome = write_synced(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if outcome.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    outcome
}
