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
//! **Linked axes.** An axis of `[grid]` or `[lhs.ranges]` may be a name instead of a path,
//! declared in `[linked]`: it then moves several paths together.
//!
//! ```toml
//! [grid]
//! demand = [1.0, 1.5, 2.0, 3.0]
//! devices = [4, 8]
//!
//! [linked]
//! demand = { scale = ["products.car-t-fresh.arrivals.rate", "products.car-t-cryo.arrivals.rate"] }
//! devices = { set = ["resources.device.capacity", "resources.spare_device.capacity"] }
//! ```
//!
//! `scale` multiplies each path's base value by the axis value (each path must hold a
//! number; a whole number stays whole, rounded to the nearest); `set` gives every path the
//! axis value. The results name the axis (`demand`), not the paths.
//!
//! **Paths** walk the base scenario's TOML: tables by key, arrays of tables (products,
//! steps, assays, delivery) by the `name` of an element, e.g.
//! `products.car-t.steps.manufacturing.duration`. A path must name a value that exists.
//!
//! **Checked before it runs.** Each axis value is tried alone on the base scenario (for a
//! Latin hypercube: each range's ends), and a value that makes the scenario invalid is
//! refused at its place in the sweep file. A path whose change would not change the model
//! is refused too: `simulation.replications` and `simulation.seed` (the sweep's own
//! `replications` and `seed` count, the same for every variant), and
//! the capacity of a resource whose every shift states its own capacity. Variants are
//! compiled when their turn comes, not all at once, so a million-variant design needs no
//! more memory than a small one; at most [`MAX_VARIANTS`] variants.
//!
//! **Nothing lost.** As soon as a variant's last replication finishes, its results are
//! appended as one sealed block to its shard's part file `DIR/variants/part-K-of-N.csv`
//! (`part-1-of-1.csv` unsharded; see `part`): one file per shard, however many variants.
//! `DIR/results.csv` (one row per variant x metric, the axis values as columns) is
//! assembled at the end. Run again with the same command, a sweep skips the variants
//! already stored, cuts off a block torn by a kill and reruns it. The first block that
//! cannot be written stops the sweep; Ctrl-C stops it after the replications under way.
//! Every block carries the sweep's SHA-256 (sweep file, base scenario and the files it
//! reads, such as arrival logs), and blocks of another sweep are refused.
//!
//! **Shards.** `--shard K/N` runs only the variants `v` with `v mod N = K - 1` (a fixed
//! split: a variant's results do not depend on the shard that ran it) and leaves the
//! assembly to `cgtsim merge DIR`, which names the shards whose variants are missing.
//! A shard also skips variants that the indexes of parts of other shard counts name (a
//! sweep begun unsharded can go on in shards). `DIR/sweep.json` records the sweep's hash, its number of
//! variants and of shards.

mod part;
mod paths;
mod store;

pub use paths::set_path;

pub use store::{SweepError, merge};

use super::scenario::units::shown;
use super::scenario::{self, Scenario, ScenarioError};
use crate::cli::scenario::spanned::Spanned;
use crate::engine::Welford;
use crate::experiment::{Estimate, run_variants};
use crate::model::{Metric, Prepared, limits, metric_names};
use indexmap::IndexMap;
use paths::{Edit, Edits, LinkSpec, applied, as_number, lhs_column, linked_edits};
use rayon::prelude::*;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use store::write_manifest;
use toml::Value;

/// Most variants of one sweep: one million (a merge keeps an entry of 24 bytes per
/// variant in memory; the results of a million variants of a small model fill ~5 GB).
pub const MAX_VARIANTS: usize = 1_000_000;

/// A sweep file: a base scenario and a grid or a Latin hypercube of its values.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SweepFile {
    /// The base scenario, relative to the sweep file.
    base: Spanned<String>,
    /// Replications of every variant (default: the base scenario's).
    replications: Option<Spanned<i64>>,
    /// Seed of every variant (common random numbers; default: the base scenario's).
    seed: Option<Spanned<i64>>,
    /// Axis path (a dotted path into the base scenario, or a `[linked]` name) -> the
    /// values it takes; every combination runs.
    #[schemars(with = "Option<IndexMap<String, Vec<serde_json::Value>>>")]
    grid: Option<Spanned<GridSpec>>,
    lhs: Option<Spanned<LhsSpec>>,
    #[serde(default)]
    linked: IndexMap<Spanned<String>, Spanned<LinkSpec>>,
}

