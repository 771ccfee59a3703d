//! A sweep's report: its headline metrics against each axis (every variant's mean with
//! its CI, and the average over the other axes as a line; with one axis, a line with a
//! CI band), a heat map per metric when the sweep has two axes, and a table of the
//! variants. Built from the sweep's `sweep.json` and `results.csv` only.
//!
//! This module only builds a string.

use super::html::{STYLE, show};
use super::svg::{Plot, esc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Most metrics the figures show (the rest are in `results.csv`).
const MAX_METRICS: usize = 24;
/// Most dots (a variant in a figure) a page draws: past it, figures show each axis
/// value's average and the range of the variants' means only, which keeps the page small
/// whatever the number of variants.
const MAX_DOTS: usize = 20_000;
/// Most variants the table lists.
const MAX_ROWS: usize = 200;

/// The metrics a planner looks at first, by the end of their names: their rank (the
/// order of the figures), if headline.
fn headline(name: &str) -> Option<usize> {
    if name.contains(".sites.") || name.contains(".plants.") {
        return None;
    }
    if name.starts_with("resources.") && name.ends_with(".utilisation") {
        return Some(9);
    }
    [
        ".v2v.p50",
        ".v2v.p90",
        ".order_to_infusion.p90",
        ".completed_per_year",
        ".lost",
        ".orders.fill_rate",
        ".on_time",
        "costs.per_infused",
        "costs.total",
    ]
    .iter()
    .position(|end| name.ends_with(end))
}

/// One row of `results.csv`.
struct Row {
    variant: usize,
    mean: f64,
    lo: f64,
    hi: f64,
}

/// The sweep's page, or why it cannot be made.
pub fn sweep_page(manifest: &Value, results_csv: impl std::io::Read) -> Result<String, String> {
    let axes: Vec<String> = manifest["axes"]
        .as_array()
        .ok_or("sweep.json has no `axes`")?
        .iter()
        .filter_map(|a| a.as_str().map(String::from))
        .collect();
    let mut reader = csv::Reader::from_reader(results_csv);
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let col = |n: &str| {
        headers
            .iter()
            .position(|h| h == n)
            .ok_or(format!("results.csv has no `{n}` column"))
    };
    let (cv, cm, cu, cmean, clo, chi) = (
        col("variant")?,
        col("metric")?,
        col("unit")?,
        col("mean")?,
        col("ci95_low")?,
        col("ci95_high")?,
    );
    let caxes: Vec<usize> = axes.iter().map(|a| col(a)).collect::<Result<_, _>>()?;
    // Per variant its axis values; per metric its unit and rows.
    let mut values: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut metrics: BTreeMap<String, (String, Vec<Row>)> = BTreeMap::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let num = |i: usize| {
            rec.get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        let variant: usize = rec
            .get(cv)
            .unwrap_or("")
            .parse()
            .map_err(|_| "a variant that is not a number")?;
        values.entry(variant).or_insert_with(|| {
            caxes
                .iter()
                .map(|&c| rec.get(c).unwrap_or("").to_string())
                .collect()
        });
        let metric = rec.get(cm).unwrap_or("");
        if headline(metric).is_none() {
            continue;
        }
        let m = metrics
            .entry(metric.to_string())
            .or_insert_with(|| (rec.get(cu).unwrap_or("").to_string(), Vec::new()));
        m.1.push(Row {
            variant,
            mean: num(cmean),
            lo: num(clo),
            hi: num(chi),
        });
    }
    let mut h = String::with_capacity(256 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>cgtsim sweep</title><style>{STYLE}</style></head><body><h1>cgtsim sweep report</h1>"
    );
    let _ = write!(
        h,
        "<table class=\"brief\"><tr><th>Variants</th><td>{} ({} in the results)</td></tr><tr><th>Replications</th><td>{} per variant, seed {} (common random numbers)</td></tr><tr><th>Axes</th><td>{}</td></tr><tr><th>Sweep</th><td><span class=\"ci\">SHA-256 {}</span></td></tr></table>",
        manifest["variants"],
        values.len(),
        manifest["replications"],
        manifest["seed"],
        axes.iter().map(|a| esc(a)).collect::<Vec<_>>().join(", "),
        esc(manifest["sweep_sha256"].as_str().unwrap_or(""))
    );
    let mut shown: Vec<(&String, &(String, Vec<Row>))> = metrics.iter().collect();
    shown.sort_by_key(|(n, _)| (headline(n), n.as_str()));
    shown.truncate(MAX_METRICS);
    let dots = values.len() * shown.len() * axes.len() <= MAX_DOTS;
    let _ = write!(
        h,
        r#"<h2 id="axes">Metrics against each axis</h2><p class="note">{} headline metrics of {} (vein-to-vein percentiles, throughput, losses, on-time shares, costs, utilisation); every metric is in <code>results.csv</code>. {}</p>"#,
        shown.len(),
        metrics.len(),
        if axes.len() == 1 {
            "The line is the mean, the band its 95 % CI."
        } else if dots {
            "Each dot is a variant's mean with its 95 % CI; the line joins the averages over the other axes."
        } else {
            "The line joins the averages over the other axes; the band spans the variants' means (too many variants to draw each)."
        }
    );
    for (name, (unit, rows)) in &shown {
        let _ = write!(h, "<h3>{}</h3>", esc(name));
        for (a, axis) in axes.iter().enumerate() {
            h.push_str(&against_axis(
                axis,
                a,
                unit,
                rows,
                &values,
                axes.len() == 1,
                dots,
            ));
        }
    }
    if axes.len() == 2 {
        h.push_str(
            r#"<h2 id="heat">Heat maps</h2><p class="note">Each cell: the variant's mean.</p>"#,
        );
        for (name, (unit, rows)) in &shown {
            h.push_str(&heat_map(name, unit, &axes, rows, &values));
        }
    }
    variants_table(&mut h, &axes, &shown, &values);
    h.push_str("</body></html>\n");
    Ok(h)
}

/// The distinct values of axis `a` in order (numbers by value, else first seen), and
/// whether they are all numbers.
fn levels(a: usize, values: &BTreeMap<usize, Vec<String>>) -> (Vec<String>, bool) {
    let mut out: Vec<String> = Vec::new();
    for v in values.values() {
        if !out.contains(&v[a]) {
            out.push(v[a].clone());
        }
    }
    let numeric = out.iter().all(|v| v.parse::<f64>().is_ok());
    if numeric {
        out.sort_by(|x, y| {
            x.parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&y.parse::<f64>().unwrap_or(0.0))
        });
    }
    (out, numeric)
}

