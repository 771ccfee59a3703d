//! Small inline SVG charts for the HTML report: a plot frame with round-numbered axes,
//! lines, confidence bands, rectangles, marker lines and text. Colours come from CSS
//! classes the page defines, so a chart is only geometry.
//!
//! This module only builds strings: it reads no files and knows no metric.

use std::fmt::Write as _;

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// About `n` round tick values within `[lo, hi]` (at most 1.5 n: steps of 1, 2 or 5
/// times a power of ten).
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| (hi - lo) / s <= n.max(1) as f64 * 1.5)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick's label: no more digits than the step needs.
fn tick_label(x: f64) -> String {
    let short = |v: f64, suffix: &str| {
        let s = format!("{v:.2}");
        format!("{}{suffix}", s.trim_end_matches('0').trim_end_matches('.'))
    };
    if x.abs() >= 1e9 {
        short(x / 1e9, "G")
    } else if x.abs() >= 1e6 {
        short(x / 1e6, "M")
    } else if x.abs() >= 1e4 {
        short(x / 1e3, "k")
    } else if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A plot: data ranges mapped into a `width` x `height` drawing with margins for the
/// axes. Everything drawn is clipped to nothing: callers keep data within the ranges.
pub struct Plot {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x: (f64, f64),
    y: (f64, f64),
    /// Numbers on the x axis (false: the caller labels categories).
    x_ticks: bool,
    body: String,
}

impl Plot {
    /// A plot of `x` and `y` ranges (each widened if empty).
    pub fn new(width: f64, height: f64, x: (f64, f64), y: (f64, f64)) -> Plot {
        let widen = |(a, b): (f64, f64)| {
            let (a, b) = if a.is_finite() && b.is_finite() {
                (a, b)
            } else {
                (0.0, 1.0)
            };
            if b > a { (a, b) } else { (a - 0.5, a + 0.5) }
        };
        Plot {
            width,
            height,
            left: 58.0,
            right: 12.0,
            top: 10.0,
            bottom: 38.0,
            x: widen(x),
            y: widen(y),
            x_ticks: true,
            body: String::new(),
        }
    }

    /// No numbers on the x axis: its values are categories, labelled with
    /// [`Plot::x_category`].
    pub fn categorical_x(mut self) -> Plot {
        self.x_ticks = false;
        self
    }

    /// A category's name under the x axis at `x`.
    pub fn x_category(&mut self, x: f64, text: &str) {
        let _ = write!(
            self.body,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            self.sx(x),
            self.sy(self.y.0) + 14.0,
            esc(text)
        );
    }

    /// Leaves `px` on the left for long category labels.
    pub fn left_margin(mut self, px: f64) -> Plot {
        self.left = px;
        self
    }

    pub fn sx(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * (self.width - self.left - self.right)
    }

    pub fn sy(&self, y: f64) -> f64 {
        self.height
            - self.bottom
            - (y - self.y.0) / (self.y.1 - self.y.0) * (self.height - self.top - self.bottom)
    }

    /// Axes with ticks and labels: `x_label` under the plot, `y_label` along it. With
    /// `y_ticks` false the y axis has no numbers (categories label it instead).
    pub fn axes(&mut self, x_label: &str, y_label: &str, y_ticks: bool) {
        let (x0, x1) = (self.sx(self.x.0), self.sx(self.x.1));
        let (y0, y1) = (self.sy(self.y.0), self.sy(self.y.1));
        let _ = write!(
            self.body,
            r#"<path class="axis" d="M{x0:.1},{y1:.1}V{y0:.1}H{x1:.1}"/>"#
        );
        for t in ticks(self.x.0, self.x.1, 6)
            .into_iter()
            .filter(|_| self.x_ticks)
        {
            let x = self.sx(t);
            let _ = write!(
                self.body,
                r#"<path class="grid" d="M{x:.1},{y0:.1}V{y1:.1}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                y0 + 14.0,
                tick_label(t)
            );
        }
        if y_ticks {
            for t in ticks(self.y.0, self.y.1, 5) {
                let y = self.sy(t);
                let _ = write!(
                    self.body,
                    r#"<path class="grid" d="M{x0:.1},{y:.1}H{x1:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                    x0 - 4.0,
                    y + 4.0,
                    tick_label(t)
                );
            }
        }
        let _ = write!(
            self.body,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            (x0 + x1) / 2.0,
            self.height - 6.0,
            esc(x_label)
        );
        if !y_label.is_empty() {
            let _ = write!(
                self.body,
                r#"<text class="label" transform="translate(12,{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
                (y0 + y1) / 2.0,
                esc(y_label)
            );
        }
    }

    /// A polyline through `points` (data coordinates), skipping non-finite ones.
    pub fn line(&mut self, points: &[(f64, f64)], class: &str, title: &str) {
        let d = self.path(points.iter().copied());
        if !d.is_empty() {
            let _ = write!(
                self.body,
                r#"<path class="{class}" fill="none" d="{d}"><title>{}</title></path>"#,
                esc(title)
            );
        }
    }

    /// A step function (an ECDF): horizontal to each point's x, then vertical.
    pub fn steps(&mut self, points: &[(f64, f64)], class: &str, title: &str) {
        let mut stepped = Vec::with_capacity(points.len() * 2);
        for (i, &(x, y)) in points.iter().enumerate() {
            if i > 0 {
                stepped.push((x, points[i - 1].1));
            }
            stepped.push((x, y));
        }
        self.line(&stepped, class, title);
    }

    /// A band between `lo` and `hi` over x: `(x, lo, hi)` per point.
    pub fn band(&mut self, points: &[(f64, f64, f64)], class: &str) {
        let upper = points.iter().map(|&(x, _, hi)| (x, hi));
        let lower = points.iter().rev().map(|&(x, lo, _)| (x, lo));
        let d = self.path(upper.chain(lower));
        if !d.is_empty() {
            let _ = write!(self.body, r#"<path class="{class}" d="{d}Z"/>"#);
        }
    }

    /// A rectangle over `[x0, x1] x [y0, y1]` in data coordinates, with a tooltip.
    pub fn rect(&mut self, x: (f64, f64), y: (f64, f64), class: &str, title: &str) {
        let (a, b) = (self.sx(x.0), self.sx(x.1));
        let (c, d) = (self.sy(y.1), self.sy(y.0));
        if !(a.is_finite() && b.is_finite() && c.is_finite() && d.is_finite()) {
            return;
        }
        let _ = write!(
            self.body,
            r#"<rect class="{class}" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"><title>{}</title></rect>"#,
            a.min(b),
            c.min(d),
            (b - a).abs().max(0.5),
            (d - c).abs(),
            esc(title)
        );
    }

    /// A whisker (a confidence interval) from `lo` to `hi` at height `y`.
    pub fn whisker(&mut self, lo: f64, hi: f64, y: f64) {
        let (a, b, y) = (self.sx(lo), self.sx(hi), self.sy(y));
        if a.is_finite() && b.is_finite() {
            let _ = write!(
                self.body,
                r#"<path class="ci" d="M{a:.1},{:.1}V{:.1}M{a:.1},{y:.1}H{b:.1}M{b:.1},{:.1}V{:.1}"/>"#,
                y - 4.0,
                y + 4.0,
                y - 4.0,
                y + 4.0
            );
        }
    }

    /// A rectangle like [`Plot::rect`], filled by an inline `style` (a heat map's cell).
    pub fn rect_styled(&mut self, x: (f64, f64), y: (f64, f64), style: &str, title: &str) {
        let (a, b) = (self.sx(x.0), self.sx(x.1));
        let (c, d) = (self.sy(y.1), self.sy(y.0));
        let _ = write!(
            self.body,
            r#"<rect style="{style}" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"><title>{}</title></rect>"#,
            a.min(b),
            c.min(d),
            (b - a).abs(),
            (d - c).abs(),
            esc(title)
        );
    }

    /// A dot at `(x, y)` with a tooltip.
    pub fn dot(&mut self, x: f64, y: f64, class: &str, title: &str) {
        let (px, py) = (self.sx(x), self.sy(y));
        if px.is_finite() && py.is_finite() {
            let _ = write!(
                self.body,
                r#"<circle class="{class}" cx="{px:.1}" cy="{py:.1}" r="2.5"><title>{}</title></circle>"#,
                esc(title)
            );
        }
    }

    /// A vertical whisker (a CI) at `x` from `lo` to `hi`.
    pub fn vbar(&mut self, x: f64, lo: f64, hi: f64) {
        let (px, a, b) = (self.sx(x), self.sy(lo), self.sy(hi));
        if px.is_finite() && a.is_finite() && b.is_finite() {
            let _ = write!(
                self.body,
                r#"<path class="ci" d="M{px:.1},{a:.1}V{b:.1}"/>"#
            );
        }
    }

    /// A horizontal marker at `y` with a label at its left end.
    pub fn hline(&mut self, y: f64, class: &str, label: &str) {
        let sy = self.sy(y);
        let (x0, x1) = (self.sx(self.x.0), self.sx(self.x.1));
        let _ = write!(
            self.body,
            r#"<path class="{class}" d="M{x0:.1},{sy:.1}H{x1:.1}"/><text class="mark" x="{:.1}" y="{:.1}">{}</text>"#,
            x0 + 4.0,
            sy - 4.0,
            esc(label)
        );
    }

    /// A vertical marker at `x` with a label at its top.
    pub fn vline(&mut self, x: f64, class: &str, label: &str) {
        let sx = self.sx(x);
        let (y0, y1) = (self.sy(self.y.0), self.sy(self.y.1));
        let _ = write!(
            self.body,
            r#"<path class="{class}" d="M{sx:.1},{y0:.1}V{y1:.1}"/><text class="mark" x="{:.1}" y="{:.1}">{}</text>"#,
            sx + 3.0,
            y1 + 12.0,
            esc(label)
        );
    }

    /// Text at data coordinates `(x, y)`, anchored at its end (`end`) or start.
    pub fn text(&mut self, x: f64, y: f64, text: &str, end: bool) {
        let _ = write!(
            self.body,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="{}">{}</text>"#,
            self.sx(x) + if end { -4.0 } else { 4.0 },
            self.sy(y) + 4.0,
            if end { "end" } else { "start" },
            esc(text)
        );
    }

    /// Text at the left margin, level with data height `y` (a category's name).
    pub fn category(&mut self, y: f64, text: &str) {
        let _ = write!(
            self.body,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            self.left - 6.0,
            self.sy(y) + 4.0,
            esc(text)
        );
    }

    /// The finished `<svg>`, described by `title` for screen readers.
    pub fn finish(self, title: &str) -> String {
        format!(
            r#"<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>{}</svg>"#,
            self.body,
            w = self.width,
            h = self.height,
            t = esc(title)
        )
    }

    fn path(&self, points: impl Iterator<Item = (f64, f64)>) -> String {
        let mut d = String::new();
        let mut pen_up = true;
        for (x, y) in points {
            let (px, py) = (self.sx(x), self.sy(y));
            if !(px.is_finite() && py.is_finite()) {
                pen_up = true;
                continue;
            }
            let _ = write!(d, "{}{px:.1},{py:.1}", if pen_up { 'M' } else { 'L' });
            pen_up = false;
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(ticks(3.0, 97.0, 4), vec![20.0, 40.0, 60.0, 80.0]);
        assert_eq!(ticks(5.0, 5.0, 4), vec![5.0]);
        assert_eq!(tick_label(0.6000000000000001), "0.6");
        assert_eq!(tick_label(40.0), "40");
        assert_eq!(tick_label(2_500_000.0), "2.5M");
        assert_eq!(tick_label(500_000.0), "500k");
    }

    #[test]
    fn a_plot_maps_its_ranges_onto_the_drawing() {
        let p = Plot::new(200.0, 100.0, (0.0, 10.0), (0.0, 1.0));
        assert_eq!(p.sx(0.0), 58.0);
        assert_eq!(p.sx(10.0), 188.0);
        assert_eq!(p.sy(0.0), 62.0);
        assert_eq!(p.sy(1.0), 10.0);
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
