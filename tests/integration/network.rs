//! Networks of sites: every routing rule's choices traced by hand on a small network,
//! routing at dispatch, fresh limits, demand per site with its own treating hospital,
//! and located refusals of networks that cannot run.

use super::model::run_scenario;
use super::support::{assert_clean_refusal, assert_exact, replaced, run_file};

/// Hospital `a` and plants `p` (1 line, 1 day from `a`) and `q` (2 lines, 5 days from
/// `a`). Four patients arrive at `a` at time 0; each travels to its plant, holds a line
/// for 10 days and comes back to `a`.
pub(super) const NET: &str = r#"[simulation]
horizon = "200d"
replications = 2
until_empty = true

[sites]
a = { kind = "hospital" }
b = { kind = "hospital" }
p = { kind = "plant", resources = { line = { capacity = 1 } } }
q = { kind = "plant", resources = { line = { capacity = 2 } } }

[lanes.a]
p = { modes = { road = "1d" } }
q = { modes = { road = "5d" } }

[lanes.b]
p = { modes = { road = "1d" } }

[routing]
rule = "nearest"

[[products]]
name = "car-t"
type = "autologous"
demand.a = { arrivals = { cohort = 4, from = "0d" } }

  [[products.steps]]
  name = "inbound"
  transport = { from = "collection", to = "plant" }
  [[products.steps]]
  name = "manufacturing"
  at = "plant"
  uses = ["line"]
  duration = "10d"
  [[products.steps]]
  name = "outbound"
  transport = { from = "plant", to = "treatment" }
"#;

fn with_rule(rule: &str) -> String {
    replaced(NET, "rule = \"nearest\"", rule)
}

#[test]
fn nearest_sends_everyone_to_the_closest_plant() {
    // All four to p (1 day): lines 1-11, 11-21, 21-31, 31-41; back 12, 22, 32, 42.
    let (m, _) = run_scenario(NET, None);
    assert_exact(
        &m,
        &[
            ("products.car-t.plants.p.patients", 4.0),
            ("products.car-t.plants.q.patients", 0.0),
            ("products.car-t.v2v.mean", (12.0 + 22.0 + 32.0 + 42.0) / 4.0),
            ("products.car-t.sites.a.v2v.mean", 27.0),
            ("products.car-t.sites.a.completed", 4.0),
            ("run.days", 42.0),
            // Legs: 4 out at time 0 (1 day each), 4 back on days 11, 21, 31, 41.
            ("lanes.a.p.legs", 4.0),
            ("lanes.p.a.legs", 4.0),
            ("lanes.a.p.time.mean", 1.0),
            ("lanes.a.p.modes.road.legs", 4.0),
            ("lanes.a.p.in_transit.mean", 4.0 / 42.0),
            ("lanes.p.a.in_transit.mean", 4.0 / 42.0),
            ("lanes.a.q.legs", 0.0),
        ],
    );
}

#[test]
fn a_fixed_table_overrides_distance() {
    // All four to q (2 lines, 5 days away): two at once, lines 5-15 and 15-25, back 20,
    // 20, 30, 30.
    let (m, _) = run_scenario(
        &with_rule("rule = \"fixed\"\ntable = { a = \"q\", b = \"p\" }"),
        None,
    );
    assert_exact(
        &m,
        &[
            ("products.car-t.plants.q.patients", 4.0),
            ("products.car-t.v2v.mean", 25.0),
            ("resources.line@q.in_use.peak", 2.0),
            ("resources.line@p.grants", 0.0),
        ],
    );
}

#[test]
fn shortest_wait_weighs_transport_against_the_queue() {
    // Expected time to the line: inbound + max(0, n + 1 - c) x 10 / c, with n the
    // patients already routed there and not yet through manufacturing.
    //   patient 1: p 1 + 0 = 1,   q 5 + 0 = 5   -> p
    //   patient 2: p 1 + 10 = 11, q 5 + 0 = 5   -> q
    //   patient 3: p 11,          q 5 + 0 = 5   -> q
    //   patient 4: p 11,          q 5 + 5 = 10  -> q (waits: lines busy 5-15, works 15-25)
    // Back: 12 (p); 20, 20 (q); 30 (q).
    let (m, _) = run_scenario(&with_rule("rule = \"shortest_wait\""), None);
    assert_exact(
        &m,
        &[
            ("products.car-t.plants.p.patients", 1.0),
            ("products.car-t.plants.q.patients", 3.0),
            ("products.car-t.v2v.mean", (12.0 + 20.0 + 20.0 + 30.0) / 4.0),
            ("run.days", 30.0),
        ],
    );
}

