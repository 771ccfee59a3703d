//! A network at run time: arrival sources per collection site, a patient's sites, the
//! routing rules choosing a plant, located steps resolved to the tasks of a site,
//! transport legs resolved to a lane and a mode, fresh limits, and the figures per site
//! and per plant. A one-site scenario has one source per product and no `NetRt`.
//!
//! This module must not parse files or print.

use super::{Chain, Ev, Facility};
use crate::engine::{Kernel, Rng, Tally, Time};
use crate::model::metrics::SiteStat;
use crate::model::spec::{
    At, ModeChoice, Place, Routing, Sites, Spec, StepKind, StepSpec, admissible,
};

/// No site (a one-site patient, or a plant not chosen yet).
pub(super) const NO_SITE: u16 = u16::MAX;

/// Where a product's arrivals come from: the product itself (one site), or its demand at
/// one collection site.
pub(super) struct SourceRt {
    pub product: u16,
    /// Index into the product's `demand`, if a network source.
    pub demand: Option<u16>,
    pub collection: u16,
    pub treatment: u16,
    pub rng: Rng,
    /// Arrivals scheduled so far (the next one of a cohort or a dated list).
    pub issued: u64,
    /// Plants this source's patients may go to, with their inbound time in ticks, by
    /// inbound time then site order (ties go to the first).
    pub candidates: Vec<(u16, f64)>,
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
}

/// The network's run-time state.
pub(super) struct NetRt {
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
    /// Per product and site `[p * n_sites + s]`.
    pub sites: Vec<SiteRt>,
    /// Per product and plant: patients routed there in the window, and since the start.
    pub routed: Vec<u64>,
    pub life_routed: Vec<u64>,
}

impl NetRt {
    pub(super) fn new(spec: &Spec) -> Option<NetRt> {
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
        Some(NetRt {
            n_sites: n,
            lane,
            route_step,
            route_cap,
            committed: vec![0; n],
            sites: (0..n_products * n).map(|_| SiteRt::default()).collect(),
            routed: vec![0; n_products * n],
            life_routed: vec![0; n_products * n],
        })
    }

    pub(super) fn reset(&mut self) {
        for s in &mut self.sites {
            s.arrived = 0;
            s.completed = 0;
            s.lost = 0;
            s.spoiled = 0;
            s.v2v.reset();
        }
        self.routed.fill(0);
    }
}

/// The arrival sources of `spec`: per product, its own arrivals, or one per site of its
/// demand (streams named by product and site).
pub(super) fn sources(spec: &Spec, streams: &crate::engine::Streams) -> Vec<SourceRt> {
    use crate::engine::source_id;
    let mut out = Vec::new();
    for (pi, p) in spec.products.iter().enumerate() {
        if p.demand.is_empty() {
            out.push(SourceRt {
                product: pi as u16,
                demand: None,
                collection: NO_SITE,
                treatment: NO_SITE,
                rng: streams.stream(source_id(&format!("products.{}.arrivals", p.name))),
                issued: 0,
                candidates: Vec::new(),
            });
            continue;
        }
        for (di, d) in p.demand.iter().enumerate() {
            let site = &spec.network.sites[d.site].name;
            let treatment = d.treated_at.unwrap_or(d.site);
            let mut candidates: Vec<(u16, f64)> = Vec::new();
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
            }
            out.push(SourceRt {
                product: pi as u16,
                demand: Some(di as u16),
                collection: d.site as u16,
                treatment: treatment as u16,
                rng: streams.stream(source_id(&format!(
                    "products.{}.demand.{site}.arrivals",
                    p.name
                ))),
                issued: 0,
                candidates,
            });
        }
    }
    out
}

