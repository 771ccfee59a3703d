//! Typed metric keys: what a metric measures, as the item it is about (indices into the
//! `Spec`) and a statistic from a closed list. A key gives its dotted name and its unit;
//! a replication computes a value for each key by an exhaustive `match`, so a metric
//! cannot be named without a value, nor read by its position.
//!
//! This module must not know output formats: it only names things.

use super::{Unit, hazard_outcomes, slug, tail_name};
use crate::model::spec::Spec;

/// Declares a closed list of statistics, each with its name suffix and unit.
macro_rules! stats {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $suffix:literal, $unit:ident;)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// Every statistic, in output order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// What follows the item in the metric's name.
            pub fn suffix(self) -> &'static str {
                match self { $($name::$v => $suffix),* }
            }
            /// The statistic's unit.
            pub fn unit(self) -> Unit {
                match self { $($name::$v => Unit::$unit),* }
            }
        }
    };
}

stats! {
    /// Of an autologous product's patients (`products.P.`).
    PatientStat {
        Arrived = "arrived", Patients;
        Completed = "completed", Patients;
        Lost = "lost", Patients;
        DroppedOut = "dropped_out", Patients;
        WipEnd = "wip_end", Patients;
        Left = "left", Patients;
        WipGrowth = "wip_growth", Patients;
        WipMean = "wip.mean", Patients;
        WaitingMeanAll = "waiting.mean_all", Days;
        WaitingMeanCompleted = "waiting.mean_completed", Days;
        CompletedPerYear = "completed_per_year", PatientsPerYear;
        V2vMean = "v2v.mean", Days;
        V2vP50 = "v2v.p50", Days;
        V2vP90 = "v2v.p90", Days;
        V2vP95 = "v2v.p95", Days;
    }
}

stats! {
    /// Of an allogeneic product's orders, batches, doses and stock (`products.P.`).
    StockStat {
        OrdersArrived = "orders.arrived", Orders;
        OrdersFromStock = "orders.from_stock", Orders;
        OrdersFillRate = "orders.fill_rate", Fraction;
        OrdersBackordered = "orders.backordered", Orders;
        OrdersBackorderWaitMean = "orders.backorder_wait.mean", Days;
        OrdersLost = "orders.lost", Orders;
        OrdersInfused = "orders.infused", Orders;
        OrdersWipEnd = "orders.wip_end", Orders;
        OrderToInfusionMean = "order_to_infusion.mean", Days;
        OrderToInfusionP50 = "order_to_infusion.p50", Days;
        OrderToInfusionP90 = "order_to_infusion.p90", Days;
        OrderToInfusionP95 = "order_to_infusion.p95", Days;
        BatchesStartedPerYear = "batches.started_per_year", BatchesPerYear;
        BatchesReleasedPerYear = "batches.released_per_year", BatchesPerYear;
        BatchesFailedPerYear = "batches.failed_per_year", BatchesPerYear;
        DosesReleased = "doses.released", Doses;
        DosesUsed = "doses.used", Doses;
        DosesExpired = "doses.expired", Doses;
        DosesDiscarded = "doses.discarded", Doses;
        StockMean = "stock.mean", Doses;
        StockStockouts = "stock.stockouts", Count;
        StockBackordersEnd = "stock.backorders_end", Orders;
    }
}

stats! {
    /// Of a step, per entity that finished the chain (`products.P.steps.S.`).
    StepStat {
        WaitMean = "wait.mean", Days;
        WorkMean = "work.mean", Days;
    }
}

stats! {
    /// Of a milestone (`products.P.milestones.M.`); `OnTime` only with a deadline.
    MilestoneStat {
        Mean = "mean", Days;
        P50 = "p50", Days;
        P90 = "p90", Days;
        P95 = "p95", Days;
        OnTime = "on_time", Fraction;
    }
}

stats! {
    /// Of a booking step (`products.P.bookings.S.`).
    BookingStat {
        Requested = "requested", Count;
        OnTime = "on_time", Count;
        Late = "late", Count;
        Refused = "refused", Count;
        Cancelled = "cancelled", Count;
        LeadMean = "lead.mean", Days;
    }
}

