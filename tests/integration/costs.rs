//! Costs: replications priced by hand, categories adding up to the total, products'
//! shares adding up too, and rates refused at their place in the file.

use super::model::run_scenario;
use super::support::{
    assert_clean_refusal, assert_every_path_changes, assert_exact, replaced, run_file,
};
use cgtsim::model::CostCategory;

/// Two patients at time 0 on one suite for 2 days each: the run lasts 4 days.
const TWO: &str = r#"[simulation]
horizon = "100d"
replications = 2
until_empty = true

[resources]
suite = { capacity = 1 }

[costs]
currency = "SEK"
resources.suite = { per_hour_held = 10, per_hour_available = 1, per_use = 100 }
products.car-t = { materials = 1000 }

[[products]]
name = "car-t"
type = "autologous"
arrivals = { cohort = 2, from = "0d" }

  [[products.steps]]
  name = "manufacturing"
  uses = ["suite"]
  duration = "2d"
"#;

#[test]
fn two_patients_priced_by_hand() {
    // Suite held 96 h (x 10), available 96 h (x 1), used twice (x 100): 1,256 facility;
    // materials 2 x 1,000. Total 3,256, per infused patient 1,628, all of it the product's.
    let (m, _) = run_scenario(TWO, None);
    assert_exact(
        &m,
        &[
            ("run.days", 4.0),
            ("costs.facility", 960.0 + 96.0 + 200.0),
            ("costs.materials", 2000.0),
            ("costs.labour", 0.0),
            ("costs.total", 3256.0),
            ("costs.per_infused", 1628.0),
            ("costs.products.car-t.total", 3256.0),
            ("costs.products.car-t.per_infused", 1628.0),
        ],
    );
}

#[test]
fn a_network_priced_by_hand() {
    // Four patients to p by road (50 out, 70 back a leg), p's line held 40 days at 1 an
    // hour, p open 42 days at 1,000 a day: 42,000 + 960 + 4 x 120 = 43,440.
    let text = format!(
        "{}\n[costs]\ncurrency = \"GBP\"\nresources.\"line@p\" = {{ per_hour_held = 1, category = \"equipment\" }}\nsites.p = {{ per_day = 1000 }}\n[costs.lanes.a]\np = {{ road = 50 }}\n[costs.lanes.p]\na = {{ road = 70 }}\n",
        super::network::NET
    );
    let (m, _) = run_scenario(&text, None);
    assert_exact(
        &m,
        &[
            ("run.days", 42.0),
            ("costs.facility", 42_000.0),
            ("costs.equipment", 960.0),
            ("costs.transport", 480.0),
            ("costs.total", 43_440.0),
            ("costs.per_infused", 10_860.0),
            // p's own: its fixed cost and its line; legs belong to no site.
            ("costs.sites.p.total", 42_960.0),
            ("costs.sites.a.total", 0.0),
        ],
    );
}

#[test]
fn a_closed_plant_costs_nothing() {
    // q (an analyst at 2 an hour, 500 a day) is a candidate of the nearest rule, so open
    // and paid for all 42 days though nobody goes there: 21,000 + 2,016. With no line it
    // is closed: neither its fixed cost nor its analyst is paid.
    let text = format!(
        "{}
[costs]
currency = \"GBP\"\nresources.\"analyst@q\" = {{ per_hour_available = 2, category = \"labour\" }}\nsites.q = {{ per_day = 500 }}\n",
        replaced(
            super::network::NET,
            "q = { kind = \"plant\", resources = { line = { capacity = 2 } } }",
            "q = { kind = \"plant\", resources = { line = { capacity = 2 }, analyst = { capacity = 1 } } }",
        )
    );
    let (m, _) = run_scenario(&text, None);
    assert_exact(
        &m,
        &[
            ("run.days", 42.0),
            ("costs.sites.q.total", 21_000.0 + 2_016.0),
            ("costs.labour", 2_016.0),
        ],
    );
    let closed = replaced(&text, "line = { capacity = 2 }", "line = { capacity = 0 }");
    let (m, _) = run_scenario(&closed, None);
    assert_exact(&m, &[("costs.sites.q.total", 0.0), ("costs.total", 0.0)]);
}

