//! Booking ahead (campaigns reserving a lab of a process-development testbed): golden
//! traces computed by hand (refused, postponed, a window freed by a campaign that left
//! before it), units never shared by two windows under random load, every booking key
//! changing the model, and the mistakes a scenario can make with bookings.

use crate::demand::series_of;
use crate::model::run_scenario;
use crate::support::{
    assert_clean_refusal, assert_every_path_changes, assert_exact, replaced, run_file,
};

/// Four campaign requests on days 0, 3, 6 and 9 for one lab; each books a 5-day window
/// at least 1 day ahead, which must end within 10 days of the request.
const TESTBED: &str = r#"[simulation]
horizon = "1000d"
replications = 2
until_empty = true

[resources]
lab = { capacity = 1 }

[[products]]
name = "campaign"
type = "autologous"
arrivals = { cohort = 4, from = "0d", to = "12d", spread = "even" }

  [[products.steps]]
  name = "lab work"
  uses = ["lab"]
  duration = "5d"
  book = { lead = "1d", deadline = "10d", late = "refuse" }
"#;

#[test]
fn bookings_refused_after_their_deadline_by_hand() {
    // Day 0: the earliest window from day 1 is [1, 6), ends by day 10: booked, lead 1.
    // Day 3: from day 4 the lab is free after day 6: [6, 11), by 13: booked, lead 3.
    // Day 6: from day 7, after [6, 11): [11, 16), ends exactly at the deadline 16: booked,
    // lead 5. Day 9: from day 10, after [11, 16): [16, 21) ends after 19: refused.
    // Completions on days 6, 11, 16 (vein-to-vein 6, 8, 10); the lab is booked 15 of
    // the 16 days the run lasts.
    let (m, _) = run_scenario(TESTBED, None);
    let b = |what: &str| format!("products.campaign.bookings.lab_work.{what}");
    assert_exact(
        &m,
        &[
            (&b("requested"), 4.0),
            (&b("on_time"), 3.0),
            (&b("late"), 0.0),
            (&b("refused"), 1.0),
            (&b("cancelled"), 0.0),
            (&b("lead.mean"), 3.0),
            ("products.campaign.completed", 3.0),
            ("products.campaign.v2v.mean", 8.0),
            ("products.campaign.steps.lab_work.wait.mean", 3.0),
            ("products.campaign.steps.lab_work.work.mean", 5.0),
            ("products.campaign.left", 4.0),
            ("products.campaign.wip_end", 0.0),
            ("resources.lab.utilisation", 15.0 / 16.0),
            ("resources.lab.grants", 3.0),
            ("resources.lab.wait.mean", 0.0),
            ("run.days", 16.0),
        ],
    );
}

#[test]
fn bookings_postponed_after_their_deadline_by_hand() {
    // As above, but day 9's request is booked all the same at [16, 21), late, lead 7:
    // completions on days 6, 11, 16 and 21 (vein-to-vein 6, 8, 10, 12).
    let text = replaced(TESTBED, "late = \"refuse\"", "late = \"postpone\"");
    let (m, _) = run_scenario(&text, None);
    let b = |what: &str| format!("products.campaign.bookings.lab_work.{what}");
    assert_exact(
        &m,
        &[
            (&b("on_time"), 3.0),
            (&b("late"), 1.0),
            (&b("refused"), 0.0),
            (&b("lead.mean"), 4.0),
            ("products.campaign.completed", 4.0),
            ("products.campaign.v2v.mean", 9.0),
            ("resources.lab.utilisation", 20.0 / 21.0),
            ("run.days", 21.0),
        ],
    );
    // By period of 10 days: the late booking (day 9) in the first, completions on days
    // 6 | 11, 16 | 21.
    let (series, periods) = series_of(&replaced(
        &text,
        "until_empty = true",
        "until_empty = true\ntimeseries = \"10d\"",
    ));
    assert_eq!(periods, 3);
    for (p, late, done) in [(0, 1.0, 1.0), (1, 0.0, 2.0), (2, 0.0, 1.0)] {
        let at = |name: &str| &series[&(p, format!("products.campaign.{name}"))];
        assert!(
            at("bookings.lab_work.late").iter().all(|&v| v == late),
            "period {p}"
        );
        assert!(at("bookings.lab_work.refused").iter().all(|&v| v == 0.0));
        assert!(at("completed").iter().all(|&v| v == done), "period {p}");
    }
    // Without a deadline every request is booked, none late.
    let text = replaced(TESTBED, ", deadline = \"10d\", late = \"refuse\"", "");
    let (m, _) = run_scenario(&text, None);
    assert_exact(&m, &[(&b("on_time"), 4.0), (&b("late"), 0.0)]);
}

