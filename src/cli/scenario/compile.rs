//! From the file format to a checked [`Spec`]: names resolved to indices, units to clock
//! ticks, and every impossible value refused with its place in the file and a fix.

use super::format::{self, ScenarioFile};
use super::units::{Days, DurationDist, parse_days, parse_time_of_day};
use super::{Scenario, ScenarioError};
use crate::engine::pool::MAX_NEEDS;
use crate::engine::time::{TICKS_PER_DAY, TICKS_PER_WEEK};
use crate::engine::{Calendar, CapacityDrop, Dist, Duration, Exception, Shift, Time};
use crate::model::{
    Allogeneic, Arrivals, Assay, Failure, Policy, ProductSpec, ResourceSpec, Spec, StepKind,
    StepSpec, Task,
};
use std::collections::HashMap;
use toml::Spanned;

pub(super) struct Ctx<'a> {
    pub path: &'a str,
    pub src: &'a str,
}

type R<T> = Result<T, ScenarioError>;

impl Ctx<'_> {
    fn err<T>(&self, at: &Spanned<impl Sized>, msg: impl Into<String>) -> R<T> {
        Err(ScenarioError::at(self.path, self.src, at.span(), msg))
    }

    /// A distribution of durations in clock ticks; impossible parameters are refused.
    fn duration_dist(&self, d: &Spanned<DurationDist>) -> R<Dist> {
        match d.get_ref().to_dist() {
            Ok(dist) => Ok(dist.scaled(TICKS_PER_DAY as f64)),
            Err(e) => self.err(d, format!("{e} (durations in days); fix the parameters")),
        }
    }

    fn count(&self, v: &Spanned<i64>, what: &str, min: i64) -> R<u32> {
        match u32::try_from(*v.get_ref()) {
            Ok(n) if i64::from(n) >= min => Ok(n),
            _ => self.err(
                v,
                format!(
                    "{what} must be a whole number of at least {min}, not {}",
                    v.get_ref()
                ),
            ),
        }
    }

    fn name(&self, n: &Spanned<String>, what: &str) -> R<String> {
        let s = n.get_ref();
        if s.trim().is_empty() || s.contains('.') {
            return self.err(n, format!("{what} name `{s}` must be non-empty and contain no dots (names become parts of dotted metric names)"));
        }
        Ok(s.clone())
    }
}

fn ticks(d: Days) -> Duration {
    Duration::from_days_f64(d.0)
}

