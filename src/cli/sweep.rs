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
//! or, instead of `[grid]`, a Latin hypercube of `samples` variants over ranges:
//!
//! ```toml
//! [lhs]
//! samples = 50
//! [lhs.ranges]
//! "resources.device.capacity" = { min = 4, max = 12 }     # whole numbers: rounded
//! "products.car-t-fresh.arrivals.rate" = { min = 20.0, max = 60.0 }
//! ```
//!
//! Each range is cut into `samples` equal strata, each stratum used once, in an order and
//! at a point drawn from the sweep's seed (so a design is reproducible).
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
//!
//! **Shards.** `--shard K/N` runs only the variants `v` with `v mod N = K - 1` (a fixed
//! split: a variant's results do not depend on the shard that ran it) and leaves the
//! assembly to `cgtsim merge DIR`, which names the shards whose variants are missing.
//! `DIR/sweep.json` records the sweep's hash, its number of variants and of shards.

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
    grid: Option<Spanned<GridSpec>>,
    lhs: Option<Spanned<LhsSpec>>,
}

/// Axis path -> the values it takes.
type GridSpec = IndexMap<Spanned<String>, Spanned<Vec<Value>>>;

/// Axes (path, values) and the variants' value combinations.
type Design = (Vec<(String, Vec<Value>)>, Vec<Vec<Value>>);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LhsSpec {
    samples: Spanned<i64>,
    ranges: IndexMap<Spanned<String>, Spanned<RangeSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeSpec {
    min: Value,
    max: Value,
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
    let check_path =
        |key: &Spanned<String>, v: Value| match set_path(&mut doc.clone(), key.get_ref(), v) {
            Ok(()) => Ok(()),
            Err(msg) => Err(err(key.span(), msg)),
        };
    let seed_for_design = file
        .seed
        .as_ref()
        .map_or(base_sc.seed, |s| (*s.get_ref()).max(0) as u64);
    let (axes, combos): Design = match (&file.grid, &file.lhs) {
        (Some(g), None) => {
            let mut axes = Vec::new();
            for (key, values) in g.get_ref() {
                if values.get_ref().is_empty() {
                    return Err(err(
                        values.span(),
                        format!("axis `{}` has no values; give at least one", key.get_ref()),
                    ));
                }
                check_path(key, values.get_ref()[0].clone())?;
                axes.push((key.get_ref().clone(), values.get_ref().clone()));
            }
            if axes.is_empty() {
                return Err(err(
                    g.span(),
                    "the [grid] has no axes; add one, e.g. \"resources.suite.capacity\" = [4, 6]"
                        .into(),
                ));
            }
            let combos = grid(&axes);
            (axes, combos)
        }
        (None, Some(l)) => {
            let n = *l.get_ref().samples.get_ref();
            if n < 1 {
                return Err(err(
                    l.get_ref().samples.span(),
                    "samples must be at least 1".into(),
                ));
            }
            let mut columns = Vec::new();
            for (key, range) in &l.get_ref().ranges {
                let r = range.get_ref();
                let (Some(lo), Some(hi)) = (as_number(&r.min), as_number(&r.max)) else {
                    return Err(err(range.span(), "min and max must be numbers".into()));
                };
                if lo > hi {
                    return Err(err(
                        range.span(),
                        format!("min ({lo}) must not exceed max ({hi})"),
                    ));
                }
                let whole = r.min.is_integer() && r.max.is_integer();
                let values = lhs_column(n as usize, lo, hi, whole, seed_for_design, key.get_ref());
                check_path(key, values[0].clone())?;
                columns.push((key.get_ref().clone(), values));
            }
            if columns.is_empty() {
                return Err(err(l.span(), "[lhs.ranges] has no axes; add one, e.g. \"resources.suite.capacity\" = { min = 4, max = 8 }".into()));
            }
            let combos = (0..n as usize)
                .map(|i| columns.iter().map(|(_, c)| c[i].clone()).collect())
                .collect();
            (columns, combos)
        }
        (Some(g), Some(_)) => {
            return Err(err(
                g.span(),
                "give either [grid] or [lhs], not both".into(),
            ));
        }
        (None, None) => {
            return Err(ScenarioError::at(
                &shown,
                &src,
                0..0,
                "the sweep needs a [grid] or an [lhs] table of axes",
            ));
        }
    };
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
    for combo in combos {
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

fn as_number(v: &Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// One axis of a Latin hypercube: `n` values, one in each of `n` equal strata of
/// [lo, hi], in a random order, each at a random point of its stratum (rounded for whole
/// numbers). Drawn from the sweep's seed and the axis path, so the design is reproducible.
fn lhs_column(n: usize, lo: f64, hi: f64, whole: bool, seed: u64, path: &str) -> Vec<Value> {
    use crate::engine::dist::unit;
    let mut rng = crate::engine::Streams::new(seed, u64::MAX)
        .stream(crate::engine::source_id(&format!("lhs.{path}")));
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (unit(&mut rng) * (i + 1) as f64) as usize;
        order.swap(i, j.min(i));
    }
    order
        .into_iter()
        .map(|stratum| {
            let x = lo + (hi - lo) * (stratum as f64 + unit(&mut rng)) / n as f64;
            if whole {
                Value::Integer(x.round() as i64)
            } else {
                Value::Float(x)
            }
        })
        .collect()
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

/// Runs the variants of shard `shard` (`(k, n)`, 1-based; `None`: all) not yet in `dir`,
/// writing each as it finishes; without shards, then assembles `results.csv`.
/// `progress` is called after every replication.
pub fn run(
    sweep: &Sweep,
    dir: &Path,
    shard: Option<(usize, usize)>,
    progress: impl Fn() + Sync,
) -> Result<Outcome, SweepError> {
    let vdir = dir.join("variants");
    std::fs::create_dir_all(&vdir)
        .map_err(|e| SweepError::Io(format!("cannot create {}: {e}", vdir.display())))?;
    let manifest_path = dir.join("sweep.json");
    if let Ok(text) = std::fs::read_to_string(&manifest_path) {
        let old: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if old["sweep_sha256"].as_str() != Some(sweep.sha256.as_str()) {
            return Err(SweepError::Usage(format!(
                "{} holds results of a different sweep (its SHA-256 differs); use another --out directory",
                dir.display()
            )));
        }
    }
    let manifest = serde_json::json!({
        "sweep_sha256": sweep.sha256,
        "variants": sweep.variants.len(),
        "shards": shard.map_or(1, |s| s.1),
        "replications": sweep.replications,
        "seed": sweep.seed,
        "axes": sweep.axes.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
    });
    write_atomic(&manifest_path, format!("{manifest:#}\n").as_bytes())
        .map_err(|e| SweepError::Io(format!("cannot write {}: {e}", manifest_path.display())))?;
    let mut todo = Vec::new();
    let mut skipped = 0;
    let mine = |v: usize| shard.is_none_or(|(k, n)| v % n == k - 1);
    for v in (0..sweep.variants.len()).filter(|&v| mine(v)) {
        match std::fs::read_to_string(variant_file(&vdir, v)) {
            Ok(text) if of_sweep(&text, &sweep.sha256) => skipped += 1,
            Ok(_) => {
                return Err(SweepError::Usage(format!(
                    "{} holds results of a different sweep (its SHA-256 differs); use another --out directory",
                    dir.display()
                )));
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
        return Err(SweepError::Io(e));
    }
    if shard.is_none() {
        merge(dir)?;
    }
    Ok(Outcome {
        ran: todo.len(),
        skipped,
        events: events.into_inner(),
    })
}

/// Why a sweep or a merge stopped: the user's input (exit 2) or the system (exit 1).
#[derive(Debug)]
pub enum SweepError {
    Usage(String),
    Io(String),
}

/// Assembles `dir/results.csv` from the variant files; returns the number of variants.
/// Refuses files of another sweep and names the shards whose variants are missing.
pub fn merge(dir: &Path) -> Result<usize, SweepError> {
    let manifest_path = dir.join("sweep.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        SweepError::Usage(format!(
            "{} is not a sweep output directory (no sweep.json: {e})",
            dir.display()
        ))
    })?;
    let m: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| SweepError::Usage(format!("{} is damaged: {e}", manifest_path.display())))?;
    let (Some(sha), Some(n), Some(shards)) = (
        m["sweep_sha256"].as_str(),
        m["variants"].as_u64(),
        m["shards"].as_u64(),
    ) else {
        return Err(SweepError::Usage(format!(
            "{} is damaged: missing keys",
            manifest_path.display()
        )));
    };
    let vdir = dir.join("variants");
    let mut all = String::new();
    let mut missing = Vec::new();
    for v in 0..n as usize {
        let Ok(text) = std::fs::read_to_string(variant_file(&vdir, v)) else {
            missing.push(v);
            continue;
        };
        if !of_sweep(&text, sha) {
            return Err(SweepError::Usage(format!(
                "{} belongs to a different sweep than {}; remove it or use another directory",
                variant_file(&vdir, v).display(),
                manifest_path.display()
            )));
        }
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        if all.is_empty() {
            all.push_str(header);
            all.push('\n');
        }
        for l in lines {
            all.push_str(l);
            all.push('\n');
        }
    }
    if !missing.is_empty() {
        let mut shard_list: Vec<u64> = missing.iter().map(|&v| v as u64 % shards + 1).collect();
        shard_list.sort();
        shard_list.dedup();
        let names = shard_list
            .iter()
            .map(|k| format!("{k}/{shards}"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(SweepError::Usage(format!(
            "{} of {n} variants are missing; run shard(s) {names} (with the same sweep file and --out) and merge again",
            missing.len()
        )));
    }
    write_atomic(&dir.join("results.csv"), all.as_bytes())
        .map_err(|e| SweepError::Io(format!("cannot write results.csv: {e}")))?;
    Ok(n as usize)
}

/// Parses `K/N` (1 <= K <= N).
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard takes K/N with 1 <= K <= N (e.g. 3/8), not `{s}`");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// True when a variant file's rows carry the sweep hash `sha` (its last column).
fn of_sweep(text: &str, sha: &str) -> bool {
    text.lines().nth(1).is_some_and(|row| row.ends_with(sha))
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
    fn latin_hypercube_columns_use_every_stratum_once() {
        let col = lhs_column(20, 10.0, 30.0, false, 1, "a.b");
        let mut strata: Vec<usize> = col
            .iter()
            .map(|v| ((v.as_float().unwrap() - 10.0) / 1.0) as usize)
            .collect();
        strata.sort();
        assert_eq!(strata, (0..20).collect::<Vec<_>>());
        assert_eq!(
            col,
            lhs_column(20, 10.0, 30.0, false, 1, "a.b"),
            "reproducible"
        );
        assert_ne!(
            col,
            lhs_column(20, 10.0, 30.0, false, 2, "a.b"),
            "depends on the seed"
        );
        assert!(
            lhs_column(5, 4.0, 12.0, true, 1, "c")
                .iter()
                .all(|v| v.is_integer())
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
