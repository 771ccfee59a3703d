//! Random networks keep their invariants: time never goes back, no pool is over its
//! capacity, and per product and collection site, patients collected = infused + gone
//! otherwise + in the network, at every end of a run; runs are the same for any
//! number of threads.
use cgtsim::engine::{Kernel, RunEnd, RunLength, Streams, Time, run_observed};
use cgtsim::experiment::simulate;
use cgtsim::model::{Blueprint, CostCategory, Facility, metric_names};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Net {
    hospitals: usize,
    plants: Vec<u32>,
    /// Per (hospital, plant): a lane's mean days, or none.
    lanes: Vec<Option<(f64, f64)>>,
    rule: usize,
    dispatch: bool,
    mode: usize,
    fresh_limit: Option<f64>,
    rates: Vec<f64>,
    qc_failure: f64,
    patience: Option<f64>,
    horizon: f64,
}

fn net() -> impl Strategy<Value = Net> {
    (2usize..5, prop::collection::vec(1u32..4, 1..4)).prop_flat_map(|(h, plants)| {
        let n = h * plants.len();
        (
            Just(h),
            Just(plants),
            prop::collection::vec(prop::option::weighted(0.85, (0.2f64..3.0, 0.2f64..3.0)), n),
            0usize..5,
            any::<bool>(),
            0usize..3,
            prop::option::of(2.0f64..6.0),
            prop::collection::vec(0.05f64..0.6, h),
            0.0f64..0.3,
            prop::option::of(5.0f64..40.0),
            30.0f64..200.0,
        )
            .prop_map(
                |(
                    hospitals,
                    plants,
                    lanes,
                    rule,
                    dispatch,
                    mode,
                    fresh_limit,
                    rates,
                    qc_failure,
                    patience,
                    horizon,
                )| Net {
                    hospitals,
                    plants,
                    lanes,
                    rule,
                    dispatch,
                    mode,
                    fresh_limit,
                    rates,
                    qc_failure,
                    patience,
                    horizon,
                },
            )
    })
}

