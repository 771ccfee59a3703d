//! A network at run time: arrival sources per collection site, a patient's sites, the
//! routing rules choosing a plant, located steps resolved to the tasks of a site,
//! transport legs resolved to a lane and a mode, fresh limits, and the figures per site
//! and per plant. A one-site scenario has one source per product and no `NetRt`.
//!
//! This module must not parse files or print.

use super::{Chain, Ev, Facility, TaskPlan};
use crate::engine::stats::u128_to_f64;
use crate::engine::{Kernel, Rng, Tally, Time, TimeWeighted};
use crate::model::metrics::{LaneStat, SiteStat};
use crate::model::spec::{
    Arrivals, At, ModeChoice, Place, RouteAt, Routing, Sites, Spec, StepKind, StepSpec, Window,
    admissible,
};

/// No site (a one-site patient, or a plant not chosen yet).
pub(super) const NO_SITE: u16 = u16::MAX;

/// Where a product's arrivals come from: the product itself (one site), or its demand at
/// one collection site.
pub(super) struct SourceRt<'s> {
    pub product: u16,
    /// The arrivals and their window: the product's, or its demand's at one site.
    pub arrivals: &'s Arrivals,
    pub window: Option<Window>,
    pub collection: u16,
    pub treatment: u16,
    pub rng: Rng,
    /// Arrivals scheduled so far (the next one of a cohort or a dated list).
    pub issued: u64,
    /// Plants this source's patients may go to, with their inbound time in ticks, by
    /// inbound time then site order (ties go to the first).
    pub candidates: &'s [(u16, f64)],
    /// Routing by cost: per candidate, its planned time from the routing step on (ticks)
    /// and its variable cost ([`Spec::plan`](crate::model::Spec::plan)); empty otherwise.
    pub plans: &'s [(f64, f64)],
}

/// How a step of a chain finds its task: as listed, per site, or per lane and mode.
pub(super) enum StepRt {
    Listed,
    /// The task base of the step at each site (`u32::MAX`: cannot run there).
    Sited(Place, Vec<u32>),
    /// The task base of each lane (its modes follow in order).
    Transport(crate::model::spec::Transport, Vec<u32>),
}

/// Per product and collection site: flows and vein-to-vein in the window, and since the
/// start of the run.
#[derive(Default)]
pub(super) struct SiteRt {
    pub arrived: u64,
    pub completed: u64,
    pub lost: u64,
    pub spoiled: u64,
    pub v2v: Tally,
    pub life_arrived: u64,
    pub life_completed: u64,
    pub life_left: u64,
    /// Vein-to-vein of the infused since the start, in days.
    pub life_v2v_days: f64,
    /// Per milestone of the product: its times in days, and how many met the deadline.
    pub milestones: Vec<Tally>,
    pub milestones_on_time: Vec<u64>,
}

/// What a patient of a network has besides its `Entity` (kept apart so that entities of
/// one-site scenarios stay small to copy).
#[derive(Clone, Copy, Debug)]
pub(super) struct Sited {
    /// Its arrival source (collection and treatment sites; `NO_SITE`: not a patient of
    /// the network, such as a batch).
    pub source: u16,
    /// Its plant (`NO_SITE`: not chosen yet).
    pub plant: u16,
    /// Counted in its plant's committed patients (routed, routing step not over).
    pub committed: bool,
    /// On a leg of a lane (counted in the lane's load).
    pub in_transit: bool,
}

impl Sited {
    const NONE: Sited = Sited {
        source: NO_SITE,
        plant: NO_SITE,
        committed: false,
        in_transit: false,
    };
}

