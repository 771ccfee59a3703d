//! The checks of demand and of what happens to patients: arrivals (rates, schedules,
//! growth, cohorts, dated lists, windows), slot calendars, milestones and hazards.
//!
//! This module must not parse text or know file formats.

use super::{Errors, check_name, days, duration_in_range, limits};
use crate::engine::{Duration, Time};
use crate::model::spec::{Arrivals, Growth, ProductSpec, SlotRelease, Spec, StepKind, Window};

impl Spec {
    /// Arrivals (and their window) of a product or of its demand at one site (`at`).
    pub(super) fn check_arrivals_of(
        &self,
        arrivals: &Arrivals,
        window: Option<Window>,
        at: &str,
        e: &mut Errors,
    ) {
        let arr = format!("{at}.arrivals");
        let end = Time::ZERO + self.warmup + self.horizon;
        match arrivals {
            Arrivals::Renewal(d) => {
                let mean_days = days(d.mean());
                if mean_days.is_nan() || mean_days <= 0.0 {
                    e.add(arr, "the time between arrivals is zero: arrivals would come without time passing; give a positive interarrival time or rate");
                    return;
                }
            }
            Arrivals::Schedule(periods) => {
                for (i, q) in periods.iter().enumerate() {
                    let here = format!("{arr}.schedule.{i}");
                    if !(q.rate.is_finite() && q.rate >= 0.0) {
                        e.add(
                            format!("{here}.rate"),
                            "a rate must be a finite number >= 0",
                        );
                    }
                    if i > 0 && q.from <= periods[i - 1].from {
                        e.add(format!("{here}.from"), format!("periods must start in order: this one starts at {} d, not after the one before ({} d); sort them, and give each its own start", q.from.as_days(), periods[i - 1].from.as_days()));
                    }
                }
                if periods.is_empty() {
                    e.add(format!("{arr}.schedule"), "the schedule has no periods; give at least one, e.g. [{ from = \"0d\", rate = 20, per = \"year\" }]");
                }
            }
            Arrivals::Growth(g) => self.check_growth(g, &arr, e),
            Arrivals::Cohort(c) => {
                if c.size == 0 {
                    e.add(
                        format!("{arr}.cohort"),
                        "a cohort of zero patients brings no one; give at least 1",
                    );
                }
                if c.size > limits::MAX_COHORT {
                    e.add(format!("{arr}.cohort"), format!("a cohort of {} patients; at most {} (a trial or a waiting list, not a population)", c.size, limits::MAX_COHORT));
                }
                if c.to < c.from {
                    e.add(
                        format!("{arr}.to"),
                        format!(
                            "the cohort's window ends ({} d) before it starts ({} d); swap them",
                            c.to.as_days(),
                            c.from.as_days()
                        ),
                    );
                }
                if c.from >= end {
                    e.add(format!("{arr}.from"), format!("the cohort arrives from day {} but the run ends on day {}: no one would arrive", c.from.as_days(), end.as_days()));
                }
            }
            Arrivals::Dated(times) => {
                if times.is_empty() {
                    e.add(
                        arr.clone(),
                        "the list of arrivals is empty; give at least one",
                    );
                }
                if times.windows(2).any(|w| w[1] < w[0]) {
                    e.add(arr.clone(), "the dated arrivals must be in time order");
                }
                if times.len() as f64 > limits::MAX_ARRIVALS_PER_RUN {
                    e.add(
                        arr.clone(),
                        format!(
                            "{} dated arrivals; at most {:.0e}",
                            times.len(),
                            limits::MAX_ARRIVALS_PER_RUN
                        ),
                    );
                }
            }
        }
        if let Some(w) = &window {
            if matches!(arrivals, Arrivals::Cohort(_) | Arrivals::Dated(_)) {
                e.add(
                    format!("{arr}.from"),
                    "a cohort or a dated list has its own times; remove the window",
                );
            }
            if w.to <= w.from {
                e.add(format!("{arr}.to"), format!("the window ends (day {}) at or before it starts (day {}); give `from` before `to`", w.to.as_days(), w.from.as_days()));
            }
        }
        let (a, b) = match &window {
            Some(w) => (w.from.min(end), w.to.min(end)),
            None => (Time::ZERO, end),
        };
        let expected = arrivals.expected(a, b);
        if expected > limits::MAX_ARRIVALS_PER_RUN || expected.is_nan() {
            let n = expected;
            let about = if n.is_finite() {
                format!("about {n:.3e}")
            } else {
                "unboundedly many".into()
            };
            e.add(arr, format!("{about} arrivals per replication; at most {:.0e} (is a rate per year written per day?)", limits::MAX_ARRIVALS_PER_RUN));
        }
    }

