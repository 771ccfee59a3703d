//! `cgtsim sweep`: the results table, common random numbers, nothing lost when a sweep is
//! interrupted, and the sweep mistakes refused with exit code 2.

use crate::support::{cgtsim, scratch};

use cgtsim::cli::scenario;
use cgtsim::engine::Streams;
use cgtsim::model::metric_names;
use cgtsim::model::run_replication;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Writes a sweep over reference model B into `dir`.
fn sweep_file(dir: &Path, grid: &str, replications: u64, horizon: &str) -> PathBuf {
    let cart = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/reference/cart.toml"
    ))
    .unwrap();
    let base = crate::support::replaced(
        &cart,
        "horizon = \"730d\"",
        &format!("horizon = \"{horizon}\""),
    );
    std::fs::write(dir.join("cart.toml"), base).unwrap();
    let path = dir.join("sweep.toml");
    std::fs::write(
        &path,
        format!("base = \"cart.toml\"\nreplications = {replications}\n\n[grid]\n{grid}\n"),
    )
    .unwrap();
    path
}

fn run_sweep(sweep: &Path, out: &Path) -> Output {
    cgtsim(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn results_table_has_a_row_per_variant_and_metric_with_axis_columns() {
    let dir = scratch("table");
    let sweep = sweep_file(
        &dir,
        "\"resources.suite.capacity\" = [26, 30]\n\"products.car-t.arrivals.rate\" = [1.8, 2.0]",
        4,
        "365d",
    );
    let o = run_sweep(&sweep, &dir.join("out"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.join("out/results.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("variant,resources.suite.capacity,products.car-t.arrivals.rate,metric,unit,mean,sd,ci95_low,ci95_high,n,"));
    let sc = scenario::parse(
        "cart",
        &std::fs::read_to_string(dir.join("cart.toml")).unwrap(),
    )
    .unwrap();
    let metrics = metric_names(&sc.spec).len();
    assert_eq!(lines.clone().count(), 4 * metrics);
    assert!(
        lines.any(|l| l.starts_with("3,30,2.0,products.car-t.v2v.p90,days,")),
        "{csv}"
    );
    // The sweep's variant equals a plain run of that scenario (same seed, same streams).
    let v3 = csv
        .lines()
        .find(|l| l.starts_with("3,30,2.0,products.car-t.completed,"))
        .unwrap();
    let cart = std::fs::read_to_string(dir.join("cart.toml")).unwrap();
    let text = crate::support::replaced(&cart, "capacity = 28", "capacity = 30");
    let sc = scenario::parse("cart30", &text).unwrap();
    let completed = mean_of_runs(&sc, 4, "products.car-t.completed");
    assert_eq!(
        v3.split(',').nth(5).unwrap().parse::<f64>().unwrap(),
        completed
    );
}

#[test]
fn common_random_numbers_shrink_the_variance_of_differences() {
    // Two close variants (28 and 29 suites): the difference of their mean vein-to-vein
    // time across 30 replications, with the same streams for replication r in both
    // (what a sweep does) and with independent streams. CRN must cut the variance of the
    // difference at least four-fold.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/reference/cart.toml"
    ))
    .unwrap();
    let a = scenario::parse("a", &text).unwrap();
    let b = scenario::parse(
        "b",
        &crate::support::replaced(&text, "capacity = 28", "capacity = 29"),
    )
    .unwrap();
    let v2v =
        |sc: &scenario::Scenario, seed: u64, r: u64| metric(sc, seed, r, "products.car-t.v2v.mean");
    let var = |xs: &[f64]| {
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64
    };
    let crn: Vec<f64> = (0..30).map(|r| v2v(&a, 1, r) - v2v(&b, 1, r)).collect();
    let independent: Vec<f64> = (0..30).map(|r| v2v(&a, 1, r) - v2v(&b, 1_000, r)).collect();
    let (vc, vi) = (var(&crn), var(&independent));
    eprintln!("variance of the difference: CRN {vc:.5}, independent {vi:.5}");
    assert!(vc * 4.0 < vi, "CRN {vc} vs independent {vi}");
}

#[test]
fn another_sweeps_results_are_refused() {
    let dir = scratch("other");
    let out = dir.join("out");
    let first = sweep_file(&dir, "\"resources.suite.capacity\" = [26, 28]", 2, "200d");
    assert!(run_sweep(&first, &out).status.success());
    let second = sweep_file(&dir, "\"resources.suite.capacity\" = [27, 29]", 2, "200d");
    let o = run_sweep(&second, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds results of a different sweep"));
}

#[test]
fn a_path_that_names_nothing_and_an_empty_axis_are_refused() {
    let dir = scratch("bad");
    let sweep = sweep_file(&dir, "\"resources.suit.capacity\" = [26, 28]", 2, "200d");
    let o = run_sweep(&sweep, &dir.join("out"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("sweep.toml:5:1: the path `resources.suit.capacity` names nothing in the base scenario: there is no `resources.suit`"), "{err}");
    let sweep = sweep_file(&dir, "\"resources.suite.capacity\" = []", 2, "200d");
    let o = run_sweep(&sweep, &dir.join("out"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("axis `resources.suite.capacity` has no values")
    );
    let sweep = sweep_file(&dir, "\"resources.suite.capacity\" = [0]", 2, "200d");
    let o = run_sweep(&sweep, &dir.join("out"));
    assert_eq!(
        o.status.code(),
        Some(2),
        "a variant that is not a valid scenario is refused"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("resources.suite.capacity = 0"));
}

#[test]
fn a_latin_hypercube_sweep_runs_its_samples() {
    let dir = scratch("lhs");
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/reference/cart.toml"
    ))
    .unwrap();
    std::fs::write(
        dir.join("cart.toml"),
        crate::support::replaced(&base, "horizon = \"730d\"", "horizon = \"200d\""),
    )
    .unwrap();
    let sweep = dir.join("sweep.toml");
    std::fs::write(
        &sweep,
        "base = \"cart.toml\"\nreplications = 2\n[lhs]\nsamples = 6\n[lhs.ranges]\n\
         \"resources.suite.capacity\" = { min = 24, max = 32 }\n\"products.car-t.arrivals.rate\" = { min = 1.5, max = 2.5 }\n",
    )
    .unwrap();
    let o = run_sweep(&sweep, &dir.join("out"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.join("out/results.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(",products.car-t.completed,"))
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 6);
    for r in &rows {
        let (cap, rate): (i64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        assert!(
            (24..=32).contains(&cap) && (1.5..=2.5).contains(&rate),
            "{r:?}"
        );
    }
}

#[test]
fn shards_merge_into_the_unsharded_result_and_merge_names_missing_shards() {
    let dir = scratch("shards");
    let sweep = sweep_file(
        &dir,
        "\"resources.suite.capacity\" = [25, 26, 27, 28, 29]",
        2,
        "200d",
    );
    assert!(run_sweep(&sweep, &dir.join("whole")).status.success());
    let sharded = dir.join("sharded");
    for k in 1..=3 {
        let o = cgtsim(&[
            "sweep",
            sweep.to_str().unwrap(),
            "--out",
            sharded.to_str().unwrap(),
            "--shard",
            &format!("{k}/3"),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            !sharded.join("results.csv").exists(),
            "shards leave the assembly to merge"
        );
    }
    let o = cgtsim(&["merge", sharded.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let read = |p: PathBuf| std::fs::read_to_string(p).unwrap();
    assert_eq!(
        read(sharded.join("results.csv")),
        read(dir.join("whole/results.csv"))
    );
    // Variants 1 and 4 belong to shard 2 of 3.
    std::fs::remove_file(sharded.join("variants/part-2-of-3.csv")).unwrap();
    let o = cgtsim(&["merge", sharded.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("2 of 5 variants are missing; run shard(s) 2/3")
    );
}

#[test]
fn impossible_shards_are_refused() {
    let dir = scratch("bad-shards");
    let sweep = sweep_file(&dir, "\"resources.suite.capacity\" = [26]", 2, "200d");
    for shard in ["5/4", "0/0", "0/3", "two/3", "3"] {
        let o = cgtsim(&[
            "sweep",
            sweep.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
            "--shard",
            shard,
        ]);
        assert_eq!(o.status.code(), Some(2), "{shard}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--shard takes K/N with 1 <= K <= N"),
            "{shard}"
        );
    }
}

/// The mean of the metric called `name` over replications `0..n` of a scenario with its
/// own seed: what a sweep's variant of that scenario reports.
fn mean_of_runs(sc: &scenario::Scenario, n: u64, name: &str) -> f64 {
    (0..n).map(|r| metric(sc, sc.seed, r, name)).sum::<f64>() / n as f64
}

/// Replication `r` of a scenario with `seed`: the metric called `name`.
fn metric(sc: &scenario::Scenario, seed: u64, r: u64, name: &str) -> f64 {
    let values = run_replication(&sc.spec, Streams::new(seed, r))
        .unwrap()
        .values;
    let names = cgtsim::model::metric_names(&sc.spec);
    let at = names
        .iter()
        .position(|m| m.name == name)
        .expect("a metric of the scenario");
    values[at]
}

/// A sweep over `scenarios/ccrm-nordic.toml` with a `[grid]` and a `[linked]` table.
fn linked_sweep(dir: &Path, grid: &str, linked: &str) -> PathBuf {
    let hub = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ccrm-nordic.toml");
    std::fs::copy(hub, dir.join("hub.toml")).unwrap();
    let path = dir.join("sweep.toml");
    let text =
        format!("base = \"hub.toml\"\nreplications = 3\n\n[grid]\n{grid}\n\n[linked]\n{linked}\n");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_linked_axis_moves_its_paths_together() {
    // `demand` scales both tenants' arrival rates (24 and 16 a year); `staff` sets the QC
    // analysts and the QPs together. Variant 3 (demand 2.5, staff 2) equals a plain run of
    // the hub with 60 and 40 a year and 2 of each, on the same streams.
    let dir = scratch("linked");
    let sweep = linked_sweep(
        &dir,
        "demand = [1.0, 2.5]\nstaff = [1, 2]",
        "demand = { scale = [\"products.car-t-fresh.arrivals.rate\", \"products.car-t-cryo.arrivals.rate\"] }\nstaff = { set = [\"resources.qc_analyst.capacity\", \"resources.qp.capacity\"] }",
    );
    let o = run_sweep(&sweep, &dir.join("out"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.join("out/results.csv")).unwrap();
    assert!(csv.starts_with("variant,demand,staff,metric,"), "{csv}");
    let hub = std::fs::read_to_string(dir.join("hub.toml")).unwrap();
    let text = crate::support::replaced(&hub, "rate = 24,", "rate = 60,");
    let text = crate::support::replaced(&text, "rate = 16,", "rate = 40,");
    let text = crate::support::replaced(
        &text,
        "qc_analyst = { capacity = 3",
        "qc_analyst = { capacity = 2",
    );
    let text = crate::support::replaced(&text, "qp = { capacity = 1", "qp = { capacity = 2");
    let sc = scenario::parse("hub", &text).unwrap();
    for name in [
        "products.car-t-fresh.arrived",
        "products.car-t-cryo.v2v.mean",
        "resources.qp.utilisation",
    ] {
        let want = mean_of_runs(&sc, 3, name);
        let row = csv
            .lines()
            .find(|l| l.starts_with(&format!("3,2.5,2,{name},")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{csv}"));
        let got: f64 = row.split(',').nth(5).unwrap().parse().unwrap();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn bad_linked_axes_are_refused_where_they_are_written() {
    let rates = "[\"products.car-t-fresh.arrivals.rate\", \"products.car-t-cryo.arrivals.rate\"]";
    for (what, grid, linked, expected) in [
        (
            "declared and not used",
            "\"resources.qp.capacity\" = [1, 2]".to_string(),
            format!("demand = {{ scale = {rates} }}"),
            "sweep.toml:8:1: `demand` is declared in [linked] but is no axis of the design",
        ),
        (
            "both scale and set",
            "demand = [1.0, 2.0]".to_string(),
            format!("demand = {{ scale = {rates}, set = {rates} }}"),
            "a linked axis gives either `scale = [paths]`",
        ),
        (
            "a path that names nothing",
            "demand = [1.0, 2.0]".to_string(),
            "demand = { scale = [\"products.car-t-fresh.arrivals.speed\"] }".to_string(),
            "there is no `speed` there",
        ),
        (
            "a scaled path that is not a number",
            "demand = [1.0, 2.0]".to_string(),
            "demand = { scale = [\"products.car-t-fresh.steps.apheresis.duration\"] }".to_string(),
            "is `\"1d\"` in the base scenario, not a number, so it cannot be scaled; use `set`",
        ),
        (
            "a scale factor that is not a number",
            "demand = [1.0, \"double\"]".to_string(),
            format!("demand = {{ scale = {rates} }}"),
            "sweep.toml:5:16: `demand` scales its paths: its values must be numbers",
        ),
        (
            "a factor that makes a rate invalid",
            "demand = [1.0, -1.0]".to_string(),
            format!("demand = {{ scale = {rates} }}"),
            "`demand = -1.0` makes the base scenario invalid",
        ),
    ] {
        let dir = scratch("bad-linked");
        let sweep = linked_sweep(&dir, &grid, &linked);
        let o = run_sweep(&sweep, &dir.join("out"));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(
            err.contains(expected),
            "{what}: expected `{expected}` in:\n{err}"
        );
    }
}

#[test]
fn a_linked_axis_spans_a_latin_hypercube_range() {
    let dir = scratch("linked-lhs");
    let hub = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ccrm-nordic.toml");
    std::fs::copy(hub, dir.join("hub.toml")).unwrap();
    let sweep = dir.join("sweep.toml");
    std::fs::write(
        &sweep,
        "base = \"hub.toml\"\nreplications = 2\n\n[lhs]\nsamples = 3\n[lhs.ranges]\ndemand = { min = 1.0, max = 3.0 }\n\n[linked]\ndemand = { scale = [\"products.car-t-fresh.arrivals.rate\", \"products.car-t-cryo.arrivals.rate\"] }\n",
    )
    .unwrap();
    let o = run_sweep(&sweep, &dir.join("out"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.join("out/results.csv")).unwrap();
    // One demand factor per stratum of [1, 3], and arrivals rising with it.
    let mut rows: Vec<(f64, f64)> = csv
        .lines()
        .filter(|l| l.contains(",products.car-t-fresh.arrived,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].parse().unwrap(), f[4].parse().unwrap())
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(rows.len(), 3, "{csv}");
    for (i, (factor, _)) in rows.iter().enumerate() {
        let stratum = (factor - 1.0) / (2.0 / 3.0);
        assert_eq!(stratum.floor() as usize, i, "{rows:?}");
    }
    assert!(rows[0].1 < rows[2].1, "{rows:?}");
}

#[test]
fn a_changed_arrival_log_is_another_sweep() {
    // The base reads its patients from a CSV: results of the sweep made with one log are
    // not trusted once the log has changed (resuming would mix two demands).
    let dir = scratch("log");
    let cart = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/reference/cart.toml"
    ))
    .unwrap();
    let base = crate::support::replaced(
        &cart,
        "arrivals = { rate = 2.0, per = \"day\" }",
        "arrivals = { file = \"log.csv\" }",
    );
    std::fs::write(dir.join("cart.toml"), base).unwrap();
    std::fs::write(dir.join("log.csv"), "day\n1\n2\n3\n").unwrap();
    let sweep = dir.join("sweep.toml");
    std::fs::write(
        &sweep,
        "base = \"cart.toml\"\nreplications = 2\n[grid]\n\"resources.suite.capacity\" = [26, 28]\n",
    )
    .unwrap();
    let out = dir.join("out");
    assert!(run_sweep(&sweep, &out).status.success());
    assert!(
        run_sweep(&sweep, &out).status.success(),
        "the same inputs resume"
    );
    std::fs::write(dir.join("log.csv"), "day\n1\n2\n4\n").unwrap();
    let o = run_sweep(&sweep, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds results of a different sweep"));
    // A run records the log it read.
    let o = cgtsim(&[
        "run",
        dir.join("cart.toml").to_str().unwrap(),
        "--replications",
        "2",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let inputs = &json["scenario"]["inputs"];
    assert!(
        inputs[0]["path"].as_str().unwrap().ends_with("log.csv"),
        "{inputs}"
    );
    assert_eq!(inputs[0]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn the_slurm_template_maps_array_tasks_to_shards() {
    // Without Slurm: the template run as Slurm would run it, for an array counted from 0
    // (three tasks, three shards) and for two tasks of six shards given as its third
    // argument (the merge then names the four shards still to run).
    let dir = crate::support::scratch("slurm-template");
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/validation/mm1.toml");
    let sweep = dir.join("s.toml");
    std::fs::write(
        &sweep,
        format!("base = \"{base}\"\nreplications = 2\n[grid]\n\"simulation.horizon\" = [\"100d\", \"200d\", \"300d\", \"400d\", \"500d\", \"600d\"]\n"),
    )
    .unwrap();
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/slurm/sweep.sbatch");
    let task = |out: &str, id: u32, min: u32, count: u32, shards: Option<&str>| {
        let mut c = std::process::Command::new("bash");
        c.arg(template)
            .arg(&sweep)
            .arg(dir.join(out))
            .env("CGTSIM", env!("CARGO_BIN_EXE_cgtsim"))
            .env("SLURM_ARRAY_TASK_ID", id.to_string())
            .env("SLURM_ARRAY_TASK_MIN", min.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", count.to_string());
        if let Some(n) = shards {
            c.arg(n);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    for id in 0..3 {
        assert!(task("zero", id, 0, 3, None).contains(&format!("shard {}/3 done", id + 1)));
    }
    let merged = crate::support::cgtsim(&["merge", dir.join("zero").to_str().unwrap()]);
    assert!(merged.status.success());
    for id in 1..=2 {
        assert!(task("six", id, 1, 2, Some("6")).contains(&format!("shard {id}/6 done")));
    }
    let merged = crate::support::cgtsim(&["merge", dir.join("six").to_str().unwrap()]);
    assert_eq!(merged.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&merged.stderr).contains("run shard(s) 3/6, 4/6, 5/6, 6/6"),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
}
