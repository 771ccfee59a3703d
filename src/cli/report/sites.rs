//! The table's network part: per product, its patients by collection site (arrived,
//! infused, lost, spoiled, vein-to-vein mean and pooled p90) and by plant.
//!
//! This module only formats results it is given.

use super::{Results, fmt_num};
use crate::model::{Key, MilestoneStat, PlantStat, SiteStat, Spec};
use std::fmt::Write as _;

/// The rows of product `product`'s sites and plants, if it has demand per site.
pub(super) fn site_table(s: &mut String, res: &Results, spec: &Spec, product: usize) {
    let p = &spec.products[product];
    if p.demand.is_empty() {
        return;
    }
    let sites = &spec.network.sites;
    let w = p
        .demand
        .iter()
        .map(|d| sites[d.site].name.len())
        .max()
        .unwrap_or(0)
        .max(14);
    let _ = writeln!(
        s,
        "  by collection site (patients in the window; vein-to-vein of those infused, days):"
    );
    // The share within the deadline of the first milestone that has one.
    let deadline = p
        .milestones
        .iter()
        .position(|m| m.deadline.is_some())
        .map(|m| {
            (
                m,
                format!("<= {}d", p.milestones[m].deadline.expect("found").as_days()),
            )
        });
    let _ = writeln!(
        s,
        "    {:<w$} {:>9} {:>9} {:>8} {:>8} {:>9} {:>9} {:>10}",
        "site",
        "arrived",
        "infused",
        "lost",
        "spoiled",
        "V2V mean",
        "V2V p90",
        deadline.as_ref().map_or("", |d| d.1.as_str())
    );
    for d in &p.demand {
        let key = |stat| {
            Key::Site {
                product,
                site: d.site,
                stat,
            }
            .name(spec)
        };
        let mean = |stat| res.get(&key(stat)).map_or(f64::NAN, |e| e.mean);
        let p90 = res.pooled(&key(SiteStat::V2vP90)).unwrap_or(f64::NAN);
        let on_time = deadline.as_ref().map_or(String::new(), |&(milestone, _)| {
            let key = Key::SiteMilestone {
                product,
                site: d.site,
                milestone,
                stat: MilestoneStat::OnTime,
            };
            fmt_num(res.get(&key.name(spec)).map_or(f64::NAN, |e| e.mean))
        });
        let _ = writeln!(
            s,
            "    {:<w$} {:>9} {:>9} {:>8} {:>8} {:>9} {:>9} {:>10}",
            sites[d.site].name,
            fmt_num(mean(SiteStat::Arrived)),
            fmt_num(mean(SiteStat::Completed)),
            fmt_num(mean(SiteStat::Lost)),
            fmt_num(mean(SiteStat::Spoiled)),
            fmt_num(mean(SiteStat::V2vMean)),
            fmt_num(p90),
            on_time,
        );
    }
    let plants: Vec<String> = spec
        .network
        .plants()
        .filter_map(|q| {
            let key = Key::Plant {
                product,
                site: q,
                stat: PlantStat::Patients,
            };
            let e = res.get(&key.name(spec))?;
            Some(format!("{} {}", sites[q].name, fmt_num(e.mean)))
        })
        .collect();
    if !plants.is_empty() {
        let _ = writeln!(s, "  patients per plant: {}", plants.join(", "));
    }
}