/// The network's run-time state.
pub(super) struct NetRt {
    /// Per entity slot.
    pub at: Vec<Sited>,
    pub n_sites: usize,
    /// `lane[from * n_sites + to]`: the lane's index, or `u16::MAX`.
    pub lane: Vec<u16>,
    /// Per product, the step the wait-based rules read (`u16::MAX`: none).
    pub route_step: Vec<u16>,
    /// Per product and plant `[p * n_sites + q]`: the capacity and the mean duration (in
    /// ticks) of the routing step's first resource there.
    pub route_cap: Vec<(u32, f64)>,
    /// Per plant: patients routed to it who have not finished the routing step.
    pub committed: Vec<u32>,
    /// Per arrival source (a product, or a product at one collection site).
    pub sites: Vec<SiteRt>,
    /// The arrival source of each product and collection site, `[p * n_sites + site]`
    /// (`u32::MAX`: none).
    pub by_site: Vec<u32>,
    /// Per product and plant: patients routed there in the window, and since the start.
    pub routed: Vec<u64>,
    pub life_routed: Vec<u64>,
    /// Per task: the lane and mode of a leg (`u16::MAX`: not a leg).
    pub task_leg: Vec<(u16, u16)>,
    /// Per task: its mean duration in ticks (mode choice by deadline), and a leg's fresh
    /// limit (a leg taking longer spoils the product).
    pub task_mean: Vec<f64>,
    pub task_limit: Vec<Option<crate::engine::Duration>>,
    /// Per lane.
    pub lanes: Vec<LaneRt>,
    /// [`Facility::mean_after`] as computed, NaN until first asked: it depends only on
    /// the patient's source, chain, step, plant and whether legs count at their fastest
    /// (the index is `mean_after`'s). Empty (nothing kept) for a network too large for
    /// the table.
    pub after: Vec<std::cell::Cell<f64>>,
}

/// Most entries of the table of [`NetRt::after`] (8 bytes each, 512 KB a replication).
/// A network of 100 sites, each collecting a product, with 10-step chains needs
/// 100 x 2 x 10 x 100 x 2 = 400,000: it computes the sum at every leg instead.
const MAX_AFTER: usize = 1 << 16;

/// A lane's legs: under way (time-weighted), and those that ended in the window.
pub(super) struct LaneRt {
    pub in_transit: TimeWeighted,
    pub legs: u64,
    pub ticks: u128,
    pub by_mode: Vec<u64>,
}

impl NetRt {
    /// The figures of entity slot `c`'s collection site, if it is a network's patient.
    pub(super) fn site_of_mut(&mut self, c: u32) -> Option<&mut SiteRt> {
        let source = self.at[c as usize].source;
        (source != NO_SITE).then(|| &mut self.sites[usize::from(source)])
    }

    /// The network's run-time state (`None` without a network); `max_steps`: the longest
    /// chain's steps, as the facility counts them; `sources`: the arrival sources.
    pub(super) fn new(spec: &Spec, max_steps: usize, sources: &[SourcePlan]) -> Option<NetRt> {
        let net = &spec.network;
        if net.is_empty() {
            return None;
        }
        let n = net.sites.len();
        let mut lane = vec![u16::MAX; n * n];
        for (i, l) in net.lanes.iter().enumerate() {
            lane[l.from * n + l.to] = i as u16;
        }
        let n_products = spec.products.len();
        let mut route_cap = vec![(0, 0.0); n_products * n];
        let mut route_step = vec![u16::MAX; n_products];
        for p in 0..n_products {
            let Some(step) = spec.routing_step(p) else {
                continue;
            };
            route_step[p] = step as u16;
            if let At::Sited(_, kinds) = &spec.products[p].steps[step].at {
                for (q, kind) in kinds.iter().enumerate() {
                    if let Some(StepKind::Work(t, _)) = kind {
                        let cap = t
                            .uses
                            .first()
                            .map_or(u32::MAX, |&(r, _)| spec.resources[r].capacity);
                        route_cap[p * n + q] = (cap, t.duration.mean());
                    }
                }
            }
        }
        let mut rt = NetRt {
            at: Vec::new(),
            n_sites: n,
            lane,
            route_step,
            route_cap,
            committed: vec![0; n],
            sites: spec
                .products
                .iter()
                .flat_map(|p| {
                    (0..p.demand.len().max(1)).map(|_| SiteRt {
                        milestones: p.milestones.iter().map(|_| Tally::new()).collect(),
                        milestones_on_time: vec![0; p.milestones.len()],
                        ..SiteRt::default()
                    })
                })
                .collect(),
            by_site: vec![u32::MAX; n_products * n],
            routed: vec![0; n_products * n],
            life_routed: vec![0; n_products * n],
            task_leg: Vec::new(),
            task_mean: Vec::new(),
            after: Vec::new(),
            task_limit: Vec::new(),
            lanes: net
                .lanes
                .iter()
                .map(|l| LaneRt {
                    in_transit: TimeWeighted::new(Time::ZERO, 0),
                    legs: 0,
                    ticks: 0,
                    by_mode: vec![0; l.modes.len()],
                })
                .collect(),
        };
        for (i, s) in sources.iter().enumerate() {
            if s.collection != NO_SITE {
                rt.by_site[usize::from(s.product) * n + usize::from(s.collection)] = i as u32;
            }
        }
        // Per source, chain, step, plant and fastest-or-not (see `mean_after`).
        let size = rt.sites.len() * 2 * max_steps * n * 2;
        if size <= MAX_AFTER {
            rt.after = vec![std::cell::Cell::new(f64::NAN); size];
        }
        Some(rt)
    }