/// Axis path -> the values it takes.
type GridSpec = IndexMap<Spanned<String>, Spanned<Vec<Spanned<Value>>>>;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct LhsSpec {
    samples: Spanned<i64>,
    ranges: IndexMap<Spanned<String>, Spanned<RangeSpec>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RangeSpec {
    #[schemars(with = "serde_json::Value")]
    min: Spanned<Value>,
    #[schemars(with = "serde_json::Value")]
    max: Spanned<Value>,
}

/// How the variants' values are laid out.
enum Design {
    /// Every combination of the axes' values, the last axis fastest.
    Grid,
    /// Variant `v` takes element `v` of every axis (a Latin hypercube's columns).
    Columns,
}

/// A sweep, read and checked; variants are compiled when asked for.
pub struct Sweep {
    /// `(path or linked name, values)` per axis, in file order (for a Latin hypercube,
    /// the columns).
    pub axes: Vec<(String, Vec<Value>)>,
    /// Per axis, the paths it moves and how (a plain axis: its path, set).
    edits: Vec<Edits>,
    design: Design,
    variants: usize,
    base: toml::Table,
    base_shown: String,
    pub replications: u64,
    pub seed: u64,
    /// SHA-256 of the sweep file and the base scenario.
    pub sha256: String,
    /// The sweep file's path and text, and the span of its design table, for messages.
    file: (String, String, Range<usize>),
}

impl Sweep {
    /// Number of variants.
    pub fn len(&self) -> usize {
        self.variants
    }

    /// The axis values of variant `v`.
    pub fn values(&self, v: usize) -> Vec<Value> {
        match self.design {
            Design::Columns => self.axes.iter().map(|(_, c)| c[v].clone()).collect(),
            Design::Grid => {
                let mut rest = v;
                let mut out: Vec<Value> = self
                    .axes
                    .iter()
                    .rev()
                    .map(|(_, values)| {
                        let x = values[rest % values.len()].clone();
                        rest /= values.len();
                        x
                    })
                    .collect();
                out.reverse();
                out
            }
        }
    }

    /// Variant `v` compiled; an invalid one is located at the sweep file's design.
    pub fn scenario(&self, v: usize) -> Result<Scenario, ScenarioError> {
        let values = self.values(v);
        let pairs: Vec<(String, Value)> = self
            .edits
            .iter()
            .zip(&values)
            .flat_map(|(edits, x)| applied(edits, x))
            .collect();
        compile_with(&self.base, &self.base_shown, &pairs).map_err(|e| {
            let label: Vec<String> = self
                .axes
                .iter()
                .zip(&values)
                .map(|((p, _), x)| format!("{p} = {x}"))
                .collect();
            let (path, src, span) = &self.file;
            ScenarioError::at(
                path,
                src,
                span.clone(),
                format!(
                    "variant {v} ({}) is not a valid scenario: {}",
                    shown(&label.join(", ")),
                    e.message
                ),
            )
        })
    }
}

/// The base scenario with `pairs` (path, value) set, compiled.
fn compile_with(
    base: &toml::Table,
    base_shown: &str,
    pairs: &[(String, Value)],
) -> Result<Scenario, ScenarioError> {
    let mut doc = base.clone();
    for (path, v) in pairs {
        set_path(&mut doc, path, v.clone()).map_err(|m| ScenarioError::file(base_shown, m))?;
    }
    let text = toml::to_string(&doc).expect("a TOML table serialises");
    // A sweep reports summaries per variant; a time series would be recorded for nothing.
    scenario::parse(base_shown, &text).map(|mut sc| {
        sc.spec.timeseries = None;
        sc
    })
}

/// Reads `path` and its base scenario and checks the design (see the module docs).
pub fn load(path: &Path) -> Result<Sweep, ScenarioError> {
    let shown_path = path.display().to_string();
    let src = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::file(&shown_path, format!("cannot read the sweep: {e}")))?;
    let file: SweepFile =
        toml::from_str(&src).map_err(|e| scenario::toml_error(&shown_path, &src, &e))?;
    let base_path = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(file.base.get_ref());
    let base_src = std::fs::read_to_string(&base_path).map_err(|e| {
        ScenarioError::at(
            &shown_path,
            &src,
            file.base.span(),
            format!("cannot read the base scenario {}: {e}", base_path.display()),
        )
    })?;
    let base_shown = base_path.display().to_string();
    checked(file, shown_path, src, base_shown, base_src)
}