    pub(super) fn check_slots(&self, e: &mut Errors) {
        let end = Time::ZERO + self.warmup + self.horizon;
        for (si, s) in self.slots.iter().enumerate() {
            let at = format!("slots.{}", s.name);
            let taken = self.slots[..si].iter().any(|q| q.name == s.name);
            check_name(e, &at, "slot calendar", &s.name, taken);
            let releases_something = match &s.release {
                SlotRelease::Dates { at: dates, count } => {
                    if dates.windows(2).any(|w| w[1] < w[0]) {
                        e.add(
                            format!("{at}.release.dates"),
                            "release dates must be in time order",
                        );
                    }
                    *count > 0 && dates.first().is_some_and(|&t| t < end)
                }
                SlotRelease::Every {
                    first,
                    every,
                    count,
                    until,
                } => {
                    if *every == Duration::ZERO {
                        e.add(format!("{at}.release.every"), "slots released every 0 days would never end; give a period such as \"month\"");
                        continue;
                    }
                    let releases = end.since(*first).ticks() as f64 / every.ticks() as f64;
                    if releases > limits::MAX_SLOT_RELEASES {
                        e.add(format!("{at}.release.every"), format!("{releases:.0} releases in one run; at most {:.0e} (is the period in days?)", limits::MAX_SLOT_RELEASES));
                    }
                    let mean = count.mean();
                    if !mean.is_finite() || mean > limits::MAX_SLOTS_PER_RELEASE {
                        e.add(
                            format!("{at}.release.count"),
                            format!(
                                "at most {} slots per release on average",
                                limits::MAX_SLOTS_PER_RELEASE
                            ),
                        );
                    }
                    *first < end.min(*until) && count.max() >= 0.5
                }
            };
            if !releases_something {
                e.add(format!("{at}.release"), format!("this calendar releases no slot before the run ends (day {}); patients waiting for it would wait for ever. Release slots earlier, or more of them", end.as_days()));
            }
            let users: Vec<&ProductSpec> = self
                .products
                .iter()
                .filter(|p| {
                    p.steps
                        .iter()
                        .any(|st| st.slot.is_some_and(|u| u.slot == si))
                })
                .collect();
            if users.is_empty() {
                e.add(at.clone(), "no step waits for this calendar's slots; add `slot` to a step, or remove the calendar");
            }
            if s.by_score && users.iter().any(|p| p.score.is_none()) {
                e.add(format!("{at}.allocation"), "slots are allocated by score, but a product waiting for them gives its patients no `score`; add one, or allocate \"fcfs\"");
            }
        }
        for p in &self.products {
            let at = format!("products.{}", p.name);
            let by_score = p.steps.iter().any(|st| {
                st.slot
                    .is_some_and(|u| self.slots.get(u.slot).is_some_and(|s| s.by_score))
            });
            if p.score.is_some() && !by_score {
                e.add(format!("{at}.score"), "this score changes nothing: no slot calendar this product waits for allocates by score (allocation = \"score\")");
            }
            for (i, st) in p.steps.iter().enumerate() {
                let Some(u) = st.slot else { continue };
                let here = format!("{at}.steps.{}.slot", st.name);
                if u.slot >= self.slots.len() {
                    e.add(here, format!("slot calendar {} does not exist", u.slot));
                } else if u.until < i || u.until >= p.steps.len() {
                    e.add(
                        format!("{here}_until"),
                        "a slot is held until this step or a later one starts",
                    );
                } else if p.allogeneic.is_some() {
                    e.add(here, "slots are for autologous chains; an allogeneic product's chain is made by batches");
                } else if matches!(st.kind, StepKind::Assays(_)) {
                    e.add(here, "a QC release step cannot wait for a slot");
                }
            }
            for st in p.allogeneic.iter().flat_map(|a| &a.delivery) {
                if st.slot.is_some() {
                    e.add(
                        format!("{at}.delivery.{}.slot", st.name),
                        "a delivery step cannot wait for a slot",
                    );
                }
            }
        }
    }