stats! {
    /// Of a product's patients collected at one site of a network (`products.P.sites.S.`).
    SiteStat {
        Arrived = "arrived", Patients;
        Completed = "completed", Patients;
        Lost = "lost", Patients;
        Spoiled = "spoiled", Patients;
        WipEnd = "wip_end", Patients;
        V2vMean = "v2v.mean", Days;
        V2vP50 = "v2v.p50", Days;
        V2vP90 = "v2v.p90", Days;
        V2vP95 = "v2v.p95", Days;
    }
}

stats! {
    /// Of a product at one plant of a network (`products.P.plants.S.`).
    PlantStat {
        Patients = "patients", Patients;
    }
}

stats! {
    /// Of a transport lane (`lanes.FROM.TO.`): legs that ended in the window.
    LaneStat {
        Legs = "legs", Count;
        TimeMean = "time.mean", Days;
        InTransitMean = "in_transit.mean", Count;
    }
}

stats! {
    /// Of a resource pool (`resources.R.`).
    ResourceStat {
        Utilisation = "utilisation", Fraction;
        UtilisationAvailable = "utilisation_available", Fraction;
        UtilisationWorking = "utilisation_working", Fraction;
        QueueMean = "queue.mean", Requests;
        WaitMean = "wait.mean", Days;
        WaitMeanAll = "wait.mean_all", Days;
        WaitP90 = "wait.p90", Days;
        Grants = "grants", Count;
        Withdrawn = "withdrawn", Count;
        HeldBackBusy = "held_back.busy", Requests;
        HeldBackClosed = "held_back.closed", Requests;
        WaitingShare = "waiting_share", Fraction;
        InUsePeak = "in_use.peak", Units;
    }
}

stats! {
    /// Of a slot calendar (`slots.S.`).
    SlotStat {
        Released = "released", Count;
        Joined = "joined", Patients;
        Allocated = "allocated", Count;
        Share = "share", Fraction;
        Used = "used", Count;
        Returned = "returned", Count;
        Wasted = "wasted", Count;
        OpenEnd = "open_end", Count;
        WaitingMean = "waiting.mean", Patients;
        WaitMean = "wait.mean", Days;
    }
}

/// `products.P.{rest}`.
fn of_product(spec: &Spec, p: usize, rest: std::fmt::Arguments) -> String {
    format!("products.{}.{rest}", slug(&spec.products[p].name))
}

/// `products.P.bookings.S.{suffix}`.
fn of_booking(spec: &Spec, p: usize, step: usize, suffix: &str) -> String {
    let s = slug(&spec.products[p].steps[step].name);
    of_product(spec, p, format_args!("bookings.{s}.{suffix}"))
}

/// `lanes.FROM.TO`.
fn of_lane(spec: &Spec, l: usize) -> String {
    let (net, lane) = (&spec.network, &spec.network.lanes[l]);
    format!(
        "lanes.{}.{}",
        slug(&net.sites[lane.from].name),
        slug(&net.sites[lane.to].name)
    )
}

/// `resources.R.{suffix}`.
fn of_resource(spec: &Spec, r: usize, suffix: &str) -> String {
    format!("resources.{}.{suffix}", slug(&spec.resources[r].name))
}

/// `slots.S.{suffix}`.
fn of_slot(spec: &Spec, s: usize, suffix: &str) -> String {
    format!("slots.{}.{suffix}", slug(&spec.slots[s].name))
}