/// A sweep from its text `src` (shown as `shown_path`) over the base scenario text
/// `base_src` (shown as `base_shown`), whatever the file's `base` says: for front ends
/// that hold both in memory.
pub fn parse(
    shown_path: &str,
    src: &str,
    base_shown: &str,
    base_src: &str,
) -> Result<Sweep, ScenarioError> {
    let file: SweepFile =
        toml::from_str(src).map_err(|e| scenario::toml_error(shown_path, src, &e))?;
    checked(
        file,
        shown_path.to_string(),
        src.to_string(),
        base_shown.to_string(),
        base_src.to_string(),
    )
}

/// Checks the design of a parsed sweep file over its base scenario.
fn checked(
    file: SweepFile,
    shown_path: String,
    src: String,
    base_shown: String,
    base_src: String,
) -> Result<Sweep, ScenarioError> {
    let err = |span: Range<usize>, msg: String| ScenarioError::at(&shown_path, &src, span, msg);
    let base_sc = scenario::parse(&base_shown, &base_src)?;
    let base: toml::Table = toml::from_str(&base_src).expect("the base scenario parsed above");
    // Each axis's paths: its own, or those of its `[linked]` entry.
    let mut used = Vec::new();
    let mut edits_of = |key: &Spanned<String>| -> Result<Edits, ScenarioError> {
        let name = key.get_ref();
        match file.linked.iter().find(|(n, _)| n.get_ref() == name) {
            None => Ok(vec![(name.clone(), Edit::Set)]),
            Some((n, link)) => {
                used.push(n.get_ref().clone());
                linked_edits(link, &base, &err)
            }
        }
    };
    // One value alone on the base: every path must exist, change the model, and keep the
    // scenario valid.
    let check =
        |key: &Spanned<String>, edits: &Edits, v: &Spanned<Value>| -> Result<(), ScenarioError> {
            if edits.iter().any(|(_, e)| *e != Edit::Set) && as_number(v.get_ref()).is_none() {
                return Err(err(
                    v.span(),
                    format!(
                        "`{}` scales its paths: its values must be numbers",
                        shown(key.get_ref())
                    ),
                ));
            }
            let pairs = applied(edits, v.get_ref());
            for (p, x) in &pairs {
                set_path(&mut base.clone(), p, x.clone()).map_err(|m| err(key.span(), m))?;
                if let Some(why) = no_effect(p, &base_sc) {
                    return Err(err(key.span(), why));
                }
            }
            compile_with(&base, &base_shown, &pairs)
                .map(|_| ())
                .map_err(|e| {
                    err(
                        v.span(),
                        format!(
                            "`{} = {}` makes the base scenario invalid: {}",
                            shown(key.get_ref()),
                            shown(src.get(v.span()).unwrap_or_default()),
                            e.message
                        ),
                    )
                })
        };
    let seed_for_design = file
        .seed
        .as_ref()
        .map_or(base_sc.seed, |s| (*s.get_ref()).max(0) as u64);
    let mut edits = Vec::new();
    let (axes, design, variants, design_span) = match (&file.grid, &file.lhs) {
        (Some(g), None) => {
            let mut axes = Vec::new();
            let mut count: usize = 1;
            for (key, values) in g.get_ref() {
                if values.get_ref().is_empty() {
                    return Err(err(
                        values.span(),
                        format!("axis `{}` has no values; give at least one", key.get_ref()),
                    ));
                }
                let e = edits_of(key)?;
                for v in values.get_ref() {
                    check(key, &e, v)?;
                }
                edits.push(e);
                count = count.saturating_mul(values.get_ref().len());
                let plain = values.get_ref().iter().map(|v| v.get_ref().clone());
                axes.push((key.get_ref().clone(), plain.collect()));
            }
            if axes.is_empty() {
                return Err(err(
                    g.span(),
                    "the [grid] has no axes; add one, e.g. \"resources.suite.capacity\" = [4, 6]"
                        .into(),
                ));
            }
            if count > MAX_VARIANTS {
                return Err(err(
                    g.span(),
                    format!(
                        "the grid has {count} variants (the product of the axes' lengths); at most {MAX_VARIANTS}: split it into several sweeps or use [lhs]"
                    ),
                ));
            }
            (axes, Design::Grid, count, g.span())
        }
        (None, Some(l)) => {
            let samples = l.get_ref().samples.get_ref();
            let n = match usize::try_from(*samples) {
                Ok(n) if (1..=MAX_VARIANTS).contains(&n) => n,
                _ => {
                    return Err(err(
                        l.get_ref().samples.span(),
                        format!("samples must be from 1 to {MAX_VARIANTS}, not {samples}"),
                    ));
                }
            };
            let mut columns = Vec::new();
            for (key, range) in &l.get_ref().ranges {
                let r = range.get_ref();
                let (Some(lo), Some(hi)) = (as_number(r.min.get_ref()), as_number(r.max.get_ref()))
                else {
                    return Err(err(range.span(), "min and max must be numbers".into()));
                };
                if lo > hi {
                    return Err(err(
                        range.span(),
                        format!("min ({lo}) must not exceed max ({hi})"),
                    ));
                }
                let e = edits_of(key)?;
                check(key, &e, &r.min)?;
                check(key, &e, &r.max)?;
                edits.push(e);
                let whole = r.min.get_ref().is_integer() && r.max.get_ref().is_integer();
                let values = lhs_column(n, lo, hi, whole, seed_for_design, key.get_ref());
                columns.push((key.get_ref().clone(), values));
            }
            if columns.is_empty() {
                return Err(err(l.span(), "[lhs.ranges] has no axes; add one, e.g. \"resources.suite.capacity\" = { min = 4, max = 8 }".into()));
            }
            (columns, Design::Columns, n, l.span())
        }
        (Some(g), Some(_)) => {
            return Err(err(
                g.span(),
                "give either [grid] or [lhs], not both".into(),
            ));
        }
        (None, None) => {
            return Err(err(
                0..0,
                "the sweep needs a [grid] or an [lhs] table of axes".into(),
            ));
        }
    };
    if let Some((name, _)) = file
        .linked
        .iter()
        .find(|(n, _)| !used.contains(n.get_ref()))
    {
        return Err(err(
            name.span(),
            format!(
                "`{}` is declared in [linked] but is no axis of the design: add it to [grid] or [lhs.ranges], or remove it",
                shown(name.get_ref())
            ),
        ));
    }
    let replications = match &file.replications {
        None => base_sc.replications,
        Some(r) => match u64::try_from(*r.get_ref()) {
            Ok(n) if (1..=limits::MAX_REPLICATIONS).contains(&n) => n,
            _ => {
                return Err(err(
                    r.span(),
                    format!(
                        "replications must be from 1 to {}, not {}",
                        limits::MAX_REPLICATIONS,
                        r.get_ref()
                    ),
                ));
            }
        },
    };
    let seed = match &file.seed {
        None => base_sc.seed,
        Some(s) if *s.get_ref() >= 0 => *s.get_ref() as u64,
        Some(s) => return Err(err(s.span(), "the seed must be a whole number >= 0".into())),
    };
    // The sweep file, the base scenario and every file it read (arrival logs): a resumed
    // sweep trusts only results of exactly these inputs.
    let mut inputs = [src.as_bytes(), b"\0", base_src.as_bytes()].concat();
    for (_, sha) in &base_sc.inputs {
        inputs.extend(b"\0");
        inputs.extend(sha.as_bytes());
    }
    let sha256 = format!("{:x}", Sha256::digest(inputs));
    Ok(Sweep {
        axes,
        edits,
        design,
        variants,
        base,
        base_shown,
        replications,
        seed,
        sha256,
        file: (shown_path, src.clone(), design_span),
    })
}

