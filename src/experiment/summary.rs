//! What a run reports over its replications, accumulated as they end: per metric the
//! moments behind the confidence interval, the events, the pooled percentile sketches
//! and, per period and metric, the time series' moments. Memory is the same for 10 or
//! 100,000 replications; a caller that wants each replication's values (the tidy
//! `replications.csv`) gets them one at a time and writes them out.
//!
//! Replications are added in replication order (the caller guarantees it), so the
//! floating-point sums, and every figure read from them, are the same on any number of
//! threads.
//!
//! This module must not read or write files, or print.

use super::{Estimate, SeriesPoint};
use crate::engine::Welford;
use crate::model::{Pooled, Replication, Spec, series_names};

/// The figures of a run accumulated over its replications so far.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Per metric (in the order of [`metric_names`](crate::model::metric_names)), its
    /// values' moments; NaN values (a mean over no patients) are skipped.
    metrics: Vec<Welford>,
    replications: u64,
    events: u64,
    pooled: Pooled,
    series: Option<SeriesMoments>,
}

/// The time series' moments per period and metric, for the replications that have
/// ended so far.
#[derive(Clone, Debug)]
struct SeriesMoments {
    period_days: f64,
    names: Vec<String>,
    /// Per metric, the value of a period after a replication's end (a run until empty).
    after_end: Vec<f64>,
    /// `cells[period * names.len() + metric]`.
    cells: Vec<Welford>,
    /// Replications added so far.
    seen: u64,
}

impl Summary {
    /// No replication yet, for `spec`'s metrics and time series.
    pub fn new(spec: &Spec) -> Summary {
        let series = spec.timeseries.map(|period| {
            let (names, after_end) = series_names(spec)
                .into_iter()
                .map(|(m, after)| (m.name, after))
                .unzip();
            SeriesMoments {
                period_days: period.as_days(),
                names,
                after_end,
                cells: Vec::new(),
                seen: 0,
            }
        });
        Summary {
            metrics: vec![Welford::new(); crate::model::metric_names(spec).len()],
            replications: 0,
            events: 0,
            pooled: Pooled::default(),
            series,
        }
    }

    /// Adds the next replication (in replication order), taking its sketches (a
    /// [`Runs`](crate::model::Runs) holds them pooled): what is left in it is its metrics
    /// and time series.
    pub fn add(&mut self, r: &mut Replication) {
        debug_assert_eq!(r.values.len(), self.metrics.len(), "one value per metric");
        for (m, &x) in self.metrics.iter_mut().zip(&r.values) {
            if !x.is_nan() {
                m.record(x);
            }
        }
        self.replications += 1;
        self.events += r.events;
        self.pooled.add(std::mem::take(&mut r.tails));
        if let (Some(s), Some(rows)) = (&mut self.series, &r.series) {
            s.add(rows);
        }
    }

    /// Replications added.
    pub fn replications(&self) -> u64 {
        self.replications
    }

    /// Events of every replication added.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Per metric, in the order of `metric_names`, the mean and its 95 % CI.
    pub fn estimates(&self) -> Vec<Estimate> {
        self.metrics.iter().map(Estimate::of_moments).collect()
    }

    /// The pooled percentile sketches.
    pub fn pooled(&self) -> &Pooled {
        &self.pooled
    }

    /// Takes the pooled sketches (for a [`Runs`](crate::model::Runs)).
    pub fn into_pooled(self) -> Pooled {
        self.pooled
    }

    /// The time series per period and metric: the mean over replications and its 95 %
    /// CI (empty without a series). A replication that ended early (a run until empty)
    /// counts, for the periods after its end, each metric's value after the end.
    pub fn series(&self) -> Vec<SeriesPoint> {
        let Some(s) = &self.series else {
            return Vec::new();
        };
        s.cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let (p, m) = (i / s.names.len(), i % s.names.len());
                SeriesPoint {
                    period_start_days: s.period_days * p as f64,
                    metric: s.names[m].clone(),
                    estimate: Estimate::of_moments(cell),
                }
            })
            .collect()
    }
}

impl SeriesMoments {
    fn add(&mut self, rows: &[f64]) {
        let width = self.names.len();
        if width == 0 {
            return;
        }
        // Periods no earlier replication reached: each of those counted its values
        // after the end there, and comes first in replication order.
        while self.cells.len() < rows.len() {
            let m = self.cells.len() % width;
            let mut cell = Welford::new();
            for _ in 0..self.seen {
                if !self.after_end[m].is_nan() {
                    cell.record(self.after_end[m]);
                }
            }
            self.cells.push(cell);
        }
        for (i, cell) in self.cells.iter_mut().enumerate() {
            let x = rows.get(i).copied().unwrap_or(self.after_end[i % width]);
            if !x.is_nan() {
                cell.record(x);
            }
        }
        self.seen += 1;
    }
}
