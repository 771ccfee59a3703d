//! The names and units of a replication's metrics: a stable, documented vocabulary.
//!
//! Names are dotted paths built from the scenario's own names. In names, spaces become
//! underscores (names may not contain dots). Per product `P`, step `S`, resource `R`:
//!
//! | metric | unit | meaning |
//! |---|---|---|
//! | `products.P.arrived` | patients | arrivals in the window |
//! | `products.P.completed` | patients | chains finished (infused) in the window |
//! | `products.P.lost` | patients | patients lost to repeated failure in the window |
//! | `products.P.dropped_out` | patients | patients whose patience ran out in the window |
//! | `products.P.wip_end` | patients | patients in the system at the end |
//! | `products.P.left` | patients | patients who left in the window: completed + lost + dropped out |
//! | `products.P.wip.mean` | patients | time-average patients in the system over the window |
//! | `products.P.wip_growth` | patients | arrived - left: how much work in progress grew over the window (near 0 when stable) |
//! | `products.P.waiting.mean_all` | days | time in queues per patient who left (denominator `left`, drop-outs included) |
//! | `products.P.waiting.mean_completed` | days | time in queues per completed patient (denominator `completed`) |
//! | `products.P.completed_per_year` | patients/year | completed / horizon in years of 365 days |
//! | `products.P.v2v.mean`, `.p50`, `.p90`, `.p95` | days | vein-to-vein of completed patients |
//! | `products.P.steps.S.wait.mean` | days | mean time per completed patient waiting for S's resources (all attempts) |
//! | `products.P.steps.S.work.mean` | days | mean time per completed patient in S after the grant (all attempts) |
//! | `resources.R.utilisation` | fraction | units busy (working or in changeover) / nominal capacity |
//! | `resources.R.utilisation_available` | fraction | units busy / units available (calendar, breakdowns) |
//! | `resources.R.utilisation_working` | fraction | units working (changeover excluded) / nominal capacity |
//! | `resources.R.queue.mean` | requests | time-average number of requests waiting |
//! | `resources.R.wait.mean`, `.wait.p90` | days | wait from request to grant of served requests (denominator `grants`) |
//! | `resources.R.wait.mean_all` | days | wait of every request that stopped waiting: granted or withdrawn (denominator `grants + withdrawn`) |
//! | `resources.R.grants`, `.withdrawn` | count | requests granted, and withdrawn unserved (patience ran out) |
//! | `resources.R.held_back.busy` | requests | time-average number of requests this pool held back while open (units busy, in changeover or down): the last pool a request waited for is charged its whole wait |
//! | `resources.R.held_back.closed` | requests | the same while its calendar was closed (shift off, weekend, holiday) |
//! | `resources.R.waiting_share` | fraction | this pool's share of all waiting charged to pools, busy and closed (the bottleneck has the largest) |
//!
//! | `resources.R.in_use.peak` | units | most units busy (working or in changeover) at once in the window |
//! | `resources.R.utilisation.by_product.P` | fraction | units held by product P (changeover excluded) / nominal capacity |
//!
//! An allogeneic product `P` has, instead of the patient metrics above:
//!
//! | metric | unit | meaning |
//! |---|---|---|
//! | `products.P.orders.arrived` | orders | orders in the window |
//! | `products.P.orders.from_stock` | orders | orders served from stock at once |
//! | `products.P.orders.fill_rate` | fraction | from_stock / arrived |
//! | `products.P.orders.backordered` | orders | orders that had to wait for doses |
//! | `products.P.orders.backorder_wait.mean` | days | wait for doses of backordered orders |
//! | `products.P.orders.lost` | orders | orders that ran out of patience or failed in delivery |
//! | `products.P.orders.infused` | orders | orders that reached the patient |
//! | `products.P.orders.wip_end` | orders | orders waiting or in delivery at the end |
//! | `products.P.order_to_infusion.mean`, `.p50`, `.p90`, `.p95` | days | from order to infusion |
//! | `products.P.batches.started_per_year`, `.released_per_year`, `.failed_per_year` | batches/year | batch flow |
//! | `products.P.doses.released`, `.used`, `.expired`, `.discarded` | doses | stored at release, taken by orders, expired in stock, not stored for lack of space |
//! | `products.P.stock.mean` | doses | time-average doses in stock |
//! | `products.P.stock.stockouts` | count | times the stock ran out |
//! | `products.P.steps.S.wait.mean`, `.work.mean` | days | per released batch |
//! | `products.P.delivery.S.wait.mean`, `.work.mean` | days | per infused order |
//!
//! Per slot calendar `S` (in the window):
//!
//! | metric | unit | meaning |
//! |---|---|---|
//! | `slots.S.released` | count | slots released |
//! | `slots.S.joined` | patients | patients who started waiting for a slot |
//! | `slots.S.allocated` | count | slots allocated to a waiting patient |
//! | `slots.S.share` | fraction | allocated / joined: the share of patients who got a slot |
//! | `slots.S.used` | count | slots used (the holder reached the step that uses it) |
//! | `slots.S.returned` | count | slots given back by patients who left holding them |
//! | `slots.S.wasted` | count | slots that expired unallocated |
//! | `slots.S.open_end` | count | slots still open (released, not yet allocated or expired) at the end |
//! | `slots.S.waiting.mean` | patients | time-average patients waiting for a slot |
//! | `slots.S.wait.mean` | days | wait from joining to allocation, per allocated slot |
//!
//! A run until empty (`Spec::until_empty`) also has `run.days` (days): how long the run
//! lasted, the window every rate and time average above is taken over.
//!
//! Per milestone `M` of product `P` (patients, or batches of an allogeneic product, that
//! finished the chain in the window):
//!
//! | metric | unit | meaning |
//! |---|---|---|
//! | `products.P.milestones.M.mean`, `.p50`, `.p90`, `.p95` | days | from the first time at its start to the last time at its end |
//! | `products.P.milestones.M.on_time` | fraction | share within its deadline (with `deadline`) |
//!
//! Per hazard cause `C` of product `P` (deaths, progressions in the window):
//!
//! | metric | unit | meaning |
//! |---|---|---|
//! | `products.P.hazards.C` | patients | events in the window |
//! | `products.P.hazards.C.in.S` | patients | of those, in step S (each step of the cause's phases) |
//!
//! Per booking step `S` of product `P` (requests made in the window):
//!
//! | metric | unit | meaning |
//! |---|---|---|
//! | `products.P.bookings.S.requested` | count | bookings asked for (a campaign's rework asks again) |
//! | `products.P.bookings.S.on_time`, `.late` | count | booked to end by the deadline; postponed past it |
//! | `products.P.bookings.S.refused` | count | refused: no window ends by the deadline (the campaign left) |
//! | `products.P.bookings.S.cancelled` | count | windows freed by campaigns that left before them |
//! | `products.P.bookings.S.lead.mean` | days | from request to the window's start, per booking made |
//!
//! Per collection site `S` and plant `Q` of a network, for product `P` (patients
//! collected at `S`, whatever their plant; network-wide figures are the product's own,
//! pooled over every patient, not averaged over sites):
//!
//! | metric | unit | meaning |
//! |---|---|---|
//! | `products.P.sites.S.arrived`, `.completed` | patients | collected, infused in the window |
//! | `products.P.sites.S.lost` | patients | left without infusion in the window (failure, patience, hazard, spoiled) |
//! | `products.P.sites.S.spoiled` | patients | of those, products that travelled longer than a leg's fresh limit |
//! | `products.P.sites.S.wip_end` | patients | in the network at the end |
//! | `products.P.sites.S.v2v.mean`, `.p50`, `.p90`, `.p95` | days | vein-to-vein of those infused |
//! | `products.P.sites.S.milestones.M.mean`, `.p50`, `.p90`, `.p95`, `.on_time` | days, fraction | each milestone, for the patients collected at S |
//! | `products.P.plants.Q.patients` | patients | routed to plant Q in the window |
//!
//! Per lane from site `A` to site `B` (legs that ended in the window; a leg runs from the
//! start of its transport step, waiting for a courier or a van included, to its end):
//!
//! | metric | unit | meaning |
//! |---|---|---|
//! | `lanes.A.B.legs` | count | legs |
//! | `lanes.A.B.time.mean` | days | door-to-door time per leg |
//! | `lanes.A.B.in_transit.mean` | count | time-average legs under way (the lane's load) |
//! | `lanes.A.B.modes.M.legs` | count | legs that took mode M |
//!
//! With cost rates (`[costs]`), in the scenario's currency, over the window:
//!
//! | metric | unit | meaning |
//! |---|---|---|
//! | `costs.total` | currency | everything: resources held, available and used, sites' days, materials, legs |
//! | `costs.per_infused` | currency | the total over every patient infused (or order infused) |
//! | `costs.written_off` | currency | of the total, the materials and QC of patients who left uninfused and of failed batches, and per expired or discarded dose its batch's over the mean doses of a batch |
//! | `costs.facility`, `.labour`, `.equipment`, `.materials`, `.qc`, `.transport` | currency | by category (they add up to the total) |
//! | `costs.sites.S.total` | currency | site S's fixed cost while open, and its own resources' (legs are not a site's) |
//! | `costs.products.P.total`, `.per_infused` | currency | product P's share: its materials, the held time of its own requests, and the rest (available time, uses, sites' days, legs) in proportion to its share of all units held |
//!
//! For an autologous product the sum over steps of `wait.mean + work.mean` is `v2v.mean`.
//! This module must not know output formats: it only names things.

