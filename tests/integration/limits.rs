//! Valid-looking but degenerate input ends in a clear, located message (exit 2) or a
//! bounded run: never a panic, a hang or runaway memory. One test per case of the trust
//! issue; the limits are `cgtsim::model::limits`, stated in README.

use crate::support::{assert_clean_refusal, cgtsim, replaced, run_file, scratch};
use std::time::{Duration, Instant};

/// A small valid scenario; the tests change one thing at a time.
pub const MINI: &str = r#"[simulation]
warmup = "0d"
horizon = "100d"
replications = 2
seed = 1

[resources]
suite = { capacity = 2 }

[[products]]
name = "car-t"
type = "autologous"
arrivals = { rate = 0.1, per = "day" }

  [[products.steps]]
  name = "manufacturing"
  uses = ["suite"]
  duration = "10d"
"#;

fn run(name: &str, text: &str) -> (Option<i32>, String, String) {
    run_file(name, text, &["run"])
}

#[test]
fn the_mini_scenario_runs() {
    let (code, out, err) = run("mini", MINI);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Product car-t"));
}

#[test]
fn a_vanishing_rate_is_refused_at_the_rate() {
    let text = replaced(MINI, "rate = 0.1", "rate = 1e-310");
    let r = run("tiny-rate", &text);
    assert_clean_refusal("rate 1e-310", &r, "scenario.toml:13:21: a rate of 1e-310");
    assert!(
        r.2.contains("fewer than one arrival in 100,000 years"),
        "{}",
        r.2
    );
}

#[test]
fn a_huge_rate_is_refused_not_simulated() {
    let text = replaced(MINI, "rate = 0.1", "rate = 1e308");
    assert_clean_refusal(
        "rate 1e308",
        &run("huge-rate", &text),
        "scenario.toml:13:12: unboundedly many arrivals per replication",
    );
    let text = replaced(MINI, "rate = 0.1", "rate = 1e7");
    assert_clean_refusal(
        "rate 1e7 a day",
        &run("high-rate", &text),
        "arrivals per replication; at most 1e8",
    );
}

#[test]
fn a_zero_interarrival_time_is_refused() {
    let text = replaced(
        MINI,
        "arrivals = { rate = 0.1, per = \"day\" }",
        "arrivals = { interarrival = \"0s\" }",
    );
    assert_clean_refusal(
        "interarrival 0s",
        &run("zero-interarrival", &text),
        "the time between arrivals is zero",
    );
}

#[test]
fn a_duration_of_301_digits_is_refused_without_echoing_it() {
    let text = replaced(
        MINI,
        "duration = \"10d\"",
        &format!("duration = \"{}d\"", "9".repeat(301)),
    );
    let r = run("long-duration", &text);
    assert_clean_refusal("301 digits", &r, "longer than 100,000 years");
    assert!(
        !r.2.contains(&"9".repeat(120)),
        "the value is echoed whole:\n{}",
        r.2
    );
}

#[test]
fn a_zero_time_rework_loop_is_refused_or_bounded() {
    let looping = replaced(
        MINI,
        "duration = \"10d\"",
        "duration = \"0d\"\n  failure = { probability = 1.0, max_attempts = 4294967295 }",
    );
    assert_clean_refusal(
        "max_attempts 2^32 - 1",
        &run("zero-loop", &looping),
        "max_attempts must be from 1 to 1000",
    );
    // At the limit, every patient fails 1,000 times in no time and is lost: bounded.
    let bounded = replaced(&looping, "4294967295", "1000");
    let (code, out, err) = run("zero-loop-1000", &bounded);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("lost (failures)"), "{out}");
}

#[test]
fn breakdowns_that_take_no_time_are_refused() {
    let text = replaced(
        MINI,
        "suite = { capacity = 2 }",
        "suite = { capacity = 2, breakdowns = { time_between = \"0d\", repair = \"0d\" } }",
    );
    assert_clean_refusal(
        "breakdowns 0d/0d",
        &run("zero-breakdowns", &text),
        "scenario.toml:8:38: time_between and repair are both zero",
    );
}

