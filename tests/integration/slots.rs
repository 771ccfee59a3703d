//! Slot calendars: golden traces with dated slots (every time computed by hand),
//! allocation by score, slots given back by patients who die holding them, and the
//! mistakes a scenario can make with slots.

use crate::model::run_scenario;
use crate::support::{assert_clean_refusal, assert_exact, replaced, run_file};

/// Three patients at time 0 wait for slots released on days 5, 10 and 20 (one each),
/// then collection (2 d) and one suite (10 d), the slot held until manufacturing starts.
const DATED: &str = r#"[simulation]
horizon = "1000d"
replications = 2
until_empty = true

[slots.lab]
release = { dates = ["5d", "10d", "20d"], count = 1 }

[resources]
suite = { capacity = 1 }

[[products]]
name = "car-t"
type = "autologous"
arrivals = { cohort = 3 }

  [[products.steps]]
  name = "waiting list"
  slot = "lab"
  slot_until = "manufacturing"

  [[products.steps]]
  name = "collection"
  duration = "2d"

  [[products.steps]]
  name = "manufacturing"
  uses = ["suite"]
  duration = "10d"
"#;

#[test]
fn dated_slots_by_hand() {
    // Slots on days 5, 10, 20: waits 5, 10, 20 (mean 35/3). Collection ends on days 7,
    // 12, 22; the suite works 7-17, 17-27, 27-37 (waits 0, 5, 5); infusions on days 17,
    // 27, 37 (vein-to-vein mean 27). Patients waiting for a slot: 35 patient-days / 37.
    let (m, _) = run_scenario(DATED, None);
    assert_exact(
        &m,
        &[
            ("run.days", 37.0),
            ("products.car-t.v2v.mean", 27.0),
            ("products.car-t.steps.waiting_list.wait.mean", 35.0 / 3.0),
            ("products.car-t.steps.manufacturing.wait.mean", 10.0 / 3.0),
            ("slots.lab.released", 3.0),
            ("slots.lab.allocated", 3.0),
            ("slots.lab.share", 1.0),
            ("slots.lab.used", 3.0),
            ("slots.lab.wasted", 0.0),
            ("slots.lab.wait.mean", 35.0 / 3.0),
            ("slots.lab.waiting.mean", 35.0 / 37.0),
        ],
    );
    // Two patients for three slots: the third (day 20) finds nobody waiting and, open
    // for no time, is wasted at once.
    let two = replaced(DATED, "cohort = 3", "cohort = 2");
    let (m, _) = run_scenario(&two, None);
    assert_exact(
        &m,
        &[
            ("slots.lab.released", 3.0),
            ("slots.lab.allocated", 2.0),
            ("slots.lab.wasted", 1.0),
            ("run.days", 27.0),
        ],
    );
    // A slot open for 30 days waits for a late patient: of patients on days 0 and 12
    // (an even spread of 2 over 24 days) the first takes the day-5 slot on day 5, the
    // second the day-10 slot, still open, on arrival (waits 5 and 0). The day-20 slot is
    // still open when the last patient leaves on day 27: neither allocated nor wasted.
    let open = replaced(
        &replaced(DATED, "count = 1 }", "count = 1 }\nopen_for = \"30d\""),
        "cohort = 3",
        "cohort = 2, from = \"0d\", to = \"24d\", spread = \"even\"",
    );
    let (m, _) = run_scenario(&open, None);
    assert_exact(
        &m,
        &[
            ("slots.lab.allocated", 2.0),
            ("slots.lab.wait.mean", 5.0 / 2.0),
            ("slots.lab.wasted", 0.0),
            ("slots.lab.open_end", 1.0),
            ("run.days", 27.0),
        ],
    );
}