/// What a metric of a replication measures. Items are indices into the `Spec`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// Of autologous product `.0`.
    Patients(usize, PatientStat),
    /// Of allogeneic product `.0`.
    Stock(usize, StockStat),
    /// Of a step of a product's chain, or (`delivery`) of an allogeneic order's delivery.
    Step {
        product: usize,
        delivery: bool,
        step: usize,
        stat: StepStat,
    },
    /// Events of a product's hazard cause (its index in `hazard_outcomes`), in all or in
    /// one step.
    Hazard {
        product: usize,
        cause: usize,
        step: Option<usize>,
    },
    /// Of a product's milestone.
    Milestone {
        product: usize,
        milestone: usize,
        stat: MilestoneStat,
    },
    /// Of a product's booking step.
    Booking {
        product: usize,
        step: usize,
        stat: BookingStat,
    },
    /// Of a product's patients collected at a site.
    Site {
        product: usize,
        site: usize,
        stat: SiteStat,
    },
    /// Of a product's milestone, for the patients collected at a site.
    SiteMilestone {
        product: usize,
        site: usize,
        milestone: usize,
        stat: MilestoneStat,
    },
    /// Of a product at a plant.
    Plant {
        product: usize,
        site: usize,
        stat: PlantStat,
    },
    /// Of lane `.0`.
    Lane(usize, LaneStat),
    /// Legs of a lane's mode that ended in the window.
    LaneMode { lane: usize, mode: usize },
    /// Of resource `.0`.
    Resource(usize, ResourceStat),
    /// Units of a resource held by one product, over its nominal capacity.
    UtilisationBy { resource: usize, product: usize },
    /// Of slot calendar `.0`.
    Slot(usize, SlotStat),
    /// A run until empty: how long it lasted.
    RunDays,
    /// Everything costed, or (`Some`) one category of it.
    Cost(Option<crate::model::spec::CostCategory>),
    /// The total cost per patient (or order) infused.
    CostPerInfused,
    /// A product's share of the cost: in total, or per infused.
    ProductCost { product: usize, per_infused: bool },
    /// An allogeneic product's share per dose used.
    CostPerDoseUsed(usize),
    /// A site's fixed cost while open and its own resources' costs.
    SiteCost(usize),
    /// Of the total, materials and QC written off (patients lost, batches failed, doses
    /// expired).
    CostWrittenOff,
}

impl Key {
    /// The dotted name (see the module docs of `metrics`).
    pub fn name(self, spec: &Spec) -> String {
        match self {
            Key::Patients(p, s) => of_product(spec, p, format_args!("{}", s.suffix())),
            Key::Stock(p, s) => of_product(spec, p, format_args!("{}", s.suffix())),
            Key::Step {
                product: p,
                delivery,
                step,
                stat,
            } => {
                let spec_p = &spec.products[p];
                let (chain, steps) = match (delivery, &spec_p.allogeneic) {
                    (true, Some(a)) => ("delivery", &a.delivery),
                    _ => ("steps", &spec_p.steps),
                };
                let s = slug(&steps[step].name);
                of_product(spec, p, format_args!("{chain}.{s}.{}", stat.suffix()))
            }
            Key::Hazard {
                product: p,
                cause,
                step,
            } => {
                let causes = hazard_outcomes(&spec.products[p]);
                let c = slug(&causes[cause].0);
                match step {
                    None => of_product(spec, p, format_args!("hazards.{c}")),
                    Some(s) => {
                        let s = slug(&spec.products[p].steps[s].name);
                        of_product(spec, p, format_args!("hazards.{c}.in.{s}"))
                    }
                }
            }
            Key::Milestone {
                product: p,
                milestone,
                stat,
            } => {
                let m = slug(&spec.products[p].milestones[milestone].name);
                of_product(spec, p, format_args!("milestones.{m}.{}", stat.suffix()))
            }
            Key::Booking {
                product: p,
                step,
                stat,
            } => of_booking(spec, p, step, stat.suffix()),
            Key::Site {
                product: p,
                site,
                stat,
            } => {
                let s = slug(&spec.network.sites[site].name);
                of_product(spec, p, format_args!("sites.{s}.{}", stat.suffix()))
            }
            Key::SiteMilestone {
                product: p,
                site,
                milestone,
                stat,
            } => {
                let s = slug(&spec.network.sites[site].name);
                let m = slug(&spec.products[p].milestones[milestone].name);
                of_product(
                    spec,
                    p,
                    format_args!("sites.{s}.milestones.{m}.{}", stat.suffix()),
                )
            }
            Key::Plant {
                product: p,
                site,
                stat,
            } => {
                let s = slug(&spec.network.sites[site].name);
                of_product(spec, p, format_args!("plants.{s}.{}", stat.suffix()))
            }
            Key::Lane(l, s) => format!("{}.{}", of_lane(spec, l), s.suffix()),
            Key::LaneMode { lane, mode } => {
                let m = slug(&spec.network.lanes[lane].modes[mode].name);
                format!("{}.modes.{m}.legs", of_lane(spec, lane))
            }
            Key::Resource(r, s) => of_resource(spec, r, s.suffix()),
            Key::UtilisationBy { resource, product } => {
                let p = slug(&spec.products[product].name);
                of_resource(spec, resource, &format!("utilisation.by_product.{p}"))
            }
            Key::Slot(s, stat) => of_slot(spec, s, stat.suffix()),
            Key::RunDays => "run.days".into(),
            Key::Cost(None) => "costs.total".into(),
            Key::Cost(Some(c)) => format!("costs.{}", c.name()),
            Key::CostPerInfused => "costs.per_infused".into(),
            Key::CostWrittenOff => "costs.written_off".into(),
            Key::SiteCost(s) => format!("costs.sites.{}.total", slug(&spec.network.sites[s].name)),
            Key::CostPerDoseUsed(p) => format!(
                "costs.products.{}.per_dose_used",
                slug(&spec.products[p].name)
            ),
            Key::ProductCost {
                product,
                per_infused,
            } => format!(
                "costs.products.{}.{}",
                slug(&spec.products[product].name),
                if per_infused { "per_infused" } else { "total" }
            ),
        }
    }

