//! The answers a planner acts on mean what they say: calendars that wrap the week, capacity
//! of staffed resources, which resource held patients back, waits of everyone, pooled
//! percentiles. Each test failed on the code before the trust issue.

use crate::model::run_scenario;
use crate::support::{
    assert_agrees, assert_every_path_changes, cgtsim, replaced, scratch, sweeper,
};
use cgtsim::engine::{
    Calendar, Duration, Kernel, Model, PoolId, PoolSpec, RequestId, RunEnd, RunLength, Shift, Time,
    run,
};

const SUITE_BASE: &str = r#"[simulation]
warmup = "100d"
horizon = "1000d"
replications = 20
seed = 4

[resources]
suite = { capacity = 3, calendar = { base = 2 } }

[[products]]
name = "p"
type = "autologous"
arrivals = { rate = 0.6, per = "day" }

  [[products.steps]]
  name = "make"
  uses = ["suite"]
  duration = { exponential = { mean = "2d" } }
"#;

#[test]
fn a_24_hour_shift_to_the_end_of_the_week_is_always_on() {
    // `daily 00:00-00:00` with 2 units is the same as `base = 2`; the Monday-morning
    // extra unit adds a little. Before the fix the Sunday shift's end was put at the start
    // of the week: the suite was closed all week (V2V ~298 d, 99 completed).
    let (base, _) = run_scenario(SUITE_BASE, None);
    let shifted = replaced(
        SUITE_BASE,
        "calendar = { base = 2 }",
        "calendar = { shifts = [{ days = \"daily\", start = \"00:00\", end = \"00:00\", capacity = 2 }, { days = \"mon\", start = \"08:00\", end = \"12:00\", capacity = 1 }] }",
    );
    let (m, _) = run_scenario(&shifted, None);
    let mean = |m: &std::collections::HashMap<String, Vec<f64>>, k: &str| {
        m[k].iter().sum::<f64>() / m[k].len() as f64
    };
    let (v_base, v_shift) = (
        mean(&base, "products.p.v2v.mean"),
        mean(&m, "products.p.v2v.mean"),
    );
    assert!(
        v_base < 4.0 && v_shift <= v_base * 1.05,
        "base {v_base}, shifts {v_shift}"
    );
    let available =
        mean(&m, "resources.suite.utilisation") / mean(&m, "resources.suite.utilisation_available");
    // Available units / nominal: (2 * 168 + 4) / 168 / 3.
    assert!(
        (available - (2.0 * 168.0 + 4.0) / 168.0 / 3.0).abs() < 1e-3,
        "{available}"
    );
}

/// One scripted request: when, what it needs, how long it holds it once granted.
type Ask = (Time, Vec<(PoolId, u32)>, Duration);

/// A model that makes scripted requests.
struct Script {
    steps: Vec<Ask>,
    held: Vec<RequestId>,
}

#[derive(Clone, Copy)]
enum Ev {
    Ask(usize),
    Done(usize),
}

impl Model for Script {
    type Event = Ev;
    fn start(&mut self, k: &mut Kernel<Ev>) {
        for (i, s) in self.steps.iter().enumerate() {
            k.schedule_at(s.0, Ev::Ask(i));
        }
    }
    fn handle(&mut self, ev: Ev, k: &mut Kernel<Ev>) {
        match ev {
            Ev::Ask(i) => self.held[i] = k.request(&self.steps[i].1, 0, i as u64),
            Ev::Done(i) => k.release(self.held[i]),
        }
    }
    fn granted(&mut self, token: u64, k: &mut Kernel<Ev>) {
        let i = token as usize;
        k.schedule_in(self.steps[i].2, Ev::Done(i));
    }
}