/// Why setting `path` would not change the model, if it would not.
fn no_effect(path: &str, base: &Scenario) -> Option<String> {
    if path == "simulation.replications" {
        return Some("a sweep runs the `replications` of the sweep file (default: the base scenario's), so this axis would change nothing; set replications in the sweep file".into());
    }
    if path == "simulation.timeseries" {
        return Some("a sweep writes summaries per variant, not time series, so this axis would change nothing; run a variant with `cgtsim run --timeseries`".into());
    }
    if path == "simulation.seed" {
        return Some("every variant of a sweep uses the sweep's seed (common random numbers), so this axis would change nothing; set seed in the sweep file, or run the sweep once per seed".into());
    }
    let name = path.strip_prefix("resources.")?.strip_suffix(".capacity")?;
    let r = base.spec.resources.iter().find(|r| r.name == name)?;
    match &r.calendar {
        Some(c) if !c.follows_capacity() => Some(format!(
            "every shift of `{name}` states its own capacity, so its capacity would change only the utilisation's denominator, not what is available; leave out `capacity` on the shifts that all units work (they then follow the resource's capacity)"
        )),
        _ => None,
    }
}

/// Outcome of a sweep run.
pub struct Outcome {
    pub ran: usize,
    pub skipped: usize,
    /// Variants whose stored block was cut short or altered, and that ran again.
    pub damaged: usize,
    pub events: u64,
}

