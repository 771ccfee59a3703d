//! `cgtsim run` as a user meets it: bad scenarios give a located message and exit code 2
//! (one test per kind of mistake), outputs have the promised shape, and results do not
//! depend on the number of threads.

use crate::support::{cgtsim, scratch};

use std::path::PathBuf;

/// A valid scenario; tests break one line of it at a time. Line numbers matter below.
const BASE: &str = r#"[simulation]
warmup = "30d"
horizon = "200d"
replications = 4
seed = 3

[resources]
suite = { capacity = 2, changeover = "1d" }
qp = { capacity = 1 }

[[products]]
name = "car-t"
type = "autologous"
arrivals = { rate = 0.1, per = "day" }

  [[products.steps]]
  name = "apheresis"
  duration = "1d"

  [[products.steps]]
  name = "manufacturing"
  uses = ["suite"]
  duration = { triangular = { min = "8d", mode = "10d", max = "14d" } }
  failure = { probability = 0.05, retry_from = "apheresis", max_attempts = 2 }

  [[products.steps]]
  name = "release"
  uses = ["qp"]
  duration = { lognormal = { mean = "4h", sd = "1h" } }
"#;

/// Runs `cgtsim run` on BASE with `from` replaced by `to`; returns (exit code, stderr).
fn run_broken(name: &str, from: &str, to: &str) -> (Option<i32>, String) {
    run_broken_in(BASE, name, from, to)
}

