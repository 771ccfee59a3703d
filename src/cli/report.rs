//! Results as people and programs read them: a table for the terminal here, and the
//! files of `--out` (`files`): `summary.json`, `summary.csv`, a tidy `replications.csv`
//! (one row per replication x metric), `costs.csv` and `timeseries.csv`; and the HTML
//! report built from those files (`html`, `charts`, `svg`).
//!
//! Every output carries the run's provenance: cgtsim's version, the scenario's path and
//! SHA-256, the seed, the replications, the events processed and the wall time. In the
//! CSV files these are constant columns, so files of many runs concatenate into one
//! table. Files are written atomically (a temporary file, then a rename).

mod charts;
#[cfg(feature = "parquet")]
mod columnar;
mod costs;
mod files;
mod grid;
mod html;
mod sites;
mod sizing;
mod svg;

pub use files::{
    PROVENANCE_COLUMNS, ReplicationRows, SERIES_FILE, check_writable, parquet_file, provenance_row,
    series_csv, summary_csv, summary_json, write_atomic, write_atomic_with, write_files,
};
pub use grid::sweep_page;
pub use html::{Sources, page};
pub use sizing::{SizeCandidate, SizeReport, SizeTarget, size_page};

use crate::experiment::Estimate;
use crate::model::metrics::{
    BookingStat, MilestoneStat, PatientStat, StepStat, StockStat, hazard_outcomes,
};
use crate::model::{Distribution, Key, Metric, Spec, slug};
use std::fmt::Write as _;

/// Where a run came from and what it cost.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub scenario_path: String,
    pub scenario_sha256: String,
    /// The files the scenario read (arrival logs): path and SHA-256.
    pub inputs: Vec<(String, String)>,
    pub seed: u64,
    pub replications: u64,
    pub threads: usize,
    pub events: u64,
    pub wall_time_s: f64,
}

/// A run's metrics summarised over its replications (each replication's own values go
/// to `replications.csv` as they end: see [`ReplicationRows`]).
pub struct Results {
    pub metrics: Vec<Metric>,
    pub estimates: Vec<Estimate>,
    /// Percentiles pooled over every replication's patients, by metric name (see
    /// [`pooled_percentiles`](crate::model::pooled_percentiles)).
    pub pooled: Vec<(String, f64)>,
    /// The same pooled times read at every percent (for the report's ECDFs).
    pub distributions: Vec<Distribution>,
}

/// The resource that held requests back most, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Bottleneck {
    pub name: String,
    /// Its share of all waiting charged to resources.
    pub share: f64,
    /// The part of its charged waiting that fell while its calendar was closed.
    pub closed: f64,
    /// Waiting charged to it per grant, in days.
    pub days_per_grant: f64,
}

/// Waiting charged to a resource below this per grant (one hour) is negligible: no
/// bottleneck is named.
pub const NEGLIGIBLE_WAIT_DAYS: f64 = 1.0 / 24.0;

impl Results {
    /// The metrics (in the order of `metric_names`) with their estimates.
    pub fn new(
        metrics: Vec<Metric>,
        estimates: Vec<Estimate>,
        pooled: Vec<(String, f64)>,
        distributions: Vec<Distribution>,
    ) -> Results {
        debug_assert_eq!(metrics.len(), estimates.len(), "one estimate per metric");
        Results {
            metrics,
            estimates,
            pooled,
            distributions,
        }
    }

    /// The estimate of the metric called `name`.
    pub fn get(&self, name: &str) -> Option<&Estimate> {
        self.metrics
            .iter()
            .position(|m| m.name == name)
            .map(|i| &self.estimates[i])
    }

    /// The estimate of metric `key` of `spec`.
    pub fn at(&self, spec: &Spec, key: Key) -> Option<&Estimate> {
        self.get(&key.name(spec))
    }