    pub(super) fn reset(&mut self, now: Time) {
        for s in &mut self.sites {
            s.arrived = 0;
            s.completed = 0;
            s.lost = 0;
            s.spoiled = 0;
            s.v2v.reset();
            s.milestones.iter_mut().for_each(Tally::reset);
            s.milestones_on_time.fill(0);
        }
        self.routed.fill(0);
        for l in &mut self.lanes {
            l.in_transit.reset(now);
            l.legs = 0;
            l.ticks = 0;
            l.by_mode.fill(0);
        }
    }

    /// Marks the tasks of every transport step of `chains` with their lane, mode and fresh
    /// limit, and keeps every task's mean duration.
    pub(super) fn map_legs(&mut self, spec: &Spec, chains: &[&[StepRt]], tasks: &[TaskPlan]) {
        self.task_leg = vec![(u16::MAX, u16::MAX); tasks.len()];
        self.task_limit = vec![None; tasks.len()];
        self.task_mean = tasks.iter().map(|t| t.duration.mean()).collect();
        for steps in chains {
            for st in steps.iter() {
                if let StepRt::Transport(t, bases) = st {
                    for (l, &base) in bases.iter().enumerate() {
                        for m in 0..spec.network.lanes[l].modes.len() {
                            self.task_leg[base as usize + m] = (l as u16, m as u16);
                            self.task_limit[base as usize + m] = t.fresh_limit;
                        }
                    }
                }
            }
        }
    }
}

/// An arrival source as every replication starts it: per product, its own arrivals, or
/// one per site of its demand, with the name of its stream and the plants its patients
/// may go to.
pub(super) struct SourcePlan {
    product: u16,
    /// The product's demand at one site (its index in `demand`), or `None`: the product's
    /// own arrivals.
    demand: Option<usize>,
    collection: u16,
    treatment: u16,
    stream: u64,
    candidates: Vec<(u16, f64)>,
    plans: Vec<(f64, f64)>,
}

/// The arrival sources of `spec` (streams named by product and site).
pub(super) fn source_plans(spec: &Spec) -> Vec<SourcePlan> {
    use crate::engine::SourceName;
    let product = |name: &str| SourceName::new().and("products.").and(name);
    let mut out = Vec::new();
    for (pi, p) in spec.products.iter().enumerate() {
        if p.demand.is_empty() {
            out.push(SourcePlan {
                product: pi as u16,
                demand: None,
                collection: NO_SITE,
                treatment: NO_SITE,
                stream: product(&p.name).and(".arrivals").id(),
                candidates: Vec::new(),
                plans: Vec::new(),
            });
            continue;
        }
        for (di, d) in p.demand.iter().enumerate() {
            let site = &spec.network.sites[d.site].name;
            let treatment = d.treated_at.unwrap_or(d.site);
            let mut candidates: Vec<(u16, f64)> = Vec::new();
            let mut plans = Vec::new();
            if spec.needs_plant(pi) {
                let sites = |plant| Sites {
                    collection: d.site,
                    treatment,
                    plant,
                };
                let plants: Vec<usize> = match &spec.network.routing {
                    Routing::Fixed(table) => table[d.site].into_iter().collect(),
                    _ => spec.network.plants().collect(),
                };
                candidates = plants
                    .into_iter()
                    .filter(|&q| spec.fit(pi, sites(q), true).is_ok())
                    .map(|q| (q as u16, spec.inbound(pi, sites(q))))
                    .collect();
                // Stable: equal inbound times keep site order.
                candidates.sort_by(|a, b| a.1.total_cmp(&b.1));
                if matches!(spec.network.routing, Routing::Cheapest(_)) {
                    // Planned from where the plant is chosen: arrival, or the first step
                    // that needs it.
                    let from = match spec.network.route_at {
                        RouteAt::Arrival => 0,
                        RouteAt::Dispatch => p.steps.iter().position(needs_plant).unwrap_or(0),
                    };
                    plans = (candidates.iter())
                        .map(|&(q, _)| spec.plan(pi, sites(usize::from(q)), from))
                        .collect();
                }
            }
            out.push(SourcePlan {
                product: pi as u16,
                demand: Some(di),
                collection: d.site as u16,
                treatment: treatment as u16,
                stream: (product(&p.name).and(".demand.").and(site))
                    .and(".arrivals")
                    .id(),
                candidates,
                plans,
            });
        }
    }
    out
}

