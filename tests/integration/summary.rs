//! Replications summarised as they end (`simulate_each`): run in blocks, added in
//! replication order, so the figures are those of every replication kept, bit for bit, on
//! any number of threads; the time series of runs that end early; `run --out` streaming
//! `replications.csv` and leaving no temporary behind.

use cgtsim::cli::scenario;
use cgtsim::engine::Welford;
use cgtsim::experiment::{Estimate, simulate, simulate_each};
use cgtsim::model::{metric_names, series_names};

/// An M/M/5 queue over 20 days: short enough to run thousands of replications, so that
/// they span several blocks (at most 1,024 replications each).
const SHORT_MMC: &str = r#"[simulation]
horizon = "20d"
replications = 2500
seed = 11

[resources]
server = { capacity = 5 }

[[products]]
name = "mmc"
type = "autologous"
arrivals = { rate = 4.5, per = "day" }

  [[products.steps]]
  name = "service"
  uses = ["server"]
  duration = { exponential = { mean = "1d" } }
"#;

fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

fn bits(e: &Estimate) -> [u64; 4] {
    [
        e.n as u64,
        e.mean.to_bits(),
        e.sd.to_bits(),
        e.half_width.to_bits(),
    ]
}

#[test]
fn blocks_of_replications_give_the_figures_of_all_of_them_kept() {
    let sc = scenario::parse("mmc.toml", SHORT_MMC).unwrap();
    let n = sc.replications;
    let mut want = None;
    for threads in [1, 2, 3] {
        let mut seen = Vec::new();
        let summary = on_threads(threads, || {
            simulate_each(
                &sc.spec,
                sc.seed,
                n,
                || {},
                || false,
                |r, rep| seen.push((r, rep)),
            )
        })
        .unwrap();
        // Every replication once, in order, without its sketches.
        assert!(seen.iter().enumerate().all(|(i, (r, _))| *r == i as u64));
        assert_eq!(seen.len() as u64, n);
        assert!(seen.iter().all(|(_, rep)| rep.tails.is_empty()));
        assert_eq!(summary.replications(), n);
        assert_eq!(
            summary.events(),
            seen.iter().map(|(_, rep)| rep.events).sum::<u64>()
        );
        // Each metric's estimate is that of its values in replication order.
        let estimates = summary.estimates();
        assert_eq!(estimates.len(), metric_names(&sc.spec).len());
        for (m, e) in estimates.iter().enumerate() {
            let values: Vec<f64> = seen.iter().map(|(_, rep)| rep.values[m]).collect();
            assert_eq!(bits(e), bits(&Estimate::of(&values)), "metric {m}");
        }
        let figures: Vec<[u64; 4]> = estimates.iter().map(bits).collect();
        let pooled = cgtsim::model::pooled_percentiles(&sc.spec, summary.pooled());
        match &want {
            None => want = Some((figures, pooled)),
            Some((f, p)) => {
                assert_eq!(&figures, f, "{threads} threads");
                assert_eq!(&pooled, p, "{threads} threads");
            }
        }
    }
    // The mean wait is an M/M/5 queue's over a short window: it must be a real figure.
    let sc_names = metric_names(&sc.spec);
    let at = sc_names
        .iter()
        .position(|m| m.name == "products.mmc.steps.service.wait.mean")
        .unwrap();
    let (figures, _) = want.unwrap();
    assert!(f64::from_bits(figures[at][1]) > 0.0);
}

#[test]
fn welford_moments_give_exact_figures_on_simple_values() {
    let e = Estimate::of(&[3.0, 3.0, 3.0]);
    assert_eq!((e.mean, e.sd, e.half_width), (3.0, 0.0, 0.0));
    let mut m = Welford::new();
    for x in [1.0, 2.0, 3.0, 4.0] {
        m.record(x);
    }
    assert_eq!(
        Estimate::of_moments(&m),
        Estimate::of(&[1.0, f64::NAN, 2.0, 3.0, 4.0])
    );
}

