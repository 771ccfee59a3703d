//! The command line: the outermost layer and the only one with files, formats and
//! printing. `cgtsim::cli::main` is the whole program; `src/main.rs` only calls it.
//!
//! Arguments are parsed by clap into plain values and checked once. A mistake in what
//! the user gave (arguments or scenario) prints a message that says what to fix and
//! exits with code 2; it never panics. Results go to stdout, progress and errors to
//! stderr.
pub mod api;
mod completions;
mod page;
pub(crate) mod report;
pub mod scenario;
pub(crate) mod size;
mod sizing;
pub(crate) mod sweep;
mod trace;
pub(crate) mod validate;

use crate::experiment::simulate_each;
use crate::model::{limits, series_names};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Discrete-event simulation of cell and gene therapy manufacturing: autologous process
/// chains, QC release and vein-to-vein times on shared infrastructure.
#[derive(Parser)]
#[command(name = "cgtsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Say what the command does on stderr (files read and written, variants run):
    /// -v for the steps, -vv for every variant and candidate. RUST_LOG=info (or debug)
    /// does the same.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

/// Logs what the command does on stderr, at the level of `-v` (or `RUST_LOG`): never
/// from inside a replication.
fn start_logging(verbose: u8) {
    use tracing::Level;
    let level = match verbose {
        0 => match std::env::var("RUST_LOG")
            .unwrap_or_default()
            .to_lowercase()
            .as_str()
        {
            "trace" => Level::TRACE,
            "debug" => Level::DEBUG,
            "info" => Level::INFO,
            "error" => Level::ERROR,
            _ => Level::WARN,
        },
        1 => Level::INFO,
        _ => Level::DEBUG,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario: replications in parallel, results with 95 % confidence intervals.
    Run(RunArgs),
    /// Run every variant of a sweep (a grid of values over a base scenario) with common
    /// random numbers; results per variant as they finish, a tidy results.csv at the end.
    Sweep(SweepArgs),
    /// Assemble results.csv from the shards of a sweep (and name the missing shards).
    Merge(MergeArgs),
    /// Find the smallest capacity of one or more resources that meets a target with
    /// 95 % confidence, e.g. --resource suite --target "products.car-t.v2v.p90 <= 28d".
    Size(SizeArgs),
    /// Check this build on this machine: every analytic oracle (M/M/1, M/M/c, M/D/1,
    /// M/G/1, Erlang B, priority, Erlang A, (R, Q) inventory) through its scenario file,
    /// against the exact values; exit 1 if any is outside its tolerance.
    Validate(ValidateArgs),
    /// Write every event of one replication to a CSV file (time, entity, product, step,
    /// place, resources, what happened): check a model line by line.
    Trace(TraceArgs),
    /// Print the JSON Schema (draft-07) of the scenario file, or of the sweep file, for
    /// editors: `cgtsim schema > scenario.schema.json`, then `#:schema
    /// scenario.schema.json` on a scenario's first line.
    Schema {
        /// scenario (default) or sweep.
        #[arg(value_enum, default_value = "scenario")]
        of: SchemaArg,
    },
    /// Write the HTML report of a run's or a merged sweep's --out directory
    /// (DIR/report.html).
    Report(ReportArgs),
    /// Print a shell completion script: `cgtsim completions bash > ~/.local/share/bash-completion/completions/cgtsim`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `cgtsim man > cgtsim.1; man ./cgtsim.1`.
    Man,
}

#[derive(Args)]
struct SweepArgs {
    /// The sweep file (TOML): a base scenario and [grid] axes.
    sweep: PathBuf,
    /// Directory for variants/part-K-of-N.csv (one file per shard) and results.csv. Run
    /// the same command again to finish an interrupted sweep: finished variants are
    /// skipped.
    #[arg(long)]
    out: PathBuf,
    /// Worker threads (default: RAYON_NUM_THREADS, else SLURM_CPUS_PER_TASK, else all
    /// cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Run only shard K of N (e.g. 3/8, for a Slurm job array); `cgtsim merge` then
    /// assembles the results.
    #[arg(long)]
    shard: Option<String>,
    /// Also write results.parquet (needs a build with `--features parquet`).
    #[arg(long)]
    parquet: bool,
    /// Also write an HTML report of the results (each headline metric against each
    /// axis); with --shard, run `cgtsim report DIR` after the merge instead.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Args)]
struct SizeArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// A resource to size (repeat for several).
    #[arg(long = "resource", required_unless_present = "plants")]
    resources: Vec<String>,
    /// With --minimise: a plant that may be open (its resources as in the scenario) or
    /// closed (repeat for several): the least-cost set of open plants.
    #[arg(long = "plant")]
    plants: Vec<String>,
    /// A target: METRIC <= VALUE (or <, >=, >), e.g. "products.car-t.v2v.p90 <= 28d";
    /// repeat for several (every one must be met); a `*` stands for one part of a name
    /// ("products.*.v2v.p90 <= 28d": every product's).
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
    /// A metric to minimise among the candidates that meet every target (a cost, e.g.
    /// costs.per_infused): the least-cost capacity instead of the smallest.
    #[arg(long)]
    minimise: Option<String>,
    /// Most replications per candidate before an undecided candidate counts as a miss.
    #[arg(long, default_value_t = 200)]
    max_replications: u64,
    /// Seed (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: RAYON_NUM_THREADS, else SLURM_CPUS_PER_TASK, else all
    /// cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Also write an HTML report: every candidate tried, with its estimate, CI and the
    /// target line.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Args)]
struct TraceArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// The CSV file to write (replaced whole).
    #[arg(long)]
    out: PathBuf,
    /// Which replication (its streams derive from the seed and this number).
    #[arg(long, default_value_t = 0)]
    replication: u64,
    /// Keep the rows of the first N entities (patients, batches, orders, numbered as
    /// they are created); events of no entity are always kept.
    #[arg(long, default_value_t = 100)]
    entities: u64,
    /// Seed (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Args)]
struct MergeArgs {
    /// The --out directory of the sweep's shards.
    dir: PathBuf,
    /// Also write results.parquet (needs a build with `--features parquet`).
    #[arg(long)]
    parquet: bool,
}

#[derive(Args)]
struct RunArgs {
    /// The scenario file (TOML), e.g. scenarios/ccrm-nordic.toml.
    scenario: PathBuf,
    /// Replications (default: the scenario's `replications`).
    #[arg(long)]
    replications: Option<u64>,
    /// Seed (default: the scenario's `seed`); replication r uses streams from (seed, r).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: RAYON_NUM_THREADS, else SLURM_CPUS_PER_TASK, else all
    /// cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Also write summary.json, summary.csv and replications.csv into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print summary.json on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Record a time series by "week", "month" (365/12 days), "year" or a duration such
    /// as "14d" (overrides the scenario's `timeseries`); written to DIR/timeseries.csv
    /// with --out.
    #[arg(long)]
    timeseries: Option<String>,
    /// With --out, also write a Parquet copy of each CSV file (needs a build with
    /// `--features parquet`).
    #[arg(long)]
    parquet: bool,
    /// Also write a self-contained HTML report to this file (answers, distributions,
    /// time by step, utilisation, time series, a Gantt chart of replication 0).
    #[arg(long)]
    report: Option<PathBuf>,
}

/// Which file `cgtsim schema` describes.
#[derive(Clone, Copy, clap::ValueEnum)]
enum SchemaArg {
    Scenario,
    Sweep,
}

#[derive(Args)]
struct ReportArgs {
    /// The --out directory of a run (its summary.json, and timeseries.csv if any).
    dir: PathBuf,
    /// The HTML file to write (default: DIR/report.html).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct ValidateArgs {
    /// Replications of every oracle (default: each file's own, 40 to 100).
    #[arg(long)]
    replications: Option<u64>,
    /// Seed of every oracle (default: each file's own); replication r uses streams
    /// derived from (seed, r).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: RAYON_NUM_THREADS, else SLURM_CPUS_PER_TASK, else all
    /// cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// The `cgtsim` program.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    start_logging(cli.verbose);
    let outcome = match cli.command {
        Command::Run(args) => run(args),
        Command::Sweep(args) => sweep_command(args),
        Command::Merge(args) => merge_command(args),
        Command::Size(args) => sizing::size_command(args),
        Command::Validate(args) => validate_command(args),
        Command::Schema { of } => {
            let of = match of {
                SchemaArg::Scenario => scenario::schema::SchemaOf::Scenario,
                SchemaArg::Sweep => scenario::schema::SchemaOf::Sweep,
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&scenario::schema::schema(of))
                    .expect("JSON values serialise")
            );
            Ok(())
        }
        Command::Report(a) => page::report_command(&a.dir, a.out.as_deref())
            .map(|p| println!("report written to {}", p.display())),
        Command::Trace(a) => {
            trace::trace_command(&a.scenario, a.replication, a.entities, a.seed, &a.out).map(|n| {
                println!(
                    "{n} rows (events) of replication {} in {}",
                    a.replication,
                    a.out.display()
                )
            })
        }
        Command::Completions { shell } => completions::completions::<Cli>(shell),
        Command::Man => completions::man::<Cli>(),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Io(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::Check(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::Interrupted) => ExitCode::from(130),
    }
}

/// Why a command did not finish: the user's input (exit 2), the system (exit 1) or
/// Ctrl-C (exit 130, the shell's convention for SIGINT).
enum Failure {
    Usage(String),
    Io(String),
    /// A check found a defect (`validate`): exit 1.
    Check(String),
    Interrupted,
}

/// Worker threads: `--threads`, else `RAYON_NUM_THREADS`, else `SLURM_CPUS_PER_TASK` (the
/// CPUs Slurm gave the job), else all cores.
fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, Failure> {
    if threads == Some(0) {
        return Err(Failure::Usage("--threads must be at least 1".into()));
    }
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
    };
    let n = threads
        .or_else(|| env("RAYON_NUM_THREADS"))
        .or_else(|| env("SLURM_CPUS_PER_TASK"))
        .unwrap_or(0);
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| Failure::Io(format!("cannot start worker threads: {e}")))
}

