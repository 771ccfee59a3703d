//! The report of `cgtsim size`: every candidate tried, in order, with each target's
//! estimate, its 95 % CI and the target line (and the cost to minimise, if any), then
//! the table of candidates and the answer.
//!
//! This module only builds a string.

use super::html::{STYLE, show};
use super::svg::{Plot, esc};
use std::fmt::Write as _;

/// A target: its metric, whether the metric must stay at most (else at least) `value`.
pub struct SizeTarget {
    pub metric: String,
    pub at_most: bool,
    pub value: f64,
}

/// One candidate tried.
pub struct SizeCandidate {
    /// Its capacities, e.g. "4 / open".
    pub label: String,
    /// Per target: mean and 95 % CI.
    pub estimates: Vec<(f64, f64, f64)>,
    pub met: bool,
    /// "met", "missed", "undecided (counted as missed)" or why it could not run.
    pub verdict: String,
    /// The objective's mean and CI, with --minimise.
    pub objective: Option<(f64, f64, f64)>,
}

/// What `size` found.
pub struct SizeReport {
    pub scenario: String,
    /// The dimensions sized, e.g. "suite / operator".
    pub dims: String,
    pub targets: Vec<SizeTarget>,
    pub objective: Option<String>,
    pub candidates: Vec<SizeCandidate>,
    pub answer: Option<String>,
    pub seed: u64,
}

/// The page.
pub fn size_page(r: &SizeReport) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cgtsim size</title><style>{STYLE}</style></head><body><h1>cgtsim size: {}</h1>",
        esc(&r.scenario)
    );
    let _ = write!(
        h,
        "<table class=\"brief\"><tr><th>Sized</th><td>{}</td></tr><tr><th>Targets</th><td>{}</td></tr>{}<tr><th>Seed</th><td>{} (common random numbers across candidates)</td></tr><tr><th>Answer</th><td id=\"answer\">{}</td></tr></table>",
        esc(&r.dims),
        r.targets
            .iter()
            .map(|t| esc(&format!(
                "{} {} {}",
                t.metric,
                if t.at_most { "<=" } else { ">=" },
                t.value
            )))
            .collect::<Vec<_>>()
            .join("; "),
        r.objective.as_ref().map_or(String::new(), |o| format!(
            "<tr><th>Minimised</th><td>{}</td></tr>",
            esc(o)
        )),
        r.seed,
        esc(r
            .answer
            .as_deref()
            .unwrap_or("none: no candidate met every target"))
    );
    h.push_str(r#"<h2 id="candidates">Candidates</h2><p class="note">In the order the search tried them: each target's estimate with its 95 % CI (green: the candidate met every target), and the target (dashed).</p>"#);
    let n = r.candidates.len();
    let labelled = n <= 24;
    for (i, t) in r.targets.iter().enumerate() {
        let ests = r.candidates.iter().map(|c| c.estimates.get(i).copied());
        let values: Vec<f64> = ests
            .flatten()
            .flat_map(|(m, lo, hi)| [m, lo, hi])
            .chain([t.value])
            .filter(|v| v.is_finite())
            .collect();
        let (y0, y1) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        let pad = if y1 > y0 { (y1 - y0) * 0.08 } else { 0.5 };
        let mut plot = Plot::new(760.0, 260.0, (0.5, n as f64 + 0.5), (y0 - pad, y1 + pad));
        if labelled {
            plot = plot.categorical_x();
        }
        plot.axes("candidate, in the order tried", "", true);
        plot.hline(
            t.value,
            "deadline",
            &format!(
                "target {} {}",
                if t.at_most { "<=" } else { ">=" },
                show(t.value)
            ),
        );
        for (k, c) in r.candidates.iter().enumerate() {
            let x = k as f64 + 1.0;
            if labelled {
                plot.x_category(x, &c.label);
            }
            if let Some(&(m, lo, hi)) = c.estimates.get(i) {
                plot.vbar(x, lo, hi);
                plot.dot(
                    x,
                    m,
                    if c.met { "s2" } else { "s4" },
                    &format!(
                        "{}: {} [{}, {}], {}",
                        c.label,
                        show(m),
                        show(lo),
                        show(hi),
                        c.verdict
                    ),
                );
            }
        }
        let _ = write!(
            h,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            plot.finish(&t.metric),
            esc(&t.metric)
        );
    }
    if let Some(o) = &r.objective {
        let pts: Vec<(f64, (f64, f64, f64))> = r
            .candidates
            .iter()
            .enumerate()
            .filter_map(|(k, c)| Some((k as f64 + 1.0, c.objective?)))
            .collect();
        let (y0, y1) = pts
            .iter()
            .flat_map(|(_, (m, lo, hi))| [*m, *lo, *hi])
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let pad = if y1 > y0 { (y1 - y0) * 0.08 } else { 0.5 };
        let mut plot = Plot::new(760.0, 240.0, (0.5, n as f64 + 0.5), (y0 - pad, y1 + pad));
        plot.axes("candidate, in the order tried", "", true);
        for (x, (m, lo, hi)) in &pts {
            let c = &r.candidates[*x as usize - 1];
            plot.vbar(*x, *lo, *hi);
            plot.dot(
                *x,
                *m,
                if c.met { "s2" } else { "s4" },
                &format!("{}: {}", c.label, show(*m)),
            );
        }
        let _ = write!(
            h,
            "<figure>{}<figcaption>{} (to minimise)</figcaption></figure>",
            plot.finish(o),
            esc(o)
        );
    }
    let _ = write!(h, "<table><tr><th>#</th><th>{}</th>", esc(&r.dims));
    for t in &r.targets {
        let _ = write!(h, "<th>{}</th>", esc(&t.metric));
    }
    if let Some(o) = &r.objective {
        let _ = write!(h, "<th>{}</th>", esc(o));
    }
    h.push_str("<th>verdict</th></tr>");
    for (k, c) in r.candidates.iter().enumerate() {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", k + 1, esc(&c.label));
        for (m, lo, hi) in &c.estimates {
            let _ = write!(
                h,
                "<td data-value=\"{m}\">{} <span class=\"ci\">[{}, {}]</span></td>",
                show(*m),
                show(*lo),
                show(*hi)
            );
        }
        if r.objective.is_some() {
            let _ = write!(
                h,
                "<td>{}</td>",
                c.objective.map_or("-".into(), |o| show(o.0))
            );
        }
        let _ = write!(h, "<td>{}</td></tr>", esc(&c.verdict));
    }
    h.push_str("</table></body></html>\n");
    h
}