fn run_broken_in(base: &str, name: &str, from: &str, to: &str) -> (Option<i32>, String) {
    assert!(
        base.contains(from),
        "test bug: `{from}` is not in the base scenario"
    );
    let path = scratch(name).join("scenario.toml");
    std::fs::write(&path, base.replacen(from, to, 1)).unwrap();
    let o = cgtsim(&["run", path.to_str().unwrap()]);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Asserts a clean, located refusal: exit 2, `file:line:col:` and the message.
fn assert_refused(name: &str, from: &str, to: &str, line_col: &str, message: &str) {
    assert_refused_in(BASE, name, from, to, line_col, message);
}

fn assert_refused_in(base: &str, name: &str, from: &str, to: &str, line_col: &str, message: &str) {
    let (code, err) = run_broken_in(base, name, from, to);
    assert_eq!(code, Some(2), "{name}: exit code; stderr:\n{err}");
    assert!(!err.contains("panicked"), "{name}: panicked:\n{err}");
    assert!(
        err.contains(&format!("scenario.toml:{line_col}: ")),
        "{name}: expected scenario.toml:{line_col}:\n{err}"
    );
    assert!(
        err.contains(message),
        "{name}: expected `{message}` in:\n{err}"
    );
}

#[test]
fn the_base_scenario_runs() {
    let path = scratch("base").join("scenario.toml");
    std::fs::write(&path, BASE).unwrap();
    let o = cgtsim(&["run", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn toml_syntax_error() {
    assert_refused(
        "syntax",
        "[resources]",
        "[resources",
        "7:11",
        "expected `]`",
    );
}

#[test]
fn unknown_key() {
    assert_refused(
        "unknown-key",
        "qp = { capacity = 1 }",
        "qp = { capacity = 1, colour = \"red\" }",
        "9:22",
        "unknown field `colour`",
    );
}

#[test]
fn missing_key() {
    assert_refused(
        "missing-key",
        "arrivals = { rate = 0.1, per = \"day\" }\n",
        "\n",
        "12:8",
        "the product has no arrivals: add arrivals = { ... }, or the demand per site",
    );
}

#[test]
fn duration_without_a_unit() {
    assert_refused(
        "no-unit",
        "duration = \"1d\"",
        "duration = 1",
        "18:14",
        "needs a unit: write \"1d\" or \"1h\"",
    );
}

#[test]
fn min_above_max() {
    assert_refused(
        "min-max",
        "min = \"8d\", mode = \"10d\", max = \"14d\"",
        "min = \"16d\", mode = \"10d\", max = \"14d\"",
        "23:14",
        "min <= mode <= max",
    );
}

#[test]
fn negative_standard_deviation() {
    assert_refused(
        "negative-sd",
        "sd = \"1h\"",
        "sd = \"-1h\"",
        "29:48",
        "a duration must be a finite number >= 0",
    );
}

#[test]
fn impossible_distribution_parameter() {
    assert_refused(
        "gamma-shape",
        "{ lognormal = { mean = \"4h\", sd = \"1h\" } }",
        "{ gamma = { shape = -2.0, scale = \"1h\" } }",
        "29:14",
        "gamma: `shape` must be a finite number > 0, but it is -2",
    );
}

#[test]
fn unknown_resource() {
    assert_refused(
        "unknown-resource",
        "uses = [\"qp\"]",
        "uses = [\"qa\"]",
        "28:11",
        "unknown resource `qa`; define it under [resources] (defined: `qp`, `suite`)",
    );
}

#[test]
fn unknown_step() {
    assert_refused(
        "unknown-step",
        "retry_from = \"apheresis\"",
        "retry_from = \"aphaeresis\"",
        "24:48",
        "unknown step `aphaeresis`",
    );
}

#[test]
fn retry_from_a_later_step() {
    assert_refused(
        "later-step",
        "retry_from = \"apheresis\"",
        "retry_from = \"release\"",
        "24:48",
        "`release` comes later",
    );
}

#[test]
fn more_units_than_the_pool_ever_has() {
    assert_refused(
        "too-many-units",
        "uses = [\"suite\"]",
        "uses = [{ resource = \"suite\", units = 3 }]",
        "22:11",
        "needs 3 units of `suite` but it never has more than 2",
    );
}

#[test]
fn a_pool_that_can_never_serve() {
    assert_refused(
        "zero-capacity",
        "qp = { capacity = 1 }",
        "qp = { capacity = 0 }",
        "28:11",
        "never has any unit available",
    );
}

#[test]
fn probability_outside_zero_one() {
    assert_refused(
        "probability",
        "probability = 0.05",
        "probability = 5",
        "24:29",
        "between 0 and 1, not 5 (write 5 % as 0.05)",
    );
}

#[test]
fn preemption_is_refused_until_chains_can_resume() {
    assert_refused(
        "preempt",
        "qp = { capacity = 1 }",
        "qp = { capacity = 1, on_capacity_drop = \"preempt\" }",
        "9:41",
        "not supported by process chains yet; use \"finish\"",
    );
}

#[test]
fn zero_replications() {
    assert_refused(
        "zero-reps",
        "replications = 4",
        "replications = 0",
        "4:16",
        "replications must be from 1 to 100000",
    );
    let path = scratch("zero-reps-cli").join("scenario.toml");
    std::fs::write(&path, BASE).unwrap();
    let o = cgtsim(&["run", path.to_str().unwrap(), "--replications", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--replications must be from 1 to 100000"));
}

#[test]
fn a_missing_file() {
    let o = cgtsim(&["run", "no/such/scenario.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("no/such/scenario.toml: cannot read the scenario")
    );
}

#[test]
fn the_message_shows_the_line_and_points_at_the_column() {
    let (_, err) = run_broken("caret", "probability = 0.05", "probability = 5");
    let want = "24 |   failure = { probability = 5, retry_from = \"apheresis\", max_attempts = 2 }\n   |                             ^";
    assert!(err.contains(want), "{err}");
}

fn json_without_timing(args: &[&str]) -> serde_json::Value {
    let o = cgtsim(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("--json prints JSON");
    let obj = v.as_object_mut().unwrap();
    obj.remove("wall_time_s");
    obj.remove("threads");
    v
}

#[test]
fn results_are_identical_on_one_and_two_threads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ccrm-nordic.toml");
    let one = json_without_timing(&[
        "run",
        path,
        "--json",
        "--replications",
        "8",
        "--threads",
        "1",
    ]);
    let two = json_without_timing(&[
        "run",
        path,
        "--json",
        "--replications",
        "8",
        "--threads",
        "2",
    ]);
    assert_eq!(one, two);
    let other_seed =
        json_without_timing(&["run", path, "--json", "--replications", "8", "--seed", "9"]);
    assert_ne!(one["metrics"], other_seed["metrics"]);
}

#[test]
fn out_writes_summary_json_and_tidy_csvs() {
    let dir = scratch("out");
    let path = dir.join("scenario.toml");
    std::fs::write(&path, BASE).unwrap();
    let out = dir.join("results");
    let o = cgtsim(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Bottleneck: "),
        "the table still prints"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["cgtsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["replications"], 4);
    assert_eq!(json["seed"], 3);
    assert_eq!(json["scenario"]["sha256"].as_str().unwrap().len(), 64);
    assert!(json["events"].as_u64().unwrap() > 0 && json["wall_time_s"].as_f64().is_some());
    let p90 = &json["metrics"]["products.car-t.v2v.p90"];
    assert_eq!(p90["unit"], "days");
    let (mean, ci) = (
        p90["mean"].as_f64().unwrap(),
        p90["ci95"].as_array().unwrap(),
    );
    assert!(ci[0].as_f64().unwrap() <= mean && mean <= ci[1].as_f64().unwrap());
    assert_eq!(
        json["metrics"]["resources.suite.utilisation"]["unit"],
        "fraction"
    );
    assert!(json["metrics"]["resources.suite.wait.mean"]["sd"].is_number());

    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let header = summary.lines().next().unwrap();
    assert!(header.starts_with("metric,unit,mean,sd,ci95_low,ci95_high,n,seed,replications,events,wall_time_s,cgtsim_version,scenario,scenario_sha256"));
    let metrics = json["metrics"].as_object().unwrap().len();
    assert_eq!(summary.lines().count(), 1 + metrics);

    let reps = std::fs::read_to_string(out.join("replications.csv")).unwrap();
    assert!(reps.starts_with("replication,metric,unit,value,seed,"));
    assert_eq!(
        reps.lines().count(),
        1 + 4 * (metrics + 1),
        "one row per replication x metric, plus run.events"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
}

/// A valid allogeneic scenario for the make-to-stock mistakes. Line numbers matter below.
const ALLO: &str = r#"[simulation]
horizon = "400d"
replications = 2

[[products]]
name = "msc"
type = "allogeneic"
arrivals = { rate = 1, per = "day" }
doses = 50
order_size = 1
policy = { reorder_point = 20 }
stock = { shelf_life = "365d" }

  [[products.steps]]
  name = "expansion"
  duration = "14d"

  [[products.steps]]
  name = "release"
    [[products.steps.assays]]
    name = "sterility"
    duration = "14d"
"#;

#[test]
fn the_allogeneic_base_runs() {
    let path = scratch("allo-base").join("scenario.toml");
    std::fs::write(&path, ALLO).unwrap();
    let o = cgtsim(&["run", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("fill rate"));
}

#[test]
fn batch_size_of_zero() {
    assert_refused_in(
        ALLO,
        "zero-doses",
        "doses = 50",
        "doses = 0",
        "9:9",
        "a batch size of zero makes nothing",
    );
}

#[test]
fn reorder_point_below_zero() {
    assert_refused_in(
        ALLO,
        "negative-r",
        "reorder_point = 20",
        "reorder_point = -3",
        "11:28",
        "a reorder point below zero (-3)",
    );
}

#[test]
fn shelf_life_shorter_than_qc_release() {
    assert_refused_in(
        ALLO,
        "shelf-life",
        "shelf_life = \"365d\"",
        "shelf_life = \"10d\"",
        "12:24",
        "a shelf life of 10 d is not longer than QC release (14 d)",
    );
}

#[test]
fn order_larger_than_any_batch() {
    assert_refused_in(
        ALLO,
        "big-order",
        "order_size = 1",
        "order_size = 60",
        "10:14",
        "an order of 60 doses is larger than any batch (at most 50 doses)",
    );
}

#[test]
fn make_to_stock_keys_on_an_autologous_product() {
    assert_refused(
        "allo-keys",
        "arrivals = { rate = 0.1, per = \"day\" }",
        "arrivals = { rate = 0.1, per = \"day\" }\ndoses = 10",
        "15:9",
        "`doses` is for allogeneic products",
    );
}

#[test]
fn every_bundled_scenario_runs() {
    let mut dirs = vec![PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios"
    ))];
    let mut fewer_events = 0;
    let mut ran = 0;
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // Sweep files are run by their own tests.
                if !path.ends_with("sweeps") {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "toml") {
                let o = cgtsim(&[
                    "run",
                    path.to_str().unwrap(),
                    "--replications",
                    "3",
                    "--json",
                ]);
                assert!(
                    o.status.success(),
                    "{}: {}",
                    path.display(),
                    String::from_utf8_lossy(&o.stderr)
                );
                names_are_unique_and_keyed(&path);
                fewer_events += usize::from(idle_pools_change_late_to_the_same_results(&path));
                ran += 1;
            }
        }
    }
    assert!(ran >= 4, "found only {ran} bundled scenarios");
    assert!(
        fewer_events >= 3,
        "quiet pools left calendar changes for later in only {fewer_events} scenarios"
    );
}

/// Two replications of the scenario at `path` give bit-identical results whether idle
/// pools apply their calendar changes when next used (the default) or every change is
/// an event; returns true if the default handled fewer events. The default runs both
/// replications on one [`Prepared`](cgtsim::model::Prepared) (its blueprint shared, and
/// the second on the first one's recycled kernel), the other builds everything for each:
/// sharing leaves nothing behind either.
fn idle_pools_change_late_to_the_same_results(path: &std::path::Path) -> bool {
    use cgtsim::engine::Streams;
    use cgtsim::model::{Prepared, run_replication_every_change};
    let (sc, _) = cgtsim::cli::scenario::load(path).unwrap();
    let prepared = Prepared::new(&sc.spec).unwrap();
    let mut fewer = false;
    for r in 0..2 {
        let streams = || Streams::new(sc.seed, r);
        let lazy = prepared.run(streams()).unwrap();
        let every = run_replication_every_change(&sc.spec, streams()).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&lazy.values),
            bits(&every.values),
            "{}",
            path.display()
        );
        let series = |r: &cgtsim::model::Replication| r.series.as_deref().map(bits);
        assert_eq!(series(&lazy), series(&every), "{}", path.display());
        assert!(lazy.events <= every.events);
        fewer |= lazy.events < every.events;
    }
    fewer
}

/// Every metric and series name of the scenario at `path` is distinct, and each comes
/// from its typed key (the name a key gives is the name listed in its place).
fn names_are_unique_and_keyed(path: &std::path::Path) {
    use cgtsim::model::{keys, metric_names, series_keys, series_names};
    let (sc, _) = cgtsim::cli::scenario::load(path).unwrap();
    let spec = &sc.spec;
    let names = metric_names(spec);
    let mut seen = std::collections::HashSet::new();
    for (key, m) in keys(spec).into_iter().zip(&names) {
        assert_eq!(key.name(spec), m.name);
        assert_eq!(key.unit(), m.unit);
        assert!(
            seen.insert(m.name.clone()),
            "{}: `{}` twice",
            path.display(),
            m.name
        );
    }
    let series = series_names(spec);
    assert_eq!(series_keys(spec).len(), series.len());
    let mut seen = std::collections::HashSet::new();
    for (m, _) in &series {
        assert!(
            seen.insert(m.name.clone()),
            "{}: series `{}` twice",
            path.display(),
            m.name
        );
    }
}