#[test]
fn categories_and_products_add_up_to_the_total() {
    // Two products sharing a suite at random: categories and shares add up exactly.
    let text = replaced(
        TWO,
        "arrivals = { cohort = 2, from = \"0d\" }",
        "arrivals = { rate = 0.2, per = \"day\" }",
    );
    let text = replaced(&text, "until_empty = true\n", "");
    let text = replaced(
        &text,
        "duration = \"2d\"",
        "duration = { exponential = { mean = \"2d\" } }",
    );
    let text = format!(
        "{text}\n[[products]]\nname = \"tcr\"\ntype = \"autologous\"\narrivals = {{ rate = 0.1, per = \"day\" }}\n  [[products.steps]]\n  name = \"manufacturing\"\n  uses = [\"suite\"]\n  duration = \"3d\"\n"
    );
    let (m, _) = run_scenario(&text, Some(20));
    assert_eq!(m["costs.total"].len(), 20);
    for (r, &total) in m["costs.total"].iter().enumerate() {
        let v = |n: &str| m[n][r];
        let cats: f64 = CostCategory::ALL
            .iter()
            .map(|c| v(&format!("costs.{}", c.name())))
            .sum();
        assert!(
            (cats - total).abs() < 1e-6 * total,
            "categories {cats} vs {total}"
        );
        let shares = v("costs.products.car-t.total") + v("costs.products.tcr.total");
        assert!(
            (shares - total).abs() < 1e-6 * total,
            "shares {shares} vs {total}"
        );
    }
}

#[test]
fn bad_rates_are_refused_where_they_are_written() {
    for (what, from, to, message) in [
        (
            "negative",
            "per_hour_held = 10",
            "per_hour_held = -10",
            "a cost rate is a finite amount >= 0, not -10",
        ),
        (
            "unknown resource",
            "resources.suite = {",
            "resources.suit = {",
            "unknown resource `suit`",
        ),
        (
            "unknown product",
            "products.car-t =",
            "products.car-x =",
            "unknown product `car-x`",
        ),
        (
            "currency twice",
            "currency = \"SEK\"",
            "currency = \"SEK\"\ncurrency = \"EUR\"",
            "`currency` is given twice",
        ),
        (
            "no currency",
            "currency = \"SEK\"",
            "currency = \" \"",
            "name the currency every rate is in",
        ),
        (
            "unknown category",
            "per_use = 100",
            "per_use = 100, category = \"coffee\"",
            "a cost category is one of",
        ),
        (
            "discount of 100 %",
            "currency = \"SEK\"",
            "currency = \"SEK\"\ndiscount_rate = 1.0",
            "discount_rate is an annual rate in [0, 1), e.g. 0.035 for 3.5 %, not 1",
        ),
        (
            "negative discount",
            "currency = \"SEK\"",
            "currency = \"SEK\"\ndiscount_rate = -0.01",
            "discount_rate is an annual rate in [0, 1)",
        ),
        (
            "unknown assay",
            "materials = 1000",
            "materials = 1000, assays = { sterility = 5 }",
            "product `car-t` has no assay `sterility`; its assays are: none",
        ),
        (
            "unknown allocation",
            "currency = \"SEK\"",
            "currency = \"SEK\"\nallocation = \"headcount\"",
            "allocation is \"held\"",
        ),
    ] {
        let out = run_file(
            &format!("cost-{}", what.replace(' ', "-")),
            &replaced(TWO, from, to),
            &["run"],
        );
        assert_clean_refusal(what, &out, message);
    }
}

#[test]
fn a_store_is_priced_per_dose_day_and_per_dose_used() {
    // The (R, Q) store of scenarios/reference/rq.toml with 1 a dose-day in store and 500
    // a batch: the cost is the run's own stock and batch figures priced, and per dose
    // used its share over the doses used.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/reference/rq.toml"
    ))
    .unwrap();
    let text = format!(
        "{text}\n[costs]\ncurrency = \"EUR\"\nproducts.allo = {{ materials = 500, stored_per_day = 1 }}\n"
    );
    let (m, _) = run_scenario(&text, Some(4));
    for (r, _) in m["costs.total"].iter().enumerate() {
        let v = |n: &str| m[n][r];
        let days = 10_000.0;
        let batches = v("products.allo.batches.started_per_year") * days / 365.0;
        let want = v("products.allo.stock.mean") * days + 500.0 * batches;
        assert!(
            (v("costs.total") - want).abs() < 1e-6 * want,
            "{} vs {want}",
            v("costs.total")
        );
        let per_dose = v("costs.total") / v("products.allo.doses.used");
        assert!((v("costs.products.allo.per_dose_used") - per_dose).abs() < 1e-9 * per_dose);
    }
    let out = run_file(
        "stored-autologous",
        &replaced(
            TWO,
            "materials = 1000",
            "materials = 1000, stored_per_day = 1",
        ),
        &["run"],
    );
    assert_clean_refusal(
        "stored_per_day on an autologous product",
        &out,
        "stored_per_day prices the doses of an allogeneic product's store",
    );
}

