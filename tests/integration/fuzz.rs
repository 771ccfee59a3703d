//! A fuzz harness on stable Rust: a structured generator of scenario text (valid
//! skeletons with values drawn from a list of ordinary and degenerate ones) and random
//! edits of the bundled scenarios. For every case, parsing and checking must not panic,
//! and a scenario that is accepted must run one replication to an end or to a `RunError`
//! without panicking.
//!
//! CI runs a short, fixed set of cases. The long run is by time and seed:
//!
//! ```sh
//! CGTSIM_FUZZ_SECONDS=600 CGTSIM_FUZZ_SEED=7 cargo test --release fuzz -- --nocapture
//! ```
//!
//! A failure prints the case's text, so that it can become a regression test.

use cgtsim::cli::scenario;
use cgtsim::engine::dist::unit;
use cgtsim::engine::{Rng, Streams};
use cgtsim::model::run_replication;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// A value of `from`: mostly one of its first `ORDINARY` (ordinary values, so that many
/// cases get past the checks and run), otherwise any of them (degenerate ones too).
fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    const ORDINARY: usize = 3;
    let n = if chance(rng, 0.8) {
        ORDINARY.min(from.len())
    } else {
        from.len()
    };
    from[((unit(rng) * n as f64) as usize).min(n - 1)]
}

fn chance(rng: &mut Rng, p: f64) -> bool {
    unit(rng) < p
}

const DURATIONS: [&str; 22] = [
    "\"1d\"",
    "{ exponential = { mean = \"2d\" } }",
    "\"30min\"",
    "\"0s\"",
    "\"0d\"",
    "\"7d\"",
    "\"1e3d\"",
    "\"1e400d\"",
    "\"-1d\"",
    "\"5\"",
    "\"\"",
    "\"d\"",
    "\"1.5w\"",
    "\"99999999999999999999d\"",
    "\"nan d\"",
    "{ exponential = { mean = \"2d\" } }",
    "{ exponential = { mean = \"0s\" } }",
    "{ triangular = { min = \"1d\", mode = \"2d\", max = \"3d\" } }",
    "{ triangular = { min = \"3d\", mode = \"2d\", max = \"1d\" } }",
    "{ lognormal = { mean = \"1d\", sd = \"1e300d\" } }",
    "{ gamma = { shape = 1e300, scale = \"1d\" } }",
    "{ empirical = { values = [\"0s\", \"1d\"], weights = [1, 0] } }",
];
const COUNTS: [&str; 12] = [
    "2",
    "1",
    "3",
    "0",
    "5",
    "-1",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "2.5",
    "\"two\"",
    "1000",
];
const RATES: [&str; 12] = [
    "0.1", "1.0", "0.5", "0", "-1", "1e-310", "1e-300", "1e308", "nan", "inf", "50", "2.0",
];
const PROBABILITIES: [&str; 7] = ["0.05", "0.0", "0.5", "1.0", "-0.1", "1.5", "nan"];
const TIMES: [&str; 8] = [
    "\"08:00\"",
    "\"00:00\"",
    "\"16:30\"",
    "\"23:59\"",
    "\"24:00\"",
    "\"7\"",
    "\"-1:00\"",
    "\"12:60\"",
];
const DAYS: [&str; 6] = [
    "\"mon-fri\"",
    "\"daily\"",
    "\"sun\"",
    "\"sat-mon\"",
    "\"funday\"",
    "\"\"",
];
/// Arrivals other than a rate or an interarrival time.
const DEMAND: [&str; 10] = [
    "{ cohort = 20, from = \"0d\", to = \"60d\" }",
    "{ growth = { rate = 20, per = \"year\", yearly = \"+40%\", cap = 60 } }",
    "{ schedule = [{ from = \"0d\", rate = 20, per = \"year\" }, { from = \"100d\", rate = 0, per = \"year\" }] }",
    "{ cohort = 0 }",
    "{ cohort = 1000000000 }",
    "{ growth = { rate = 1, per = \"year\", yearly = \"+1e308%\" } }",
    "{ growth = { rate = 20, per = \"year\", yearly = \"-100%\", kind = \"linear\" } }",
    "{ schedule = [{ from = \"100d\", rate = 1, per = \"day\" }, { from = \"0d\", rate = 1, per = \"day\" }] }",
    "{ rate = 1, per = \"day\", from = \"50d\", to = \"10d\" }",
    "{ cohort = 5, spread = \"even\" }",
];
const HORIZONS: [&str; 8] = [
    "\"200d\"",
    "\"30d\"",
    "\"730d\"",
    "\"0d\"",
    "\"3000d\"",
    "\"1e9d\"",
    "\"1s\"",
    "\"2w\"",
];

