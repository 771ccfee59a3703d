//! Pricing a replication: its window's units held, available and granted per resource,
//! sites' days, patients' and batches' materials and legs by lane and mode, times the
//! scenario's rates, at the end of the run (and at each year's end when discounted). A
//! scenario with costs also keeps a [`Ledger`] as it runs: what each entity has cost so
//! far (an add when it gives units back, when an assay reports, when a leg ends), so
//! that what was spent on a patient lost or a failed batch can be written off.
//!
//! A site's fixed cost runs for the whole window while it is open: a plant is open when
//! some patient may be routed to it (it fits their sites and the routing rule, and has
//! capacity); every other site is always open. A closed site's own resources cost
//! nothing (no staff are paid at a plant that is not open).
//!
//! Products' shares: materials, assay runs and stored doses are their own, and so is the
//! held time of their own requests (units held, changeover excluded, as in
//! `utilisation.by_product`); every other cost (changeover, available time, uses, sites'
//! days, legs) is shared by the [`Allocation`]: in proportion to each product's units
//! held, or to its grants (equally when there are none). The shares add up to the
//! total.
//!
//! This module must not print or know output formats.

use super::{Ev, Facility};
use crate::engine::stats::u128_to_f64;
use crate::engine::time::TICKS_PER_DAY;
use crate::engine::{Duration, Kernel, PoolId, Time};
use crate::model::spec::{Allocation, CostCategory, Spec};

/// What is tallied while a priced scenario runs (nothing without costs): what each
/// entity has cost so far, assay runs, grants per product, what was written off, and
/// the year-end sheets of a discounted run.
pub(super) struct Ledger {
    /// Per pool: a unit held for a tick, and one grant.
    per_tick: Vec<f64>,
    per_use: Vec<f64>,
    /// Per task: its product and the cost of one run (0 unless a priced assay).
    run_price: Vec<(u16, f64)>,
    /// Per task: runs reported in the window.
    runs: Vec<u64>,
    /// Per entity slot: what was spent on it in the window (units held, grants, assay
    /// runs, legs).
    spent: Vec<f64>,
    /// Per product: grants in the window.
    uses: Vec<u64>,
    /// In the window: spent on entities that left unfinished (lost, gave up, failed
    /// batches).
    lost: f64,
    /// Per product: spent on batches released in the window, and their doses.
    released: Vec<(f64, u64)>,
    /// Discounted runs: the whole years of the window so far, the present value of their
    /// costs, and the sheet (undiscounted, cumulative) at the end of the last one.
    years: i32,
    present: Option<CostSheet>,
    last_year_end: Option<CostSheet>,
}

impl Ledger {
    /// The ledger of a priced spec, with `run_price` per task.
    pub(super) fn new(spec: &Spec, run_price: Vec<(u16, f64)>) -> Option<Ledger> {
        let c = spec.costs.as_ref()?;
        let tick_hours = 24.0 / TICKS_PER_DAY as f64;
        Some(Ledger {
            per_tick: c
                .resources
                .iter()
                .map(|r| r.per_hour_held * tick_hours)
                .collect(),
            per_use: c.resources.iter().map(|r| r.per_use).collect(),
            runs: vec![0; run_price.len()],
            run_price,
            spent: Vec::new(),
            uses: vec![0; spec.products.len()],
            lost: 0.0,
            released: vec![(0.0, 0); spec.products.len()],
            years: 0,
            present: None,
            last_year_end: None,
        })
    }

    /// Entity slot `c` starts a new entity: nothing spent on it yet.
    pub(super) fn new_entity(&mut self, c: u32) {
        let c = c as usize;
        if self.spent.len() <= c {
            self.spent.resize(c + 1, 0.0);
        }
        self.spent[c] = 0.0;
    }

    /// Entity `c` of product `pi` gives back `units` of pool `p` held for `ticks` of the
    /// window (a grant in the window).
    #[inline]
    pub(super) fn held(&mut self, c: u32, pi: u16, p: PoolId, units: u32, ticks: u64) {
        let p = p.0 as usize;
        self.spent[c as usize] +=
            f64::from(units) * ticks as f64 * self.per_tick[p] + self.per_use[p];
        self.uses[usize::from(pi)] += 1;
    }

    /// Entity `c`'s run of task `ti` reported in the window.
    pub(super) fn ran(&mut self, c: u32, ti: usize) {
        self.runs[ti] += 1;
        self.spent[c as usize] += self.run_price[ti].1;
    }

    /// Entity `c` made a leg that cost `cost`, in the window.
    pub(super) fn leg(&mut self, c: u32, cost: f64) {
        self.spent[c as usize] += cost;
    }

    /// Entity `c` left unfinished in the window: what was spent on it is written off.
    pub(super) fn lost(&mut self, c: u32) {
        self.lost += self.spent[c as usize];
    }

    /// Batch `c` of product `pi` was released with `doses`.
    pub(super) fn released(&mut self, c: u32, pi: u16, doses: u64) {
        let r = &mut self.released[usize::from(pi)];
        r.0 += self.spent[c as usize];
        r.1 += doses;
    }

