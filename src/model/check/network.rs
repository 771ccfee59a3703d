//! The checks of a network: sites, lanes, demand per site, located and transport steps,
//! and routing (every patient has a plant that can make their product, every fixed
//! assignment is one, every plant is reachable within the fresh limits).
//!
//! This module must not parse text or know file formats.

use super::{Errors, check_name};
use crate::model::spec::{
    At, ModeChoice, Place, ProductSpec, RouteAt, Routing, SiteKind, Sites, Spec, StepKind,
    StepSpec, Unfit,
};

/// Two kinds have one shape: the same kind of step, with the same assays.
fn same_shape(a: &StepKind, b: &StepKind) -> bool {
    match (a, b) {
        (StepKind::Work(_, fa), StepKind::Work(_, fb)) => fa == fb,
        (StepKind::Assays(x), StepKind::Assays(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(a, b)| a.name == b.name && a.failure == b.failure)
        }
        _ => false,
    }
}

impl Spec {
    fn site_name(&self, s: usize) -> String {
        self.network
            .sites
            .get(s)
            .map_or_else(|| format!("#{s}"), |x| format!("`{}`", x.name))
    }

    /// What an [`Unfit`] means, for a message.
    fn unfit(&self, p: &ProductSpec, why: Unfit) -> String {
        match why {
            Unfit::NoKind(step, site) => format!(
                "step `{}` cannot run at {} (it lacks a resource the step uses, or has none of it)",
                p.steps[step].name,
                self.site_name(site)
            ),
            Unfit::NoLane(step, from, to) if from == to => format!(
                "transport step `{}` would go from {} to itself",
                p.steps[step].name,
                self.site_name(from)
            ),
            Unfit::NoLane(step, from, to) => format!(
                "transport step `{}` needs a lane from {} to {}, and there is none",
                p.steps[step].name,
                self.site_name(from),
                self.site_name(to)
            ),
            Unfit::TooSlow(step, from, to) => format!(
                "no mode of the lane from {} to {} is within the fresh limit of transport step `{}`",
                self.site_name(from),
                self.site_name(to),
                p.steps[step].name
            ),
        }
    }

    pub(super) fn check_network(&self, e: &mut Errors) {
        let net = &self.network;
        let n = net.sites.len();
        for (i, s) in net.sites.iter().enumerate() {
            let taken = net.sites[..i].iter().any(|q| q.name == s.name);
            check_name(e, &format!("sites.{}", s.name), "site", &s.name, taken);
        }
        for l in &net.lanes {
            let (Some(from), Some(to)) = (net.sites.get(l.from), net.sites.get(l.to)) else {
                e.add(
                    "lanes",
                    format!(
                        "a lane names site #{} or #{}; there are {n} sites",
                        l.from, l.to
                    ),
                );
                continue;
            };
            let at = format!("lanes.{}.{}", from.name, to.name);
            if l.from == l.to {
                e.add(
                    &at,
                    format!("a lane from `{}` to itself; remove it", from.name),
                );
            }
            if net
                .lanes
                .iter()
                .filter(|q| q.from == l.from && q.to == l.to)
                .count()
                > 1
            {
                e.add(
                    &at,
                    format!(
                        "two lanes from `{}` to `{}`; give the modes of one lane together",
                        from.name, to.name
                    ),
                );
            }
            if l.modes.is_empty() {
                e.add(
                    &at,
                    "a lane needs at least one mode, e.g. standard = \"2d\"",
                );
            }
            for (m, mode) in l.modes.iter().enumerate() {
                let here = format!("{at}.{}", mode.name);
                let taken = l.modes[..m].iter().any(|q| q.name == mode.name);
                check_name(e, &here, "mode", &mode.name, taken);
                self.check_task(&mode.task, &here, e);
            }
        }
        for (pi, p) in self.products.iter().enumerate() {
            self.check_product_network(pi, p, e);
        }
        if let ModeChoice::Cheapest(_) = net.modes
            && self.costs.is_none()
        {
            e.add("routing.mode", "the cheapest mode is found from the costs of legs; add [costs] with [costs.lanes], or choose modes another way");
        }
        if let Routing::Cheapest(deadline) = net.routing {
            if self.costs.is_none() {
                e.add("routing.rule", "the cheapest plant is found from the costs; add [costs] with the rates of legs and resources, or route by another rule");
            }
            if deadline <= crate::engine::Duration::ZERO {
                e.add(
                    "routing.deadline",
                    "a vein-to-vein deadline is longer than zero",
                );
            }
        }
        if let Routing::Fixed(table) = &net.routing
            && table.len() != n
        {
            e.add(
                "routing.table",
                format!("the table has {} entries for {n} sites", table.len()),
            );
        }
        if net.route_at == RouteAt::Dispatch
            && matches!(net.routing, Routing::Fixed(_) | Routing::Nearest)
        {
            e.add("routing.at", "a fixed table and the nearest plant do not change over time, so choosing at dispatch changes nothing; remove `at`, or route by shortest_wait or most_free");
        }
        self.check_reach(e);
    }