/// Ten patients with random service, one run until empty: replications end on
/// different days, so later periods hold the values after the end of the shorter ones.
const UNTIL_EMPTY: &str = r#"[simulation]
horizon = "400d"
replications = 30
seed = 5
until_empty = true
timeseries = "2d"

[resources]
bed = { capacity = 1 }

[[products]]
name = "p"
type = "autologous"
arrivals = { cohort = 10, from = "0d", to = "5d", spread = "random" }

  [[products.steps]]
  name = "treatment"
  uses = ["bed"]
  duration = { exponential = { mean = "3d" } }
"#;

#[test]
fn the_series_of_runs_that_end_early_counts_their_values_after_the_end() {
    let sc = scenario::parse("until-empty.toml", UNTIL_EMPTY).unwrap();
    let summary = simulate_each(&sc.spec, sc.seed, 30, || {}, || false, |_, _| {}).unwrap();
    let runs = simulate(&sc.spec, sc.seed, 30, || {}, || false).unwrap();
    // The oracle: every replication's rows, the shorter ones padded with each metric's
    // value after the end, summarised cell by cell.
    let names = series_names(&sc.spec);
    let width = names.len();
    let lengths: Vec<usize> = runs
        .iter()
        .map(|r| r.series.as_ref().unwrap().len() / width)
        .collect();
    let periods = *lengths.iter().max().unwrap();
    assert!(
        lengths.iter().any(|&l| l < periods),
        "some replications end early: {lengths:?}"
    );
    let got = summary.series();
    assert_eq!(got.len(), periods * width);
    for (i, point) in got.iter().enumerate() {
        let (p, m) = (i / width, i % width);
        assert_eq!(point.metric, names[m].0.name);
        assert_eq!(point.period_start_days, 2.0 * p as f64);
        let values: Vec<f64> = runs
            .iter()
            .map(|r| {
                let rows = r.series.as_ref().unwrap();
                rows.get(p * width + m).copied().unwrap_or(names[m].1)
            })
            .collect();
        assert_eq!(
            bits(&point.estimate),
            bits(&Estimate::of(&values)),
            "{} in period {p}",
            point.metric
        );
    }
}

#[test]
fn run_out_streams_every_replications_rows_and_leaves_no_temporary() {
    let dir = crate::support::scratch("summary-streamed");
    let path = dir.join("mmc.toml");
    let text = crate::support::replaced(SHORT_MMC, "replications = 2500", "replications = 1100");
    std::fs::write(&path, text).unwrap();
    let out = dir.join("out");
    let status = crate::support::cgtsim(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(status.status.success(), "{status:?}");
    let sc = scenario::parse("mmc.toml", SHORT_MMC).unwrap();
    let runs = simulate(&sc.spec, sc.seed, 1100, || {}, || false).unwrap();
    let names = metric_names(&sc.spec);
    let mut rows = csv::Reader::from_path(out.join("replications.csv")).unwrap();
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (r, metric, value, events) = (
        col("replication"),
        col("metric"),
        col("value"),
        col("events"),
    );
    let total: u64 = runs.iter().map(|x| x.events).sum();
    let mut count = 0;
    for (i, row) in rows.records().enumerate() {
        let row = row.unwrap();
        let (rep, m) = (i / (names.len() + 1), i % (names.len() + 1));
        assert_eq!(row[r].parse::<usize>().unwrap(), rep);
        assert_eq!(
            row[events].parse::<u64>().unwrap(),
            total,
            "provenance on every row"
        );
        if m < names.len() {
            assert_eq!(row[metric], names[m].name);
            let want = runs[rep].values[m];
            if want.is_nan() {
                assert_eq!(&row[value], "");
            } else {
                assert_eq!(
                    row[value].parse::<f64>().unwrap(),
                    want,
                    "{}",
                    names[m].name
                );
            }
        } else {
            assert_eq!(&row[metric], "run.events");
            assert_eq!(row[value].parse::<u64>().unwrap(), runs[rep].events);
        }
        count += 1;
    }
    assert_eq!(count, 1100 * (names.len() + 1));
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "temporaries left: {left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
