//! The cell-therapy model, through its scenario files: statistical validation against the
//! analytic values of the reference models and of Erlang A, and golden chains whose every
//! time is computed by hand. Tolerances as in `validation`: k standard errors over R
//! replications, k for a false-failure rate of 1e-6, warm-ups stated in the scenarios.

use crate::support::{assert_agrees, assert_exact, replaced};
use cgtsim::cli::scenario;
use cgtsim::experiment::simulate;
use cgtsim::model::metric_names;
use std::collections::HashMap;

/// Runs a scenario (its own replications and seed unless given) and returns every metric's
/// per-replication values by name, plus the events per replication.
pub fn run_scenario(
    text: &str,
    replications: Option<u64>,
) -> (HashMap<String, Vec<f64>>, Vec<u64>) {
    let sc = scenario::parse("test.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let spec = &sc.spec;
    let n = replications.unwrap_or(sc.replications);
    let runs = simulate(spec, sc.seed, n, || {}, || false).unwrap_or_else(|e| panic!("{e}"));
    let names = metric_names(spec);
    let mut out: HashMap<String, Vec<f64>> = HashMap::new();
    for r in &runs {
        for (m, v) in names.iter().zip(&r.values) {
            out.entry(m.name.clone()).or_default().push(*v);
        }
    }
    (out, runs.iter().map(|r| r.events).collect())
}

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn reference_model_b_hits_its_analytic_values() {
    // scenarios/reference/cart.toml, run BR: warm-up 365 d, horizon 730 d, R = 200.
    let (m, _) = run_scenario(&read("scenarios/reference/cart.toml"), None);
    assert_agrees(
        "B suite_util",
        &m["resources.suite.utilisation"],
        2.0 * 1.05 * (32.0 / 3.0 + 1.0) / 28.0,
    );
    assert_agrees(
        "B suite_util_mfg",
        &m["resources.suite.utilisation_working"],
        2.0 * 1.05 * (32.0 / 3.0) / 28.0,
    );
    assert_agrees(
        "B completed",
        &m["products.car-t.completed"],
        2.0 * (1.0 - 0.05 * 0.05) * 730.0,
    );
    assert_agrees(
        "B lost",
        &m["products.car-t.lost"],
        2.0 * 0.05 * 0.05 * 730.0,
    );
    assert_agrees(
        "B analyst_util",
        &m["resources.qc_analyst.utilisation"],
        1.995 * 0.5 / 6.0,
    );
    assert_agrees(
        "B qp_util",
        &m["resources.qp.utilisation"],
        1.995 * 0.1 / 2.0,
    );
    let v2v = crate::support::mean_se(&m["products.car-t.v2v.mean"]).0;
    assert!(
        v2v > 21.87,
        "V2V mean {v2v} must exceed the no-queueing bound 21.87 days"
    );
    // The decomposition by step adds up to the vein-to-vein mean, replication by replication.
    for r in 0..m["products.car-t.v2v.mean"].len() {
        let steps: f64 = m
            .iter()
            .filter(|(k, _)| k.contains(".steps."))
            .map(|(_, v)| v[r])
            .sum();
        assert!(
            (steps - m["products.car-t.v2v.mean"][r]).abs() < 1e-9,
            "replication {r}: {steps}"
        );
    }
}

#[test]
fn reference_model_a_hits_erlang_c() {
    // scenarios/reference/mmc.toml, run AR: warm-up 1,000 d, horizon 10,000 d, R = 100.
    let (m, _) = run_scenario(&read("scenarios/reference/mmc.toml"), None);
    assert_agrees(
        "A Wq",
        &m["products.mmc.steps.service.wait.mean"],
        1.524_986,
    );
    assert_agrees("A W", &m["products.mmc.v2v.mean"], 2.524_986);
    assert_agrees("A utilisation", &m["resources.server.utilisation"], 0.9);
    assert_agrees("A Lq", &m["resources.server.queue.mean"], 6.862_439);
}

#[test]
fn patience_matches_erlang_a() {
    // M/M/1+M through the model: one step on one server, Poisson arrivals 1/day, service
    // exponential mean 1 day, patience exponential mean 2 days (theta 0.5). The patience
    // clock runs while waiting, exactly the Erlang-A assumption. Warm-up 500 days.
    let exact = cgtsim::experiment::theory::erlang_a_abandonment(1.0, 1.0, 0.5);
    let text = r#"
        [simulation]
        warmup = "500d"
        horizon = "10000d"
        replications = 40
        seed = 4
        [resources]
        server = { capacity = 1 }
        [[products]]
        name = "impatient"
        type = "autologous"
        arrivals = { rate = 1.0, per = "day" }
        patience = { exponential = { mean = "2d" } }
          [[products.steps]]
          name = "service"
          uses = ["server"]
          duration = { exponential = { mean = "1d" } }
    "#;
    let (m, _) = run_scenario(text, None);
    let share: Vec<f64> = m["products.impatient.dropped_out"]
        .iter()
        .zip(&m["products.impatient.completed"])
        .map(|(d, c)| d / (d + c))
        .collect();
    assert_agrees("M/M/1+M abandonment", &share, exact);
}

/// A deterministic chain, one patient every 10 days from day 10:
/// apheresis 1 d -> manufacturing on the suite (3 d) with an operator for the first 6 h
/// -> QC: sterility 2 d and potency 1 d in parallel, each with 2 h of an analyst -> done.
/// The suite is cleaned 1 d after each batch. Nothing ever waits.
const GOLDEN: &str = r#"
    [simulation]
    warmup = "0d"
    horizon = "1000d"
    replications = 2
    [resources]
    suite = { capacity = 1, changeover = "1d" }
    operator = { capacity = 1 }
    analyst = { capacity = 2 }
    [[products]]
    name = "p"
    type = "autologous"
    arrivals = { interarrival = "10d" }
      [[products.steps]]
      name = "apheresis"
      duration = "1d"
      [[products.steps]]
      name = "manufacturing"
      uses = ["suite"]
      touch_uses = ["operator"]
      touch = "6h"
      duration = "3d"
      [[products.steps]]
      name = "qc"
        [[products.steps.assays]]
        name = "sterility"
        touch_uses = ["analyst"]
        touch = "2h"
        duration = "2d"
        [[products.steps.assays]]
        name = "potency"
        touch_uses = ["analyst"]
        touch = "2h"
        duration = "1d"
"#;

/// Every random source has a stream of its own (common random numbers): a failure rule
/// added to a step draws on the step's own `failure` stream, so the step's `touch` and
/// `duration` draws, and with a rule that never fires every result, stay as they were.
/// (The streams are named, not counted: a replication seeds only those its tasks draw.)
#[test]
fn a_failure_rule_leaves_the_touch_and_work_draws_of_its_step_as_they_were() {
    let base = r#"
[simulation]
horizon = "200d"
replications = 3
seed = 7

[resources]
suite = { capacity = 2 }
operator = { capacity = 1 }

[[products]]
name = "p"
type = "autologous"
arrivals = { rate = 0.8, per = "day" }

  [[products.steps]]
  name = "make"
  uses = ["suite"]
  touch_uses = ["operator"]
  touch = { exponential = { mean = "6h" } }
  duration = { exponential = { mean = "2d" } }
"#;
    let with_rule = format!(
        "{base}  failure = {{ probability = 1e-12, retry_from = \"make\", max_attempts = 2 }}\n"
    );
    let (without, _) = run_scenario(base, None);
    let (with, _) = run_scenario(&with_rule, None);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(without.len(), with.len());
    for (name, values) in &without {
        assert_eq!(bits(values), bits(&with[name]), "{name}");
    }
    // The draws are random: the operator's waits are not all alike.
    assert!(without["resources.operator.wait.mean"][0] > 0.0);
}

#[test]
fn golden_chain_with_touch_time_changeover_and_assays() {
    let (m, events) = run_scenario(GOLDEN, None);
    // Arrivals on days 10, 20, ..., 990 (99 in the window; day 1000 is the end, not run).
    // Each takes 1 + 3 + 2 = 6 days: all 99 complete (the last on day 996).
    assert_eq!(m["products.p.arrived"], vec![99.0, 99.0]);
    assert_eq!(m["products.p.completed"], vec![99.0, 99.0]);
    assert_eq!(m["products.p.v2v.mean"][0], 6.0);
    assert_eq!(m["products.p.steps.manufacturing.work.mean"][0], 3.0);
    assert_eq!(m["products.p.steps.qc.work.mean"][0], 2.0);
    assert_eq!(m["products.p.steps.qc.wait.mean"][0], 0.0);
    // Suite busy 3 d + 1 d changeover per batch: 99 x 4 / 1000; working only 99 x 3 / 1000.
    assert!((m["resources.suite.utilisation"][0] - 0.396).abs() < 1e-12);
    assert!((m["resources.suite.utilisation_working"][0] - 0.297).abs() < 1e-12);
    // The operator only for the 6-h touch: 99 x 0.25 / 1000.
    assert!((m["resources.operator.utilisation"][0] - 0.02475).abs() < 1e-12);
    // Two analysts, 2 x 2 h per batch: 99 x 4/24 / (2 x 1000).
    assert!((m["resources.analyst.utilisation"][0] - 99.0 * 4.0 / 24.0 / 2000.0).abs() < 1e-12);
    // Events per patient: arrival, apheresis end, touch end, manufacturing end, changeover
    // end, 2 assay touch ends, 2 assay ends = 9; 99 patients in [0, 1000).
    assert_eq!(events, vec![99 * 9, 99 * 9]);
}

#[test]
fn golden_rework_and_loss() {
    // Manufacturing always fails: the patient goes back to apheresis once (max_attempts 2),
    // then is lost. V2V never ends; each patient takes 1 + 3 + 1 + 3 = 8 days to be lost.
    let text = crate::support::replaced(
        GOLDEN,
        "duration = \"3d\"\n",
        "duration = \"3d\"\n      failure = { probability = 1.0, retry_from = \"apheresis\", max_attempts = 2 }\n",
    );
    let (m, _) = run_scenario(&text, None);
    assert_eq!(m["products.p.completed"][0], 0.0);
    assert_eq!(
        m["products.p.lost"][0], 99.0,
        "every patient is lost on day arrival + 8 (< 1000)"
    );
    // The suite works 2 x 3 d per patient and is cleaned after each of the two batches.
    assert!((m["resources.suite.utilisation_working"][0] - 99.0 * 6.0 / 1000.0).abs() < 1e-12);
    assert!(
        m["products.p.v2v.mean"][0].is_nan(),
        "no completed patient, no vein-to-vein"
    );
}

#[test]
fn product_priority_on_a_shared_pool_matches_cobham() {
    // Two products share one server: "urgent" (priority 1, 0.3/day) before "routine"
    // (0.4/day), exponential service mean 1 day, non-preemptive. Cobham: Wq = 1 day for
    // urgent, 3.3333 for routine. Warm-up 2,000 days.
    let product = |name: &str, rate: f64, priority: i64| {
        format!(
            "[[products]]\nname = \"{name}\"\ntype = \"autologous\"\narrivals = {{ rate = {rate}, per = \"day\" }}\n\
             priority = {priority}\n  [[products.steps]]\n  name = \"service\"\n  uses = [\"server\"]\n  \
             duration = {{ exponential = {{ mean = \"1d\" }} }}\n"
        )
    };
    let text = format!(
        "[simulation]\nwarmup = \"2000d\"\nhorizon = \"20000d\"\nreplications = 40\nseed = 8\n\
         [resources]\nserver = {{ capacity = 1 }}\n{}{}",
        product("urgent", 0.3, 1),
        product("routine", 0.4, 0)
    );
    let (m, _) = run_scenario(&text, None);
    assert_agrees(
        "urgent Wq",
        &m["products.urgent.steps.service.wait.mean"],
        1.0,
    );
    assert_agrees(
        "routine Wq",
        &m["products.routine.steps.service.wait.mean"],
        0.7 / (0.7 * 0.3),
    );
}

/// One patient a week, arriving Mondays 00:00 (the run starts on a Monday). A 5-day step
/// brings the batch to Saturday 00:00; the QP works weekdays 08:00-17:00, so release waits
/// until Monday 08:00 and ends at 09:00: vein-to-vein 7 d 9 h, every week.
const WEEKDAY_QP: &str = r#"
    [simulation]
    horizon = "700d"
    replications = 1
    start_weekday = "monday"
    [resources]
    qp = { capacity = 1, calendar = { shifts = [{ days = "mon-fri", start = "08:00", end = "17:00", capacity = 1 }] } }
    [[products]]
    name = "p"
    type = "autologous"
    arrivals = { interarrival = "7d" }
      [[products.steps]]
      name = "culture"
      duration = "5d"
      [[products.steps]]
      name = "release"
      uses = ["qp"]
      duration = "1h"
"#;

#[test]
fn golden_weekday_calendar_from_the_scenario() {
    let (m, _) = run_scenario(WEEKDAY_QP, None);
    let v2v = 7.0 + 9.0 / 24.0;
    assert!(
        (m["products.p.v2v.mean"][0] - v2v).abs() < 1e-12,
        "{}",
        m["products.p.v2v.mean"][0]
    );
    assert!(
        (m["products.p.v2v.p95"][0] - v2v).abs() <= 0.005 * v2v,
        "sketch accuracy"
    );
    assert!((m["products.p.steps.release.wait.mean"][0] - (2.0 + 8.0 / 24.0)).abs() < 1e-12);
    // Patients arrive on days 7, 14, ..., 693 (99); the last would be released on day 700
    // at 08:00, after the end.
    assert_eq!(
        (m["products.p.arrived"][0], m["products.p.completed"][0]),
        (99.0, 98.0)
    );
    // The QP is available 45 h a week: 1 h of work a week is 1/45 of available time.
    assert!((m["resources.qp.utilisation_available"][0] - 1.0 / 45.0).abs() < 1e-3);

    // The run starts on a Wednesday instead: arrivals fall on Wednesdays, the culture ends
    // on Mondays 00:00 and release waits only until 08:00.
    let (m, _) = run_scenario(
        &crate::support::replaced(WEEKDAY_QP, "\"monday\"", "\"wednesday\""),
        None,
    );
    assert!((m["products.p.v2v.mean"][0] - (5.0 + 9.0 / 24.0)).abs() < 1e-12);

    // Every Monday from day 14 on is a holiday (an exception repeated weekly): release
    // waits until Tuesday 08:00, one day more for every patient.
    let holiday = crate::support::replaced(
        WEEKDAY_QP,
        "capacity = 1 }] } }",
        "capacity = 1 }], exceptions = [{ from = \"14d\", to = \"15d\", repeat = \"7d\" }] } }",
    );
    let (m, _) = run_scenario(&holiday, None);
    assert!(
        (m["products.p.v2v.mean"][0] - (8.0 + 9.0 / 24.0)).abs() < 1e-12,
        "{}",
        m["products.p.v2v.mean"][0]
    );
}

#[test]
fn utilisation_by_product_adds_up_to_working_utilisation() {
    // Both shares and the total come from units x time held (changeover excluded): the
    // split must account for every unit-hour, replication by replication, on a hub where
    // two products share devices, operators (touch time only), analysts and a QP.
    let text = read("scenarios/ccrm-nordic.toml");
    let (m, _) = run_scenario(&text, Some(6));
    for r in ["device", "operator", "qc_analyst", "qp", "courier"] {
        let total = &m[&format!("resources.{r}.utilisation_working")];
        for i in 0..total.len() {
            let split: f64 = ["car-t-fresh", "car-t-cryo"]
                .iter()
                .map(|p| m[&format!("resources.{r}.utilisation.by_product.{p}")][i])
                .sum();
            assert!(
                (split - total[i]).abs() < 1e-12,
                "{r} replication {i}: {split} vs {}",
                total[i]
            );
            assert!(total[i] > 0.0, "{r} is used");
        }
    }
}

/// Two patients, on Monday (day 0) and Friday (day 4) at 00:00: 15 hours of
/// manufacturing, then a courier who collects only on weekdays between 08:00 and 14:00
/// (a 14:00 cut-off; half an hour at the door) and delivers a day later.
const COURIER: &str = r#"[simulation]
horizon = "100d"
replications = 2
until_empty = true

[resources]
suite = { capacity = 2 }
courier = { capacity = 1, calendar = { shifts = [{ days = "mon-fri", start = "08:00", end = "14:00" }] } }

[[products]]
name = "car-t"
type = "autologous"
arrivals = { cohort = 2, from = "0d", to = "8d", spread = "even" }

  [[products.steps]]
  name = "manufacturing"
  uses = ["suite"]
  duration = "15h"

  [[products.steps]]
  name = "shipping"
  touch_uses = ["courier"]
  touch = "30min"
  duration = "1d"
"#;

#[test]
fn a_courier_cut_off_by_hand() {
    // Monday's product is ready at 15:00, after the cut-off: collected Tuesday 08:00,
    // delivered Wednesday 08:00 (vein-to-vein 2 d 8 h; 17 h waiting for the courier).
    // Friday's is ready at 15:00 too: no collection at the weekend, so Monday 08:00 (day
    // 7), delivered Tuesday 08:00 (vein-to-vein 4 d 8 h; 65 h waiting).
    let (m, _) = run_scenario(COURIER, None);
    let h = |hours: f64| hours / 24.0;
    assert_exact(
        &m,
        &[
            ("products.car-t.v2v.mean", h((56.0 + 104.0) / 2.0)),
            (
                "products.car-t.steps.shipping.wait.mean",
                h((17.0 + 65.0) / 2.0),
            ),
            ("products.car-t.steps.shipping.work.mean", 1.0),
            ("resources.courier.grants", 2.0),
            ("run.days", 8.0 + h(8.0)),
        ],
    );
    // With a 16:00 cut-off both leave at once: ready 15:00, delivered the next day 15:00.
    let late = replaced(COURIER, "end = \"14:00\"", "end = \"16:00\"");
    let (m, _) = run_scenario(&late, None);
    assert_exact(&m, &[("products.car-t.v2v.mean", h(39.0))]);
}

#[test]
fn pooled_percentiles_do_not_depend_on_threads_and_replications_keep_no_sketches() {
    // The sketches are merged as replications end, in whatever order the threads finish
    // them: the pooled figures must equal a merge in replication order, on any number of
    // threads, and the replications must not keep their own.
    let sc = scenario::parse("ccrm", &read("scenarios/ccrm-nordic.toml")).unwrap();
    let in_order = cgtsim::model::Runs::new(
        (0..40)
            .map(|r| {
                cgtsim::model::run_replication(&sc.spec, cgtsim::engine::Streams::new(7, r))
                    .unwrap()
            })
            .collect(),
    );
    let want = cgtsim::model::pooled_percentiles(&sc.spec, in_order.pooled());
    let want_ecdf = cgtsim::model::pooled_distributions(&sc.spec, in_order.pooled());
    assert!(!want.is_empty() && want.iter().all(|(_, v)| v.is_finite()));
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let runs = pool.install(|| simulate(&sc.spec, 7, 40, || {}, || false).unwrap());
        assert!(runs.iter().all(|r| r.tails.is_empty()), "sketches pooled");
        let got = cgtsim::model::pooled_percentiles(&sc.spec, runs.pooled());
        assert_eq!(got.len(), want.len());
        for ((n1, a), (n2, b)) in got.iter().zip(&want) {
            assert_eq!((n1, a.to_bits()), (n2, b.to_bits()), "{threads} threads");
        }
        assert_eq!(
            cgtsim::model::pooled_distributions(&sc.spec, runs.pooled()),
            want_ecdf
        );
    }
}
