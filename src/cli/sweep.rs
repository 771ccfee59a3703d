//! Parameter sweeps: a sweep file names a base scenario and axes that change values in it
//! by path; every combination (a grid) is a variant, run with common random numbers.
//!
//! ```toml
//! base = "../ccrm-nordic.toml"            # relative to the sweep file
//! replications = 20                       # optional: overrides the base scenario's
//! seed = 1                                # optional
//!
//! [grid]
//! "resources.device.capacity" = [4, 6, 8]
//! "products.car-t-fresh.arrivals.rate" = [24, 48]
//! ```
//!
//! **Paths** walk the base scenario's TOML: tables by key, arrays of tables (products,
//! steps, assays, delivery) by the `name` of an element, e.g.
//! `products.car-t.steps.manufacturing.duration`. A path must name a value that exists.
//!
//! **Nothing lost.** Each variant's results are written to `DIR/variants/vNNNNN.csv`
//! atomically as soon as its last replication finishes; `DIR/results.csv` (one row per
//! variant x metric, the axis values as columns) is assembled at the end. Run again with
//! the same command, a sweep skips the variants already written. Every file carries the
//! sweep's SHA-256 (sweep file and base scenario), and files of another sweep are refused.

use super::report::write_atomic;
use super::scenario::{self, Scenario, ScenarioError};
use crate::experiment::{Estimate, run_variants};
use crate::model::{Metric, metric_names};
use indexmap::IndexMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use toml::{Spanned, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    base: Spanned<String>,
    replications: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    grid: Spanned<IndexMap<Spanned<String>, Spanned<Vec<Value>>>>,
}

/// A sweep, read and checked: every variant compiled.
pub struct Sweep {
    /// `(path, values)` per axis, in file order.
    pub axes: Vec<(String, Vec<Value>)>,
    /// Per variant: its axis values and its compiled scenario.
    pub variants: Vec<(Vec<Value>, Scenario)>,
    pub replications: u64,
    pub seed: u64,
    /// SHA-256 of the sweep file and the base scenario.
    pub sha256: String,
}

/// Reads `path` and its base scenario and compiles every variant.
pub fn load(path: &Path) -> Result<Sweep, ScenarioError> {
    let shown = path.display().to_string();
    let src = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::file(&shown, format!("cannot read the sweep: {e}")))?;
    let err =
        |span: std::ops::Range<usize>, msg: String| ScenarioError::at(&shown, &src, span, msg);
    let file: SweepFile =
        toml::from_str(&src).map_err(|e| err(e.span().unwrap_or(0..0), e.message().to_string()))?;
    let base_path = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(file.base.get_ref());
    let base_src = std::fs::read_to_string(&base_path).map_err(|e| {
        err(
            file.base.span(),
            format!("cannot read the base scenario {}: {e}", base_path.display()),
        )
    })?;
    let base_shown = base_path.display().to_string();
    let base_sc = scenario::parse(&base_shown, &base_src)?;
    let doc: toml::Table = toml::from_str(&base_src).expect("the base scenario parsed above");
    let mut axes = Vec::new();
    for (key, values) in file.grid.get_ref() {
        if values.get_ref().is_empty() {
            return Err(err(
                values.span(),
                format!("axis `{}` has no values; give at least one", key.get_ref()),
            ));
        }
        if let Err(msg) = set_path(&mut doc.clone(), key.get_ref(), values.get_ref()[0].clone()) {
            return Err(err(key.span(), msg));
        }
        axes.push((key.get_ref().clone(), values.get_ref().clone()));
    }
    if axes.is_empty() {
        return Err(err(
            file.grid.span(),
            "the [grid] has no axes; add one, e.g. \"resources.suite.capacity\" = [4, 6]".into(),
        ));
    }
    let replications = match &file.replications {
        None => base_sc.replications,
        Some(r) if *r.get_ref() >= 1 => *r.get_ref() as u64,
        Some(r) => return Err(err(r.span(), "replications must be at least 1".into())),
    };
    let seed = match &file.seed {
        None => base_sc.seed,
        Some(s) if *s.get_ref() >= 0 => *s.get_ref() as u64,
        Some(s) => return Err(err(s.span(), "the seed must be a whole number >= 0".into())),
    };
    let mut variants = Vec::new();
    for combo in grid(&axes) {
        let mut variant = doc.clone();
        let mut label = Vec::new();
        for ((path, _), v) in axes.iter().zip(&combo) {
            set_path(&mut variant, path, v.clone()).expect("paths were checked");
            label.push(format!("{path} = {v}"));
        }
        let text = toml::to_string(&variant).expect("a TOML table serialises");
        let name = format!("{base_shown} with {}", label.join(", "));
        let sc = scenario::parse(&name, &text)?;
        variants.push((combo, sc));
    }
    let sha256 = format!(
        "{:x}",
        Sha256::digest([src.as_bytes(), b"\0", base_src.as_bytes()].concat())
    );
    Ok(Sweep {
        axes,
        variants,
        replications,
        seed,
        sha256,
    })
}

