//! The checks of cost rates: one entry per resource, site, product and lane mode, each a
//! finite amount >= 0, in a named currency.
//!
//! This module must not parse text or know file formats.

use super::Errors;
use crate::model::spec::Spec;

impl Spec {
    pub(super) fn check_costs(&self, e: &mut Errors) {
        let Some(c) = &self.costs else { return };
        if c.currency.trim().is_empty() {
            e.add(
                "costs.currency",
                "name the currency every rate is in, e.g. \"SEK\"",
            );
        }
        let lanes_match = c.legs.len() == self.network.lanes.len()
            && c.legs
                .iter()
                .zip(&self.network.lanes)
                .all(|(l, s)| l.len() == s.modes.len());
        if c.resources.len() != self.resources.len()
            || c.site_per_day.len() != self.network.sites.len()
            || c.materials.len() != self.products.len()
            || c.qc.len() != self.products.len()
            || c.stored_per_day.len() != self.products.len()
            || !lanes_match
        {
            e.add(
                "costs",
                "one rate entry is needed per resource, site, product and lane mode",
            );
            return;
        }
        let bad = |x: f64| !(x.is_finite() && x >= 0.0);
        for (r, rc) in c.resources.iter().enumerate() {
            if [rc.per_hour_held, rc.per_hour_available, rc.per_use]
                .into_iter()
                .any(bad)
            {
                e.add(
                    format!("costs.resources.{}", self.resources[r].name),
                    "a cost rate is a finite amount >= 0",
                );
            }
        }
        for (s, &x) in c.site_per_day.iter().enumerate() {
            if bad(x) {
                e.add(
                    format!("costs.sites.{}", self.network.sites[s].name),
                    "a cost rate is a finite amount >= 0",
                );
            }
        }
        for (p, (&x, &q)) in c.materials.iter().zip(&c.qc).enumerate() {
            if bad(x) || bad(q) || bad(c.stored_per_day[p]) {
                e.add(
                    format!("costs.products.{}", self.products[p].name),
                    "a cost rate is a finite amount >= 0",
                );
            }
        }
        for a in &c.assays {
            let known = (self.products.get(a.product))
                .is_some_and(|p| p.assay_names().contains(&a.assay.as_str()));
            if !known || bad(a.per_run) {
                e.add(
                    format!("costs.assays.{}", a.assay),
                    "an assay cost names an assay of its product and is a finite amount >= 0",
                );
            }
        }
        if !(c.discount.is_finite() && (0.0..1.0).contains(&c.discount)) {
            e.add("costs.discount", "an annual discount rate is in [0, 1)");
        }
        if c.legs.iter().flatten().any(|&x| bad(x)) {
            e.add("costs.lanes", "a cost rate is a finite amount >= 0");
        }
    }
}
