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
//! | `products.P.completed_per_year` | patients/year | completed / horizon in years of 365 days |
//! | `products.P.v2v.mean`, `.p50`, `.p90`, `.p95` | days | vein-to-vein of completed patients |
//! | `products.P.steps.S.wait.mean` | days | mean time per completed patient waiting for S's resources (all attempts) |
//! | `products.P.steps.S.work.mean` | days | mean time per completed patient in S after the grant (all attempts) |
//! | `resources.R.utilisation` | fraction | units busy (working or in changeover) / nominal capacity |
//! | `resources.R.utilisation_available` | fraction | units busy / units available (calendar, breakdowns) |
//! | `resources.R.utilisation_working` | fraction | units working (changeover excluded) / nominal capacity |
//! | `resources.R.queue.mean` | requests | time-average number of requests waiting |
//! | `resources.R.wait.mean`, `.wait.p90` | days | wait from request to grant, one value per grant |
//! | `resources.R.waiting_share` | fraction | this pool's share of all time spent waiting in queues (the bottleneck has the largest) |
//!
//! The sum over steps of `wait.mean + work.mean` is `v2v.mean`. This module must not
//! know output formats: it only names things.

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

/// Every metric of a replication of `spec`, in the order `Facility::results` returns them.
pub fn metric_names(spec: &Spec) -> Vec<Metric> {
    let mut out = Vec::new();
    let mut push = |name: String, unit: Unit| out.push(Metric { name, unit });
    for p in &spec.products {
        let base = format!("products.{}", slug(&p.name));
        for (what, unit) in [
            ("arrived", Unit::Patients),
            ("completed", Unit::Patients),
            ("lost", Unit::Patients),
            ("dropped_out", Unit::Patients),
            ("wip_end", Unit::Patients),
            ("completed_per_year", Unit::PatientsPerYear),
            ("v2v.mean", Unit::Days),
            ("v2v.p50", Unit::Days),
            ("v2v.p90", Unit::Days),
            ("v2v.p95", Unit::Days),
        ] {
            push(format!("{base}.{what}"), unit);
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
    }
    for r in &spec.resources {
        let base = format!("resources.{}", slug(&r.name));
        for (what, unit) in [
            ("utilisation", Unit::Fraction),
            ("utilisation_available", Unit::Fraction),
            ("utilisation_working", Unit::Fraction),
            ("queue.mean", Unit::Requests),
            ("wait.mean", Unit::Days),
            ("wait.p90", Unit::Days),
            ("waiting_share", Unit::Fraction),
        ] {
            push(format!("{base}.{what}"), unit);
        }
    }
    out
}
