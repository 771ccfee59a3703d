//! `cgtsim trace` and the stepping it runs on: a trace computed by hand, the traces of
//! the bundled scenarios checked for consistency and repeatability, its refusals, and
//! stepping a run an event at a time (`engine::advance`) giving exactly what a whole run
//! gives.

use crate::support::cgtsim;
use cgtsim::engine::{Kernel, RunLength, Streams, run, run_observed};
use cgtsim::model::{Blueprint, Facility};

/// `cgtsim trace SCENARIO --out OUT ARGS...`.
fn trace(scenario: &str, out: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["trace", scenario, "--out", out.to_str().unwrap()];
    all.extend(args);
    cgtsim(&all)
}

/// Two patients at time 0 on one suite for 2 days each.
const TWO: &str = r#"[simulation]
horizon = "100d"
replications = 1
until_empty = true

[resources]
suite = { capacity = 1 }

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
fn a_trace_shows_every_event_of_a_replication_by_hand() {
    // Both arrive at 0; the first holds the suite 0-2 and leaves, the second waits from 0,
    // is granted the suite at 2 and leaves at 4.
    let dir = crate::support::scratch("trace-golden");
    let file = dir.join("two.toml");
    std::fs::write(&file, TWO).unwrap();
    let out = dir.join("trace.csv");
    let o = trace(file.to_str().unwrap(), &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text,
        "time_days,event,entity,product,chain,step,place,resources,started_days,granted_days,detail\n\
         0,arrived,0,car-t,main,manufacturing,,,,,\n\
         0,arrived,1,car-t,main,manufacturing,,,,,\n\
         2,step,0,car-t,main,manufacturing,,suite,0,0,\n\
         2,left,0,car-t,main,manufacturing,,,,,\n\
         4,step,1,car-t,main,manufacturing,,suite,0,2,\n\
         4,left,1,car-t,main,manufacturing,,,,,\n"
    );
    // --entities 1 keeps the first patient's rows only.
    let o = trace(file.to_str().unwrap(), &out, &["--entities", "1"]);
    assert!(o.status.success());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains(",1,car-t"), "{text}");
    assert_eq!(text.lines().count(), 4);
}

#[test]
fn traces_of_the_bundled_scenarios_are_consistent_and_repeatable() {
    // Per entity, time never goes back, a step starts before its grant and ends after
    // it, an entity arrives once before its other rows and leaves at most once, last;
    // the same command gives the same file.
    let dir = crate::support::scratch("trace-bundled");
    for name in ["ccrm-nordic", "northx-matfors", "sweden-network"] {
        let scenario = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let out = dir.join(format!("{name}.csv"));
        let run = || {
            let o = trace(&scenario, &out, &["--entities", "40"]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            std::fs::read_to_string(&out).unwrap()
        };
        let text = run();
        assert_eq!(text, run(), "{name}: not repeatable");
        let mut last: std::collections::HashMap<String, (f64, bool)> = Default::default();
        let mut arrived = 0;
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let t: f64 = f[0].parse().unwrap();
            if f[2].is_empty() {
                continue;
            }
            let entity = f[2].to_string();
            match f[1] {
                "arrived" => {
                    assert!(
                        !last.contains_key(&entity),
                        "{name}: {entity} arrives twice"
                    );
                    arrived += 1;
                }
                event => {
                    let (before, left) = last
                        .get(&entity)
                        .copied()
                        .unwrap_or_else(|| panic!("{name}: {entity} {event} before arriving"));
                    assert!(!left, "{name}: {entity} {event} after leaving");
                    assert!(t >= before, "{name}: {entity} back in time at {line}");
                }
            }
            if f[1] == "step" || f[1] == "assay" {
                let (s, g): (f64, f64) = (f[8].parse().unwrap(), f[9].parse().unwrap());
                assert!(s <= g && g <= t, "{name}: {line}");
            }
            last.insert(entity, (t, f[1] == "left"));
        }
        assert_eq!(arrived, 40, "{name}");
    }
}

#[test]
fn a_trace_refuses_what_it_cannot_do() {
    let dir = crate::support::scratch("trace-refused");
    let file = dir.join("two.toml");
    std::fs::write(&file, TWO).unwrap();
    let out = dir.join("trace.csv");
    let o = trace(
        file.to_str().unwrap(),
        &out,
        &["--replication", "1000000000000"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--replication must be below"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.exists());
    // A scenario that does not load is refused where it is wrong.
    std::fs::write(&file, TWO.replace("\"2d\"", "\"-2d\"")).unwrap();
    let o = trace(file.to_str().unwrap(), &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("two.toml:"));
}

#[test]
fn stepping_a_run_an_event_at_a_time_gives_what_the_whole_run_gives() {
    // `run` is one call of the loop with an unlimited budget; `run_observed` (and the
    // trace) call it with a budget of one event, again and again. The results, bit for
    // bit, and the events counted must not tell them apart.
    for name in [
        "ccrm-nordic",
        "ccrm-nordic-rampup",
        "northx-matfors",
        "sweden-network",
        "testa-testbed",
    ] {
        let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let (sc, _) = cgtsim::cli::scenario::load(std::path::Path::new(&path)).unwrap();
        let length = RunLength {
            warmup: sc.spec.warmup,
            horizon: sc.spec.horizon,
        };
        let blueprint = Blueprint::new(&sc.spec).unwrap();
        let whole = {
            let mut k = Kernel::new();
            let mut f = Facility::new(&blueprint, &mut k, Streams::new(sc.seed, 3)).unwrap();
            let end = run(&mut f, &mut k, length);
            (end, k.events_processed(), f.results(&k))
        };
        let stepped = {
            let mut k = Kernel::new();
            let mut f = Facility::new(&blueprint, &mut k, Streams::new(sc.seed, 3)).unwrap();
            let mut steps = 0u64;
            let end = run_observed(&mut f, &mut k, length, |_, _| steps += 1);
            assert_eq!(steps, k.events_processed(), "{name}");
            (end, k.events_processed(), f.results(&k))
        };
        assert_eq!(whole.0, stepped.0, "{name}");
        assert_eq!(whole.1, stepped.1, "{name}");
        assert!(whole.1 > 500, "{name}: {} events", whole.1);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&whole.2), bits(&stepped.2), "{name}");
    }
}
