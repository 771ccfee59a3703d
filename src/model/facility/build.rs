//! Building a replication's facility: once per spec, its [`Blueprint`] (calendars,
//! tasks with the names of their random streams, step plans, arrival sources), which
//! every replication borrows; then per replication the pools on the kernel, the streams
//! (one per source, named by the spec's path), the per-product chains and statistics.
//!
//! This module must not parse files or print.

use super::allogeneic::AlloRt;
use super::booking::BookingsRt;
use super::hazards::HazardsRt;
use super::milestones::MilestonesRt;
use super::network::{self, NetRt, StepRt};
use super::{Chain, ChainRt, Ev, Facility, Flow, ProductRt, StepPlan, TaskPlan, TaskRt, series};
use std::sync::Arc;

use crate::engine::pool::MAX_NEEDS;
use crate::engine::{
    Breakdowns, Calendar, Kernel, PoolId, PoolSpec, Reservations, Rng, SourceName, Streams, Tally,
    Time, TimeWeighted,
};
use crate::model::check::SpecError;
use crate::model::metrics::{Key, keys};
use crate::model::spec::{At, Failure, Spec, StepKind, StepSpec, Task};

/// What every replication of a spec builds its facility from, made once (see
/// `model::Prepared`): the resources' calendars; the tasks with their pools, durations,
/// failure rules and the names of their random streams; each chain's step plans; the
/// arrival sources with the plants their patients may go to. Nothing in it changes while
/// replications run. (Built for every replication, the tasks alone took 7 % of the
/// instructions of the bundled network's run: it has 246.)
pub struct Blueprint<'s> {
    spec: &'s Spec,
    calendars: Vec<Option<Arc<Calendar>>>,
    tasks: Vec<TaskPlan>,
    /// Per task, the ids of its duration, touch and failure streams (`None`: the task
    /// never draws from it).
    task_streams: Vec<[Option<u64>; 3]>,
    plans: Vec<StepPlan>,
    /// Per product, per chain (`Chain` order): where its plans start in `plans`, and
    /// how each step finds its task at the patient's sites.
    chains: Vec<Vec<(u32, Vec<StepRt>)>>,
    sources: Vec<network::SourcePlan>,
    max_assays: usize,
    max_steps: usize,
    max_rules: usize,
    /// Per task, priced: its product and the cost of a run of it (assays).
    run_price: Vec<(u16, f64)>,
    /// A stream for the tasks that never draw from one of theirs.
    unused: Rng,
    /// What each metric of a replication measures, in the order of its values.
    pub(super) keys: Vec<Key>,
}

impl<'s> Blueprint<'s> {
    /// The blueprint of `spec` (which should have passed [`Spec::validate`]); an error
    /// names the resource whose calendar cannot be built.
    pub fn new(spec: &'s Spec) -> Result<Blueprint<'s>, SpecError> {
        let mut bp = Blueprint {
            spec,
            calendars: calendars(spec)?,
            tasks: Vec::new(),
            task_streams: Vec::new(),
            plans: Vec::new(),
            chains: Vec::new(),
            sources: network::source_plans(spec),
            max_assays: 0,
            max_steps: 0,
            max_rules: 0,
            run_price: Vec::new(),
            unused: Streams::new(0, 0).stream(0),
            keys: keys(spec),
        };
        for (pi, p) in spec.products.iter().enumerate() {
            let product = SourceName::new().and("products.").and(&p.name).and(".");
            let mut chains = Vec::new();
            let delivery = p.allogeneic.as_ref().map(|a| a.delivery.as_slice());
            for (prefix, steps) in [("steps", Some(p.steps.as_slice())), ("delivery", delivery)] {
                let Some(steps) = steps else { continue };
                bp.max_steps = bp.max_steps.max(steps.len());
                let plan_at = bp.plans.len() as u32;
                let mut step_at = Vec::with_capacity(steps.len());
                // Failures are counted per step and assay, whatever the site or lane.
                let mut rules = 0;
                for (i, s) in steps.iter().enumerate() {
                    let first = bp.tasks.len();
                    bp.plans.push(StepPlan {
                        task: first as u32,
                        assays: match &s.kind {
                            StepKind::Assays(list) => list.len() as u16,
                            _ => 0,
                        },
                        last: i + 1 == steps.len(),
                    });
                    let path = product.and(prefix).and(".").and(&s.name);
                    step_at.push(bp.add_step(s, &p.priority, path));
                    let width = match &s.kind {
                        StepKind::Assays(list) => list.len(),
                        _ => 1,
                    };
                    for (i, t) in bp.tasks[first..].iter_mut().enumerate() {
                        t.rule = (rules + i % width) as u16;
                    }
                    if let Some(c) = &spec.costs {
                        let n = bp.tasks.len();
                        bp.run_price.resize(n, (pi as u16, 0.0));
                        if let StepKind::Assays(list) = &s.kind {
                            for i in 0..n - first {
                                let name = &list[i % width].name;
                                bp.run_price[first + i].1 = (c.assays.iter())
                                    .filter(|a| a.product == pi && &a.assay == name)
                                    .map(|a| a.per_run)
                                    .sum();
                            }
                        }
                    }
                    rules += width;
                }
                bp.max_rules = bp.max_rules.max(rules);
                chains.push((plan_at, step_at));
            }
            bp.chains.push(chains);
        }
        Ok(bp)
    }

    /// The spec it was made from.
    pub fn spec(&self) -> &'s Spec {
        self.spec
    }

