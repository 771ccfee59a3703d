//! Whether a [`Spec`] can run: every check that makes a run meaningful and bounded, in one
//! place, for specs from scenario files, sweeps, `size` and Rust code alike.
//!
//! An error names the offending item by a dotted path in the scenario's own terms
//! (`resources.qp.breakdowns.units`, `products.car-t.steps.culture.failure`; lists by the
//! element's name, unnamed ones by index: `resources.qp.calendar.shifts.0`), so that the
//! CLI can point at the place in the file. [`limits`] states every bound with its reason.
//!
//! This module must not parse text or know file formats.

use super::spec::{Allogeneic, Failure, Policy, ProductSpec, Spec, StepKind, StepSpec, Task};
mod booking;
mod costs;
mod demand;
mod network;

use crate::engine::pool::MAX_NEEDS;
use crate::engine::{CalendarError, CapacityDrop, Dist, Duration};

/// Bounds on what a run may ask for, each with the reason it exists.
pub mod limits {
    use crate::engine::time::TICKS_PER_DAY;

    /// Longest run (warm-up plus horizon): 10,000 years. The clock counts microseconds
    /// in 64 bits (584,000 years); the margin keeps every event drawn beyond the end of
    /// the run representable.
    pub const MAX_RUN_DAYS: u64 = 3_650_000;
    /// Longest single duration (a step, a patience, a shelf life): 100,000 years, for
    /// the same reason.
    pub const MAX_DURATION_DAYS: f64 = 36_500_000.0;
    /// Most arrivals expected per product in one replication: 100 million. At about ten
    /// million events a second one replication would otherwise take many minutes; a rate
    /// this high is almost always a unit mistake (per day for per year).
    pub const MAX_ARRIVALS_PER_RUN: f64 = 1e8;
    /// Most failures of one step before a patient is lost: 1,000 (attempts are counted
    /// in 16 bits per patient and step; real rules allow two or three).
    pub const MAX_ATTEMPTS: u32 = 1_000;
    /// Most patients, batches and orders in the system at once in one replication:
    /// 100,000, far beyond any cell-therapy facility (Europe treats a few thousand CAR-T
    /// patients a year). A system this full is overloaded and its work in progress grows
    /// without bound, so the run stops and says so, before memory (a few hundred bytes an
    /// entity) or queue scans grow with it.
    pub const MAX_IN_SYSTEM: usize = 100_000;
    /// Most replications of one run: 100,000. A run summarises replications as they end
    /// and streams their rows to disk, so its memory does not grow with them, but a sweep
    /// keeps each variant's replications until the variant is complete, and a run's tidy
    /// output has a row per replication and metric (55 MB for 100,000 replications of
    /// the M/M/5 reference).
    pub const MAX_REPLICATIONS: u64 = 100_000;
    /// Most patients in one cohort: 1,000,000 (a cohort is a trial or a waiting list;
    /// released all at once, a larger one would be a zero-time loop of arrivals).
    pub const MAX_COHORT: u32 = 1_000_000;
    /// Most periods of a time series: 10,000 (200 years of weeks). A replication keeps
    /// one row per period until its results are summarised.
    pub const MAX_PERIODS: u64 = 10_000;
    /// Most values of a run's time series, periods x metrics: 50 million (400 MB), the
    /// rows a replication keeps until it is summarised (and the summary's moments).
    pub const MAX_SERIES_VALUES: f64 = 5e7;
    /// Most releases of one slot calendar in a run: 10 million (one event each).
    pub const MAX_SLOT_RELEASES: f64 = 1e7;
    /// Most slots per release of a slot calendar, on average: 100,000 (each open slot is
    /// kept until allocated or expired).
    pub const MAX_SLOTS_PER_RELEASE: f64 = 1e5;
    /// Most units of a resource booked ahead: 1,000 labs (every booking searches each
    /// unit's calendar for the earliest window).
    pub const MAX_BOOKED_UNITS: u32 = 1_000;
    /// Most items of one kind: products, steps of a chain, assays of a step, hazards of a
    /// product, slot calendars, sites, lanes, modes of a lane, arrival sources (a product,
    /// or a product at one collection site): 10,000 each. Events and entities hold these
    /// indices in 16 bits, to stay small; no facility or network comes near.
    pub const MAX_ITEMS: usize = 10_000;
    /// Most tasks a replication prepares: 100,000 (a task is a step's work, an assay, or
    /// a leg in one mode, at each site or lane it may run on; each has its own random
    /// streams, a few hundred bytes). A network of 100 sites with every lane in two modes
    /// has about 40,000.
    pub const MAX_TASKS: usize = 100_000;
    /// Most sites of a network: 1,000 (a replication keeps a table of the lanes between
    /// every two sites, and of every product at every plant).
    pub const MAX_SITES: usize = 1_000;
    /// Most exceptions of one calendar: 10,000 (repeating ones count once).
    pub const MAX_EXCEPTIONS: usize = 10_000;
    /// Most events at one instant of simulated time before the run stops as a zero-time
    /// loop (a step of zero duration failing for ever, breakdowns that take no time).
    pub const MAX_EVENTS_AT_ONE_TIME: u64 = crate::engine::MAX_EVENTS_AT_ONE_TIME;