fn progress(n: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:40} {pos}/{len} replications, {elapsed} elapsed, ~{eta} left",
    ) {
        bar.set_style(style);
    }
    bar
}

fn run(a: RunArgs) -> Result<(), Failure> {
    check_parquet(a.parquet)?;
    if a.parquet && a.out.is_none() {
        return Err(Failure::Usage(
            "--parquet writes Parquet copies of the files of --out: give --out DIR".into(),
        ));
    }
    let src = api::Source::load(&a.scenario).map_err(|e| Failure::Usage(e.to_string()))?;
    let mut sc = src.scenario().clone();
    if let Some(p) = &a.timeseries {
        let period =
            scenario::period(p).map_err(|m| Failure::Usage(format!("--timeseries: {m}")))?;
        sc.spec.timeseries = Some(period);
    }
    let replications = a.replications.unwrap_or(sc.replications);
    check_replications(replications, 1)?;
    let seed = a.seed.unwrap_or(sc.seed);
    let pool = thread_pool(a.threads)?;
    tracing::info!(
        "running {replications} replications of {} (seed {seed}) on {} threads",
        a.scenario.display(),
        pool.current_num_threads()
    );
    if let Some(file) = &a.report {
        page::check_report_path(file)?;
    }
    if let Some(dir) = &a.out {
        // Before simulating: a finished run must not be lost to an unwritable directory.
        report::check_writable(dir)
            .map_err(|e| Failure::Io(format!("cannot write results to {}: {e}", dir.display())))?;
    }
    let interrupted = interrupt_flag();
    let bar = progress(replications);
    let started = Instant::now();
    // Each replication's rows go to disk as it ends (with --out): memory does not grow
    // with replications. A failed write stops the run.
    let mut rows =
        match &a.out {
            Some(dir) => Some(report::ReplicationRows::create(dir, &sc.spec).map_err(|e| {
                Failure::Io(format!("cannot write results to {}: {e}", dir.display()))
            })?),
            None => None,
        };
    let mut write_error = None;
    let write_failed = std::sync::atomic::AtomicBool::new(false);
    let summary = pool.install(|| {
        simulate_each(
            &sc.spec,
            seed,
            replications,
            || bar.inc(1),
            || interrupted.load(Ordering::Relaxed) || write_failed.load(Ordering::Relaxed),
            |r, rep| {
                if let (Some(rows), None) = (&mut rows, &write_error)
                    && let Err(e) = rows.add(r, &rep.values, rep.events)
                {
                    write_error = Some(e);
                    write_failed.store(true, Ordering::Relaxed);
                }
            },
        )
    });
    bar.finish_and_clear();
    let summary = summary.map_err(|e| Failure::Usage(e.to_string()))?;
    let wall_time_s = started.elapsed().as_secs_f64();
    let done = summary.replications();
    let series = summary.series();
    let (results, prov) = api::results_of(
        &src,
        &sc.spec,
        &summary,
        seed,
        pool.current_num_threads(),
        wall_time_s,
    );
    let spec = &sc.spec;
    if done < replications || write_error.is_some() {
        // Ctrl-C, or a row that could not be written: say so, show what finished, write
        // nothing that could pass for a full run.
        let why = match &write_error {
            Some(_) => "stopped by a failed write",
            None => "interrupted",
        };
        eprintln!(
            "{why}: {done} of {replications} replications finished; no files written{}",
            if done > 0 {
                "; the table below covers only those"
            } else {
                ""
            }
        );
        if done > 0 {
            print!("{}", report::table(spec, &results, &prov));
        }
        return Err(match (write_error, &a.out) {
            (Some(e), Some(dir)) => {
                Failure::Io(format!("cannot write results to {}: {e}", dir.display()))
            }
            _ => Failure::Interrupted,
        });
    }
    if a.json {
        let json = report::summary_json(spec, &results, &prov);
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("JSON values serialise")
        );
    } else {
        print!("{}", report::table(spec, &results, &prov));
        if let Some(period) = spec.timeseries {
            let periods = series.len() / series_names(spec).len().max(1);
            match &a.out {
                Some(dir) => println!(
                    "\nTime series: {periods} periods of {} d in {}",
                    report::fmt_num(period.as_days()),
                    dir.join(report::SERIES_FILE).display()
                ),
                None => println!(
                    "\nTime series: {periods} periods of {} d recorded; give --out DIR to write them to DIR/{}",
                    report::fmt_num(period.as_days()),
                    report::SERIES_FILE
                ),
            }
        }
    }
    if let Some(dir) = &a.out {
        let rows = rows.as_mut().expect("rows are written with --out");
        report::write_files(dir, spec, &results, &prov, &series, a.parquet, rows)
            .map_err(|e| Failure::Io(format!("cannot write results to {}: {e}", dir.display())))?;
    }
    if let Some(file) = &a.report {
        let summary = report::summary_json(spec, &results, &prov);
        page::run_report(spec, seed, &summary, &series, file)?;
    }
    Ok(())
}