/// The arrival sources of one replication, drawing from `streams`.
pub(super) fn sources<'s>(
    spec: &'s Spec,
    plans: &'s [SourcePlan],
    streams: &crate::engine::Streams,
) -> Vec<SourceRt<'s>> {
    plans
        .iter()
        .map(|s| {
            let p = &spec.products[usize::from(s.product)];
            let (arrivals, window) = match s.demand {
                None => (&p.arrivals, p.window),
                Some(d) => (&p.demand[d].arrivals, p.demand[d].window),
            };
            SourceRt {
                product: s.product,
                arrivals,
                window,
                collection: s.collection,
                treatment: s.treatment,
                rng: streams.stream(s.stream),
                issued: 0,
                candidates: &s.candidates,
                plans: &s.plans,
            }
        })
        .collect()
}

impl Facility<'_> {
    /// Entity slot `c` starts a new entity: not of the network until it arrives at a site.
    #[inline]
    pub(super) fn new_sited(&mut self, c: u32) {
        let net = self.net.as_mut().expect("a network");
        if net.at.len() <= c as usize {
            net.at.resize(c as usize + 1, Sited::NONE);
        }
        net.at[c as usize] = Sited::NONE;
    }

    /// Entity `c`'s network state.
    #[inline]
    pub(super) fn sited(&self, c: u32) -> Sited {
        self.net.as_ref().map_or(Sited::NONE, |n| n.at[c as usize])
    }

    fn sited_mut(&mut self, c: u32) -> &mut Sited {
        &mut self.net.as_mut().expect("a network").at[c as usize]
    }

    /// The patient's sites (call once the plant is chosen, or for places not the plant).
    pub(super) fn sites_of(&self, c: u32) -> Sites {
        let e = self.sited(c);
        let src = &self.sources[usize::from(e.source)];
        Sites {
            collection: usize::from(src.collection),
            treatment: usize::from(src.treatment),
            plant: usize::from(e.plant),
        }
    }

    /// Chooses patient `c`'s plant by the routing rule, among its source's candidates.
    pub(super) fn route(&mut self, c: u32, now: Time) {
        let spec = self.spec;
        let net = self.net.as_mut().expect("routing needs a network");
        let src = &self.sources[usize::from(net.at[c as usize].source)];
        let p = usize::from(src.product);
        let n = net.n_sites;
        let elapsed = now.since(self.entities[c as usize].arrived).ticks() as f64;
        // Lower is better, compared in order.
        let score = |i: usize| -> (f64, f64) {
            let (q, inbound) = src.candidates[i];
            let (cap, mean) = net.route_cap[p * n + usize::from(q)];
            let load = f64::from(net.committed[usize::from(q)]);
            let cap = f64::from(cap);
            let wait = (load + 1.0 - cap).max(0.0) * mean / cap;
            match spec.network.routing {
                Routing::ShortestWait => (inbound + wait, 0.0),
                Routing::MostFree => (load - cap, 0.0),
                Routing::Fixed(_) | Routing::Nearest => (0.0, 0.0),
                Routing::Cheapest(deadline) => {
                    let (rest, cost) = src.plans[i];
                    let expected = elapsed + rest + wait;
                    match expected <= deadline.ticks() as f64 {
                        true => (0.0, cost),
                        false => (1.0, expected),
                    }
                }
            }
        };
        let mut best = 0;
        let mut best_score = score(0);
        for i in 1..src.candidates.len() {
            let s = score(i);
            if s < best_score {
                (best, best_score) = (i, s);
            }
        }
        let q = src.candidates[best].0;
        net.at[c as usize].plant = q;
        if net.route_step[p] != u16::MAX {
            net.at[c as usize].committed = true;
            net.committed[usize::from(q)] += 1;
        }
        net.life_routed[p * n + usize::from(q)] += 1;
        if now >= self.spec.warmup_end() {
            net.routed[p * n + usize::from(q)] += 1;
        }
    }

    /// The routing step of patient `c` is over (or the patient left before its end): its
    /// plant has one committed patient fewer.
    pub(super) fn uncommit(&mut self, c: u32) {
        let net = self
            .net
            .as_mut()
            .expect("committed patients have a network");
        let e = &mut net.at[c as usize];
        if e.committed {
            e.committed = false;
            net.committed[usize::from(e.plant)] -= 1;
        }
    }

    /// The first task of step `step` of entity `c`, its site or lane and mode resolved (a
    /// leg's mode chosen now if `choose`, else its first admissible mode).
    pub(super) fn resolve(&self, c: u32, step: usize, choose: bool, now: Time) -> usize {
        let e = &self.entities[c as usize];
        let base = self.plans[e.plan_at as usize + step].task as usize;
        match &self.blueprint.step_at(e.product, e.chain)[step] {
            StepRt::Listed => base,
            StepRt::Sited(place, bases) => bases[self.sites_of(c).of(*place)] as usize,
            StepRt::Transport(t, bases) => {
                let net = self.net.as_ref().expect("transport needs a network");
                let sites = self.sites_of(c);
                let (from, to) = (sites.of(t.from), sites.of(t.to));
                let lane_index = usize::from(net.lane[from * net.n_sites + to]);
                let lane = &self.spec.network.lanes[lane_index];
                let first = bases[lane_index] as usize;
                let mut modes = admissible(lane, t.fresh_limit);
                let fastest = || {
                    admissible(lane, t.fresh_limit)
                        .reduce(|a, b| {
                            if net.task_mean[first + b] < net.task_mean[first + a] {
                                b
                            } else {
                                a
                            }
                        })
                        .expect("a fitting lane has an admissible mode")
                };
                let mode = match (choose, self.spec.network.modes) {
                    (false, _) | (true, ModeChoice::First) => {
                        modes.next().expect("a fitting lane has an admissible mode")
                    }
                    (true, ModeChoice::Fastest) => fastest(),
                    (true, ModeChoice::Cheapest(d)) => {
                        let target = (e.arrived + d).ticks() as f64;
                        let after = self.mean_after(c, step, now, true);
                        let start = now.ticks() as f64;
                        let legs = &self.spec.costs.as_ref().expect("checked: priced").legs;
                        let price = |m: usize| legs[lane_index][m];
                        modes
                            .filter(|&m| start + net.task_mean[first + m] + after <= target)
                            .reduce(|a, b| if price(b) < price(a) { b } else { a })
                            .unwrap_or_else(fastest)
                    }
                    (true, ModeChoice::Deadline(d)) => {
                        let target = (e.arrived + d).ticks() as f64;
                        let after = self.mean_after(c, step, now, false);
                        let start = now.ticks() as f64;
                        modes
                            .find(|&m| start + net.task_mean[first + m] + after <= target)
                            .unwrap_or_else(fastest)
                    }
                };
                first + mode
            }
        }
    }

    /// The mean work of the steps of `c`'s chain after `step`, in ticks (queues not
    /// counted): a task's mean, an assay step's longest assay, a leg's first mode (or
    /// its fastest, if `fastest`).
    fn mean_after(&self, c: u32, step: usize, now: Time, fastest: bool) -> f64 {
        let e = &self.entities[c as usize];
        let net = self.net.as_ref().expect("legs need a network");
        let at = net.at[c as usize];
        let key = (at.source != NO_SITE && at.plant != NO_SITE).then(|| {
            let chain = usize::from(e.chain == Chain::Delivery);
            let row = (usize::from(at.source) * 2 + chain) * self.max_steps + step;
            (row * net.n_sites + usize::from(at.plant)) * 2 + usize::from(fastest)
        });
        let kept = key.and_then(|i| net.after.get(i));
        if let Some(v) = kept.map(|v| v.get()).filter(|v| !v.is_nan()) {
            return v;
        }
        let steps = self.steps(e.product, e.chain);
        let sum = (step + 1..steps.len())
            .map(|j| {
                let base = self.resolve(c, j, false, now);
                match &steps[j].kind {
                    StepKind::Assays(list) => (0..list.len())
                        .map(|a| net.task_mean[base + a])
                        .fold(0.0, f64::max),
                    StepKind::Transport(t) if fastest => {
                        // The lane's modes follow its first one: `base` less the mode.
                        let (lane, mode) = net.task_leg[base];
                        let first = base - usize::from(mode);
                        admissible(&self.spec.network.lanes[usize::from(lane)], t.fresh_limit)
                            .map(|m| net.task_mean[first + m])
                            .fold(f64::INFINITY, f64::min)
                    }
                    _ => net.task_mean[base],
                }
            })
            .sum();
        if let Some(v) = kept {
            v.set(sum);
        }
        sum
    }
}

