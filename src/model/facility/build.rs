//! Building a replication's facility from its spec: the pools on the kernel, the tasks
//! with their random streams (one per source, named by the spec's path), the per-product
//! chains and statistics.
//!
//! This module must not parse files or print.

use super::allogeneic::AlloRt;
use super::booking::BookingsRt;
use super::hazards::HazardsRt;
use super::milestones::MilestonesRt;
use super::network::{self, NetRt, StepRt};
use super::{ChainRt, Ev, Facility, Flow, ProductRt, StepPlan, TaskRt, series};
use std::sync::Arc;

use crate::engine::pool::MAX_NEEDS;
use crate::engine::{
    Breakdowns, Calendar, Kernel, PoolId, PoolSpec, Reservations, Rng, SourceName, Streams, Tally,
    Time, TimeWeighted,
};
use crate::model::check::SpecError;
use crate::model::spec::{At, Failure, Spec, StepKind, StepSpec, Task};

impl<'s> Facility<'s> {
    /// Builds the model and its pools on `kernel`, drawing from `streams`. The spec
    /// should have passed [`Spec::validate`]; a pool that cannot be built is an error.
    pub fn new(
        spec: &'s Spec,
        kernel: &mut Kernel<Ev>,
        streams: Streams,
    ) -> Result<Facility<'s>, SpecError> {
        Self::with_calendars(spec, &calendars(spec)?, kernel, streams)
    }

    /// [`Facility::new`] with the resources' calendars built already ([`calendars`]):
    /// the replications of one spec share them.
    pub fn with_calendars(
        spec: &'s Spec,
        calendars: &[Option<Arc<Calendar>>],
        kernel: &mut Kernel<Ev>,
        streams: Streams,
    ) -> Result<Facility<'s>, SpecError> {
        assert_eq!(
            calendars.len(),
            spec.resources.len(),
            "one calendar per resource"
        );
        for (r, calendar) in spec.resources.iter().zip(calendars) {
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
        let mut tasks = Vec::new();
        let mut plans = Vec::new();
        let mut products = Vec::new();
        let mut max_assays = 0;
        let mut max_steps = 0;
        let mut max_rules = 0;
        // Per task, priced: its product and the cost of a run of it (assays).
        let mut run_price: Vec<(u16, f64)> = Vec::new();
        for (pi, p) in spec.products.iter().enumerate() {
            let product = SourceName::new().and("products.").and(&p.name).and(".");
            let stream = |name: SourceName| streams.stream(name.id());
            let mut chains = Vec::new();
            let delivery = p.allogeneic.as_ref().map(|a| a.delivery.as_slice());
            for (prefix, steps) in [("steps", Some(p.steps.as_slice())), ("delivery", delivery)] {
                let Some(steps) = steps else { continue };
                max_steps = max_steps.max(steps.len());
                let plan_at = plans.len() as u32;
                let mut step_at = Vec::with_capacity(steps.len());
                // Failures are counted per step and assay, whatever the site or lane.
                let mut rules = 0;
                for (i, s) in steps.iter().enumerate() {
                    plans.push(StepPlan {
                        task: tasks.len() as u32,
                        assays: match &s.kind {
                            StepKind::Assays(list) => list.len() as u16,
                            _ => 0,
                        },
                        last: i + 1 == steps.len(),
                    });
                    let path = product.and(prefix).and(".").and(&s.name);
                    let mut add = |kind: &StepKind, path: SourceName| {
                        let first = tasks.len() as u32;
                        let n = add_kind(&mut tasks, s, kind, &p.priority, path, &stream);
                        max_assays = max_assays.max(n);
                        first
                    };
                    step_at.push(match (&s.at, &s.kind) {
                        (At::Sited(place, kinds), _) => {
                            let bases = kinds
                                .iter()
                                .enumerate()
                                .map(|(site, kind)| match kind {
                                    Some(kind) => {
                                        let name = &spec.network.sites[site].name;
                                        add(kind, path.and(".at.").and(name))
                                    }
                                    None => u32::MAX,
                                })
                                .collect();
                            StepRt::Sited(*place, bases)
                        }
                        (At::Listed, StepKind::Transport(t)) => {
                            let mut bases = Vec::with_capacity(spec.network.lanes.len());
                            for l in &spec.network.lanes {
                                bases.push(tasks.len() as u32);
                                let sites = &spec.network.sites;
                                for m in &l.modes {
                                    let here = (path.and(".lanes.").and(&sites[l.from].name))
                                        .and(".")
                                        .and(&sites[l.to].name)
                                        .and(".")
                                        .and(&m.name);
                                    tasks.push(task_rt(&m.task, None, &p.priority, |what| {
                                        stream(here.and(".").and(what))
                                    }));
                                }
                            }
                            StepRt::Transport(*t, bases)
                        }
                        (At::Listed, kind) => {
                            add(kind, path);
                            StepRt::Listed
                        }
                    });
                    let width = match &s.kind {
                        StepKind::Assays(list) => list.len(),
                        _ => 1,
                    };
                    let first = plans.last().expect("just pushed").task as usize;
                    for (i, t) in tasks[first..].iter_mut().enumerate() {
                        t.rule = (rules + i % width) as u16;
                    }
                    if let Some(c) = &spec.costs {
                        run_price.resize(tasks.len(), (pi as u16, 0.0));
                        if let StepKind::Assays(list) = &s.kind {
                            for i in 0..tasks.len() - first {
                                let name = &list[i % width].name;
                                run_price[first + i].1 = (c.assays.iter())
                                    .filter(|a| a.product == pi && &a.assay == name)
                                    .map(|a| a.per_run)
                                    .sum();
                            }
                        }
                    }
                    rules += width;
                }
                max_rules = max_rules.max(rules);
                let n = steps.len();
                chains.push(ChainRt {
                    plan_at,
                    step_at,
                    step_wait: vec![0; n],
                    step_work: vec![0; n],
                    finished: 0,
                });
            }
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
        let sources = network::sources(spec, &streams);
        let mut net = NetRt::new(spec, max_steps);
        if let Some(net) = &mut net {
            let chains: Vec<&[StepRt]> = products
                .iter()
                .flat_map(|p: &ProductRt| p.chains.iter().map(|ch| ch.step_at.as_slice()))
                .collect();
            net.map_legs(spec, &chains, &tasks);
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
        let ledger = super::costs::Ledger::new(spec, run_price);
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
            tasks,
            plans,
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
            max_rules,
            step_times: Vec::new(),
            marks: Vec::new(),
            clocks: Vec::new(),
            max_hazards,
            max_marks,
            max_steps,
            assays: Vec::new(),
            max_assays,
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

fn task_rt(
    task: &Task,
    failure: Option<Failure>,
    priority: &[i32],
    mut stream: impl FnMut(&str) -> Rng,
) -> TaskRt {
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
    TaskRt {
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
        duration_rng: stream("duration"),
        touch_rng: stream("touch"),
        failure_rng: stream("failure"),
    }
}

/// The calendars of `spec`'s resources, built once for all its replications (see
/// `model::Prepared`). An error names the resource whose calendar cannot be built.
pub fn calendars(spec: &Spec) -> Result<Vec<Option<Arc<Calendar>>>, SpecError> {
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

/// Adds the tasks of one kind of step `s` (a work step's one, an assay step's one per
/// assay), with streams named below `path`; returns the number of assays (0 for work).
fn add_kind(
    tasks: &mut Vec<TaskRt>,
    s: &StepSpec,
    kind: &StepKind,
    priority: &[i32],
    path: SourceName,
    stream: &dyn Fn(SourceName) -> Rng,
) -> usize {
    match kind {
        StepKind::Work(task, failure) => {
            tasks.push(task_rt(task, *failure, priority, |what| {
                stream(path.and(".").and(what))
            }));
            // Seized resources are granted with the step's own.
            let t = tasks.last_mut().expect("just added");
            for &(r, u) in &s.seize {
                t.needs.push((PoolId(r as u32), u));
                t.seize_pools.push(PoolId(r as u32));
                t.holds_to_end = true;
            }
            0
        }
        StepKind::Assays(list) => {
            for a in list {
                tasks.push(task_rt(&a.task, a.failure, priority, |what| {
                    stream(path.and(".assays.").and(&a.name).and(".").and(what))
                }));
            }
            list.len()
        }
        StepKind::Transport(_) => unreachable!("legs take their tasks from the lanes"),
    }
}