    fn check_product_network(&self, pi: usize, p: &ProductSpec, e: &mut Errors) {
        let net = &self.network;
        let n = net.sites.len();
        let at = format!("products.{}", p.name);
        let networked = p
            .steps
            .iter()
            .any(|s| !matches!(s.at, At::Listed) || matches!(s.kind, StepKind::Transport(_)));
        if net.is_empty() {
            for s in &p.steps {
                let here = format!("{at}.steps.{}", s.name);
                if !matches!(s.at, At::Listed) {
                    e.add(format!("{here}.at"), "a step located at a site needs sites: add [sites.NAME] tables, or remove `at`");
                } else if matches!(s.kind, StepKind::Transport(_)) {
                    e.add(format!("{here}.transport"), "a transport step needs sites and lanes: add [sites.NAME] and [lanes.FROM] tables, or remove the step");
                }
            }
            if !p.demand.is_empty() {
                e.add(
                    format!("{at}.demand"),
                    "demand per site needs sites: add [sites.NAME] tables, or give `arrivals`",
                );
            }
            return;
        }
        if p.allogeneic.is_some() && (networked || !p.demand.is_empty()) {
            e.add(format!("{at}.demand"), "an allogeneic product is made to stock at one site; sites, located steps and transport are for autologous products");
            return;
        }
        if networked && p.demand.is_empty() {
            e.add(format!("{at}.demand"), "steps located at the patient's sites need to know where each patient is: give the demand per collection site, [products.demand.SITE]");
        }
        for (i, d) in p.demand.iter().enumerate() {
            let Some(site) = net.sites.get(d.site) else {
                e.add(
                    format!("{at}.demand"),
                    format!("demand at site #{}; there are {n} sites", d.site),
                );
                continue;
            };
            let here = format!("{at}.demand.{}", site.name);
            if p.demand[..i].iter().any(|q| q.site == d.site) {
                e.add(
                    &here,
                    format!("demand at `{}` is given twice; give it once", site.name),
                );
            }
            if d.treated_at.is_some_and(|t| t >= n) {
                e.add(format!("{here}.treated_at"), "names an unknown site");
            }
            self.check_arrivals_of(&d.arrivals, d.window, &here, e);
            if self.until_empty && !(d.arrivals.is_finite() || d.window.is_some()) {
                e.add(format!("{here}.arrivals"), "the run is to end when the system is empty, but these arrivals never end; give them a window, a cohort, a dated list or a schedule whose last rate is 0");
            }
        }
        for s in &p.steps {
            self.check_located(p, s, &format!("{at}.steps.{}", s.name), e);
        }
        if !self.needs_plant(pi) {
            // No plant: every located step must still run at the patient's own sites.
            for d in p.demand.iter().filter(|d| d.site < n) {
                let sites = Sites {
                    collection: d.site,
                    treatment: d.treated_at.unwrap_or(d.site).min(n - 1),
                    plant: 0,
                };
                if let Err(why) = self.fit(pi, sites, true) {
                    let site = &net.sites[d.site].name;
                    e.add(
                        format!("{at}.demand.{site}"),
                        format!(
                            "patients of `{site}` cannot be served: {}",
                            self.unfit(p, why)
                        ),
                    );
                }
            }
            return;
        }
        let plants: Vec<usize> = net.plants().collect();
        if plants.is_empty() {
            e.add("sites", format!("product `{}` is made at a plant, and no site is a plant; give one site kind = \"plant\"", p.name));
            return;
        }
        if matches!(
            net.routing,
            Routing::ShortestWait | Routing::MostFree | Routing::Cheapest(_)
        ) && self.routing_step(pi).is_none()
        {
            e.add("routing.rule", format!("shortest_wait, most_free and cheapest read the resources of the first work step at the plant, and product `{}` has none; route by nearest or by a table", p.name));
        }
        for d in &p.demand {
            let Some(site) = net.sites.get(d.site) else {
                continue;
            };
            let sites = |plant| Sites {
                collection: d.site,
                treatment: d.treated_at.unwrap_or(d.site).min(n.saturating_sub(1)),
                plant,
            };
            match &net.routing {
                Routing::Fixed(table) => match table.get(d.site).copied().flatten() {
                    None => e.add(format!("routing.table.{}", site.name), format!("the table gives `{}` no plant, and product `{}` has demand there; give it one", site.name, p.name)),
                    Some(q) if net.sites.get(q).is_none_or(|s| s.kind != SiteKind::Plant) => e.add(format!("routing.table.{}", site.name), format!("{} is not a plant", self.site_name(q))),
                    Some(q) => {
                        if let Err(why) = self.fit(pi, sites(q), true) {
                            e.add(format!("routing.table.{}", site.name), format!("patients of `{}` cannot be made at `{}`: {}", site.name, net.sites[q].name, self.unfit(p, why)));
                        }
                    }
                },
                _ => {
                    let unfit: Vec<Unfit> = plants
                        .iter()
                        .filter_map(|&q| self.fit(pi, sites(q), true).err())
                        .collect();
                    if unfit.len() == plants.len() {
                        e.add(format!("{at}.demand.{}", site.name), format!("no plant can make product `{}` for patients of `{}`: {}", p.name, site.name, self.unfit(p, unfit[0])));
                    }
                }
            }
        }
    }