fn against_axis(
    axis: &str,
    a: usize,
    unit: &str,
    rows: &[Row],
    values: &BTreeMap<usize, Vec<String>>,
    only: bool,
    dots: bool,
) -> String {
    let (lv, numeric) = levels(a, values);
    let x_of = |v: &str| -> f64 {
        if numeric {
            v.parse().unwrap_or(f64::NAN)
        } else {
            lv.iter()
                .position(|l| l == v)
                .map_or(f64::NAN, |i| i as f64)
        }
    };
    let finite = |x: &f64| x.is_finite();
    let xs: Vec<f64> = lv.iter().map(|v| x_of(v)).collect();
    let (x0, x1) = (
        xs.iter()
            .copied()
            .filter(finite)
            .fold(f64::INFINITY, f64::min),
        xs.iter()
            .copied()
            .filter(finite)
            .fold(f64::NEG_INFINITY, f64::max),
    );
    let pad = if x1 > x0 { (x1 - x0) * 0.05 } else { 0.5 };
    let ys = rows
        .iter()
        .flat_map(|r| [r.lo, r.hi, r.mean])
        .filter(finite);
    let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    let ypad = if y1 > y0 { (y1 - y0) * 0.05 } else { 0.5 };
    let mut plot = Plot::new(360.0, 190.0, (x0 - pad, x1 + pad), (y0 - ypad, y1 + ypad));
    if !numeric {
        plot = plot.categorical_x();
    }
    plot.axes(axis, unit, true);
    if !numeric {
        for (l, x) in lv.iter().zip(&xs) {
            plot.x_category(*x, l);
        }
    }
    // Per level: the average of the variants' means, and their range.
    let mut line = Vec::new();
    let mut band = Vec::new();
    for (l, &x) in lv.iter().zip(&xs) {
        let at: Vec<&Row> = rows
            .iter()
            .filter(|r| values.get(&r.variant).is_some_and(|v| &v[a] == l))
            .collect();
        if at.is_empty() {
            continue;
        }
        let mean = at.iter().map(|r| r.mean).sum::<f64>() / at.len() as f64;
        line.push((x, mean));
        band.push(if only {
            (x, at[0].lo, at[0].hi)
        } else {
            (
                x,
                at.iter().map(|r| r.mean).fold(f64::INFINITY, f64::min),
                at.iter().map(|r| r.mean).fold(f64::NEG_INFINITY, f64::max),
            )
        });
    }
    if only || !dots {
        plot.band(&band, "band");
    }
    if !only && dots {
        for r in rows {
            let Some(v) = values.get(&r.variant) else {
                continue;
            };
            let x = x_of(&v[a]);
            plot.vbar(x, r.lo, r.hi);
            plot.dot(
                x,
                r.mean,
                "s1",
                &format!(
                    "variant {}: {} [{}, {}]",
                    r.variant,
                    show(r.mean),
                    show(r.lo),
                    show(r.hi)
                ),
            );
        }
    }
    plot.line(&line, "mean", axis);
    format!(
        r#"<figure style="display:inline-block;margin:.2em">{}</figure>"#,
        plot.finish(&format!("against {axis}"))
    )
}