/// The scenario text of `n`; every hospital gets a lane to the first plant, so that
/// every patient has one.
fn text(n: &Net) -> String {
    let mut t = format!(
        "[simulation]\nhorizon = \"{}d\"\nreplications = 2\n\n[sites]\n",
        n.horizon
    );
    for h in 0..n.hospitals {
        t += &format!(
            "h{h} = {{ kind = \"hospital\", resources = {{ chair = {{ capacity = 1 }} }} }}\n"
        );
    }
    for (q, c) in n.plants.iter().enumerate() {
        t += &format!(
            "p{q} = {{ kind = \"plant\", resources = {{ line = {{ capacity = {c} }}, analyst = {{ capacity = 1 }} }} }}\n"
        );
    }
    for h in 0..n.hospitals {
        t += &format!("\n[lanes.h{h}]\n");
        for q in 0..n.plants.len() {
            let lane = n.lanes[h * n.plants.len() + q].or((q == 0).then_some((1.0, 2.0)));
            if let Some((a, b)) = lane {
                t += &format!(
                    "p{q} = {{ modes = {{ standard = {{ exponential = {{ mean = \"{b}d\" }} }}, express = {{ uniform = {{ min = \"0d\", max = \"{}d\" }} }} }} }}\n",
                    2.0 * a.min(b)
                );
            }
        }
    }
    let rule = ["nearest", "shortest_wait", "most_free", "fixed", "cheapest"][n.rule];
    t += &format!("\n[routing]\nrule = \"{rule}\"\n");
    if rule == "fixed" {
        let table: Vec<String> = (0..n.hospitals).map(|h| format!("h{h} = \"p0\"")).collect();
        t += &format!("table = {{ {} }}\n", table.join(", "));
    }
    if n.dispatch && (rule == "shortest_wait" || rule == "most_free" || rule == "cheapest") {
        t += "at = \"dispatch\"\n";
    }
    if rule == "cheapest" && n.mode != 2 {
        t += "deadline = \"20d\"\n";
    }
    t += [
        "",
        "mode = \"fastest\"\n",
        "mode = \"deadline\"\ndeadline = \"20d\"\n",
    ][n.mode];
    t += "\n[[products]]\nname = \"car-t\"\ntype = \"autologous\"\n";
    if let Some(p) = n.patience {
        t += &format!("patience = \"{p}d\"\n");
    }
    for (h, r) in n.rates.iter().enumerate() {
        t += &format!("demand.h{h} = {{ arrivals = {{ rate = {r}, per = \"day\" }} }}\n");
    }
    let limit = n
        .fresh_limit
        .map_or(String::new(), |l| format!(", fresh_limit = \"{l}d\""));
    t += &format!(
        r#"
  [[products.steps]]
  name = "collection"
  at = "collection"
  uses = ["chair"]
  duration = {{ exponential = {{ mean = "0.5d" }} }}
  [[products.steps]]
  name = "inbound"
  transport = {{ from = "collection", to = "plant"{limit} }}
  [[products.steps]]
  name = "manufacturing"
  at = "plant"
  uses = ["line"]
  duration = {{ triangular = {{ min = "5d", mode = "7d", max = "10d" }} }}
  [[products.steps]]
  name = "qc"
  at = "plant"
  assays = [{{ name = "sterility", touch_uses = ["analyst"], touch = "2h", duration = "7d", failure = {{ probability = {}, retry_from = "manufacturing", max_attempts = 2 }} }}]
  [[products.steps]]
  name = "outbound"
  transport = {{ from = "plant", to = "treatment" }}
  [[products.steps]]
  name = "infusion"
  at = "treatment"
  uses = ["chair"]
  duration = "1d"
"#,
        n.qc_failure
    );
    // Every network is priced: legs dearer the further the plant, lines and analysts by
    // the hour, sterility runs, materials.
    t += "\n[costs]\ncurrency = \"SEK\"\n";
    t += "resources.\"line@p0\" = { per_hour_held = 40, per_hour_available = 10, category = \"equipment\" }\n";
    t +=
        "resources.\"analyst@p0\" = { per_hour_held = 500, per_use = 50, category = \"labour\" }\n";
    t += "products.car-t = { materials = 10000, assays = { sterility = 2000 } }\n";
    for h in 0..n.hospitals {
        t += &format!("[costs.lanes.h{h}]\n");
        for q in 0..n.plants.len() {
            if n.lanes[h * n.plants.len() + q].is_some() || q == 0 {
                t += &format!(
                    "p{q} = {{ standard = {}, express = {} }}\n",
                    100 * (q + 1),
                    300 * (q + h + 1)
                );
            }
        }
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_networks_keep_their_invariants(n in net(), seed in any::<u64>()) {
        let text = text(&n);
        let sc = match cgtsim::cli::scenario::parse("net.toml", &text) {
            Ok(sc) => sc,
            // A fresh limit below every lane to a plant: refused, located, as it must be.
            Err(e) if e.to_string().contains("fresh limit") => return Ok(()),
            Err(e) => panic!("{e}\n{text}"),
        };
        let spec = &sc.spec;
        let mut k = Kernel::new();
        let blueprint = Blueprint::new(spec).unwrap();
        let mut f = Facility::new(&blueprint, &mut k, Streams::new(seed, 0)).unwrap();
        let mut failures = Vec::new();
        let mut last = Time::ZERO;
        let length = RunLength { warmup: spec.warmup, horizon: spec.horizon };
        let end = run_observed(&mut f, &mut k, length, |k, e| {
            if k.now() < last { failures.push(format!("time went back at {e:?}")); }
            last = k.now();
            for (i, p) in k.pools().iter().enumerate() {
                if p.in_use() + p.in_changeover() > p.nominal() {
                    failures.push(format!("r{i}: {} in use > {}", p.in_use(), p.nominal()));
                }
            }
        });
        prop_assert_eq!(end, RunEnd::Completed);
        prop_assert!(failures.is_empty(), "{:?}", &failures[..failures.len().min(5)]);
        let ledgers = f.site_ledgers();
        prop_assert_eq!(ledgers.len(), n.hospitals);
        for (_, site, [arrived, completed, left, now]) in &ledgers {
            prop_assert_eq!(*arrived, completed + left + now, "site {}", site);
        }
        let names = metric_names(spec);
        let values = f.results(&k);
        let get = |m: &str| values[names.iter().position(|x| x.name == m).unwrap_or_else(|| panic!("{m}"))];
        let sum = |stat: &str| -> f64 {
            (0..n.hospitals).map(|h| get(&format!("products.car-t.sites.h{h}.{stat}"))).sum()
        };
        prop_assert_eq!(sum("arrived"), get("products.car-t.arrived"));
        prop_assert_eq!(sum("completed"), get("products.car-t.completed"));
        prop_assert_eq!(sum("wip_end"), get("products.car-t.wip_end"));
        prop_assert_eq!(
            sum("lost"),
            get("products.car-t.lost") + get("products.car-t.dropped_out")
        );
        let routed: f64 = (0..n.plants.len()).map(|q| get(&format!("products.car-t.plants.p{q}.patients"))).sum();
        prop_assert!(routed <= get("products.car-t.arrived"));
        // Costs: the categories and the product's share add up to the total; what was
        // written off is part of it.
        let total = get("costs.total");
        let categories: f64 = CostCategory::ALL.iter().map(|c| get(&format!("costs.{}", c.name()))).sum();
        prop_assert!((categories - total).abs() <= 1e-9 * total.max(1.0), "{} vs {}", categories, total);
        prop_assert!((get("costs.products.car-t.total") - total).abs() <= 1e-9 * total.max(1.0));
        prop_assert!(get("costs.written_off") <= total * (1.0 + 1e-12));
        let threads = |t: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
            pool.install(|| simulate(spec, seed, 3, || {}, || false).unwrap())
                .into_iter()
                .map(|r| r.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(threads(1), threads(2));
    }
}