#[test]
fn most_free_ignores_distance_but_breaks_ties_by_it() {
    // Free lines c - n, the most wins; ties go to the nearer plant:
    //   patient 1: p 1, q 2 -> q;  patient 2: p 1, q 1 -> p (nearer);
    //   patient 3: p 0, q 1 -> q;  patient 4: p 0, q 0 -> p (nearer).
    // q: two at once, lines 5-15, back 20, 20; p: lines 1-11, 11-21, back 12, 22.
    let (m, _) = run_scenario(&with_rule("rule = \"most_free\""), None);
    assert_exact(
        &m,
        &[
            ("products.car-t.plants.p.patients", 2.0),
            ("products.car-t.plants.q.patients", 2.0),
            ("products.car-t.v2v.mean", (20.0 + 12.0 + 20.0 + 22.0) / 4.0),
        ],
    );
}

#[test]
fn routing_at_dispatch_sees_the_plants_as_they_are_then() {
    // Collection takes 12 days on one apheresis unit, so the cells leave on days 12, 24,
    // 36, 48. At dispatch each finds p empty again (the one before left its line 11 days
    // after dispatch): all to p, no queue, each 12 + 1 + 10 + 1 = 24 days after their
    // collection started. Routed at arrival, all four are routed at time 0 as above.
    let collect = "  [[products.steps]]\n  name = \"collection\"\n  at = \"collection\"\n  uses = [\"apheresis\"]\n  duration = \"12d\"\n  [[products.steps]]\n  name = \"inbound\"";
    let text = replaced(
        &replaced(NET, "  [[products.steps]]\n  name = \"inbound\"", collect),
        "a = { kind = \"hospital\" }",
        "a = { kind = \"hospital\", resources = { apheresis = { capacity = 1 } } }",
    );
    let dispatch = replaced(
        &text,
        "rule = \"nearest\"",
        "rule = \"shortest_wait\"\nat = \"dispatch\"",
    );
    let (m, _) = run_scenario(&dispatch, None);
    assert_exact(
        &m,
        &[
            ("products.car-t.plants.p.patients", 4.0),
            // Waits for the apheresis unit: 0, 12, 24, 36.
            ("products.car-t.v2v.mean", 24.0 + 18.0),
            ("resources.line@p.wait.mean", 0.0),
        ],
    );
    let arrival = replaced(&text, "rule = \"nearest\"", "rule = \"shortest_wait\"");
    let (m, _) = run_scenario(&arrival, None);
    assert_exact(&m, &[("products.car-t.plants.q.patients", 3.0)]);
}

#[test]
fn patients_go_back_to_their_own_treating_hospital() {
    // Patients collected at `a` but treated at `b`: the outbound leg is p -> b, and the
    // step at `treatment` uses b's infusion chair.
    let text = replaced(
        NET,
        "demand.a = { arrivals = { cohort = 4, from = \"0d\" } }",
        "demand.a = { arrivals = { cohort = 1, from = \"0d\" }, treated_at = \"b\" }",
    );
    let text = replaced(
        &text,
        "b = { kind = \"hospital\" }",
        "b = { kind = \"hospital\", resources = { chair = { capacity = 1 } } }",
    );
    let text = format!(
        "{text}  [[products.steps]]\n  name = \"infusion\"\n  at = \"treatment\"\n  uses = [\"chair\"]\n  duration = \"1d\"\n"
    );
    let (m, _) = run_scenario(&text, None);
    assert_exact(
        &m,
        &[
            ("products.car-t.v2v.mean", 1.0 + 10.0 + 1.0 + 1.0),
            ("resources.chair@b.grants", 1.0),
            ("products.car-t.sites.a.completed", 1.0),
        ],
    );
}

