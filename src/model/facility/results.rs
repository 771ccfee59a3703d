//! A finished replication's metrics, in the order of `metric_names`.
//!
//! This module must not print or know output formats.

use super::Facility;
use crate::engine::time::TICKS_PER_DAY;
use crate::engine::{Kernel, Time};
use crate::model::metrics::metric_names;

impl Facility<'_> {
    /// The replication's metrics, in the order of [`metric_names`]; call after the run.
    pub fn results(&self, kernel: &Kernel<super::Ev>) -> Vec<f64> {
        let now = kernel.now();
        let years = self.spec.horizon.as_days() / 365.0;
        let mut out = Vec::new();
        let mut wip = vec![0u64; self.products.len()];
        for (i, e) in self.entities.iter().enumerate() {
            // Batches in production are not work in progress of orders.
            let batch =
                e.chain == super::Chain::Main && self.products[e.product as usize].allo.is_some();
            if self.live[i] && !batch {
                wip[e.product as usize] += 1;
            }
        }
        for (pi, rt) in self.products.iter().enumerate() {
            let done = rt.completed as f64;
            let tail = [
                rt.v2v.mean(),
                rt.v2v.quantile(0.5),
                rt.v2v.quantile(0.9),
                rt.v2v.quantile(0.95),
            ];
            match &rt.allo {
                None => {
                    out.extend([
                        rt.arrived as f64,
                        done,
                        rt.lost as f64,
                        rt.dropped_out as f64,
                        wip[pi] as f64,
                    ]);
                    out.push(done / years);
                    out.extend(tail);
                }
                Some(a) => {
                    let w = a.inv.window;
                    out.extend([
                        rt.arrived as f64,
                        a.from_stock as f64,
                        a.from_stock as f64 / rt.arrived as f64,
                        a.backordered as f64,
                        a.backorder_wait.mean(),
                        (rt.dropped_out + rt.lost) as f64,
                        done,
                        wip[pi] as f64,
                    ]);
                    out.extend(tail);
                    out.extend(
                        [a.batches_started, a.batches_released, a.batches_failed]
                            .map(|b| b as f64 / years),
                    );
                    out.extend([w.released, w.used, w.expired, w.discarded].map(|d| d as f64));
                    out.extend([
                        a.inv.mean_level(now),
                        a.inv.stockouts as f64,
                        a.inv.backorders() as f64,
                    ]);
                }
            }
            for ch in &rt.chains {
                let per = |ticks: u128| ticks as f64 / TICKS_PER_DAY as f64 / ch.finished as f64;
                for s in 0..ch.step_wait.len() {
                    out.extend([per(ch.step_wait[s]), per(ch.step_work[s])]);
                }
            }
        }
        let held = self.held_until(now);
        let total_queue: f64 = kernel.pools().iter().map(|pool| pool.mean_queue(now)).sum();
        let window = now.since(Time::ZERO + self.spec.warmup).ticks() as f64;
        for (r, pool) in kernel.pools().iter().enumerate() {
            out.extend([
                pool.utilisation_nominal(now),
                pool.utilisation_available(now),
                pool.mean_working(now) / f64::from(pool.nominal()),
                pool.mean_queue(now),
                pool.wait().mean(),
                pool.wait().quantile(0.9),
                if total_queue > 0.0 {
                    pool.mean_queue(now) / total_queue
                } else {
                    0.0
                },
            ]);
            for pi in 0..self.products.len() {
                let held = held[pi * self.spec.resources.len() + r] as f64;
                out.push(held / (window * f64::from(pool.nominal())));
            }
        }
        debug_assert_eq!(out.len(), metric_names(self.spec).len());
        out
    }

    /// Units x ticks held per product and resource up to `now`: what was booked at each
    /// release, plus what is still held (the pools count it up to `now` too).
    fn held_until(&self, now: Time) -> Vec<u128> {
        let mut held = self.held.clone();
        let from_window = |since: Time| now.since(since.max(Time::ZERO + self.spec.warmup)).ticks();
        let n_res = self.spec.resources.len();
        for (c, e) in self.entities.iter().enumerate() {
            if !self.live[c] || e.waiting_for_stock {
                continue;
            }
            let mut open = |ti: usize, touch_over: bool, since: Time| {
                let t = &self.tasks[ti];
                for &(p, u) in &t.needs {
                    if !(touch_over && t.touch_pools.contains(&p)) {
                        held[e.product as usize * n_res + p.0 as usize] +=
                            u128::from(u) * u128::from(from_window(since));
                    }
                }
            };
            if e.holding {
                open(self.task_of(c as u32, None), e.touch_over, e.granted);
            }
            for a in 0..self.max_assays {
                let slot = &self.assays[c * self.max_assays + a];
                if slot.holding && e.outstanding > 0 {
                    open(
                        self.task_of(c as u32, Some(a as u16)),
                        slot.touch_over,
                        slot.granted,
                    );
                }
            }
        }
        held
    }
}
