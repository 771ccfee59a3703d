//! One replication's event trace: a row per event, saying when, which entity (numbered
//! in order of creation), its product and step, where, which resources, and what
//! happened; a step's row also gives when it started and when its resources were
//! granted, so that the rows of a step are a bar of a Gantt chart.
//!
//! The trace steps the replication an event at a time (`engine::advance`), looking at
//! the facility before and after each: the loop of every other run (`engine::run`)
//! does not know traces exist.
//!
//! This module must not write files or know formats.

use super::network::StepRt;
use super::{Blueprint, Chain, Ev, Facility};
use crate::engine::{Event, Kernel, RunEnd, RunLength, Streams, Time, advance, begin};
use crate::model::RunError;
use crate::model::spec::{Spec, StepKind};

/// One row of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRow {
    /// When, in days since the start of the run.
    pub time_days: f64,
    /// What happened: "arrived", "step", "assay", "touch end", "left", "out of
    /// patience", "hazard", "campaign", "expiry", "period", "slot release", "slot
    /// expiry", "booked start", "cost year" or a resource's own event.
    pub event: &'static str,
    /// The entity's number (patients, batches and orders, in order of creation).
    pub entity: Option<u64>,
    pub product: String,
    /// "main" (a patient or a batch) or "delivery" (an allogeneic order).
    pub chain: &'static str,
    pub step: String,
    /// The site of a located step, or a leg's lane and mode ("a->p road").
    pub place: String,
    /// The resources the step or assay held, `;`-separated.
    pub resources: String,
    /// A step's or assay's start (queueing included) and the grant of its resources.
    pub started_days: Option<f64>,
    pub granted_days: Option<f64>,
    /// More about the event (an assay's name, a hazard's cause, a pool event).
    pub detail: String,
}

/// The most rows a trace keeps: beyond them it stops with an error that says so.
pub const MAX_TRACE_ROWS: usize = 2_000_000;

/// Why a trace did not finish.
#[derive(Debug)]
pub enum TraceError {
    Run(RunError),
    TooLong { at_days: f64 },
}

/// The trace of replication `streams` of `spec`: every event, and of the entities only
/// the first `entities` (by number).
pub fn trace_replication(
    spec: &Spec,
    streams: Streams,
    entities: u64,
) -> Result<Vec<TraceRow>, TraceError> {
    let mut k = Kernel::new();
    // Every shift change of every pool is a row.
    k.set_lazy_calendars(false);
    let invalid = |e| TraceError::Run(RunError::Invalid(vec![e]));
    let blueprint = Blueprint::new(spec).map_err(invalid)?;
    let mut f = Facility::new(&blueprint, &mut k, streams).map_err(invalid)?;
    let length = RunLength {
        warmup: spec.warmup,
        horizon: spec.horizon,
    };
    let mut rows = Vec::new();
    // Entities created so far (and given their "arrived" rows).
    let mut born = 0;
    let mut run = begin(&mut f, &mut k, length);
    let end = loop {
        // Entities created before the event (by the start, or by the last event).
        f.births(born, entities, &mut rows);
        born = f.born;
        if rows.len() > MAX_TRACE_ROWS {
            return Err(TraceError::TooLong {
                at_days: k.now().as_days(),
            });
        }
        // The event about to be handled, and the entity it is about (with its number).
        let mut about = None;
        let mut left = None;
        if let Some((t, ev)) = k.next_event() {
            if let Some(row) = f.describe(t, &ev, &mut about)
                && row.entity.is_none_or(|n| n < entities)
            {
                rows.push(row);
            }
            // As the entity is now, should the event see it leave (its slot may be
            // someone else's by then).
            left = about.map(|(c, _)| f.row(t, "left", c));
        }
        let end = advance(&mut f, &mut k, &mut run, 1);
        // The event was handled (unless the run stalled before it): did its entity leave?
        if let (Some((c, n)), Some(row)) = (about, left)
            && n < entities
            && !matches!(end, Some(RunEnd::Stalled { .. }))
            && (!f.entities[c as usize].live || f.entities[c as usize].serial != n)
        {
            rows.push(row);
        }
        if let Some(end) = end {
            break end;
        }
    };
    f.births(born, entities, &mut rows);
    match end {
        RunEnd::Completed => Ok(rows),
        RunEnd::Stopped { .. } if f.emptied() => Ok(rows),
        RunEnd::Stalled { at } => Err(TraceError::Run(RunError::Stalled {
            at_days: at.as_days(),
        })),
        RunEnd::Stopped { at } => {
            let (p, when) = f.overloaded().unwrap_or((0, at));
            Err(TraceError::Run(RunError::Overloaded {
                product: spec.products[p].name.clone(),
                at_days: when.as_days(),
            }))
        }
    }
}