    /// A located step: a kind per site, each of the step's shape; a transport leg between
    /// two different places, with a positive fresh limit.
    fn check_located(&self, p: &ProductSpec, s: &StepSpec, here: &str, e: &mut Errors) {
        let n = self.network.sites.len();
        let place_ok = |place: Place| !matches!(place, Place::Site(x) if x >= n);
        if let At::Sited(place, kinds) = &s.at {
            if !place_ok(*place) || kinds.len() != n {
                e.add(
                    format!("{here}.at"),
                    format!("a located step needs one kind per site ({n})"),
                );
            }
            if kinds.iter().flatten().any(|k| !same_shape(k, &s.kind)) {
                e.add(
                    format!("{here}.at"),
                    "the step must have the same assays and failure rules at every site",
                );
            }
            if kinds.iter().all(Option::is_none) {
                e.add(
                    format!("{here}.at"),
                    format!(
                        "step `{}` can run at no site: none has its resources",
                        s.name
                    ),
                );
            }
            if s.booking.is_some() {
                e.add(
                    format!("{here}.book"),
                    "a step booked ahead books one listed resource; remove `at` or `book`",
                );
            }
            if matches!(s.kind, StepKind::Transport(_)) {
                e.add(
                    format!("{here}.at"),
                    "a transport step goes between places; remove `at`",
                );
            }
        }
        if let StepKind::Transport(t) = &s.kind {
            let here = format!("{here}.transport");
            if !place_ok(t.from) || !place_ok(t.to) {
                e.add(&here, "names an unknown site");
            }
            if t.from == t.to {
                e.add(
                    &here,
                    "a leg from a place to itself takes no transport; remove the step",
                );
            }
            if t.fresh_limit.is_some_and(|d| d.ticks() == 0) {
                e.add(
                    format!("{here}.fresh_limit"),
                    "a fresh limit of zero lets nothing travel; give a positive time",
                );
            }
            if !s.seize.is_empty()
                || !s.release.is_empty()
                || s.slot.is_some()
                || s.booking.is_some()
            {
                e.add(&here, format!("transport step `{}` of `{}` takes its resources from the lane; it cannot seize, release, wait for a slot or book", s.name, p.name));
            }
        }
    }

    /// Every plant some patient can reach within the fresh limits, if some patient could
    /// reach it without them.
    fn check_reach(&self, e: &mut Errors) {
        let net = &self.network;
        let n = net.sites.len();
        for q in net.plants() {
            let mut reachable = false;
            let mut without_limits = false;
            for (pi, p) in self.products.iter().enumerate() {
                if !self.needs_plant(pi) || p.allogeneic.is_some() {
                    continue;
                }
                for d in p.demand.iter().filter(|d| d.site < n) {
                    let sites = Sites {
                        collection: d.site,
                        treatment: d.treated_at.unwrap_or(d.site).min(n - 1),
                        plant: q,
                    };
                    reachable |= self.fit(pi, sites, true).is_ok();
                    without_limits |= self.fit(pi, sites, false).is_ok();
                }
            }
            if without_limits && !reachable {
                e.add(format!("sites.{}", net.sites[q].name), format!("no patient can reach plant `{}` within the fresh limit of its transport: every lane to it is slower; add a faster mode, raise the limit, or remove the plant", net.sites[q].name));
            }
        }
    }
}