    /// The warm-up is over: the window's tallies start from zero.
    pub(super) fn reset(&mut self) {
        self.runs.fill(0);
        self.uses.fill(0);
        self.spent.fill(0.0);
        self.lost = 0.0;
        self.released.fill((0.0, 0));
        self.years = 0;
        self.present = None;
        self.last_year_end = None;
    }
}

/// A replication's costs.
#[derive(Clone, Debug)]
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
    /// Of the total, what was written off: the materials, QC and spend (units held,
    /// uses, runs, legs) of patients who left uninfused and of batches that failed, and
    /// per dose expired or discarded its batch's materials and QC over the mean doses of
    /// a batch and its spend over its doses.
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
    /// product and resource (`[p * n_res + r]`); with a discount rate, each year's costs
    /// at their present value (the first year's in full).
    pub(super) fn cost_sheet(&self, k: &Kernel<Ev>, now: Time, held: &[u128]) -> Option<CostSheet> {
        let end = self.sheet_at(k, now, held)?;
        let (c, l) = (self.spec.costs.as_ref()?, self.ledger.as_ref()?);
        match (&l.present, &l.last_year_end) {
            (Some(present), Some(last)) => {
                // The year under way at its present value.
                let factor = (1.0 + c.discount).powi(-l.years);
                let mut out = end.clone();
                out.add(-1.0, &end);
                out.add(1.0, present);
                out.add(factor, &end);
                out.add(-factor, last);
                Some(out)
            }
            _ => Some(end),
        }
    }

    /// Schedules the end of the window's first year, if the costs are discounted.
    pub(super) fn start_years(&self, k: &mut Kernel<Ev>) {
        if self.spec.costs.as_ref().is_some_and(|c| c.discount > 0.0) {
            k.schedule_at(
                self.spec.warmup_end() + Duration::from_days(365),
                Ev::CostYear,
            );
        }
    }

    /// A year of the window is over: its costs are added at their present value (the
    /// run keeps two sheets, however many years it lasts).
    pub(super) fn close_year(&mut self, k: &mut Kernel<Ev>) {
        let now = k.now();
        let held = self.held_until(now);
        let discount = self.spec.costs.as_ref().map_or(0.0, |c| c.discount);
        if let Some(sheet) = self.sheet_at(k, now, &held) {
            let l = self.ledger.as_mut().expect("priced");
            let factor = (1.0 + discount).powi(-l.years);
            let mut present = l.present.take().unwrap_or_else(|| {
                let mut zero = sheet.clone();
                zero.add(-1.0, &sheet);
                zero
            });
            present.add(factor, &sheet);
            if let Some(last) = &l.last_year_end {
                present.add(-factor, last);
            }
            l.present = Some(present);
            l.last_year_end = Some(sheet);
            l.years += 1;
        }
        k.schedule_in(Duration::from_days(365), Ev::CostYear);
    }

    /// The undiscounted costs up to `now`.
    fn sheet_at(&self, k: &Kernel<Ev>, now: Time, held: &[u128]) -> Option<CostSheet> {
        let c = self.spec.costs.as_ref()?;
        let ledger = self.ledger.as_ref()?;
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
        // A closed site's own resources cost nothing: nobody is hired for a closed plant.
        let mut closed = vec![false; n_res];
        for (site, s) in self.spec.network.sites.iter().enumerate() {
            if !self.site_open(site) {
                s.resources.iter().for_each(|&r| closed[r] = true);
            }
        }
        for (r, rc) in c.resources.iter().enumerate() {
            if closed[r] {
                continue;
            }
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
                let x = u128_to_f64(held[p * n_res + r]) * tick_hours * rc.per_hour_held;
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
                // What was spent on a released batch, per dose, for each dose lost.
                let (spent, doses) = ledger.released[p];
                let w = a.inv.window;
                if doses > 0 {
                    written_off += (w.expired + w.discarded) as f64 * spent / doses as f64;
                }
            }
        }
        for (ti, &(p, price)) in ledger.run_price.iter().enumerate() {
            let x = price * ledger.runs[ti] as f64;
            add(CostCategory::Qc, x);
            own[usize::from(p)] += x;
        }
        written_off += ledger.lost;
        if let Some(net) = &self.net {
            for (l, modes) in c.legs.iter().enumerate() {
                for (m, &per_leg) in modes.iter().enumerate() {
                    let x = per_leg * net.lanes[l].by_mode[m] as f64;
                    add(CostCategory::Transport, x);
                    shared += x;
                }
            }
        }
        // Shares of all units held (or of all grants), by product.
        let held_by: Vec<f64> = (0..n_products)
            .map(|p| match c.allocation {
                Allocation::Held => held[p * n_res..(p + 1) * n_res]
                    .iter()
                    .map(|&h| u128_to_f64(h))
                    .sum(),
                Allocation::Uses => ledger.uses[p] as f64,
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

impl CostSheet {
    /// Adds `a` times `other` (counts of patients and doses stay).
    fn add(&mut self, a: f64, other: &CostSheet) {
        self.total += a * other.total;
        self.written_off += a * other.written_off;
        for (x, y) in self.by_category.iter_mut().zip(&other.by_category) {
            *x += a * y;
        }
        for (x, y) in self.by_product.iter_mut().zip(&other.by_product) {
            *x += a * y;
        }
        for (x, y) in self.by_site.iter_mut().zip(&other.by_site) {
            *x += a * y;
        }
    }
}
