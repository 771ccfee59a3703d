//! The `cgtsim` command line: the only layer that reads files, writes formats and prints.
//!
//! Arguments are parsed by clap into plain values, checked once, and handed to the
//! experiment layer. Errors in what the user gave exit with code 2 and a message that
//! says what to fix; they never panic.

use cgtsim::engine::{Duration, Kernel, RunLength, run};
use cgtsim::experiment::{Estimate, replicate};
use cgtsim::station::{Station, StationConfig};
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::time::Instant;

/// Discrete-event simulation of cell and gene therapy manufacturing: autologous and
/// allogeneic process chains, QC release and vein-to-vein times on shared infrastructure.
#[derive(Parser)]
#[command(name = "cgtsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check this build on this machine: run reference model A (an M/M/5 queue, see
    /// shared/reference-models.md) and compare it with the exact Erlang C values.
    Validate {
        /// Independent replications (run in parallel).
        #[arg(long, default_value_t = 100)]
        replications: u64,
        /// Seed of the experiment; replication r uses streams derived from (seed, r).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker threads (default: RAYON_NUM_THREADS, else all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate {
            replications,
            seed,
            threads,
        } => validate(replications, seed, threads),
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// Model A, run AR: warm-up 1,000 days, horizon 10,000 days per replication.
fn validate(replications: u64, seed: u64, threads: Option<usize>) -> ExitCode {
    if replications < 2 {
        return usage_error("--replications must be at least 2 to give a confidence interval");
    }
    if threads == Some(0) {
        return usage_error("--threads must be at least 1");
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
    {
        Ok(p) => p,
        Err(e) => return usage_error(&format!("cannot start worker threads: {e}")),
    };
    let cfg = StationConfig::mmc(4.5, 1.0, 5).expect("model A's parameters are valid");
    let length = RunLength {
        warmup: Duration::from_days(1_000),
        horizon: Duration::from_days(10_000),
    };
    let started = Instant::now();
    let runs = pool.install(|| {
        replicate(seed, replications, |_, streams| {
            let mut kernel = Kernel::new();
            let mut st = Station::new(&cfg, &mut kernel, streams).expect("a fixed pool is valid");
            run(&mut st, &mut kernel, length);
            let end = kernel.now();
            let c = &st.class_stats()[0];
            let pool = kernel.pool(st.pool());
            let values = [
                c.waited as f64 / c.served as f64,
                c.wait.mean(),
                st.mean_in_system(end),
                pool.utilisation_nominal(end),
            ];
            (values, kernel.events_processed())
        })
    });
    let wall = started.elapsed().as_secs_f64();
    let events: u64 = runs.iter().map(|r| r.1).sum();
    let exact = [0.762_493, 1.524_986, 11.362_439, 0.9];
    let names = ["P(wait)", "Wq (days)", "L", "utilisation"];
    println!("Reference model A (M/M/5, lambda 4.5/day, mu 1/day): {replications} replications,");
    println!(
        "warm-up 1,000 d, horizon 10,000 d, seed {seed}, {} threads\n",
        pool.current_num_threads()
    );
    println!(
        "{:<12} {:>10} {:>22} {:>10} {:>8}",
        "metric", "simulated", "95% CI", "exact", "in CI"
    );
    let mut all_in = true;
    for (i, name) in names.iter().enumerate() {
        let e = Estimate::of(&runs.iter().map(|r| r.0[i]).collect::<Vec<_>>());
        let [lo, hi] = e.ci95();
        let inside = (lo..=hi).contains(&exact[i]);
        all_in &= inside;
        println!(
            "{name:<12} {:>10.4} {:>22} {:>10.4} {:>8}",
            e.mean,
            format!("[{lo:.4}, {hi:.4}]"),
            exact[i],
            if inside { "yes" } else { "no" }
        );
    }
    println!(
        "\n{events} model events in {wall:.2} s: {:.1} million events/s on {} threads",
        events as f64 / wall / 1e6,
        pool.current_num_threads()
    );
    if !all_in {
        println!(
            "(an exact value outside a 95% CI happens in about 1 run in 20 per metric; rerun with another --seed)"
        );
    }
    ExitCode::SUCCESS
}