impl Facility<'_> {
    /// An "arrived" row for each entity created since the first `from` (of the first
    /// `entities`) still here, at its arrival.
    fn births(&self, from: u64, entities: u64, rows: &mut Vec<TraceRow>) {
        if self.born <= from || from >= entities {
            return;
        }
        for (c, e) in self.entities.iter().enumerate() {
            let n = e.serial;
            if n >= from && n < self.born && n < entities && e.live {
                rows.push(self.row(e.arrived, "arrived", c as u32));
            }
        }
    }

    /// A row about entity `c` at `now`, with its product, chain and step.
    fn row(&self, now: Time, event: &'static str, c: u32) -> TraceRow {
        let e = &self.entities[c as usize];
        let steps = self.steps(e.product, e.chain);
        TraceRow {
            time_days: now.as_days(),
            event,
            entity: Some(e.serial),
            product: self.spec.products[e.product as usize].name.clone(),
            chain: match e.chain {
                Chain::Main => "main",
                Chain::Delivery => "delivery",
            },
            step: steps
                .get(e.step as usize)
                .map_or(String::new(), |s| s.name.clone()),
            place: String::new(),
            resources: String::new(),
            started_days: None,
            granted_days: None,
            detail: String::new(),
        }
    }

    /// Where task `ti` of entity `c` runs: its site, or its lane and mode.
    fn place_of(&self, c: u32, ti: usize) -> String {
        let e = &self.entities[c as usize];
        let Some(net) = &self.net else {
            return String::new();
        };
        let sites = &self.spec.network.sites;
        match &self.blueprint.step_at(e.product, e.chain)[e.step as usize] {
            StepRt::Listed => String::new(),
            StepRt::Sited(place, _) => sites[self.sites_of(c).of(*place)].name.clone(),
            StepRt::Transport(..) => {
                let (lane, mode) = net.task_leg[ti];
                let l = &self.spec.network.lanes[usize::from(lane)];
                format!(
                    "{}->{} {}",
                    sites[l.from].name,
                    sites[l.to].name,
                    l.modes[usize::from(mode)].name
                )
            }
        }
    }

    /// The resources of task `ti` (those held for the touch time only if `touch`).
    fn resources_of(&self, ti: usize, touch: bool) -> String {
        let t = &self.tasks[ti];
        t.needs
            .iter()
            .filter(|(p, _)| !touch || t.touch_pools.contains(p))
            .map(|&(p, u)| match u {
                1 => self.spec.resources[p.0 as usize].name.clone(),
                u => format!("{}x{u}", self.spec.resources[p.0 as usize].name),
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// The row of event `ev`, about to be handled at `now` (setting `about` to its
    /// entity and number, if it has one).
    fn describe(
        &self,
        now: Time,
        ev: &Event<Ev>,
        about: &mut Option<(u32, u64)>,
    ) -> Option<TraceRow> {
        let plain = |event: &'static str, product: Option<u16>, detail: String| TraceRow {
            time_days: now.as_days(),
            event,
            entity: None,
            product: product.map_or(String::new(), |p| {
                self.spec.products[usize::from(p)].name.clone()
            }),
            chain: "",
            step: String::new(),
            place: String::new(),
            resources: String::new(),
            started_days: None,
            granted_days: None,
            detail,
        };
        let ev = match ev {
            Event::Pool(p) => return Some(plain("resource", None, self.pool_event(p))),
            Event::Model(ev) => *ev,
        };
        let entity = match ev {
            Ev::TouchEnd(c)
            | Ev::WorkEnd(c)
            | Ev::AssayTouchEnd(c, _)
            | Ev::AssayEnd(c, _)
            | Ev::OutOfPatience(c)
            | Ev::Hazard(c, _)
            | Ev::BookedStart(c) => Some(c),
            _ => None,
        };
        if let Some(c) = entity {
            if self.entities[c as usize].zombie || !self.entities[c as usize].live {
                // A step's end left over from a patient who has gone.
                return None;
            }
            *about = Some((c, self.entities[c as usize].serial));
        }
        let e = entity.map(|c| self.entities[c as usize]);
        let step_row = |event, c: u32, assay: Option<u16>, touch: bool| {
            let e = &self.entities[c as usize];
            let ti = self.task_of(c, assay);
            let mut row = self.row(now, event, c);
            row.place = self.place_of(c, ti);
            row.resources = self.resources_of(ti, touch);
            row.started_days = Some(e.step_start.as_days());
            let granted = match assay {
                None => e.granted,
                Some(a) => self.assays[c as usize * self.max_assays + usize::from(a)].granted,
            };
            row.granted_days = Some(granted.as_days());
            if let (Some(a), StepKind::Assays(list)) =
                (assay, &self.steps(e.product, e.chain)[e.step as usize].kind)
            {
                row.detail = list[usize::from(a)].name.clone();
            }
            row
        };
        Some(match ev {
            Ev::Arrival(_) => return None,
            Ev::WorkEnd(c) => step_row("step", c, None, false),
            Ev::TouchEnd(c) => step_row("touch end", c, None, true),
            Ev::AssayEnd(c, a) => step_row("assay", c, Some(a), false),
            Ev::AssayTouchEnd(c, a) => step_row("touch end", c, Some(a), true),
            Ev::OutOfPatience(c) => self.row(now, "out of patience", c),
            Ev::BookedStart(c) => self.row(now, "booked start", c),
            Ev::Hazard(c, h) => {
                let mut row = self.row(now, "hazard", c);
                let product = e.map_or(0, |e| e.product);
                row.detail = self.spec.products[usize::from(product)].hazards[usize::from(h)]
                    .cause
                    .clone();
                row
            }
            Ev::Campaign(p) => plain("campaign", Some(p), String::new()),
            Ev::Expiry(p) => plain("expiry", Some(p), String::new()),
            Ev::Period => plain("period", None, String::new()),
            Ev::SlotRelease(s) => plain(
                "slot release",
                None,
                self.spec.slots[usize::from(s)].name.clone(),
            ),
            Ev::SlotExpiry(s) => plain(
                "slot expiry",
                None,
                self.spec.slots[usize::from(s)].name.clone(),
            ),
            Ev::CostYear => plain("cost year", None, String::new()),
        })
    }

    /// A pool's own event in words.
    fn pool_event(&self, p: &crate::engine::PoolEvent) -> String {
        use crate::engine::PoolEvent;
        let name = |id: crate::engine::PoolId| self.spec.resources[id.0 as usize].name.as_str();
        match *p {
            PoolEvent::CalendarChange(id) => format!("{}: calendar change", name(id)),
            PoolEvent::Breakdown(id) => format!("{}: breakdown", name(id)),
            PoolEvent::Repair(id) => format!("{}: repair", name(id)),
            PoolEvent::ChangeoverEnd(id, u) => format!("{}: changeover of {u} ends", name(id)),
        }
    }
}