/// Refuses a replication count outside `[min, MAX_REPLICATIONS]`.
fn check_replications(n: u64, min: u64) -> Result<(), Failure> {
    if n < min || n > limits::MAX_REPLICATIONS {
        return Err(Failure::Usage(format!(
            "--replications must be from {min} to {} (each replication's metrics are kept in memory), not {n}",
            limits::MAX_REPLICATIONS
        )));
    }
    Ok(())
}

/// A flag that the first Ctrl-C sets (replications not yet started are then skipped);
/// a second Ctrl-C ends the program at once.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    // Failing to install the handler (one is already installed) leaves Ctrl-C's default.
    let _ = ctrlc::set_handler(move || {
        if f.swap(true, Ordering::Relaxed) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupt: finishing the replications under way (Ctrl-C again to quit now)");
    });
    flag
}

fn sweep_failure(e: sweep::SweepError) -> Failure {
    match e {
        sweep::SweepError::Usage(m) => Failure::Usage(m),
        sweep::SweepError::Io(m) => Failure::Io(m),
        sweep::SweepError::Interrupted(m) => {
            eprintln!("{m}");
            Failure::Interrupted
        }
    }
}

/// Refuses `--parquet` where this build cannot write Parquet.
fn check_parquet(asked: bool) -> Result<(), Failure> {
    if asked && !cfg!(feature = "parquet") {
        return Err(Failure::Usage(
            "--parquet: this cgtsim was built without Parquet; build it with `cargo build --release --features parquet`".into(),
        ));
    }
    Ok(())
}

