//! The HTML report: one self-contained page (inline CSS and SVG; no script, font, image
//! or request from elsewhere) built from what a run writes: `summary.json`, and when
//! there are, `timeseries.csv` and a trace's CSV. The answers come first (vein-to-vein
//! percentiles per product and site, on-time shares, losses, cost per therapy, the
//! bottleneck in words), then the figures (`charts`), then every metric.
//!
//! Nothing here names a metric it does not need for a figure: tables and figures walk
//! the metric names of `summary.json`, so a new metric shows up in the report without a
//! change here. Every figure a table shows carries its metric's name and exact value
//! (`data-metric`, `data-value`), so tests can check the page against `summary.json`.
//!
//! This module only builds a string.

use super::charts;
use super::svg::esc;
use crate::model::slug;
use serde_json::Value;
use std::fmt::Write as _;

/// What a report is built from: the contents of a run's files.
pub struct Sources<'a> {
    /// `summary.json`.
    pub summary: &'a Value,
    /// `timeseries.csv`, if the run recorded a series.
    pub series_csv: Option<&'a str>,
    /// A trace of one replication (`cgtsim trace`'s CSV), for the Gantt chart.
    pub trace_csv: Option<&'a str>,
    /// Extra sections (a sweep's or a sizing's figures), already HTML.
    pub extra: Vec<(String, String)>,
}

/// The estimate of one metric in `summary.json`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Est {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    pub pooled: Option<f64>,
}

/// The metric `name` of `summary.json`, if the run has it.
pub(super) fn est(summary: &Value, name: &str) -> Option<Est> {
    let m = summary["metrics"].get(name)?;
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    Some(Est {
        mean: num(&m["mean"]),
        lo: num(&m["ci95"][0]),
        hi: num(&m["ci95"][1]),
        pooled: m.get("pooled").and_then(Value::as_f64),
    })
}

/// A number as a table shows it (as the terminal table does).
pub(super) use super::fmt_num as show;

/// A table cell with a metric's mean and CI, tagged with its name and exact value.
pub(super) fn cell(summary: &Value, name: &str) -> String {
    match est(summary, name) {
        None => "<td>-</td>".into(),
        Some(e) => format!(
            r#"<td data-metric="{}" data-value="{}">{} <span class="ci">[{}, {}]</span></td>"#,
            esc(name),
            summary["metrics"][name]["mean"],
            show(e.mean),
            show(e.lo),
            show(e.hi)
        ),
    }
}

/// A cell with a percentile pooled over replications (the headline figure), tagged.
fn pooled_cell(summary: &Value, name: &str) -> String {
    match est(summary, name) {
        Some(Est {
            pooled: Some(p), ..
        }) => format!(
            r#"<td data-metric="{}" data-field="pooled" data-value="{}">{}</td>"#,
            esc(name),
            summary["metrics"][name]["pooled"],
            show(p)
        ),
        _ => cell(summary, name),
    }
}

