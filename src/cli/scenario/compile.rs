//! From the file format to a [`Spec`]: names resolved to indices, units to clock ticks,
//! syntax mistakes refused with their place in the file and a fix. Whether the `Spec`
//! can run is the model's call ([`Spec::validate`]); its errors name an item by path,
//! and [`locate`] turns that path back into a place in the file.

use super::format::{self, ScenarioFile};
use super::resources::resource;
use super::spanned::Spanned;
use super::units::{Days, DurationDist, parse_days, shown};
use super::{Scenario, ScenarioError};
use super::{costs, demand, network, outcomes, slots};
use crate::engine::time::TICKS_PER_DAY;
use crate::engine::{Dist, Duration};
use crate::model::{
    Allogeneic, Assay, At, Failure, Policy, ProductSpec, ResourceSpec, Spec, SpecError, StepKind,
    StepSpec, Task, duration_in_range, limits,
};
use std::collections::HashMap;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

pub(super) struct Ctx<'a> {
    pub path: &'a str,
    pub src: &'a str,
    /// Files read while compiling (arrival logs): shown path and SHA-256 of the contents.
    pub inputs: std::cell::RefCell<Vec<(String, String)>>,
}

type R<T> = Result<T, ScenarioError>;

impl Ctx<'_> {
    pub(super) fn err<T>(&self, at: &Spanned<impl Sized>, msg: impl Into<String>) -> R<T> {
        Err(ScenarioError::at(self.path, self.src, at.span(), msg))
    }

    /// A distribution of durations in clock ticks; impossible parameters are refused.
    pub(super) fn duration_dist(&self, d: &Spanned<DurationDist>) -> R<Dist> {
        match d.get_ref().to_dist() {
            Ok(dist) => match duration_in_range(&dist) {
                Ok(()) => Ok(dist.scaled(TICKS_PER_DAY as f64)),
                Err(m) => self.err(d, m),
            },
            Err(e) => self.err(d, format!("{e} (durations in days); fix the parameters")),
        }
    }

    /// A whole number from `min` to `u32::MAX`.
    pub(super) fn count(&self, v: &Spanned<i64>, what: &str, min: i64) -> R<u32> {
        match u32::try_from(*v.get_ref()) {
            Ok(n) if i64::from(n) >= min => Ok(n),
            _ => self.err(
                v,
                format!(
                    "{what} must be a whole number from {min} to {}, not {}",
                    u32::MAX,
                    v.get_ref()
                ),
            ),
        }
    }

    fn priority(&self, v: &Spanned<i64>) -> R<i32> {
        i32::try_from(*v.get_ref()).or_else(|_| {
            self.err(
                v,
                format!(
                    "a priority must be a whole number from {} to {} (higher is served first), not {}",
                    i32::MIN,
                    i32::MAX,
                    v.get_ref()
                ),
            )
        })
    }
}

pub(super) fn ticks(d: Days) -> Duration {
    Duration::from_days_f64(d.0)
}