#[test]
fn a_wait_is_charged_to_the_resource_that_held_it_back_busy_or_closed() {
    // Hand-computed (days from Monday 00:00):
    // - 0: A takes the suite and an operator for 2 d.
    // - 0.5: B asks for the suite and an operator; operators are free, the suite is not
    //   until 2: 1.5 d charged to the suite (busy), nothing to the operators.
    // - 4.5 (Friday 12:00): C takes the QP (weekdays 08:00-16:00) for 1 d (to Sat 12:00).
    // - 4 d 14 h: D asks for the QP: busy until Saturday 12:00, closed from Friday 16:00
    //   to Monday 08:00 (7 d 8 h). Granted at 7 d 8 h: 2 d 18 h = 2.75 d charged to the
    //   QP, of which Friday 16:00 to Monday 08:00 (2 d 16 h) while closed, 2 h busy.
    let h = Duration::from_hours;
    let mut k: Kernel<Ev> = Kernel::new();
    let suite = k.add_pool(PoolSpec::fixed(1)).unwrap();
    let operator = k.add_pool(PoolSpec::fixed(3)).unwrap();
    let weekdays = Shift {
        days: cgtsim::engine::calendar::WEEKDAYS,
        start: h(8),
        end: h(16),
        capacity: 1,
    };
    let qp = k
        .add_pool(PoolSpec {
            calendar: Some(
                Calendar::new(Duration::ZERO, &[weekdays], 0, &[])
                    .unwrap()
                    .into(),
            ),
            ..PoolSpec::fixed(1)
        })
        .unwrap();
    let at = |hours: u64| Time::ZERO + h(hours);
    let mut model = Script {
        steps: vec![
            (at(0), vec![(suite, 1), (operator, 1)], h(48)),
            (at(12), vec![(suite, 1), (operator, 1)], h(24)),
            (at(108), vec![(qp, 1)], h(24)),
            (at(110), vec![(qp, 1)], h(2)),
        ],
        held: vec![RequestId::UNSET; 4],
    };
    let length = RunLength {
        warmup: Duration::ZERO,
        horizon: Duration::from_days(14),
    };
    assert_eq!(run(&mut model, &mut k, length), RunEnd::Completed);
    let days = |p: PoolId| k.pool(p).held_back_days();
    assert_eq!(days(suite), (0.0, 1.5), "suite: (closed, busy)");
    assert_eq!(days(operator), (0.0, 0.0), "operators held nobody back");
    let (closed, busy) = days(qp);
    assert!((closed - 64.0 / 24.0).abs() < 1e-12, "QP closed {closed}");
    assert!((busy - 2.0 / 24.0).abs() < 1e-12, "QP busy {busy}");
}

