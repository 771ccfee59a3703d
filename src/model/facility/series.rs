//! The time series of a replication: at the end of every period (and at the end of the
//! run) the facility's flows and integrals since the start of the run are read, one per
//! [`SeriesKey`], and their differences since the last period become one row, in the
//! order of [`series_keys`] (and so of
//! [`series_names`](crate::model::metrics::series_names)).
//!
//! Nothing is recorded per event: products and pools keep integrals since the start of
//! the run anyway, so a period costs one event and one row. Memory grows with the number
//! of periods only.
//!
//! This module must not print or know output formats.

use super::{Ev, Facility};
use crate::engine::stats::u128_to_f64;
use crate::engine::{Duration, Kernel, Time};
use crate::model::metrics::{
    SeriesBookingStat, SeriesKey, SeriesProductStat, SeriesResourceStat, SeriesSiteStat,
    SeriesSlotStat, series_keys,
};

/// A replication's time series while it runs.
pub(crate) struct SeriesRec {
    period: Duration,
    /// What each value of a row measures.
    keys: Vec<SeriesKey>,
    /// The end of the last recorded period.
    last: Time,
    /// The cumulative readings at `last`, one per key.
    prev: Vec<(f64, f64)>,
    /// One row per recorded period.
    rows: Vec<f64>,
}

impl SeriesRec {
    pub(super) fn new(period: Duration, spec: &crate::model::Spec) -> SeriesRec {
        SeriesRec {
            period,
            keys: series_keys(spec),
            last: Time::ZERO,
            prev: Vec::new(),
            rows: Vec::new(),
        }
    }
}

/// How a period's value comes from the difference of two cumulative readings.
enum Per {
    /// A flow: the difference itself.
    Period,
    /// An integral: the difference over the period's length (a time average).
    Time,
    /// A sum of values: the difference over the difference of their count (a mean).
    Count,
}

/// How the value of `key` is made from its readings.
fn per(key: SeriesKey) -> Per {
    match key {
        SeriesKey::Product(_, SeriesProductStat::WipMean)
        | SeriesKey::Resource(..)
        | SeriesKey::Slot(_, SeriesSlotStat::WaitingMean) => Per::Time,
        SeriesKey::Product(_, SeriesProductStat::V2vMean)
        | SeriesKey::Site {
            stat: SeriesSiteStat::V2vMean,
            ..
        } => Per::Count,
        _ => Per::Period,
    }
}

impl Facility<'_> {
    /// Reads where the series starts and schedules the first period's end.
    pub(super) fn start_series(&mut self, k: &mut Kernel<Ev>) {
        if self.series.is_none() {
            return;
        }
        let now = k.now();
        let prev = self.readings(k, now);
        let s = self.series.as_mut().expect("checked above");
        s.prev = prev;
        s.last = now;
        k.schedule_at(now + s.period, Ev::Period);
    }

    /// A period ended: record it, schedule the next.
    pub(super) fn record_period(&mut self, k: &mut Kernel<Ev>) {
        // Quiet pools apply their calendar changes when read.
        k.catch_up_pools();
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
        let cur = self.readings(k, now);
        let s = self.series.as_mut().expect("recording a series");
        let span = now.since(s.last).ticks() as f64;
        for ((key, c), p) in s.keys.iter().zip(&cur).zip(&s.prev) {
            s.rows.push(match per(*key) {
                Per::Period => c.0 - p.0,
                Per::Time => (c.0 - p.0) / span,
                Per::Count => (c.0 - p.0) / (c.1 - p.1),
            });
        }
        s.prev = cur;
        s.last = now;
    }

    /// Every key's cumulative reading since the start of the run: a flow, an integral, or
    /// a sum of values with their count.
    fn readings(&self, k: &Kernel<Ev>, now: Time) -> Vec<(f64, f64)> {
        let keys = &self.series.as_ref().expect("recording a series").keys;
        keys.iter().map(|&key| self.reading(key, k, now)).collect()
    }

    fn reading(&self, key: SeriesKey, k: &Kernel<Ev>, now: Time) -> (f64, f64) {
        let one = |x: f64| (x, 0.0);
        match key {
            SeriesKey::Product(p, stat) => {
                let rt = &self.products[p];
                let f = rt.life;
                match stat {
                    SeriesProductStat::Arrived => one(f.arrived as f64),
                    SeriesProductStat::Completed => one(f.completed as f64),
                    SeriesProductStat::Lost => one(f.lost as f64),
                    SeriesProductStat::DroppedOut => one(f.dropped_out as f64),
                    SeriesProductStat::WipMean => one(u128_to_f64(rt.wip.lifetime_area(now))),
                    SeriesProductStat::V2vMean => (f.v2v_days, f.completed as f64),
                }
            }
            SeriesKey::Hazard { product, cause } => {
                one(self.products[product].hazards.life[cause] as f64)
            }
            SeriesKey::Booking {
                product,
                step,
                stat,
            } => {
                let f = self.products[product].bookings.life[step];
                one(match stat {
                    SeriesBookingStat::Late => f.late as f64,
                    SeriesBookingStat::Refused => f.refused as f64,
                })
            }
            SeriesKey::Site {
                product,
                site,
                stat,
            } => {
                let rt = self.site_rt(product, site);
                match stat {
                    SeriesSiteStat::Arrived => one(rt.life_arrived as f64),
                    SeriesSiteStat::Completed => one(rt.life_completed as f64),
                    SeriesSiteStat::Lost => one(rt.life_left as f64),
                    SeriesSiteStat::V2vMean => (rt.life_v2v_days, rt.life_completed as f64),
                }
            }
            SeriesKey::Resource(r, stat) => {
                let [busy, available, queue] = k.pools()[r].lifetime_areas(now);
                one(u128_to_f64(match stat {
                    SeriesResourceStat::InUse => busy,
                    SeriesResourceStat::Available => available,
                    SeriesResourceStat::Queue => queue,
                }))
            }
            SeriesKey::Slot(s, stat) => {
                let rt = &self.slots[s];
                one(match stat {
                    SeriesSlotStat::Released => rt.life.released as f64,
                    SeriesSlotStat::Allocated => rt.life.allocated as f64,
                    SeriesSlotStat::Wasted => rt.life.wasted as f64,
                    SeriesSlotStat::WaitingMean => u128_to_f64(rt.waiting.lifetime_area(now)),
                })
            }
        }
    }
}