/// A scenario skeleton with values drawn from the lists above.
fn generated(rng: &mut Rng) -> String {
    let mut s = format!(
        "[simulation]\nwarmup = {}\nhorizon = {}\nreplications = {}\nseed = 1\n",
        pick(rng, &["\"0d\"", "\"10d\"", "\"30d\"", "\"1e12d\""]),
        pick(rng, &HORIZONS),
        pick(rng, &["1", "2", "3", "0", "-3"]),
    );
    if chance(rng, 0.2) {
        s += &format!("until_empty = {}\n", pick(rng, &["true", "false", "1"]));
    }
    if chance(rng, 0.2) {
        s += &format!(
            "timeseries = {}\n",
            pick(
                rng,
                &[
                    "\"month\"",
                    "\"week\"",
                    "\"14d\"",
                    "\"0d\"",
                    "\"1s\"",
                    "\"century\""
                ]
            )
        );
    }
    if chance(rng, 0.2) {
        s += &format!(
            "\n[slots.slot]\nrelease = {}\nopen_for = {}\n",
            pick(
                rng,
                &[
                    "{ every = \"month\", count = 2 }",
                    "{ dates = [\"10d\", \"40d\"], count = 3 }",
                    "{ every = \"week\", to = \"100d\", count = { empirical = { values = [0, 1, 9], weights = [1, 1, 1] } } }",
                    "{ every = \"0d\", count = 1 }",
                    "{ every = \"1s\", count = 1e9 }",
                    "{ dates = [], count = 1 }",
                    "{ every = \"month\", from = \"1e9d\", count = 1 }",
                    "{ every = \"month\" }",
                ]
            ),
            pick(rng, &DURATIONS)
        );
    }
    s += "\n[resources]\n";
    let resources = ["suite", "qp", "analyst", "lab"];
    for r in resources {
        let mut line = format!("{r} = {{ capacity = {}", pick(rng, &COUNTS));
        if chance(rng, 0.3) {
            line += &format!(", changeover = {}", pick(rng, &DURATIONS));
        }
        if chance(rng, 0.3) {
            line += &format!(
                ", breakdowns = {{ time_between = {}, repair = {}, units = {} }}",
                pick(rng, &DURATIONS),
                pick(rng, &DURATIONS),
                pick(rng, &COUNTS)
            );
        }
        if chance(rng, 0.4) {
            let capacity = if chance(rng, 0.5) {
                format!(", capacity = {}", pick(rng, &COUNTS))
            } else {
                String::new()
            };
            line += &format!(
                ", calendar = {{ shifts = [{{ days = {}, start = {}, end = {}{capacity} }}], exceptions = [{{ from = {}, to = {}, repeat = {} }}] }}",
                pick(rng, &DAYS),
                pick(rng, &TIMES),
                pick(rng, &TIMES),
                pick(rng, &DURATIONS),
                pick(rng, &DURATIONS),
                pick(rng, &DURATIONS)
            );
        }
        s += &line;
        s += " }\n";
    }
    let network = chance(rng, 0.3);
    if network {
        s += &network_tables(rng);
    }
    let products = 1 + (unit(rng) * 2.0) as usize;
    for p in 0..products {
        let allo = chance(rng, 0.3);
        s += &format!(
            "\n[[products]]\nname = \"p{p}\"\ntype = \"{}\"\n",
            if allo { "allogeneic" } else { "autologous" }
        );
        if network && chance(rng, 0.7) {
            for site in ["h0", "h1"] {
                if chance(rng, 0.8) {
                    s += &format!(
                        "demand.{} = {{ arrivals = {}{} }}\n",
                        pick(rng, &[site, site, site, "m0", "nowhere"]),
                        pick(rng, &DEMAND),
                        if chance(rng, 0.2) {
                            ", treated_at = \"h1\""
                        } else {
                            ""
                        }
                    );
                }
            }
        } else if chance(rng, 0.6) {
            s += &format!(
                "arrivals = {{ rate = {}, per = {} }}\n",
                pick(rng, &RATES),
                pick(rng, &["\"day\"", "\"year\"", "\"hour\"", "\"fortnight\""])
            );
        } else if chance(rng, 0.5) {
            s += &format!("arrivals = {}\n", pick(rng, &DEMAND));
        } else {
            s += &format!(
                "arrivals = {{ interarrival = {} }}\n",
                pick(rng, &DURATIONS)
            );
        }
        if chance(rng, 0.3) {
            s += &format!("patience = {}\n", pick(rng, &DURATIONS));
        }
        if chance(rng, 0.2) {
            s += &format!(
                "hazards = [{{ cause = \"death\", time = {}, from = \"s0\", to = {} }}]\n",
                pick(rng, &DURATIONS),
                pick(rng, &["\"s0\"", "\"s1\"", "\"s2\"", "\"nowhere\""])
            );
        }
        if chance(rng, 0.2) {
            s += &format!(
                "milestones = [{{ name = \"m\", from = \"s0\", to = {}, deadline = {} }}]\n",
                pick(rng, &["\"s0\"", "\"s1\"", "\"nowhere\""]),
                pick(rng, &DURATIONS)
            );
        }
        if chance(rng, 0.1) {
            s += &format!("score = {}\n", pick(rng, &DURATIONS));
        }
        if chance(rng, 0.2) {
            s += &format!("priority = {}\n", pick(rng, &COUNTS));
        }
        if allo {
            s += &format!(
                "doses = {}\norder_size = {}\npolicy = {}\n",
                pick(rng, &COUNTS),
                pick(rng, &COUNTS),
                pick(
                    rng,
                    &[
                        "{ reorder_point = 5 }",
                        "{ reorder_point = 1000000000000 }",
                        "{ reorder_point = -1 }",
                        "{ campaign_every = \"30d\" }",
                        "{ campaign_every = \"0s\" }",
                        "{ reorder_point = 3, max_in_production = 0 }"
                    ]
                )
            );
            if chance(rng, 0.5) {
                s += &format!(
                    "stock = {{ capacity = {}, shelf_life = {} }}\n",
                    pick(rng, &COUNTS),
                    pick(rng, &DURATIONS)
                );
            }
        }
        let steps = 1 + (unit(rng) * 3.0) as usize;
        for i in 0..steps {
            s += &format!("  [[products.steps]]\n  name = \"s{i}\"\n");
            if network && chance(rng, 0.3) {
                let place = [
                    "\"collection\"",
                    "\"plant\"",
                    "\"treatment\"",
                    "\"m0\"",
                    "\"nowhere\"",
                ];
                s += &format!(
                    "  transport = {{ from = {}, to = {}{} }}\n",
                    pick(rng, &place),
                    pick(rng, &place),
                    if chance(rng, 0.3) {
                        format!(", fresh_limit = {}", pick(rng, &DURATIONS))
                    } else {
                        String::new()
                    }
                );
                continue;
            }
            if network && chance(rng, 0.4) {
                s += &format!(
                    "  at = {}\n  uses = [\"{}\"]\n  duration = {}\n",
                    pick(
                        rng,
                        &[
                            "\"plant\"",
                            "\"collection\"",
                            "\"treatment\"",
                            "\"m1\"",
                            "\"nowhere\""
                        ]
                    ),
                    pick(rng, &["line", "chair", "qp", "nowhere"]),
                    pick(rng, &DURATIONS)
                );
                continue;
            }
            if chance(rng, 0.2) {
                s += &format!(
                    "    [[products.steps.assays]]\n    name = \"a\"\n    uses = [\"{}\"]\n    duration = {}\n",
                    pick(rng, &resources),
                    pick(rng, &DURATIONS)
                );
                continue;
            }
            if chance(rng, 0.8) {
                s += &format!(
                    "  uses = [{{ resource = \"{}\", units = {} }}]\n",
                    pick(rng, &["suite", "qp", "lab", "nowhere"]),
                    pick(rng, &COUNTS)
                );
            }
            if chance(rng, 0.2) {
                s += &format!(
                    "  book = {{ lead = {}, deadline = {}, late = {} }}\n",
                    pick(rng, &DURATIONS),
                    pick(rng, &DURATIONS),
                    pick(rng, &["\"refuse\"", "\"postpone\"", "\"never\""])
                );
            }
            if chance(rng, 0.1) {
                s += &format!(
                    "  slot = {}\n",
                    pick(rng, &["\"slot\"", "\"slot\"", "\"slot\"", "\"none\""])
                );
            }
            if chance(rng, 0.1) {
                s += &format!(
                    "  {} = [\"{}\"]\n",
                    pick(rng, &["seize", "release"]),
                    pick(rng, &resources)
                );
            }
            if chance(rng, 0.3) {
                s += &format!(
                    "  touch_uses = [\"{}\"]\n  touch = {}\n",
                    pick(rng, &resources),
                    pick(rng, &DURATIONS)
                );
            }
            s += &format!("  duration = {}\n", pick(rng, &DURATIONS));
            if chance(rng, 0.3) {
                s += &format!(
                    "  failure = {{ probability = {}, retry_from = \"s0\", max_attempts = {} }}\n",
                    pick(rng, &PROBABILITIES),
                    pick(rng, &COUNTS)
                );
            }
        }
        if allo {
            s += &format!(
                "  [[products.delivery]]\n  name = \"d\"\n  duration = {}\n",
                pick(rng, &DURATIONS)
            );
        }
    }
    if chance(rng, 0.4) {
        s += &cost_tables(rng, network);
    }
    s
}

