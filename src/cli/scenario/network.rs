//! Compiling a network: `[sites.NAME]` with their own resources (named `ROLE@SITE`),
//! `[lanes.FROM] TO = { modes = { ... } }`, `[routing]`, a product's
//! `[products.demand.SITE]`, and steps with `at` (a place of the patient, or a site) or
//! `transport`. Names are resolved here and refused with their place in the file; what a
//! network must satisfy to run (every patient has a plant, every plant is reachable) is
//! the model's check.

use super::compile::{Ctx, task, ticks, unknown_resource};
use super::format::{self, ScenarioFile};
use super::resources::Params;
use super::spanned::Spanned;
use super::units::shown;
use super::{ScenarioError, demand};
use crate::engine::Duration;
use crate::model::{
    At, LaneSpec, ModeChoice, ModeSpec, Network, Place, ResourceSpec, RouteAt, Routing, SiteDemand,
    SiteKind, SiteSpec, StepKind, Transport,
};
use indexmap::IndexMap;
use std::collections::HashMap;

type R<T> = Result<T, ScenarioError>;

/// The sites of a scenario, for resolving names.
pub(super) struct Places {
    /// Site index by name.
    pub by_name: HashMap<String, usize>,
    pub kinds: Vec<SiteKind>,
    /// Per site, every resource a step there may name: the shared ones by name, the
    /// site's own by role.
    pub index_at: Vec<HashMap<String, usize>>,
    /// Every resource's capacity: a site whose resource has none (a plant with no line)
    /// is closed to the steps that use it.
    pub capacity: Vec<u32>,
}

impl Places {
    fn site(&self, cx: &Ctx, name: &Spanned<String>) -> R<usize> {
        match self.by_name.get(name.get_ref()) {
            Some(&s) => Ok(s),
            None => {
                let mut known: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
                known.sort_unstable();
                cx.err(
                    name,
                    format!(
                        "unknown site `{}`; the sites are: {}",
                        shown(name.get_ref()),
                        if known.is_empty() {
                            "none (add [sites.NAME])".into()
                        } else {
                            known.join(", ")
                        }
                    ),
                )
            }
        }
    }

    fn place(&self, cx: &Ctx, name: &Spanned<String>) -> R<Place> {
        Ok(match name.get_ref().as_str() {
            "collection" => Place::Collection,
            "treatment" => Place::Treatment,
            "plant" => Place::Plant,
            _ if self.by_name.contains_key(name.get_ref()) => Place::Site(self.site(cx, name)?),
            other => {
                return cx.err(name, format!("`{}` is not a place: write \"collection\", \"treatment\", \"plant\" (the patient's) or a site's name", shown(other)));
            }
        })
    }
}

/// A site's kind, as written.
fn kind(cx: &Ctx, k: &Spanned<String>) -> R<SiteKind> {
    match k.get_ref().as_str() {
        "hospital" => Ok(SiteKind::Hospital),
        "plant" => Ok(SiteKind::Plant),
        "other" => Ok(SiteKind::Other),
        other => cx.err(
            k,
            format!(
                "a site's kind is \"hospital\", \"plant\" or \"other\", not \"{}\"",
                shown(other)
            ),
        ),
    }
}

