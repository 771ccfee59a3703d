//! Compiling `[costs]`: rates resolved to resources, sites, products and lanes' modes by
//! name, each a finite number >= 0, refused at its place in the file otherwise.

use super::ScenarioError;
use super::compile::{Ctx, unknown_resource};
use super::format::ScenarioFile;
use super::spanned::Spanned;
use super::units::shown;
use crate::model::{
    Allocation, AssayCost, CostCategory, Costs, Network, ProductSpec, ResourceCost, ResourceSpec,
};
use std::collections::HashMap;

type R<T> = Result<T, ScenarioError>;

/// A rate: finite and >= 0.
fn rate(cx: &Ctx, v: &Spanned<f64>) -> R<f64> {
    let x = *v.get_ref();
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        cx.err(
            v,
            format!("a cost rate is a finite amount >= 0, not {x}; give 0 for none"),
        )
    }
}

fn category(cx: &Ctx, c: &Spanned<String>) -> R<CostCategory> {
    CostCategory::ALL
        .into_iter()
        .find(|k| k.name() == c.get_ref())
        .map_or_else(
            || {
                cx.err(
                    c,
                    format!(
                        "a cost category is one of {}, not \"{}\"",
                        CostCategory::ALL
                            .map(|k| format!("\"{}\"", k.name()))
                            .join(", "),
                        shown(c.get_ref())
                    ),
                )
            },
            Ok,
        )
}

/// The scenario's cost rates, if it has `[costs]`.
pub(super) fn costs(
    cx: &Ctx,
    file: &ScenarioFile,
    resources: &[ResourceSpec],
    index: &HashMap<String, usize>,
    products: &[ProductSpec],
    network: &Network,
) -> R<Option<Costs>> {
    let Some(c) = &file.costs else {
        return Ok(None);
    };
    let f = c.get_ref();
    if f.currency.get_ref().trim().is_empty() {
        return cx.err(
            &f.currency,
            "name the currency every rate is in, e.g. currency = \"SEK\"",
        );
    }
    let mut out = Costs {
        currency: f.currency.get_ref().clone(),
        resources: vec![ResourceCost::default(); resources.len()],
        site_per_day: vec![0.0; network.sites.len()],
        materials: vec![0.0; products.len()],
        qc: vec![0.0; products.len()],
        stored_per_day: vec![0.0; products.len()],
        legs: network
            .lanes
            .iter()
            .map(|l| vec![0.0; l.modes.len()])
            .collect(),
        assays: Vec::new(),
        allocation: Allocation::Held,
        discount: 0.0,
    };
    if let Some(a) = &f.allocation {
        out.allocation = match a.get_ref().as_str() {
            "held" => Allocation::Held,
            "uses" => Allocation::Uses,
            other => {
                return cx.err(
                    a,
                    format!(
                        "allocation is \"held\" (shared costs split by units x hours held) or \"uses\" (by grants of resources), not \"{}\"",
                        shown(other)
                    ),
                );
            }
        };
    }
    if let Some(d) = &f.discount_rate {
        let x = *d.get_ref();
        if !(x.is_finite() && (0.0..1.0).contains(&x)) {
            return cx.err(
                d,
                format!("discount_rate is an annual rate in [0, 1), e.g. 0.035 for 3.5 %, not {x}"),
            );
        }
        out.discount = x;
    }
    for (name, r) in &f.resources {
        let Some(&i) = index.get(name.get_ref()) else {
            return cx.err(name, unknown_resource(name.get_ref(), index));
        };
        let rf = r.get_ref();
        let get = |v: &Option<Spanned<f64>>| v.as_ref().map_or(Ok(0.0), |v| rate(cx, v));
        out.resources[i] = ResourceCost {
            per_hour_held: get(&rf.per_hour_held)?,
            per_hour_available: get(&rf.per_hour_available)?,
            per_use: get(&rf.per_use)?,
            category: rf
                .category
                .as_ref()
                .map_or(Ok(CostCategory::Facility), |k| category(cx, k))?,
        };
    }
    let site = |name: &Spanned<String>| -> R<usize> {
        match network.sites.iter().position(|s| &s.name == name.get_ref()) {
            Some(s) => Ok(s),
            None => cx.err(
                name,
                format!(
                    "unknown site `{}`; costs name the sites of [sites]",
                    shown(name.get_ref())
                ),
            ),
        }
    };
    for (name, s) in &f.sites {
        out.site_per_day[site(name)?] = rate(cx, &s.get_ref().per_day)?;
    }
    for (name, p) in &f.products {
        let Some(i) = products.iter().position(|q| &q.name == name.get_ref()) else {
            return cx.err(name, format!("unknown product `{}`", shown(name.get_ref())));
        };
        let get = |v: &Option<Spanned<f64>>| v.as_ref().map_or(Ok(0.0), |v| rate(cx, v));
        out.materials[i] = get(&p.get_ref().materials)?;
        out.qc[i] = get(&p.get_ref().qc)?;
        if let Some(v) = &p.get_ref().stored_per_day {
            if products[i].allogeneic.is_none() {
                return cx.err(v, "stored_per_day prices the doses of an allogeneic product's store; this product is autologous");
            }
            out.stored_per_day[i] = rate(cx, v)?;
        }
        for (assay, v) in &p.get_ref().assays {
            let known = products[i].assay_names();
            if !known.contains(&assay.get_ref().as_str()) {
                return cx.err(
                    assay,
                    format!(
                        "product `{}` has no assay `{}`; its assays are: {}",
                        name.get_ref(),
                        shown(assay.get_ref()),
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
            }
            out.assays.push(AssayCost {
                product: i,
                assay: assay.get_ref().clone(),
                per_run: rate(cx, v)?,
            });
        }
    }
    for (from, row) in &f.lanes {
        let a = site(from)?;
        for (to, modes) in row.get_ref() {
            let b = site(to)?;
            let Some(l) = network.lane(a, b) else {
                return cx.err(
                    to,
                    format!(
                        "there is no lane from `{}` to `{}` in [lanes]",
                        from.get_ref(),
                        to.get_ref()
                    ),
                );
            };
            for (mode, v) in modes.get_ref() {
                let lane = &network.lanes[l];
                let Some(m) = lane.modes.iter().position(|x| &x.name == mode.get_ref()) else {
                    let known: Vec<&str> = lane.modes.iter().map(|x| x.name.as_str()).collect();
                    return cx.err(
                        mode,
                        format!(
                            "the lane from `{}` to `{}` has no mode `{}`; its modes are: {}",
                            from.get_ref(),
                            to.get_ref(),
                            shown(mode.get_ref()),
                            known.join(", ")
                        ),
                    );
                };
                out.legs[l][m] = rate(cx, v)?;
            }
        }
    }
    Ok(Some(out))
}
