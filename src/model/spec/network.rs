//! A network of sites: hospitals that collect and treat patients, plants that make their
//! products, the transport lanes between them, and the rule that chooses a patient's
//! plant. A one-site scenario has an empty network and none of this applies.
//!
//! Resources stay pools of the spec (a plant's suites are `resources` like any other,
//! named after their site by the scenario compiler). What the network adds is *where* a
//! step runs: a step located at the patient's collection site, treating site or plant
//! has one kind per site ([`At::Sited`]), resolved when the step starts, and a transport
//! step ([`StepKind::Transport`](super::StepKind::Transport)) takes the lane between
//! two of those places, in a mode chosen when it starts.
//!
//! This module must not parse text or know file formats.

use super::{Arrivals, Duration, StepKind, Task, Window};

/// The sites, lanes and routing of a scenario (empty: one site).
#[derive(Clone, Debug, Default)]
pub struct Network {
    /// Sites, by index (metric names use their names).
    pub sites: Vec<SiteSpec>,
    /// Transport lanes between sites.
    pub lanes: Vec<LaneSpec>,
    /// Which plant a patient's cells go to.
    pub routing: Routing,
    /// When the plant is chosen.
    pub route_at: RouteAt,
    /// Which mode a transport step takes.
    pub modes: ModeChoice,
}

impl Network {
    /// The vein-to-vein deadline the routing or the mode choice works to, if any.
    pub fn deadline(&self) -> Option<Duration> {
        match (&self.routing, &self.modes) {
            (Routing::Cheapest(d), _) | (_, ModeChoice::Deadline(d) | ModeChoice::Cheapest(d)) => {
                Some(*d)
            }
            _ => None,
        }
    }

    /// True for a one-site scenario.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// The lane from site `from` to site `to`, if there is one.
    pub fn lane(&self, from: usize, to: usize) -> Option<usize> {
        self.lanes.iter().position(|l| l.from == from && l.to == to)
    }

    /// The plants, in site order.
    pub fn plants(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.sites.len()).filter(|&s| self.sites[s].kind == SiteKind::Plant)
    }
}

/// A site of the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteSpec {
    /// Name, as in the scenario (metric names use it).
    pub name: String,
    /// What the site is: only plants are chosen by routing.
    pub kind: SiteKind,
    /// The resources that belong to the site (indices into the spec's resources), for
    /// figures by site; steps find them through their own kinds per site.
    pub resources: Vec<usize>,
}

/// What a site is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteKind {
    /// A collection and treatment centre.
    Hospital,
    /// A manufacturing plant: a patient's plant is one of these.
    Plant,
    /// Any other site (a central QC lab, a cryo store): steps may be fixed there.
    Other,
}

/// Where a located step runs, or a transport leg starts or ends: a place of the patient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The site where the patient's cells were collected.
    Collection,
    /// The site where the patient is treated (their collection site unless the demand
    /// says otherwise).
    Treatment,
    /// The plant chosen for the patient.
    Plant,
    /// A fixed site (a central lab).
    Site(usize),
}

/// Where a step's resources are.
#[derive(Clone, Debug, Default)]
pub enum At {
    /// The resources the step's kind lists (a one-site scenario; a resource shared by
    /// every site, such as a QP serving all plants).
    #[default]
    Listed,
    /// At a place of the patient: `.1[site]` is the step's kind at that site (`None`: the
    /// step cannot run there). The step's own `kind` is then its shape: the same kind of
    /// step with the same assays, failure rules and names as at every site.
    Sited(Place, Vec<Option<StepKind>>),
}

/// A product's demand at one collection site.
#[derive(Clone, Debug)]
pub struct SiteDemand {
    /// The collection site.
    pub site: usize,
    /// Its patients' arrivals.
    pub arrivals: Arrivals,
    /// Times outside which `arrivals` brings no one.
    pub window: Option<Window>,
    /// Where these patients are treated, if not at `site`.
    pub treated_at: Option<usize>,
}

/// A transport lane from one site to another, with its modes.
#[derive(Clone, Debug)]
pub struct LaneSpec {
    /// Origin site.
    pub from: usize,
    /// Destination site.
    pub to: usize,
    /// Modes, in order of preference (the cheapest or usual one first).
    pub modes: Vec<ModeSpec>,
}

