//! The report's figures, each drawn from `summary.json` (or the series' or trace's CSV)
//! by walking metric names: distributions of the end-to-end times with their
//! deadlines, the time by step split into waiting and working, utilisation per resource
//! split by product and into changeover, idle and closed time, the time series with
//! their bands, and a Gantt chart of a trace.
//!
//! This module only builds strings.

use super::html::{cell, est, show};
use super::svg::{Plot, esc};
use crate::model::slug;
use serde_json::Value;
use std::fmt::Write as _;

/// Colour class of the `i`th series.
fn colour(i: usize) -> String {
    format!("s{}", i % 8)
}

fn legend(h: &mut String, items: &[(String, String)]) {
    h.push_str(r#"<div class="legend">"#);
    for (class, label) in items {
        let _ = write!(
            h,
            r#"<span><svg width="11" height="11"><rect class="{class}" width="11" height="11"/></svg> {}</span>"#,
            esc(label)
        );
    }
    h.push_str("</div>");
}

/// Per product, the ECDF of each pooled time of it (its end-to-end time first, then
/// its milestones and sites), with the deadlines the scenario states.
pub(super) fn distributions(h: &mut String, s: &Value) {
    let Some(dists) = s["distributions"].as_object() else {
        return;
    };
    if dists.is_empty() {
        return;
    }
    h.push_str(r#"<h2 id="v2v">Distributions</h2><p class="note">Share of patients (or orders) within each time: every replication's values pooled. Dashed lines are the scenario's deadlines.</p>"#);
    for p in s["brief"]["products"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or("");
        let prefix = format!("products.{}.", slug(name));
        let mut deadlines: Vec<(f64, String)> = p["milestones"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                Some((
                    m["deadline_days"].as_f64()?,
                    format!("{} deadline", m["name"].as_str()?),
                ))
            })
            .collect();
        if let Some(d) = s["brief"]["network_deadline_days"].as_f64() {
            deadlines.push((d, "routing deadline".into()));
        }
        // The product's own times (end to end, milestones), then per collection site.
        let (sited, own): (Vec<_>, Vec<_>) = dists
            .iter()
            .filter(|(n, d)| n.starts_with(&prefix) && d["n"].as_u64().unwrap_or(0) > 0)
            .map(|(n, d)| (&n[prefix.len()..], d))
            .partition(|(n, _)| n.starts_with("sites."));
        ecdf(h, name, &own, &deadlines);
        ecdf(h, &format!("{name} by collection site"), &sited, &deadlines);
    }
}

/// One ECDF chart of `dists` (name, distribution) with vertical deadlines.
fn ecdf(h: &mut String, caption: &str, dists: &[(&str, &Value)], deadlines: &[(f64, String)]) {
    if dists.is_empty() {
        return;
    }
    let points = |d: &Value| -> Vec<(f64, f64)> {
        d["quantiles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|qv| Some((qv[1].as_f64()?, qv[0].as_f64()?)))
            .collect()
    };
    let xmax = dists
        .iter()
        .flat_map(|(_, d)| points(d))
        .map(|p| p.0)
        .chain(deadlines.iter().map(|d| d.0))
        .fold(0.0, f64::max);
    let mut plot = Plot::new(720.0, 280.0, (0.0, xmax * 1.05), (0.0, 1.0));
    plot.axes("days", "share within", true);
    let mut items = Vec::new();
    for (i, (label, d)) in dists.iter().enumerate() {
        let mut pts = vec![(0.0, 0.0)];
        pts.extend(points(d));
        plot.steps(&pts, &colour(i), label);
        items.push((colour(i), format!("{label} (n = {})", d["n"])));
    }
    for (d, label) in deadlines {
        plot.vline(*d, "deadline", &format!("{label} {} d", show(*d)));
    }
    let _ = write!(
        h,
        "<figure>{}<figcaption>{}</figcaption>",
        plot.finish(&format!("ECDF of the times of {caption}")),
        esc(caption)
    );
    legend(h, &items);
    h.push_str("</figure>");
}

/// Per product, the mean time of each step per completed patient, waiting and working.
pub(super) fn decomposition(h: &mut String, s: &Value) {
    let mut any = false;
    for p in s["brief"]["products"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or("");
        let base = format!("products.{}.steps.", slug(name));
        // In the chain's order (the brief's), those the run measured.
        let slugs: Vec<String> = p["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|st| Some(slug(st.as_str()?)))
            .collect();
        let steps: Vec<&str> = slugs
            .iter()
            .map(String::as_str)
            .filter(|st| est(s, &format!("{base}{st}.wait.mean")).is_some())
            .collect();
        if steps.is_empty() {
            continue;
        }
        if !any {
            h.push_str(r#"<h2 id="steps">Where the time goes</h2><p class="note">Mean days per completed patient in each step: waiting for resources (orange) and working (blue).</p>"#);
            any = true;
        }
        let get = |step: &str, what: &str| {
            est(s, &format!("{base}{step}.{what}.mean")).map_or(0.0, |e| e.mean.max(0.0))
        };
        let total: f64 = steps
            .iter()
            .map(|st| get(st, "wait") + get(st, "work"))
            .sum();
        let rows = steps.len() as f64 + 1.0;
        let mut plot = Plot::new(
            720.0,
            40.0 + 22.0 * rows + 20.0,
            (0.0, total * 1.02),
            (0.0, rows),
        )
        .left_margin(170.0);
        plot.axes("days", "", false);
        let mut start = 0.0;
        for (i, st) in steps.iter().enumerate() {
            let y = rows - i as f64 - 1.0;
            let (w, x) = (get(st, "wait"), get(st, "work"));
            plot.category(y + 0.5, &st.replace('_', " "));
            plot.rect(
                (start, start + w),
                (y + 0.15, y + 0.85),
                "wait",
                &format!("{st}: waiting {} d", show(w)),
            );
            plot.rect(
                (start + w, start + w + x),
                (y + 0.15, y + 0.85),
                "work",
                &format!("{st}: working {} d", show(x)),
            );
            start += w + x;
        }
        let waited: f64 = steps.iter().map(|st| get(st, "wait")).sum();
        plot.category(0.5, "all steps");
        plot.rect((0.0, waited), (0.15, 0.85), "wait", "waiting");
        plot.rect((waited, total), (0.15, 0.85), "work", "working");
        plot.text(total, 0.5, &format!("{} d", show(total)), true);
        let _ = write!(
            h,
            "<figure>{}<figcaption>{}: {} d waiting, {} d working</figcaption></figure>",
            plot.finish(&format!("time by step of {name}")),
            esc(name),
            show(waited),
            show(total - waited)
        );
    }
}

/// Per resource, its nominal capacity split into the products' working time,
/// changeover, idle and closed time, with the utilisation's CI.
pub(super) fn utilisation(h: &mut String, s: &Value) {
    let resources: Vec<&str> = s["brief"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .collect();
    if resources.is_empty() {
        return;
    }
    let products: Vec<&str> = s["brief"]["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    h.push_str(r#"<h2 id="resources">Utilisation</h2><p class="note">Share of each resource's nominal capacity: working for each product, in changeover, idle, and closed (calendar or breakdown). The whisker is the utilisation's 95 % CI.</p>"#);
    let rows = resources.len() as f64;
    let mut plot = Plot::new(720.0, 50.0 + 24.0 * rows, (0.0, 1.0), (0.0, rows)).left_margin(130.0);
    plot.axes("share of nominal capacity", "", false);
    for (i, r) in resources.iter().enumerate() {
        let base = format!("resources.{}", slug(r));
        let mean = |m: &str| est(s, &format!("{base}.{m}")).map_or(0.0, |e| e.mean);
        let y = rows - i as f64 - 1.0;
        let band = (y + 0.15, y + 0.85);
        plot.category(y + 0.5, r);
        let mut x = 0.0;
        for (pi, p) in products.iter().enumerate() {
            let share = mean(&format!("utilisation.by_product.{}", slug(p)));
            plot.rect(
                (x, x + share),
                band,
                &colour(pi),
                &format!("{r}: {p} {:.1} %", share * 100.0),
            );
            x += share;
        }
        let used = mean("utilisation");
        let changeover = (used - mean("utilisation_working")).max(0.0);
        plot.rect(
            (x, x + changeover),
            band,
            "changeover",
            &format!("{r}: changeover {:.1} %", changeover * 100.0),
        );
        let of_available = mean("utilisation_available");
        let open = if of_available > 0.0 {
            (used / of_available).min(1.0)
        } else {
            1.0
        };
        plot.rect(
            (1.0 - (1.0 - open), 1.0),
            band,
            "closed",
            &format!("{r}: closed {:.1} %", (1.0 - open) * 100.0),
        );
        if let Some(e) = est(s, &format!("{base}.utilisation")) {
            plot.whisker(e.lo, e.hi, y + 0.5);
        }
    }
    let mut items: Vec<(String, String)> = products
        .iter()
        .enumerate()
        .map(|(i, p)| (colour(i), p.to_string()))
        .collect();
    items.push(("changeover".into(), "changeover".into()));
    items.push(("closed".into(), "closed".into()));
    let _ = write!(h, "<figure>{}", plot.finish("utilisation per resource"));
    legend(h, &items);
    h.push_str("</figure><table><tr><th>resource</th><th>utilisation</th><th>of available</th><th>mean queue</th><th>wait per grant (d)</th></tr>");
    for r in &resources {
        let base = format!("resources.{}", slug(r));
        let _ = write!(h, "<tr><td>{}</td>", esc(r));
        for m in [
            "utilisation",
            "utilisation_available",
            "queue.mean",
            "wait.mean",
        ] {
            h.push_str(&cell(s, &format!("{base}.{m}")));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}

/// A period of a series: its start (days), mean, and band.
type Period = (f64, f64, f64, f64);

/// One small chart per series metric (`timeseries.csv`): the mean per period with its
/// 95 % band, grouped by what they are of.
pub(super) fn series(h: &mut String, csv: &str) {
    // metric -> (unit, [(period start, mean, lo, hi)])
    let mut order: Vec<String> = Vec::new();
    let mut data: std::collections::HashMap<String, (String, Vec<Period>)> = Default::default();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let Ok(headers) = reader.headers().cloned() else {
        return;
    };
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(t), Some(m), Some(mean), Some(lo), Some(hi), Some(unit)) = (
        col("period_start"),
        col("metric"),
        col("mean"),
        col("ci_low"),
        col("ci_high"),
        col("unit"),
    ) else {
        return;
    };
    for rec in reader.records().flatten() {
        let num = |i: usize| {
            rec.get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        let name = rec.get(m).unwrap_or("").to_string();
        let entry = data.entry(name.clone()).or_insert_with(|| {
            order.push(name);
            (rec.get(unit).unwrap_or("").to_string(), Vec::new())
        });
        entry.1.push((num(t), num(mean), num(lo), num(hi)));
    }
    if order.is_empty() {
        return;
    }
    h.push_str(r#"<h2 id="series">Over time</h2><p class="note">Per period from the start of the run (warm-up included): the mean over replications and its 95 % band.</p>"#);
    let group = |n: &str| n.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    let mut i = 0;
    while i < order.len() {
        let g = group(&order[i]);
        let _ = write!(
            h,
            "<details{}><summary>{}</summary>",
            if i == 0 { " open" } else { "" },
            esc(&g)
        );
        while i < order.len() && group(&order[i]) == g {
            let name = &order[i];
            let (unit, pts) = &data[name];
            let x1 = pts.iter().map(|p| p.0).fold(0.0, f64::max);
            let y0 = pts
                .iter()
                .map(|p| p.2.min(p.1))
                .filter(|v| v.is_finite())
                .fold(0.0, f64::min);
            let y1 = pts
                .iter()
                .map(|p| p.3.max(p.1))
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max);
            let mut plot = Plot::new(
                360.0,
                170.0,
                (0.0, x1.max(1.0)),
                (y0, if y1 > y0 { y1 * 1.05 } else { y0 + 1.0 }),
            );
            plot.axes("day", unit, true);
            let band: Vec<(f64, f64, f64)> = pts.iter().map(|p| (p.0, p.2, p.3)).collect();
            plot.band(&band, "band");
            let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
            plot.line(&line, "mean", name);
            let _ = write!(
                h,
                r#"<figure style="display:inline-block;margin:.2em">{}<figcaption>{}</figcaption></figure>"#,
                plot.finish(name),
                esc(name[g.len().min(name.len())..].trim_start_matches('.'))
            );
            i += 1;
        }
        h.push_str("</details>");
    }
}

/// The first resource of a trace's `resources` ("suite;operatorx2"), without its units.
fn first_resource(resources: &str) -> &str {
    let first = resources.split(';').next().unwrap_or("");
    match first.rsplit_once('x') {
        Some((name, units)) if !units.is_empty() && units.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => first,
    }
}

/// A Gantt chart of a trace: per entity, each step from its start to its resources'
/// grant (waiting) and on to its end (working, coloured by the first resource held).
pub(super) fn gantt(h: &mut String, csv: &str) {
    struct Bar {
        entity: u64,
        product: String,
        step: String,
        resources: String,
        started: f64,
        granted: f64,
        end: f64,
    }
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let Ok(headers) = reader.headers().cloned() else {
        return;
    };
    let col = |n: &str| headers.iter().position(|h| h == n);
    let cols = [
        "time_days",
        "event",
        "entity",
        "product",
        "step",
        "resources",
        "started_days",
        "granted_days",
    ]
    .map(col);
    if cols.iter().any(Option::is_none) {
        return;
    }
    let c = cols.map(|c| c.unwrap_or(0));
    let mut bars = Vec::new();
    for rec in reader.records().flatten() {
        let get = |i: usize| rec.get(c[i]).unwrap_or("");
        if !matches!(get(1), "step" | "assay") {
            continue;
        }
        let num = |i: usize| get(i).parse::<f64>().ok();
        let (Some(end), Ok(entity), Some(started), Some(granted)) =
            (num(0), get(2).parse::<u64>(), num(6), num(7))
        else {
            continue;
        };
        bars.push(Bar {
            entity,
            product: get(3).to_string(),
            step: get(4).to_string(),
            resources: get(5).to_string(),
            started,
            granted,
            end,
        });
    }
    h.push_str(r#"<h2 id="gantt">Gantt chart</h2>"#);
    if bars.is_empty() {
        h.push_str(r#"<p class="note">The trace has no step of an entity.</p>"#);
        return;
    }
    let mut entities: Vec<(u64, String)> =
        bars.iter().map(|b| (b.entity, b.product.clone())).collect();
    entities.sort();
    entities.dedup();
    let mut resources: Vec<String> = bars
        .iter()
        .map(|b| first_resource(&b.resources).to_string())
        .collect();
    resources.sort();
    resources.dedup();
    let x0 = bars.iter().map(|b| b.started).fold(f64::INFINITY, f64::min);
    let x1 = bars.iter().map(|b| b.end).fold(0.0, f64::max);
    let rows = entities.len() as f64;
    let mut plot = Plot::new(1000.0, 50.0 + 16.0 * rows, (x0, x1), (0.0, rows)).left_margin(150.0);
    plot.axes("day of the run", "", false);
    for (i, (e, product)) in entities.iter().enumerate() {
        let y = rows - i as f64 - 1.0;
        plot.category(y + 0.5, &format!("{product} #{e}"));
        for b in bars.iter().filter(|b| b.entity == *e) {
            let first = first_resource(&b.resources);
            let ci = resources.iter().position(|r| r == first).unwrap_or(0);
            let what = format!("#{e} {}: ", b.step);
            plot.rect(
                (b.started, b.granted),
                (y + 0.2, y + 0.8),
                "wait",
                &format!("{what}waiting {:.2} d", b.granted - b.started),
            );
            plot.rect(
                (b.granted, b.end),
                (y + 0.2, y + 0.8),
                &colour(ci),
                &format!(
                    "{what}{} from day {:.2} to {:.2}",
                    if b.resources.is_empty() {
                        "no resource"
                    } else {
                        &b.resources
                    },
                    b.granted,
                    b.end
                ),
            );
        }
    }
    let _ = write!(
        h,
        r#"<p class="note">One replication's first {} entities, from its trace: waiting (orange), then working, coloured by the first resource the step held. Hover a bar for its step.</p><figure>{}"#,
        entities.len(),
        plot.finish("Gantt chart of the trace")
    );
    let items: Vec<(String, String)> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                colour(i),
                if r.is_empty() {
                    "no resource".into()
                } else {
                    r.clone()
                },
            )
        })
        .collect();
    legend(h, &items);
    h.push_str("</figure>");
}
