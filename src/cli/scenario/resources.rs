//! Compiling resources: capacity, changeover, what happens when capacity drops, and
//! calendars (weekly shifts worked by every unit or a fixed number, dated exceptions that
//! may repeat), with their mistakes refused at their place in the file.

use super::ScenarioError;
use super::compile::{Ctx, ticks};
use super::format;
use super::spanned::Spanned;
use super::units::{parse_days, parse_time_of_day, shown};
use crate::engine::time::TICKS_PER_WEEK;
use crate::engine::{CapacityDrop, Duration, Exception, Time};
use crate::model::{BreakdownSpec, CalendarSpec, ResourceSpec, ShiftSpec, Staffing};

type R<T> = Result<T, ScenarioError>;

/// The parameters a site gives its type's resources.
pub(super) struct Params<'a> {
    /// The site's name, where a missing parameter is reported.
    pub site: &'a Spanned<String>,
    pub type_name: &'a str,
    pub values: &'a indexmap::IndexMap<Spanned<String>, Spanned<i64>>,
}

pub(super) fn resource(
    cx: &Ctx,
    name: String,
    r: &Spanned<format::Resource>,
    week_start: Duration,
    params: Option<&Params>,
) -> R<ResourceSpec> {
    let f = r.get_ref();
    let capacity = match (f.capacity.get_ref(), params) {
        (format::Count::Value(n), _) => {
            cx.count(&Spanned::new(f.capacity.span(), *n), "capacity", 0)?
        }
        (format::Count::Param(p), Some(params)) => {
            match params.values.iter().find(|(k, _)| k.get_ref() == p) {
                Some((_, v)) => cx.count(v, "capacity", 0)?,
                None => {
                    return cx.err(params.site, format!("site `{}` of type `{}` gives no value for parameter `{}` (the capacity of its `{}`); add parameters = {{ {} = ... }}", shown(params.site.get_ref()), shown(params.type_name), shown(p), shown(&name), shown(p)));
                }
            }
        }
        (format::Count::Param(p), None) => {
            return cx.err(&f.capacity, format!("a capacity is a whole number, not \"{}\" (a parameter's name is for resources of a site type)", shown(p)));
        }
    };
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
                f.on_capacity_drop.as_ref().expect("matched Some"),
                format!(
                    "on_capacity_drop must be \"finish\" or \"preempt\", not \"{}\"",
                    shown(other)
                ),
            );
        }
    };
    let calendar = f
        .calendar
        .as_ref()
        .map(|c| calendar(cx, c, week_start))
        .transpose()?;
    let breakdowns = match &f.breakdowns {
        None => None,
        Some(b) => {
            let bf = b.get_ref();
            Some(BreakdownSpec {
                time_between: cx.duration_dist(&bf.time_between)?,
                repair: cx.duration_dist(&bf.repair)?,
                units: bf
                    .units
                    .as_ref()
                    .map_or(Ok(1), |u| cx.count(u, "units", 1))?,
            })
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

fn calendar(cx: &Ctx, c: &Spanned<format::CalendarSpec>, week_start: Duration) -> R<CalendarSpec> {
    let f = c.get_ref();
    let base = f.base.as_ref().map_or(Ok(0), |b| cx.count(b, "base", 0))?;
    let mut shifts = Vec::new();
    for s in &f.shifts {
        let sf = s.get_ref();
        let days = parse_days(sf.days.get_ref()).or_else(|m| cx.err(&sf.days, m))?;
        let start = parse_time_of_day(sf.start.get_ref()).or_else(|m| cx.err(&sf.start, m))?;
        let end = parse_time_of_day(sf.end.get_ref()).or_else(|m| cx.err(&sf.end, m))?;
        let staffing = match &sf.capacity {
            None => Staffing::All,
            Some(v) => Staffing::Units(cx.count(v, "capacity", 0)?),
        };
        shifts.push(ShiftSpec {
            days,
            start: ticks(start),
            end: ticks(end),
            staffing,
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
        let repeat = match &ef.repeat {
            None => None,
            Some(r) => {
                let every = ticks(*r.get_ref());
                if every < crate::engine::calendar::MIN_REPEAT || every < to.since(from) {
                    return cx.err(
                        r,
                        "repeat must be at least one day and at least as long as the exception itself (for patterns within a week, use shifts)",
                    );
                }
                Some(every)
            }
        };
        exceptions.push(Exception {
            from,
            to,
            capacity,
            repeat,
        });
    }
    Ok(CalendarSpec {
        week_start: Duration::from_ticks(week_start.ticks() % TICKS_PER_WEEK),
        base,
        shifts,
        exceptions,
    })
}