#[test]
fn what_was_spent_on_the_lost_is_written_off() {
    // The second patient waits for the suite with a day's patience and drops out at day 1:
    // its materials (1,000) are written off. Suite held and open 48 h (480 + 48), used
    // once (100); materials 2,000: total 2,628, all of it per the one infused patient.
    let text = replaced(
        TWO,
        "arrivals = { cohort = 2, from = \"0d\" }",
        "arrivals = { cohort = 2, from = \"0d\" }\npatience = \"1d\"",
    );
    let (m, _) = run_scenario(&text, None);
    assert_exact(
        &m,
        &[
            ("run.days", 2.0),
            ("products.car-t.dropped_out", 1.0),
            ("costs.total", 480.0 + 48.0 + 100.0 + 2000.0),
            ("costs.per_infused", 2628.0),
            ("costs.written_off", 1000.0),
        ],
    );
    // Doses that expire in the store: each writes off its batch's cost over 10 doses.
    let rq = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/reference/rq.toml"
    ))
    .unwrap();
    let rq = replaced(
        &rq,
        "policy = { reorder_point = 5 }",
        "policy = { reorder_point = 5 }\nstock = { shelf_life = \"4d\" }",
    );
    let rq = format!("{rq}\n[costs]\ncurrency = \"EUR\"\nproducts.allo = {{ materials = 500 }}\n");
    let (m, _) = run_scenario(&rq, Some(3));
    for (r, &off) in m["costs.written_off"].iter().enumerate() {
        let expired = m["products.allo.doses.expired"][r];
        assert!(expired > 0.0, "some doses expire");
        assert!(
            (off - 500.0 * expired / 10.0).abs() < 1e-6,
            "{off} vs {expired}"
        );
    }
}

/// Two patients of two products share a suite; car-x's sterility test always fails. An
/// allogeneic batch of two doses serves one order; the other dose expires.
const GOLDEN: &str = r#"[simulation]
horizon = "20d"
replications = 2

[resources]
suite = { capacity = 1 }
analyst = { capacity = 1 }
line = { capacity = 1 }

[costs]
currency = "SEK"
allocation = "uses"
resources.suite = { per_hour_held = 10, per_hour_available = 1, per_use = 100 }
resources.analyst = { per_hour_held = 50, category = "labour" }
products.car-t = { materials = 1000, assays = { sterility = 300 } }
products.car-x = { materials = 1000, assays = { sterility = 300 } }
products.allo = { materials = 600, stored_per_day = 2 }

[[products]]
name = "car-t"
type = "autologous"
arrivals = { cohort = 1, from = "0d" }

  [[products.steps]]
  name = "manufacturing"
  uses = ["suite"]
  duration = "2d"

  [[products.steps]]
  name = "release"
  assays = [{ name = "sterility", touch_uses = ["analyst"], touch = "1h", duration = "1d" }]

[[products]]
name = "car-x"
type = "autologous"
arrivals = { cohort = 1, from = "0d" }

  [[products.steps]]
  name = "manufacturing"
  uses = ["suite"]
  duration = "2d"

  [[products.steps]]
  name = "release"
  assays = [{ name = "sterility", touch_uses = ["analyst"], touch = "1h", duration = "1d", failure = { probability = 1, retry_from = "release", max_attempts = 1 } }]

[[products]]
name = "allo"
type = "allogeneic"
arrivals = { cohort = 1, from = "1d" }
doses = 2
policy = { campaign_every = "1000d" }
stock = { shelf_life = "10d" }

  [[products.steps]]
  name = "make"
  uses = ["line"]
  duration = "5d"
"#;