/// Writes `DIR/results.parquet` from `DIR/results.csv`.
fn results_parquet(dir: &std::path::Path) -> Result<(), Failure> {
    let io = |e: std::io::Error| Failure::Io(format!("{}: {e}", dir.display()));
    report::parquet_file(&dir.join("results.csv"), &dir.join("results.parquet")).map_err(io)
}

fn merge_command(a: MergeArgs) -> Result<(), Failure> {
    check_parquet(a.parquet)?;
    let n = sweep::merge(&a.dir).map_err(sweep_failure)?;
    if a.parquet {
        results_parquet(&a.dir)?;
    }
    println!(
        "merged {n} variants: {}",
        a.dir.join("results.csv").display()
    );
    Ok(())
}

fn sweep_command(a: SweepArgs) -> Result<(), Failure> {
    let shard = a
        .shard
        .as_deref()
        .map(sweep::parse_shard)
        .transpose()
        .map_err(Failure::Usage)?;
    check_parquet(a.parquet)?;
    if a.parquet && shard.is_some() {
        return Err(Failure::Usage(
            "--parquet writes the merged results: give it to `cgtsim merge DIR --parquet`".into(),
        ));
    }
    let sw = sweep::load(&a.sweep).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(file) = &a.report {
        if shard.is_some() {
            return Err(Failure::Usage(
                "--report needs every shard's results: after `cgtsim merge DIR`, run `cgtsim report DIR`".into(),
            ));
        }
        page::check_report_path(file)?;
    }
    let pool = thread_pool(a.threads)?;
    let total = sw.len() as u64 * sw.replications;
    let bar = progress(total);
    let started = Instant::now();
    let interrupted = interrupt_flag();
    let outcome = pool.install(|| sweep::run(&sw, &a.out, shard, &interrupted, || bar.inc(1)));
    bar.finish_and_clear();
    let o = outcome.map_err(sweep_failure)?;
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{} variants x {} replications (seed {}): ran {}{}, skipped {} already done; {} events in {wall:.2} s ({:.1} million events/s, threads: {})",
        sw.len(),
        sw.replications,
        sw.seed,
        o.ran,
        if o.damaged > 0 {
            format!(
                " ({} again: their stored results were cut short or altered)",
                o.damaged
            )
        } else {
            String::new()
        },
        o.skipped,
        o.events,
        o.events as f64 / wall.max(1e-9) / 1e6,
        pool.current_num_threads()
    );
    if a.parquet {
        results_parquet(&a.out)?;
    }
    if let Some(file) = &a.report {
        page::sweep_report(&a.out, file)?;
    }
    match shard {
        None => println!("results: {}", a.out.join("results.csv").display()),
        Some((k, n)) => println!(
            "shard {k}/{n} done; when every shard is done: cgtsim merge {}",
            a.out.display()
        ),
    }
    Ok(())
}