#[test]
fn a_zero_time_loop_the_checks_miss_stops_with_a_message() {
    // Zero-duration breakdowns with a positive mean between them pass the checks; a
    // repair of zero and time_between of zero in most draws (a 1e-9 s mean) would loop:
    // the kernel's guard stops the run and says so.
    let text = replaced(
        MINI,
        "suite = { capacity = 2 }",
        "suite = { capacity = 2, breakdowns = { time_between = { empirical = { values = [\"0s\", \"1000d\"], weights = [1000000000, 1] } }, repair = \"0s\" } }",
    );
    let started = Instant::now();
    let r = run("zero-loop-guard", &text);
    assert_clean_refusal("zero-time breakdowns", &r, "zero-time loop");
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_reorder_point_of_a_trillion_is_refused() {
    let text = r#"[simulation]
horizon = "100d"
[resources]
suite = { capacity = 2 }
[[products]]
name = "allo"
type = "allogeneic"
arrivals = { rate = 1.0, per = "day" }
doses = 100
policy = { reorder_point = 1000000000000 }
  [[products.steps]]
  name = "batch"
  uses = ["suite"]
  duration = "10d"
"#;
    assert_clean_refusal(
        "reorder point 1e12",
        &run("huge-reorder", text),
        "scenario.toml:10:28: reorder point 1000000000000 would start",
    );
}

#[test]
fn absurd_replication_counts_are_refused() {
    for n in ["1000000000000", "18446744073709551615"] {
        let r = run_file("reps", MINI, &["run", "--replications", n]);
        assert_clean_refusal(n, &r, "--replications must be from 1 to 100000");
    }
    let text = replaced(
        MINI,
        "replications = 2",
        "replications = 9223372036854775807",
    );
    assert_clean_refusal(
        "replications in the file",
        &run("reps-file", &text),
        "scenario.toml:4:16: replications must be from 1 to 100000",
    );
}

#[test]
fn a_sweep_asking_for_absurd_sizes_is_refused() {
    let dir = scratch("sweep-sizes");
    std::fs::write(dir.join("base.toml"), MINI).unwrap();
    let cases = [
        (
            "replications = 9223372036854775807\n[grid]\n\"resources.suite.capacity\" = [2]\n",
            "sweep.toml:2:16: replications must be from 1 to 100000",
        ),
        (
            "replications = 1e12\n[grid]\n\"resources.suite.capacity\" = [2]\n",
            "sweep.toml:2:16: expected a whole number, found floating point `1000000000000.0`",
        ),
        (
            "[lhs]\nsamples = 4294967295\n[lhs.ranges]\n\"resources.suite.capacity\" = { min = 1, max = 4 }\n",
            "sweep.toml:3:11: samples must be from 1 to 1000000",
        ),
        (
            "[grid]\n\"resources.suite.capacity\" = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n\"products.car-t.arrivals.rate\" = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]\n\"products.car-t.steps.manufacturing.duration\" = [\"1d\", \"2d\", \"3d\", \"4d\", \"5d\", \"6d\", \"7d\", \"8d\", \"9d\", \"10d\"]\n\"simulation.horizon\" = [HORIZONS]\n\"simulation.warmup\" = [\"0d\", \"1d\", \"2d\", \"3d\", \"4d\", \"5d\", \"6d\", \"7d\", \"8d\", \"9d\", \"10d\"]\n",
            "the grid has 1100000 variants",
        ),
    ];
    // 10 x 10 x 10 x 100 x 11 = 1,100,000 variants.
    let horizons: Vec<String> = (1..=100).map(|d| format!("\"{d}d\"")).collect();
    for (i, (body, message)) in cases.iter().enumerate() {
        let path = dir.join("sweep.toml");
        let body = body.replace("HORIZONS", &horizons.join(", "));
        std::fs::write(&path, format!("base = \"base.toml\"\n{body}")).unwrap();
        let o = cgtsim(&[
            "sweep",
            path.to_str().unwrap(),
            "--out",
            dir.join(format!("out{i}")).to_str().unwrap(),
        ]);
        let r = (
            o.status.code(),
            String::new(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        );
        assert_clean_refusal(message, &r, message);
    }
}

#[test]
fn a_million_variant_grid_starts_at_once_and_runs_its_shard() {
    // 1,000 x 1,000 variants. Variants are compiled when their turn comes, so a shard of
    // ten of them runs in about the time of ten.
    let dir = scratch("million");
    std::fs::write(
        dir.join("base.toml"),
        replaced(MINI, "horizon = \"100d\"", "horizon = \"20d\""),
    )
    .unwrap();
    let rates: Vec<String> = (1..=1000)
        .map(|i| format!("{:.4}", 0.05 + i as f64 * 1e-4))
        .collect();
    let durations: Vec<String> = (1..=1000).map(|i| format!("\"{}h\"", 100 + i)).collect();
    let path = dir.join("sweep.toml");
    std::fs::write(
        &path,
        format!(
            "base = \"base.toml\"\nreplications = 2\n[grid]\n\"products.car-t.arrivals.rate\" = [{}]\n\"products.car-t.steps.manufacturing.duration\" = [{}]\n",
            rates.join(", "),
            durations.join(", ")
        ),
    )
    .unwrap();
    let started = Instant::now();
    let o = cgtsim(&[
        "sweep",
        path.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--shard",
        "1/100000",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let index = std::fs::read_to_string(dir.join("out/variants/part-1-of-100000.idx")).unwrap();
    let variants: Vec<&str> = index
        .lines()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        variants.len(),
        10,
        "shard 1 of 100,000 holds 10 of 1,000,000 variants"
    );
    assert!(
        variants
            .iter()
            .all(|v| v.parse::<usize>().unwrap() % 100_000 == 0)
    );
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_priority_beyond_32_bits_is_refused_not_wrapped() {
    let text = replaced(
        MINI,
        "type = \"autologous\"",
        "type = \"autologous\"\npriority = 4294967297",
    );
    assert_clean_refusal(
        "priority 2^32 + 1",
        &run("priority", &text),
        "scenario.toml:13:12: a priority must be a whole number from -2147483648 to 2147483647",
    );
}

#[test]
fn a_holiday_repeated_every_second_is_refused_and_yearly_ones_are_not_expanded() {
    let every_second = replaced(
        MINI,
        "suite = { capacity = 2 }",
        "suite = { capacity = 2, calendar = { base = 2, exceptions = [{ from = \"1d\", to = \"1.5d\", repeat = \"1s\" }] } }",
    );
    assert_clean_refusal(
        "repeat 1s",
        &run("repeat-1s", &every_second),
        "repeat must be at least one day",
    );
    // A daily closure over 10,000 years is stored once: the run is as quick as without.
    let daily = replaced(&every_second, "repeat = \"1s\"", "repeat = \"1d\"");
    let long = replaced(&daily, "horizon = \"100d\"", "horizon = \"3650000d\"");
    let started = Instant::now();
    let (code, _, err) = run_file("repeat-1d", &long, &["run", "--replications", "1"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[test]
fn sizing_a_resource_with_breakdowns_checks_every_candidate() {
    // Breakdowns take 3 units: capacities below 3 are not valid scenarios. Size starts at
    // the smallest valid capacity and never runs an invalid one (it used to panic).
    let text = replaced(
        MINI,
        "suite = { capacity = 2 }",
        "suite = { capacity = 4, breakdowns = { time_between = \"30d\", repair = \"1d\", units = 3 } }",
    );
    let path = scratch("size-breakdowns").join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    let o = cgtsim(&[
        "size",
        path.to_str().unwrap(),
        "--resource",
        "suite",
        "--target",
        "resources.suite.utilisation <= 0.9",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(!err.contains("panicked"));
    assert!(out.contains("answer: suite = 3"), "{out}");
}

#[test]
fn an_overloaded_system_stops_with_a_message_in_bounded_memory() {
    // 1,000 patients a day on model B's 28 suites for 1,000 years: work in progress grows
    // without bound. The run stops when 100,000 are in the system and says why.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/reference/cart.toml"
    ))
    .unwrap();
    let text = replaced(&text, "rate = 2.0", "rate = 1000.0");
    let millennium = replaced(&text, "horizon = \"730d\"", "horizon = \"365000d\"");
    assert_clean_refusal(
        "a thousand years",
        &run_file("overload-1000y", &millennium, &["run"]),
        "arrivals per replication; at most 1e8",
    );
    // Two hundred years pass the arrival limit; the run stops when the system is full.
    let text = replaced(&text, "horizon = \"730d\"", "horizon = \"73000d\"");
    let started = Instant::now();
    let r = run_file("overload", &text, &["run", "--replications", "2"]);
    assert_clean_refusal("overload", &r, "the system is overloaded");
    assert!(r.2.contains("more than 100000 patients"), "{}", r.2);
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[test]
fn scientific_notation_in_durations_is_accepted() {
    let text = replaced(MINI, "duration = \"10d\"", "duration = \"1e1d\"");
    let (code, plain, _) = run("sci", MINI);
    let (code2, sci, err) = run("sci2", &text);
    assert_eq!((code, code2), (Some(0), Some(0)), "{err}");
    let body = |s: &str| s.lines().skip(2).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&plain), body(&sci), "1e1d is 10d");
}

#[test]
fn parser_messages_speak_the_scenario_language() {
    let fractional = replaced(MINI, "capacity = 2 }", "capacity = 2.5 }");
    assert_clean_refusal(
        "capacity 2.5",
        &run("fraction", &fractional),
        "scenario.toml:8:22: expected a whole number, or in a site type a parameter's name, found floating point `2.5`",
    );
    let twice = replaced(MINI, "seed = 1", "seed = 1\nseed = 2");
    assert_clean_refusal(
        "duplicate key",
        &run("twice", &twice),
        "`seed` is given twice",
    );
}

#[test]
fn an_overloaded_multi_pool_queue_stays_quick() {
    // Found by the fuzz harness: 50 arrivals an hour at a suite taking 2 units of 3 for
    // 2 days, with a QP beside it that breaks down. Every arrival used to rescan the QP's
    // queue of hundreds of thousands of waiting requests (quadratic, hours); now the run
    // reaches the work-in-progress limit in seconds and says so.
    let text = r#"[simulation]
warmup = "30d"
horizon = "730d"
replications = 1
seed = 1

[resources]
suite = { capacity = 3 }
qp = { capacity = 3, changeover = "30min", breakdowns = { time_between = { exponential = { mean = "2d" } }, repair = "30min", units = 2 } }

[[products]]
name = "p0"
type = "autologous"
arrivals = { rate = 50, per = "hour" }
  [[products.steps]]
  name = "s0"
  uses = [{ resource = "suite", units = 2 }]
  touch_uses = ["qp"]
  touch = "30min"
  duration = { exponential = { mean = "2d" } }
"#;
    let started = Instant::now();
    let r = run("overload-two-pools", text);
    assert_clean_refusal("two pools", &r, "the system is overloaded");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}