pub(super) fn compile(file: ScenarioFile, cx: &Ctx) -> R<Scenario> {
    let sim = file.simulation.get_ref();
    let warmup = sim
        .warmup
        .as_ref()
        .map_or(Duration::ZERO, |w| ticks(*w.get_ref()));
    let horizon = ticks(*sim.horizon.get_ref());
    let replications = match &sim.replications {
        None => 10,
        Some(r) => match u64::try_from(*r.get_ref()) {
            Ok(n) if (1..=limits::MAX_REPLICATIONS).contains(&n) => n,
            _ => {
                return cx.err(
                    r,
                    format!(
                        "replications must be from 1 to {} (confidence intervals need 2 or more), not {}",
                        limits::MAX_REPLICATIONS,
                        r.get_ref()
                    ),
                );
            }
        },
    };
    let seed = match &sim.seed {
        None => 1,
        Some(s) if *s.get_ref() >= 0 => *s.get_ref() as u64,
        Some(s) => return cx.err(s, "the seed must be a whole number >= 0"),
    };
    let start_date = match &sim.start_date {
        None => None,
        Some(d) => match demand::civil_day(d.get_ref()) {
            Some(day) => Some(day),
            None => {
                return cx.err(
                    d,
                    format!(
                        "`{}` is not a date; write it as \"YYYY-MM-DD\"",
                        shown(d.get_ref())
                    ),
                );
            }
        },
    };
    if let Some(d) = &sim.start_date {
        let calendars = file
            .resources
            .values()
            .any(|r| r.get_ref().calendar.is_some());
        let dated = file.products.iter().any(|p| {
            let p = p.get_ref();
            let site = p.demand.values().map(|d| &d.get_ref().arrivals);
            p.arrivals
                .iter()
                .chain(site)
                .any(|a| a.get_ref().file.is_some())
        });
        if !calendars && !dated {
            return cx.err(
                d,
                "start_date places calendars and dated arrivals on the clock, and this scenario has neither, so it would change nothing; remove it",
            );
        }
    }
    // 1970-01-01 was a Thursday (weekday 3, counting from Monday = 0).
    let date_weekday = start_date.map(|d| (d + 3).rem_euclid(7) as u64);
    let week_start = match &sim.start_weekday {
        None => Duration::from_days(date_weekday.unwrap_or(0)),
        Some(w) if date_weekday.is_some_and(|d| parse_days(w.get_ref()) != Ok(1 << d)) => {
            return cx.err(
                w,
                "start_weekday is not the weekday of start_date; remove one of them",
            );
        }
        Some(w) => match parse_days(w.get_ref()) {
            Ok(mask) if mask.count_ones() == 1 => {
                Duration::from_days(u64::from(mask.trailing_zeros()))
            }
            _ => {
                return cx.err(
                    w,
                    "start_weekday must be one day of the week, e.g. \"monday\"",
                );
            }
        },
    };

    let mut resources = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (name, r) in &file.resources {
        index.insert(name.get_ref().clone(), resources.len());
        resources.push(resource(cx, name.get_ref().clone(), r, week_start, None)?);
    }
    let (sites, places) =
        network::sites(cx, &file, &mut resources, &mut index, |name, r, params| {
            resource(cx, name, r, week_start, params)
        })?;
    let network = network::network(cx, &file, sites, &places)?;
    let (slot_specs, slot_index) = slots::calendars(cx, &file.slots)?;
    let mut products: Vec<ProductSpec> = Vec::new();
    let names = Names {
        index: &index,
        places: &places,
        slots: &slot_index,
    };
    for p in &file.products {
        products.push(product(cx, p, &resources, &names, start_date)?);
    }
    let costs = costs::costs(cx, &file, &resources, &index, &products, &network)?;
    let spec = Spec {
        costs,
        resources,
        products,
        warmup,
        horizon,
        until_empty: sim.until_empty.as_ref().is_some_and(|u| *u.get_ref()),
        slots: slot_specs,
        network,
        timeseries: match &sim.timeseries {
            None => None,
            Some(p) => match period(p.get_ref()) {
                Ok(d) => Some(d),
                Err(m) => return cx.err(p, m),
            },
        },
    };
    if let Err(errors) = spec.validate() {
        return Err(locate(cx, &errors));
    }
    Ok(Scenario {
        spec,
        replications,
        seed,
        inputs: cx.inputs.take(),
    })
}

/// The first of the model's errors, at the place in the file its path names (or the
/// nearest enclosing item the file has).
pub(super) fn locate(cx: &Ctx, errors: &[SpecError]) -> ScenarioError {
    let first = &errors[0];
    let span = span_of(cx.src, &first.path).unwrap_or(cx.src.len()..cx.src.len());
    let more = match errors.len() {
        1 => String::new(),
        n => format!(
            " (and {} more problem{})",
            n - 1,
            if n > 2 { "s" } else { "" }
        ),
    };
    ScenarioError::at(cx.path, cx.src, span, format!("{}{more}", first.message))
}