/// Every analytic oracle through its scenario file (see `validate`); exit 1 if any
/// quantity falls outside its tolerance.
fn validate_command(
    ValidateArgs {
        replications,
        seed,
        threads,
    }: ValidateArgs,
) -> Result<(), Failure> {
    if let Some(n) = replications {
        check_replications(n, 2)?;
    }
    let pool = thread_pool(threads)?;
    let started = Instant::now();
    let (verdicts, events) = pool
        .install(|| validate::run(seed, replications))
        .map_err(Failure::Io)?;
    let wall = started.elapsed().as_secs_f64();
    println!(
        "cgtsim {} against exact results: each quantity is a mean over replications and passes\nwithin k standard errors, k for a false-failure rate of {} per quantity.\n",
        env!("CARGO_PKG_VERSION"),
        validate::FALSE_FAILURE
    );
    println!(
        "{:<20} {:<12} {:>10} {:>22} {:>10} {:>6} {:>6}  result",
        "oracle", "quantity", "simulated", "95% CI", "exact", "|z|", "k"
    );
    for v in &verdicts {
        let [lo, hi] = v.estimate.ci95();
        println!(
            "{:<20} {:<12} {:>10.4} {:>22} {:>10.4} {:>6.2} {:>6.2}  {}",
            v.oracle,
            v.quantity,
            v.estimate.mean,
            format!("[{lo:.4}, {hi:.4}]"),
            v.exact,
            v.z,
            v.allowed,
            if v.passed() { "pass" } else { "FAIL" }
        );
    }
    let failed = verdicts.iter().filter(|v| !v.passed()).count();
    println!(
        "\n{} passed, {failed} failed; {events} events in {wall:.2} s ({:.1} million events/s, threads: {})",
        verdicts.len() - failed,
        events as f64 / wall.max(1e-9) / 1e6,
        pool.current_num_threads()
    );
    if failed > 0 {
        return Err(Failure::Check(format!(
            "{failed} quantities outside their tolerance: this build does not reproduce theory on this machine"
        )));
    }
    Ok(())
}
