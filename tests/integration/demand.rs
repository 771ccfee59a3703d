//! Demand that changes over time (issue 9, first part): arrival schedules with a
//! piecewise-constant rate, a non-homogeneous Poisson process drawn by inversion.

use crate::limits::MINI;
use crate::model::run_scenario;
use crate::support::{assert_agrees, assert_clean_refusal, replaced, run_file};

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