/// A pilot campaign requested on day 0 books [3, 8) (3 days ahead) but is withdrawn
/// on day 2.5; a client's campaign requested on day 3 books at once.
const WITHDRAWN: &str = r#"[simulation]
horizon = "100d"
replications = 2
until_empty = true

[resources]
lab = { capacity = 1 }

[[products]]
name = "pilot"
type = "autologous"
arrivals = { cohort = 1 }
hazards = [{ cause = "withdrawn", time = "2.5d", from = "lab work", to = "lab work" }]

  [[products.steps]]
  name = "lab work"
  uses = ["lab"]
  duration = "5d"
  book = { lead = "3d" }

[[products]]
name = "client"
type = "autologous"
arrivals = { cohort = 1, from = "3d" }

  [[products.steps]]
  name = "lab work"
  uses = ["lab"]
  duration = "5d"
  book = {}
"#;

#[test]
fn a_campaign_that_leaves_before_its_window_frees_it() {
    // The pilot leaves on day 2.5, its window [3, 8) cancelled; the client, on day 3,
    // gets [3, 8) (it would otherwise have waited for [8, 13)).
    let (m, _) = run_scenario(WITHDRAWN, None);
    assert_exact(
        &m,
        &[
            ("products.pilot.bookings.lab_work.on_time", 1.0),
            ("products.pilot.bookings.lab_work.cancelled", 1.0),
            ("products.pilot.hazards.withdrawn.in.lab_work", 1.0),
            ("products.pilot.completed", 0.0),
            ("products.client.bookings.lab_work.lead.mean", 0.0),
            ("products.client.v2v.mean", 5.0),
            ("resources.lab.grants", 1.0),
            ("resources.lab.utilisation", 5.0 / 8.0),
            ("run.days", 8.0),
        ],
    );
    // Withdrawn during its work instead (a window from day 1): the work runs to the
    // window's end on day 6, and the client waits for it: [6, 11).
    let text = replaced(WITHDRAWN, "lead = \"3d\"", "lead = \"1d\"");
    let (m, _) = run_scenario(&text, None);
    assert_exact(
        &m,
        &[
            ("products.pilot.bookings.lab_work.cancelled", 0.0),
            ("products.pilot.hazards.withdrawn.in.lab_work", 1.0),
            ("products.client.v2v.mean", 8.0),
            ("resources.lab.utilisation", 10.0 / 11.0),
            ("run.days", 11.0),
        ],
    );
}

/// Random campaigns (exponential lengths, Poisson requests at about the labs' capacity)
/// with failures sending them back to book again and a competing withdrawal.
const BUSY: &str = r#"[simulation]
horizon = "3000d"
replications = 8
until_empty = true

[resources]
lab = { capacity = 3 }
analyst = { capacity = 1 }

[[products]]
name = "campaign"
type = "autologous"
arrivals = { rate = 0.5, per = "day", to = "2000d" }
hazards = [{ cause = "withdrawn", time = { exponential = { mean = "40d" } }, from = "lab work", to = "report" }]

  [[products.steps]]
  name = "lab work"
  uses = ["lab"]
  duration = { exponential = { mean = "5d" } }
  book = { lead = "2d", deadline = "30d", late = "postpone" }

  [[products.steps]]
  name = "report"
  uses = ["analyst"]
  duration = { exponential = { mean = "1d" } }
  failure = { probability = 0.2, retry_from = "lab work", max_attempts = 3 }
"#;