    /// Ticks per day, re-exported for the checks.
    pub(crate) const DAY: f64 = TICKS_PER_DAY as f64;
}

/// One reason a [`Spec`] cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// Dotted path of the offending item (see the module documentation).
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

struct Errors(Vec<SpecError>);

impl Errors {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(SpecError {
            path: path.into(),
            message: message.into(),
        });
    }
}

fn days(ticks: f64) -> f64 {
    ticks / limits::DAY
}

/// The checks every named item shares: a usable name (it becomes part of dotted metric
/// names), not taken by an earlier item of its list. `what` is "resource", "product"...
fn check_name(e: &mut Errors, at: &str, what: &str, name: &str, taken: bool) {
    if name.trim().is_empty() || name.contains('.') {
        e.add(at, format!("{what} name `{name}` must be non-empty and contain no dots (names become parts of dotted metric names)"));
    }
    if taken {
        let a = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        e.add(
            format!("{at}.name"),
            format!("{a} {what} named `{name}` is already defined; names must be unique"),
        );
    }
}

impl Spec {
    /// Every reason this spec cannot run, or `Ok` if it can. A spec that passes runs to
    /// its end in bounded time and memory, or stops with a [`RunError`](super::RunError)
    /// that says why (an overloaded system, a zero-time loop).
    pub fn validate(&self) -> Result<(), Vec<SpecError>> {
        let mut e = Errors(Vec::new());
        let run_days = (self.warmup + self.horizon).as_days();
        if self.horizon == Duration::ZERO {
            e.add(
                "simulation.horizon",
                "the horizon must be longer than zero, e.g. \"730d\"",
            );
        }
        if run_days > limits::MAX_RUN_DAYS as f64 {
            e.add(
                "simulation.horizon",
                format!(
                    "warm-up plus horizon is {run_days:.0} days; the longest run is {} days (10,000 years), the range of the clock with a margin",
                    limits::MAX_RUN_DAYS
                ),
            );
        }
        if let Some(p) = self.timeseries {
            let periods = (self.warmup + self.horizon).ticks() as f64 / p.ticks() as f64;
            if p == Duration::ZERO {
                e.add("simulation.timeseries", "a time series needs periods longer than zero: \"week\", \"month\", \"year\" or a duration such as \"14d\"");
            } else if periods > limits::MAX_PERIODS as f64 {
                e.add(
                    "simulation.timeseries",
                    format!(
                        "{periods:.0} periods of {} d; at most {} (choose longer periods)",
                        p.as_days(),
                        limits::MAX_PERIODS
                    ),
                );
            }
        }
        if self.until_empty && self.warmup > Duration::ZERO {
            e.add("simulation.warmup", "a run until empty follows its arrivals from the start; it has no warm-up (remove `warmup` or run to the horizon)");
        }
        for (ri, r) in self.resources.iter().enumerate() {
            let at = format!("resources.{}", r.name);
            let taken = self.resources[..ri].iter().any(|q| q.name == r.name);
            check_name(&mut e, &at, "resource", &r.name, taken);
            if let Some(c) = &r.calendar {
                if c.exceptions.len() > limits::MAX_EXCEPTIONS {
                    e.add(
                        format!("{at}.calendar.exceptions"),
                        format!(
                            "{} exceptions; at most {} (use `repeat` for recurring ones)",
                            c.exceptions.len(),
                            limits::MAX_EXCEPTIONS
                        ),
                    );
                }
                for (i, s) in c.shifts.iter().enumerate() {
                    let units = s.staffing.of(r.capacity);
                    if units > r.capacity {
                        e.add(format!("{at}.calendar.shifts.{i}.capacity"), format!("this shift has {units} units working but resource `{}` has capacity {}; raise the capacity, lower the shift, or leave out the shift's capacity (all units work it)", r.name, r.capacity));
                    }
                }
                if c.base > r.capacity {
                    e.add(
                        format!("{at}.calendar.base"),
                        format!(
                            "base {} is above the capacity {} of `{}`",
                            c.base, r.capacity, r.name
                        ),
                    );
                }
                for (i, x) in c.exceptions.iter().enumerate() {
                    if x.capacity > r.capacity {
                        e.add(
                            format!("{at}.calendar.exceptions.{i}.capacity"),
                            format!(
                                "this exception has {} units but `{}` has capacity {}",
                                x.capacity, r.name, r.capacity
                            ),
                        );
                    }
                }
                match c.build(r.capacity) {
                    Ok(cal) if cal.max_capacity() > r.capacity => e.add(format!("{at}.calendar"), format!("overlapping shifts schedule up to {} units but `{}` has capacity {}; raise the capacity or lower the shifts", cal.max_capacity(), r.name, r.capacity)),
                    Ok(_) => {}
                    Err(err) => {
                        let item = match err {
                            CalendarError::TimeOfDay { index } | CalendarError::NoDays { index } => {
                                format!(".shifts.{index}")
                            }
                            CalendarError::EmptyException { index }
                            | CalendarError::Repeat { index } => format!(".exceptions.{index}"),
                            CalendarError::WeekStart => String::new(),
                        };
                        e.add(format!("{at}.calendar{item}"), err.to_string())
                    }
                }
            }
            if let Some(b) = &r.breakdowns {
                if b.units == 0 {
                    e.add(
                        format!("{at}.breakdowns.units"),
                        "a breakdown must take at least one unit down",
                    );
                }
                if b.units > r.capacity {
                    e.add(
                        format!("{at}.breakdowns.units"),
                        format!(
                            "a breakdown takes {} units down but `{}` has only {}",
                            b.units, r.name, r.capacity
                        ),
                    );
                }
                if b.time_between.mean() + b.repair.mean() < 1.0 {
                    e.add(format!("{at}.breakdowns"), "time_between and repair are both zero: breakdowns would follow each other without time passing; give time_between a mean above zero");
                }
            }
        }
        for (pi, p) in self.products.iter().enumerate() {
            let at = format!("products.{}", p.name);
            let taken = self.products[..pi].iter().any(|q| q.name == p.name);
            check_name(&mut e, &at, "product", &p.name, taken);
            if p.demand.is_empty() {
                self.check_arrivals_of(&p.arrivals, p.window, &at, &mut e);
            }
            demand::check_outcomes(p, &at, &mut e);
            if self.until_empty && p.demand.is_empty() {
                if !(p.arrivals.is_finite() || p.window.is_some()) {
                    e.add(format!("{at}.arrivals"), "the run is to end when the system is empty, but this product's arrivals never end; give them a window, a cohort, a dated list or a schedule whose last rate is 0");
                }
                if let Some(Allogeneic {
                    policy: Policy::Campaign { .. },
                    ..
                }) = &p.allogeneic
                {
                    e.add(format!("{at}.policy"), "campaign batches start for ever, so the system is never empty; use a reorder point, or run to the horizon");
                }
            }
            if p.priority.len() != self.resources.len() {
                e.add(
                    format!("{at}.priority"),
                    "one priority per resource is needed",
                );
            }
            if p.steps.is_empty() {
                e.add(
                    format!("{at}.steps"),
                    format!("product `{}` has no steps: add [[products.steps]]", p.name),
                );
            }
            self.check_chain(&p.steps, &format!("{at}.steps"), &mut e);
            if let Some(a) = &p.allogeneic {
                self.check_allogeneic(p, a, &at, &mut e);
            }
        }
        if self.products.is_empty() {
            e.add("products", "the scenario has no products: add at least one");
        }
        self.check_slots(&mut e);
        self.check_bookings(&mut e);
        self.check_network(&mut e);
        self.check_sizes(&mut e);
        self.check_costs(&mut e);
        if e.0.is_empty() { Ok(()) } else { Err(e.0) }
    }