#[test]
fn slots_go_to_the_highest_score_and_come_back_from_those_who_die_holding_them() {
    // Allocation by score: two products share the calendar, `routine` (score 1) and
    // `urgent` (score 5), one patient each at time 0; the day-5 slot goes to `urgent`.
    let text = r#"[simulation]
horizon = "1000d"
replications = 2
until_empty = true

[slots.lab]
release = { dates = ["5d", "10d"], count = 1 }
allocation = "score"

[[products]]
name = "routine"
type = "autologous"
arrivals = { cohort = 1 }
score = 1

  [[products.steps]]
  name = "list"
  slot = "lab"

[[products]]
name = "urgent"
type = "autologous"
arrivals = { cohort = 1 }
score = 5

  [[products.steps]]
  name = "list"
  slot = "lab"
"#;
    let (m, _) = run_scenario(text, None);
    assert_exact(
        &m,
        &[
            ("products.urgent.v2v.mean", 5.0),
            ("products.routine.v2v.mean", 10.0),
        ],
    );
    // First come first served: the first in the queue (routine, listed first, arriving
    // first at time 0) gets day 5.
    let fcfs = replaced(
        &replaced(
            &replaced(text, "allocation = \"score\"", ""),
            "score = 1\n",
            "",
        ),
        "score = 5\n",
        "",
    );
    let (m, _) = run_scenario(&fcfs, None);
    assert_exact(
        &m,
        &[
            ("products.routine.v2v.mean", 5.0),
            ("products.urgent.v2v.mean", 10.0),
        ],
    );
    // A patient who dies holding a slot gives it back. Two patients at time 0; a death
    // 3 days into collection (10 days) for everyone. Day 5: the first gets a slot and
    // starts collection; day 8: it dies holding the slot, which goes to the second at
    // once (collection from day 8); day 10: the slot released finds nobody waiting and
    // is wasted; day 11: the second dies holding its slot too, and the run is over (a
    // slot still open when a run until empty ends is neither allocated nor wasted).
    let die = replaced(
        &replaced(DATED, "cohort = 3", "cohort = 2"),
        "arrivals = { cohort = 2 }",
        "arrivals = { cohort = 2 }\nhazards = [{ cause = \"death\", time = \"3d\", from = \"collection\", to = \"collection\" }]",
    );
    let die = replaced(&die, "duration = \"2d\"", "duration = \"10d\"");
    let (m, _) = run_scenario(&die, None);
    assert_exact(
        &m,
        &[
            ("products.car-t.hazards.death", 2.0),
            ("products.car-t.hazards.death.in.collection", 2.0),
            ("slots.lab.released", 2.0),
            ("slots.lab.allocated", 2.0),
            ("slots.lab.returned", 2.0),
            ("slots.lab.used", 0.0),
            ("slots.lab.wasted", 1.0),
            ("run.days", 11.0),
        ],
    );
}

#[test]
fn bad_slots_are_refused_where_they_are_written() {
    for (what, text, expected) in [
        (
            "a calendar that releases nothing in the horizon",
            replaced(
                DATED,
                "release = { dates = [\"5d\", \"10d\", \"20d\"], count = 1 }",
                "release = { dates = [\"1500d\"], count = 1 }",
            ),
            "scenario.toml:7:11: this calendar releases no slot before the run ends (day 1000)",
        ),
        (
            "an unknown calendar",
            replaced(DATED, "slot = \"lab\"", "slot = \"bcma\""),
            "unknown slot calendar `bcma`; define it under [slots] (defined: `lab`)",
        ),
        (
            "a slot held until an earlier step",
            replaced(
                &replaced(
                    DATED,
                    "slot = \"lab\"\n  slot_until = \"manufacturing\"",
                    "duration = \"1d\"",
                ),
                "name = \"collection\"",
                "name = \"collection\"\n  slot = \"lab\"\n  slot_until = \"waiting list\"",
            ),
            "a slot is held until this step or a later one starts",
        ),
        (
            "a score that changes nothing",
            replaced(
                DATED,
                "arrivals = { cohort = 3 }",
                "arrivals = { cohort = 3 }\nscore = 2",
            ),
            "this score changes nothing",
        ),
        (
            "allocation by score without scores",
            replaced(DATED, "count = 1 }", "count = 1 }\nallocation = \"score\""),
            "gives its patients no `score`",
        ),
        (
            "a release every zero days",
            replaced(
                DATED,
                "release = { dates = [\"5d\", \"10d\", \"20d\"], count = 1 }",
                "release = { every = \"0d\", count = 1 }",
            ),
            "is not a period",
        ),
        (
            "a calendar nobody uses",
            replaced(
                DATED,
                "slot = \"lab\"\n  slot_until = \"manufacturing\"",
                "duration = \"1d\"",
            ),
            "no step waits for this calendar's slots",
        ),
    ] {
        assert_clean_refusal(what, &run_file("bad-slots", &text, &["run"]), expected);
    }
}