    /// The pooled percentile of the metric called `name`, if it is one.
    pub fn pooled(&self, name: &str) -> Option<f64> {
        self.pooled.iter().find(|(n, _)| n == name).map(|p| p.1)
    }

    fn mean(&self, name: &str) -> f64 {
        self.get(name).map_or(f64::NAN, |e| e.mean)
    }

    /// The resource with the largest share of the waiting charged to resources, unless
    /// the waits charged to it are negligible (under [`NEGLIGIBLE_WAIT_DAYS`] per grant).
    pub fn bottleneck(&self, spec: &Spec) -> Option<Bottleneck> {
        let window_days = self
            .get("run.days")
            .map_or(spec.horizon.as_days(), |e| e.mean);
        spec.resources
            .iter()
            .map(|r| {
                let base = format!("resources.{}", slug(&r.name));
                let busy = self.mean(&format!("{base}.held_back.busy"));
                let closed = self.mean(&format!("{base}.held_back.closed"));
                let grants = self.mean(&format!("{base}.grants"));
                Bottleneck {
                    name: r.name.clone(),
                    share: self.mean(&format!("{base}.waiting_share")),
                    closed: closed / (busy + closed),
                    days_per_grant: (busy + closed) * window_days / grants,
                }
            })
            .filter(|b| b.share > 0.0 && b.days_per_grant >= NEGLIGIBLE_WAIT_DAYS)
            .max_by(|a, b| a.share.total_cmp(&b.share))
    }

    /// Products whose work in progress grew over the window: arrivals exceeded
    /// departures by more than 5 % of arrivals (and 2 patients), with 95 % confidence.
    /// Their results depend on the horizon; the system may be unstable.
    pub fn growing(&self, spec: &Spec) -> Vec<String> {
        spec.products
            .iter()
            .filter(|p| p.allogeneic.is_none())
            .filter(|p| {
                let base = format!("products.{}", slug(&p.name));
                let (Some(g), Some(a)) = (
                    self.get(&format!("{base}.wip_growth")),
                    self.get(&format!("{base}.arrived")),
                ) else {
                    return false;
                };
                g.n > 1 && g.ci95()[0] > 0.0 && g.mean > (0.05 * a.mean).max(2.0)
            })
            .map(|p| p.name.clone())
            .collect()
    }
}