    /// Counts within [`limits::MAX_ITEMS`] and [`limits::MAX_TASKS`].
    fn check_sizes(&self, e: &mut Errors) {
        let many = |e: &mut Errors, at: String, what: &str, n: usize| {
            if n > limits::MAX_ITEMS {
                e.add(at, format!("{n} {what}; at most {} (indices are 16-bit: a real facility or network has far fewer)", limits::MAX_ITEMS));
            }
        };
        let net = &self.network;
        many(e, "products".into(), "products", self.products.len());
        many(e, "slots".into(), "slot calendars", self.slots.len());
        if net.sites.len() > limits::MAX_SITES {
            e.add(
                "sites",
                format!(
                    "{} sites; at most {} (a national network has tens)",
                    net.sites.len(),
                    limits::MAX_SITES
                ),
            );
        }
        if !net.is_empty() && self.products.len() * net.sites.len() > limits::MAX_ITEMS * 100 {
            e.add(
                "products",
                format!(
                    "{} products at {} sites; at most {} pairs (each has its figures per plant)",
                    self.products.len(),
                    net.sites.len(),
                    limits::MAX_ITEMS * 100
                ),
            );
        }
        many(e, "lanes".into(), "lanes", net.lanes.len());
        let sources: usize = self.products.iter().map(|p| p.demand.len().max(1)).sum();
        many(
            e,
            "products".into(),
            "arrival sources (products, or products at each collection site)",
            sources,
        );
        let mut tasks = 0usize;
        for p in &self.products {
            let at = format!("products.{}", p.name);
            many(e, format!("{at}.steps"), "steps", p.steps.len());
            many(e, format!("{at}.hazards"), "hazards", p.hazards.len());
            let delivery = p.allogeneic.iter().flat_map(|a| &a.delivery);
            for s in p.steps.iter().chain(delivery) {
                if let StepKind::Assays(list) = &s.kind {
                    many(
                        e,
                        format!("{at}.steps.{}.assays", s.name),
                        "assays",
                        list.len(),
                    );
                }
                tasks = tasks.saturating_add(self.tasks_of(s).len());
            }
        }
        for l in &net.lanes {
            many(e, "lanes".into(), "modes of one lane", l.modes.len());
        }
        if tasks > limits::MAX_TASKS {
            e.add("products", format!("{tasks} tasks to prepare (steps and assays at every site they may run at, legs on every lane in every mode); at most {} (keep the lanes a transport step may take to those patients use)", limits::MAX_TASKS));
        }
    }