#[test]
fn a_leg_over_its_fresh_limit_spoils_the_product() {
    // One van on the lane a -> p: the second patient's cells wait a day for it and
    // arrive 2 days after they left, over the 1.5-day limit: spoiled, the patient lost.
    let text = replaced(
        NET,
        "p = { modes = { road = \"1d\" } }\nq",
        "p = { modes = { road = \"1d\" }, uses = [\"van\"], one_way = true }\nq",
    );
    let text = replaced(
        &text,
        "a = { kind = \"hospital\" }",
        "a = { kind = \"hospital\", resources = { van = { capacity = 1 } } }",
    );
    let text = replaced(&text, "cohort = 4", "cohort = 2");
    // (q as close as p, so that it stays within reach: ties go to p, listed first.)
    let text = replaced(&text, "road = \"5d\"", "road = \"1d\"");
    let text =
        format!("{text}\n[lanes.p]\na = {{ modes = {{ road = \"1d\" }}, one_way = true }}\n");
    let text = replaced(
        &text,
        "transport = { from = \"collection\", to = \"plant\" }",
        "transport = { from = \"collection\", to = \"plant\", fresh_limit = \"1.5d\" }",
    );
    let (m, _) = run_scenario(&text, None);
    assert_exact(
        &m,
        &[
            ("products.car-t.sites.a.spoiled", 1.0),
            ("products.car-t.sites.a.lost", 1.0),
            ("products.car-t.lost", 1.0),
            ("products.car-t.completed", 1.0),
            ("products.car-t.v2v.mean", 12.0),
        ],
    );
}

#[test]
fn a_plant_too_far_for_fresh_cells_is_not_a_candidate() {
    // q is 5 days from a: with a 3-day fresh limit shortest_wait sends all four to p.
    let text = replaced(
        &with_rule("rule = \"shortest_wait\""),
        "transport = { from = \"collection\", to = \"plant\" }",
        "transport = { from = \"collection\", to = \"plant\", fresh_limit = \"3d\" }",
    );
    let text = replaced(
        &text,
        "[lanes.b]\np = { modes = { road = \"1d\" } }",
        "[lanes.b]\np = { modes = { road = \"1d\" } }\nq = { modes = { road = \"1d\" } }",
    );
    let text = replaced(
        &text,
        "demand.a = { arrivals = { cohort = 4, from = \"0d\" } }",
        "demand.a = { arrivals = { cohort = 4, from = \"0d\" } }\ndemand.b = { arrivals = { cohort = 1, from = \"0d\" } }",
    );
    let (m, _) = run_scenario(&text, None);
    assert_exact(
        &m,
        &[
            ("products.car-t.plants.p.patients", 4.0),
            // b's one patient: p 1 + 4 x 10 = 41 against q 1: to q.
            ("products.car-t.plants.q.patients", 1.0),
            ("products.car-t.sites.b.v2v.mean", 12.0),
        ],
    );
}

#[test]
fn cheapest_takes_the_least_cost_plant_that_meets_the_deadline() {
    // Legs to and from q cost 10, to and from p 100. Planned: 12 days by p, 20 by q;
    // expected = planned + the wait of shortest_wait.
    let priced = format!(
        "{NET}\n[costs]\ncurrency = \"GBP\"\n[costs.lanes.a]\np = {{ road = 100 }}\nq = {{ road = 10 }}\n[costs.lanes.p]\na = {{ road = 100 }}\n[costs.lanes.q]\na = {{ road = 10 }}\n"
    );
    // Deadline 25: patients 1 and 2 to q (20, no wait), 3 to q (20 + 5 = 25), 4 to p (q
    // would be 20 + 10). q: lines 5-15, 5-15, 15-25, back 20, 20, 30; p: back 12.
    let (m, _) = run_scenario(
        &replaced(
            &priced,
            "rule = \"nearest\"",
            "rule = \"cheapest\"\ndeadline = \"25d\"",
        ),
        None,
    );
    assert_exact(
        &m,
        &[
            ("products.car-t.plants.q.patients", 3.0),
            ("products.car-t.plants.p.patients", 1.0),
            ("products.car-t.v2v.mean", (20.0 + 20.0 + 30.0 + 12.0) / 4.0),
            ("costs.transport", 3.0 * 20.0 + 200.0),
        ],
    );
    // Deadline 19: q never meets it. Patient 1 to p (12); then p expects 22 and q 20,
    // neither meets it, and the sooner wins: 2 and 3 to q (20, 20), 4 to p (22 against
    // q's 25). Back: p 12, 22; q 20, 20.
    let (m, _) = run_scenario(
        &replaced(
            &priced,
            "rule = \"nearest\"",
            "rule = \"cheapest\"\ndeadline = \"19d\"",
        ),
        None,
    );
    assert_exact(
        &m,
        &[
            ("products.car-t.plants.p.patients", 2.0),
            ("products.car-t.v2v.mean", (12.0 + 22.0 + 20.0 + 20.0) / 4.0),
        ],
    );
    refused(
        "cheapest-without-costs",
        &with_rule("rule = \"cheapest\"\ndeadline = \"25d\""),
        "20:8",
        "the cheapest plant is found from the costs; add [costs]",
    );
    refused(
        "cheapest-without-deadline",
        &with_rule("rule = \"cheapest\""),
        "20:8",
        "rule = \"cheapest\" needs deadline",
    );
}