pub(super) fn compile(file: ScenarioFile, cx: &Ctx) -> R<Scenario> {
    let sim = file.simulation.get_ref();
    let warmup = sim
        .warmup
        .as_ref()
        .map_or(Duration::ZERO, |w| ticks(*w.get_ref()));
    let horizon = ticks(*sim.horizon.get_ref());
    if horizon == Duration::ZERO {
        return cx.err(
            &sim.horizon,
            "the horizon must be longer than zero, e.g. \"730d\"",
        );
    }
    let replications =
        match &sim.replications {
            None => 10,
            Some(r) if *r.get_ref() >= 1 => *r.get_ref() as u64,
            Some(r) => return cx.err(
                r,
                format!(
                    "replications must be at least 1, not {}: confidence intervals need 2 or more",
                    r.get_ref()
                ),
            ),
        };
    let seed = match &sim.seed {
        None => 1,
        Some(s) if *s.get_ref() >= 0 => *s.get_ref() as u64,
        Some(s) => return cx.err(s, "the seed must be a whole number >= 0"),
    };
    let week_start = match &sim.start_weekday {
        None => Duration::ZERO,
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
    let run_end = Time::ZERO + warmup + horizon;

    let mut resources = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (name, r) in &file.resources {
        let name = cx.name(name, "resource")?;
        index.insert(name.clone(), resources.len());
        resources.push(resource(cx, name, r, week_start, run_end)?);
    }

    let mut products: Vec<ProductSpec> = Vec::new();
    for p in &file.products {
        let spec = product(cx, p, &resources, &index)?;
        if products.iter().any(|q| q.name == spec.name) {
            return cx.err(
                &p.get_ref().name,
                format!(
                    "a product named `{}` is already defined; names must be unique",
                    spec.name
                ),
            );
        }
        products.push(spec);
    }
    if products.is_empty() {
        return Err(ScenarioError::at(
            cx.path,
            cx.src,
            cx.src.len()..cx.src.len(),
            "the scenario has no [[products]]: add at least one",
        ));
    }
    Ok(Scenario {
        spec: Spec {
            resources,
            products,
            warmup,
            horizon,
        },
        replications,
        seed,
    })
}

fn resource(
    cx: &Ctx,
    name: String,
    r: &Spanned<format::Resource>,
    week_start: Duration,
    run_end: Time,
) -> R<ResourceSpec> {
    let f = r.get_ref();
    let capacity = cx.count(&f.capacity, "capacity", 0)?;
    let changeover = f
        .changeover
        .as_ref()
        .map(|c| cx.duration_dist(c))
        .transpose()?;
    let on_capacity_drop = match f.on_capacity_drop.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("finish") => CapacityDrop::FinishCurrent,
        Some("preempt") => {
            // The engine supports preempt-resume (see engine::pool), but the process-chain
            // model does not yet pause and resume its steps; refuse rather than misbehave.
            return cx.err(
                f.on_capacity_drop.as_ref().expect("matched Some"),
                "on_capacity_drop = \"preempt\" is not supported by process chains yet; use \"finish\" (work in progress finishes when capacity drops)",
            );
        }
        Some(other) => {
            return cx.err(
                f.on_capacity_drop.as_ref().unwrap(),
                format!("on_capacity_drop must be \"finish\" or \"preempt\", not \"{other}\""),
            );
        }
    };
    let calendar = match &f.calendar {
        None => None,
        Some(c) => {
            let cal = calendar(cx, c, week_start, run_end)?;
            if cal.max_capacity() > capacity {
                return cx.err(c, format!(
                    "the calendar schedules up to {} units but resource `{name}` has capacity {capacity}; raise the capacity or lower the shifts",
                    cal.max_capacity()
                ));
            }
            Some(cal)
        }
    };
    let breakdowns = match &f.breakdowns {
        None => None,
        Some(b) => {
            let bf = b.get_ref();
            let units = bf
                .units
                .as_ref()
                .map_or(Ok(1), |u| cx.count(u, "units", 1))?;
            if units > capacity {
                return cx.err(
                    bf.units.as_ref().unwrap_or(&f.capacity),
                    format!(
                        "a breakdown takes {units} units down but `{name}` has only {capacity}"
                    ),
                );
            }
            Some((
                cx.duration_dist(&bf.time_between)?,
                cx.duration_dist(&bf.repair)?,
                units,
            ))
        }
    };
    Ok(ResourceSpec {
        name,
        capacity,
        changeover,
        calendar,
        breakdowns,
        on_capacity_drop,
    })
}

fn calendar(
    cx: &Ctx,
    c: &Spanned<format::CalendarSpec>,
    week_start: Duration,
    run_end: Time,
) -> R<Calendar> {
    let f = c.get_ref();
    let base = f.base.as_ref().map_or(Ok(0), |b| cx.count(b, "base", 0))?;
    let mut shifts = Vec::new();
    for s in &f.shifts {
        let sf = s.get_ref();
        let days = parse_days(sf.days.get_ref()).or_else(|m| cx.err(&sf.days, m))?;
        let start = parse_time_of_day(sf.start.get_ref()).or_else(|m| cx.err(&sf.start, m))?;
        let end = parse_time_of_day(sf.end.get_ref()).or_else(|m| cx.err(&sf.end, m))?;
        let capacity = cx.count(&sf.capacity, "capacity", 0)?;
        shifts.push(Shift {
            days,
            start: ticks(start),
            end: ticks(end),
            capacity,
        });
    }
    let mut exceptions = Vec::new();
    for e in &f.exceptions {
        let ef = e.get_ref();
        let (from, to) = (
            Time::ZERO + ticks(*ef.from.get_ref()),
            Time::ZERO + ticks(*ef.to.get_ref()),
        );
        if from >= to {
            return cx.err(
                &ef.to,
                "an exception must end (`to`) after it starts (`from`)",
            );
        }
        let capacity = ef
            .capacity
            .as_ref()
            .map_or(Ok(0), |v| cx.count(v, "capacity", 0))?;
        let every = match &ef.repeat {
            None => None,
            Some(r) if ticks(*r.get_ref()) >= to.since(from) && r.get_ref().0 > 0.0 => {
                Some(ticks(*r.get_ref()))
            }
            Some(r) => return cx.err(r, "repeat must be at least as long as the exception itself"),
        };
        let (mut a, mut b) = (from, to);
        loop {
            exceptions.push(Exception {
                from: a,
                to: b,
                capacity,
            });
            match every {
                Some(step) if a + step < run_end => {
                    a += step;
                    b += step;
                }
                _ => break,
            }
        }
    }
    Calendar::new(
        Duration::from_ticks(week_start.ticks() % TICKS_PER_WEEK),
        &shifts,
        base,
        &exceptions,
    )
    .or_else(|e| cx.err(c, format!("{e}")))
}