/// True when a step of this kind needs the patient's plant.
pub(super) fn needs_plant(s: &StepSpec) -> bool {
    matches!(s.at, At::Sited(Place::Plant, _))
        || matches!(&s.kind, StepKind::Transport(t) if t.from == Place::Plant || t.to == Place::Plant)
}

impl Facility<'_> {
    /// Patient `c` of source `si` arrives at its collection site (routed now if the
    /// network routes at arrival).
    pub(super) fn arrive_at_site(&mut self, c: u32, si: u16, now: Time) {
        self.sited_mut(c).source = si;
        let net = self.net.as_mut().expect("sites need a network");
        let rt = &mut net.sites[usize::from(si)];
        rt.life_arrived += 1;
        if now >= self.spec.warmup_end() {
            rt.arrived += 1;
        }
        if self.spec.network.route_at == crate::model::spec::RouteAt::Arrival
            && !self.sources[usize::from(si)].candidates.is_empty()
        {
            self.route(c, now);
        }
    }

    /// Patient `c` (of a network) leaves: completed (infused) or not, counted at its
    /// collection site; its plant no longer waits for it.
    pub(super) fn leave_site(&mut self, c: u32, completed: bool, now: Time) {
        self.uncommit(c);
        self.leg_ends(c, false, now);
        let (e, source) = (self.entities[c as usize], self.sited(c).source);
        if source == NO_SITE || e.chain != Chain::Main {
            return;
        }
        let net = self.net.as_mut().expect("sites need a network");
        let rt = &mut net.sites[usize::from(source)];
        if completed {
            rt.life_completed += 1;
            rt.life_v2v_days += now.since(e.arrived).as_days();
        } else {
            rt.life_left += 1;
        }
        if now >= self.spec.warmup_end() {
            if completed {
                rt.completed += 1;
                rt.v2v.record(now.since(e.arrived).as_days());
            } else {
                rt.lost += 1;
            }
        }
    }

    /// Patient `c`'s product travelled longer than its fresh limit: it is lost.
    pub(super) fn spoil(&mut self, c: u32, k: &mut Kernel<Ev>) {
        let source = self.sited(c).source;
        if k.now() >= self.spec.warmup_end() && source != NO_SITE {
            let net = self.net.as_mut().expect("legs need a network");
            net.sites[usize::from(source)].spoiled += 1;
        }
        self.lose(c, k);
    }

    /// Patient `c` ended step `step`: if it is its product's routing step, its plant no
    /// longer waits for it.
    #[inline]
    pub(super) fn step_over(&mut self, c: u32, step: u16) {
        if let Some(net) = &self.net {
            let product = self.entities[c as usize].product;
            if net.at[c as usize].committed && net.route_step[usize::from(product)] == step {
                self.uncommit(c);
            }
        }
    }
}