#[test]
fn a_legs_mode_by_deadline_counts_the_steps_after_it_at_the_patients_plant() {
    // Lines p 2, q 1; legs a-p road 1 d or air 0.5 d, a-q road 6 d or air 2 d; deadline
    // 20 d. Most free: patients 1, 2 and 4 to p, 3 to q. Inbound at time 0, the first mode
    // that meets the deadline with the mean work after the leg (10 d of line, then the
    // leg back by its first mode): by p 1 + 10 + 1 = 12, road; by q 6 + 10 + 6 = 22 by
    // road, 2 + 16 = 18 by air. Back: p's first two at day 11 (road, 12), the fourth at
    // day 21 after its wait (neither meets 20: the fastest, air); q's at day 12 (road,
    // 18). The work after a leg is kept per patient's source and plant: q's patient must
    // not be given p's.
    let text = replaced(
        &replaced(
            &with_rule("rule = \"most_free\"\nmode = \"deadline\"\ndeadline = \"20d\""),
            "p = { modes = { road = \"1d\" } }\nq = { modes = { road = \"5d\" } }",
            "p = { modes = { road = \"1d\", air = \"0.5d\" } }\nq = { modes = { road = \"6d\", air = \"2d\" } }",
        ),
        "p = { kind = \"plant\", resources = { line = { capacity = 1 } } }\nq = { kind = \"plant\", resources = { line = { capacity = 2 } } }",
        "p = { kind = \"plant\", resources = { line = { capacity = 2 } } }\nq = { kind = \"plant\", resources = { line = { capacity = 1 } } }",
    );
    let (m, _) = run_scenario(&text, None);
    assert_exact(
        &m,
        &[
            ("products.car-t.plants.p.patients", 3.0),
            ("products.car-t.plants.q.patients", 1.0),
            ("lanes.a.p.modes.road.legs", 3.0),
            ("lanes.a.q.modes.air.legs", 1.0),
            ("lanes.a.q.modes.road.legs", 0.0),
            ("lanes.p.a.modes.road.legs", 2.0),
            ("lanes.p.a.modes.air.legs", 1.0),
            ("lanes.q.a.modes.road.legs", 1.0),
        ],
    );
}

/// Runs `text` and asserts a located refusal (exit 2) at `line_col` with `message`.
fn refused(what: &str, text: &str, line_col: &str, message: &str) {
    let out = run_file(what, text, &["run"]);
    assert_clean_refusal(what, &out, message);
    assert!(
        out.2.contains(&format!("scenario.toml:{line_col}: ")),
        "{what}: expected scenario.toml:{line_col}:\n{}",
        out.2
    );
}

#[test]
fn networks_that_cannot_run_are_refused_where_they_are_written() {
    refused(
        "lane-to-unknown-site",
        &replaced(
            NET,
            "q = { modes = { road = \"5d\" } }",
            "z = { modes = { road = \"5d\" } }",
        ),
        "14:1",
        "unknown site `z`; the sites are: a, b, p, q",
    );
    refused(
        "duplicate-site",
        &replaced(
            NET,
            "b = { kind = \"hospital\" }",
            "a = { kind = \"hospital\" }",
        ),
        "8:1",
        "`a` is given twice in this table; keep one",
    );
    refused(
        "table-without-plant",
        &with_rule("rule = \"fixed\"\ntable = { b = \"p\" }"),
        "21:1",
        "the table gives `a` no plant, and product `car-t` has demand there; give it one",
    );
    refused(
        "plant-out-of-reach",
        &replaced(
            &with_rule("rule = \"fixed\"\ntable = { a = \"p\", b = \"p\" }"),
            "transport = { from = \"collection\", to = \"plant\" }",
            "transport = { from = \"collection\", to = \"plant\", fresh_limit = \"0.5d\" }",
        ),
        "21:15",
        "patients of `a` cannot be made at `p`: no mode of the lane from `a` to `p` is within the fresh limit of transport step `inbound`",
    );
    refused(
        "unreachable-plant",
        &replaced(
            NET,
            "transport = { from = \"collection\", to = \"plant\" }",
            "transport = { from = \"collection\", to = \"plant\", fresh_limit = \"3d\" }",
        ),
        "10:5",
        "no patient can reach plant `q` within the fresh limit of its transport",
    );
}