impl Facility<'_> {
    /// The patient's sites (call once the plant is chosen, or for places not the plant).
    fn sites_of(&self, c: u32) -> Sites {
        let e = &self.entities[c as usize];
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
        let src = &self.sources[usize::from(self.entities[c as usize].source)];
        let p = usize::from(src.product);
        let n = net.n_sites;
        let score = |q: u16, inbound: f64| -> f64 {
            let (cap, mean) = net.route_cap[p * n + usize::from(q)];
            let load = f64::from(net.committed[usize::from(q)]);
            let cap = f64::from(cap);
            match spec.network.routing {
                Routing::ShortestWait => inbound + (load + 1.0 - cap).max(0.0) * mean / cap,
                Routing::MostFree => load - cap,
                Routing::Fixed(_) | Routing::Nearest => 0.0,
            }
        };
        let mut best = src.candidates[0];
        let mut best_score = score(best.0, best.1);
        for &(q, inbound) in &src.candidates[1..] {
            let s = score(q, inbound);
            if s < best_score {
                (best, best_score) = ((q, inbound), s);
            }
        }
        let q = best.0;
        let e = &mut self.entities[c as usize];
        e.plant = q;
        if net.route_step[p] != u16::MAX {
            e.committed = true;
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
        let e = &mut self.entities[c as usize];
        if e.committed {
            e.committed = false;
            let net = self
                .net
                .as_mut()
                .expect("committed patients have a network");
            net.committed[usize::from(e.plant)] -= 1;
        }
    }

    /// The first task of step `step` of entity `c`, its site or lane and mode resolved (a
    /// leg's mode chosen now if `choose`, else its first admissible mode).
    pub(super) fn resolve(&self, c: u32, step: usize, choose: bool, now: Time) -> usize {
        let e = &self.entities[c as usize];
        let ch = &self.products[e.product as usize].chains[e.chain as usize];
        let base = ch.step_task[step];
        match &ch.step_at[step] {
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
                            if self.tasks[first + b].mean < self.tasks[first + a].mean {
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
                    (true, ModeChoice::Deadline(d)) => {
                        let target = (e.arrived + d).ticks() as f64;
                        let after = self.mean_after(c, step, now);
                        let start = now.ticks() as f64;
                        modes
                            .find(|&m| start + self.tasks[first + m].mean + after <= target)
                            .unwrap_or_else(fastest)
                    }
                };
                first + mode
            }
        }
    }

    /// The mean work of the steps of `c`'s chain after `step`, in ticks (queues not
    /// counted): a task's mean, an assay step's longest assay, a leg's first mode.
    fn mean_after(&self, c: u32, step: usize, now: Time) -> f64 {
        let e = &self.entities[c as usize];
        let steps = self.steps(e.product, e.chain);
        (step + 1..steps.len())
            .map(|j| {
                let base = self.resolve(c, j, false, now);
                match &steps[j].kind {
                    StepKind::Assays(list) => (0..list.len())
                        .map(|a| self.tasks[base + a].mean)
                        .fold(0.0, f64::max),
                    _ => self.tasks[base].mean,
                }
            })
            .sum()
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
        self.entities[c as usize].source = si;
        let src = &self.sources[usize::from(si)];
        let (p, site) = (usize::from(src.product), usize::from(src.collection));
        let net = self.net.as_mut().expect("sites need a network");
        let rt = &mut net.sites[p * net.n_sites + site];
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
        let e = self.entities[c as usize];
        if e.source == NO_SITE || e.chain != Chain::Main {
            return;
        }
        let src = &self.sources[usize::from(e.source)];
        let (p, site) = (usize::from(src.product), usize::from(src.collection));
        let net = self.net.as_mut().expect("sites need a network");
        let rt = &mut net.sites[p * net.n_sites + site];
        if completed {
            rt.life_completed += 1;
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
        let e = self.entities[c as usize];
        if k.now() >= self.spec.warmup_end() && e.source != NO_SITE {
            let src = &self.sources[usize::from(e.source)];
            let (p, site) = (usize::from(src.product), usize::from(src.collection));
            let net = self.net.as_mut().expect("legs need a network");
            net.sites[p * net.n_sites + site].spoiled += 1;
        }
        self.lose(c, k);
    }

    /// Patient `c` ended step `step`: if it is its product's routing step, its plant no
    /// longer waits for it.
    #[inline]
    pub(super) fn step_over(&mut self, c: u32, step: u16) {
        if let Some(net) = &self.net {
            let e = &self.entities[c as usize];
            if e.committed && net.route_step[usize::from(e.product)] == step {
                self.uncommit(c);
            }
        }
    }
}

impl Facility<'_> {
    /// Statistic `stat` of product `p`'s patients collected at `site`.
    pub(super) fn site_value(&self, p: usize, site: usize, stat: SiteStat) -> f64 {
        let net = self.net.as_ref().expect("sites have a network");
        let rt = &net.sites[p * net.n_sites + site];
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
            if self.live[c] && e.source != NO_SITE && e.chain == Chain::Main {
                let src = &self.sources[usize::from(e.source)];
                now[usize::from(src.product) * net.n_sites + usize::from(src.collection)] += 1;
            }
        }
        let mut out = Vec::new();
        for (p, spec_p) in self.spec.products.iter().enumerate() {
            for d in &spec_p.demand {
                let i = p * net.n_sites + d.site;
                let rt = &net.sites[i];
                out.push((
                    p,
                    d.site,
                    [rt.life_arrived, rt.life_completed, rt.life_left, now[i]],
                ));
            }
        }
        out
    }
}