/// The span of the item a dotted path names: tables by key, lists by an element's `name`
/// or by index. Stops at the deepest item the file has.
fn span_of(src: &str, path: &str) -> Option<Range<usize>> {
    let doc = DeTable::parse(src).ok()?;
    let mut best: Option<Range<usize>> = None;
    let mut here: Option<&DeValue> = None;
    let parts: Vec<&str> = path.split('.').collect();
    let mut i = 0;
    while i < parts.len() {
        let part = parts[i];
        let next = match here {
            None | Some(DeValue::Table(_)) => {
                let t = match here {
                    Some(DeValue::Table(t)) => t,
                    _ => doc.get_ref(),
                };
                t.iter()
                    .find(|(k, _)| k.get_ref().as_ref() == part)
                    .map(|(k, v)| (k.span(), v))
            }
            Some(DeValue::Array(items)) => items
                .iter()
                .enumerate()
                .find(|(n, item)| {
                    let named = match item.get_ref() {
                        DeValue::Table(t) => t.iter().any(|(k, v)| {
                            k.get_ref().as_ref() == "name"
                                && matches!(v.get_ref(), DeValue::String(s) if s.as_ref() == part)
                        }),
                        _ => false,
                    };
                    named || part.parse() == Ok(*n)
                })
                .map(|(_, item)| (item.span(), item)),
            Some(_) => None,
        };
        let Some((key_span, value)) = next else { break };
        // Point at the value of a leaf, at the key of a table (its opening line).
        best = Some(match value.get_ref() {
            DeValue::Table(_) | DeValue::Array(_) if i + 1 < parts.len() => key_span,
            _ => value.span(),
        });
        here = Some(value.get_ref());
        i += 1;
    }
    best
}

/// What names resolve against: resources, sites and slot calendars.
struct Names<'a> {
    index: &'a HashMap<String, usize>,
    places: &'a network::Places,
    slots: &'a HashMap<String, usize>,
}

fn product(
    cx: &Ctx,
    p: &Spanned<format::Product>,
    resources: &[ResourceSpec],
    names: &Names,
    start_date: Option<i64>,
) -> R<ProductSpec> {
    let (index, slot_index) = (names.index, names.slots);
    let f = p.get_ref();
    let name = f.name.get_ref().clone();
    let allo = match f.kind.get_ref().as_str() {
        "autologous" => false,
        "allogeneic" => true,
        other => {
            return cx.err(
                &f.kind,
                format!(
                    "type must be \"autologous\" or \"allogeneic\", not \"{}\"",
                    shown(other)
                ),
            );
        }
    };
    let site_demand = network::demand(cx, &f.demand, names.places, start_date)?;
    let (arrivals, window) = match (&f.arrivals, f.demand.first()) {
        (Some(a), None) => demand::arrivals(cx, a, start_date)?,
        (None, Some(_)) => (crate::model::Arrivals::Dated(Vec::new()), None),
        (Some(a), Some(_)) => {
            return cx.err(
                a,
                "give either `arrivals` (one site) or the demand per site, not both",
            );
        }
        (None, None) => {
            return cx.err(
                &f.name,
                "the product has no arrivals: add arrivals = { ... }, or the demand per site",
            );
        }
    };
    let patience = f
        .patience
        .as_ref()
        .map(|d| cx.duration_dist(d))
        .transpose()?;
    let base_priority = f.priority.as_ref().map_or(Ok(0), |v| cx.priority(v))?;
    let mut priority = vec![base_priority; resources.len()];
    for (r, v) in &f.resource_priority {
        match index.get(r.get_ref()) {
            Some(&i) => priority[i] = cx.priority(v)?,
            None => return cx.err(r, unknown_resource(r.get_ref(), index)),
        }
    }
    let mut steps = chain(cx, f.steps.get_ref(), index, Some(names.places))?;
    slots::step_slots(cx, f.steps.get_ref(), &mut steps, slot_index)?;
    if let Some(s) = f.delivery.iter().find_map(|s| s.get_ref().slot.as_ref()) {
        return cx.err(s, "an allogeneic order's delivery cannot wait for a slot; slots are for autologous chains");
    }
    let score = match &f.score {
        None => None,
        Some(d) => match d.get_ref().to_dist() {
            Ok(d) => Some(d),
            Err(e) => return cx.err(d, format!("{e}; fix the parameters")),
        },
    };
    let allogeneic = if allo {
        Some(allogeneic(cx, f, &name, index)?)
    } else {
        let allo_only: [(&str, Option<Range<usize>>); 5] = [
            ("doses", f.doses.as_ref().map(|v| v.span())),
            ("order_size", f.order_size.as_ref().map(|v| v.span())),
            ("policy", f.policy.as_ref().map(|v| v.span())),
            ("stock", f.stock.as_ref().map(|v| v.span())),
            ("delivery", f.delivery.first().map(|v| v.span())),
        ];
        if let Some((key, Some(span))) = allo_only.into_iter().find(|(_, s)| s.is_some()) {
            let msg = format!(
                "`{key}` is for allogeneic products; remove it or set type = \"allogeneic\""
            );
            return Err(ScenarioError::at(cx.path, cx.src, span, msg));
        }
        None
    };
    let step_names: Vec<&str> = f
        .steps
        .get_ref()
        .iter()
        .map(|s| s.get_ref().name.get_ref().as_str())
        .collect();
    let milestones = outcomes::milestones(cx, &f.milestones, &step_names)?;
    let hazards = outcomes::hazards(cx, &f.hazards, &step_names)?;
    Ok(ProductSpec {
        score,
        demand: site_demand,
        milestones,
        hazards,
        name,
        arrivals,
        window,
        patience,
        priority,
        steps,
        allogeneic,
    })
}