#[test]
fn a_lab_is_never_booked_twice_and_every_campaign_is_accounted_for() {
    for late in ["postpone", "refuse"] {
        let text = replaced(BUSY, "late = \"postpone\"", &format!("late = \"{late}\""));
        let (m, _) = run_scenario(&text, None);
        let b = |what: &str| &m[&format!("products.campaign.bookings.lab_work.{what}")];
        for r in 0..8 {
            let at = |name: &str| m[name][r];
            // A booked start that found its unit taken would wait in the lab's queue.
            assert_eq!(
                at("resources.lab.wait.mean"),
                0.0,
                "{late}, replication {r}"
            );
            assert!(at("resources.lab.in_use.peak") <= 3.0);
            let missed = if late == "refuse" {
                b("refused")
            } else {
                b("late")
            };
            assert!(
                missed[r] > 0.0 && b("on_time")[r] > 0.0,
                "{late}, replication {r}"
            );
            assert!(b("cancelled")[r] > 0.0, "{late}, replication {r}");
            // Every request is booked on time, late or refused.
            assert_eq!(
                b("requested")[r],
                b("on_time")[r] + b("late")[r] + b("refused")[r]
            );
            // Every campaign completed, was lost after three failures, was withdrawn or
            // refused.
            assert_eq!(
                at("products.campaign.arrived"),
                at("products.campaign.completed")
                    + at("products.campaign.lost")
                    + at("products.campaign.hazards.withdrawn")
                    + b("refused")[r],
                "{late}, replication {r}"
            );
            assert_eq!(at("products.campaign.wip_end"), 0.0);
        }
    }
}

#[test]
fn every_booking_key_changes_the_model() {
    let text = replaced(BUSY, "replications = 8", "replications = 2");
    assert_every_path_changes(
        "booking-paths",
        &text,
        &[
            (
                "products.campaign.steps.lab work.book.lead",
                "\"2d\"",
                "\"9d\"",
            ),
            (
                "products.campaign.steps.lab work.book.deadline",
                "\"30d\"",
                "\"12d\"",
            ),
            (
                "products.campaign.steps.lab work.book.late",
                "\"postpone\"",
                "\"refuse\"",
            ),
            ("resources.lab.capacity", "3", "2"),
        ],
    );
}

#[test]
fn bad_bookings_are_refused_where_they_are_written() {
    let book = |b: &str| {
        replaced(
            TESTBED,
            "book = { lead = \"1d\", deadline = \"10d\", late = \"refuse\" }",
            b,
        )
    };
    for (what, text, expected) in [
        (
            "late without a deadline",
            book("book = { late = \"refuse\" }"),
            "scenario.toml:18:19: `late` says what happens to a booking that misses its deadline, and this booking has none",
        ),
        (
            "late that is not a choice",
            book("book = { deadline = \"10d\", late = \"wait\" }"),
            "late = \"wait\" is not a choice: \"refuse\" (the campaign leaves) or \"postpone\"",
        ),
        (
            "a deadline before the lead time is over",
            book("book = { lead = \"14d\", deadline = \"10d\" }"),
            "scenario.toml:18:37: the deadline (10 d) is not after the lead time (14 d)",
        ),
        (
            "an unknown key",
            book("book = { lead = \"1d\", horizon = \"10d\" }"),
            "scenario.toml:18:",
        ),
        (
            "two resources booked",
            replaced(
                &replaced(
                    TESTBED,
                    "lab = { capacity = 1 }",
                    "lab = { capacity = 1 }\noperator = { capacity = 1 }",
                ),
                "uses = [\"lab\"]",
                "uses = [\"lab\", \"operator\"]",
            ),
            "a booked step reserves one unit of one resource for its whole work",
        ),
        (
            "a booked resource also queued for",
            replaced(
                TESTBED,
                "  book = {",
                "  [[products.steps]]\n  name = \"report\"\n  uses = [\"lab\"]\n  duration = \"1d\"\n\n  [[products.steps]]\n  name = \"more lab work\"\n  uses = [\"lab\"]\n  duration = \"5d\"\n  book = {",
            ),
            "`lab` is booked ahead by step `more lab work` of `campaign`; a step that queues for it would take a unit from a booked window",
        ),
        (
            "a booked resource with a changeover",
            replaced(
                TESTBED,
                "lab = { capacity = 1 }",
                "lab = { capacity = 1, changeover = \"1d\" }",
            ),
            "scenario.toml:7:36: `lab` is booked ahead by step `lab work` of `campaign`, so that a window once booked is always there: a changeover would run into the next window",
        ),
    ] {
        assert_clean_refusal(what, &run_file("bad-bookings", &text, &["run"]), expected);
    }
}