#[test]
fn a_failure_and_an_expired_dose_priced_by_hand() {
    // Suite: held 96 h (x 10), open 480 h (x 1), 2 uses (x 100): 1,640. Analyst: 2 h
    // (x 50): 100. Materials 2 x 1,000 + 600; sterility 2 runs x 300; one dose in store
    // from day 5 to its expiry on day 15 (x 2 a day): 20. Total 4,960.
    // Written off: car-x's materials 1,000 plus what it held (480 + 100 + 50) and its run
    // (300); the expired dose's half of its batch's 600. 2,230.
    // Shared by uses (suite 680 over 5 grants: 2, 2, 1): car-t and car-x 1,000 + 480 +
    // 50 + 300 + 272 each, allo 600 + 20 + 136.
    let (m, _) = run_scenario(GOLDEN, None);
    assert_exact(
        &m,
        &[
            ("products.car-t.completed", 1.0),
            ("products.car-x.lost", 1.0),
            ("products.allo.doses.used", 1.0),
            ("products.allo.doses.expired", 1.0),
            ("costs.facility", 1640.0 + 20.0),
            ("costs.labour", 100.0),
            ("costs.materials", 2600.0),
            ("costs.qc", 600.0),
            ("costs.total", 4960.0),
            ("costs.written_off", 2230.0),
            ("costs.products.car-t.total", 2102.0),
            ("costs.products.car-x.total", 2102.0),
            ("costs.products.allo.total", 756.0),
            ("costs.products.allo.per_dose_used", 756.0),
        ],
    );
    // By units held instead (49, 49 and 120 unit-hours), the shares still add up.
    let (m, _) = run_scenario(&replaced(GOLDEN, "allocation = \"uses\"\n", ""), None);
    let share = |p: &str| m[&format!("costs.products.{p}.total")][0];
    let want = 1830.0 + 680.0 * 49.0 / 218.0;
    assert!((share("car-t") - want).abs() < 1e-9, "{}", share("car-t"));
    assert!((share("car-t") + share("car-x") + share("allo") - 4960.0).abs() < 1e-9);
}

#[test]
fn a_discount_rate_prices_each_year_at_its_present_value() {
    // Three patients on days 0, 400 and 800 (materials 1,000 each) and a suite open for
    // three years at 1 an hour (8,760 a year): at 10 % a year each year's 9,760 counts
    // 1, 1/1.1 and 1/1.21 of it.
    let text = replaced(
        TWO,
        "arrivals = { cohort = 2, from = \"0d\" }",
        "arrivals = { cohort = 3, from = \"0d\", to = \"1200d\", spread = \"even\" }",
    );
    let text = replaced(&text, "horizon = \"100d\"", "horizon = \"1095d\"");
    let text = replaced(&text, "until_empty = true\n", "");
    let text = replaced(
        &text,
        "per_hour_held = 10, per_hour_available = 1, per_use = 100",
        "per_hour_available = 1",
    );
    let (m, _) = run_scenario(&text, None);
    assert_exact(
        &m,
        &[("costs.total", 3.0 * 9760.0), ("costs.materials", 3000.0)],
    );
    let text = replaced(
        &text,
        "currency = \"SEK\"",
        "currency = \"SEK\"\ndiscount_rate = 0.1",
    );
    let (m, _) = run_scenario(&text, None);
    let factor = 1.0 + 1.0 / 1.1 + 1.0 / 1.21;
    for (name, want) in [
        ("costs.total", 9760.0 * factor),
        ("costs.materials", 1000.0 * factor),
        ("costs.facility", 8760.0 * factor),
        ("costs.products.car-t.total", 9760.0 * factor),
        ("costs.per_infused", 9760.0 * factor / 3.0),
    ] {
        let got = m[name][0];
        assert!((got - want).abs() < 1e-6, "{name}: {got} vs {want}");
    }
}

#[test]
fn every_cost_path_a_sweep_moves_changes_the_model() {
    let text = replaced(
        &replaced(
            GOLDEN,
            "allocation = \"uses\"",
            "allocation = \"uses\"\ndiscount_rate = 0.0",
        ),
        "horizon = \"20d\"",
        "horizon = \"800d\"",
    );
    assert_every_path_changes(
        "cost-paths",
        &text,
        &[
            ("costs.resources.suite.per_hour_held", "10", "20"),
            ("costs.resources.suite.per_hour_available", "1", "2"),
            ("costs.resources.suite.per_use", "100", "200"),
            ("costs.resources.analyst.category", "\"labour\"", "\"qc\""),
            ("costs.products.car-t.materials", "1000", "2000"),
            ("costs.products.car-t.assays.sterility", "300", "400"),
            ("costs.products.allo.stored_per_day", "2", "3"),
            ("costs.allocation", "\"uses\"", "\"held\""),
            ("costs.discount_rate", "0.0", "0.1"),
        ],
    );
}

