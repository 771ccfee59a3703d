//! The checks of booking ahead: a booked step reserves one unit of one resource for its
//! work; that resource is booked by booking steps alone and is always there (no
//! calendar, breakdowns or changeover), so that a window once booked is kept; lead times
//! and deadlines are in range and can be met.
//!
//! This module must not parse text or know file formats.

use super::{Errors, limits};
use crate::engine::Duration;
use crate::model::spec::{Spec, StepKind, StepSpec};

impl Spec {
    pub(super) fn check_bookings(&self, e: &mut Errors) {
        // Per resource, the first step that books it (for messages).
        let mut booked: Vec<Option<String>> = vec![None; self.resources.len()];
        for p in &self.products {
            for (chain, steps) in self.chains_of(p) {
                for s in steps.iter().filter(|s| s.booking.is_some()) {
                    let here = format!("products.{}.{chain}.{}", p.name, s.name);
                    if let Some(r) = self.check_booked_step(p.allogeneic.is_some(), s, &here, e)
                        && booked[r].is_none()
                    {
                        booked[r] = Some(format!("by step `{}` of `{}`", s.name, p.name));
                    }
                }
            }
        }
        for (r, by) in booked.iter().enumerate() {
            let Some(by) = by else { continue };
            let res = &self.resources[r];
            let at = format!("resources.{}", res.name);
            let why = "so that a window once booked is always there";
            if res.calendar.is_some() {
                e.add(format!("{at}.calendar"), format!("`{}` is booked ahead {by}, {why}: it cannot have a calendar; remove the calendar (a booking is made for the unit's whole window)", res.name));
            }
            if res.breakdowns.is_some() {
                e.add(format!("{at}.breakdowns"), format!("`{}` is booked ahead {by}, {why}: it cannot break down; remove `breakdowns`", res.name));
            }
            if res.changeover.is_some() {
                e.add(format!("{at}.changeover"), format!("`{}` is booked ahead {by}, {why}: a changeover would run into the next window; remove it and count the cleaning in the booked step's duration", res.name));
            }
            if res.capacity > limits::MAX_BOOKED_UNITS {
                e.add(
                    format!("{at}.capacity"),
                    format!(
                        "`{}` is booked ahead with {} units; at most {} (every booking searches each unit's calendar)",
                        res.name,
                        res.capacity,
                        limits::MAX_BOOKED_UNITS
                    ),
                );
            }
        }
        // Nothing else may queue for a booked resource.
        for p in &self.products {
            for (chain, steps) in self.chains_of(p) {
                for s in steps.iter().filter(|s| s.booking.is_none()) {
                    let here = format!("products.{}.{chain}.{}", p.name, s.name);
                    for (r, key) in uses_of(self, s) {
                        if let Some(Some(by)) = booked.get(r) {
                            e.add(format!("{here}.{key}"), format!("`{}` is booked ahead {by}; a step that queues for it would take a unit from a booked window: book it here too (book = {{ ... }}) or use another resource", self.resources[r].name));
                        }
                    }
                }
            }
        }
    }

    /// Checks booking step `s`; returns the resource it books if it books one.
    fn check_booked_step(
        &self,
        allogeneic: bool,
        s: &StepSpec,
        here: &str,
        e: &mut Errors,
    ) -> Option<usize> {
        let b = s.booking.expect("a booking step");
        let at = format!("{here}.book");
        if allogeneic {
            e.add(&at, "booking ahead is for products made one at a time (a campaign, a patient): declare the campaigns as a product of type \"autologous\"");
        }
        if !(s.seize.is_empty() && s.release.is_empty()) {
            e.add(&at, "a booked step holds its unit for its window alone: it cannot seize or release resources held across steps");
        }
        let max = Duration::from_days_f64(limits::MAX_DURATION_DAYS);
        if b.lead > max {
            e.add(
                format!("{at}.lead"),
                format!(
                    "a lead time of {:.0} days; at most {} (100,000 years)",
                    b.lead.as_days(),
                    limits::MAX_DURATION_DAYS
                ),
            );
        }
        match b.deadline {
            Some(d) if d > max => e.add(
                format!("{at}.deadline"),
                format!(
                    "a deadline of {:.0} days; at most {} (100,000 years)",
                    d.as_days(),
                    limits::MAX_DURATION_DAYS
                ),
            ),
            Some(d) if d <= b.lead => e.add(format!("{at}.deadline"), format!("the deadline ({} d) is not after the lead time ({} d): no window could end by then, so every booking would miss it; give a later deadline or a shorter lead", d.as_days(), b.lead.as_days())),
            _ => {}
        }
        let task = match &s.kind {
            StepKind::Work(task, _) => task,
            StepKind::Assays(_) => {
                e.add(
                    &at,
                    "a QC release step cannot be booked ahead; book a work step",
                );
                return None;
            }
            StepKind::Transport(_) => {
                e.add(
                    &at,
                    "a transport leg cannot be booked ahead; book a work step",
                );
                return None;
            }
        };
        match task.uses.as_slice() {
            [(r, 1)] if task.touch_uses.is_empty() && task.touch.is_none() => {
                Some(*r).filter(|&r| r < self.resources.len())
            }
            _ => {
                e.add(format!("{here}.uses"), "a booked step reserves one unit of one resource for its whole work: uses = [{ resource = \"lab\" }] and no touch_uses or touch (staff and hands-on time go inside the booked duration)");
                None
            }
        }
    }

    /// A product's chains with their path segment: `steps`, then `delivery` (allogeneic).
    fn chains_of<'a>(
        &'a self,
        p: &'a crate::model::spec::ProductSpec,
    ) -> impl Iterator<Item = (&'static str, &'a [StepSpec])> {
        let delivery = p
            .allogeneic
            .as_ref()
            .map(|a| ("delivery", a.delivery.as_slice()));
        std::iter::once(("steps", p.steps.as_slice())).chain(delivery)
    }
}

/// Every resource step `s` asks for, with the key that names it.
fn uses_of(spec: &Spec, s: &StepSpec) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = s.seize.iter().map(|u| (u.0, "seize".into())).collect();
    for (t, at) in spec.tasks_of(s) {
        out.extend(t.uses.iter().map(|u| (u.0, format!("{at}uses"))));
        out.extend(
            t.touch_uses
                .iter()
                .map(|u| (u.0, format!("{at}touch_uses"))),
        );
    }
    out
}