/// The names of the metrics of `summary.json`, in its order.
pub(super) fn metric_names(summary: &Value) -> Vec<&str> {
    summary["metrics"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

pub(super) const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;max-width:1100px;padding:0 1.2em 3em;color:#1d2330;line-height:1.4}
h1{font-size:1.5em;margin:.8em 0 .2em}h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid #d5d9e0}h3{font-size:1em;margin:1em 0 .3em}
table{border-collapse:collapse;margin:.4em 0;font-size:.88em}td,th{padding:.15em .6em;border-bottom:1px solid #eceff3;text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f4f6f9}
.ci{color:#6b7385;font-size:.9em}.note{color:#4d5566;font-size:.9em}.warn{color:#a33}.answer{font-size:1.05em}
figure{margin:.6em 0}figcaption{font-size:.85em;color:#4d5566}.legend span{display:inline-block;margin-right:1em;font-size:.85em}.legend svg{vertical-align:-.1em}.brief td{text-align:left}
svg{max-width:100%;height:auto;font-size:11px}.axis{stroke:#555;fill:none}.grid{stroke:#e6e9ee}.tick{fill:#555}.label{fill:#333}.mark{fill:#a33;font-size:10px}
.deadline{stroke:#c33;stroke-dasharray:4 3}path.ci{stroke:#222}.band{fill:#4a78c2;opacity:.18}.mean{stroke:#2857a4;stroke-width:1.6}
.wait{fill:#f0b35a}.work{fill:#4a78c2}.changeover{fill:#a0a7b4}.idle{fill:#eef0f3}.closed{fill:#d8dbe1;fill-opacity:.7}
.s0{stroke:#2857a4;fill:#2857a4}.s1{stroke:#d1682c;fill:#d1682c}.s2{stroke:#3d9a50;fill:#3d9a50}.s3{stroke:#8c4fb0;fill:#8c4fb0}.s4{stroke:#b8443f;fill:#b8443f}.s5{stroke:#2b9aa3;fill:#2b9aa3}.s6{stroke:#9a7b22;fill:#9a7b22}.s7{stroke:#555;fill:#555}
rect.s0,rect.s1,rect.s2,rect.s3,rect.s4,rect.s5,rect.s6,rect.s7{stroke:none}
path.s0,path.s1,path.s2,path.s3,path.s4,path.s5,path.s6,path.s7{fill:none;stroke-width:1.6}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
"#;

/// The page.
pub fn page(src: &Sources) -> String {
    let s = src.summary;
    let path = s["scenario"]["path"].as_str().unwrap_or("?");
    let mut h = String::with_capacity(256 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>cgtsim: {}</title><style>{STYLE}</style></head><body>",
        esc(path)
    );
    let _ = write!(h, "<h1>cgtsim report: {}</h1>", esc(path));
    brief(&mut h, s);
    answers(&mut h, s);
    charts::distributions(&mut h, s);
    charts::decomposition(&mut h, s);
    charts::utilisation(&mut h, s);
    if let Some(csv) = src.series_csv {
        charts::series(&mut h, csv);
    }
    match src.trace_csv {
        Some(csv) => charts::gantt(&mut h, csv),
        None => h.push_str(
            r#"<h2 id="gantt">Gantt chart</h2><p class="note">No trace: the scenario this summary came from was not at hand (or has changed), so no replication could be traced. <code>cgtsim run SCENARIO --report FILE</code> draws it.</p>"#,
        ),
    }
    for (title, body) in &src.extra {
        let _ = write!(h, "<h2>{}</h2>{body}", esc(title));
    }
    all_metrics(&mut h, s);
    h.push_str("</body></html>\n");
    h
}

/// The scenario in brief and where the run came from.
fn brief(h: &mut String, s: &Value) {
    let b = &s["brief"];
    let list = |key: &str, f: &dyn Fn(&Value) -> String| {
        b[key]
            .as_array()
            .map(|a| a.iter().map(f).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    };
    let products = list("products", &|p| {
        let deadlines: Vec<String> = p["milestones"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                m["deadline_days"]
                    .as_f64()
                    .map(|d| format!("{} within {} d", m["name"].as_str().unwrap_or(""), show(d)))
            })
            .collect();
        format!(
            "{} ({}{})",
            esc(p["name"].as_str().unwrap_or("")),
            p["kind"].as_str().unwrap_or(""),
            if deadlines.is_empty() {
                String::new()
            } else {
                format!("; {}", esc(&deadlines.join(", ")))
            }
        )
    });
    let resources = list("resources", &|r| {
        format!(
            "{} &times; {}",
            esc(r["name"].as_str().unwrap_or("")),
            r["capacity"]
        )
    });
    let sites = list("sites", &|x| {
        format!(
            "{} ({})",
            esc(x["name"].as_str().unwrap_or("")),
            x["kind"].as_str().unwrap_or("")
        )
    });
    let row = |h: &mut String, k: &str, v: String| {
        let _ = write!(h, "<tr><th>{k}</th><td>{v}</td></tr>");
    };
    h.push_str(r#"<table class="brief">"#);
    row(h, "Products", products);
    row(h, "Resources", resources);
    if !sites.is_empty() {
        row(h, "Sites", sites);
    }
    row(
        h,
        "Run",
        format!(
            "{} replications, seed {}, warm-up {} d, horizon {} d; {} events in {:.2} s",
            s["replications"],
            s["seed"],
            show(s["warmup_days"].as_f64().unwrap_or(f64::NAN)),
            show(s["horizon_days"].as_f64().unwrap_or(f64::NAN)),
            s["events"],
            s["wall_time_s"].as_f64().unwrap_or(f64::NAN)
        ),
    );
    row(
        h,
        "Scenario",
        format!(
            "{} <span class=\"ci\">SHA-256 {}</span>",
            esc(s["scenario"]["path"].as_str().unwrap_or("")),
            esc(s["scenario"]["sha256"].as_str().unwrap_or(""))
        ),
    );
    row(h, "cgtsim", esc(s["cgtsim_version"].as_str().unwrap_or("")));
    h.push_str("</table>");
}

/// Per product: the figures a planner asks for first.
fn answers(h: &mut String, s: &Value) {
    h.push_str(r#"<h2 id="answers">Answers</h2><p class="note">Means over replications with 95 % confidence intervals; percentiles of all replications' patients pooled (the interval is that of per-replication percentiles).</p>"#);
    let names = metric_names(s);
    for p in s["brief"]["products"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or("");
        let base = format!("products.{}.", slug(name));
        let tail = if p["kind"] == "allogeneic" {
            "order_to_infusion"
        } else {
            "v2v"
        };
        let _ = write!(
            h,
            "<h3>{}</h3><table class=\"answer\"><tr><th></th><th>figure</th><th>per replication</th></tr>",
            esc(name)
        );
        for q in ["p50", "p90", "p95"] {
            let m = format!("{base}{tail}.{q}");
            if let Some(e) = est(s, &m) {
                let _ = write!(
                    h,
                    "<tr><td>{} {q} (d)</td>{}<td class=\"ci\">{} [{}, {}]</td></tr>",
                    tail.replace('_', " ").replace("v2v", "vein-to-vein"),
                    pooled_cell(s, &m),
                    show(e.mean),
                    show(e.lo),
                    show(e.hi)
                );
            }
        }
        // Shares on time, losses and costs: whatever the run measured of this product.
        let picked = names.iter().filter(|n| {
            n.strip_prefix(&base).is_some_and(|rest| {
                (rest.ends_with("on_time") && rest.starts_with("milestones."))
                    || [
                        "completed_per_year",
                        "lost",
                        "dropped_out",
                        "orders.fill_rate",
                        "orders.lost",
                    ]
                    .contains(&rest)
                    || rest.starts_with("hazards.")
            })
        });
        for m in picked {
            let _ = write!(
                h,
                "<tr><td>{}</td>{}<td></td></tr>",
                esc(&m[base.len()..].replace('_', " ")),
                cell(s, m)
            );
        }
        let cost = format!("costs.products.{}.per_infused", slug(name));
        if est(s, &cost).is_some() {
            let currency = s["metrics"][&cost]["unit"].as_str().unwrap_or("");
            let _ = write!(
                h,
                "<tr><td>cost per infused patient ({})</td>{}<td></td></tr>",
                esc(currency),
                cell(s, &cost)
            );
        }
        h.push_str("</table>");
        sites_table(h, s, &base, tail);
    }
    if est(s, "costs.total").is_some() {
        h.push_str(
            "<h3>Costs</h3><table><tr><th>item</th><th>mean [95 % CI]</th><th>unit</th></tr>",
        );
        for m in names.iter().filter(|n| n.starts_with("costs.")) {
            let unit = s["metrics"][*m]["unit"].as_str().unwrap_or("");
            let _ = write!(
                h,
                "<tr><td>{}</td>{}<td>{}</td></tr>",
                esc(&m["costs.".len()..].replace('_', " ")),
                cell(s, m),
                esc(unit)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h3>Bottleneck</h3><p>");
    let b = &s["bottleneck"];
    match b["resource"].as_str() {
        Some(r) => {
            let share = b["share"].as_f64().unwrap_or(f64::NAN);
            let closed = b["closed_share"].as_f64().unwrap_or(f64::NAN);
            let days = b["days_per_grant"].as_f64().unwrap_or(f64::NAN);
            let _ = write!(
                h,
                "<b>{}</b> held back {:.0} % of all the waiting charged to resources: {} d per grant on average, {:.0} % of it while its calendar was closed{}.",
                esc(r),
                share * 100.0,
                show(days),
                closed * 100.0,
                if closed > 0.5 {
                    " (longer opening hours would shorten it more than more units)"
                } else {
                    " (it was busy: more units or shorter work would shorten it)"
                }
            );
        }
        None => h.push_str("No resource held patients back for long (under an hour per grant)."),
    }
    h.push_str("</p>");
    for w in s["warnings"].as_array().into_iter().flatten() {
        let _ = write!(h, "<p class=\"warn\">{}</p>", esc(w.as_str().unwrap_or("")));
    }
}

/// A product's figures per collection site, when the scenario has a network.
fn sites_table(h: &mut String, s: &Value, base: &str, tail: &str) {
    let prefix = format!("{base}sites.");
    let names = metric_names(s);
    let mut sites: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix(&prefix))
        .filter_map(|rest| rest.split('.').next())
        .collect();
    sites.dedup();
    if sites.is_empty() {
        return;
    }
    let stats = [
        (format!("{tail}.p50"), "p50 (d)"),
        (format!("{tail}.p90"), "p90 (d)"),
        ("arrived".into(), "arrived"),
        ("completed".into(), "completed"),
        ("lost".into(), "lost"),
        ("spoiled".into(), "spoiled"),
    ];
    h.push_str("<table><tr><th>collected at</th>");
    for (_, label) in &stats {
        let _ = write!(h, "<th>{label}</th>");
    }
    h.push_str("</tr>");
    for site in sites {
        let _ = write!(h, "<tr><td>{}</td>", esc(site));
        for (stat, _) in &stats {
            h.push_str(&pooled_cell(s, &format!("{prefix}{site}.{stat}")));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}

/// Every metric of the run, grouped by its first two name parts.
fn all_metrics(h: &mut String, s: &Value) {
    h.push_str(r#"<h2 id="metrics">Every metric</h2><p class="note">As in <code>summary.json</code>: means over replications with 95 % confidence intervals.</p>"#);
    let names = metric_names(s);
    let group = |n: &str| n.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    let mut i = 0;
    while i < names.len() {
        let g = group(names[i]);
        let _ = write!(
            h,
            "<details><summary>{}</summary><table><tr><th>metric</th><th>mean [95 % CI]</th><th>unit</th><th>pooled</th></tr>",
            esc(&g)
        );
        while i < names.len() && group(names[i]) == g {
            let m = names[i];
            let v = &s["metrics"][m];
            let _ = write!(
                h,
                "<tr><td>{}</td>{}<td>{}</td><td>{}</td></tr>",
                esc(m),
                cell(s, m),
                esc(v["unit"].as_str().unwrap_or("")),
                v["pooled"].as_f64().map(show).unwrap_or_default()
            );
            i += 1;
        }
        h.push_str("</table></details>");
    }
}