    /// The unit.
    pub fn unit(self) -> Unit {
        match self {
            Key::Patients(_, s) => s.unit(),
            Key::Stock(_, s) => s.unit(),
            Key::Step { stat, .. } => stat.unit(),
            Key::Hazard { .. } => Unit::Patients,
            Key::Milestone { stat, .. } => stat.unit(),
            Key::Booking { stat, .. } => stat.unit(),
            Key::Site { stat, .. } => stat.unit(),
            Key::SiteMilestone { stat, .. } => stat.unit(),
            Key::Plant { stat, .. } => stat.unit(),
            Key::Lane(_, s) => s.unit(),
            Key::LaneMode { .. } => Unit::Count,
            Key::Resource(_, s) => s.unit(),
            Key::UtilisationBy { .. } => Unit::Fraction,
            Key::Slot(_, s) => s.unit(),
            Key::RunDays => Unit::Days,
            Key::Cost(_)
            | Key::CostPerInfused
            | Key::ProductCost { .. }
            | Key::CostPerDoseUsed(_)
            | Key::CostWrittenOff
            | Key::SiteCost(_) => Unit::Money,
        }
    }
}

/// Every metric of a replication of `spec`, in output order: per product (its own
/// metrics, its steps, hazards, milestones, bookings, its patients per collection site
/// and per plant of a network, then an allogeneic product's delivery steps), per resource (then its split by product), per slot calendar, and
/// the length of a run until empty.
pub fn keys(spec: &Spec) -> Vec<Key> {
    let mut out = Vec::new();
    for (pi, p) in spec.products.iter().enumerate() {
        if p.allogeneic.is_some() {
            out.extend(StockStat::ALL.iter().map(|&s| Key::Stock(pi, s)));
        } else {
            out.extend(PatientStat::ALL.iter().map(|&s| Key::Patients(pi, s)));
        }
        let step = |delivery: bool, step: usize, stat: StepStat| Key::Step {
            product: pi,
            delivery,
            step,
            stat,
        };
        for s in 0..p.steps.len() {
            out.extend(StepStat::ALL.iter().map(|&st| step(false, s, st)));
        }
        for (cause, (_, steps)) in hazard_outcomes(p).into_iter().enumerate() {
            let at = |step| Key::Hazard {
                product: pi,
                cause,
                step,
            };
            out.push(at(None));
            out.extend(steps.into_iter().map(|s| at(Some(s))));
        }
        for (m, spec_m) in p.milestones.iter().enumerate() {
            for &stat in MilestoneStat::ALL {
                if stat != MilestoneStat::OnTime || spec_m.deadline.is_some() {
                    out.push(Key::Milestone {
                        product: pi,
                        milestone: m,
                        stat,
                    });
                }
            }
        }
        for (s, _) in p
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.booking.is_some())
        {
            out.extend(BookingStat::ALL.iter().map(|&stat| Key::Booking {
                product: pi,
                step: s,
                stat,
            }));
        }
        for d in &p.demand {
            out.extend(SiteStat::ALL.iter().map(|&stat| Key::Site {
                product: pi,
                site: d.site,
                stat,
            }));
            for (m, spec_m) in p.milestones.iter().enumerate() {
                for &stat in MilestoneStat::ALL {
                    if stat != MilestoneStat::OnTime || spec_m.deadline.is_some() {
                        out.push(Key::SiteMilestone {
                            product: pi,
                            site: d.site,
                            milestone: m,
                            stat,
                        });
                    }
                }
            }
        }
        if !p.demand.is_empty() && spec.needs_plant(pi) {
            for q in spec.network.plants() {
                out.extend(PlantStat::ALL.iter().map(|&stat| Key::Plant {
                    product: pi,
                    site: q,
                    stat,
                }));
            }
        }
        for s in 0..p.allogeneic.as_ref().map_or(0, |a| a.delivery.len()) {
            out.extend(StepStat::ALL.iter().map(|&st| step(true, s, st)));
        }
    }
    for (l, lane) in spec.network.lanes.iter().enumerate() {
        out.extend(LaneStat::ALL.iter().map(|&s| Key::Lane(l, s)));
        out.extend((0..lane.modes.len()).map(|mode| Key::LaneMode { lane: l, mode }));
    }
    for r in 0..spec.resources.len() {
        out.extend(ResourceStat::ALL.iter().map(|&s| Key::Resource(r, s)));
        out.extend((0..spec.products.len()).map(|p| Key::UtilisationBy {
            resource: r,
            product: p,
        }));
    }
    for s in 0..spec.slots.len() {
        out.extend(SlotStat::ALL.iter().map(|&st| Key::Slot(s, st)));
    }
    if spec.until_empty {
        out.push(Key::RunDays);
    }
    if spec.costs.is_some() {
        out.push(Key::Cost(None));
        out.push(Key::CostPerInfused);
        out.push(Key::CostWrittenOff);
        out.extend(
            crate::model::spec::CostCategory::ALL
                .into_iter()
                .map(|c| Key::Cost(Some(c))),
        );
        for product in 0..spec.products.len() {
            for per_infused in [false, true] {
                out.push(Key::ProductCost {
                    product,
                    per_infused,
                });
            }
            if spec.products[product].allogeneic.is_some() {
                out.push(Key::CostPerDoseUsed(product));
            }
        }
        out.extend((0..spec.network.sites.len()).map(Key::SiteCost));
    }
    out
}

