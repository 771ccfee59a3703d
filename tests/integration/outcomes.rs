//! What happens to patients beyond their steps: milestones with deadlines (golden, by
//! hand), hazards over phases of the chain (against their exact probabilities, and
//! conserved: every patient completes, is struck, lost or drops out), and the mistakes
//! a scenario can make with them.

use crate::model::run_scenario;
use crate::support::{assert_agrees, assert_clean_refusal, assert_exact, replaced, run_file};

/// Five patients on days 0, 2, 4, 6, 8 through one suite (3 days) and shipping (1 day):
/// infused on days 4, 7, 10, 13, 16 (see `demand`).
const CHAIN: &str = r#"[simulation]
horizon = "1000d"
replications = 2
until_empty = true

[resources]
suite = { capacity = 1 }

[[products]]
name = "car-t"
type = "autologous"
arrivals = { cohort = 5, from = "0d", to = "10d", spread = "even" }
milestones = [
  { name = "vein to vein", from = "manufacturing", to = "shipping", deadline = "6.5d" },
  { name = "courier", from = "manufacturing", from_at = "end", to = "shipping" },
  { name = "suite", from = "manufacturing", to = "manufacturing" },
]

  [[products.steps]]
  name = "manufacturing"
  uses = ["suite"]
  duration = "3d"

  [[products.steps]]
  name = "shipping"
  duration = "1d"
"#;

#[test]
fn milestones_and_deadlines_by_hand() {
    let (m, _) = run_scenario(CHAIN, None);
    let p = |name: &str| format!("products.car-t.milestones.{name}");
    assert_exact(
        &m,
        &[
            // 4, 5, 6, 7, 8 days; 3 of 5 within 6.5 days.
            (&p("vein_to_vein.mean"), 6.0),
            (&p("vein_to_vein.on_time"), 0.6),
            // The courier's day, for everyone.
            (&p("courier.mean"), 1.0),
            // From the request for the suite to the end of its work: 3, 4, 5, 6, 7 days.
            (&p("suite.mean"), 5.0),
        ],
    );
    // The percentiles come from a sketch with 0.5 % relative accuracy.
    for (name, want) in [("courier.p90", 1.0), ("vein_to_vein.p50", 6.0)] {
        let got = m[&p(name)][0];
        assert!(
            (got / want - 1.0).abs() <= 0.0051,
            "{name}: {got}, want {want}"
        );
    }
}

/// A cohort on a waiting list (a pure wait of 100 days, then a suite), with deaths of
/// mean time `mean` from the start of the wait.
fn waiting_list(mean: &str, to: &str) -> String {
    format!(
        r#"[simulation]
horizon = "2000d"
replications = 40
until_empty = true

[resources]
suite = {{ capacity = 1 }}

[[products]]
name = "car-t"
type = "autologous"
arrivals = {{ cohort = 500 }}
hazards = [{{ cause = "death", time = {{ exponential = {{ mean = "{mean}" }} }}, from = "waiting list", to = "{to}" }}]

  [[products.steps]]
  name = "waiting list"
  duration = "100d"

  [[products.steps]]
  name = "manufacturing"
  uses = ["suite"]
  duration = "1d"
"#
    )
}

#[test]
fn a_hazard_strikes_with_its_probability_in_the_phase_where_it_runs() {
    // Over the 100-day wait alone: P(death) = 1 - exp(-100/200) per patient, so the count
    // is binomial(500, p). Tolerance: k standard errors over 40 replications (k for a
    // false-failure rate of 1e-6).
    let (m, _) = run_scenario(&waiting_list("200d", "waiting list"), None);
    let p = 1.0 - (-0.5f64).exp();
    assert_agrees(
        "deaths on the list",
        &m["products.car-t.hazards.death"],
        500.0 * p,
    );
    let during_wait = &m["products.car-t.hazards.death.in.waiting_list"];
    assert_eq!(during_wait, &m["products.car-t.hazards.death"]);
    // Conservation, per replication: everyone completed or died.
    for (r, &done) in m["products.car-t.completed"].iter().enumerate() {
        assert_eq!(done + during_wait[r], 500.0, "replication {r}");
    }
    // Over the whole chain, the queue for the suite (500 patients, 1 a day, all ready on
    // day 100) adds deaths while queued: they leave the queue at once, and are counted
    // in the step where they waited.
    let (m, _) = run_scenario(&waiting_list("200d", "manufacturing"), None);
    let queued = &m["products.car-t.hazards.death.in.manufacturing"];
    assert!(queued.iter().all(|&n| n > 0.0), "{queued:?}");
    let total = &m["products.car-t.hazards.death"];
    for (r, &done) in m["products.car-t.completed"].iter().enumerate() {
        assert_eq!(done + total[r], 500.0, "replication {r}");
        assert_eq!(m["products.car-t.wip_end"][r], 0.0);
    }
    // The suite serves only the living: no grant after a death in the queue; a death
    // during the day of work lets the work finish.
    for (r, &grants) in m["resources.suite.grants"].iter().enumerate() {
        let done = m["products.car-t.completed"][r];
        assert!(
            grants >= done && grants <= done + queued[r],
            "replication {r}"
        );
    }
}

