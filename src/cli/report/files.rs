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

const PROVENANCE_COLUMNS: [&str; 7] = [
    "seed",
    "replications",
    "events",
    "wall_time_s",
    "cgtsim_version",
    "scenario",
    "scenario_sha256",
];

fn provenance_row(p: &Provenance) -> [String; 7] {
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

/// Writes `summary.json`, `summary.csv` and `replications.csv` into `dir` (created if
/// needed) as one set: see [`write_set`].
pub fn write_files(
    dir: &Path,
    spec: &Spec,
    res: &Results,
    prov: &Provenance,
    series: &[SeriesPoint],
    parquet: bool,
) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json =
        serde_json::to_string_pretty(&summary_json(spec, res, prov)).map_err(io::Error::other)?;
    let [json_name, summary_name, replications_name] = RUN_FILES;

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
    let summary_csv = w
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;

    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["replication", "metric", "unit", "value"];
    header.extend(PROVENANCE_COLUMNS);
    w.write_record(&header)?;
    for (r, values) in res.values.iter().enumerate() {
        let rows = res
            .metrics
            .iter()
            .zip(values)
            .map(|(m, v)| (m.name.clone(), m.unit.label(spec), num(*v)));
        let events = std::iter::once((
            "run.events".to_string(),
            "events",
            res.events[r].to_string(),
        ));
        for (name, unit, value) in rows.chain(events) {
            let mut row = vec![r.to_string(), name, unit.to_string(), value];
            row.extend(tail.iter().cloned());
            w.write_record(&row)?;
        }
    }
    let replications_csv = w
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    let mut files = vec![
        (json_name, (json + "\n").into_bytes()),
        (summary_name, summary_csv),
        (replications_name, replications_csv),
    ];
    match costs::costs_csv(res, spec)? {
        Some(csv) => files.push((COSTS_FILE, csv)),
        // Costs of an earlier run must not pass for this run's.
        None => match std::fs::remove_file(dir.join(COSTS_FILE)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        },
    }
    if series.is_empty() {
        // A series of an earlier run must not pass for this run's.
        match std::fs::remove_file(dir.join(SERIES_FILE)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    } else {
        files.push((SERIES_FILE, series_csv(series, spec)?));
    }
    // Parquet copies of the tables, in the same set; without them, an earlier run's
    // must not pass for this run's.
    let copies: Vec<(String, Vec<u8>)> = if parquet {
        files
            .iter()
            .filter_map(|(name, bytes)| {
                let stem = name.strip_suffix(".csv")?;
                Some(parquet_copy(bytes).map(|b| (format!("{stem}.parquet"), b)))
            })
            .collect::<io::Result<_>>()?
    } else {
        for name in [summary_name, replications_name, COSTS_FILE, SERIES_FILE] {
            let stale = dir.join(name.replace(".csv", ".parquet"));
            match std::fs::remove_file(stale) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Vec::new()
    };
    files.extend(copies.iter().map(|(n, b)| (n.as_str(), b.clone())));
    write_set(dir, &files)?;
    for (name, bytes) in &files {
        tracing::info!("wrote {} ({} bytes)", dir.join(name).display(), bytes.len());
    }
    Ok(())
}

/// The Parquet copy of a tidy CSV table.
#[cfg(feature = "parquet")]
pub fn parquet_copy(csv: &[u8]) -> io::Result<Vec<u8>> {
    super::columnar::parquet_of_csv(csv)
}

/// Without the `parquet` feature there are no Parquet copies (the CLI refuses
/// `--parquet` before anything runs).
#[cfg(not(feature = "parquet"))]
pub fn parquet_copy(_csv: &[u8]) -> io::Result<Vec<u8>> {
    Err(no_parquet())
}

#[cfg(not(feature = "parquet"))]
fn no_parquet() -> io::Error {
    io::Error::other(
        "this cgtsim was built without Parquet (cargo build --release --features parquet)",
    )
}

/// Writes the Parquet copy of the CSV table at `csv` to `out` atomically, reading the
/// table as it goes (a sweep's results can be gigabytes).
#[cfg(feature = "parquet")]
pub fn parquet_file(csv: &Path, out: &Path) -> io::Result<()> {
    let open = || std::fs::File::open(csv).map(io::BufReader::new);
    write_atomic_with(out, |w| {
        super::columnar::write_parquet_of_csv(open, w).map(|_| ())
    })
}

/// Without the `parquet` feature: refused, as `parquet_copy`.
#[cfg(not(feature = "parquet"))]
pub fn parquet_file(_csv: &Path, _out: &Path) -> io::Result<()> {
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
pub fn write_set(dir: &Path, files: &[(&str, Vec<u8>)]) -> io::Result<()> {
    let tmp = |name: &str| dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let clean = || {
        for (name, _) in files {
            let _ = std::fs::remove_file(tmp(name));
        }
    };
    for (name, bytes) in files {
        if let Err(e) = write_synced(&tmp(name), bytes) {
            clean();
            return Err(e);
        }
    }
    for (name, _) in files {
        match std::fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                clean();
                return Err(e);
            }
            _ => {}
        }
    }
    for (name, _) in files {
        if let Err(e) = std::fs::rename(tmp(name), dir.join(name)) {
            clean();
            return Err(e);
        }
    }
    Ok(())
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