impl Facility<'_> {
    /// The arrival source of product `p`'s patients collected at `site`.
    pub(super) fn source_at(&self, p: usize, site: usize) -> usize {
        let net = self.net.as_ref().expect("sites have a network");
        match net.by_site[p * net.n_sites + site] {
            u32::MAX => panic!("product {p} has no demand at site {site}"),
            source => source as usize,
        }
    }

    /// The figures of product `p`'s patients collected at `site`.
    pub(super) fn site_rt(&self, p: usize, site: usize) -> &SiteRt {
        &self.net.as_ref().expect("sites have a network").sites[self.source_at(p, site)]
    }

    /// Statistic `stat` of product `p`'s patients collected at `site`.
    pub(super) fn site_value(&self, p: usize, site: usize, stat: SiteStat) -> f64 {
        let rt = self.site_rt(p, site);
        match stat {
            SiteStat::Arrived => rt.arrived as f64,
            SiteStat::Completed => rt.completed as f64,
            SiteStat::Lost => rt.lost as f64,
            SiteStat::Spoiled => rt.spoiled as f64,
            SiteStat::WipEnd => (rt.life_arrived - rt.life_completed - rt.life_left) as f64,
            SiteStat::V2vMean => rt.v2v.mean(),
            SiteStat::V2vP50 => rt.v2v.quantile(0.5),
            SiteStat::V2vP90 => rt.v2v.quantile(0.9),
            SiteStat::V2vP95 => rt.v2v.quantile(0.95),
        }
    }

    /// Per product and collection site: patients collected, infused and gone otherwise
    /// since the start of the run, and in the network now (counted entity by entity), for
    /// conservation checks.
    pub fn site_ledgers(&self) -> Vec<(usize, usize, [u64; 4])> {
        let Some(net) = &self.net else {
            return Vec::new();
        };
        let mut now = vec![0u64; net.sites.len()];
        for (c, e) in self.entities.iter().enumerate() {
            let source = net.at[c].source;
            if e.live && source != NO_SITE && e.chain == Chain::Main {
                now[usize::from(source)] += 1;
            }
        }
        let mut out = Vec::new();
        for (i, src) in self.sources.iter().enumerate() {
            if src.collection != NO_SITE {
                let rt = &net.sites[i];
                out.push((
                    usize::from(src.product),
                    usize::from(src.collection),
                    [rt.life_arrived, rt.life_completed, rt.life_left, now[i]],
                ));
            }
        }
        out
    }
}