/// The keys of a product's pooled percentiles (`.p50`, `.p90`, `.p95` of its end-to-end
/// time: vein-to-vein or order-to-infusion).
pub fn tail_keys(spec: &Spec, product: usize) -> [Key; 3] {
    if tail_name(&spec.products[product]) == "v2v" {
        [
            PatientStat::V2vP50,
            PatientStat::V2vP90,
            PatientStat::V2vP95,
        ]
        .map(|s| Key::Patients(product, s))
    } else {
        [
            StockStat::OrderToInfusionP50,
            StockStat::OrderToInfusionP90,
            StockStat::OrderToInfusionP95,
        ]
        .map(|s| Key::Stock(product, s))
    }
}

stats! {
    /// Of a product in one period of a time series (`products.P.`).
    SeriesProductStat {
        Arrived = "arrived", Patients;
        Completed = "completed", Patients;
        Lost = "lost", Patients;
        DroppedOut = "dropped_out", Patients;
        WipMean = "wip.mean", Patients;
        V2vMean = "v2v.mean", Days;
    }
}

stats! {
    /// Of a booking step in one period (`products.P.bookings.S.`).
    SeriesBookingStat {
        Late = "late", Count;
        Refused = "refused", Count;
    }
}

stats! {
    /// Of a product's patients collected at one site, in one period (`products.P.sites.S.`).
    SeriesSiteStat {
        Arrived = "arrived", Patients;
        Completed = "completed", Patients;
        Lost = "lost", Patients;
        V2vMean = "v2v.mean", Days;
    }
}

stats! {
    /// Of a resource in one period, time averages (`resources.R.`).
    SeriesResourceStat {
        InUse = "in_use.mean", Units;
        Available = "available.mean", Units;
        Queue = "queue.mean", Requests;
    }
}

