//! A finished replication's metrics, one per [`Key`] of [`keys`]: each value is computed
//! from its typed key by an exhaustive `match`, so a metric cannot be named without a
//! value, and nothing depends on positions in a list.
//!
//! This module must not print or know output formats.

use super::{Facility, ProductRt};
use crate::engine::pool::Pool;
use crate::engine::stats::u128_to_f64;
use crate::engine::time::TICKS_PER_DAY;
use crate::engine::{Kernel, Time};
use crate::model::metrics::{
    BookingStat, Key, MilestoneStat, PatientStat, PlantStat, ResourceStat, SlotStat, StepStat,
    StockStat,
};
use crate::model::spec::CostCategory;

const DAY: f64 = TICKS_PER_DAY as f64;

/// What every value is read against: the end of the run and what is summed over all.
struct Ends {
    now: Time,
    years: f64,
    window_days: f64,
    /// Per product, patients (orders) in the system at the end.
    wip: Vec<u64>,
    /// Units x ticks held per product and resource.
    held: Vec<u128>,
    /// Waiting charged to all pools (busy and closed), in days.
    all_charged: f64,
    /// The replication's costs, if the spec has rates.
    costs: Option<super::costs::CostSheet>,
}

impl Facility<'_> {
    /// The replication's metrics, in the order of [`keys`] (and so of
    /// [`metric_names`](crate::model::metric_names)); call after the run.
    pub fn results(&self, kernel: &Kernel<super::Ev>) -> Vec<f64> {
        let now = kernel.now();
        let window_days = now.since(self.spec.warmup_end()).as_days();
        let mut wip = vec![0u64; self.products.len()];
        for e in &self.entities {
            // Batches in production are not work in progress of orders.
            let batch =
                e.chain == super::Chain::Main && self.products[e.product as usize].allo.is_some();
            if e.live && !batch {
                wip[e.product as usize] += 1;
            }
        }
        let held = self.held_until(now);
        let ends = Ends {
            now,
            years: window_days / 365.0,
            window_days,
            wip,
            costs: self.cost_sheet(kernel, now, &held),
            held,
            all_charged: kernel.pools().iter().map(charged).sum(),
        };
        (self.blueprint.keys.iter())
            .map(|&key| self.value(key, kernel, &ends))
            .collect()
    }

    /// The end-to-end times (vein-to-vein, order-to-infusion) of each product recorded in
    /// the window, then each milestone's, with the keys of their percentiles.
    pub fn tail_sketches(&self) -> Vec<crate::model::Tail> {
        use crate::model::metrics::{Key, MilestoneStat, SiteStat, tail_keys};
        let ends = self
            .products
            .iter()
            .enumerate()
            .map(|(p, rt)| crate::model::Tail {
                keys: tail_keys(self.spec, p),
                sketch: rt.v2v.sketch().clone(),
            });
        let milestones = self.products.iter().enumerate().flat_map(|(p, rt)| {
            rt.milestones.tally.iter().enumerate().map(move |(m, t)| {
                let key = |stat| Key::Milestone {
                    product: p,
                    milestone: m,
                    stat,
                };
                crate::model::Tail {
                    keys: [MilestoneStat::P50, MilestoneStat::P90, MilestoneStat::P95].map(key),
                    sketch: t.sketch().clone(),
                }
            })
        });
        let sites = self.net.iter().flat_map(|net| {
            self.spec
                .products
                .iter()
                .enumerate()
                .flat_map(move |(p, spec_p)| {
                    spec_p.demand.iter().flat_map(move |d| {
                        let key = |stat| Key::Site {
                            product: p,
                            site: d.site,
                            stat,
                        };
                        let rt = &net.sites[self.source_at(p, d.site)];
                        let v2v = crate::model::Tail {
                            keys: [SiteStat::V2vP50, SiteStat::V2vP90, SiteStat::V2vP95].map(key),
                            sketch: rt.v2v.sketch().clone(),
                        };
                        let milestones = rt.milestones.iter().enumerate().map(move |(m, t)| {
                            let key = |stat| Key::SiteMilestone {
                                product: p,
                                site: d.site,
                                milestone: m,
                                stat,
                            };
                            crate::model::Tail {
                                keys: [MilestoneStat::P50, MilestoneStat::P90, MilestoneStat::P95]
                                    .map(key),
                                sketch: t.sketch().clone(),
                            }
                        });
                        std::iter::once(v2v).chain(milestones)
                    })
                })
        });
        ends.chain(milestones).chain(sites).collect()
    }

    /// The value of metric `key`.
    fn value(&self, key: Key, kernel: &Kernel<super::Ev>, ends: &Ends) -> f64 {
        let now = ends.now;
        match key {
            Key::Patients(p, s) => {
                let rt = &self.products[p];
                patients(rt, s, ends.wip[p] as f64, ends.years, now)
            }
            Key::Stock(p, s) => {
                let rt = &self.products[p];
                stock(rt, s, ends.wip[p] as f64, ends.years, now)
            }
            Key::Step {
                product,
                delivery,
                step,
                stat,
            } => {
                let ch = &self.products[product].chains[usize::from(delivery)];
                let ticks = match stat {
                    StepStat::WaitMean => ch.step_wait[step],
                    StepStat::WorkMean => ch.step_work[step],
                };
                u128_to_f64(ticks) / DAY / ch.finished as f64
            }
            Key::Hazard {
                product,
                cause,
                step,
            } => {
                let hz = &self.products[product].hazards;
                let row = &hz.in_window[cause * hz.steps..][..hz.steps];
                match step {
                    None => row.iter().sum::<u64>() as f64,
                    Some(s) => row[s] as f64,
                }
            }
            Key::Milestone {
                product,
                milestone,
                stat,
            } => {
                let ms = &self.products[product].milestones;
                let t = &ms.tally[milestone];
                match stat {
                    MilestoneStat::Mean => t.mean(),
                    MilestoneStat::P50 => t.quantile(0.5),
                    MilestoneStat::P90 => t.quantile(0.9),
                    MilestoneStat::P95 => t.quantile(0.95),
                    MilestoneStat::OnTime => ms.on_time[milestone] as f64 / t.count() as f64,
                }
            }
            Key::Booking {
                product,
                step,
                stat,
            } => {
                let b = self.products[product].bookings.window[step];
                match stat {
                    BookingStat::Requested => b.requested as f64,
                    BookingStat::OnTime => b.on_time as f64,
                    BookingStat::Late => b.late as f64,
                    BookingStat::Refused => b.refused as f64,
                    BookingStat::Cancelled => b.cancelled as f64,
                    BookingStat::LeadMean => {
                        u128_to_f64(b.lead) / DAY / (b.on_time + b.late) as f64
                    }
                }
            }
            Key::Site {
                product,
                site,
                stat,
            } => self.site_value(product, site, stat),
            Key::SiteMilestone {
                product,
                site,
                milestone,
                stat,
            } => {
                let rt = self.site_rt(product, site);
                let t = &rt.milestones[milestone];
                match stat {
                    MilestoneStat::Mean => t.mean(),
                    MilestoneStat::P50 => t.quantile(0.5),
                    MilestoneStat::P90 => t.quantile(0.9),
                    MilestoneStat::P95 => t.quantile(0.95),
                    MilestoneStat::OnTime => {
                        rt.milestones_on_time[milestone] as f64 / t.count() as f64
                    }
                }
            }
            Key::Plant {
                product,
                site,
                stat: PlantStat::Patients,
            } => {
                let net = self.net.as_ref().expect("plants have a network");
                net.routed[product * net.n_sites + site] as f64
            }
            Key::Lane(lane, stat) => self.lane_value(lane, stat, now),
            Key::LaneMode { lane, mode } => self.lane_mode_value(lane, mode),
            Key::Resource(r, s) => resource(&kernel.pools()[r], s, ends),
            Key::UtilisationBy { resource, product } => {
                let pool = &kernel.pools()[resource];
                let held = u128_to_f64(ends.held[product * self.spec.resources.len() + resource]);
                held / (ends.window_days * DAY * f64::from(pool.nominal()))
            }
            Key::Slot(s, stat) => {
                let rt = &self.slots[s];
                let w = rt.window;
                match stat {
                    SlotStat::Released => w.released as f64,
                    SlotStat::Joined => w.joined as f64,
                    SlotStat::Allocated => w.allocated as f64,
                    SlotStat::Share => w.allocated as f64 / w.joined as f64,
                    SlotStat::Used => w.used as f64,
                    SlotStat::Returned => w.returned as f64,
                    SlotStat::Wasted => w.wasted as f64,
                    SlotStat::OpenEnd => rt.open_slots() as f64,
                    SlotStat::WaitingMean => rt.waiting.mean(now),
                    SlotStat::WaitMean => u128_to_f64(w.wait) / DAY / w.allocated as f64,
                }
            }
            Key::RunDays => ends.window_days,
            Key::Cost(category) => {
                let c = ends.costs.as_ref().expect("cost keys come with rates");
                match category {
                    None => c.total,
                    Some(k) => {
                        c.by_category[CostCategory::ALL
                            .iter()
                            .position(|&x| x == k)
                            .expect("listed")]
                    }
                }
            }
            Key::CostPerInfused => {
                let c = ends.costs.as_ref().expect("cost keys come with rates");
                c.total / c.infused.iter().sum::<f64>()
            }
            Key::SiteCost(s) => {
                ends.costs
                    .as_ref()
                    .expect("cost keys come with rates")
                    .by_site[s]
            }
            Key::CostWrittenOff => {
                ends.costs
                    .as_ref()
                    .expect("cost keys come with rates")
                    .written_off
            }
            Key::CostPerDoseUsed(product) => {
                let c = ends.costs.as_ref().expect("cost keys come with rates");
                c.by_product[product] / c.doses_used[product]
            }
            Key::ProductCost {
                product,
                per_infused,
            } => {
                let c = ends.costs.as_ref().expect("cost keys come with rates");
                match per_infused {
                    false => c.by_product[product],
                    true => c.by_product[product] / c.infused[product],
                }
            }
        }
    }

    /// Units x ticks held per product and resource up to `now`: what was booked at each
    /// release, plus what is still held (the pools count it up to `now` too).
    pub(super) fn held_until(&self, now: Time) -> Vec<u128> {
        let mut held = self.held.clone();
        let from_window = |since: Time| now.since(since.max(self.spec.warmup_end())).ticks();
        let n_res = self.spec.resources.len();
        for (c, e) in self.entities.iter().enumerate() {
            if !e.live || e.waiting_for_stock {
                continue;
            }
            if let Some(s) = self.extras.get(c).and_then(|x| x.seized) {
                let t = &self.tasks[s.task as usize];
                for &(p, u) in t.needs {
                    if t.seize_pools.contains(&p) {
                        held[e.product as usize * n_res + p.0 as usize] +=
                            u128::from(u) * u128::from(from_window(s.since));
                    }
                }
            }
            let mut open = |ti: usize, touch_over: bool, since: Time| {
                let t = &self.tasks[ti];
                for &(p, u) in t.needs {
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

/// Waiting a pool charged, busy and closed, in days.
fn charged(p: &Pool) -> f64 {
    let (closed, busy) = p.held_back_days();
    closed + busy
}

/// Statistic `s` of a pool.
fn resource(pool: &Pool, s: ResourceStat, ends: &Ends) -> f64 {
    let now = ends.now;
    let (closed, busy) = pool.held_back_days();
    match s {
        ResourceStat::Utilisation => pool.utilisation_nominal(now),
        ResourceStat::UtilisationAvailable => pool.utilisation_available(now),
        ResourceStat::UtilisationWorking => pool.mean_working(now) / f64::from(pool.nominal()),
        ResourceStat::QueueMean => pool.mean_queue(now),
        ResourceStat::WaitMean => pool.wait().mean(),
        ResourceStat::WaitMeanAll => pool.mean_wait_all(),
        ResourceStat::WaitP90 => pool.wait().quantile(0.9),
        ResourceStat::Grants => pool.grants() as f64,
        ResourceStat::Withdrawn => pool.withdrawn() as f64,
        ResourceStat::HeldBackBusy => busy / ends.window_days,
        ResourceStat::HeldBackClosed => closed / ends.window_days,
        ResourceStat::WaitingShare if ends.all_charged > 0.0 => charged(pool) / ends.all_charged,
        ResourceStat::WaitingShare => 0.0,
        ResourceStat::InUsePeak => f64::from(pool.peak_busy()),
    }
}

/// Statistic `s` of an autologous product.
fn patients(rt: &ProductRt, s: PatientStat, wip: f64, years: f64, now: Time) -> f64 {
    let done = rt.completed as f64;
    match s {
        PatientStat::Arrived => rt.arrived as f64,
        PatientStat::Completed => done,
        PatientStat::Lost => rt.lost as f64,
        PatientStat::DroppedOut => rt.dropped_out as f64,
        PatientStat::WipEnd => wip,
        PatientStat::Left => rt.left as f64,
        PatientStat::WipGrowth => rt.arrived as f64 - rt.left as f64,
        PatientStat::WipMean => rt.wip.mean(now),
        PatientStat::WaitingMeanAll => u128_to_f64(rt.waited_all) / DAY / rt.left as f64,
        PatientStat::WaitingMeanCompleted => u128_to_f64(rt.waited_completed) / DAY / done,
        PatientStat::CompletedPerYear => done / years,
        PatientStat::V2vMean => rt.v2v.mean(),
        PatientStat::V2vP50 => rt.v2v.quantile(0.5),
        PatientStat::V2vP90 => rt.v2v.quantile(0.9),
        PatientStat::V2vP95 => rt.v2v.quantile(0.95),
    }
}

/// Statistic `s` of an allogeneic product.
fn stock(rt: &ProductRt, s: StockStat, wip: f64, years: f64, now: Time) -> f64 {
    let a = rt.allo.as_ref().expect("an allogeneic product");
    let w = a.inv.window;
    match s {
        StockStat::OrdersArrived => rt.arrived as f64,
        StockStat::OrdersFromStock => a.from_stock as f64,
        StockStat::OrdersFillRate => a.from_stock as f64 / rt.arrived as f64,
        StockStat::OrdersBackordered => a.backordered as f64,
        StockStat::OrdersBackorderWaitMean => a.backorder_wait.mean(),
        StockStat::OrdersLost => (rt.dropped_out + rt.lost) as f64,
        StockStat::OrdersInfused => rt.completed as f64,
        StockStat::OrdersWipEnd => wip,
        StockStat::OrderToInfusionMean => rt.v2v.mean(),
        StockStat::OrderToInfusionP50 => rt.v2v.quantile(0.5),
        StockStat::OrderToInfusionP90 => rt.v2v.quantile(0.9),
        StockStat::OrderToInfusionP95 => rt.v2v.quantile(0.95),
        StockStat::BatchesStartedPerYear => a.batches_started as f64 / years,
        StockStat::BatchesReleasedPerYear => a.batches_released as f64 / years,
        StockStat::BatchesFailedPerYear => a.batches_failed as f64 / years,
        StockStat::DosesReleased => w.released as f64,
        StockStat::DosesUsed => w.used as f64,
        StockStat::DosesExpired => w.expired as f64,
        StockStat::DosesDiscarded => w.discarded as f64,
        StockStat::StockMean => a.inv.mean_level(now),
        StockStat::StockStockouts => a.inv.stockouts as f64,
        StockStat::StockBackordersEnd => a.inv.backorders() as f64,
    }
}