/// A transport mode of a lane (express, standard).
#[derive(Clone, Debug)]
pub struct ModeSpec {
    /// Name, as in the scenario.
    pub name: String,
    /// The leg as work: its duration (door to door) and the resources it holds (vans, dry
    /// shippers) or takes for a hands-on time (a courier's pick-up, whose calendar gives
    /// cut-off times and days without pick-up).
    pub task: Task,
}

/// Which plant a patient's cells go to. Every rule chooses among the patient's *eligible*
/// plants: those where every step located at the plant can run, with a lane for every
/// transport leg to and from the plant, each with a mode whose mean duration is within
/// the leg's fresh limit. Ties go to the plant with the shortest inbound time, then to
/// the plant listed first.
#[derive(Clone, Debug, Default)]
pub enum Routing {
    /// `.0[collection site]`: the plant of that site's patients.
    Fixed(Vec<Option<usize>>),
    /// The plant with the shortest inbound time: the sum, over the transport legs from
    /// the collection site to the plant, of the mean duration of the lane's fastest mode.
    #[default]
    Nearest,
    /// The plant with the shortest expected time to the start of its first work: inbound
    /// time plus the expected wait, `max(0, n + 1 - c) * m / c`, where `c` is the
    /// capacity of the first resource of the chain's first step at the plant, `m` that
    /// step's mean duration there, and `n` the patients routed to the plant who have not
    /// yet finished that step (in transit, queued or at work).
    ShortestWait,
    /// The plant with the most free capacity, `c - n` as above.
    MostFree,
    /// The plant of least variable cost ([`Spec::plan`](super::Spec::plan): legs, assay
    /// runs, resources' uses and hours held) among those expected to meet the
    /// vein-to-vein deadline `.0`: the time since arrival, plus the planned time from the
    /// routing step on, plus the expected wait of `ShortestWait`. If none is expected to,
    /// the plant expected soonest. Needs costs.
    Cheapest(Duration),
}

/// When a patient's plant is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RouteAt {
    /// When the patient arrives.
    #[default]
    Arrival,
    /// When the first step that needs it starts (the dispatch of the cells).
    Dispatch,
}

/// Which mode a transport leg takes, chosen when the leg starts among the lane's modes
/// whose mean duration is within the leg's fresh limit.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum ModeChoice {
    /// The first mode listed (the usual one).
    #[default]
    First,
    /// The mode with the shortest mean duration (the first listed among equals).
    Fastest,
    /// The first mode listed that still meets a vein-to-vein deadline: the patient's
    /// arrival plus `.0`, against now plus the mode's mean duration plus the mean work of
    /// the steps after the leg (their mean durations at the patient's sites, the longest
    /// assay of an assay step, the first mode of a later leg; queues not counted). If none
    /// does, the fastest.
    Deadline(Duration),
    /// The cheapest mode (by the costs of legs; the first listed among equals) that still
    /// lets the patient meet a vein-to-vein deadline: arrival plus `.0`, against now plus
    /// the mode's mean plus the mean work of the later steps with their legs in their
    /// fastest modes (so an early leg may go slow and cheap when a later one can make up
    /// the time). If none does, the fastest. Needs costs.
    Cheapest(Duration),
}

/// Why a plant cannot make a patient's product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unfit {
    /// Step `.0` cannot run at site `.1` (it has no kind there).
    NoKind(usize, usize),
    /// Transport step `.0` has no lane from site `.1` to site `.2` (or they are one site).
    NoLane(usize, usize, usize),
    /// Transport step `.0`'s lane from `.1` to `.2` has no mode within its fresh limit.
    TooSlow(usize, usize, usize),
}

/// A patient's sites: where collected, where treated, which plant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sites {
    /// Collection site.
    pub collection: usize,
    /// Treatment site.
    pub treatment: usize,
    /// Plant.
    pub plant: usize,
}

impl Sites {
    /// The site a place names.
    pub fn of(self, place: Place) -> usize {
        match place {
            Place::Collection => self.collection,
            Place::Treatment => self.treatment,
            Place::Plant => self.plant,
            Place::Site(s) => s,
        }
    }
}

/// The modes of lane `lane` a leg may take: those whose mean duration is within `limit`.
pub fn admissible(lane: &LaneSpec, limit: Option<Duration>) -> impl Iterator<Item = usize> + '_ {
    let max = limit.map_or(f64::INFINITY, |d| d.ticks() as f64);
    (0..lane.modes.len()).filter(move |&m| lane.modes[m].task.duration.mean() <= max)
}

