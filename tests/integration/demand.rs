//! Demand that changes over time: arrival schedules with a piecewise-constant rate and
//! growth (non-homogeneous Poisson processes drawn by inversion), windows, cohorts, dated
//! lists, runs until empty, and the time series that shows them period by period.

use crate::limits::MINI;
use crate::model::run_scenario;
use crate::support::{
    assert_agrees, assert_clean_refusal, assert_every_path_changes, assert_exact, cgtsim, replaced,
    run_file, scratch, sweeper,
};
use cgtsim::cli::scenario;
use cgtsim::experiment::simulate;
use cgtsim::model::{metric_names, series_names};
use std::collections::HashMap;

/// MINI with a schedule: 1 a day for 100 days, 3 a day for 100, 0.5 a day for 100, then
/// none; the window is chosen by `warmup` and `horizon`.
fn scheduled(warmup: &str, horizon: &str) -> String {
    let text = replaced(
        MINI,
        "arrivals = { rate = 0.1, per = \"day\" }",
        "arrivals = { schedule = [{ from = \"0d\", rate = 1 }, { from = \"100d\", rate = 3 }, { from = \"200d\", rate = 0.5 }, { from = \"300d\", rate = 0 }] }",
    );
    let text = replaced(&text, "warmup = \"0d\"", &format!("warmup = \"{warmup}\""));
    let text = replaced(
        &text,
        "horizon = \"100d\"",
        &format!("horizon = \"{horizon}\""),
    );
    replaced(&text, "replications = 2", "replications = 200")
}

#[test]
fn arrivals_per_period_match_the_schedule() {
    // Poisson counts: mean = rate x length in each window; the tolerance is k standard
    // errors of the mean over 200 replications (k for a false-failure rate of 1e-6).
    for (warmup, horizon, expected) in [
        ("0d", "100d", 100.0),
        ("100d", "100d", 300.0),
        ("200d", "100d", 50.0),
        ("50d", "200d", 50.0 + 300.0 + 25.0),
    ] {
        let (m, _) = run_scenario(&scheduled(warmup, horizon), None);
        assert_agrees(
            &format!("arrivals in [{warmup}, +{horizon})"),
            &m["products.car-t.arrived"],
            expected,
        );
    }
    // After the last period's rate of zero, nobody arrives at all.
    let (m, _) = run_scenario(&scheduled("300d", "100d"), None);
    assert!(m["products.car-t.arrived"].iter().all(|&n| n == 0.0));
}

#[test]
fn a_schedule_out_of_order_or_empty_is_refused() {
    let base = scheduled("0d", "100d");
    let swapped = replaced(
        &base,
        "{ from = \"200d\", rate = 0.5 }",
        "{ from = \"50d\", rate = 0.5 }",
    );
    let r = run_file("schedule-order", &swapped, &["run"]);
    assert_clean_refusal("out of order", &r, "periods must start in order");
    assert!(r.2.contains("scenario.toml:13:"), "{}", r.2);
    let empty = replaced(
        MINI,
        "arrivals = { rate = 0.1, per = \"day\" }",
        "arrivals = { schedule = [] }",
    );
    assert_clean_refusal(
        "empty",
        &run_file("schedule-empty", &empty, &["run"]),
        "the schedule has no periods",
    );
    let both = replaced(
        MINI,
        "arrivals = { rate = 0.1, per = \"day\" }",
        "arrivals = { rate = 1, schedule = [{ from = \"0d\", rate = 1 }] }",
    );
    assert_clean_refusal(
        "rate and schedule",
        &run_file("schedule-both", &both, &["run"]),
        "give arrivals as",
    );
}