    fn check_chain(&self, steps: &[StepSpec], at: &str, e: &mut Errors) {
        self.check_holds(steps, at, e);
        for (i, s) in steps.iter().enumerate() {
            let here = format!("{at}.{}", s.name);
            let taken = steps[..i].iter().any(|q| q.name == s.name);
            check_name(e, &here, "step", &s.name, taken);
            for kind in s.kinds() {
                self.check_kind(s, kind, i, &here, e);
            }
        }
    }

    fn check_kind(&self, s: &StepSpec, kind: &StepKind, i: usize, here: &str, e: &mut Errors) {
        match kind {
            StepKind::Work(task, failure) => {
                // Seized resources are granted with the step's own.
                let mut all = task.clone();
                all.uses.extend(&s.seize);
                self.check_task(&all, here, e);
                if let Some(f) = failure {
                    check_failure(f, i, &format!("{here}.failure"), e);
                }
            }
            StepKind::Assays(list) => {
                if list.is_empty() {
                    e.add(
                        format!("{here}.assays"),
                        format!("step `{}` lists no assays", s.name),
                    );
                }
                for (j, a) in list.iter().enumerate() {
                    let here = format!("{here}.assays.{}", a.name);
                    let taken = list[..j].iter().any(|q| q.name == a.name);
                    check_name(e, &here, "assay", &a.name, taken);
                    self.check_task(&a.task, &here, e);
                    if let Some(f) = &a.failure {
                        check_failure(f, i, &format!("{here}.failure"), e);
                    }
                }
            }
            // The lane's modes are checked with the network.
            StepKind::Transport(_) => {}
        }
    }