pub(crate) fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if x.abs() >= 1000.0 {
        format!("{x:.0}")
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

fn fmt_ci(e: &Estimate) -> String {
    if e.half_width.is_nan() {
        "-".into()
    } else {
        format!("[{}, {}]", fmt_num(e.ci95()[0]), fmt_num(e.ci95()[1]))
    }
}

const AUTOLOGOUS_ROWS: [(&str, PatientStat); 14] = [
    ("arrived", PatientStat::Arrived),
    ("completed", PatientStat::Completed),
    ("lost (failures)", PatientStat::Lost),
    ("dropped out", PatientStat::DroppedOut),
    ("in progress at end", PatientStat::WipEnd),
    ("in progress, time average", PatientStat::WipMean),
    ("growth of work in progress", PatientStat::WipGrowth),
    ("queue time, all who left (d)", PatientStat::WaitingMeanAll),
    (
        "queue time, completed (d)",
        PatientStat::WaitingMeanCompleted,
    ),
    ("completed per year", PatientStat::CompletedPerYear),
    ("vein-to-vein mean (d)", PatientStat::V2vMean),
    ("vein-to-vein p50 (d)", PatientStat::V2vP50),
    ("vein-to-vein p90 (d)", PatientStat::V2vP90),
    ("vein-to-vein p95 (d)", PatientStat::V2vP95),
];

const ALLOGENEIC_ROWS: [(&str, StockStat); 19] = [
    ("orders", StockStat::OrdersArrived),
    ("fill rate (from stock)", StockStat::OrdersFillRate),
    ("backordered", StockStat::OrdersBackordered),
    (
        "backorder wait mean (d)",
        StockStat::OrdersBackorderWaitMean,
    ),
    ("orders lost", StockStat::OrdersLost),
    ("orders infused", StockStat::OrdersInfused),
    ("order-to-infusion mean (d)", StockStat::OrderToInfusionMean),
    ("order-to-infusion p50 (d)", StockStat::OrderToInfusionP50),
    ("order-to-infusion p90 (d)", StockStat::OrderToInfusionP90),
    ("order-to-infusion p95 (d)", StockStat::OrderToInfusionP95),
    ("batches started per year", StockStat::BatchesStartedPerYear),
    (
        "batches released per year",
        StockStat::BatchesReleasedPerYear,
    ),
    ("batches failed per year", StockStat::BatchesFailedPerYear),
    ("doses released", StockStat::DosesReleased),
    ("doses used", StockStat::DosesUsed),
    ("doses expired", StockStat::DosesExpired),
    ("doses not stored (full)", StockStat::DosesDiscarded),
    ("mean stock (doses)", StockStat::StockMean),
    ("stock-outs", StockStat::StockStockouts),
];

/// The waiting and working time of each step of a chain.
fn step_table(s: &mut String, res: &Results, spec: &Spec, chain: (usize, bool), title: &str) {
    let (product, delivery) = chain;
    let p = &spec.products[product];
    let steps = match (&p.allogeneic, delivery) {
        (Some(a), true) => &a.delivery,
        _ => &p.steps,
    };
    if steps.is_empty() {
        return;
    }
    let _ = writeln!(s, "  {title}");
    let _ = writeln!(s, "    {:<28} {:>9} {:>9}", "step", "waiting", "working");
    for (step, st) in steps.iter().enumerate() {
        let at = |stat| {
            res.at(
                spec,
                Key::Step {
                    product,
                    delivery,
                    step,
                    stat,
                },
            )
        };
        if let (Some(w), Some(x)) = (at(StepStat::WaitMean), at(StepStat::WorkMean)) {
            let _ = writeln!(
                s,
                "    {:<28} {:>9} {:>9}",
                st.name,
                fmt_num(w.mean),
                fmt_num(x.mean)
            );
        }
    }
}

/// The readable table.
pub fn table(spec: &Spec, res: &Results, prov: &Provenance) -> String {
    let mut s = String::new();
    let sha = &prov.scenario_sha256[..12.min(prov.scenario_sha256.len())];
    let _ = writeln!(
        s,
        "cgtsim {} | {} (sha256 {sha}...) | seed {} | {} replications",
        env!("CARGO_PKG_VERSION"),
        prov.scenario_path,
        prov.seed,
        prov.replications
    );
    let length = match res.get("run.days") {
        Some(e) => format!(
            "until empty: {} d {} (horizon {} d as the cap)",
            fmt_num(e.mean),
            fmt_ci(e),
            fmt_num(spec.horizon.as_days())
        ),
        None => format!("horizon {} d", fmt_num(spec.horizon.as_days())),
    };
    let _ = writeln!(
        s,
        "warm-up {} d, {length} | {} events in {:.2} s ({:.1} million events/s, threads: {})",
        fmt_num(spec.warmup.as_days()),
        prov.events,
        prov.wall_time_s,
        prov.events as f64 / prov.wall_time_s.max(1e-9) / 1e6,
        prov.threads
    );
    let _ = writeln!(
        s,
        "Means over replications with 95 % confidence intervals (Student t)."
    );
    for (pi, p) in spec.products.iter().enumerate() {
        let rows: Vec<(&str, Key)> = match p.allogeneic {
            Some(_) => ALLOGENEIC_ROWS
                .iter()
                .map(|&(label, stat)| (label, Key::Stock(pi, stat)))
                .collect(),
            None => AUTOLOGOUS_ROWS
                .iter()
                .map(|&(label, stat)| (label, Key::Patients(pi, stat)))
                .collect(),
        };
        let kind = if p.allogeneic.is_some() {
            "allogeneic, made to stock"
        } else {
            "autologous"
        };
        let _ = writeln!(s, "\nProduct {} ({kind})", p.name);
        for (label, key) in rows {
            let name = key.name(spec);
            let Some(e) = res.get(&name) else { continue };
            match res.pooled(&name) {
                // A percentile: the pooled value first, then the per-replication spread.
                Some(p) => {
                    let _ = writeln!(
                        s,
                        "  {label:<28} {:>10}  pooled; per replication {} {}",
                        fmt_num(p),
                        fmt_num(e.mean),
                        fmt_ci(e)
                    );
                }
                None => {
                    let _ = writeln!(s, "  {label:<28} {:>10}  {}", fmt_num(e.mean), fmt_ci(e));
                }
            }
        }
        outcome_rows(&mut s, res, spec, pi);
        sites::site_table(&mut s, res, spec, pi);
        let (title, per) = match p.allogeneic {
            None => ("vein-to-vein by step", "completed patient"),
            Some(_) => ("batch chain by step", "released batch"),
        };
        step_table(
            &mut s,
            res,
            spec,
            (pi, false),
            &format!("{title} (mean days per {per}):"),
        );
        if p.allogeneic.is_some() {
            step_table(
                &mut s,
                res,
                spec,
                (pi, true),
                "delivery by step (mean days per infused order):",
            );
        }
    }
    let _ = writeln!(s, "\nResources");
    let w = spec
        .resources
        .iter()
        .map(|r| r.name.len())
        .fold(16, usize::max);
    let _ = writeln!(
        s,
        "  {:<w$} {:>11} {:>10} {:>8} {:>10} {:>10} {:>10} {:>9} {:>9}",
        "resource",
        "utilisation",
        "of avail.",
        "working",
        "mean queue",
        "wait, served",
        "wait, all",
        "held: busy",
        "closed"
    );
    for r in &spec.resources {
        let base = format!("resources.{}", slug(&r.name));
        let m = |k: &str| res.mean(&format!("{base}.{k}"));
        let _ = writeln!(
            s,
            "  {:<w$} {:>11} {:>10} {:>8} {:>10} {:>12} {:>10} {:>10} {:>9}",
            r.name,
            fmt_num(m("utilisation")),
            fmt_num(m("utilisation_available")),
            fmt_num(m("utilisation_working")),
            fmt_num(m("queue.mean")),
            fmt_num(m("wait.mean")),
            fmt_num(m("wait.mean_all")),
            fmt_num(m("held_back.busy")),
            fmt_num(m("held_back.closed"))
        );
    }
    let _ = writeln!(
        s,
        "  (waits in days: served = per grant, all = granted and withdrawn; held = requests held back\n   on average by this resource, the last one each waited for: while open and busy, while closed)"
    );
    if spec.products.len() > 1 {
        let _ = writeln!(
            s,
            "\n  utilisation by product (units held, changeover excluded, / capacity):"
        );
        let _ = write!(s, "  {:<w$}", "resource");
        for p in &spec.products {
            let _ = write!(s, " {:>14}", p.name);
        }
        let _ = writeln!(s);
        for r in &spec.resources {
            let _ = write!(s, "  {:<w$}", r.name);
            for p in &spec.products {
                let key = format!(
                    "resources.{}.utilisation.by_product.{}",
                    slug(&r.name),
                    slug(&p.name)
                );
                let _ = write!(
                    s,
                    " {:>14}",
                    fmt_num(res.get(&key).map_or(f64::NAN, |e| e.mean))
                );
            }
            let _ = writeln!(s);
        }
    }
    costs::cost_table(&mut s, res, spec);
    for sl in &spec.slots {
        let _ = writeln!(s, "\nSlots {}", sl.name);
        let base = format!("slots.{}", slug(&sl.name));
        for (label, key) in [
            ("released", "released"),
            ("patients waiting for one", "joined"),
            ("allocated", "allocated"),
            ("share of patients served", "share"),
            ("used", "used"),
            ("given back", "returned"),
            ("wasted (expired)", "wasted"),
            ("open at the end", "open_end"),
            ("waiting, time average", "waiting.mean"),
            ("wait to allocation (d)", "wait.mean"),
        ] {
            if let Some(e) = res.get(&format!("{base}.{key}")) {
                let _ = writeln!(s, "  {label:<28} {:>10}  {}", fmt_num(e.mean), fmt_ci(e));
            }
        }
    }
    match res.bottleneck(spec) {
        Some(b) => {
            let _ = writeln!(
                s,
                "\nBottleneck: {} ({:.0} % of the waiting charged to resources, {:.2} d per grant; {:.0} % of it while closed)",
                b.name,
                b.share * 100.0,
                b.days_per_grant,
                b.closed * 100.0
            );
        }
        None => {
            let _ = writeln!(
                s,
                "\nBottleneck: none (no resource held requests back an hour per grant or more)"
            );
        }
    }
    for p in res.growing(spec) {
        let _ = writeln!(
            s,
            "\nWarning: work in progress of `{p}` was still growing at the end of the run (arrivals exceeded departures with 95 % confidence): the system may be overloaded, and its results depend on the horizon"
        );
    }
    let _ = writeln!(
        s,
        "\nPercentiles (p50, p90, p95) pool every patient of every replication; the bracket is the\nmean and 95 % CI of the per-replication percentiles."
    );
    s
}

/// A product's hazard outcomes (by cause, then by step), bookings and milestones, if it
/// has any.
fn outcome_rows(s: &mut String, res: &Results, spec: &Spec, product: usize) {
    let row = |s: &mut String, label: &str, key: Key| {
        let name = key.name(spec);
        if let Some(e) = res.get(&name) {
            let shown = match res.pooled(&name) {
                Some(v) => format!(
                    "{:>10}  pooled; per replication {} {}",
                    fmt_num(v),
                    fmt_num(e.mean),
                    fmt_ci(e)
                ),
                None => format!("{:>10}  {}", fmt_num(e.mean), fmt_ci(e)),
            };
            let _ = writeln!(s, "  {label:<28} {shown}");
        }
    };
    let p = &spec.products[product];
    for (cause, (name, steps)) in hazard_outcomes(p).into_iter().enumerate() {
        let at = |step| Key::Hazard {
            product,
            cause,
            step,
        };
        row(s, &format!("{name} (hazard)"), at(None));
        for st in steps {
            row(s, &format!("  in {}", p.steps[st].name), at(Some(st)));
        }
    }
    for (step, st) in p.steps.iter().enumerate() {
        if st.booking.is_none() {
            continue;
        }
        let _ = writeln!(s, "  bookings of {}:", st.name);
        for (stat, label) in [
            (BookingStat::Requested, "requested"),
            (BookingStat::OnTime, "booked by the deadline"),
            (BookingStat::Late, "booked late"),
            (BookingStat::Refused, "refused"),
            (BookingStat::Cancelled, "cancelled (left before)"),
            (BookingStat::LeadMean, "request to window (d)"),
        ] {
            let key = Key::Booking {
                product,
                step,
                stat,
            };
            row(s, &format!("  {label}"), key);
        }
    }
    for (milestone, m) in p.milestones.iter().enumerate() {
        let at = |stat| Key::Milestone {
            product,
            milestone,
            stat,
        };
        for (stat, label) in [
            (MilestoneStat::Mean, "mean"),
            (MilestoneStat::P50, "p50"),
            (MilestoneStat::P90, "p90"),
            (MilestoneStat::P95, "p95"),
        ] {
            row(s, &format!("{} {label} (d)", m.name), at(stat));
        }
        if let Some(d) = m.deadline {
            let label = format!("{} within {} d", m.name, fmt_num(d.as_days()));
            row(s, &label, at(MilestoneStat::OnTime));
        }
    }
}
