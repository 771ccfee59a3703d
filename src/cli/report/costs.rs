//! The table's cost section: the total and per infused patient, by category, and each
//! product's share, in the scenario's currency, with confidence intervals.
//!
//! This module only formats results it is given.

use super::{Results, fmt_ci, fmt_num};
use crate::model::{Allocation, CostCategory, Key, Spec};
use std::fmt::Write as _;

/// The cost rows, if the scenario has rates.
pub(super) fn cost_table(s: &mut String, res: &Results, spec: &Spec) {
    let Some(c) = &spec.costs else { return };
    let split = match c.allocation {
        Allocation::Held => "units held",
        Allocation::Uses => "uses (grants)",
    };
    let discounted = match c.discount {
        0.0 => String::new(),
        d => format!("; at present value, {} % a year", d * 100.0),
    };
    let _ = writeln!(
        s,
        "\nCosts ({}, over the window; shared costs split by {split}{discounted})",
        c.currency
    );
    let mut row = |label: &str, key: Key| {
        if let Some(e) = res.get(&key.name(spec)) {
            let _ = writeln!(s, "  {label:<28} {:>12}  {}", fmt_num(e.mean), fmt_ci(e));
        }
    };
    row("total", Key::Cost(None));
    row("per infused patient", Key::CostPerInfused);
    row("of it written off", Key::CostWrittenOff);
    for k in CostCategory::ALL {
        row(&format!("  {}", k.name()), Key::Cost(Some(k)));
    }
    for (product, p) in spec.products.iter().enumerate() {
        row(
            &format!("{}: total", p.name),
            Key::ProductCost {
                product,
                per_infused: false,
            },
        );
        row(
            &format!("{}: per infused", p.name),
            Key::ProductCost {
                product,
                per_infused: true,
            },
        );
        if p.allogeneic.is_some() {
            row(
                &format!("{}: per dose used", p.name),
                Key::CostPerDoseUsed(product),
            );
        }
    }
    for (site, st) in spec.network.sites.iter().enumerate() {
        row(&format!("site {}", st.name), Key::SiteCost(site));
    }
}