impl super::Spec {
    /// Whether product `p`'s patients at `sites` can be made there: every located step
    /// has a kind at its site, every transport leg a lane with a mode within its fresh
    /// limit (ignored when `limits` is false). The first reason it cannot, if any.
    pub fn fit(&self, p: usize, sites: Sites, limits: bool) -> Result<(), Unfit> {
        let net = &self.network;
        for (i, s) in self.products[p].steps.iter().enumerate() {
            if let At::Sited(place, kinds) = &s.at {
                let site = sites.of(*place);
                if kinds.get(site).is_none_or(Option::is_none) {
                    return Err(Unfit::NoKind(i, site));
                }
            }
            if let StepKind::Transport(t) = &s.kind {
                let (from, to) = (sites.of(t.from), sites.of(t.to));
                let lane = net.lane(from, to).ok_or(Unfit::NoLane(i, from, to))?;
                let limit = if limits { t.fresh_limit } else { None };
                if admissible(&net.lanes[lane], limit).next().is_none() {
                    return Err(Unfit::TooSlow(i, from, to));
                }
            }
        }
        Ok(())
    }

    /// Inbound time of product `p`'s patients at `sites`, in ticks: over the transport
    /// legs that end at the plant, the mean duration of the lane's fastest admissible
    /// mode. Call only for sites that [`fit`](Self::fit).
    pub fn inbound(&self, p: usize, sites: Sites) -> f64 {
        let net = &self.network;
        self.products[p]
            .steps
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::Transport(t) if t.to == Place::Plant => {
                    let lane = &net.lanes[net.lane(sites.of(t.from), sites.of(t.to))?];
                    admissible(lane, t.fresh_limit)
                        .map(|m| lane.modes[m].task.duration.mean())
                        .reduce(f64::min)
                }
                _ => None,
            })
            .sum()
    }

    /// Product `p`'s chain for a patient of `sites` as planned, with no queues: the mean
    /// time (ticks) from the start of step `from` to the end of the chain, and the
    /// variable cost of the whole chain there (legs, assay runs, resources' uses and
    /// hours held over each step's mean work; materials and fixed costs left out, as they
    /// do not depend on the plant). Each step takes its mean work (an assay step its
    /// longest assay), each leg the mode the mode choice picks from the patient's arrival
    /// on (by [`ModeChoice::Deadline`], the later steps' means with their legs' first
    /// modes; by [`ModeChoice::Cheapest`], with their fastest). Call for sites that [`fit`](Self::fit).
    pub fn plan(&self, p: usize, sites: Sites, from: usize) -> (f64, f64) {
        let net = &self.network;
        let costs = self.costs.as_ref();
        let steps = &self.products[p].steps;
        // A step's kind at its site.
        fn kind_at(s: &super::StepSpec, sites: Sites) -> Option<&StepKind> {
            match &s.at {
                At::Listed => Some(&s.kind),
                At::Sited(place, kinds) => kinds.get(sites.of(*place))?.as_ref(),
            }
        }
        let kind = |s| kind_at(s, sites);
        let lane = |t: &super::Transport| net.lane(sites.of(t.from), sites.of(t.to));
        let task_cost = |t: &Task| -> f64 {
            let Some(c) = costs else { return 0.0 };
            let hours =
                |d: &super::Dist| d.mean() / crate::engine::time::TICKS_PER_DAY as f64 * 24.0;
            let whole = hours(&t.duration);
            let touch = t.touch.as_ref().map_or(whole, hours);
            let price = |&(r, u): &(usize, u32), h: f64| {
                let rc = &c.resources[r];
                f64::from(u) * h * rc.per_hour_held + rc.per_use
            };
            t.uses.iter().map(|x| price(x, whole)).sum::<f64>()
                + t.touch_uses.iter().map(|x| price(x, touch)).sum::<f64>()
        };
        // The mean work of step `j` (a leg in its first admissible mode, or its fastest).
        let mean = |j: usize, fastest: bool| -> f64 {
            match &steps[j].kind {
                StepKind::Transport(t) => lane(t).map_or(0.0, |l| {
                    let l = &net.lanes[l];
                    let mut means =
                        admissible(l, t.fresh_limit).map(|m| l.modes[m].task.duration.mean());
                    match fastest {
                        true => means.reduce(f64::min),
                        false => means.next(),
                    }
                    .unwrap_or(0.0)
                }),
                _ => match kind(&steps[j]) {
                    Some(StepKind::Work(t, _)) => t.duration.mean(),
                    Some(StepKind::Assays(list)) => (list.iter())
                        .map(|a| a.task.duration.mean())
                        .fold(0.0, f64::max),
                    _ => 0.0,
                },
            }
        };
        let (mut elapsed, mut rest, mut cost) = (0.0, 0.0, 0.0);
        for (j, s) in steps.iter().enumerate() {
            let took = match &s.kind {
                StepKind::Transport(t) => {
                    let Some(li) = lane(t) else { continue };
                    let l = &net.lanes[li];
                    let means = |m: usize| l.modes[m].task.duration.mean();
                    let fastest = admissible(l, t.fresh_limit)
                        .reduce(|a, b| if means(b) < means(a) { b } else { a });
                    let mode = match net.modes {
                        ModeChoice::First => admissible(l, t.fresh_limit).next(),
                        ModeChoice::Fastest => fastest,
                        ModeChoice::Deadline(d) => {
                            let after: f64 = (j + 1..steps.len()).map(|j| mean(j, false)).sum();
                            admissible(l, t.fresh_limit)
                                .find(|&m| elapsed + means(m) + after <= d.ticks() as f64)
                                .or(fastest)
                        }
                        ModeChoice::Cheapest(d) => {
                            let after: f64 = (j + 1..steps.len()).map(|j| mean(j, true)).sum();
                            let price = |m: usize| costs.map_or(0.0, |c| c.legs[li][m]);
                            admissible(l, t.fresh_limit)
                                .filter(|&m| elapsed + means(m) + after <= d.ticks() as f64)
                                .reduce(|a, b| if price(b) < price(a) { b } else { a })
                                .or(fastest)
                        }
                    };
                    let Some(m) = mode else { continue };
                    cost += costs.map_or(0.0, |c| c.legs[li][m]) + task_cost(&l.modes[m].task);
                    means(m)
                }
                _ => match kind(s) {
                    Some(StepKind::Work(t, _)) => {
                        cost += task_cost(t);
                        t.duration.mean()
                    }
                    Some(StepKind::Assays(list)) => {
                        for a in list {
                            cost += task_cost(&a.task)
                                + costs.map_or(0.0, |c| {
                                    (c.assays.iter())
                                        .filter(|x| x.product == p && x.assay == a.name)
                                        .map(|x| x.per_run)
                                        .sum()
                                });
                        }
                        mean(j, false)
                    }
                    _ => 0.0,
                },
            };
            elapsed += took;
            if j >= from {
                rest += took;
            }
        }
        (rest, cost)
    }

    /// Closes the sites that lost a resource: a located step's kind at a site goes when
    /// it uses a resource of capacity 0 there (as a scenario file with that capacity
    /// compiles: a plant with no line is closed). For searches that set capacities on a
    /// compiled spec; kinds are never added back, so start from the original each time.
    pub fn close_empty_sites(&mut self) {
        let capacity: Vec<u32> = self.resources.iter().map(|r| r.capacity).collect();
        let empty = |k: &StepKind| -> bool {
            let tasks: Vec<&Task> = match k {
                StepKind::Work(t, _) => vec![t],
                StepKind::Assays(list) => list.iter().map(|a| &a.task).collect(),
                StepKind::Transport(_) => Vec::new(),
            };
            (tasks.iter())
                .flat_map(|t| t.uses.iter().chain(&t.touch_uses))
                .any(|&(r, _)| capacity[r] == 0)
        };
        for p in &mut self.products {
            for s in &mut p.steps {
                if let At::Sited(_, kinds) = &mut s.at {
                    for k in kinds.iter_mut() {
                        if k.as_ref().is_some_and(&empty) {
                            *k = None;
                        }
                    }
                }
            }
        }
    }

    /// True when product `p`'s chain needs a plant (a step at the plant, or a leg to or
    /// from it).
    pub fn needs_plant(&self, p: usize) -> bool {
        self.products[p].steps.iter().any(|s| {
            matches!(s.at, At::Sited(Place::Plant, _))
                || matches!(&s.kind, StepKind::Transport(t) if t.from == Place::Plant || t.to == Place::Plant)
        })
    }

    /// The step of product `p` whose first resource at the plant the wait-based routing
    /// rules read: the first work step located at the plant.
    pub fn routing_step(&self, p: usize) -> Option<usize> {
        self.products[p].steps.iter().position(|s| {
            matches!(s.at, At::Sited(Place::Plant, _)) && matches!(s.kind, StepKind::Work(..))
        })
    }
}