/// The sites, their resources (their type's, then their own) appended to `resources`
/// (and to `index` as `ROLE@SITE`).
pub(super) fn sites(
    cx: &Ctx,
    file: &ScenarioFile,
    resources: &mut Vec<ResourceSpec>,
    index: &mut HashMap<String, usize>,
    mut resource: impl FnMut(String, &Spanned<format::Resource>, Option<&Params>) -> R<ResourceSpec>,
) -> R<(Vec<SiteSpec>, Places)> {
    let mut sites = Vec::new();
    let mut places = Places {
        by_name: HashMap::new(),
        kinds: Vec::new(),
        index_at: Vec::new(),
        capacity: Vec::new(),
    };
    let shared = index.clone();
    for (name, s) in &file.sites {
        let f = s.get_ref();
        let site_type = match &f.site_type {
            None => None,
            Some(t) => match file
                .site_types
                .iter()
                .find(|(k, _)| k.get_ref() == t.get_ref())
            {
                Some((k, v)) => Some((k.get_ref().as_str(), v.get_ref())),
                None => {
                    let known: Vec<&str> = file
                        .site_types
                        .keys()
                        .map(|k| k.get_ref().as_str())
                        .collect();
                    return cx.err(
                        t,
                        format!(
                            "unknown site type `{}`; the types are: {}",
                            shown(t.get_ref()),
                            if known.is_empty() {
                                "none (add [site_types.NAME])".into()
                            } else {
                                known.join(", ")
                            }
                        ),
                    );
                }
            },
        };
        let kind = match (&f.kind, site_type) {
            (Some(k), None) => kind(cx, k)?,
            (None, Some((_, t))) => kind(cx, &t.kind)?,
            (Some(k), Some(_)) => return cx.err(k, "the site's type gives its kind; remove `kind`"),
            (None, None) => return cx.err(name, "a site needs kind = \"hospital\", \"plant\" or \"other\", or type = \"...\" (a site type)"),
        };
        if name.get_ref().contains('@') {
            return cx.err(
                name,
                "a site name cannot contain `@` (its resources are named ROLE@SITE)",
            );
        }
        let params = site_type.map(|(type_name, _)| Params {
            site: name,
            type_name,
            values: &f.parameters,
        });
        match site_type {
            None => {
                if let Some((k, _)) = f.parameters.first() {
                    return cx.err(
                        k,
                        "parameters are for a site of a type; give type = \"...\" or remove them",
                    );
                }
            }
            Some((type_name, t)) => {
                for (k, _) in &f.parameters {
                    let used = t.resources.values().any(|r| {
                        matches!(r.get_ref().capacity.get_ref(), format::Count::Param(p) if p == k.get_ref())
                    });
                    if !used {
                        return cx.err(k, format!("site type `{type_name}` has no parameter `{}` (no capacity of its resources names it)", shown(k.get_ref())));
                    }
                }
            }
        }
        let mut here = shared.clone();
        let first = resources.len();
        let from_type = site_type
            .into_iter()
            .flat_map(|(_, t)| t.resources.iter().map(|r| (r, true)));
        let own = f.resources.iter().map(|r| (r, false));
        for ((role, r), typed) in from_type.chain(own) {
            if role.get_ref().contains('@') {
                return cx.err(role, "a resource of a site is named by its role alone (`line`); the site is added as `line@SITE`");
            }
            let full = format!("{}@{}", role.get_ref(), name.get_ref());
            if index.contains_key(&full) {
                return cx.err(role, format!("a resource named `{full}` is already defined (by the site's type, or twice)"));
            }
            index.insert(full.clone(), resources.len());
            here.insert(role.get_ref().clone(), resources.len());
            let params = if typed { params.as_ref() } else { None };
            resources.push(resource(full, r, params)?);
        }
        places.by_name.insert(name.get_ref().clone(), sites.len());
        places.kinds.push(kind);
        places.index_at.push(here);
        sites.push(SiteSpec {
            name: name.get_ref().clone(),
            kind,
            resources: (first..resources.len()).collect(),
        });
    }
    places.capacity = resources.iter().map(|r| r.capacity).collect();
    Ok((sites, places))
}

/// The network's lanes and routing.
pub(super) fn network(
    cx: &Ctx,
    file: &ScenarioFile,
    sites: Vec<SiteSpec>,
    places: &Places,
) -> R<Network> {
    let mut lanes: Vec<LaneSpec> = Vec::new();
    for (from_name, row) in &file.lanes {
        let from = places.site(cx, from_name)?;
        for (to_name, l) in row.get_ref() {
            let to = places.site(cx, to_name)?;
            let f = l.get_ref();
            let one_way = f.one_way.as_ref().is_some_and(|o| *o.get_ref());
            let ends = if one_way {
                vec![(from, to)]
            } else {
                vec![(from, to), (to, from)]
            };
            for (a, b) in ends {
                if lanes.iter().any(|x| x.from == a && x.to == b) {
                    return cx.err(to_name, format!("a second lane from `{}` to `{}` (a lane goes both ways unless one_way = true); give its modes once", sites[a].name, sites[b].name));
                }
                if f.modes.get_ref().is_empty() {
                    return cx.err(
                        &f.modes,
                        "a lane needs at least one mode, e.g. modes = { standard = \"2d\" }",
                    );
                }
                let mut modes = Vec::new();
                for (mode, d) in f.modes.get_ref() {
                    let task = task(
                        cx,
                        (&f.uses, &f.touch_uses),
                        Ok(d),
                        f.touch.as_ref(),
                        l,
                        &places.index_at[a],
                    )?;
                    modes.push(ModeSpec {
                        name: mode.get_ref().clone(),
                        task,
                    });
                }
                lanes.push(LaneSpec {
                    from: a,
                    to: b,
                    modes,
                });
            }
        }
    }
    let mut net = Network {
        sites,
        lanes,
        ..Network::default()
    };
    if let Some(r) = &file.routing {
        routing(cx, r, places, &mut net)?;
    }
    Ok(net)
}