/// A chain of steps (a product's steps, or an allogeneic product's delivery, which has
/// no `places`).
fn chain(
    cx: &Ctx,
    steps_in: &[Spanned<format::Step>],
    index: &HashMap<String, usize>,
    places: Option<&network::Places>,
) -> R<Vec<StepSpec>> {
    let names: Vec<&str> = steps_in
        .iter()
        .map(|s| s.get_ref().name.get_ref().as_str())
        .collect();
    let mut steps = Vec::new();
    for (i, s) in steps_in.iter().enumerate() {
        let sf = s.get_ref();
        let sname = sf.name.get_ref().clone();
        let kind_with = |index: &HashMap<String, usize>| -> R<StepKind> {
            Ok(match &sf.assays {
                Some(list) => {
                    for (key, present) in [
                        ("uses", !sf.uses.is_empty()),
                        ("touch_uses", !sf.touch_uses.is_empty()),
                        ("duration", sf.duration.is_some()),
                        ("touch", sf.touch.is_some()),
                        ("failure", sf.failure.is_some()),
                    ] {
                        if present {
                            return cx.err(s, format!("step `{}` has assays, so `{key}` belongs inside each assay, not on the step", shown(&sname)));
                        }
                    }
                    let mut assays = Vec::new();
                    for a in list {
                        let af = a.get_ref();
                        let task = task(
                            cx,
                            (&af.uses, &af.touch_uses),
                            Ok(&af.duration),
                            af.touch.as_ref(),
                            a,
                            index,
                        )?;
                        let failure = af
                            .failure
                            .as_ref()
                            .map(|fl| failure(cx, fl, &names, i))
                            .transpose()?;
                        assays.push(Assay {
                            name: af.name.get_ref().clone(),
                            task,
                            failure,
                        });
                    }
                    StepKind::Assays(assays)
                }
                None => {
                    // A wait for a slot needs no work of its own.
                    let task = task(
                        cx,
                        (&sf.uses, &sf.touch_uses),
                        sf.duration.as_ref().ok_or(sf.slot.is_some()),
                        sf.touch.as_ref(),
                        s,
                        index,
                    )?;
                    let failure = sf
                        .failure
                        .as_ref()
                        .map(|fl| failure(cx, fl, &names, i))
                        .transpose()?;
                    StepKind::Work(task, failure)
                }
            })
        };
        let located = sf.at.as_ref().or(sf.transport.as_ref().map(|_| &sf.name));
        let (kind, at) = match (places, located) {
            (_, None) => (kind_with(index)?, At::Listed),
            (None, Some(_)) => {
                return cx.err(s, "an allogeneic order's delivery runs at its one site; remove `at` and `transport`");
            }
            (Some(places), Some(_)) => match (&sf.at, &sf.transport) {
                (_, Some(t)) => (network::transport(cx, sf, t, places)?, At::Listed),
                (Some(at), None) => network::located(cx, sf, at, places, index, kind_with)?,
                (None, None) => unreachable!("located"),
            },
        };
        let (seize, release) = held_across(cx, sf, s, index)?;
        let booking = match (&sf.book, &sf.assays) {
            (None, _) => None,
            (Some(b), Some(_)) => return cx.err(b, "a QC release step cannot be booked ahead; book a work step (its one resource, for its duration)"),
            (Some(b), None) => Some(slots::booking(cx, b)?),
        };
        steps.push(StepSpec {
            name: sname,
            kind,
            slot: None,
            seize,
            release,
            booking,
            at,
        });
    }
    Ok(steps)
}

