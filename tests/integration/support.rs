//! Helpers shared by the test modules: parallel replications and statistical tolerances.

use cgtsim::engine::{Duration, Kernel, RunLength, Streams, Time, run};
use cgtsim::station::{Station, StationConfig};
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Two-sided probability of a false failure we accept per checked quantity.
pub const FALSE_FAILURE: f64 = 1e-6;

/// k such that |mean - truth| <= k * se fails with probability `FALSE_FAILURE` when the
/// replication means are normal with `n - 1` degrees of freedom.
pub fn k_for(n: usize) -> f64 {
    StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .unwrap()
        .inverse_cdf(1.0 - FALSE_FAILURE / 2.0)
}

/// Mean and standard error of a sample.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// Asserts that the replication values `xs` agree with the exact value `truth` within
/// k standard errors; returns the observed |error| / se for the report.
pub fn assert_agrees(what: &str, xs: &[f64], truth: f64) -> f64 {
    let (m, se) = mean_se(xs);
    let k = k_for(xs.len());
    let z = (m - truth).abs() / se;
    eprintln!("{what}: {m:.5} vs exact {truth:.5} (se {se:.5}, {z:.2} se, allowed {k:.2})");
    assert!(
        z <= k,
        "{what}: estimate {m} is {z:.2} standard errors from the exact {truth} (allowed {k:.2})"
    );
    z
}

/// One value per replication.
pub fn per_run(runs: &[Finished], value: impl Fn(&Finished) -> f64) -> Vec<f64> {
    runs.iter().map(value).collect()
}

/// One finished replication of a station.
pub struct Finished {
    pub station: Station,
    pub kernel: Kernel<cgtsim::station::StationEvent>,
    pub end: Time,
}

/// Runs replications `0..r` of `cfg` in parallel (results do not depend on the order).
pub fn replicate(
    cfg: &StationConfig,
    seed: u64,
    r: usize,
    warmup_days: u64,
    horizon_days: u64,
) -> Vec<Finished> {
    (0..r as u64)
        .into_par_iter()
        .map(|rep| run_station(cfg, Streams::new(seed, rep), warmup_days, horizon_days))
        .collect()
}

/// Runs one replication of `cfg`.
pub fn run_station(
    cfg: &StationConfig,
    streams: Streams,
    warmup_days: u64,
    horizon_days: u64,
) -> Finished {
    let mut kernel = Kernel::new();
    let mut station = Station::new(cfg, &mut kernel, streams).unwrap();
    let length = RunLength {
        warmup: Duration::from_days(warmup_days),
        horizon: Duration::from_days(horizon_days),
    };
    let end = run(&mut station, &mut kernel, length);
    assert_eq!(end, cgtsim::engine::RunEnd::Completed);
    Finished {
        end: kernel.now(),
        station,
        kernel,
    }
}

/// Runs the `cgtsim` binary with `args` and waits for it.
pub fn cgtsim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cgtsim"))
        .args(args)
        .output()
        .expect("cgtsim runs")
}

/// A fresh, empty scratch directory for test `name` (unique per test process).
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cgtsim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `text` with its first `from` replaced by `to`; fails the test if `from` is not there
/// (a test whose edit found nothing to edit would silently test the original).
pub fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "test bug: `{from}` is not in the text it should replace"
    );
    text.replacen(from, to, 1)
}

/// Writes `text` as `name` in a fresh scratch directory and runs `cgtsim` with `args`
/// followed by the file's path; returns (exit code, stdout, stderr).
pub fn run_file(name: &str, text: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let path = scratch(name).join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    let mut all: Vec<&str> = args.to_vec();
    all.insert(1, path.to_str().unwrap());
    let o = cgtsim(&all);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Asserts that `cgtsim` refused cleanly: exit 2, no panic, `message` in stderr.
pub fn assert_clean_refusal(
    what: &str,
    (code, _, err): &(Option<i32>, String, String),
    message: &str,
) {
    assert_eq!(*code, Some(2), "{what}: exit code; stderr:\n{err}");
    assert!(!err.contains("panicked"), "{what}: panicked:\n{err}");
    assert!(
        err.contains(message),
        "{what}: expected `{message}` in:\n{err}"
    );
    assert!(
        err.len() < 2_000,
        "{what}: a message of {} bytes",
        err.len()
    );
}

/// Writes `base` as `base.toml` in a scratch directory named `name` and returns a
/// function that runs a sweep of one grid axis over it (the sweep's name, the axis line).
pub fn sweeper(name: &str, base: &str) -> impl Fn(&str, String) -> std::process::Output {
    let dir = scratch(name);
    std::fs::write(dir.join("base.toml"), base).unwrap();
    move |sweep: &str, axis: String| {
        let file = dir.join(format!("{sweep}.toml"));
        std::fs::write(&file, format!("base = \"base.toml\"\n[grid]\n{axis}\n")).unwrap();
        let out = dir.join(sweep);
        cgtsim(&[
            "sweep",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    }
}

/// Sweeps each `(path, a, b)` over `base` and asserts that the two variants' results
/// differ: every accepted path must change the model.
pub fn assert_every_path_changes(name: &str, base: &str, paths: &[(&str, &str, &str)]) {
    let sweep = sweeper(name, base);
    for (i, (path, a, b)) in paths.iter().enumerate() {
        let o = sweep(&format!("p{i}"), format!("\"{path}\" = [{a}, {b}]"));
        assert!(
            o.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let results = scratch_path(name).join(format!("p{i}/results.csv"));
        let csv = std::fs::read_to_string(results).unwrap();
        // Every (metric, mean) of variant 0 and of variant 1: some must differ.
        let of = |v: &str| -> Vec<(String, String)> {
            csv.lines()
                .filter(|l| l.starts_with(&format!("{v},")))
                .map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    (f[2].to_string(), f[4].to_string())
                })
                .collect()
        };
        let (v0, v1) = (of("0"), of("1"));
        assert!(!v0.is_empty(), "{path}: no rows");
        assert!(v0 != v1, "{path} = {a} and {b} give the same results");
    }
}

/// The scratch directory of test `name`, without emptying it.
pub fn scratch_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("cgtsim-test-{}-{name}", std::process::id()))
}

/// Asserts that every replication's value of each named metric is exactly `want` (up to
/// rounding): for golden runs computed by hand.
pub fn assert_exact(m: &std::collections::HashMap<String, Vec<f64>>, expected: &[(&str, f64)]) {
    for &(name, want) in expected {
        let got = &m[name];
        assert!(
            got.iter().all(|&v| (v - want).abs() < 1e-9),
            "{name}: {got:?}, want {want}"
        );
    }
}