fn routing(
    cx: &Ctx,
    r: &Spanned<format::RoutingFile>,
    places: &Places,
    net: &mut Network,
) -> R<()> {
    let f = r.get_ref();
    let rule = f.rule.as_ref().map_or("nearest", |s| s.get_ref().as_str());
    net.routing = match rule {
        "fixed" => {
            let mut table = vec![None; places.kinds.len()];
            for (site, plant) in &f.table {
                let s = places.site(cx, site)?;
                let q = places.site(cx, plant)?;
                if places.kinds[q] != SiteKind::Plant {
                    return cx.err(
                        plant,
                        format!(
                            "`{}` is not a plant (kind = \"plant\")",
                            shown(plant.get_ref())
                        ),
                    );
                }
                table[s] = Some(q);
            }
            Routing::Fixed(table)
        }
        "nearest" => Routing::Nearest,
        "shortest_wait" => Routing::ShortestWait,
        "most_free" => Routing::MostFree,
        "cheapest" => match &f.deadline {
            Some(d) => Routing::Cheapest(ticks(*d.get_ref())),
            None => {
                return cx.err(
                    f.rule.as_ref().expect("written"),
                    "rule = \"cheapest\" needs deadline = \"...\" (the vein-to-vein time a plant must be expected to meet)",
                );
            }
        },
        other => {
            let at = f
                .rule
                .as_ref()
                .expect("a rule other than the default is written");
            return cx.err(at, format!("the routing rule is \"fixed\", \"nearest\", \"shortest_wait\", \"most_free\" or \"cheapest\", not \"{}\"", shown(other)));
        }
    };
    if rule != "fixed"
        && let Some((k, _)) = f.table.first()
    {
        return cx.err(
            k,
            "a table is for rule = \"fixed\"; remove it or set the rule",
        );
    }
    if rule == "fixed" && f.table.is_empty() {
        return cx.err(
            r,
            "rule = \"fixed\" needs a table, e.g. table = { umea = \"molndal\" }",
        );
    }
    net.route_at = match f.at.as_ref().map(|a| a.get_ref().as_str()) {
        None | Some("arrival") => RouteAt::Arrival,
        Some("dispatch") => RouteAt::Dispatch,
        Some(other) => {
            return cx.err(
                f.at.as_ref().expect("written"),
                format!(
                    "`at` is \"arrival\" or \"dispatch\", not \"{}\"",
                    shown(other)
                ),
            );
        }
    };
    net.modes = match (f.mode.as_ref().map(|m| m.get_ref().as_str()), &f.deadline) {
        (None | Some("first"), None) => ModeChoice::First,
        (Some("fastest"), None) => ModeChoice::Fastest,
        (Some("deadline"), Some(d)) => ModeChoice::Deadline(ticks(*d.get_ref())),
        (Some("cheapest"), Some(d)) => ModeChoice::Cheapest(ticks(*d.get_ref())),
        (Some(m @ ("deadline" | "cheapest")), None) => {
            return cx.err(
                f.mode.as_ref().expect("written"),
                format!("mode = \"{m}\" needs deadline = \"...\" (the vein-to-vein time to meet)"),
            );
        }
        (None | Some("first"), Some(_)) if rule == "cheapest" => ModeChoice::First,
        (Some("fastest"), Some(_)) if rule == "cheapest" => ModeChoice::Fastest,
        (_, Some(d))
            if !matches!(
                f.mode.as_ref().map(|m| m.get_ref().as_str()),
                Some("deadline" | "cheapest")
            ) =>
        {
            return cx.err(
                d,
                "a deadline is for mode = \"deadline\" or \"cheapest\", or rule = \"cheapest\"; add one or remove the deadline",
            );
        }
        (Some(other), _) => {
            return cx.err(
                f.mode.as_ref().expect("written"),
                format!(
                    "`mode` is \"first\", \"fastest\", \"deadline\" or \"cheapest\", not \"{}\"",
                    shown(other)
                ),
            );
        }
        (None, Some(_)) => unreachable!("matched above"),
    };
    Ok(())
}