    /// How each step of `product`'s `chain` finds its task.
    pub(super) fn step_at(&self, product: u16, chain: Chain) -> &[StepRt] {
        &self.chains[usize::from(product)][chain as usize].1
    }

    /// Adds the tasks of step `s` (named below `path`): one per kind, at each site it
    /// runs at, or one per lane and mode of a transport step; returns how the step finds
    /// its task.
    fn add_step(&mut self, s: &StepSpec, priority: &[i32], path: SourceName) -> StepRt {
        let spec = self.spec;
        match (&s.at, &s.kind) {
            (At::Sited(place, kinds), _) => {
                let bases = kinds
                    .iter()
                    .enumerate()
                    .map(|(site, kind)| match kind {
                        Some(kind) => {
                            let name = &spec.network.sites[site].name;
                            let first = self.tasks.len() as u32;
                            self.add_kind(s, kind, priority, path.and(".at.").and(name));
                            first
                        }
                        None => u32::MAX,
                    })
                    .collect();
                StepRt::Sited(*place, bases)
            }
            (At::Listed, StepKind::Transport(t)) => {
                let mut bases = Vec::with_capacity(spec.network.lanes.len());
                let sites = &spec.network.sites;
                for l in &spec.network.lanes {
                    bases.push(self.tasks.len() as u32);
                    for m in &l.modes {
                        let here = (path.and(".lanes.").and(&sites[l.from].name))
                            .and(".")
                            .and(&sites[l.to].name)
                            .and(".")
                            .and(&m.name);
                        self.add_task(&m.task, None, priority, here);
                    }
                }
                StepRt::Transport(*t, bases)
            }
            (At::Listed, kind) => {
                self.add_kind(s, kind, priority, path);
                StepRt::Listed
            }
        }
    }

    /// Adds the tasks of one kind of step `s` (a work step's one, an assay step's one per
    /// assay), with streams named below `path`.
    fn add_kind(&mut self, s: &StepSpec, kind: &StepKind, priority: &[i32], path: SourceName) {
        match kind {
            StepKind::Work(task, failure) => {
                self.add_task(task, *failure, priority, path);
                // Seized resources are granted with the step's own.
                let t = self.tasks.last_mut().expect("just added");
                for &(r, u) in &s.seize {
                    t.needs.push((PoolId(r as u32), u));
                    t.seize_pools.push(PoolId(r as u32));
                    t.holds_to_end = true;
                }
            }
            StepKind::Assays(list) => {
                for a in list {
                    let path = path.and(".assays.").and(&a.name);
                    self.add_task(&a.task, a.failure, priority, path);
                }
                self.max_assays = self.max_assays.max(list.len());
            }
            StepKind::Transport(_) => unreachable!("legs take their tasks from the lanes"),
        }
    }