#[test]
fn out_writes_a_tidy_cost_table_that_agrees_with_the_summary() {
    // costs.csv: one row per figure, the same numbers as summary.csv's cost metrics;
    // a later run without costs removes it.
    let dir = crate::support::scratch("costs-csv");
    let file = dir.join("golden.toml");
    std::fs::write(&file, GOLDEN).unwrap();
    let out = dir.join("out");
    let run = |f: &std::path::Path| {
        let o =
            crate::support::cgtsim(&["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run(&file);
    let costs = std::fs::read_to_string(out.join("costs.csv")).unwrap();
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mean_of = |metric: &str| -> String {
        let line = summary
            .lines()
            .find(|l| l.starts_with(&format!("{metric},")))
            .unwrap_or_else(|| panic!("{metric}"));
        line.split(',').nth(2).unwrap().to_string()
    };
    let lines: Vec<&str> = costs.lines().collect();
    assert_eq!(
        lines[0],
        "scope,name,per,currency,mean,sd,ci95_low,ci95_high,n,basis"
    );
    for (scope_name_per, metric) in [
        ("total,all,total", "costs.total"),
        ("total,all,written_off", "costs.written_off"),
        ("category,qc,total", "costs.qc"),
        ("product,car-x,total", "costs.products.car-x.total"),
        (
            "product,allo,per_dose_used",
            "costs.products.allo.per_dose_used",
        ),
    ] {
        let row = lines
            .iter()
            .find(|l| l.starts_with(scope_name_per))
            .unwrap_or_else(|| panic!("{scope_name_per}:\n{costs}"));
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[3], "SEK");
        assert_eq!(cells[4], mean_of(metric), "{scope_name_per}");
        assert_eq!(cells[9], "shared costs split by uses (grants)");
    }
    assert_eq!(mean_of("costs.total"), "4960");
    let plain = dir.join("plain.toml");
    let without = GOLDEN.split("[costs]").next().unwrap().to_string()
        + "[[products]]"
        + GOLDEN.split_once("[[products]]").unwrap().1;
    std::fs::write(&plain, without).unwrap();
    run(&plain);
    assert!(!out.join("costs.csv").exists(), "a stale costs.csv");
}

#[test]
fn network_costs_on_unknown_places_are_refused_where_they_are_written() {
    let priced = |costs: &str| {
        format!(
            "{}\n[costs]\ncurrency = \"GBP\"\n{costs}\n",
            super::network::NET
        )
    };
    // NET (37 lines) and a blank one: [costs] is line 39, its rates from line 41.
    for (what, costs, at, message) in [
        (
            "unknown site",
            "sites.z = { per_day = 10 }",
            "41:7",
            "unknown site `z`; costs name the sites of [sites]",
        ),
        (
            "no such lane",
            "[costs.lanes.b]\nq = { road = 5 }",
            "42:1",
            "there is no lane from `b` to `q` in [lanes]",
        ),
        (
            "no such mode",
            "[costs.lanes.a]\np = { air = 5 }",
            "42:7",
            "the lane from `a` to `p` has no mode `air`; its modes are: road",
        ),
        (
            "negative leg",
            "[costs.lanes.a]\np = { road = -5 }",
            "42:14",
            "a cost rate is a finite amount >= 0, not -5",
        ),
    ] {
        let out = run_file(
            &format!("cost-net-{}", what.replace(' ', "-")),
            &priced(costs),
            &["run"],
        );
        assert_clean_refusal(what, &out, message);
        assert!(
            out.2.contains(&format!("scenario.toml:{at}: ")),
            "{what}: expected scenario.toml:{at}:\n{}",
            out.2
        );
    }
}

#[test]
fn sweeping_a_cost_key_the_base_does_not_state_says_how() {
    let sweep = crate::support::sweeper("cost-path-missing", GOLDEN);
    let o = sweep("d", "\"costs.discount_rate\" = [0.0, 0.1]".to_string());
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("there is no `discount_rate` there; a sweep changes what the base states, so write `discount_rate` in the base"),
        "{err}"
    );
}