mod key;

pub use key::{
    BookingStat, Key, LaneStat, MilestoneStat, PatientStat, PlantStat, ResourceStat,
    SeriesBookingStat, SeriesKey, SeriesProductStat, SeriesResourceStat, SeriesSiteStat,
    SeriesSlotStat, SiteStat, SlotStat, StepStat, StockStat, keys, series_keys, tail_keys,
};

use super::spec::Spec;

/// The unit a metric is expressed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A count of patients.
    Patients,
    /// Patients per year of 365 days.
    PatientsPerYear,
    /// Days.
    Days,
    /// A fraction in [0, 1] (may exceed 1 for utilisation against available capacity).
    Fraction,
    /// A number of waiting requests.
    Requests,
    /// A count of orders.
    Orders,
    /// Batches per year of 365 days.
    BatchesPerYear,
    /// A count of doses.
    Doses,
    /// A count of occurrences.
    Count,
    /// Units of a resource.
    Units,
    /// An amount in the scenario's currency (`Spec::costs`).
    Money,
}

impl Unit {
    /// The unit as written in the outputs of `spec`: an amount of money in the currency
    /// its costs name.
    pub fn label(self, spec: &Spec) -> &str {
        match (self, &spec.costs) {
            (Unit::Money, Some(c)) => &c.currency,
            _ => self.as_str(),
        }
    }