/// Every combination of the axes' values, the last axis fastest.
fn grid(axes: &[(String, Vec<Value>)]) -> Vec<Vec<Value>> {
    let mut out = vec![Vec::new()];
    for (_, values) in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                values
                    .iter()
                    .map(move |v| [prefix.clone(), vec![v.clone()]].concat())
            })
            .collect();
    }
    out
}

/// Sets the value at a dotted `path` of a scenario document (see the module docs).
pub fn set_path(doc: &mut toml::Table, path: &str, value: Value) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut table = doc;
    let mut i = 0;
    while i + 1 < parts.len() {
        let key = parts[i];
        let here = parts[..=i].join(".");
        table = match table.get_mut(key) {
            Some(Value::Table(t)) => t,
            Some(Value::Array(items)) => {
                let Some(name) = parts.get(i + 1) else {
                    return Err(format!("`{here}` is a list: name an element of it"));
                };
                i += 1;
                let found = items.iter_mut().find_map(|item| match item {
                    Value::Table(t) if t.get("name").and_then(Value::as_str) == Some(*name) => {
                        Some(t)
                    }
                    _ => None,
                });
                match found {
                    Some(t) => t,
                    None => {
                        return Err(format!(
                            "`{here}` has no element named `{name}` in the base scenario"
                        ));
                    }
                }
            }
            Some(_) => {
                return Err(format!(
                    "`{here}` is a value, not a table: the path goes too deep"
                ));
            }
            None => {
                return Err(format!(
                    "the path `{path}` names nothing in the base scenario: there is no `{here}`"
                ));
            }
        };
        i += 1;
    }
    let Some(last) = parts.get(i) else {
        return Err(format!(
            "the path `{path}` ends at a list element; name a key inside it"
        ));
    };
    match table.get_mut(*last) {
        Some(slot) => {
            *slot = value;
            Ok(())
        }
        None => Err(format!(
            "the path `{path}` names nothing in the base scenario: there is no `{last}` there"
        )),
    }
}

/// Outcome of a sweep run.
pub struct Outcome {
    pub ran: usize,
    pub skipped: usize,
    pub events: u64,
}

/// Runs the variants not yet in `dir`, writes each as it finishes, then `results.csv`.
/// `progress` is called after every replication.
pub fn run(sweep: &Sweep, dir: &Path, progress: impl Fn() + Sync) -> Result<Outcome, String> {
    let vdir = dir.join("variants");
    std::fs::create_dir_all(&vdir).map_err(|e| format!("cannot create {}: {e}", vdir.display()))?;
    let mut todo = Vec::new();
    let mut skipped = 0;
    for v in 0..sweep.variants.len() {
        match std::fs::read_to_string(variant_file(&vdir, v)) {
            Ok(text)
                if text
                    .lines()
                    .nth(1)
                    .is_some_and(|l| l.ends_with(&sweep.sha256)) =>
            {
                skipped += 1
            }
            Ok(_) => {
                return Err(format!(
                    "{} holds results of a different sweep (its SHA-256 differs); use another --out directory",
                    dir.display()
                ));
            }
            Err(_) => todo.push(v),
        }
    }
    let events = std::sync::atomic::AtomicU64::new(0);
    let failure = std::sync::Mutex::new(None);
    run_variants(
        &todo,
        sweep.replications,
        sweep.seed,
        |v, _, streams| {
            let spec = &sweep.variants[v].1.spec;
            let (values, ev) = super::simulate_one(spec, streams);
            events.fetch_add(ev, std::sync::atomic::Ordering::Relaxed);
            progress();
            values
        },
        |v, reps| {
            let csv = variant_csv(sweep, v, &reps);
            if let Err(e) = write_atomic(&variant_file(&vdir, v), csv.as_bytes()) {
                failure
                    .lock()
                    .expect("no panics here")
                    .get_or_insert(format!("cannot write variant {v}: {e}"));
            }
        },
    );
    if let Some(e) = failure.into_inner().expect("no panics here") {
        return Err(e);
    }
    let mut all = String::new();
    for v in 0..sweep.variants.len() {
        let text = std::fs::read_to_string(variant_file(&vdir, v))
            .map_err(|e| format!("variant {v} is missing: {e}"))?;
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        if v == 0 {
            all.push_str(header);
            all.push('\n');
        }
        for l in lines {
            all.push_str(l);
            all.push('\n');
        }
    }
    write_atomic(&dir.join("results.csv"), all.as_bytes())
        .map_err(|e| format!("cannot write results.csv: {e}"))?;
    Ok(Outcome {
        ran: todo.len(),
        skipped,
        events: events.into_inner(),
    })
}

