//! The cost section of the table and the tidy `costs.csv`: the total and per infused
//! patient, what was written off, by category, each product's share and each site's, in
//! the scenario's currency, with confidence intervals. Both list the same rows.
//!
//! This module only formats results it is given.

use super::files::num;
use super::{Results, fmt_ci, fmt_num};
use crate::model::{Allocation, CostCategory, Key, Spec};
use std::fmt::Write as _;
use std::io;

/// One cost figure: what it covers (`scope`: total, category, product or site, and its
/// `name`), what it is (`per`: total, per infused patient, per dose used, written off),
/// and its metric.
struct Row {
    scope: &'static str,
    name: String,
    per: &'static str,
    key: Key,
}

/// Every cost figure of `spec`, in output order.
fn rows(spec: &Spec) -> Vec<Row> {
    let row = |scope, name: &str, per, key| Row {
        scope,
        name: name.to_string(),
        per,
        key,
    };
    let mut out = vec![
        row("total", "all", "total", Key::Cost(None)),
        row("total", "all", "per_infused", Key::CostPerInfused),
        row("total", "all", "written_off", Key::CostWrittenOff),
    ];
    for k in CostCategory::ALL {
        out.push(row("category", k.name(), "total", Key::Cost(Some(k))));
    }
    for (product, p) in spec.products.iter().enumerate() {
        for (per, per_infused) in [("total", false), ("per_infused", true)] {
            let key = Key::ProductCost {
                product,
                per_infused,
            };
            out.push(row("product", &p.name, per, key));
        }
        if p.allogeneic.is_some() {
            let key = Key::CostPerDoseUsed(product);
            out.push(row("product", &p.name, "per_dose_used", key));
        }
    }
    for (site, st) in spec.network.sites.iter().enumerate() {
        out.push(row("site", &st.name, "total", Key::SiteCost(site)));
    }
    out
}

/// How shared costs are split, and whether they are discounted, in words.
fn basis(spec: &Spec) -> String {
    let Some(c) = &spec.costs else {
        return String::new();
    };
    let split = match c.allocation {
        Allocation::Held => "units held",
        Allocation::Uses => "uses (grants)",
    };
    match c.discount {
        0.0 => format!("shared costs split by {split}"),
        d => format!(
            "shared costs split by {split}; at present value, {} % a year",
            d * 100.0
        ),
    }
}

/// The cost rows of the table, if the scenario has rates.
pub(super) fn cost_table(s: &mut String, res: &Results, spec: &Spec) {
    let Some(c) = &spec.costs else { return };
    let _ = writeln!(
        s,
        "\nCosts ({}, over the window; {})",
        c.currency,
        basis(spec)
    );
    for r in rows(spec) {
        let Some(e) = res.get(&r.key.name(spec)) else {
            continue;
        };
        let label = match (r.scope, r.per) {
            ("total", "total") => "total".to_string(),
            ("total", "per_infused") => "per infused patient".to_string(),
            ("total", _) => "of it written off".to_string(),
            ("category", _) => format!("  {}", r.name),
            ("site", _) => format!("site {}", r.name),
            (_, per) => format!("{}: {}", r.name, per.replace('_', " ")),
        };
        let _ = writeln!(s, "  {label:<28} {:>12}  {}", fmt_num(e.mean), fmt_ci(e));
    }
}

/// The tidy cost table written as `costs.csv` with `--out` (none without rates): one row
/// per figure, `scope,name,per,currency,mean,sd,ci95_low,ci95_high,n,basis`.
pub(super) fn costs_csv(res: &Results, spec: &Spec) -> io::Result<Option<Vec<u8>>> {
    let Some(c) = &spec.costs else {
        return Ok(None);
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "scope",
        "name",
        "per",
        "currency",
        "mean",
        "sd",
        "ci95_low",
        "ci95_high",
        "n",
        "basis",
    ])?;
    let basis = basis(spec);
    for r in rows(spec) {
        let Some(e) = res.get(&r.key.name(spec)) else {
            continue;
        };
        let [low, high] = e.ci95();
        w.write_record([
            r.scope,
            &r.name,
            r.per,
            &c.currency,
            &num(e.mean),
            &num(e.sd),
            &num(low),
            &num(high),
            &e.n.to_string(),
            &basis,
        ])?;
    }
    w.into_inner()
        .map(Some)
        .map_err(|e| io::Error::other(e.to_string()))
}