mod random;

#[test]
fn the_swedish_network_sweep_runs_and_shows_its_headline() {
    // The bundled sweep with 4 replications a variant: every variant runs, and the
    // header's main finding holds: with demand tripled, regional plants routed to the
    // nearest one leave Karolinska's patients far behind the central plant's.
    use super::support::{cgtsim, scratch};
    let root = env!("CARGO_MANIFEST_DIR");
    let text =
        std::fs::read_to_string(format!("{root}/scenarios/sweeps/sweden-network.toml")).unwrap();
    let text = replaced(
        &text,
        "base = \"../sweden-network.toml\"",
        &format!("base = \"{root}/scenarios/sweden-network.toml\"\nreplications = 4"),
    );
    let dir = scratch("sweden-sweep");
    std::fs::write(dir.join("sweep.toml"), text).unwrap();
    let out = dir.join("out");
    let o = cgtsim(&[
        "sweep",
        dir.join("sweep.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let p90 = |config: &str| -> f64 {
        let line = csv
            .lines()
            .find(|l| l.contains(config) && l.contains(",products.car-t.sites.karolinska.v2v.p90,"))
            .unwrap_or_else(|| panic!("{config}"));
        line.split(',').nth(8).unwrap().parse().unwrap()
    };
    let central = p90(",6,0,0,3.0,nearest,");
    let regional = p90(",3,2,1,3.0,nearest,");
    assert!(
        central < 30.0 && regional > 40.0,
        "central {central}, regional {regional}"
    );
}

#[test]
fn site_types_are_instantiated_with_their_parameters() {
    // p and q of one design: q's 2 lines and p's 1 come from the type's parameter, and
    // routing sees them as before (shortest wait: 1 patient to p, 3 to q).
    let typed = replaced(
        &with_rule("rule = \"shortest_wait\""),
        "p = { kind = \"plant\", resources = { line = { capacity = 1 } } }\nq = { kind = \"plant\", resources = { line = { capacity = 2 } } }",
        "p = { type = \"plant\", parameters = { lines = 1 } }\nq = { type = \"plant\", parameters = { lines = 2 } }\n\n[site_types.plant]\nkind = \"plant\"\nresources = { line = { capacity = \"lines\" } }",
    );
    let (m, _) = run_scenario(&typed, None);
    assert_exact(
        &m,
        &[
            ("products.car-t.plants.p.patients", 1.0),
            ("products.car-t.plants.q.patients", 3.0),
            ("resources.line@q.in_use.peak", 2.0),
        ],
    );
    refused(
        "missing-parameter",
        &replaced(
            &typed,
            "q = { type = \"plant\", parameters = { lines = 2 } }",
            "q = { type = \"plant\" }",
        ),
        "10:1",
        "site `q` of type `plant` gives no value for parameter `lines` (the capacity of its `line@q`); add parameters = { lines = ... }",
    );
    refused(
        "unknown-parameter",
        &replaced(
            &typed,
            "parameters = { lines = 2 }",
            "parameters = { lines = 2, suites = 3 }",
        ),
        "10:49",
        "site type `plant` has no parameter `suites`",
    );
    refused(
        "unknown-type",
        &replaced(&typed, "q = { type = \"plant\"", "q = { type = \"factory\""),
        "10:14",
        "unknown site type `factory`; the types are: plant",
    );
    refused(
        "parameter-outside-a-type",
        &replaced(
            NET,
            "line = { capacity = 2 }",
            "line = { capacity = \"lines\" }",
        ),
        "10:57",
        "a capacity is a whole number, not \"lines\"",
    );
}

#[test]
fn size_finds_a_plants_lines_for_every_hospitals_target() {
    // Five patients to p at time 0 (a's four, b's one): with 5 lines every one is back on
    // day 12; with 4, one of them waits 10 days (a's mean 14.5 or b's 22). `sites.*`
    // targets every collection site at once.
    let text = replaced(
        NET,
        "demand.a =",
        "demand.b = { arrivals = { cohort = 1, from = \"0d\" } }\ndemand.a =",
    );
    let out = run_file(
        "size-network",
        &text,
        &[
            "size",
            "--resource",
            "line@p",
            "--target",
            "products.car-t.sites.*.v2v.mean <= 12.5d",
        ],
    );
    assert_eq!(out.0, Some(0), "{}", out.2);
    assert!(out.1.contains("answer: line@p = 5"), "{}", out.1);
}

#[test]
fn counts_past_their_limits_are_refused() {
    // 1,001 sites: past the limit of 1,000 (the lane table is sites x sites).
    let sites: String = (0..1001)
        .map(|i| format!("h{i} = {{ kind = \"hospital\" }}\n"))
        .collect();
    let text = replaced(
        NET,
        "a = { kind = \"hospital\" }\n",
        &format!("a = {{ kind = \"hospital\" }}\n{sites}"),
    );
    let out = run_file("many-sites", &text, &["run"]);
    assert_clean_refusal("many sites", &out, "1005 sites; at most 1000");
    // 10,001 steps in one chain: indices are 16-bit.
    let steps: String = (0..10_001)
        .map(|i| format!("  [[products.steps]]\n  name = \"s{i}\"\n  duration = \"1h\"\n"))
        .collect();
    let text = format!("{NET}{steps}");
    let out = run_file("many-steps", &text, &["run"]);
    assert_clean_refusal("many steps", &out, "10004 steps; at most 10000");
}

#[test]
fn every_network_path_a_sweep_moves_changes_the_model() {
    use super::support::assert_every_path_changes;
    let base = replaced(
        NET,
        "demand.a = { arrivals = { cohort = 4, from = \"0d\" } }",
        "demand.a = { arrivals = { rate = 0.3, per = \"day\" } }\ndemand.b = { arrivals = { rate = 0.3, per = \"day\" } }",
    );
    let base = replaced(&base, "until_empty = true\n", "");
    // b's patients go to q, half a day away.
    let base = replaced(
        &base,
        "[lanes.b]\np = { modes = { road = \"1d\" } }",
        "[lanes.b]\np = { modes = { road = \"1d\" } }\nq = { modes = { road = \"0.5d\" } }",
    );
    let base = replaced(
        &base,
        "p = { kind = \"plant\", resources = { line = { capacity = 1 } } }\nq = { kind = \"plant\", resources = { line = { capacity = 2 } } }",
        "p = { type = \"plant\", parameters = { lines = 2 } }\nq = { type = \"plant\", parameters = { lines = 2 } }\n\n[site_types.plant]\nkind = \"plant\"\nresources = { line = { capacity = \"lines\" } }",
    );
    let base = replaced(
        &base,
        "p = { modes = { road = \"1d\" } }\nq = { modes = { road = \"5d\" } }",
        "p = { modes = { road = { uniform = { min = \"0.5d\", max = \"1.5d\" } } } }\nq = { modes = { road = { uniform = { min = \"0.5d\", max = \"2d\" } } } }",
    );
    let base = replaced(
        &base,
        "transport = { from = \"collection\", to = \"plant\" }",
        "transport = { from = \"collection\", to = \"plant\", fresh_limit = \"6d\" }",
    );
    let base = replaced(
        &base,
        "duration = \"10d\"",
        "duration = { exponential = { mean = \"6d\" } }",
    );
    assert_every_path_changes(
        "network-paths",
        &base,
        &[
            ("sites.q.parameters.lines", "2", "1"),
            ("routing.rule", "\"nearest\"", "\"shortest_wait\""),
            ("lanes.b.q.modes.road", "\"0.5d\"", "\"0.8d\""),
            ("products.car-t.demand.a.arrivals.rate", "0.3", "0.4"),
            (
                "products.car-t.steps.inbound.transport.fresh_limit",
                "\"6d\"",
                "\"1.2d\"",
            ),
        ],
    );
    // A type's own capacity sets it at every site of the type. (With a parameter named
    // instead, a number here is refused: the sites' parameter would then be unused.)
    let fixed = replaced(&base, "capacity = \"lines\"", "capacity = 2");
    let fixed = fixed.replace(", parameters = { lines = 2 }", "");
    assert_every_path_changes(
        "network-type-paths",
        &fixed,
        &[("site_types.plant.resources.line.capacity", "2", "1")],
    );
}

#[test]
fn the_time_series_has_each_collection_sites_flows() {
    // Nearest: the four back on days 12, 22, 32 and 42; periods of 10 days.
    let text = replaced(
        NET,
        "until_empty = true",
        "until_empty = true\ntimeseries = \"10d\"",
    );
    let sc = cgtsim::cli::scenario::parse("net.toml", &text).unwrap();
    let runs = cgtsim::experiment::simulate(&sc.spec, 1, 1, || {}, || false).unwrap();
    let names = cgtsim::model::series_names(&sc.spec);
    let rows = runs[0].series.as_ref().unwrap();
    let column = |name: &str| -> Vec<f64> {
        let at = names.iter().position(|(m, _)| m.name == name).unwrap();
        rows.chunks(names.len()).map(|r| r[at]).collect()
    };
    assert_eq!(
        column("products.car-t.sites.a.arrived"),
        [4.0, 0.0, 0.0, 0.0, 0.0]
    );
    assert_eq!(
        column("products.car-t.sites.a.completed"),
        [0.0, 1.0, 1.0, 1.0, 1.0]
    );
    let v2v = column("products.car-t.sites.a.v2v.mean");
    assert!(v2v[0].is_nan());
    assert_eq!(v2v[1..], [12.0, 22.0, 32.0, 42.0]);
}

#[test]
fn milestones_are_kept_per_collection_site() {
    // Nearest: everyone to p, in arrival order at time 0 (b's demand is listed first):
    // b's one back on day 12, a's four on days 22, 32, 42, 52. Within 25 days: b's, and
    // one of a's four.
    let text = replaced(
        NET,
        "demand.a =",
        "milestones = [{ name = \"v2v\", from = \"inbound\", to = \"outbound\", deadline = \"25d\" }]\ndemand.b = { arrivals = { cohort = 1, from = \"0d\" } }\ndemand.a =",
    );
    let (m, _) = run_scenario(&text, None);
    assert_exact(
        &m,
        &[
            ("products.car-t.sites.a.milestones.v2v.on_time", 0.25),
            ("products.car-t.sites.a.milestones.v2v.mean", 37.0),
            ("products.car-t.sites.b.milestones.v2v.on_time", 1.0),
            ("products.car-t.sites.b.milestones.v2v.mean", 12.0),
            ("products.car-t.milestones.v2v.on_time", 0.4),
        ],
    );
}

#[test]
fn size_refuses_a_closed_plants_resource() {
    // A plant with no line is closed: sizing its line in place would change nothing.
    let text = replaced(NET, "line = { capacity = 2 }", "line = { capacity = 0 }");
    let out = run_file(
        "size-closed",
        &text,
        &[
            "size",
            "--resource",
            "line@q",
            "--target",
            "products.car-t.v2v.mean <= 30d",
        ],
    );
    assert_clean_refusal(
        "closed plant",
        &out,
        "`line@q` has capacity 0 in the scenario",
    );
}

#[test]
fn a_site_without_a_step_resource_is_refused_even_without_plants() {
    // Collection at the patient's hospital with a chair only `a` has; `b` has demand.
    let text = r#"[simulation]
horizon = "30d"

[sites]
a = { kind = "hospital", resources = { chair = { capacity = 1 } } }
b = { kind = "hospital" }

[[products]]
name = "car-t"
type = "autologous"
demand.a = { arrivals = { rate = 1, per = "day" } }
demand.b = { arrivals = { rate = 1, per = "day" } }

  [[products.steps]]
  name = "collection"
  at = "collection"
  uses = ["chair"]
  duration = "1d"
"#;
    refused(
        "no-chair-at-b",
        text,
        "12:12",
        "patients of `b` cannot be served: step `collection` cannot run at `b`",
    );
}
