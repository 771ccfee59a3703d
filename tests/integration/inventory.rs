//! Allogeneic make-to-stock through scenario files: the (R, Q) inventory result, a
//! hand-computed campaign, dose conservation, and the mistakes the scenario compiler
//! refuses.

use crate::model::run_scenario;
use crate::support::assert_agrees;
use cgtsim::cli::scenario;
use cgtsim::engine::{Kernel, RunEnd, RunLength, Streams, run};
use cgtsim::model::{Blueprint, Facility};

#[test]
fn reorder_point_fill_rate_and_stock_match_the_r_q_model() {
    // Continuous review (R, Q) with Poisson demand (1 dose a day), a fixed lead time of
    // 5 days, batches of Q = 10 doses, reorder point R = 5, full backordering. The
    // inventory position is uniform on R+1..R+Q; lead-time demand D ~ Poisson(5);
    // fill rate = (1/Q) sum_y P(D <= y-1); mean stock = (1/Q) sum_y E[(y - D)+].
    // scenarios/reference/rq.toml: warm-up 100 days (20 lead times), horizon 10,000 days,
    // R = 40 replications.
    let (fill, stock) = cgtsim::experiment::theory::rq_fill_rate_and_stock(5, 10, 5.0);
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/reference/rq.toml"
    ))
    .unwrap();
    // The closed forms, as the scenario's header states them.
    assert!((fill - 0.912_276).abs() < 1e-6, "{fill}");
    assert!((stock - 5.596_006).abs() < 1e-6, "{stock}");
    let (m, _) = run_scenario(&text, None);
    assert_agrees(
        "(R,Q) fill rate",
        &m["products.allo.orders.fill_rate"],
        fill,
    );
    assert_agrees("(R,Q) mean stock", &m["products.allo.stock.mean"], stock);
}

const CAMPAIGN: &str = r#"
    [simulation]
    horizon = "1000d"
    replications = 1
    [[products]]
    name = "allo"
    type = "allogeneic"
    arrivals = { interarrival = "1d" }
    doses = 10
    policy = { campaign_every = "10d" }
      [[products.steps]]
      name = "make"
      duration = "5d"
"#;

#[test]
fn golden_campaign() {
    // Batches start on days 0, 10, ..., 990 and bring 10 doses 5 days later. Orders come
    // daily from day 1. Each cycle: the release on day 5 + 10k serves the 4 orders that
    // waited since days 1..4 (+10k) (waits 4, 3, 2, 1 days), stock 6, then one order a
    // day takes it to 0 on day 10 + 10k. Days 1..999: 999 orders, 400 backordered.
    let (m, _) = run_scenario(CAMPAIGN, None);
    let get = |k: &str| m[&format!("products.allo.{k}")][0];
    assert_eq!(get("orders.arrived"), 999.0);
    assert_eq!(get("orders.backordered"), 400.0);
    assert_eq!(get("orders.from_stock"), 599.0);
    assert_eq!(get("orders.fill_rate"), 599.0 / 999.0);
    assert!((get("orders.backorder_wait.mean") - 2.5).abs() < 1e-12);
    assert_eq!(get("orders.infused"), 999.0);
    assert!((get("order_to_infusion.mean") - 1000.0 / 999.0).abs() < 1e-12);
    assert_eq!(
        (
            get("doses.released"),
            get("doses.used"),
            get("doses.expired")
        ),
        (1000.0, 999.0, 0.0)
    );
    assert_eq!(get("stock.stockouts"), 99.0);
    // Stock 5, 4, 3, 2, 1 for a day each after every release: 15 dose-days per cycle.
    assert!((get("stock.mean") - 1.5).abs() < 1e-12);
    assert_eq!(get("batches.released_per_year"), 100.0 / (1000.0 / 365.0));
}

#[test]
fn doses_are_conserved() {
    // A busy store with everything on: random yields, failures, a small store, a short
    // shelf life, impatient orders, a delivery leg. Over each whole run:
    // doses brought = stored + discarded, and stored = used + expired + on hand.
    let text = r#"
        [simulation]
        warmup = "100d"
        horizon = "1000d"
        replications = 12
        [resources]
        suite = { capacity = 1, changeover = "1d" }
        courier = { capacity = 1 }
        [[products]]
        name = "allo"
        type = "allogeneic"
        arrivals = { rate = 0.5, per = "day" }
        patience = { exponential = { mean = "5d" } }
        doses = { uniform = { min = 20, max = 60 } }
        order_size = 2
        policy = { campaign_every = "10d" }
        stock = { capacity = 80, shelf_life = "40d" }
          [[products.steps]]
          name = "make"
          uses = ["suite"]
          duration = { triangular = { min = "8d", mode = "10d", max = "14d" } }
          failure = { probability = 0.2 }
          [[products.steps]]
          name = "qc"
            [[products.steps.assays]]
            name = "sterility"
            duration = "14d"
        [[products.delivery]]
        name = "courier"
        uses = ["courier"]
        duration = { exponential = { mean = "6h" } }
    "#;
    let sc = scenario::parse("conservation.toml", text).unwrap();
    let mut expired = 0;
    let blueprint = Blueprint::new(&sc.spec).unwrap();
    for rep in 0..sc.replications {
        let mut kernel = Kernel::new();
        let mut f = Facility::new(&blueprint, &mut kernel, Streams::new(sc.seed, rep)).unwrap();
        let end = run(
            &mut f,
            &mut kernel,
            RunLength {
                warmup: sc.spec.warmup,
                horizon: sc.spec.horizon,
            },
        );
        assert_eq!(end, RunEnd::Completed);
        let (l, on_hand) = f.dose_ledgers()[0].expect("an allogeneic product");
        assert_eq!(
            l.arrived_in_batches,
            l.released + l.discarded,
            "replication {rep}"
        );
        assert_eq!(
            l.released,
            l.used + l.expired + on_hand,
            "replication {rep}"
        );
        assert!(
            l.used > 0 && l.discarded > 0,
            "the case exercises the store: {l:?}"
        );
        expired += l.expired;
    }
    assert!(expired > 0, "the case exercises expiry");
}

#[test]
fn golden_cap_on_batches_in_production() {
    // A reorder point far above demand keeps asking for batches. With at most one in
    // production, 5-day batches run back to back: starts on days 0, 5, ..., 995 (200 in
    // the 1,000-day window), releases on days 5, ..., 995 (199; the last one would be
    // on day 1000, the end). Without the cap, 101 batches of 10 doses start at time zero
    // (until the position, 1,010 doses, exceeds R = 1,000), then one per 10 orders.
    let text = crate::support::replaced(
        CAMPAIGN,
        "policy = { campaign_every = \"10d\" }",
        "policy = { reorder_point = 1000, max_in_production = 1 }",
    );
    let (m, _) = run_scenario(&text, None);
    let per_year = 1000.0 / 365.0;
    assert!((m["products.allo.batches.started_per_year"][0] * per_year - 200.0).abs() < 1e-9);
    assert!(
        (m["products.allo.batches.released_per_year"][0] * per_year - 199.0).abs() < 1e-9,
        "the last one on day 1000 is not"
    );
    let uncapped = crate::support::replaced(&text, ", max_in_production = 1", "");
    let (m, _) = run_scenario(&uncapped, None);
    let started = m["products.allo.batches.started_per_year"][0] * per_year;
    assert!(
        (started - (101.0 + 99.0)).abs() < 1e-9,
        "{started}: 101 at once, then one per 10 orders (days 1..999)"
    );
}