/// A product's demand per collection site.
pub(super) fn demand(
    cx: &Ctx,
    d: &IndexMap<Spanned<String>, Spanned<format::SiteDemand>>,
    places: &Places,
    start_date: Option<i64>,
) -> R<Vec<SiteDemand>> {
    let mut out = Vec::new();
    for (site, sd) in d {
        let f = sd.get_ref();
        let (arrivals, window) = demand::arrivals(cx, &f.arrivals, start_date)?;
        out.push(SiteDemand {
            site: places.site(cx, site)?,
            arrivals,
            window,
            treated_at: f
                .treated_at
                .as_ref()
                .map(|t| places.site(cx, t))
                .transpose()?,
        });
    }
    Ok(out)
}

/// The resource names a step uses (its own and its assays').
fn names_used(sf: &format::Step) -> Vec<&Spanned<format::Use>> {
    let mut out: Vec<&Spanned<format::Use>> = sf.uses.iter().chain(&sf.touch_uses).collect();
    for a in sf.assays.iter().flatten() {
        out.extend(a.get_ref().uses.iter().chain(&a.get_ref().touch_uses));
    }
    out
}

/// A step located with `at`: at a fixed site, its kind there (as listed); at a place of
/// the patient, its kind at every site that has all its resources, none of them with
/// zero capacity (a plant only at plants; a plant with no line is closed).
pub(super) fn located(
    cx: &Ctx,
    sf: &format::Step,
    at: &Spanned<String>,
    places: &Places,
    shared: &HashMap<String, usize>,
    kind_with: impl Fn(&HashMap<String, usize>) -> R<StepKind>,
) -> R<(StepKind, At)> {
    if places.kinds.is_empty() {
        return cx.err(
            at,
            "a step located at a site needs sites: add [sites.NAME] tables, or remove `at`",
        );
    }
    let place = places.place(cx, at)?;
    if let Place::Site(s) = place {
        return Ok((kind_with(&places.index_at[s])?, At::Listed));
    }
    let used = names_used(sf);
    // A name no site has and no shared resource is: refused where it is written.
    if let Some(u) = used.iter().find(|u| {
        !places
            .index_at
            .iter()
            .any(|i| i.contains_key(&u.get_ref().resource))
    }) {
        return cx.err(u, unknown_resource(&u.get_ref().resource, shared));
    }
    let mut kinds = Vec::with_capacity(places.kinds.len());
    for (s, index) in places.index_at.iter().enumerate() {
        let fits = used.iter().all(|u| {
            index
                .get(&u.get_ref().resource)
                .is_some_and(|&r| places.capacity[r] > 0)
        }) && (place != Place::Plant || places.kinds[s] == SiteKind::Plant);
        kinds.push(if fits { Some(kind_with(index)?) } else { None });
    }
    let Some(shape) = kinds.iter().flatten().next().cloned() else {
        return cx.err(
            at,
            format!(
                "no site has every resource this step uses, each with a capacity above zero{}",
                if place == Place::Plant {
                    ", among the plants"
                } else {
                    ""
                }
            ),
        );
    };
    Ok((shape, At::Sited(place, kinds)))
}

/// A transport step's leg.
pub(super) fn transport(
    cx: &Ctx,
    sf: &format::Step,
    t: &Spanned<format::TransportFile>,
    places: &Places,
) -> R<StepKind> {
    for (key, present) in [
        ("uses", !sf.uses.is_empty()),
        ("touch_uses", !sf.touch_uses.is_empty()),
        ("duration", sf.duration.is_some()),
        ("touch", sf.touch.is_some()),
        ("assays", sf.assays.is_some()),
        ("failure", sf.failure.is_some()),
        ("at", sf.at.is_some()),
    ] {
        if present {
            return cx.err(t, format!("a transport step takes its duration and resources from the lane's mode; remove `{key}`"));
        }
    }
    if places.kinds.is_empty() {
        return cx.err(t, "a transport step needs sites and lanes: add [sites.NAME] and [lanes.FROM] tables, or remove the step");
    }
    let f = t.get_ref();
    Ok(StepKind::Transport(Transport {
        from: places.place(cx, &f.from)?,
        to: places.place(cx, &f.to)?,
        fresh_limit: f
            .fresh_limit
            .as_ref()
            .map(|d| -> Duration { ticks(*d.get_ref()) }),
    }))
}