    /// Adds a task whose streams are named below `path`.
    fn add_task(
        &mut self,
        task: &Task,
        failure: Option<Failure>,
        priority: &[i32],
        path: SourceName,
    ) {
        let needs: Vec<(PoolId, u32)> = task
            .uses
            .iter()
            .chain(&task.touch_uses)
            .map(|&(r, u)| (PoolId(r as u32), u))
            .collect();
        assert!(
            needs.len() <= MAX_NEEDS,
            "the scenario compiler limits resources per step"
        );
        let stream = |what: &str| path.and(".").and(what).id();
        self.task_streams.push([
            Some(stream("duration")),
            task.touch.is_some().then(|| stream("touch")),
            failure.is_some().then(|| stream("failure")),
        ]);
        self.tasks.push(TaskPlan {
            priority: needs.first().map_or(0, |&(r, _)| priority[r.0 as usize]),
            needs,
            touch_pools: task
                .touch_uses
                .iter()
                .map(|&(r, _)| PoolId(r as u32))
                .collect(),
            holds_to_end: !task.uses.is_empty(),
            seize_pools: Vec::new(),
            duration: task.duration.clone(),
            touch: task.touch.clone(),
            failure,
            rule: 0,
        });
    }
}

impl<'s> Facility<'s> {
    /// Builds one replication's model from `blueprint`, and its pools on `kernel`,
    /// drawing from `streams`. A pool that cannot be built is an error.
    pub fn new(
        blueprint: &'s Blueprint<'s>,
        kernel: &mut Kernel<Ev>,
        streams: Streams,
    ) -> Result<Facility<'s>, SpecError> {
        let spec = blueprint.spec;
        for (r, calendar) in spec.resources.iter().zip(&blueprint.calendars) {
            let breakdowns = r.breakdowns.as_ref().map(|b| Breakdowns {
                time_between: b.time_between.clone(),
                repair: b.repair.clone(),
                units: b.units,
                rng: streams.stream(resource(&r.name).and(".breakdowns").id()),
            });
            let pool = PoolSpec {
                capacity: r.capacity,
                calendar: calendar.clone(),
                breakdowns,
                on_capacity_drop: r.on_capacity_drop,
            };
            kernel
                .add_pool(pool)
                .map_err(|e| at_resource(&r.name, &e))?;
        }
        let changeover_rng = spec
            .resources
            .iter()
            .map(|r| streams.stream(resource(&r.name).and(".changeover").id()))
            .collect();
        let stream =
            |id: Option<u64>| id.map_or_else(|| blueprint.unused.clone(), |id| streams.stream(id));
        let tasks = (blueprint.tasks.iter().zip(&blueprint.task_streams))
            .map(|(t, &[duration, touch, failure])| TaskRt {
                needs: &t.needs,
                touch_pools: &t.touch_pools,
                holds_to_end: t.holds_to_end,
                seize_pools: &t.seize_pools,
                priority: t.priority,
                duration: &t.duration,
                touch: t.touch.as_ref(),
                failure: t.failure,
                rule: t.rule,
                duration_rng: stream(duration),
                touch_rng: stream(touch),
                failure_rng: stream(failure),
            })
            .collect();
        let mut products = Vec::new();
        for (pi, p) in spec.products.iter().enumerate() {
            let product = SourceName::new().and("products.").and(&p.name).and(".");
            let stream = |name: SourceName| streams.stream(name.id());
            let chains = blueprint.chains[pi]
                .iter()
                .map(|(plan_at, step_at)| ChainRt {
                    plan_at: *plan_at,
                    step_wait: vec![0; step_at.len()],
                    step_work: vec![0; step_at.len()],
                    finished: 0,
                })
                .collect();
            products.push(ProductRt {
                patience_rng: stream(product.and("patience")),
                chains,
                arrived: 0,
                completed: 0,
                lost: 0,
                dropped_out: 0,
                left: 0,
                waited_all: 0,
                waited_completed: 0,
                v2v: Tally::new(),
                wip: TimeWeighted::new(Time::ZERO, 0),
                life: Flow::default(),
                allo: p
                    .allogeneic
                    .as_ref()
                    .map(|a| AlloRt::new(a, stream(product.and("doses")))),
                milestones: MilestonesRt::new(&p.milestones, p.steps.len()),
                hazards: HazardsRt::new(p),
                hazard_rng: stream(product.and("hazards")),
                score_rng: stream(product.and("score")),
                bookings: BookingsRt::new(p),
            });
        }
        let sources = network::sources(spec, &blueprint.sources, &streams);
        let max_steps = blueprint.max_steps;
        let mut net = NetRt::new(spec, max_steps, &blueprint.sources);
        if let Some(net) = &mut net {
            let chains: Vec<&[StepRt]> = (blueprint.chains.iter().flatten())
                .map(|(_, step_at)| step_at.as_slice())
                .collect();
            net.map_legs(spec, &chains, &blueprint.tasks);
        }
        let with_extras = !spec.slots.is_empty()
            || all_steps(spec).any(|s| !s.seize.is_empty() || s.booking.is_some());
        let max_hazards = spec
            .products
            .iter()
            .map(|p| p.hazards.len())
            .max()
            .unwrap_or(0);
        let max_marks = spec
            .products
            .iter()
            .map(|p| 2 * p.milestones.len())
            .max()
            .unwrap_or(0);
        let ledger = super::costs::Ledger::new(spec, blueprint.run_price.clone());
        Ok(Facility {
            draws_on_arrival: spec
                .products
                .iter()
                .any(|p| p.patience.is_some() || p.score.is_some()),
            plain: net.is_none()
                && !with_extras
                && max_hazards == 0
                && max_marks == 0
                && ledger.is_none(),
            spec,
            overloaded: None,
            arriving: sources.len(),
            sources,
            net,
            emptied: false,
            zombies: 0,
            slots: spec
                .slots
                .iter()
                .map(|s| {
                    super::slots::SlotRt::new(
                        streams.stream(
                            SourceName::new()
                                .and("slots.")
                                .and(&s.name)
                                .and(".count")
                                .id(),
                        ),
                    )
                })
                .collect(),
            next_ticket: 1,
            series: spec.timeseries.map(|p| series::SeriesRec::new(p, spec)),
            changeover_rng,
            blueprint,
            tasks,
            plans: &blueprint.plans,
            held: vec![0; spec.products.len() * spec.resources.len()],
            ledger,
            products,
            entities: Vec::with_capacity(1024),
            extras: Vec::new(),
            with_extras,
            reservations: reservations(spec),
            born: 0,
            free: Vec::with_capacity(1024),
            attempts: Vec::new(),
            max_rules: blueprint.max_rules,
            step_times: Vec::new(),
            marks: Vec::new(),
            clocks: Vec::new(),
            max_hazards,
            max_marks,
            max_steps,
            assays: Vec::new(),
            max_assays: blueprint.max_assays,
        })
    }
}