/// A step's `seize` (resource, units) and `release` (resources), resolved.
type Held = (Vec<(usize, u32)>, Vec<usize>);

fn held_across(
    cx: &Ctx,
    sf: &format::Step,
    s: &Spanned<format::Step>,
    index: &HashMap<String, usize>,
) -> R<Held> {
    if sf.assays.is_some() && !(sf.seize.is_empty() && sf.release.is_empty()) {
        return cx.err(s, "a QC release step cannot seize or release resources held across steps; put them on a work step");
    }
    let seize = resolve_uses(cx, &sf.seize, index)?;
    let mut release = Vec::new();
    for r in &sf.release {
        match index.get(r.get_ref()) {
            Some(&i) => release.push(i),
            None => return cx.err(r, unknown_resource(r.get_ref(), index)),
        }
    }
    Ok((seize, release))
}

/// The make-to-stock settings of an allogeneic product.
fn allogeneic(
    cx: &Ctx,
    f: &format::Product,
    name: &str,
    index: &HashMap<String, usize>,
) -> R<Allogeneic> {
    let Some(doses_in) = &f.doses else {
        return cx.err(
            &f.name,
            format!(
                "allogeneic product `{}` needs `doses`, the doses a batch yields, e.g. doses = 100",
                shown(name)
            ),
        );
    };
    let doses = match doses_in.get_ref().to_dist() {
        Ok(d) => d,
        Err(e) => return cx.err(doses_in, format!("{e}; fix the parameters")),
    };
    let order_size = match &f.order_size {
        None => 1,
        Some(v) => cx.count(v, "order_size", 1)?,
    };
    let Some(policy_in) = &f.policy else {
        return cx.err(&f.name, format!("allogeneic product `{}` needs a `policy`: {{ reorder_point = 20 }} or {{ campaign_every = \"30d\" }}", shown(name)));
    };
    let pf = policy_in.get_ref();
    let policy = match (&pf.reorder_point, &pf.campaign_every) {
        (Some(r), None) => Policy::ReorderPoint {
            level: *r.get_ref(),
            max_in_production: pf
                .max_in_production
                .as_ref()
                .map(|m| cx.count(m, "max_in_production", 1))
                .transpose()?,
        },
        (None, Some(every)) => {
            if let Some(m) = &pf.max_in_production {
                return cx.err(
                    m,
                    "max_in_production goes with reorder_point, not with campaign_every",
                );
            }
            Policy::Campaign {
                every: ticks(*every.get_ref()),
            }
        }
        _ => {
            return cx.err(
                policy_in,
                "give exactly one of reorder_point = R or campaign_every = \"30d\"",
            );
        }
    };
    let (mut stock_capacity, mut shelf_life) = (u64::MAX, None);
    if let Some(st) = &f.stock {
        let sf = st.get_ref();
        if let Some(c) = &sf.capacity {
            stock_capacity = u64::from(cx.count(c, "stock capacity", 1)?);
        }
        shelf_life = sf.shelf_life.as_ref().map(|l| ticks(*l.get_ref()));
    }
    let delivery = chain(cx, &f.delivery, index, None)?;
    Ok(Allogeneic {
        doses,
        order_size,
        policy,
        stock_capacity,
        shelf_life,
        delivery,
    })
}