    /// Resources held across steps: each `seize` released by exactly one later step,
    /// nothing released that is not held, one group held at a time.
    fn check_holds(&self, steps: &[StepSpec], at: &str, e: &mut Errors) {
        let mut open: Option<(usize, Vec<usize>)> = None;
        let name = |r: &usize| {
            self.resources
                .get(*r)
                .map_or_else(|| format!("#{r}"), |x| format!("`{}`", x.name))
        };
        for (i, s) in steps.iter().enumerate() {
            let here = format!("{at}.{}", s.name);
            if !s.release.is_empty() {
                let mut released = s.release.clone();
                released.sort_unstable();
                match open.take() {
                    None => e.add(format!("{here}.release"), format!("{} is released at step `{}` but not seized before it; seize it (seize = [...]) at the step that starts holding it, or remove the release", name(&released[0]), s.name)),
                    Some((from, held)) if held != released => e.add(format!("{here}.release"), format!("release must name what step `{}` seized: {}", steps[from].name, held.iter().map(name).collect::<Vec<_>>().join(", "))),
                    Some(_) => {}
                }
            }
            if !s.seize.is_empty() {
                if !s.release.is_empty() {
                    e.add(format!("{here}.seize"), "a step that seizes and releases the same resources just uses them: list them in `uses`");
                    continue;
                }
                if let Some((from, _)) = &open {
                    e.add(
                        format!("{here}.seize"),
                        format!(
                            "what step `{}` seized is still held; release it before seizing again",
                            steps[*from].name
                        ),
                    );
                }
                if matches!(s.kind, StepKind::Assays(_)) {
                    e.add(
                        format!("{here}.seize"),
                        "a QC release step cannot seize resources",
                    );
                }
                for &(r, _) in &s.seize {
                    if self
                        .resources
                        .get(r)
                        .is_some_and(|x| x.on_capacity_drop == CapacityDrop::Preempt)
                    {
                        e.add(format!("{here}.seize"), format!("{} preempts work when its capacity drops, which a hold across steps cannot survive; use on_capacity_drop = \"finish\"", name(&r)));
                    }
                }
                let mut held: Vec<usize> = s.seize.iter().map(|x| x.0).collect();
                held.sort_unstable();
                open = Some((i, held));
            }
        }
        if let Some((from, held)) = open {
            e.add(
                format!("{at}.{}.seize", steps[from].name),
                format!(
                    "{} seized at step `{}` is never released; add release = [...] to a later step",
                    held.iter().map(name).collect::<Vec<_>>().join(", "),
                    steps[from].name
                ),
            );
        }
    }

    fn check_task(&self, t: &Task, at: &str, e: &mut Errors) {
        let all: Vec<(usize, u32, String)> = t
            .uses
            .iter()
            .enumerate()
            .map(|(j, &(r, u))| (r, u, format!("uses.{j}")))
            .chain(
                t.touch_uses
                    .iter()
                    .enumerate()
                    .map(|(j, &(r, u))| (r, u, format!("touch_uses.{j}"))),
            )
            .collect();
        if all.len() > MAX_NEEDS {
            e.add(
                format!("{at}.uses"),
                format!("a step can hold at most {MAX_NEEDS} resources at once"),
            );
        }
        for (i, (r, units, key)) in all.iter().enumerate() {
            let (r, units) = (*r, *units);
            let Some(res) = self.resources.get(r) else {
                e.add(
                    format!("{at}.{key}"),
                    format!("resource index {r} does not exist"),
                );
                continue;
            };
            if all[..i].iter().any(|x| x.0 == r) {
                e.add(
                    format!("{at}.{key}"),
                    format!(
                        "resource `{}` is listed twice; list it once with units = N",
                        res.name
                    ),
                );
            }
            let max = res.max_capacity();
            if units == 0 {
                e.add(
                    format!("{at}.{key}"),
                    "units must be a whole number of at least 1",
                );
            } else if max == 0 {
                e.add(format!("{at}.{key}"), format!("resource `{}` never has any unit available (capacity or calendar 0), so this step could never start; give it capacity", res.name));
            } else if units > max {
                e.add(format!("{at}.{key}"), format!("this step needs {units} units of `{}` but it never has more than {max}; raise its capacity or need fewer units", res.name));
            }
        }
        match (&t.touch, t.touch_uses.is_empty()) {
            (Some(_), true) => e.add(format!("{at}.touch"), "`touch` is the hands-on time on `touch_uses` (an operator, an analyst), but the step lists none; add touch_uses = [\"...\"] or remove `touch`"),
            (None, false) => e.add(format!("{at}.touch_uses"), "`touch_uses` are held for the hands-on `touch` time, but the step gives none; add touch = \"2h\" (or move them to `uses` to hold them for the whole step)"),
            _ => {}
        }
    }