/// Sites, lanes and routing: two hospitals and two plants (one of a site type with a
/// parameter), lanes of random modes, a random rule and mode choice.
fn network_tables(rng: &mut Rng) -> String {
    let mut s = format!(
        "\n[site_types.plant]\nkind = \"plant\"\nresources = {{ line = {{ capacity = \"lines\" }} }}\n\n[sites]\nh0 = {{ kind = \"hospital\", resources = {{ chair = {{ capacity = {} }} }} }}\nh1 = {{ kind = {}, resources = {{ chair = {{ capacity = 1 }} }} }}\nm0 = {{ type = \"plant\", parameters = {{ lines = {} }} }}\nm1 = {{ kind = \"plant\", resources = {{ line = {{ capacity = {} }} }} }}\n",
        pick(rng, &COUNTS),
        pick(rng, &["\"hospital\"", "\"plant\"", "\"castle\""]),
        pick(rng, &COUNTS),
        pick(rng, &COUNTS),
    );
    for from in ["h0", "h1"] {
        s += &format!("\n[lanes.{from}]\n");
        for to in ["m0", "m1", "h0"] {
            if chance(rng, 0.7) {
                s += &format!(
                    "{to} = {{ modes = {{ road = {}{} }}{} }}\n",
                    pick(rng, &DURATIONS),
                    if chance(rng, 0.5) {
                        format!(", air = {}", pick(rng, &DURATIONS))
                    } else {
                        String::new()
                    },
                    if chance(rng, 0.2) {
                        ", one_way = true"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    s += &format!(
        "\n[routing]\nrule = {}\n",
        pick(
            rng,
            &[
                "\"nearest\"",
                "\"shortest_wait\"",
                "\"most_free\"",
                "\"fixed\"",
                "\"cheapest\"\ndeadline = \"25d\"",
                "\"cheapest\""
            ]
        )
    );
    if chance(rng, 0.4) {
        s += &format!(
            "table = {{ h0 = {}, h1 = \"m1\" }}\n",
            pick(rng, &["\"m0\"", "\"h1\"", "\"nowhere\""])
        );
    }
    if chance(rng, 0.3) {
        s += &format!(
            "at = {}\n",
            pick(rng, &["\"arrival\"", "\"dispatch\"", "\"noon\""])
        );
    }
    if chance(rng, 0.4) {
        s += &format!(
            "mode = {}\n",
            pick(
                rng,
                &[
                    "\"first\"",
                    "\"fastest\"",
                    "\"deadline\"\ndeadline = \"20d\"",
                    "\"cheapest\"\ndeadline = \"20d\"",
                    "\"deadline\"",
                    "\"teleport\""
                ]
            )
        );
    }
    s
}

/// Cost rates of ordinary and degenerate values (a network's plant and lane too).
fn cost_tables(rng: &mut Rng, network: bool) -> String {
    let mut s = format!(
        "\n[costs]\ncurrency = {}\nproducts.p0 = {{ materials = {}, qc = {} }}\nresources.suite = {{ per_hour_held = {}, per_hour_available = {}, per_use = {} }}\n",
        pick(rng, &["\"SEK\"", "\"GBP\"", "\" \""]),
        pick(rng, &RATES),
        pick(rng, &RATES),
        pick(rng, &RATES),
        pick(rng, &RATES),
        pick(rng, &RATES),
    );
    if chance(rng, 0.4) {
        s += &format!("discount_rate = {}\n", pick(rng, &RATES));
    }
    if chance(rng, 0.3) {
        s += &format!(
            "allocation = {}\n",
            pick(rng, &["\"held\"", "\"uses\"", "\"coin\""])
        );
    }
    if network {
        s += &format!(
            "sites.m0 = {{ per_day = {} }}\nresources.\"line@m0\" = {{ per_hour_held = {} }}\n[costs.lanes.h0]\nm0 = {{ road = {} }}\n",
            pick(rng, &RATES),
            pick(rng, &RATES),
            pick(rng, &RATES),
        );
    }
    s
}

/// A bundled scenario with a few random edits: characters deleted, repeated or replaced.
fn edited(rng: &mut Rng, texts: &[String]) -> String {
    let mut chars: Vec<char> = texts[(unit(rng) * texts.len() as f64) as usize % texts.len()]
        .chars()
        .collect();
    let junk = [
        '0', '9', '.', '-', 'e', '"', '=', '[', ']', '{', '}', ',', '\n', ' ', 'd', 'é', '#',
    ];
    for _ in 0..1 + (unit(rng) * 4.0) as usize {
        if chars.is_empty() {
            break;
        }
        let at = ((unit(rng) * chars.len() as f64) as usize).min(chars.len() - 1);
        match (unit(rng) * 3.0) as usize {
            0 => {
                chars.remove(at);
            }
            1 => {
                let c = chars[at];
                chars.insert(at, c);
            }
            _ => chars[at] = junk[(unit(rng) * junk.len() as f64) as usize % junk.len()],
        }
    }
    chars.into_iter().collect()
}

/// What a case did, if it did not panic.
enum Outcome {
    Refused,
    Ran,
}

fn one(text: &str) -> Result<Outcome, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let Ok(sc) = scenario::parse("fuzz.toml", text) else {
            return Outcome::Refused;
        };
        // The horizon is the user's; keep cases quick by running only short ones.
        if sc.spec.horizon.as_days() + sc.spec.warmup.as_days() > 20_000.0 {
            return Outcome::Refused;
        }
        let _ = run_replication(&sc.spec, Streams::new(1, 0));
        Outcome::Ran
    }))
    .map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        format!("panic: {}\n--- case ---\n{text}", msg.unwrap_or_default())
    })
}

