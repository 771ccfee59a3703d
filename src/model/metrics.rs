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
//! For an autologous product the sum over steps of `wait.mean + work.mean` is `v2v.mean`.
//! This module must not know output formats: it only names things.

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
}

impl Unit {
    /// The unit as written in outputs.
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

/// The per-product metrics of an autologous product (after `products.P.`).
pub(crate) const AUTOLOGOUS: [(&str, Unit); 15] = [
    ("arrived", Unit::Patients),
    ("completed", Unit::Patients),
    ("lost", Unit::Patients),
    ("dropped_out", Unit::Patients),
    ("wip_end", Unit::Patients),
    ("left", Unit::Patients),
    ("wip_growth", Unit::Patients),
    ("wip.mean", Unit::Patients),
    ("waiting.mean_all", Unit::Days),
    ("waiting.mean_completed", Unit::Days),
    ("completed_per_year", Unit::PatientsPerYear),
    ("v2v.mean", Unit::Days),
    ("v2v.p50", Unit::Days),
    ("v2v.p90", Unit::Days),
    ("v2v.p95", Unit::Days),
];

/// The per-product metrics of an allogeneic product (after `products.P.`).
pub(crate) const ALLOGENEIC: [(&str, Unit); 22] = [
    ("orders.arrived", Unit::Orders),
    ("orders.from_stock", Unit::Orders),
    ("orders.fill_rate", Unit::Fraction),
    ("orders.backordered", Unit::Orders),
    ("orders.backorder_wait.mean", Unit::Days),
    ("orders.lost", Unit::Orders),
    ("orders.infused", Unit::Orders),
    ("orders.wip_end", Unit::Orders),
    ("order_to_infusion.mean", Unit::Days),
    ("order_to_infusion.p50", Unit::Days),
    ("order_to_infusion.p90", Unit::Days),
    ("order_to_infusion.p95", Unit::Days),
    ("batches.started_per_year", Unit::BatchesPerYear),
    ("batches.released_per_year", Unit::BatchesPerYear),
    ("batches.failed_per_year", Unit::BatchesPerYear),
    ("doses.released", Unit::Doses),
    ("doses.used", Unit::Doses),
    ("doses.expired", Unit::Doses),
    ("doses.discarded", Unit::Doses),
    ("stock.mean", Unit::Doses),
    ("stock.stockouts", Unit::Count),
    ("stock.backorders_end", Unit::Orders),
];

/// The per-resource metrics (after `resources.R.`), before the split by product.
pub(crate) const RESOURCE: [(&str, Unit); 13] = [
    ("utilisation", Unit::Fraction),
    ("utilisation_available", Unit::Fraction),
    ("utilisation_working", Unit::Fraction),
    ("queue.mean", Unit::Requests),
    ("wait.mean", Unit::Days),
    ("wait.mean_all", Unit::Days),
    ("wait.p90", Unit::Days),
    ("grants", Unit::Count),
    ("withdrawn", Unit::Count),
    ("held_back.busy", Unit::Requests),
    ("held_back.closed", Unit::Requests),
    ("waiting_share", Unit::Fraction),
    ("in_use.peak", Unit::Units),
];

/// The per-product metrics of a time series (after `products.P.`), each with what a
/// replication that ended (a run until empty) contributes for the periods after its
/// end: 0 for flows and levels, nothing (NaN) for a mean over no one.
pub(crate) const SERIES_PRODUCT: [(&str, Unit, f64); 6] = [
    ("arrived", Unit::Patients, 0.0),
    ("completed", Unit::Patients, 0.0),
    ("lost", Unit::Patients, 0.0),
    ("dropped_out", Unit::Patients, 0.0),
    ("wip.mean", Unit::Patients, 0.0),
    ("v2v.mean", Unit::Days, f64::NAN),
];

/// The per-resource metrics of a time series (after `resources.R.`), as above.
pub(crate) const SERIES_RESOURCE: [(&str, Unit, f64); 3] = [
    ("in_use.mean", Unit::Units, 0.0),
    ("available.mean", Unit::Units, f64::NAN),
    ("queue.mean", Unit::Requests, 0.0),
];

/// The metrics of each period of a time series (`Spec::timeseries`), in the order a
/// replication's rows hold them, with the value a replication that has ended gives for
/// the periods after its end.
///
/// | metric | unit | meaning, per period |
/// |---|---|---|
/// | `products.P.arrived`, `.completed`, `.lost`, `.dropped_out` | patients (orders) | flows in the period |
/// | `products.P.wip.mean` | patients | time-average patients (orders) in the system |
/// | `products.P.v2v.mean` | days | vein-to-vein (order-to-infusion) of those completed in the period |
/// | `products.P.hazards.C` | patients | events of hazard cause C in the period |
/// | `products.P.bookings.S.late`, `.refused` | count | bookings of step S postponed past their deadline, refused |
/// | `resources.R.in_use.mean` | units | time-average units busy (working or in changeover) |
/// | `resources.R.available.mean` | units | time-average units available (calendar, breakdowns) |
/// | `resources.R.queue.mean` | requests | time-average requests waiting |
/// | `slots.S.released`, `.allocated`, `.wasted` | slots | slot flows in the period |
/// | `slots.S.waiting.mean` | patients | time-average patients waiting for a slot |
pub fn series_names(spec: &Spec) -> Vec<(Metric, f64)> {
    let mut out = Vec::new();
    for p in &spec.products {
        for (what, unit, fill) in SERIES_PRODUCT {
            let name = format!("products.{}.{what}", slug(&p.name));
            out.push((Metric { name, unit }, fill));
        }
        for (cause, _) in hazard_outcomes(p) {
            let name = format!("products.{}.hazards.{}", slug(&p.name), slug(&cause));
            out.push((
                Metric {
                    name,
                    unit: Unit::Patients,
                },
                0.0,
            ));
        }
        for st in p.steps.iter().filter(|s| s.booking.is_some()) {
            for (what, unit, fill) in SERIES_BOOKING {
                let name = format!(
                    "products.{}.bookings.{}.{what}",
                    slug(&p.name),
                    slug(&st.name)
                );
                out.push((Metric { name, unit }, fill));
            }
        }
    }
    for r in &spec.resources {
        for (what, unit, fill) in SERIES_RESOURCE {
            let name = format!("resources.{}.{what}", slug(&r.name));
            out.push((Metric { name, unit }, fill));
        }
    }
    for s in &spec.slots {
        for (what, unit, fill) in SERIES_SLOT {
            let name = format!("slots.{}.{what}", slug(&s.name));
            out.push((Metric { name, unit }, fill));
        }
    }
    out
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

/// Every metric of a replication of `spec`, in the order `Facility::results` returns them.
pub fn metric_names(spec: &Spec) -> Vec<Metric> {
    let mut out = Vec::new();
    let mut push = |name: String, unit: Unit| out.push(Metric { name, unit });
    for p in &spec.products {
        let base = format!("products.{}", slug(&p.name));
        let list: &[(&str, Unit)] = if p.allogeneic.is_some() {
            &ALLOGENEIC
        } else {
            &AUTOLOGOUS
        };
        for (what, unit) in list {
            push(format!("{base}.{what}"), *unit);
        }
        for s in &p.steps {
            push(
                format!("{base}.steps.{}.wait.mean", slug(&s.name)),
                Unit::Days,
            );
            push(
                format!("{base}.steps.{}.work.mean", slug(&s.name)),
                Unit::Days,
            );
        }
        for (cause, steps) in hazard_outcomes(p) {
            let at = format!("{base}.hazards.{}", slug(&cause));
            push(at.clone(), Unit::Patients);
            for s in steps {
                push(
                    format!("{at}.in.{}", slug(&p.steps[s].name)),
                    Unit::Patients,
                );
            }
        }
        for m in &p.milestones {
            let at = format!("{base}.milestones.{}", slug(&m.name));
            for what in ["mean", "p50", "p90", "p95"] {
                push(format!("{at}.{what}"), Unit::Days);
            }
            if m.deadline.is_some() {
                push(format!("{at}.on_time"), Unit::Fraction);
            }
        }
        for s in p.steps.iter().filter(|s| s.booking.is_some()) {
            for (what, unit) in BOOKING {
                push(format!("{base}.bookings.{}.{what}", slug(&s.name)), unit);
            }
        }
        for s in p.allogeneic.iter().flat_map(|a| &a.delivery) {
            push(
                format!("{base}.delivery.{}.wait.mean", slug(&s.name)),
                Unit::Days,
            );
            push(
                format!("{base}.delivery.{}.work.mean", slug(&s.name)),
                Unit::Days,
            );
        }
    }
    for r in &spec.resources {
        let base = format!("resources.{}", slug(&r.name));
        for (what, unit) in RESOURCE {
            push(format!("{base}.{what}"), unit);
        }
        for p in &spec.products {
            push(
                format!("{base}.utilisation.by_product.{}", slug(&p.name)),
                Unit::Fraction,
            );
        }
    }
    for s in &spec.slots {
        for (what, unit) in SLOT {
            push(format!("slots.{}.{what}", slug(&s.name)), unit);
        }
    }
    if spec.until_empty {
        push("run.days".into(), Unit::Days);
    }
    out
}

/// The metrics of a booking step (after `products.P.bookings.S.`).
pub(crate) const BOOKING: [(&str, Unit); 6] = [
    ("requested", Unit::Count),
    ("on_time", Unit::Count),
    ("late", Unit::Count),
    ("refused", Unit::Count),
    ("cancelled", Unit::Count),
    ("lead.mean", Unit::Days),
];

/// The per-step metrics of a time series (after `products.P.bookings.S.`), as above.
pub(crate) const SERIES_BOOKING: [(&str, Unit, f64); 2] =
    [("late", Unit::Count, 0.0), ("refused", Unit::Count, 0.0)];

/// The metrics of a slot calendar (after `slots.S.`).
pub(crate) const SLOT: [(&str, Unit); 10] = [
    ("released", Unit::Count),
    ("joined", Unit::Patients),
    ("allocated", Unit::Count),
    ("share", Unit::Fraction),
    ("used", Unit::Count),
    ("returned", Unit::Count),
    ("wasted", Unit::Count),
    ("open_end", Unit::Count),
    ("waiting.mean", Unit::Patients),
    ("wait.mean", Unit::Days),
];

/// The per-calendar metrics of a time series (after `slots.S.`), as above.
pub(crate) const SERIES_SLOT: [(&str, Unit, f64); 4] = [
    ("released", Unit::Count, 0.0),
    ("allocated", Unit::Count, 0.0),
    ("wasted", Unit::Count, 0.0),
    ("waiting.mean", Unit::Patients, 0.0),
];