fn variant_file(vdir: &Path, v: usize) -> PathBuf {
    vdir.join(format!("v{v:05}.csv"))
}

/// One variant's rows: variant, axis values, metric, unit, mean, sd, CI, n, sweep hash.
fn variant_csv(sweep: &Sweep, v: usize, reps: &[Vec<f64>]) -> String {
    let (combo, sc) = &sweep.variants[v];
    let metrics: Vec<Metric> = metric_names(&sc.spec);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["variant".into()];
    header.extend(sweep.axes.iter().map(|(p, _)| p.clone()));
    header.extend(
        [
            "metric",
            "unit",
            "mean",
            "sd",
            "ci95_low",
            "ci95_high",
            "n",
            "replications",
            "seed",
            "sweep_sha256",
        ]
        .map(String::from),
    );
    w.write_record(&header).expect("writing to memory");
    let num = |x: f64| {
        if x.is_nan() {
            String::new()
        } else {
            format!("{x}")
        }
    };
    for (m, metric) in metrics.iter().enumerate() {
        let e = Estimate::of(&reps.iter().map(|r| r[m]).collect::<Vec<_>>());
        let mut row = vec![v.to_string()];
        row.extend(combo.iter().map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }));
        row.extend([
            metric.name.clone(),
            metric.unit.as_str().into(),
            num(e.mean),
            num(e.sd),
            num(e.ci95()[0]),
            num(e.ci95()[1]),
            e.n.to_string(),
            sweep.replications.to_string(),
            sweep.seed.to_string(),
            sweep.sha256.clone(),
        ]);
        w.write_record(&row).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_walk_tables_and_named_list_elements() {
        let mut doc: toml::Table = toml::from_str(
            "[resources]\nsuite = { capacity = 2 }\n[[products]]\nname = \"a\"\narrivals = { rate = 1.0 }\n[[products.steps]]\nname = \"m\"\nduration = \"1d\"\n",
        )
        .unwrap();
        set_path(&mut doc, "resources.suite.capacity", Value::Integer(5)).unwrap();
        set_path(&mut doc, "products.a.arrivals.rate", Value::Float(2.0)).unwrap();
        set_path(
            &mut doc,
            "products.a.steps.m.duration",
            Value::String("2d".into()),
        )
        .unwrap();
        assert_eq!(doc["resources"]["suite"]["capacity"].as_integer(), Some(5));
        assert_eq!(
            doc["products"][0]["steps"][0]["duration"].as_str(),
            Some("2d")
        );
        assert!(
            set_path(&mut doc, "resources.suit.capacity", Value::Integer(1))
                .unwrap_err()
                .contains("there is no `resources.suit`")
        );
        assert!(
            set_path(&mut doc, "products.b.arrivals.rate", Value::Integer(1))
                .unwrap_err()
                .contains("no element named `b`")
        );
        assert!(
            set_path(&mut doc, "resources.suite.colour", Value::Integer(1))
                .unwrap_err()
                .contains("no `colour`")
        );
    }

    #[test]
    fn the_grid_is_the_cartesian_product() {
        let axes = vec![
            ("a".to_string(), vec![Value::Integer(1), Value::Integer(2)]),
            (
                "b".to_string(),
                vec![Value::Integer(10), Value::Integer(20), Value::Integer(30)],
            ),
        ];
        let g = grid(&axes);
        assert_eq!(g.len(), 6);
        assert_eq!(g[1], vec![Value::Integer(1), Value::Integer(20)]);
    }
}