fn heat_map(
    name: &str,
    unit: &str,
    axes: &[String],
    rows: &[Row],
    values: &BTreeMap<usize, Vec<String>>,
) -> String {
    let (xs, _) = levels(0, values);
    let (ys, _) = levels(1, values);
    let (lo, hi) = rows
        .iter()
        .map(|r| r.mean)
        .filter(|m| m.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), m| {
            (a.min(m), b.max(m))
        });
    let mut plot = Plot::new(
        60.0 + 70.0 * xs.len() as f64 + 20.0,
        50.0 + 26.0 * ys.len() as f64,
        (0.0, xs.len() as f64),
        (0.0, ys.len() as f64),
    )
    .left_margin(60.0);
    plot.axes(&axes[0], "", false);
    for (j, y) in ys.iter().enumerate() {
        plot.category(j as f64 + 0.5, y);
    }
    for (i, x) in xs.iter().enumerate() {
        plot.text(i as f64 + 0.5, -0.35, x, false);
        for (j, y) in ys.iter().enumerate() {
            let Some(r) = rows.iter().find(|r| {
                values
                    .get(&r.variant)
                    .is_some_and(|v| &v[0] == x && &v[1] == y)
            }) else {
                continue;
            };
            let t = if hi > lo {
                (r.mean - lo) / (hi - lo)
            } else {
                0.5
            };
            plot.rect_styled(
                (i as f64, i as f64 + 1.0),
                (j as f64, j as f64 + 1.0),
                &format!(
                    "fill:rgb({},{},{})",
                    (250.0 - 180.0 * t) as u8,
                    (250.0 - 130.0 * t) as u8,
                    (255.0 - 60.0 * t) as u8
                ),
                &format!("{x}, {y}: {}", show(r.mean)),
            );
            plot.text(i as f64 + 0.5, j as f64 + 0.5, &show(r.mean), false);
        }
    }
    format!(
        r#"<figure style="display:inline-block;margin:.2em">{}<figcaption>{} ({}) by {} (across) and {} (down)</figcaption></figure>"#,
        plot.finish(name),
        esc(name),
        esc(unit),
        esc(&axes[0]),
        esc(&axes[1])
    )
}

fn variants_table(
    h: &mut String,
    axes: &[String],
    shown: &[(&String, &(String, Vec<Row>))],
    values: &BTreeMap<usize, Vec<String>>,
) {
    let _ = write!(
        h,
        r#"<h2 id="variants">Variants</h2><p class="note">The first {} variants: axis values and headline means.</p><table><tr><th>variant</th>"#,
        values.len().min(MAX_ROWS)
    );
    for a in axes {
        let _ = write!(h, "<th>{}</th>", esc(a));
    }
    for (m, _) in shown {
        let _ = write!(h, "<th>{}</th>", esc(m));
    }
    h.push_str("</tr>");
    for (v, vals) in values.iter().take(MAX_ROWS) {
        let _ = write!(h, "<tr><td>{v}</td>");
        for x in vals {
            let _ = write!(h, "<td>{}</td>", esc(x));
        }
        for (_, (_, rows)) in shown {
            match rows.iter().find(|r| r.variant == *v) {
                Some(r) => {
                    let _ = write!(
                        h,
                        "<td data-variant=\"{v}\" data-value=\"{}\">{}</td>",
                        r.mean,
                        show(r.mean)
                    );
                }
                None => h.push_str("<td>-</td>"),
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}
