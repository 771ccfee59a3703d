//! The time series of a replication: at the end of every period (and at the end of the
//! run) the facility's flows and integrals since the start of the run are read, and
//! their differences since the last period become one row, in the order of
//! [`series_names`](crate::model::metrics::series_names).
//!
//! Nothing is recorded per event: products and pools keep integrals since the start of
//! the run anyway, so a period costs one event and one row. Memory grows with the number
//! of periods only.
//!
//! This module must not print or know output formats.

use super::{Ev, Facility};
use crate::engine::{Duration, Kernel, Time};
use crate::model::metrics::{SERIES_BOOKING, SERIES_PRODUCT, SERIES_RESOURCE, SERIES_SLOT};

/// A replication's time series while it runs.
pub(crate) struct SeriesRec {
    period: Duration,
    /// The end of the last recorded period.
    last: Time,
    /// The cumulative values read at `last`.
    prev: Vec<f64>,
    /// One row per recorded period.
    rows: Vec<f64>,
}

impl SeriesRec {
    pub(super) fn new(period: Duration) -> SeriesRec {
        SeriesRec {
            period,
            last: Time::ZERO,
            prev: Vec::new(),
            rows: Vec::new(),
        }
    }
}

/// Cumulative values read per product (then one per hazard cause and two per booking
/// step) and per resource.
const PER_PRODUCT: usize = 6;
const PER_RESOURCE: usize = 3;

impl Facility<'_> {
    /// Reads where the series starts and schedules the first period's end.
    pub(super) fn start_series(&mut self, k: &mut Kernel<Ev>) {
        if self.series.is_none() {
            return;
        }
        let now = k.now();
        let prev = self.cumulative(k, now);
        let s = self.series.as_mut().expect("checked above");
        s.prev = prev;
        s.last = now;
        k.schedule_at(now + s.period, Ev::Period);
    }

    /// A period ended: record it, schedule the next.
    pub(super) fn record_period(&mut self, k: &mut Kernel<Ev>) {
        self.record_row(k);
        let period = self
            .series
            .as_ref()
            .expect("scheduled with a series")
            .period;
        k.schedule_in(period, Ev::Period);
    }

    /// The rows of the series, including the last (possibly partial) period up to the
    /// end of the run; `None` without a series. Call once, after the run.
    pub fn finish_series(&mut self, k: &Kernel<Ev>) -> Option<Vec<f64>> {
        let s = self.series.as_ref()?;
        if k.now() > s.last {
            self.record_row(k);
        }
        self.series.take().map(|s| s.rows)
    }

    fn record_row(&mut self, k: &Kernel<Ev>) {
        let now = k.now();
        let cur = self.cumulative(k, now);
        let s = self.series.as_mut().expect("recording a series");
        let span = now.since(s.last).ticks() as f64;
        let d = |i: usize| cur[i] - s.prev[i];
        let mut b = 0;
        for rt in &self.products {
            let row = [
                d(b),
                d(b + 1),
                d(b + 2),
                d(b + 3),
                d(b + 5) / span,
                d(b + 4) / d(b + 1),
            ];
            debug_assert_eq!(row.len(), SERIES_PRODUCT.len());
            s.rows.extend(row);
            b += PER_PRODUCT;
            for _ in &rt.hazards.life {
                s.rows.push(d(b));
                b += 1;
            }
            for _ in rt.bookings.booking_steps() {
                s.rows.extend([d(b), d(b + 1)]);
                b += SERIES_BOOKING.len();
            }
        }
        for _ in 0..self.spec.resources.len() {
            let row = [d(b) / span, d(b + 1) / span, d(b + 2) / span];
            debug_assert_eq!(row.len(), SERIES_RESOURCE.len());
            s.rows.extend(row);
            b += PER_RESOURCE;
        }
        for _ in 0..self.spec.slots.len() {
            let row = [d(b), d(b + 1), d(b + 2), d(b + 3) / span];
            debug_assert_eq!(row.len(), SERIES_SLOT.len());
            s.rows.extend(row);
            b += SERIES_SLOT.len();
        }
        s.prev = cur;
        s.last = now;
    }

    /// Flows and integrals since the start of the run: per product (then one per hazard
    /// cause), per resource, per slot calendar.
    fn cumulative(&self, k: &Kernel<Ev>, now: Time) -> Vec<f64> {
        let mut out =
            Vec::with_capacity(self.products.len() * PER_PRODUCT + k.pools().len() * PER_RESOURCE);
        for rt in &self.products {
            let f = rt.life;
            out.extend([
                f.arrived as f64,
                f.completed as f64,
                f.lost as f64,
                f.dropped_out as f64,
                f.v2v_days,
                rt.wip.lifetime_area(now) as f64,
            ]);
            out.extend(rt.hazards.life.iter().map(|&n| n as f64));
            for step in rt.bookings.booking_steps() {
                let f = rt.bookings.life[step];
                out.extend([f.late as f64, f.refused as f64]);
            }
        }
        for pool in k.pools() {
            out.extend(pool.lifetime_areas(now).map(|a| a as f64));
        }
        for rt in &self.slots {
            let f = rt.life;
            out.extend([
                f.released as f64,
                f.allocated as f64,
                f.wasted as f64,
                rt.waiting.lifetime_area(now) as f64,
            ]);
        }
        out
    }
}
