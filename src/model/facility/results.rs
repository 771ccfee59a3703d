//! A finished replication's metrics, in the order of `metric_names`.
//!
//! Each value is computed from its metric's name (the lists in `metrics`), so the names
//! and the values cannot drift apart: adding a name without its value does not compile
//! past the `unreachable!` of its match, and a test runs every bundled scenario.
//!
//! This module must not print or know output formats.

use super::{Facility, ProductRt};
use crate::engine::time::TICKS_PER_DAY;
use crate::engine::{Kernel, Time};
use crate::model::metrics::{ALLOGENEIC, AUTOLOGOUS, BOOKING, RESOURCE, SLOT, hazard_outcomes};

const DAY: f64 = TICKS_PER_DAY as f64;

impl Facility<'_> {
    /// The replication's metrics, in the order of
    /// [`metric_names`](crate::model::metric_names); call after the run.
    pub fn results(&self, kernel: &Kernel<super::Ev>) -> Vec<f64> {
        let now = kernel.now();
        let years = now.since(self.spec.warmup_end()).as_days() / 365.0;
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
            let wip = wip[pi] as f64;
            match &rt.allo {
                None => out.extend(
                    AUTOLOGOUS
                        .iter()
                        .map(|(what, _)| autologous(rt, what, wip, years, now)),
                ),
                Some(_) => out.extend(
                    ALLOGENEIC
                        .iter()
                        .map(|(what, _)| allogeneic(rt, what, wip, years, now)),
                ),
            }
            for (i, ch) in rt.chains.iter().enumerate() {
                let per = |ticks: u128| ticks as f64 / DAY / ch.finished as f64;
                for s in 0..ch.step_wait.len() {
                    out.extend([per(ch.step_wait[s]), per(ch.step_work[s])]);
                }
                if i == 0 {
                    // Hazards and milestones come before the delivery's steps.
                    let hz = &rt.hazards;
                    let causes = hazard_outcomes(&self.spec.products[pi]);
                    for (cause, (_, steps)) in causes.iter().enumerate() {
                        let row = &hz.in_window[cause * hz.steps..][..hz.steps];
                        out.push(row.iter().sum::<u64>() as f64);
                        out.extend(steps.iter().map(|&s| row[s] as f64));
                    }
                    let ms = &rt.milestones;
                    for (m, spec) in self.spec.products[pi].milestones.iter().enumerate() {
                        let t = &ms.tally[m];
                        out.extend([t.mean(), t.quantile(0.5), t.quantile(0.9), t.quantile(0.95)]);
                        if spec.deadline.is_some() {
                            out.push(ms.on_time[m] as f64 / t.count() as f64);
                        }
                    }
                    for (s, spec) in self.spec.products[pi].steps.iter().enumerate() {
                        if spec.booking.is_some() {
                            let b = rt.bookings.window[s];
                            out.extend(BOOKING.iter().map(|(what, _)| match *what {
                                "requested" => b.requested as f64,
                                "on_time" => b.on_time as f64,
                                "late" => b.late as f64,
                                "refused" => b.refused as f64,
                                "cancelled" => b.cancelled as f64,
                                "lead.mean" => b.lead as f64 / DAY / (b.on_time + b.late) as f64,
                                other => unreachable!("no value for booking metric `{other}`"),
                            }));
                        }
                    }
                }
            }
        }
        let held = self.held_until(now);
        let window_days = now.since(self.spec.warmup_end()).as_days();
        let charged = |p: &crate::engine::pool::Pool| {
            let (closed, busy) = p.held_back_days();
            closed + busy
        };
        let all_charged: f64 = kernel.pools().iter().map(charged).sum();
        for (r, pool) in kernel.pools().iter().enumerate() {
            let (closed, busy) = pool.held_back_days();
            out.extend(RESOURCE.iter().map(|(what, _)| match *what {
                "utilisation" => pool.utilisation_nominal(now),
                "utilisation_available" => pool.utilisation_available(now),
                "utilisation_working" => pool.mean_working(now) / f64::from(pool.nominal()),
                "queue.mean" => pool.mean_queue(now),
                "wait.mean" => pool.wait().mean(),
                "wait.mean_all" => pool.mean_wait_all(),
                "wait.p90" => pool.wait().quantile(0.9),
                "grants" => pool.grants() as f64,
                "withdrawn" => pool.withdrawn() as f64,
                "held_back.busy" => busy / window_days,
                "held_back.closed" => closed / window_days,
                "waiting_share" if all_charged > 0.0 => charged(pool) / all_charged,
                "waiting_share" => 0.0,
                "in_use.peak" => f64::from(pool.peak_busy()),
                other => unreachable!("no value for resource metric `{other}`"),
            }));
            for pi in 0..self.products.len() {
                let held = held[pi * self.spec.resources.len() + r] as f64;
                out.push(held / (window_days * DAY * f64::from(pool.nominal())));
            }
        }
        for rt in &self.slots {
            let w = rt.window;
            out.extend(SLOT.iter().map(|(what, _)| match *what {
                "released" => w.released as f64,
                "joined" => w.joined as f64,
                "allocated" => w.allocated as f64,
                "share" => w.allocated as f64 / w.joined as f64,
                "used" => w.used as f64,
                "returned" => w.returned as f64,
                "wasted" => w.wasted as f64,
                "open_end" => rt.open_slots() as f64,
                "waiting.mean" => rt.waiting.mean(now),
                "wait.mean" => w.wait as f64 / DAY / w.allocated as f64,
                other => unreachable!("no value for slot metric `{other}`"),
            }));
        }
        if self.spec.until_empty {
            out.push(window_days);
        }
        debug_assert_eq!(out.len(), crate::model::metric_names(self.spec).len());
        out
    }

    /// Units x ticks held per product and resource up to `now`: what was booked at each
    /// release, plus what is still held (the pools count it up to `now` too).
    fn held_until(&self, now: Time) -> Vec<u128> {
        let mut held = self.held.clone();
        let from_window = |since: Time| now.since(since.max(self.spec.warmup_end())).ticks();
        let n_res = self.spec.resources.len();
        for (c, e) in self.entities.iter().enumerate() {
            if !self.live[c] || e.waiting_for_stock {
                continue;
            }
            if let Some(s) = self.extras.get(c).and_then(|x| x.seized) {
                let t = &self.tasks[s.task as usize];
                for &(p, u) in &t.needs {
                    if t.seize_pools.contains(&p) {
                        held[e.product as usize * n_res + p.0 as usize] +=
                            u128::from(u) * u128::from(from_window(s.since));
                    }
                }
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

/// An autologous product's metric `what` (after `products.P.`).
fn autologous(rt: &ProductRt, what: &str, wip: f64, years: f64, now: Time) -> f64 {
    let done = rt.completed as f64;
    match what {
        "arrived" => rt.arrived as f64,
        "completed" => done,
        "lost" => rt.lost as f64,
        "dropped_out" => rt.dropped_out as f64,
        "wip_end" => wip,
        "left" => rt.left as f64,
        "wip_growth" => rt.arrived as f64 - rt.left as f64,
        "wip.mean" => rt.wip.mean(now),
        "waiting.mean_all" => rt.waited_all as f64 / DAY / rt.left as f64,
        "waiting.mean_completed" => rt.waited_completed as f64 / DAY / done,
        "completed_per_year" => done / years,
        _ => tail(rt, what),
    }
}

/// Vein-to-vein (or order-to-infusion) mean and percentiles: `what` ends in `.mean`,
/// `.p50`, `.p90` or `.p95`.
fn tail(rt: &ProductRt, what: &str) -> f64 {
    match what.rsplit('.').next() {
        Some("mean") => rt.v2v.mean(),
        Some("p50") => rt.v2v.quantile(0.5),
        Some("p90") => rt.v2v.quantile(0.9),
        Some("p95") => rt.v2v.quantile(0.95),
        _ => unreachable!("no value for product metric `{what}`"),
    }
}

/// An allogeneic product's metric `what` (after `products.P.`).
fn allogeneic(rt: &ProductRt, what: &str, wip: f64, years: f64, now: Time) -> f64 {
    let a = rt.allo.as_ref().expect("an allogeneic product");
    let w = a.inv.window;
    match what {
        "orders.arrived" => rt.arrived as f64,
        "orders.from_stock" => a.from_stock as f64,
        "orders.fill_rate" => a.from_stock as f64 / rt.arrived as f64,
        "orders.backordered" => a.backordered as f64,
        "orders.backorder_wait.mean" => a.backorder_wait.mean(),
        "orders.lost" => (rt.dropped_out + rt.lost) as f64,
        "orders.infused" => rt.completed as f64,
        "orders.wip_end" => wip,
        "batches.started_per_year" => a.batches_started as f64 / years,
        "batches.released_per_year" => a.batches_released as f64 / years,
        "batches.failed_per_year" => a.batches_failed as f64 / years,
        "doses.released" => w.released as f64,
        "doses.used" => w.used as f64,
        "doses.expired" => w.expired as f64,
        "doses.discarded" => w.discarded as f64,
        "stock.mean" => a.inv.mean_level(now),
        "stock.stockouts" => a.inv.stockouts as f64,
        "stock.backorders_end" => a.inv.backorders() as f64,
        _ => tail(rt, what),
    }
}