stats! {
    /// Of a slot calendar in one period (`slots.S.`).
    SeriesSlotStat {
        Released = "released", Count;
        Allocated = "allocated", Count;
        Wasted = "wasted", Count;
        WaitingMean = "waiting.mean", Patients;
    }
}

/// What a metric of a time series measures in each period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeriesKey {
    /// Of product `.0`.
    Product(usize, SeriesProductStat),
    /// Events of a product's hazard cause (its index in `hazard_outcomes`).
    Hazard { product: usize, cause: usize },
    /// Of a product's booking step.
    Booking {
        product: usize,
        step: usize,
        stat: SeriesBookingStat,
    },
    /// Of a product's patients collected at a site.
    Site {
        product: usize,
        site: usize,
        stat: SeriesSiteStat,
    },
    /// Of resource `.0`.
    Resource(usize, SeriesResourceStat),
    /// Of slot calendar `.0`.
    Slot(usize, SeriesSlotStat),
}

impl SeriesKey {
    /// The dotted name.
    pub fn name(self, spec: &Spec) -> String {
        match self {
            SeriesKey::Product(p, s) => of_product(spec, p, format_args!("{}", s.suffix())),
            SeriesKey::Hazard { product, cause } => Key::Hazard {
                product,
                cause,
                step: None,
            }
            .name(spec),
            SeriesKey::Booking {
                product: p,
                step,
                stat,
            } => of_booking(spec, p, step, stat.suffix()),
            SeriesKey::Site {
                product,
                site,
                stat,
            } => {
                let s = slug(&spec.network.sites[site].name);
                of_product(spec, product, format_args!("sites.{s}.{}", stat.suffix()))
            }
            SeriesKey::Resource(r, s) => of_resource(spec, r, s.suffix()),
            SeriesKey::Slot(s, stat) => of_slot(spec, s, stat.suffix()),
        }
    }

    /// The unit.
    pub fn unit(self) -> Unit {
        match self {
            SeriesKey::Product(_, s) => s.unit(),
            SeriesKey::Hazard { .. } => Unit::Patients,
            SeriesKey::Booking { stat, .. } => stat.unit(),
            SeriesKey::Site { stat, .. } => stat.unit(),
            SeriesKey::Resource(_, s) => s.unit(),
            SeriesKey::Slot(_, s) => s.unit(),
        }
    }

    /// What a replication that has ended (a run until empty) gives for the periods after
    /// its end: nothing (NaN) for a mean over no one, else 0.
    pub fn fill(self) -> f64 {
        match self {
            SeriesKey::Product(_, SeriesProductStat::V2vMean)
            | SeriesKey::Site {
                stat: SeriesSiteStat::V2vMean,
                ..
            }
            | SeriesKey::Resource(_, SeriesResourceStat::Available) => f64::NAN,
            _ => 0.0,
        }
    }
}

/// Every metric of a time series of `spec`, in the order of a period's row: per product
/// (its flows, then one per hazard cause, two per booking step and four per collection
/// site of a network), per resource, per slot calendar.
pub fn series_keys(spec: &Spec) -> Vec<SeriesKey> {
    let mut out = Vec::new();
    for (pi, p) in spec.products.iter().enumerate() {
        out.extend(
            SeriesProductStat::ALL
                .iter()
                .map(|&s| SeriesKey::Product(pi, s)),
        );
        out.extend(
            (0..hazard_outcomes(p).len()).map(|cause| SeriesKey::Hazard { product: pi, cause }),
        );
        for (s, _) in p
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.booking.is_some())
        {
            out.extend(
                SeriesBookingStat::ALL
                    .iter()
                    .map(|&stat| SeriesKey::Booking {
                        product: pi,
                        step: s,
                        stat,
                    }),
            );
        }
        for d in &p.demand {
            out.extend(SeriesSiteStat::ALL.iter().map(|&stat| SeriesKey::Site {
                product: pi,
                site: d.site,
                stat,
            }));
        }
    }
    for r in 0..spec.resources.len() {
        out.extend(
            SeriesResourceStat::ALL
                .iter()
                .map(|&s| SeriesKey::Resource(r, s)),
        );
    }
    for s in 0..spec.slots.len() {
        out.extend(SeriesSlotStat::ALL.iter().map(|&st| SeriesKey::Slot(s, st)));
    }
    out
}