/// Variants compiled and run together; later ones are compiled when their turn comes.
const BLOCK: usize = 256;

/// Runs the variants of shard `shard` (`(k, n)`, 1-based; `None`: all) not yet in `dir`,
/// storing each as it finishes; without shards, then assembles `results.csv`.
/// `progress` is called after every replication. The first failure (a block that cannot
/// be written, a variant that cannot run) or `interrupted` (checked before each
/// replication) stops the sweep; what was stored stays.
pub fn run(
    sweep: &Sweep,
    dir: &Path,
    shard: Option<(usize, usize)>,
    interrupted: &AtomicBool,
    progress: impl Fn() + Sync,
) -> Result<Outcome, SweepError> {
    let vdir = dir.join("variants");
    std::fs::create_dir_all(&vdir)
        .map_err(|e| SweepError::Io(format!("cannot create {}: {e}", vdir.display())))?;
    let axes: Vec<String> = sweep.axes.iter().map(|(p, _)| p.clone()).collect();
    let manifest = serde_json::json!({
        "sweep_sha256": sweep.sha256,
        "variants": sweep.len(),
        "shards": shard.map_or(1, |s| s.1),
        "replications": sweep.replications,
        "seed": sweep.seed,
        "axes": axes,
    });
    write_manifest(dir, &manifest)?;
    store::parts(&vdir)?; // refuses an earlier cgtsim's layout
    let (k, n) = shard.unwrap_or((1, 1));
    let (writer, found) = part::Writer::open(&vdir, (k, n), &store::header(&axes), &sweep.sha256)?;
    let mut done = vec![false; sweep.len()];
    for b in &found.blocks {
        if let Some(d) = done.get_mut(b.variant) {
            *d = true;
        }
    }
    store::indexed_elsewhere(&vdir, n, &mut done)?;
    let mine = |v: usize| v % n == k - 1;
    let todo: Vec<usize> = (0..sweep.len()).filter(|&v| mine(v) && !done[v]).collect();
    let skipped = (0..sweep.len()).filter(|&v| mine(v) && done[v]).count();
    let damaged = (found.dropped.iter())
        .filter(|&&v| mine(v) && done.get(v) == Some(&false))
        .count();
    tracing::info!(
        "{}: {} variants to run, {skipped} already done{}",
        writer.path().display(),
        todo.len(),
        match damaged {
            0 => String::new(),
            n => format!(", {n} cut short or altered (run again)"),
        }
    );
    let writer = Mutex::new(writer);
    let events = AtomicU64::new(0);
    let stored = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<SweepError>> = Mutex::new(None);
    let fail = |e: SweepError| {
        stop.store(true, Ordering::Relaxed);
        failure.lock().expect("no panics here").get_or_insert(e);
    };
    for block in todo.chunks(BLOCK) {
        let compiled: Result<Vec<Scenario>, ScenarioError> =
            block.par_iter().map(|&v| sweep.scenario(v)).collect();
        let compiled = compiled.map_err(|e| SweepError::Usage(e.to_string()))?;
        let positions: Vec<usize> = (0..block.len()).collect();
        let prepared: Vec<_> = compiled.iter().map(|c| Prepared::new(&c.spec)).collect();
        run_variants(
            &positions,
            sweep.replications,
            sweep.seed,
            |i, _, streams| {
                if stop.load(Ordering::Relaxed) || interrupted.load(Ordering::Relaxed) {
                    return None;
                }
                let outcome = match &prepared[i] {
                    Ok(p) => p.run(streams),
                    Err(e) => Err(e.clone()),
                };
                progress();
                match outcome {
                    Ok(rep) => {
                        events.fetch_add(rep.events, Ordering::Relaxed);
                        Some(rep.values)
                    }
                    Err(e) => {
                        fail(SweepError::Usage(format!("variant {}: {e}", block[i])));
                        None
                    }
                }
            },
            // Each metric's moments over the replications so far (NaN values, such as a
            // mean over no patients, are skipped); none once a replication did not run.
            |i| Some(vec![Welford::new(); metric_names(&compiled[i].spec).len()]),
            |moments: &mut Option<Vec<Welford>>, _, values: Option<Vec<f64>>| match (
                moments.as_mut(),
                values,
            ) {
                (Some(m), Some(values)) => {
                    debug_assert_eq!(m.len(), values.len(), "a value per metric");
                    for (m, x) in m.iter_mut().zip(values) {
                        if !x.is_nan() {
                            m.record(x);
                        }
                    }
                }
                _ => *moments = None,
            },
            |i, moments| {
                if let Ok(p) = &prepared[i] {
                    p.release_kernels();
                }
                let Some(moments) = moments else {
                    return; // stopped: nothing whole to store
                };
                let v = block[i];
                tracing::debug!("variant {v} done ({} replications)", sweep.replications);
                let rows = variant_rows(sweep, v, &compiled[i], &moments);
                let mut w = writer.lock().expect("no panics here");
                match w.append(v, &rows, &sweep.sha256) {
                    Ok(()) => {
                        stored.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => fail(SweepError::Io(format!(
                        "cannot write {}: {e}; the sweep stopped (finished variants are kept: run the same command again to go on)",
                        w.path().display()
                    ))),
                }
            },
        );
        if failure.lock().expect("no panics here").is_some() || interrupted.load(Ordering::Relaxed)
        {
            break;
        }
    }
    let mut writer = writer.into_inner().expect("no panics here");
    let synced = writer
        .sync()
        .map_err(|e| SweepError::Io(format!("cannot write {}: {e}", writer.path().display())));
    if let Some(e) = failure.into_inner().expect("no panics here") {
        return Err(e);
    }
    synced?;
    let stored = stored.into_inner();
    if interrupted.load(Ordering::Relaxed) {
        return Err(SweepError::Interrupted(format!(
            "interrupted: {stored} of the {} variants to run stored in {} ({} still to run); run the same command again to go on",
            todo.len(),
            writer.path().display(),
            todo.len() - stored
        )));
    }
    drop(writer); // unlocks the part before a merge reads it
    if shard.is_none() {
        merge(dir)?;
    }
    Ok(Outcome {
        ran: todo.len(),
        skipped,
        damaged,
        events: events.into_inner(),
    })
}

/// Parses `K/N` (1 <= K <= N).
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || {
        format!(
            "--shard takes K/N with 1 <= K <= N (e.g. 3/8), not `{}`",
            shown(s)
        )
    };
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

/// One variant's rows (each ending in a newline): variant, axis values, then
/// `store::header`'s columns (metric, unit, mean, sd, CI, n, replications, seed), from
/// each metric's moments over the replications.
fn variant_rows(sweep: &Sweep, v: usize, sc: &Scenario, moments: &[Welford]) -> String {
    let combo = sweep.values(v);
    let metrics: Vec<Metric> = metric_names(&sc.spec);
    let mut w = csv::Writer::from_writer(Vec::new());
    let num = |x: f64| {
        if x.is_nan() {
            String::new()
        } else {
            format!("{x}")
        }
    };
    for (metric, m) in metrics.iter().zip(moments) {
        let e = Estimate::of_moments(m);
        let mut row = vec![v.to_string()];
        row.extend(combo.iter().map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }));
        row.extend([
            metric.name.clone(),
            metric.unit.label(&sc.spec).into(),
            num(e.mean),
            num(e.sd),
            num(e.ci95()[0]),
            num(e.ci95()[1]),
            e.n.to_string(),
            sweep.replications.to_string(),
            sweep.seed.to_string(),
        ]);
        w.write_record(&row).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_variants_walk_the_cartesian_product_last_axis_fastest() {
        let axes = vec![
            ("a".to_string(), vec![Value::Integer(1), Value::Integer(2)]),
            (
                "b".to_string(),
                vec![Value::Integer(10), Value::Integer(20), Value::Integer(30)],
            ),
        ];
        let sweep = Sweep {
            axes,
            edits: Vec::new(),
            design: Design::Grid,
            variants: 6,
            base: toml::Table::new(),
            base_shown: String::new(),
            replications: 1,
            seed: 1,
            sha256: String::new(),
            file: (String::new(), String::new(), 0..0),
        };
        let all: Vec<Vec<Value>> = (0..6).map(|v| sweep.values(v)).collect();
        assert_eq!(all[1], vec![Value::Integer(1), Value::Integer(20)]);
        assert_eq!(all[5], vec![Value::Integer(2), Value::Integer(30)]);
        let mut unique = all.clone();
        unique.dedup();
        assert_eq!(unique.len(), 6);
    }
}