    /// The unit's name (`"currency"` for money, whose currency the scenario names).
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Patients => "patients",
            Unit::PatientsPerYear => "patients/year",
            Unit::Days => "days",
            Unit::Fraction => "fraction",
            Unit::Requests => "requests",
            Unit::Orders => "orders",
            Unit::BatchesPerYear => "batches/year",
            Unit::Doses => "doses",
            Unit::Count => "count",
            Unit::Units => "units",
            Unit::Money => "currency",
        }
    }
}

/// A metric's name and unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metric {
    /// Dotted name, e.g. `products.car-t.v2v.p90`.
    pub name: String,
    /// Its unit.
    pub unit: Unit,
}

/// A name as it appears inside a metric name (spaces become underscores).
pub fn slug(name: &str) -> String {
    name.replace(' ', "_")
}

/// The name of a product's end-to-end time: `v2v` (vein-to-vein) for an autologous
/// product, `order_to_infusion` for an allogeneic one.
pub fn tail_name(p: &super::spec::ProductSpec) -> &'static str {
    if p.allogeneic.is_some() {
        "order_to_infusion"
    } else {
        "v2v"
    }
}

/// The metrics of each period of a time series (`Spec::timeseries`), in the order of
/// [`series_keys`] (a replication's rows hold them so), with the value a replication
/// that has ended gives for the periods after its end.
///
/// | metric | unit | meaning, per period |
/// |---|---|---|
/// | `products.P.arrived`, `.completed`, `.lost`, `.dropped_out` | patients (orders) | flows in the period |
/// | `products.P.wip.mean` | patients | time-average patients (orders) in the system |
/// | `products.P.v2v.mean` | days | vein-to-vein (order-to-infusion) of those completed in the period |
/// | `products.P.hazards.C` | patients | events of hazard cause C in the period |
/// | `products.P.bookings.S.late`, `.refused` | count | bookings of step S postponed past their deadline, refused |
/// | `products.P.sites.S.arrived`, `.completed`, `.lost` | patients | of a network's patients collected at site S |
/// | `products.P.sites.S.v2v.mean` | days | their vein-to-vein, of those infused in the period |
/// | `resources.R.in_use.mean` | units | time-average units busy (working or in changeover) |
/// | `resources.R.available.mean` | units | time-average units available (calendar, breakdowns) |
/// | `resources.R.queue.mean` | requests | time-average requests waiting |
/// | `slots.S.released`, `.allocated`, `.wasted` | slots | slot flows in the period |
/// | `slots.S.waiting.mean` | patients | time-average patients waiting for a slot |
pub fn series_names(spec: &Spec) -> Vec<(Metric, f64)> {
    series_keys(spec)
        .into_iter()
        .map(|k| {
            let m = Metric {
                name: k.name(spec),
                unit: k.unit(),
            };
            (m, k.fill())
        })
        .collect()
}

/// A product's hazard outcomes: each distinct cause (in order of first mention) with the
/// steps of its phases, where its events can happen (in chain order).
pub fn hazard_outcomes(p: &super::spec::ProductSpec) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    for h in &p.hazards {
        let i = match out.iter().position(|(c, _)| *c == h.cause) {
            Some(i) => i,
            None => {
                out.push((h.cause.clone(), Vec::new()));
                out.len() - 1
            }
        };
        out[i]
            .1
            .extend(h.from..=h.to.min(p.steps.len().saturating_sub(1)));
        out[i].1.sort_unstable();
        out[i].1.dedup();
    }
    out
}

/// Every metric of a replication of `spec`, named, in the order of [`keys`] (the order
/// `Facility::results` returns them in).
pub fn metric_names(spec: &Spec) -> Vec<Metric> {
    keys(spec)
        .into_iter()
        .map(|k| Metric {
            name: k.name(spec),
            unit: k.unit(),
        })
        .collect()
}