#[test]
fn an_idle_helper_is_not_named_the_bottleneck() {
    // A suite at 90 % with an operator beside it for the hands-on hour: the operator
    // (under 1 % busy) waited in every queue the suite did, and used to be named.
    let text = r#"[simulation]
warmup = "200d"
horizon = "2000d"
replications = 4
[resources]
suite = { capacity = 1 }
operator = { capacity = 4 }
[[products]]
name = "p"
type = "autologous"
arrivals = { rate = 0.09, per = "day" }
  [[products.steps]]
  name = "culture"
  uses = ["suite"]
  touch_uses = ["operator"]
  touch = "1h"
  duration = "10d"
"#;
    let path = scratch("bottleneck").join("s.toml");
    std::fs::write(&path, text).unwrap();
    let o = cgtsim(&["run", path.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Bottleneck: suite (100 %"), "{out}");
    let (m, _) = run_scenario(text, None);
    assert!(
        m["resources.operator.held_back.busy"]
            .iter()
            .all(|&x| x == 0.0)
    );
    assert!(m["resources.suite.held_back.busy"].iter().all(|&x| x > 1.0));
}

#[test]
fn negligible_waits_name_no_bottleneck() {
    let text = replaced(SUITE_BASE, "rate = 0.6", "rate = 0.01");
    let path = scratch("no-bottleneck").join("s.toml");
    std::fs::write(&path, text).unwrap();
    let o = cgtsim(&["run", path.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Bottleneck: none"), "{out}");
}

/// M/M/1 (lambda 0.5, mu 1 per day), 20 x 4,000 days after 200.
const MM1: &str = r#"[simulation]
warmup = "200d"
horizon = "4000d"
replications = 20
seed = 11
[resources]
server = { capacity = 1 }
[[products]]
name = "p"
type = "autologous"
arrivals = { rate = 0.5, per = "day" }
  [[products.steps]]
  name = "serve"
  uses = ["server"]
  duration = { exponential = { mean = "1d" } }
"#;

#[test]
fn waits_are_reported_over_everyone_and_over_the_served() {
    // An overloaded M/M/1 with impatient patients (lambda 1.5, mu 1 per day; half give up
    // after 2 hours in the queue, half wait up to 100 days). By
    // Little's law on the queue, the mean wait of every request that stopped waiting
    // (served or gone) is the mean queue over the rate of those requests. The served
    // alone wait much longer than everyone (the impatient leave early), so reporting only
    // theirs overstates the wait of a referral: both are reported, with denominators.
    let text = replaced(MM1, "rate = 0.5", "rate = 1.5");
    let text = replaced(
        &text,
        "arrivals",
        "patience = { empirical = { values = [\"2h\", \"100d\"], weights = [1, 1] } }\narrivals",
    );
    let text = replaced(&text, "replications = 20", "replications = 10");
    let (m, _) = run_scenario(&text, None);
    let stopped: Vec<f64> = (0..10)
        .map(|r| m["resources.server.grants"][r] + m["resources.server.withdrawn"][r])
        .collect();
    let little: Vec<f64> = (0..10)
        .map(|r| m["resources.server.queue.mean"][r] * 4000.0 / stopped[r])
        .collect();
    for r in 0..10 {
        let all = m["resources.server.wait.mean_all"][r];
        assert!(
            (all - little[r]).abs() < 0.01 * little[r],
            "rep {r}: {all} vs {}",
            little[r]
        );
        let served = m["resources.server.wait.mean"][r];
        assert!(served > all * 1.2, "rep {r}: served {served} vs all {all}");
        let waited = m["products.p.waiting.mean_all"][r];
        assert!(
            (waited - all).abs() < 0.01 * all,
            "per patient {waited} vs per request {all}"
        );
    }
}

#[test]
fn pooled_percentiles_match_the_m_m_1_sojourn_time() {
    // M/M/1 FIFO (lambda 0.5, mu 1 per day): the time in system is exponential with rate
    // mu - lambda, so its 90 % point is ln 10 / 0.5 = 4.605 d. The pooled percentile of
    // 20 x 4,000 days (about 40,000 patients) must agree within 3 % (sampling error of a
    // quantile of correlated sojourns, plus the sketch's 0.5 %).
    let text = MM1;
    let dir = scratch("pooled");
    let path = dir.join("s.toml");
    std::fs::write(&path, text).unwrap();
    let o = cgtsim(&["run", path.to_str().unwrap(), "--json"]);
    assert!(o.status.success());
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p90 = &json["metrics"]["products.p.v2v.p90"];
    let pooled = p90["pooled"].as_f64().unwrap();
    let exact = 10f64.ln() / 0.5;
    assert!(
        (pooled - exact).abs() < 0.03 * exact,
        "pooled p90 {pooled} vs {exact}"
    );
    let p50 = json["metrics"]["products.p.v2v.p50"]["pooled"]
        .as_f64()
        .unwrap();
    assert!(
        (p50 - 2f64.ln() / 0.5).abs() < 0.03 * 2f64.ln() / 0.5,
        "pooled p50 {p50}"
    );
    assert!(json["percentiles"].as_str().unwrap().contains("pooled"));
    let (m, _) = run_scenario(text, None);
    assert_agrees("mean sojourn", &m["products.p.v2v.mean"], 2.0);
}

/// A scenario in which every documented numeric key matters: two autologous products
/// competing for a calendared, breaking, changed-over suite, and an allogeneic one.
const EVERY_KEY: &str = r#"[simulation]
warmup = "50d"
horizon = "400d"
replications = 3
seed = 5

[resources]
suite = { capacity = 2, changeover = "1d", breakdowns = { time_between = { exponential = { mean = "20d" } }, repair = "2d", units = 1 }, calendar = { shifts = [{ days = "mon-sat", start = "00:00", end = "00:00" }], exceptions = [{ from = "100d", to = "110d", repeat = "365d" }] } }
operator = { capacity = 1 }
qc = { capacity = 1 }

[[products]]
name = "a"
type = "autologous"
arrivals = { rate = 0.1, per = "day" }
patience = { exponential = { mean = "20d" } }
priority = 1
resource_priority = { qc = 2 }
  [[products.steps]]
  name = "culture"
  uses = ["suite"]
  touch_uses = ["operator"]
  touch = "4h"
  duration = { triangular = { min = "8d", mode = "10d", max = "12d" } }
  failure = { probability = 0.1, max_attempts = 2 }
  [[products.steps]]
  name = "release"
    [[products.steps.assays]]
    name = "sterility"
    uses = ["qc"]
    touch = "1h"
    touch_uses = ["operator"]
    duration = "3d"
    failure = { probability = 0.1, retry_from = "culture", max_attempts = 3 }

[[products]]
name = "b"
type = "autologous"
arrivals = { interarrival = { exponential = { mean = "12d" } } }
  [[products.steps]]
  name = "culture"
  uses = ["suite"]
  duration = "9d"
  [[products.steps]]
  name = "check"
  uses = ["qc"]
  duration = "6d"

[[products]]
name = "c"
type = "allogeneic"
arrivals = { rate = 0.3, per = "day" }
doses = 20
order_size = 2
policy = { reorder_point = 6, max_in_production = 1 }
stock = { capacity = 30, shelf_life = "60d" }
  [[products.steps]]
  name = "batch"
  uses = ["suite"]
  duration = "8d"
  [[products.delivery]]
  name = "courier"
  duration = "1d"
"#;

#[test]
fn every_documented_numeric_path_changes_the_outcome_or_is_refused() {
    // (path, two values): each must change some metric of the run, or be refused.
    let paths: [(&str, &str, &str); 29] = [
        ("simulation.warmup", "\"50d\"", "\"80d\""),
        ("simulation.horizon", "\"400d\"", "\"300d\""),
        ("resources.suite.capacity", "2", "3"),
        ("resources.suite.changeover", "\"1d\"", "\"3d\""),
        (
            "resources.suite.breakdowns.time_between",
            "{ exponential = { mean = \"20d\" } }",
            "{ exponential = { mean = \"5d\" } }",
        ),
        ("resources.suite.breakdowns.repair", "\"2d\"", "\"5d\""),
        ("resources.suite.breakdowns.units", "1", "2"),
        ("resources.operator.capacity", "1", "2"),
        ("resources.qc.capacity", "1", "2"),
        ("products.a.arrivals.rate", "0.1", "0.15"),
        (
            "products.a.patience",
            "{ exponential = { mean = \"20d\" } }",
            "{ exponential = { mean = \"2d\" } }",
        ),
        ("products.a.priority", "1", "-1"),
        ("products.a.resource_priority.qc", "2", "-2"),
        ("products.a.steps.culture.touch", "\"4h\"", "\"3d\""),
        ("products.a.steps.culture.duration", "\"10d\"", "\"12d\""),
        ("products.a.steps.culture.failure.probability", "0.1", "0.5"),
        ("products.a.steps.culture.failure.max_attempts", "2", "1"),
        (
            "products.a.steps.release.assays.sterility.duration",
            "\"3d\"",
            "\"7d\"",
        ),
        (
            "products.a.steps.release.assays.sterility.touch",
            "\"1h\"",
            "\"1d\"",
        ),
        (
            "products.a.steps.release.assays.sterility.failure.probability",
            "0.1",
            "0.6",
        ),
        (
            "products.a.steps.release.assays.sterility.failure.max_attempts",
            "3",
            "1",
        ),
        (
            "products.b.arrivals.interarrival",
            "{ exponential = { mean = \"12d\" } }",
            "{ exponential = { mean = \"6d\" } }",
        ),
        ("products.c.doses", "20", "10"),
        ("products.c.order_size", "2", "1"),
        ("products.c.policy.reorder_point", "6", "12"),
        ("products.c.policy.max_in_production", "1", "2"),
        ("products.c.stock.capacity", "30", "12"),
        ("products.c.stock.shelf_life", "\"60d\"", "\"20d\""),
        ("products.c.delivery.courier.duration", "\"1d\"", "\"2d\""),
    ];
    assert_every_path_changes("every-path", EVERY_KEY, &paths);
    // Paths that would change nothing are refused, at the axis in the sweep file.
    let base = replaced(
        EVERY_KEY,
        "qc = { capacity = 1 }",
        "qc = { capacity = 1 }\nfixed = { capacity = 2, calendar = { shifts = [{ days = \"mon-fri\", start = \"08:00\", end = \"16:00\", capacity = 2 }] } }",
    );
    let sweep = sweeper("every-path-refused", &base);
    for (i, (path, values, why)) in [
        (
            "simulation.replications",
            "[3, 5]",
            "set replications in the sweep file",
        ),
        ("simulation.seed", "[5, 6]", "set seed in the sweep file"),
        (
            "resources.fixed.capacity",
            "[2, 4]",
            "states its own capacity",
        ),
    ]
    .iter()
    .enumerate()
    {
        let o = sweep(&format!("r{i}"), format!("\"{path}\" = {values}"));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{path} accepted: {err}");
        assert!(
            err.contains(&format!("r{i}.toml:3:1: ")) && err.contains(why),
            "{path}: {err}"
        );
    }
}

#[test]
fn sweeping_the_staff_of_a_calendared_resource_changes_what_is_available() {
    // scenarios/ccrm-nordic.toml: QC analysts work weekday shifts that every analyst
    // works. 3 or 6 analysts: the queue and the wait change (they did not: only the
    // utilisation's denominator did), and available utilisation halves with the load.
    let dir = scratch("staff");
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/ccrm-nordic.toml"
    ))
    .unwrap();
    std::fs::write(dir.join("ccrm.toml"), base).unwrap();
    let file = dir.join("sweep.toml");
    std::fs::write(&file, "base = \"ccrm.toml\"\nreplications = 10\n[grid]\n\"resources.qc_analyst.capacity\" = [1, 6]\n").unwrap();
    let o = cgtsim(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.join("out/results.csv")).unwrap();
    let value = |variant: &str, metric: &str| -> f64 {
        let row = csv
            .lines()
            .find(|l| l.starts_with(&format!("{variant},")) && l.contains(&format!(",{metric},")))
            .unwrap_or_else(|| panic!("no {metric}"));
        row.split(',').nth(5).unwrap().parse().unwrap()
    };
    let (q1, q6) = (
        value("0", "resources.qc_analyst.queue.mean"),
        value("1", "resources.qc_analyst.queue.mean"),
    );
    assert!(
        q6 < 0.8 * q1,
        "queue with 6 analysts {q6} vs 1 analyst {q1}"
    );
    let (u1, u6) = (
        value("0", "resources.qc_analyst.utilisation_available"),
        value("1", "resources.qc_analyst.utilisation_available"),
    );
    assert!(
        (u1 / u6 - 6.0).abs() < 0.6,
        "available utilisation {u1} vs {u6}"
    );
}

#[test]
fn sizing_a_staffed_resource_works_and_a_fixed_one_is_refused() {
    let dir = scratch("size-staff");
    let path = dir.join("ccrm.toml");
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/ccrm-nordic.toml"
    ))
    .unwrap();
    let base = replaced(&base, "replications = 100", "replications = 20");
    std::fs::write(&path, &base).unwrap();
    let o = cgtsim(&[
        "size",
        path.to_str().unwrap(),
        "--resource",
        "qc_analyst",
        "--target",
        "resources.qc_analyst.utilisation_available <= 0.1",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let answer: u32 = out
        .lines()
        .find_map(|l| l.strip_prefix("answer: qc_analyst = "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!((2..=3).contains(&answer), "{out}");
    let fixed = replaced(
        &base,
        "{ days = \"mon-fri\", start = \"07:00\", end = \"16:00\" },",
        "{ days = \"mon-fri\", start = \"07:00\", end = \"16:00\", capacity = 3 },",
    );
    std::fs::write(&path, fixed).unwrap();
    let o = cgtsim(&[
        "size",
        path.to_str().unwrap(),
        "--resource",
        "qc_analyst",
        "--target",
        "resources.qc_analyst.utilisation_available <= 0.1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("states its own capacity"));
}

#[test]
fn a_run_whose_work_in_progress_still_grows_says_so() {
    // rho = 1.8 for 300 days: far from the work-in-progress limit, but the queue grows all
    // the way; the table warns that the results depend on the horizon. At rho = 0.6 it
    // does not.
    let text = replaced(SUITE_BASE, "rate = 0.6", "rate = 1.8");
    let text = replaced(&text, "horizon = \"1000d\"", "horizon = \"300d\"");
    let dir = scratch("growing");
    let run = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let o = cgtsim(&["run", path.to_str().unwrap()]);
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let out = run("over.toml", &text);
    assert!(
        out.contains("Warning: work in progress of `p` was still growing"),
        "{out}"
    );
    let out = run("stable.toml", SUITE_BASE);
    assert!(!out.contains("Warning"), "{out}");
}

/// A model that asks for one unit at each of its events and claims the grants it is
/// told to: what `Model::granted` heard, and what each claim returned.
struct Claimer {
    /// Per event: the tokens to request, and whether to claim each grant at once.
    asks: Vec<Vec<(u64, bool)>>,
    heard: Vec<u64>,
    claims: Vec<(u64, bool)>,
}

impl Model for Claimer {
    type Event = usize;
    fn start(&mut self, k: &mut Kernel<usize>) {
        for i in 0..self.asks.len() {
            k.schedule_at(Time::from_days(i as u64), i);
        }
    }
    fn handle(&mut self, i: usize, k: &mut Kernel<usize>) {
        for (token, claim) in self.asks[i].clone() {
            k.request(&[(PoolId(0), 1)], 0, token);
            if claim {
                self.claims.push((token, k.claim_sole_grant(token)));
            }
        }
    }
    fn granted(&mut self, token: u64, _: &mut Kernel<usize>) {
        self.heard.push(token);
    }
}

#[test]
fn a_grant_is_claimed_only_when_its_notice_is_the_only_one_pending() {
    // A pool of 2 units, never released:
    // - day 0: token 1 granted and claimed (its notice is the only one): never heard;
    //   token 2 granted and claimed too (token 1's notice is gone): never heard.
    // - day 1: the pool is full, token 3 waits: there is no grant to claim.
    let mut k: Kernel<usize> = Kernel::new();
    k.add_pool(PoolSpec::fixed(2)).unwrap();
    let mut m = Claimer {
        asks: vec![vec![(1, true), (2, true)], vec![(3, true)]],
        heard: vec![],
        claims: vec![],
    };
    let length = RunLength {
        warmup: Duration::ZERO,
        horizon: Duration::from_days(5),
    };
    assert_eq!(run(&mut m, &mut k, length), RunEnd::Completed);
    assert_eq!(m.claims, [(1, true), (2, true), (3, false)]);
    assert!(
        m.heard.is_empty(),
        "claimed grants are not delivered: {:?}",
        m.heard
    );

    // With a notice pending (token 1 granted, not claimed), token 2's grant cannot be
    // claimed: both are delivered, in the order they were made.
    let mut k: Kernel<usize> = Kernel::new();
    k.add_pool(PoolSpec::fixed(2)).unwrap();
    let mut m = Claimer {
        asks: vec![vec![(1, false), (2, true)]],
        heard: vec![],
        claims: vec![],
    };
    assert_eq!(run(&mut m, &mut k, length), RunEnd::Completed);
    assert_eq!(m.claims, [(2, false)]);
    assert_eq!(m.heard, [1, 2]);
}