#[test]
fn no_scenario_text_panics_or_runs_away() {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let seconds = env("CGTSIM_FUZZ_SECONDS");
    let cases = env("CGTSIM_FUZZ_CASES").unwrap_or(2000);
    let seed = env("CGTSIM_FUZZ_SEED").unwrap_or(1);
    let texts: Vec<String> = [
        "scenarios/ccrm-nordic.toml",
        "scenarios/northx-matfors.toml",
        "scenarios/reference/cart.toml",
        "scenarios/testa-testbed.toml",
        "scenarios/published/bcma-waitlist.toml",
        "scenarios/ccrm-nordic-rampup.toml",
    ]
    .iter()
    .map(|p| std::fs::read_to_string(format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap())
    .collect();
    let mut rng = Streams::new(seed, 0).stream(0xF022);
    // The panic hook would print every caught panic; failures are reported below.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let (mut n, mut ran, mut refused) = (0u64, 0u64, 0u64);
    let mut failures = Vec::new();
    // A watchdog: a case that takes longer than `CASE_LIMIT` has run away; it is printed
    // and the process ends (a hung case cannot be caught in its own thread).
    const CASE_LIMIT: Duration = Duration::from_secs(120);
    let current = std::sync::Arc::new(std::sync::Mutex::new((Instant::now(), String::new())));
    let watched = current.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let (since, text) = &*watched.lock().unwrap();
            if since.elapsed() > CASE_LIMIT {
                eprintln!("fuzz: a case ran for over {CASE_LIMIT:?}:\n{text}");
                std::process::exit(101);
            }
        }
    });
    let mut slowest = (Duration::ZERO, String::new());
    loop {
        match seconds {
            Some(s) if started.elapsed() >= Duration::from_secs(s) => break,
            None if n >= cases => break,
            _ => {}
        }
        let text = if n % 2 == 0 {
            generated(&mut rng)
        } else {
            edited(&mut rng, &texts)
        };
        *current.lock().unwrap() = (Instant::now(), text.clone());
        let case_started = Instant::now();
        let outcome = one(&text);
        if case_started.elapsed() > slowest.0 {
            slowest = (case_started.elapsed(), text.clone());
        }
        match outcome {
            Ok(Outcome::Ran) => ran += 1,
            Ok(Outcome::Refused) => refused += 1,
            Err(f) => failures.push(f),
        }
        n += 1;
        if failures.len() >= 3 {
            break;
        }
    }
    std::panic::set_hook(hook);
    *current.lock().unwrap() = (Instant::now() + Duration::from_secs(3600), String::new());
    eprintln!(
        "fuzz: {n} cases in {:.1} s (seed {seed}): {ran} ran, {refused} refused, {} failed; slowest case {:.2} s",
        started.elapsed().as_secs_f64(),
        failures.len(),
        slowest.0.as_secs_f64()
    );
    if slowest.0 > Duration::from_secs(10) {
        eprintln!("fuzz: the slowest case:\n{}", slowest.1);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
