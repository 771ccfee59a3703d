//! `cgtsim run --report FILE` and `cgtsim report DIR`: gathers what the HTML report is
//! built from (`summary.json`, `timeseries.csv`, a trace of replication 0 for the Gantt
//! chart) and writes the page whole (a temporary file renamed into place).
//!
//! This module reads and writes files; the page itself is `report::page`.

use super::Failure;
use super::report::{self, Sources};
use crate::engine::Streams;
use crate::experiment::SeriesPoint;
use crate::model::{Spec, trace_replication};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The entities of replication 0 the Gantt chart shows.
pub const GANTT_ENTITIES: u64 = 20;

/// Checks before a run that its report can be written where asked.
pub(super) fn check_report_path(file: &Path) -> Result<(), Failure> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    report::check_writable(&dir).map_err(|e| {
        Failure::Io(format!(
            "cannot write the report to {}: {e}",
            file.display()
        ))
    })
}

/// The trace of replication 0's first entities as CSV, if it can be run.
fn gantt_trace(spec: &Spec, seed: u64) -> Option<String> {
    let rows = trace_replication(spec, Streams::new(seed, 0), GANTT_ENTITIES).ok()?;
    let bytes = super::trace::csv_of(&rows).ok()?;
    String::from_utf8(bytes).ok()
}

/// Writes the report of a run that just finished.
pub(super) fn run_report(
    spec: &Spec,
    seed: u64,
    summary: &Value,
    series: &[SeriesPoint],
    file: &Path,
) -> Result<(), Failure> {
    let series_csv = if series.is_empty() {
        None
    } else {
        let bytes = report::series_csv(series, spec).map_err(|e| Failure::Io(e.to_string()))?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    };
    let trace = gantt_trace(spec, seed);
    write_page(
        &Sources {
            summary,
            series_csv: series_csv.as_deref(),
            trace_csv: trace.as_deref(),
            extra: Vec::new(),
        },
        file,
    )
}

fn write_page(src: &Sources, file: &Path) -> Result<(), Failure> {
    write_html(&report::page(src), file)
}

/// Writes a page whole.
pub(super) fn write_html(html: &str, file: &Path) -> Result<(), Failure> {
    report::write_atomic(file, html.as_bytes()).map_err(|e| {
        Failure::Io(format!(
            "cannot write the report to {}: {e}",
            file.display()
        ))
    })?;
    tracing::info!("wrote {} ({} bytes)", file.display(), html.len());
    Ok(())
}

/// A sweep's report, from its `--out` directory (`sweep.json` and `results.csv`).
pub(super) fn sweep_report(dir: &Path, file: &Path) -> Result<(), Failure> {
    let open = |name: &str| {
        std::fs::File::open(dir.join(name)).map_err(|e| {
            Failure::Usage(format!(
                "{}: {e} (a sharded sweep needs `cgtsim merge {}` first)",
                dir.join(name).display(),
                dir.display()
            ))
        })
    };
    let manifest: Value = serde_json::from_reader(open("sweep.json")?)
        .map_err(|e| Failure::Usage(format!("{}: {e}", dir.join("sweep.json").display())))?;
    // Read as it is parsed: a sweep of 100,000 variants has a results.csv of ~500 MB.
    let results = std::io::BufReader::new(open("results.csv")?);
    let html = report::sweep_page(&manifest, results)
        .map_err(|e| Failure::Usage(format!("{}: {e}", dir.join("results.csv").display())))?;
    write_html(&html, file)
}

/// `cgtsim report DIR`: the report of a run's `--out` directory (or a sweep's). The Gantt chart needs
/// the scenario: it is traced again if the file the summary names is still there,
/// unchanged (same SHA-256).
pub(super) fn report_command(dir: &Path, out: Option<&Path>) -> Result<PathBuf, Failure> {
    let file = out.map_or_else(|| dir.join("report.html"), Path::to_path_buf);
    if dir.join("sweep.json").exists() {
        sweep_report(dir, &file)?;
        return Ok(file);
    }
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::Usage(format!(
            "{}: {e} (give the --out directory of `cgtsim run`)",
            path.display()
        ))
    })?;
    let summary: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::Usage(format!("{}: not a summary: {e}", path.display())))?;
    if summary.get("metrics").is_none() || summary.get("brief").is_none() {
        return Err(Failure::Usage(format!(
            "{}: not the summary of a run by this cgtsim (no `metrics` or `brief`): run it again with --out",
            path.display()
        )));
    }
    let series = match std::fs::read_to_string(dir.join(report::SERIES_FILE)) {
        Ok(s) => Some(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(Failure::Io(format!(
                "{}: {e}",
                dir.join(report::SERIES_FILE).display()
            )));
        }
    };
    let trace = summary["scenario"]["path"]
        .as_str()
        .and_then(|p| super::scenario::load(Path::new(p)).ok())
        .filter(|(_, text)| {
            summary["scenario"]["sha256"].as_str()
                == Some(format!("{:x}", Sha256::digest(text.as_bytes())).as_str())
        })
        .and_then(|(sc, _)| gantt_trace(&sc.spec, summary["seed"].as_u64()?));
    write_page(
        &Sources {
            summary: &summary,
            series_csv: series.as_deref(),
            trace_csv: trace.as_deref(),
            extra: Vec::new(),
        },
        &file,
    )?;
    Ok(file)
}
