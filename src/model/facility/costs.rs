//! Pricing a finished replication: its window's units held, available and granted per
//! resource, sites' days, patients' and batches' materials and legs by lane and mode,
//! times the scenario's rates. Nothing is recorded per event.
//!
//! A site's fixed cost runs for the whole window while it is open: a plant is open when
//! some patient may be routed to it (it fits their sites and the routing rule, and has
//! capacity); every other site is always open.
//!
//! Products' shares: materials are their own, and so is the held time of their own
//! requests (units held, changeover excluded, as in `utilisation.by_product`); every
//! other cost (changeover, available time, uses, sites' days, legs) is shared in
//! proportion to each product's share of all units held (equally when nothing was
//! held). The shares add up to the total.
//!
//! This module must not print or know output formats.

use super::Facility;
use crate::engine::time::TICKS_PER_DAY;
use crate::engine::{Kernel, Time};
use crate::model::spec::CostCategory;

/// A replication's costs.
pub(super) struct CostSheet {
    pub total: f64,
    pub by_category: [f64; 6],
    /// Per product: its share, and its patients (orders) infused in the window.
    pub by_product: Vec<f64>,
    pub infused: Vec<f64>,
    /// Per site: its fixed cost (while open) and its own resources' costs.
    pub by_site: Vec<f64>,
    /// Per product: doses used in the window (allogeneic; 0 for autologous).
    pub doses_used: Vec<f64>,
    /// Of the total, materials and QC written off: those of patients who left
    /// uninfused and of batches that failed, and per dose expired or discarded its
    /// batch's materials and QC over the mean doses of a batch.
    pub written_off: f64,
}

impl Facility<'_> {
    /// A plant is open when some patient may be routed to it (it fits some collection
    /// site's patients, is in a fixed table, and has capacity); every other site is open.
    fn site_open(&self, site: usize) -> bool {
        use crate::model::spec::SiteKind;
        self.spec.network.sites[site].kind != SiteKind::Plant
            || self
                .sources
                .iter()
                .any(|s| s.candidates.iter().any(|&(q, _)| usize::from(q) == site))
    }

    /// The replication's costs up to `now`, with `held` the units x ticks held per
    /// product and resource (`[p * n_res + r]`).
    pub(super) fn cost_sheet(
        &self,
        k: &Kernel<super::Ev>,
        now: Time,
        held: &[u128],
    ) -> Option<CostSheet> {
        let c = self.spec.costs.as_ref()?;
        let window_days = now.since(self.spec.warmup_end()).as_days();
        let hours = window_days * 24.0;
        let n_res = self.spec.resources.len();
        let n_products = self.spec.products.len();
        let mut by_category = [0.0; 6];
        let mut add = |cat: CostCategory, x: f64| {
            by_category[CostCategory::ALL
                .iter()
                .position(|&k| k == cat)
                .expect("listed")] += x;
        };
        let mut own = vec![0.0; n_products];
        let mut written_off = 0.0;
        let mut shared = 0.0;
        let tick_hours = 24.0 / TICKS_PER_DAY as f64;
        let mut by_resource = vec![0.0; n_res];
        for (r, rc) in c.resources.iter().enumerate() {
            let pool = &k.pools()[r];
            let busy = pool.mean_busy(now) * hours;
            let available = pool.mean_available(now) * hours;
            let held_cost = busy * rc.per_hour_held;
            let other = available * rc.per_hour_available + pool.grants() as f64 * rc.per_use;
            add(rc.category, held_cost + other);
            by_resource[r] = held_cost + other;
            // Held by each product (changeover excluded): its own; the rest is shared.
            let mut owned = 0.0;
            for (p, o) in own.iter_mut().enumerate() {
                let x = held[p * n_res + r] as f64 * tick_hours * rc.per_hour_held;
                *o += x;
                owned += x;
            }
            shared += held_cost - owned + other;
        }
        let mut by_site: Vec<f64> = (self.spec.network.sites.iter())
            .map(|s| s.resources.iter().map(|&r| by_resource[r]).sum())
            .collect();
        for (site, &per_day) in c.site_per_day.iter().enumerate() {
            if self.site_open(site) {
                add(CostCategory::Facility, per_day * window_days);
                shared += per_day * window_days;
                by_site[site] += per_day * window_days;
            }
        }
        for (p, (&m, &q)) in c.materials.iter().zip(&c.qc).enumerate() {
            let rt = &self.products[p];
            let count = match &rt.allo {
                Some(a) => a.batches_started as f64,
                None => rt.arrived as f64,
            };
            add(CostCategory::Materials, m * count);
            add(CostCategory::Qc, q * count);
            own[p] += (m + q) * count;
            written_off += (m + q)
                * match &rt.allo {
                    Some(a) => {
                        let spec_a = self.spec.products[p]
                            .allogeneic
                            .as_ref()
                            .expect("allogeneic");
                        let per_batch = spec_a.doses.mean().max(1.0);
                        let w = a.inv.window;
                        a.batches_failed as f64 + (w.expired + w.discarded) as f64 / per_batch
                    }
                    None => rt.left.saturating_sub(rt.completed) as f64,
                };
            if let Some(a) = &rt.allo {
                let stored = a.inv.mean_level(now) * window_days * c.stored_per_day[p];
                add(CostCategory::Facility, stored);
                own[p] += stored;
            }
        }
        if let Some(net) = &self.net {
            for (l, modes) in c.legs.iter().enumerate() {
                for (m, &per_leg) in modes.iter().enumerate() {
                    let x = per_leg * net.lanes[l].by_mode[m] as f64;
                    add(CostCategory::Transport, x);
                    shared += x;
                }
            }
        }
        // Shares of all units held, by product.
        let held_by: Vec<f64> = (0..n_products)
            .map(|p| {
                held[p * n_res..(p + 1) * n_res]
                    .iter()
                    .map(|&h| h as f64)
                    .sum()
            })
            .collect();
        let all: f64 = held_by.iter().sum();
        let by_product = (0..n_products)
            .map(|p| {
                let share = if all > 0.0 {
                    held_by[p] / all
                } else {
                    1.0 / n_products as f64
                };
                own[p] + shared * share
            })
            .collect();
        Some(CostSheet {
            total: by_category.iter().sum(),
            by_category,
            by_product,
            infused: self.products.iter().map(|rt| rt.completed as f64).collect(),
            written_off,
            by_site,
            doses_used: self
                .products
                .iter()
                .map(|rt| rt.allo.as_ref().map_or(0.0, |a| a.inv.window.used as f64))
                .collect(),
        })
    }
}