impl Facility<'_> {
    /// Entity `c` starts a step with task `task`: if a leg, it is under way on its lane.
    #[inline]
    pub(super) fn leg_starts(&mut self, c: u32, task: usize, now: Time) {
        let net = self.net.as_mut().expect("legs need a network");
        let (lane, _) = net.task_leg[task];
        if lane != u16::MAX {
            net.lanes[usize::from(lane)].in_transit.increment(now);
            net.at[c as usize].in_transit = true;
        }
    }

    /// Entity `c`'s leg ends now (arrived, or abandoned when `arrived` is false).
    pub(super) fn leg_ends(&mut self, c: u32, arrived: bool, now: Time) {
        let (task, start) = {
            let e = &self.entities[c as usize];
            (e.task as usize, e.step_start)
        };
        let in_window = now >= self.spec.warmup_end();
        let net = self.net.as_mut().expect("legs need a network");
        if !net.at[c as usize].in_transit {
            return;
        }
        net.at[c as usize].in_transit = false;
        let (lane, mode) = net.task_leg[task];
        let rt = &mut net.lanes[usize::from(lane)];
        rt.in_transit.decrement(now);
        if arrived && in_window {
            rt.legs += 1;
            rt.ticks += u128::from(now.since(start).ticks());
            rt.by_mode[usize::from(mode)] += 1;
            if let (Some(l), Some(c_)) = (&mut self.ledger, &self.spec.costs) {
                l.leg(c, c_.legs[usize::from(lane)][usize::from(mode)]);
            }
        }
    }

    /// Entity `c`'s work on task `ti` ended: if a leg, it has arrived, and if it took
    /// longer than its fresh limit the product is spoiled (the patient lost; true).
    pub(super) fn leg_over(&mut self, c: u32, ti: usize, k: &mut Kernel<Ev>) -> bool {
        self.leg_ends(c, true, k.now());
        let limit = self.net.as_ref().expect("legs need a network").task_limit[ti];
        let started = self.entities[c as usize].step_start;
        if limit.is_some_and(|limit| k.now().since(started) > limit) {
            self.spoil(c, k);
            return true;
        }
        false
    }

    /// Statistic `stat` of lane `lane`.
    pub(super) fn lane_value(&self, lane: usize, stat: LaneStat, now: Time) -> f64 {
        let rt = &self.net.as_ref().expect("lanes have a network").lanes[lane];
        match stat {
            LaneStat::Legs => rt.legs as f64,
            LaneStat::TimeMean => {
                u128_to_f64(rt.ticks) / crate::engine::time::TICKS_PER_DAY as f64 / rt.legs as f64
            }
            LaneStat::InTransitMean => rt.in_transit.mean(now),
        }
    }

    /// Legs of lane `lane` that took mode `mode` in the window.
    pub(super) fn lane_mode_value(&self, lane: usize, mode: usize) -> f64 {
        self.net.as_ref().expect("lanes have a network").lanes[lane].by_mode[mode] as f64
    }
}