#[test]
fn bad_outcomes_are_refused_where_they_are_written() {
    let hz = |h: &str| {
        replaced(
            &waiting_list("200d", "manufacturing"),
            "hazards = [{ cause = \"death\", time = { exponential = { mean = \"200d\" } }, from = \"waiting list\", to = \"manufacturing\" }]",
            h,
        )
    };
    for (what, text, expected) in [
        (
            "a hazard on an unknown step",
            hz("hazards = [{ cause = \"death\", time = \"10d\", from = \"referral\" }]"),
            "scenario.toml:13:52: unknown step `referral`; the product's steps are `waiting list`, `manufacturing`",
        ),
        (
            "a hazard's phase backwards",
            hz(
                "hazards = [{ cause = \"death\", time = \"10d\", from = \"manufacturing\", to = \"waiting list\" }]",
            ),
            "the hazard's phase ends before it starts",
        ),
        (
            "a milestone that ends before it starts",
            replaced(
                CHAIN,
                "from = \"manufacturing\", from_at = \"end\", to = \"shipping\"",
                "from = \"shipping\", to = \"manufacturing\"",
            ),
            "the milestone must end after it starts",
        ),
        (
            "a milestone on an unknown step",
            replaced(
                CHAIN,
                "to = \"shipping\", deadline",
                "to = \"infusion\", deadline",
            ),
            "unknown step `infusion`",
        ),
        (
            "an edge that is neither start nor end",
            replaced(CHAIN, "from_at = \"end\"", "from_at = \"middle\""),
            "must be \"start\" or \"end\", not \"middle\"",
        ),
    ] {
        assert_clean_refusal(what, &run_file("bad-outcomes", &text, &["run"]), expected);
    }
}

/// Two patients at time 0; one incubator seized at seeding and released at harvest, one
/// operator for every step.
const HELD: &str = r#"[simulation]
horizon = "100d"
replications = 2
until_empty = true

[resources]
incubator = { capacity = 1 }
operator = { capacity = 1 }

[[products]]
name = "car-t"
type = "autologous"
arrivals = { cohort = 2 }

  [[products.steps]]
  name = "seeding"
  uses = ["operator"]
  seize = ["incubator"]
  duration = "1d"

  [[products.steps]]
  name = "feeding"
  uses = ["operator"]
  duration = "2d"

  [[products.steps]]
  name = "harvest"
  uses = ["operator"]
  release = ["incubator"]
  duration = "1d"
"#;

#[test]
fn a_resource_held_from_seeding_to_harvest_by_hand() {
    // The first patient seeds 0-1, feeds 1-3 and harvests 3-4, holding the incubator
    // from 0 to 4 while the operator serves each step. The second waits for the
    // incubator until day 4: seeds 4-5, feeds 5-7, harvests 7-8. The incubator is held
    // for all 8 days, the operator works all 8.
    let (m, _) = run_scenario(HELD, None);
    assert_exact(
        &m,
        &[
            ("run.days", 8.0),
            ("products.car-t.v2v.mean", 6.0),
            ("products.car-t.steps.seeding.wait.mean", 2.0),
            ("resources.incubator.utilisation", 1.0),
            ("resources.incubator.utilisation.by_product.car-t", 1.0),
            ("resources.operator.utilisation", 1.0),
            ("resources.incubator.grants", 2.0),
        ],
    );
    // Without the hold (the incubator used at seeding only) the second seeds as soon as
    // the operator is free, on day 1 (its request came before the first's feeding).
    let plain = replaced(
        &replaced(
            HELD,
            "seize = [\"incubator\"]",
            "uses = [\"operator\", \"incubator\"]",
        ),
        "  uses = [\"operator\"]\n  uses",
        "  uses",
    );
    let plain = replaced(&plain, "  release = [\"incubator\"]\n", "");
    let (m, _) = run_scenario(&plain, None);
    let waited = &m["products.car-t.steps.seeding.wait.mean"];
    assert!(waited.iter().all(|&d| (d - 0.5).abs() < 1e-9), "{waited:?}");
}

#[test]
fn holds_across_steps_are_checked() {
    for (what, text, expected) in [
        (
            "released before it is seized",
            replaced(HELD, "  seize = [\"incubator\"]\n", ""),
            "scenario.toml:28:13: `incubator` is released at step `harvest` but not seized before it",
        ),
        (
            "seized and never released",
            replaced(HELD, "  release = [\"incubator\"]\n", ""),
            "`incubator` seized at step `seeding` is never released; add release = [...] to a later step",
        ),
        (
            "an unknown resource released",
            replaced(HELD, "release = [\"incubator\"]", "release = [\"fridge\"]"),
            "unknown resource `fridge`",
        ),
    ] {
        assert_clean_refusal(what, &run_file("bad-holds", &text, &["run"]), expected);
    }
}