    fn check_growth(&self, g: &Growth, arr: &str, e: &mut Errors) {
        let here = format!("{arr}.growth");
        if !(g.rate.is_finite() && g.rate >= 0.0) {
            e.add(
                format!("{here}.rate"),
                "the starting rate must be a finite number >= 0",
            );
        }
        if !(g.yearly.is_finite() && g.yearly > -1.0) {
            e.add(
                format!("{here}.yearly"),
                format!(
                    "a change of {} % a year is impossible; give more than -100 %",
                    g.yearly * 100.0
                ),
            );
        }
        if let Some(cap) = g.cap {
            if !(cap.is_finite() && cap >= 0.0) {
                e.add(format!("{here}.cap"), "the cap must be a finite rate >= 0");
            } else if (cap - g.rate) * g.yearly < 0.0 {
                let (way, fix) = if g.yearly > 0.0 {
                    ("grows", "above")
                } else {
                    ("declines", "below")
                };
                e.add(format!("{here}.cap"), format!("the rate {way} but the cap is on the other side of the starting rate, so it would never be reached; give a cap {fix} the starting rate"));
            }
        }
    }
}

/// Milestones and hazards: names, steps that exist, edges in order.
pub(super) fn check_outcomes(p: &ProductSpec, at: &str, e: &mut Errors) {
    let n = p.steps.len();
    for (i, m) in p.milestones.iter().enumerate() {
        let here = format!("{at}.milestones.{}", m.name);
        let taken = p.milestones[..i].iter().any(|q| q.name == m.name);
        check_name(e, &here, "milestone", &m.name, taken);
        if m.from.step >= n || m.to.step >= n {
            e.add(
                here,
                format!(
                    "a milestone names step {} of a chain of {n}",
                    m.from.step.max(m.to.step)
                ),
            );
            continue;
        }
        if (m.to.step, m.to.end) <= (m.from.step, m.from.end) {
            e.add(
                format!("{here}.to"),
                "the milestone must end after it starts in the chain",
            );
        }
        if m.deadline == Some(Duration::ZERO) {
            e.add(
                format!("{here}.deadline"),
                "a deadline of zero is met by no one; give a positive duration",
            );
        }
    }
    if !p.hazards.is_empty() && p.allogeneic.is_some() {
        e.add(format!("{at}.hazards"), "hazards are for patients of autologous products; an allogeneic product's chain is made by batches");
    }
    for (i, h) in p.hazards.iter().enumerate() {
        let here = format!("{at}.hazards.{i}");
        check_name(e, &here, "cause", &h.cause, false);
        if h.from >= n || h.to >= n {
            e.add(
                here,
                format!("a hazard names step {} of a chain of {n}", h.from.max(h.to)),
            );
            continue;
        }
        if h.to < h.from {
            e.add(format!("{here}.to"), "the hazard's phase ends before it starts: `to` must be the step `from` or a later one");
        }
        if let Err(m) = duration_in_range(&h.time.scaled(1.0 / limits::DAY)) {
            e.add(format!("{here}.time"), m);
        }
    }
}