/// Per-replication values of each (period, metric) of a scenario's time series.
pub fn series_of(text: &str) -> (HashMap<(usize, String), Vec<f64>>, usize) {
    let sc = scenario::parse("test.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let runs = simulate(&sc.spec, sc.seed, sc.replications, || {}, || false)
        .unwrap_or_else(|e| panic!("{e}"));
    let names = series_names(&sc.spec);
    let mut out: HashMap<(usize, String), Vec<f64>> = HashMap::new();
    let mut periods = 0;
    for r in &runs {
        let rows = r.series.as_ref().expect("a series was asked for");
        periods = periods.max(rows.len() / names.len());
        for (i, v) in rows.iter().enumerate() {
            let name = names[i % names.len()].0.name.clone();
            out.entry((i / names.len(), name)).or_default().push(*v);
        }
    }
    (out, periods)
}

/// MINI with `arrivals`, replications, a horizon and a time series by `period`.
fn with_arrivals(arrivals: &str, horizon: &str, replications: u32, period: &str) -> String {
    let text = replaced(
        MINI,
        "arrivals = { rate = 0.1, per = \"day\" }",
        &format!("arrivals = {arrivals}"),
    );
    let text = replaced(
        &text,
        "horizon = \"100d\"",
        &format!("horizon = \"{horizon}\"\ntimeseries = \"{period}\""),
    );
    let text = replaced(&text, "capacity = 2", "capacity = 1000");
    replaced(
        &text,
        "replications = 2",
        &format!("replications = {replications}"),
    )
}

#[test]
fn growth_counts_per_year_match_the_cumulative_rate() {
    // Inversion of the cumulative rate, checked per year of a five-year run against the
    // counts computed here by hand. Tolerance: k standard errors over 300 replications
    // (k for a false-failure rate of 1e-6); no warm-up is needed for counts of arrivals.
    let ln = 1.4f64.ln();
    // 100 a year growing 40 % a year, compounding, capped at 300 a year: the cap is
    // reached after ln 3 / ln 1.4 = 3.27 years.
    let t_cap = 3f64.ln() / ln;
    let compounding = |a: f64, b: f64| {
        let lam = |t: f64| {
            if t <= t_cap {
                100.0 * (1.4f64.powf(t) - 1.0) / ln
            } else {
                200.0 / ln + 300.0 * (t - t_cap)
            }
        };
        lam(b) - lam(a)
    };
    let text = with_arrivals(
        "{ growth = { rate = 100, per = \"year\", yearly = \"+40%\", cap = 300 } }",
        "1825d",
        300,
        "year",
    );
    let (series, periods) = series_of(&text);
    assert_eq!(periods, 5);
    for year in 0..5 {
        let expected = compounding(year as f64, year as f64 + 1.0);
        assert_agrees(
            &format!("compounding growth, year {year}"),
            &series[&(year, "products.car-t.arrived".to_string())],
            expected,
        );
    }
    // Linear: 100 a year growing by 40 a year, from the start of year 2 (day 365).
    let text = with_arrivals(
        "{ growth = { rate = 100, per = \"year\", yearly = 0.4, kind = \"linear\", from = \"365d\" } }",
        "1460d",
        300,
        "year",
    );
    let (series, _) = series_of(&text);
    for (year, expected) in [(0, 100.0), (1, 120.0), (2, 160.0), (3, 200.0)] {
        assert_agrees(
            &format!("linear growth, year {year}"),
            &series[&(year, "products.car-t.arrived".to_string())],
            expected,
        );
    }
}

#[test]
fn a_window_confines_arrivals_and_the_series_shows_it() {
    // 2 a day between day 50 and day 80 only; periods of 10 days.
    let text = with_arrivals(
        "{ rate = 2, per = \"day\", from = \"50d\", to = \"80d\" }",
        "100d",
        200,
        "10d",
    );
    let (series, periods) = series_of(&text);
    assert_eq!(periods, 10);
    for p in 0..10 {
        let got = &series[&(p, "products.car-t.arrived".to_string())];
        if (5..8).contains(&p) {
            assert_agrees(&format!("arrivals in period {p}"), got, 20.0);
        } else {
            assert!(got.iter().all(|&n| n == 0.0), "period {p}: {got:?}");
        }
    }
}

#[test]
fn the_series_adds_up_to_the_window_figures() {
    // Each replication: arrivals and completions summed over the periods equal the
    // window's counts, and the period means of work in progress average to its mean
    // over the window (equal periods). Exact, up to rounding.
    let text = with_arrivals("{ rate = 0.5, per = \"day\" }", "100d", 5, "20d");
    let sc = scenario::parse("test.toml", &text).unwrap();
    let runs = simulate(&sc.spec, sc.seed, sc.replications, || {}, || false).unwrap();
    let names = series_names(&sc.spec);
    let metric = |name: &str| {
        metric_names(&sc.spec)
            .iter()
            .position(|m| m.name == name)
            .unwrap()
    };
    let column = |name: &str| names.iter().position(|(m, _)| m.name == name).unwrap();
    for r in &runs {
        let rows = r.series.as_ref().unwrap();
        let sum =
            |name: &str| -> f64 { rows.chunks(names.len()).map(|row| row[column(name)]).sum() };
        for what in ["arrived", "completed"] {
            let name = format!("products.car-t.{what}");
            assert_eq!(sum(&name), r.values[metric(&name)], "{name}");
        }
        let wip = sum("products.car-t.wip.mean") / 5.0;
        let window = r.values[metric("products.car-t.wip.mean")];
        assert!((wip - window).abs() < 1e-9, "{wip} vs {window}");
    }
}

#[test]
fn a_cohort_through_a_deterministic_chain_finishes_when_computed_by_hand() {
    // Five patients evenly over [0, 10 d): arrivals on days 0, 2, 4, 6, 8. One suite,
    // 3 days each, then 1 day of shipping: suite from 0-3, 3-6, 6-9, 9-12, 12-15;
    // infused on days 4, 7, 10, 13, 16; vein-to-vein 4, 5, 6, 7, 8 (mean 6). The run ends
    // when the last one leaves, on day 16; patients in the system: 30 patient-days / 16.
    let text = r#"[simulation]
horizon = "1000d"
replications = 3
until_empty = true
timeseries = "5d"

[resources]
suite = { capacity = 1 }

[[products]]
name = "car-t"
type = "autologous"
arrivals = { cohort = 5, from = "0d", to = "10d", spread = "even" }

  [[products.steps]]
  name = "manufacturing"
  uses = ["suite"]
  duration = "3d"

  [[products.steps]]
  name = "shipping"
  duration = "1d"
"#;
    let (m, _) = run_scenario(text, None);
    // The mean wait for the suite: (1 + 2 + 3 + 4) / 5 days.
    assert_exact(
        &m,
        &[
            ("run.days", 16.0),
            ("products.car-t.arrived", 5.0),
            ("products.car-t.completed", 5.0),
            ("products.car-t.v2v.mean", 6.0),
            ("products.car-t.wip.mean", 30.0 / 16.0),
            ("products.car-t.steps.manufacturing.wait.mean", 10.0 / 5.0),
            ("resources.suite.in_use.peak", 1.0),
        ],
    );
    // Completions by period of 5 days: day 4 | 7 | 10, 13 | 16 (the last period, [15, 16),
    // is cut at the end of the run).
    let (series, periods) = series_of(text);
    assert_eq!(periods, 4);
    for (p, want) in [(0, 1.0), (1, 1.0), (2, 2.0), (3, 1.0)] {
        let got = &series[&(p, "products.car-t.completed".to_string())];
        assert!(got.iter().all(|&v| v == want), "period {p}: {got:?}");
    }
    // The last arrival of a run until empty, arriving to an empty system, is followed to
    // its end (the run once stopped as it arrived): one patient from day 2, done on day 6.
    let one = replaced(
        text,
        "cohort = 5, from = \"0d\", to = \"10d\", spread = \"even\"",
        "cohort = 1, from = \"2d\"",
    );
    let (m, _) = run_scenario(&one, None);
    assert_exact(&m, &[("run.days", 6.0), ("products.car-t.completed", 1.0)]);
}

#[test]
fn dated_arrivals_come_from_a_csv_log() {
    let dir = scratch("dated");
    std::fs::write(
        dir.join("referrals.csv"),
        "patient,date,centre\n# a comment\n1,2021-03-03,lund\n3,2021-03-01,umea\n\n2,2021-03-10,lund\n",
    )
    .unwrap();
    let text = replaced(
        MINI,
        "arrivals = { rate = 0.1, per = \"day\" }",
        "arrivals = { file = \"referrals.csv\" }",
    );
    let text = replaced(
        &text,
        "seed = 1",
        "seed = 1\nstart_date = \"2021-03-01\"\nuntil_empty = true",
    );
    let path = dir.join("scenario.toml");
    std::fs::write(&path, &text).unwrap();
    let out = cgtsim(&["run", "--json", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mean = |name: &str| {
        json["metrics"][name]["mean"]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}"))
    };
    // Days 0, 2 and 9 (the log is out of order), 10 days each on two suites: the third
    // waits for the first suite until day 10 and leaves on day 20.
    assert_eq!(mean("products.car-t.arrived"), 3.0);
    assert_eq!(mean("products.car-t.v2v.mean"), 31.0 / 3.0);
    assert_eq!(mean("run.days"), 20.0);
    // A line that cannot be read is named with its line and column.
    std::fs::write(
        dir.join("referrals.csv"),
        "patient,date\n1,2021-03-03\n2,2021-02-30\n",
    )
    .unwrap();
    let out = cgtsim(&["run", path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("referrals.csv:3:3: `2021-02-30` is not a date"),
        "{err}"
    );
}

#[test]
fn bad_demand_is_refused_where_it_is_written() {
    let arrivals = |a: &str| {
        replaced(
            MINI,
            "arrivals = { rate = 0.1, per = \"day\" }",
            &format!("arrivals = {a}"),
        )
    };
    let until_empty = |t: &str| replaced(t, "seed = 1", "seed = 1\nuntil_empty = true");
    for (what, text, expected) in [
        (
            "a window that ends before it starts",
            arrivals("{ rate = 1, from = \"20d\", to = \"10d\" }"),
            "scenario.toml:13:43: the window ends (day 10) at or before it starts (day 20)",
        ),
        (
            "a cohort of zero",
            arrivals("{ cohort = 0 }"),
            "scenario.toml:13:23: a cohort's size must be a whole number from 1",
        ),
        (
            "a cohort that ends before it starts",
            arrivals("{ cohort = 3, from = \"20d\", to = \"10d\" }"),
            "scenario.toml:13:45: the cohort's window ends (10 d) before it starts (20 d)",
        ),
        (
            "a cap the rate never reaches",
            arrivals("{ growth = { rate = 10, per = \"year\", yearly = \"+10%\", cap = 5 } }"),
            "the cap is on the other side of the starting rate",
        ),
        (
            "a decline of more than 100 %",
            arrivals("{ growth = { rate = 10, yearly = \"-120%\" } }"),
            "a change of -120 % a year is impossible",
        ),
        (
            "a percentage that is not one",
            arrivals("{ growth = { rate = 10, yearly = \"fast\" } }"),
            "`fast` is not a percentage",
        ),
        (
            "runaway growth",
            replaced(
                &arrivals("{ growth = { rate = 10, per = \"year\", yearly = \"+900%\" } }"),
                "horizon = \"100d\"",
                "horizon = \"36500d\"",
            ),
            "arrivals per replication; at most 1e8",
        ),
        (
            "a run until empty whose arrivals never end",
            until_empty(MINI),
            "scenario.toml:14:12: the run is to end when the system is empty, but this product's arrivals never end",
        ),
        (
            "a run until empty with a warm-up",
            replaced(
                &until_empty(&arrivals("{ cohort = 3 }")),
                "warmup = \"0d\"",
                "warmup = \"5d\"",
            ),
            "it has no warm-up",
        ),
        (
            "dates without a start date",
            arrivals("{ file = \"log.csv\" }"),
            "cannot read the arrivals file",
        ),
        (
            "a time series without a period",
            replaced(MINI, "seed = 1", "seed = 1\ntimeseries = \"fortnightly\""),
            "`fortnightly` is not a period",
        ),
        (
            "a time series of too many periods",
            replaced(
                &replaced(MINI, "seed = 1", "seed = 1\ntimeseries = \"1h\""),
                "horizon = \"100d\"",
                "horizon = \"1000d\"",
            ),
            "24000 periods of 0.0416",
        ),
    ] {
        assert_clean_refusal(what, &run_file("bad-demand", &text, &["run"]), expected);
    }
}

#[test]
fn the_time_series_file_is_the_same_on_any_thread_count_and_never_stale() {
    let dir = scratch("series-file");
    let path = dir.join("scenario.toml");
    std::fs::write(
        &path,
        replaced(MINI, "replications = 2", "replications = 8"),
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.join(format!("out{threads}"));
        let o = out.to_str().unwrap();
        let r = cgtsim(&[
            "run",
            p,
            "--threads",
            threads,
            "--timeseries",
            "week",
            "--out",
            o,
        ]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        assert!(String::from_utf8_lossy(&r.stdout).contains("Time series: 15 periods of 7.000 d"));
        files.push(std::fs::read(out.join("timeseries.csv")).unwrap());
    }
    assert_eq!(files[0], files[1], "timeseries.csv depends on the threads");
    let text = String::from_utf8(files.swap_remove(0)).unwrap();
    assert!(
        text.starts_with(
            "period_start,metric,mean,ci_low,ci_high,unit,n\n0,products.car-t.arrived,"
        )
    );
    // 100 days in weeks: 14 whole weeks and the 2 days of the 15th.
    assert!(text.contains("\n98,resources.suite.queue.mean,"), "{text}");
    // A run without a series into the same directory leaves no series behind.
    let o = dir.join("out1");
    let r = cgtsim(&["run", p, "--out", o.to_str().unwrap()]);
    assert!(r.status.success());
    assert!(
        !o.join("timeseries.csv").exists(),
        "a stale time series was left"
    );
}

#[test]
fn a_slowly_growing_m_m_c_follows_erlang_c_period_by_period() {
    // M/M/5, service mean 1 day, arrivals growing linearly from 2 to 4 a day over 2,000
    // days (utilisation 0.4 to 0.8). The pointwise-stationary approximation says the mean
    // queue at time t is about Erlang C's at the rate of that moment, when the rate
    // changes little within the queue's relaxation time: here under 1 % of itself in the
    // ~20 days the queue needs at utilisation 0.8. Per period of 100 days the series'
    // mean queue is compared with the average of Lq(lambda(t)) over the period.
    // Tolerance: k standard errors over 300 replications (k for a false-failure rate of
    // 1e-6) plus 5 % of the value for the approximation's lag (the queue trails the
    // rising rate by about a relaxation time). When this test was written every period
    // was within 2.7 standard errors, most of them below the approximation, as the lag
    // predicts. The first period is skipped: the run starts empty.
    let text = r#"[simulation]
horizon = "2000d"
replications = 300
seed = 7
timeseries = "100d"

[resources]
server = { capacity = 5 }

[[products]]
name = "job"
type = "autologous"
arrivals = { growth = { rate = 2, per = "day", yearly = 0.1825, kind = "linear" } }

  [[products.steps]]
  name = "service"
  uses = ["server"]
  duration = { exponential = { mean = "1d" } }
"#;
    let (series, periods) = series_of(text);
    assert_eq!(periods, 20);
    let lambda = |t: f64| 2.0 * (1.0 + 0.1825 * t / 365.0);
    let lq = |t: f64| lambda(t) * cgtsim::experiment::theory::mmc_wq(5, lambda(t), 1.0);
    let k = crate::support::k_for(300);
    let mut worst = 0.0f64;
    for p in 1..periods {
        let (a, b) = (100.0 * p as f64, 100.0 * (p + 1) as f64);
        let steps = 1000;
        let expected = (0..steps)
            .map(|i| lq(a + (b - a) * (i as f64 + 0.5) / steps as f64))
            .sum::<f64>()
            / steps as f64;
        let (m, se) =
            crate::support::mean_se(&series[&(p, "resources.server.queue.mean".to_string())]);
        let rel = (m - expected) / expected;
        worst = worst.max(rel.abs());
        eprintln!(
            "period {p}: queue {m:.4} (se {se:.4}) vs pointwise-stationary {expected:.4} ({:+.2} %)",
            100.0 * rel
        );
        assert!(
            (m - expected).abs() <= k * se + 0.05 * expected,
            "period {p}: {m} vs {expected}"
        );
    }
    eprintln!("largest relative difference: {:.2} %", 100.0 * worst);
}

/// A scenario with every key of demand, slots, hazards, milestones and holds.
const DEMAND_KEYS: &str = r#"[simulation]
horizon = "400d"
replications = 4
seed = 3
until_empty = false
timeseries = "month"

[slots.lab]
release = { every = "week", count = 2, from = "3d", to = "300d" }
open_for = "2d"
allocation = "score"

[resources]
suite = { capacity = 2 }
incubator = { capacity = 2 }

[[products]]
name = "a"
type = "autologous"
arrivals = { growth = { rate = 100, per = "year", yearly = "+40%", kind = "compounding", cap = 150, from = "50d" }, from = "10d", to = "350d" }
score = { uniform = { min = 0, max = 1 } }
hazards = [{ cause = "death", time = { exponential = { mean = "60d" } }, from = "list", to = "make" }]
milestones = [{ name = "m", from = "list", to = "make", deadline = "20d" }]

  [[products.steps]]
  name = "list"
  slot = "lab"
  slot_until = "list"

  [[products.steps]]
  name = "seed"
  uses = ["suite"]
  seize = ["incubator"]
  duration = "1d"

  [[products.steps]]
  name = "make"
  uses = ["suite"]
  release = ["incubator"]
  duration = "3d"

[[products]]
name = "b"
type = "autologous"
arrivals = { cohort = 30, from = "5d", to = "200d", spread = "random" }
score = 0.5

  [[products.steps]]
  name = "list"
  slot = "lab"

  [[products.steps]]
  name = "make"
  uses = ["suite"]
  duration = "4d"
"#;

#[test]
fn every_demand_path_changes_the_outcome_or_is_refused() {
    let paths: [(&str, &str, &str); 20] = [
        ("products.a.arrivals.growth.rate", "100", "60"),
        ("products.a.arrivals.growth.yearly", "\"+40%\"", "\"+10%\""),
        ("products.a.arrivals.growth.cap", "150", "110"),
        ("products.a.arrivals.growth.from", "\"50d\"", "\"150d\""),
        (
            "products.a.arrivals.growth.kind",
            "\"compounding\"",
            "\"linear\"",
        ),
        ("products.a.arrivals.from", "\"10d\"", "\"40d\""),
        ("products.a.arrivals.to", "\"350d\"", "\"250d\""),
        (
            "products.a.score",
            "{ uniform = { min = 0, max = 1 } }",
            "0.1",
        ),
        (
            "products.a.hazards.death.time",
            "{ exponential = { mean = \"60d\" } }",
            "\"5d\"",
        ),
        ("products.a.milestones.m.deadline", "\"20d\"", "\"5d\""),
        ("products.a.steps.list.slot_until", "\"list\"", "\"make\""),
        ("products.b.arrivals.cohort", "30", "10"),
        ("products.b.arrivals.from", "\"5d\"", "\"100d\""),
        ("products.b.arrivals.spread", "\"random\"", "\"even\""),
        ("slots.lab.release.every", "\"week\"", "\"month\""),
        (
            "slots.lab.release.count",
            "2",
            "{ uniform = { min = 0, max = 2 } }",
        ),
        ("slots.lab.release.from", "\"3d\"", "\"30d\""),
        ("slots.lab.release.to", "\"300d\"", "\"100d\""),
        ("slots.lab.open_for", "\"2d\"", "\"0d\""),
        ("simulation.until_empty", "false", "true"),
    ];
    assert_every_path_changes("demand-paths", DEMAND_KEYS, &paths);
    let sweep = sweeper("demand-paths-refused", DEMAND_KEYS);
    // A time series is not part of a sweep's results: the axis is refused.
    let o = sweep(
        "ts",
        "\"simulation.timeseries\" = [\"week\", \"month\"]".into(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("would change nothing"));
    // A start date with neither calendars nor dated arrivals would change nothing.
    let r = run_file(
        "start-date",
        &replaced(MINI, "seed = 1", "seed = 1\nstart_date = \"2021-03-01\""),
        &["run"],
    );
    assert_clean_refusal("start date", &r, "it would change nothing");
}