/// Every step of every chain.
fn all_steps(spec: &Spec) -> impl Iterator<Item = &StepSpec> {
    spec.products.iter().flat_map(|p| {
        p.steps
            .iter()
            .chain(p.allogeneic.iter().flat_map(|a| &a.delivery))
    })
}

/// Per resource, its reservation calendar: with a unit per unit of capacity if some step
/// books it ahead; none without bookings.
fn reservations(spec: &Spec) -> Vec<Reservations> {
    let booked: Vec<usize> = all_steps(spec)
        .filter(|s| s.booking.is_some())
        .filter_map(|s| match &s.kind {
            StepKind::Work(task, _) => task.uses.first().map(|u| u.0),
            StepKind::Assays(_) | StepKind::Transport(_) => None,
        })
        .collect();
    if booked.is_empty() {
        return Vec::new();
    }
    (0..spec.resources.len())
        .map(|r| match booked.contains(&r) {
            true => Reservations::new(spec.resources[r].capacity),
            false => Reservations::new(0),
        })
        .collect()
}

/// The calendars of `spec`'s resources. An error names the resource whose calendar
/// cannot be built.
fn calendars(spec: &Spec) -> Result<Vec<Option<Arc<Calendar>>>, SpecError> {
    spec.resources
        .iter()
        .map(|r| match &r.calendar {
            None => Ok(None),
            Some(c) => c
                .build(r.capacity)
                .map(|c| Some(Arc::new(c)))
                .map_err(|e| at_resource(&r.name, &e)),
        })
        .collect()
}

/// Error `e` located at resource `name`.
fn at_resource(name: &str, e: &dyn std::fmt::Display) -> SpecError {
    SpecError {
        path: format!("resources.{name}"),
        message: e.to_string(),
    }
}

/// The start of the names of resource `name`'s random sources.
fn resource(name: &str) -> SourceName {
    SourceName::new().and("resources.").and(name)
}