fn product(
    cx: &Ctx,
    p: &Spanned<format::Product>,
    resources: &[ResourceSpec],
    index: &HashMap<String, usize>,
) -> R<ProductSpec> {
    let f = p.get_ref();
    let name = cx.name(&f.name, "product")?;
    let allo = match f.kind.get_ref().as_str() {
        "autologous" => false,
        "allogeneic" => true,
        other => {
            return cx.err(
                &f.kind,
                format!("type must be \"autologous\" or \"allogeneic\", not \"{other}\""),
            );
        }
    };
    let arrivals = arrivals(cx, &f.arrivals)?;
    let patience = f
        .patience
        .as_ref()
        .map(|d| cx.duration_dist(d))
        .transpose()?;
    let base_priority = f.priority.as_ref().map_or(0, |v| *v.get_ref()) as i32;
    let mut priority = vec![base_priority; resources.len()];
    for (r, v) in &f.resource_priority {
        match index.get(r.get_ref()) {
            Some(&i) => priority[i] = *v.get_ref() as i32,
            None => return cx.err(r, unknown_resource(r.get_ref(), index)),
        }
    }
    if f.steps.get_ref().is_empty() {
        return cx.err(
            &f.steps,
            format!("product `{name}` has no steps: add [[products.steps]]"),
        );
    }
    let steps = chain(cx, &name, f.steps.get_ref(), resources, index)?;
    let allogeneic = if allo {
        Some(allogeneic(cx, f, &name, &steps, resources, index)?)
    } else {
        let allo_only: [(&str, Option<std::ops::Range<usize>>); 5] = [
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
    Ok(ProductSpec {
        name,
        arrivals,
        patience,
        priority,
        steps,
        allogeneic,
    })
}

/// A chain of steps (a product's steps, or an allogeneic product's delivery).
fn chain(
    cx: &Ctx,
    product: &str,
    steps_in: &[Spanned<format::Step>],
    resources: &[ResourceSpec],
    index: &HashMap<String, usize>,
) -> R<Vec<StepSpec>> {
    let names: Vec<&str> = steps_in
        .iter()
        .map(|s| s.get_ref().name.get_ref().as_str())
        .collect();
    let mut steps = Vec::new();
    for (i, s) in steps_in.iter().enumerate() {
        let sf = s.get_ref();
        let sname = cx.name(&sf.name, "step")?;
        if names[..i].contains(&sname.as_str()) {
            return cx.err(&sf.name, format!("product `{product}` already has a step named `{sname}`; step names must be unique"));
        }
        let kind = match &sf.assays {
            Some(list) => {
                for (key, present) in [
                    ("uses", !sf.uses.is_empty()),
                    ("touch_uses", !sf.touch_uses.is_empty()),
                    ("duration", sf.duration.is_some()),
                    ("touch", sf.touch.is_some()),
                    ("failure", sf.failure.is_some()),
                ] {
                    if present {
                        return cx.err(s, format!("step `{sname}` has assays, so `{key}` belongs inside each assay, not on the step"));
                    }
                }
                if list.is_empty() {
                    return cx.err(s, format!("step `{sname}` lists no assays"));
                }
                let mut assays = Vec::new();
                for a in list {
                    let af = a.get_ref();
                    let aname = cx.name(&af.name, "assay")?;
                    if assays.iter().any(|x: &Assay| x.name == aname) {
                        return cx.err(
                            &af.name,
                            format!("step `{sname}` already has an assay named `{aname}`"),
                        );
                    }
                    let task = task(
                        cx,
                        (&af.uses, &af.touch_uses),
                        Some(&af.duration),
                        af.touch.as_ref(),
                        a,
                        resources,
                        index,
                    )?;
                    let failure = af
                        .failure
                        .as_ref()
                        .map(|fl| failure(cx, fl, &names, i))
                        .transpose()?;
                    assays.push(Assay {
                        name: aname,
                        task,
                        failure,
                    });
                }
                StepKind::Assays(assays)
            }
            None => {
                let task = task(
                    cx,
                    (&sf.uses, &sf.touch_uses),
                    sf.duration.as_ref(),
                    sf.touch.as_ref(),
                    s,
                    resources,
                    index,
                )?;
                let failure = sf
                    .failure
                    .as_ref()
                    .map(|fl| failure(cx, fl, &names, i))
                    .transpose()?;
                StepKind::Work(task, failure)
            }
        };
        steps.push(StepSpec { name: sname, kind });
    }
    Ok(steps)
}

/// The make-to-stock settings of an allogeneic product.
fn allogeneic(
    cx: &Ctx,
    f: &format::Product,
    name: &str,
    steps: &[StepSpec],
    resources: &[ResourceSpec],
    index: &HashMap<String, usize>,
) -> R<Allogeneic> {
    let Some(doses_in) = &f.doses else {
        return cx.err(&f.name, format!("allogeneic product `{name}` needs `doses`, the doses a batch yields, e.g. doses = 100"));
    };
    let doses = match doses_in.get_ref().to_dist() {
        Ok(d) => d,
        Err(e) => return cx.err(doses_in, format!("{e}; fix the parameters")),
    };
    if doses.mean().round() < 1.0 {
        return cx.err(
            doses_in,
            "a batch must yield at least one dose on average; a batch size of zero makes nothing",
        );
    }
    let order_size = match &f.order_size {
        None => 1,
        Some(v) => cx.count(v, "order_size", 1)?,
    };
    if f64::from(order_size) > doses.max().round() {
        let at = f
            .order_size
            .as_ref()
            .expect("only a given order size can exceed a batch");
        return cx.err(at, format!("an order of {order_size} doses is larger than any batch (at most {} doses); lower order_size or raise doses", doses.max().round()));
    }
    let Some(policy_in) = &f.policy else {
        return cx.err(&f.name, format!("allogeneic product `{name}` needs a `policy`: {{ reorder_point = 20 }} or {{ campaign_every = \"30d\" }}"));
    };
    let pf = policy_in.get_ref();
    let policy = match (&pf.reorder_point, &pf.campaign_every) {
        (Some(r), None) => {
            if *r.get_ref() < 0 {
                return cx.err(r, format!("a reorder point below zero ({}) would wait for backorders before making anything; use 0 or more", r.get_ref()));
            }
            let max_in_production = pf
                .max_in_production
                .as_ref()
                .map(|m| cx.count(m, "max_in_production", 1))
                .transpose()?;
            Policy::ReorderPoint {
                level: *r.get_ref(),
                max_in_production,
            }
        }
        (None, Some(every)) => {
            if let Some(m) = &pf.max_in_production {
                return cx.err(
                    m,
                    "max_in_production goes with reorder_point, not with campaign_every",
                );
            }
            let every_t = ticks(*every.get_ref());
            if every_t == Duration::ZERO {
                return cx.err(every, "campaign_every must be longer than zero");
            }
            Policy::Campaign { every: every_t }
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
            if stock_capacity < u64::from(order_size) {
                return cx.err(
                    c,
                    format!(
                        "the store holds {stock_capacity} doses but an order takes {order_size}"
                    ),
                );
            }
        }
        if let Some(life) = &sf.shelf_life {
            let l = ticks(*life.get_ref());
            let release = longest_qc_release(steps);
            if l <= release {
                return cx.err(life, format!(
                    "a shelf life of {} d is not longer than QC release ({} d): doses would expire before they could be released; check the units",
                    life.get_ref().0,
                    release.as_days()
                ));
            }
            shelf_life = Some(l);
        }
    }
    let delivery = chain(cx, name, &f.delivery, resources, index)?;
    Ok(Allogeneic {
        doses,
        order_size,
        policy,
        stock_capacity,
        shelf_life,
        delivery,
    })
}

/// The longest QC release of a chain: for each assay step, the longest mean assay
/// duration; the largest over steps.
fn longest_qc_release(steps: &[StepSpec]) -> Duration {
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

fn arrivals(cx: &Ctx, a: &Spanned<format::ArrivalsSpec>) -> R<Arrivals> {
    let f = a.get_ref();
    match (&f.rate, &f.interarrival) {
        (Some(rate), None) => {
            let r = *rate.get_ref();
            if !(r.is_finite() && r > 0.0) {
                return cx.err(rate, format!("the arrival rate must be a number > 0, not {r}"));
            }
            let per_days = match f.per.as_ref().map(|p| p.get_ref().as_str()) {
                None | Some("day") => 1.0,
                Some("hour") => 1.0 / 24.0,
                Some("week") => 7.0,
                Some("year") => 365.0,
                Some(other) => return cx.err(f.per.as_ref().unwrap(), format!("per must be \"hour\", \"day\", \"week\" or \"year\", not \"{other}\"")),
            };
            let mean_ticks = per_days / r * TICKS_PER_DAY as f64;
            Ok(Arrivals::Renewal(Dist::exponential(mean_ticks).expect("rate checked")))
        }
        (None, Some(d)) => {
            if f.per.is_some() {
                return cx.err(a, "`per` goes with `rate`, not with `interarrival`");
            }
            Ok(Arrivals::Renewal(cx.duration_dist(d)?))
        }
        _ => cx.err(a, "give arrivals either as { rate = 2.0, per = \"day\" } (Poisson) or as { interarrival = <duration or distribution> }"),
    }
}

fn unknown_resource(name: &str, index: &HashMap<String, usize>) -> String {
    let mut known: Vec<&String> = index.keys().collect();
    known.sort();
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "unknown resource `{name}`; define it under [resources] (defined: {})",
        if list.is_empty() { "none".into() } else { list }
    )
}

fn task<T>(
    cx: &Ctx,
    (uses, touch_uses): (&[Spanned<format::Use>], &[Spanned<format::Use>]),
    duration: Option<&Spanned<DurationDist>>,
    touch: Option<&Spanned<DurationDist>>,
    owner: &Spanned<T>,
    resources: &[ResourceSpec],
    index: &HashMap<String, usize>,
) -> R<Task> {
    let Some(duration) = duration else {
        return cx.err(
            owner,
            "this step has no `duration`; add one, e.g. duration = \"1d\"",
        );
    };
    let all: Vec<&Spanned<format::Use>> = uses.iter().chain(touch_uses).collect();
    if all.len() > MAX_NEEDS {
        return cx.err(
            all[MAX_NEEDS],
            format!("a step can hold at most {MAX_NEEDS} resources at once"),
        );
    }
    let mut out: Vec<(usize, u32)> = Vec::new();
    for u in &all {
        let uf = u.get_ref();
        let Some(&r) = index.get(&uf.resource) else {
            return cx.err(u, unknown_resource(&uf.resource, index));
        };
        if out.iter().any(|&(x, _)| x == r) {
            return cx.err(
                u,
                format!(
                    "resource `{}` is listed twice; list it once with units = N",
                    uf.resource
                ),
            );
        }
        let units = u32::try_from(uf.units).ok().filter(|&n| n >= 1);
        let Some(units) = units else {
            return cx.err(
                u,
                format!(
                    "units must be a whole number of at least 1, not {}",
                    uf.units
                ),
            );
        };
        let max = resources[r].max_capacity();
        if max == 0 {
            return cx.err(u, format!("resource `{}` never has any unit available (capacity or calendar 0), so this step could never start; give it capacity", uf.resource));
        }
        if units > max {
            return cx.err(u, format!("this step needs {units} units of `{}` but it never has more than {max}; raise its capacity or need fewer units", uf.resource));
        }
        out.push((r, units));
    }
    let touch_out = out.split_off(uses.len());
    let touch = match (touch, touch_uses.first()) {
        (Some(t), Some(_)) => Some(cx.duration_dist(t)?),
        (None, None) => None,
        (Some(t), None) => {
            return cx.err(t, "`touch` is the hands-on time on `touch_uses` (an operator, an analyst), but the step lists none; add touch_uses = [\"...\"] or remove `touch`");
        }
        (None, Some(u)) => {
            return cx.err(u, "`touch_uses` are held for the hands-on `touch` time, but the step gives none; add touch = \"2h\" (or move them to `uses` to hold them for the whole step)");
        }
    };
    Ok(Task {
        uses: out,
        touch_uses: touch_out,
        duration: cx.duration_dist(duration)?,
        touch,
    })
}

fn failure(cx: &Ctx, fl: &Spanned<format::FailureSpec>, steps: &[&str], here: usize) -> R<Failure> {
    let f = fl.get_ref();
    let p = *f.probability.get_ref();
    if !(0.0..=1.0).contains(&p) {
        return cx.err(
            &f.probability,
            format!("a probability must be between 0 and 1, not {p} (write 5 % as 0.05)"),
        );
    }
    let retry_from = match &f.retry_from {
        None => here,
        Some(name) => match steps[..=here].iter().position(|s| s == name.get_ref()) {
            Some(i) => i,
            None if steps.contains(&name.get_ref().as_str()) => {
                return cx.err(
                    name,
                    format!(
                        "retry_from must name this step or an earlier one; `{}` comes later",
                        name.get_ref()
                    ),
                );
            }
            None => {
                let list = steps[..=here]
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                return cx.err(name, format!("unknown step `{}`; retry_from must name this step or an earlier one ({list})", name.get_ref()));
            }
        },
    };
    let default_attempts = if f.retry_from.is_some() { 2 } else { 1 };
    let max_attempts = f
        .max_attempts
        .as_ref()
        .map_or(Ok(default_attempts), |m| cx.count(m, "max_attempts", 1))?;
    Ok(Failure {
        probability: p,
        retry_from,
        max_attempts,
    })
}