    fn check_allogeneic(
        &self,
        p: &ProductSpec,
        a: &super::spec::Allogeneic,
        at: &str,
        e: &mut Errors,
    ) {
        let mean_doses = a.doses.mean().round();
        if mean_doses < 1.0 {
            e.add(
                format!("{at}.doses"),
                "a batch must yield at least one dose on average; a batch size of zero makes nothing",
            );
        }
        if a.order_size == 0 {
            e.add(
                format!("{at}.order_size"),
                "an order takes at least one dose",
            );
        } else if f64::from(a.order_size) > a.doses.max().round() {
            e.add(format!("{at}.order_size"), format!("an order of {} doses is larger than any batch (at most {} doses); lower order_size or raise doses", a.order_size, a.doses.max().round()));
        }
        match a.policy {
            Policy::ReorderPoint {
                level,
                max_in_production,
            } => {
                if level < 0 {
                    e.add(format!("{at}.policy.reorder_point"), format!("a reorder point below zero ({level}) would wait for backorders before making anything; use 0 or more"));
                }
                let batches = level as f64 / mean_doses.max(1.0) + 1.0;
                if max_in_production.is_none() && batches > limits::MAX_IN_SYSTEM as f64 / 10.0 {
                    e.add(format!("{at}.policy.reorder_point"), format!("reorder point {level} would start about {batches:.3e} batches at once; set policy.max_in_production (the batches a facility can have in production)"));
                }
                if max_in_production == Some(0) {
                    e.add(
                        format!("{at}.policy.max_in_production"),
                        "max_in_production must be at least 1",
                    );
                }
            }
            Policy::Campaign { every } => {
                if every == Duration::ZERO {
                    e.add(
                        format!("{at}.policy.campaign_every"),
                        "campaign_every must be longer than zero",
                    );
                }
            }
        }
        if a.stock_capacity < u64::from(a.order_size) {
            e.add(
                format!("{at}.stock.capacity"),
                format!(
                    "the store holds {} doses but an order takes {}",
                    a.stock_capacity, a.order_size
                ),
            );
        }
        if let Some(life) = a.shelf_life {
            let release = longest_qc_release(&p.steps);
            if life <= release {
                e.add(format!("{at}.stock.shelf_life"), format!("a shelf life of {} d is not longer than QC release ({} d): doses would expire before they could be released; check the units", life.as_days(), release.as_days()));
            }
        }
        self.check_chain(&a.delivery, &format!("{at}.delivery"), e);
    }
}

fn check_failure(f: &Failure, here: usize, at: &str, e: &mut Errors) {
    if !(0.0..=1.0).contains(&f.probability) {
        e.add(
            format!("{at}.probability"),
            format!(
                "a probability must be between 0 and 1, not {} (write 5 % as 0.05)",
                f.probability
            ),
        );
    }
    if f.retry_from > here {
        e.add(
            format!("{at}.retry_from"),
            "retry_from must name this step or an earlier one",
        );
    }
    if f.max_attempts == 0 || f.max_attempts > limits::MAX_ATTEMPTS {
        e.add(
            format!("{at}.max_attempts"),
            format!(
                "max_attempts must be from 1 to {} (failures of one step before the patient is lost), not {}",
                limits::MAX_ATTEMPTS,
                f.max_attempts
            ),
        );
    }
}

/// The longest QC release of a chain: for each assay step, the longest mean assay
/// duration; the largest over steps.
pub(crate) fn longest_qc_release(steps: &[StepSpec]) -> Duration {
    let mut longest = 0.0f64;
    for s in steps {
        if let StepKind::Assays(list) = &s.kind {
            for a in list {
                longest = longest.max(a.task.duration.mean());
            }
        }
    }
    Duration::from_ticks_f64(longest)
}

/// Checks a distribution of durations given in days before it is scaled to ticks: its
/// parameters must be finite and below [`limits::MAX_DURATION_DAYS`].
pub fn duration_in_range(d: &Dist) -> Result<(), String> {
    let (m, max) = (d.mean(), d.max());
    if !m.is_finite()
        || m > limits::MAX_DURATION_DAYS
        || (max.is_finite() && max > limits::MAX_DURATION_DAYS)
    {
        return Err(format!(
            "a duration beyond {:.0} days (100,000 years) is outside the clock's range",
            limits::MAX_DURATION_DAYS
        ));
    }
    Ok(())
}