/// A time series' period: "week", "month" (365/12 days), "year", or a duration.
pub fn period(s: &str) -> Result<Duration, String> {
    let days = match s.trim() {
        "week" => 7.0,
        "month" => 365.0 / 12.0,
        "year" => 365.0,
        other => match super::units::parse_duration(other) {
            Ok(d) if d.0 > 0.0 => d.0,
            _ => {
                return Err(format!(
                    "`{}` is not a period: use \"week\", \"month\" (365/12 days), \"year\", or a duration such as \"14d\"",
                    shown(s)
                ));
            }
        },
    };
    Ok(Duration::from_days_f64(days))
}

pub(super) fn unknown_resource(name: &str, index: &HashMap<String, usize>) -> String {
    unknown("resource", name, "[resources]", index)
}

/// "unknown `what` `name`; define it under `section` (defined: ...)", the names sorted.
pub(super) fn unknown(
    what: &str,
    name: &str,
    section: &str,
    index: &HashMap<String, usize>,
) -> String {
    let mut known: Vec<&String> = index.keys().collect();
    known.sort();
    let list = known
        .iter()
        .map(|k| format!("`{}`", shown(k)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "unknown {what} `{}`; define it under {section} (defined: {})",
        shown(name),
        if list.is_empty() { "none".into() } else { list }
    )
}

/// A list of resources a step uses, as (index, units).
fn resolve_uses(
    cx: &Ctx,
    list: &[Spanned<format::Use>],
    index: &HashMap<String, usize>,
) -> R<Vec<(usize, u32)>> {
    let mut out = Vec::new();
    for u in list {
        let uf = u.get_ref();
        let Some(&r) = index.get(&uf.resource) else {
            return cx.err(u, unknown_resource(&uf.resource, index));
        };
        let units = u32::try_from(uf.units).or_else(|_| {
            cx.err(
                u,
                format!(
                    "units must be a whole number from 1 to {}, not {}",
                    u32::MAX,
                    uf.units
                ),
            )
        })?;
        out.push((r, units));
    }
    Ok(out)
}

pub(super) fn task<T>(
    cx: &Ctx,
    (uses, touch_uses): (&[Spanned<format::Use>], &[Spanned<format::Use>]),
    duration: Result<&Spanned<DurationDist>, bool>,
    touch: Option<&Spanned<DurationDist>>,
    owner: &Spanned<T>,
    index: &HashMap<String, usize>,
) -> R<Task> {
    let duration = match duration {
        Ok(d) => cx.duration_dist(d)?,
        // (`Err(true)`: no duration needed, zero.)
        Err(true) => Dist::fixed(0.0).expect("zero is a duration"),
        Err(false) => {
            return cx.err(
                owner,
                "this step has no `duration`; add one, e.g. duration = \"1d\"",
            );
        }
    };
    Ok(Task {
        uses: resolve_uses(cx, uses, index)?,
        touch_uses: resolve_uses(cx, touch_uses, index)?,
        duration,
        touch: touch.map(|t| cx.duration_dist(t)).transpose()?,
    })
}

fn failure(cx: &Ctx, fl: &Spanned<format::FailureSpec>, steps: &[&str], here: usize) -> R<Failure> {
    let f = fl.get_ref();
    let retry_from = match &f.retry_from {
        None => here,
        Some(name) => match steps[..=here].iter().position(|s| s == name.get_ref()) {
            Some(i) => i,
            None if steps.contains(&name.get_ref().as_str()) => {
                return cx.err(
                    name,
                    format!(
                        "retry_from must name this step or an earlier one; `{}` comes later",
                        shown(name.get_ref())
                    ),
                );
            }
            None => {
                let list = steps[..=here]
                    .iter()
                    .map(|s| format!("`{}`", shown(s)))
                    .collect::<Vec<_>>()
                    .join(", ");
                return cx.err(name, format!("unknown step `{}`; retry_from must name this step or an earlier one ({list})", shown(name.get_ref())));
            }
        },
    };
    let default_attempts = if f.retry_from.is_some() { 2 } else { 1 };
    let max_attempts = f
        .max_attempts
        .as_ref()
        .map_or(Ok(default_attempts), |m| cx.count(m, "max_attempts", 1))?;
    Ok(Failure {
        probability: *f.probability.get_ref(),
        retry_from,
        max_attempts,
    })
}
