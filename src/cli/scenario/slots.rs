//! Slot calendars and the steps that wait for their slots, and steps booked ahead, from
//! the file format to the model.

use super::ScenarioError;
use super::compile::{Ctx, period, unknown};
use super::format;
use super::outcomes::step_index;
use super::spanned::Spanned;
use super::units::{Days, shown};
use crate::engine::{Dist, Duration, Time};
use crate::model::{Booking, Late, SlotRelease, SlotSpec, SlotUse, StepSpec};
use indexmap::IndexMap;
use std::collections::HashMap;

type R<T> = Result<T, ScenarioError>;

/// The scenario's slot calendars, and their indices by name.
pub(super) fn calendars(
    cx: &Ctx,
    file: &IndexMap<Spanned<String>, Spanned<format::SlotCalendar>>,
) -> R<(Vec<SlotSpec>, HashMap<String, usize>)> {
    let mut out = Vec::new();
    let mut index = HashMap::new();
    for (name, c) in file {
        let f = c.get_ref();
        let r = f.release.get_ref();
        let count = |required: bool| -> R<Option<Dist>> {
            match &r.count {
                None if required => cx.err(
                    &f.release,
                    "give `count`, the slots each release makes available, e.g. count = 2",
                ),
                None => Ok(None),
                Some(c) => match c.get_ref().to_dist() {
                    Ok(d) => Ok(Some(d)),
                    Err(e) => cx.err(c, format!("{e}; fix the parameters")),
                },
            }
        };
        let release = match (&r.dates, &r.every) {
            (Some(dates), None) => {
                if let Some(from) = r.from.as_ref().or(r.to.as_ref()) {
                    return cx.err(
                        from,
                        "`from` and `to` go with `every`; dated releases have their own dates",
                    );
                }
                let n = match count(false)? {
                    None => 1,
                    Some(d)
                        if d.max() == d.mean()
                            && d.mean().fract() == 0.0
                            && d.mean() >= 0.0
                            && d.mean() <= f64::from(u32::MAX) =>
                    {
                        d.mean() as u32
                    }
                    Some(_) => {
                        let at = r.count.as_ref().expect("counted");
                        return cx.err(
                            at,
                            "dated releases take a whole number of slots, e.g. count = 2",
                        );
                    }
                };
                SlotRelease::Dates {
                    at: dates
                        .iter()
                        .map(|d| Time::ZERO + Duration::from_days_f64(d.get_ref().0))
                        .collect(),
                    count: n,
                }
            }
            (None, Some(every)) => SlotRelease::Every {
                first: r.from.as_ref().map_or(Time::ZERO, |d| {
                    Time::ZERO + Duration::from_days_f64(d.get_ref().0)
                }),
                every: period(every.get_ref()).or_else(|m| cx.err(every, m))?,
                count: count(true)?.expect("required"),
                until: r.to.as_ref().map_or(Time::NEVER, |d| {
                    Time::ZERO + Duration::from_days_f64(d.get_ref().0)
                }),
            },
            _ => {
                return cx.err(
                    &f.release,
                    "give release = { dates = [\"10d\", \"40d\"], count = 1 } or release = { every = \"month\", count = 2 } (count may be a distribution)",
                );
            }
        };
        let by_score = match f.allocation.as_ref().map(|a| a.get_ref().as_str()) {
            None | Some("fcfs") => false,
            Some("score") => true,
            Some(other) => {
                return cx.err(
                    f.allocation.as_ref().expect("matched Some"),
                    format!(
                        "allocation must be \"fcfs\" (first come first served) or \"score\" (by the patients' priority scores), not \"{}\"",
                        shown(other)
                    ),
                );
            }
        };
        index.insert(name.get_ref().clone(), out.len());
        out.push(SlotSpec {
            name: name.get_ref().clone(),
            release,
            open_for: f
                .open_for
                .as_ref()
                .map_or(Duration::ZERO, |d| Duration::from_days_f64(d.get_ref().0)),
            by_score,
        });
    }
    Ok((out, index))
}

/// Sets the slot of each step of a product's chain that waits for one.
pub(super) fn step_slots(
    cx: &Ctx,
    steps_in: &[Spanned<format::Step>],
    steps: &mut [StepSpec],
    index: &HashMap<String, usize>,
) -> R<()> {
    let names: Vec<&str> = steps_in
        .iter()
        .map(|s| s.get_ref().name.get_ref().as_str())
        .collect();
    for (i, s) in steps_in.iter().enumerate() {
        let f = s.get_ref();
        let Some(slot) = &f.slot else {
            if let Some(u) = &f.slot_until {
                return cx.err(u, "`slot_until` goes with `slot`");
            }
            continue;
        };
        let Some(&si) = index.get(slot.get_ref()) else {
            return cx.err(
                slot,
                unknown("slot calendar", slot.get_ref(), "[slots]", index),
            );
        };
        if f.assays.is_some() {
            return cx.err(
                slot,
                "a QC release step cannot wait for a slot; put the slot on an earlier step",
            );
        }
        let until = match &f.slot_until {
            None => i,
            Some(u) => {
                let j = step_index(cx, u, &names)?;
                if j < i {
                    return cx.err(
                        u,
                        "a slot is held until this step or a later one starts; name a later step",
                    );
                }
                j
            }
        };
        steps[i].slot = Some(SlotUse { slot: si, until });
    }
    Ok(())
}

/// A step's booking ahead.
pub(super) fn booking(cx: &Ctx, b: &Spanned<format::BookSpec>) -> R<Booking> {
    let f = b.get_ref();
    let span = |d: &Spanned<Days>| Duration::from_days_f64(d.get_ref().0);
    let late = match f.late.as_ref() {
        None => Late::Refuse,
        Some(_) if f.deadline.is_none() => {
            let at = f.late.as_ref().expect("given");
            return cx.err(at, "`late` says what happens to a booking that misses its deadline, and this booking has none; give `deadline` (the latest a window may end after the request) or remove `late`");
        }
        Some(l) => match l.get_ref().as_str() {
            "refuse" => Late::Refuse,
            "postpone" => Late::Postpone,
            other => {
                return cx.err(l, format!("late = \"{}\" is not a choice: \"refuse\" (the campaign leaves) or \"postpone\" (booked late all the same)", shown(other)));
            }
        },
    };
    Ok(Booking {
        lead: f.lead.as_ref().map_or(Duration::ZERO, span),
        deadline: f.deadline.as_ref().map(span),
        late,
    })
}
