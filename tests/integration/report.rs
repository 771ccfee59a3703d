//! The HTML report as a person would meet it: every bundled scenario's report is one
//! offline file with every figure, whose numbers are `summary.json`'s; `cgtsim report
//! DIR` rebuilds the same page from the files; and headless Chromium opens it and takes
//! a screenshot (skipped, saying so, where Chromium is not installed).

use crate::support::{cgtsim, scratch};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Every scenario under `scenarios/` but the sweeps.
fn bundled() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() && p.file_name().unwrap() != "sweeps" {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        &mut out,
    );
    out.sort();
    out
}

/// Runs `scenario` with `--out dir --report dir/report.html`; returns the page and the
/// summary.
fn report_of(scenario: &Path, dir: &Path, extra: &[&str]) -> (String, Value) {
    let page = dir.join("report.html");
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "--report",
        page.to_str().unwrap(),
        "--replications",
        "8",
    ];
    args.extend(extra);
    let o = cgtsim(&args);
    assert!(
        o.status.success(),
        "{}: {}",
        scenario.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let summary =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    (std::fs::read_to_string(page).unwrap(), summary)
}

/// Every `data-metric` of the page with its field and value.
fn tagged(page: &str) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    for chunk in page.split("data-metric=\"").skip(1) {
        let name = chunk[..chunk.find('"').unwrap()].replace("&amp;", "&");
        let tag = &chunk[..chunk.find('>').unwrap()];
        let field = if tag.contains("data-field=\"pooled\"") {
            "pooled"
        } else {
            "mean"
        };
        let v = tag.split("data-value=\"").nth(1).unwrap();
        let v = &v[..v.find('"').unwrap()];
        out.push((name, field.to_string(), v.parse().unwrap_or(f64::NAN)));
    }
    out
}

#[test]
fn every_bundled_scenario_has_an_offline_report_whose_numbers_are_the_summarys() {
    let all = bundled();
    assert!(all.len() >= 15, "{} scenarios", all.len());
    for (i, scenario) in all.iter().enumerate() {
        let dir = scratch(&format!("report-{i}"));
        let (page, summary) = report_of(scenario, &dir, &[]);
        let name = scenario.display().to_string();
        assert_offline(&name, &page);
        assert_eq!(
            page.matches("<details").count(),
            page.matches("</details>").count()
        );
        for id in ["answers", "gantt", "metrics"] {
            assert!(page.contains(&format!("id=\"{id}\"")), "{name}: no {id}");
        }
        if !summary["brief"]["resources"].as_array().unwrap().is_empty() {
            assert!(page.contains("id=\"resources\""), "{name}: no utilisation");
        }
        let dists = summary["distributions"].as_object().unwrap();
        if dists.values().any(|d| d["n"].as_u64().unwrap() > 0) {
            assert!(page.contains("id=\"v2v\""), "{name}: no distributions");
        }
        // Every metric appears, and every number tagged is exactly the summary's.
        let metrics = summary["metrics"].as_object().unwrap();
        let tags = tagged(&page);
        for m in metrics.keys() {
            assert!(
                tags.iter().any(|(n, _, _)| n == m),
                "{name}: {m} not in the report"
            );
        }
        for (m, field, v) in &tags {
            let want = metrics[m][field].as_f64().unwrap_or(f64::NAN);
            assert!(
                v.to_bits() == want.to_bits() || (v.is_nan() && want.is_nan()),
                "{name}: {m} {field} is {v} in the report, {want} in summary.json"
            );
        }
        // The report of the directory is the same page.
        let again = dir.join("again.html");
        let o = cgtsim(&[
            "report",
            dir.to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ]);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            std::fs::read_to_string(&again).unwrap() == page,
            "{name}: report DIR differs"
        );
    }
}

#[test]
fn a_report_shows_the_series_and_the_gantt_chart_of_the_run() {
    let dir = scratch("report-series");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ccrm-nordic.toml");
    let (page, _) = report_of(&scenario, &dir, &["--timeseries", "month"]);
    assert!(page.contains("id=\"series\""));
    // One chart per series metric, each with its band.
    let csv = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    let mut metrics: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    metrics.sort();
    metrics.dedup();
    assert_eq!(page.matches("class=\"band\"").count(), metrics.len());
    // The Gantt chart: a bar of work per step row of the trace's first entities.
    let trace = dir.join("trace.csv");
    let o = cgtsim(&[
        "trace",
        scenario.to_str().unwrap(),
        "--out",
        trace.to_str().unwrap(),
        "--entities",
        "20",
    ]);
    assert!(o.status.success());
    let steps = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter(|l| matches!(l.split(',').nth(1), Some("step" | "assay")))
        .count();
    let gantt = &page[page.find("id=\"gantt\"").unwrap()..page.find("id=\"metrics\"").unwrap()];
    assert_eq!(gantt.matches("class=\"wait\"").count(), steps);
    assert!(gantt.contains(" #0</text>"), "{gantt:.300}");
}

#[test]
fn report_refuses_a_directory_without_a_summary() {
    let dir = scratch("report-empty");
    let o = cgtsim(&["report", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("summary.json"));
    std::fs::write(dir.join("summary.json"), "{\"a\": 1}").unwrap();
    let o = cgtsim(&["report", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not the summary of a run"));
    assert!(!dir.join("report.html").exists());
}

/// Chromium, if installed.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// Runs Chromium headless with `args`, killed after 120 s; returns what it printed
/// (into a file, so that a long page cannot fill a pipe nobody reads).
fn headless(browser: &str, args: &[&str], dir: &Path) -> String {
    let out = dir.join("chromium.out");
    let mut child = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args(args)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() > 120 {
            let _ = child.kill();
            panic!("{browser} did not finish in 120 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn headless_chromium_renders_the_report() {
    let Some(browser) = chromium() else {
        eprintln!(
            "skipped: no Chromium here (Debian: apt-get install chromium); the report was not opened in a browser"
        );
        return;
    };
    // README's main job, as README runs it (from the repository, all replications).
    let dir = scratch("report-chromium");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cgtsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "scenarios/ccrm-nordic.toml", "--report"])
        .arg(dir.join("report.html"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let url = format!("file://{}", dir.join("report.html").display());
    // The browser parses every figure the page has.
    let dom = headless(browser, &["--dump-dom", &url], &dir);
    assert_eq!(
        dom.matches("<svg").count(),
        page.matches("<svg").count(),
        "{dom:.500}"
    );
    assert!(dom.contains("vein-to-vein p90"));
    // A screenshot of the top of the page: the scenario and the answers.
    let png = dir.join("report.png");
    let shot = format!("--screenshot={}", png.display());
    headless(browser, &["--window-size=1100,1000", &shot, &url], &dir);
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot: {e}"));
    assert_eq!(&bytes[1..4], b"PNG");
    let dim = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((dim(16), dim(20)), (1100, 1000));
    // A blank page compresses to a few kilobytes; text and tables do not.
    assert!(bytes.len() > 30_000, "{} bytes: blank?", bytes.len());
    // README's picture is this screenshot: CGTSIM_SCREENSHOT=PATH keeps it there.
    if let Ok(keep) = std::env::var("CGTSIM_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}

/// Checks what every page must be: small, offline, its tags balanced.
fn assert_offline(name: &str, page: &str) {
    assert!(page.len() < 2 << 20, "{name}: {} bytes", page.len());
    for banned in [
        "http://", "https://", "src=", "url(", "@import", "<script", "<link", "<img",
    ] {
        assert!(!page.contains(banned), "{name}: `{banned}` in the page");
    }
    for (open, close) in [
        ("<svg", "</svg>"),
        ("<table", "</table>"),
        ("<figure", "</figure>"),
    ] {
        assert_eq!(
            page.matches(open).count(),
            page.matches(close).count(),
            "{name}: {open}"
        );
    }
}

#[test]
fn a_sweep_report_shows_each_headline_metric_against_each_axis() {
    let dir = scratch("report-sweep");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/validation/mm1.toml");
    let sweep = dir.join("s.toml");
    std::fs::write(
        &sweep,
        format!(
            "base = \"{}\"\nreplications = 4\n[grid]\n\"products.p.arrivals.rate\" = [0.5, 0.7, 0.8]\n\"resources.server.capacity\" = [1, 2]\n",
            base.display()
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let page = dir.join("sweep.html");
    let o = cgtsim(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--report",
        page.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_offline("sweep", &html);
    // Headline metrics of the results, each against both axes, and a heat map each.
    let results = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let mut headline: Vec<&str> = results
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .filter(|m| {
            m.ends_with(".v2v.p90")
                || m.ends_with(".utilisation")
                || m.ends_with(".completed_per_year")
        })
        .collect();
    headline.sort();
    headline.dedup();
    assert!(headline.len() >= 3, "{headline:?}");
    for m in &headline {
        assert!(html.contains(&format!("<h3>{m}</h3>")), "no figures of {m}");
        assert!(
            html.contains(&format!("aria-label=\"{m}\"")),
            "no heat map of {m}"
        );
    }
    let figures = html.matches("aria-label=\"against ").count();
    assert_eq!(figures % 2, 0);
    assert!(figures >= 2 * headline.len());
    // Every variant's mean in the table is results.csv's.
    for cell in html.split("data-variant=\"").skip(1) {
        let v: &str = &cell[..cell.find('"').unwrap()];
        let value: f64 = cell
            .split("data-value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            results.lines().any(|l| l.starts_with(&format!("{v},"))
                && l.split(',').nth(5).and_then(|x| x.parse::<f64>().ok()) == Some(value)),
            "variant {v}: {value} not in results.csv"
        );
    }
    // `cgtsim report DIR` gives the same page; a shard cannot report alone.
    let again = dir.join("again.html");
    let o = cgtsim(&[
        "report",
        out.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_to_string(&again).unwrap() == html);
    let o = cgtsim(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        dir.join("sharded").to_str().unwrap(),
        "--shard",
        "1/2",
        "--report",
        page.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cgtsim merge"));
}

#[test]
fn a_size_report_shows_every_candidate_against_the_target() {
    let dir = scratch("report-size");
    let page = dir.join("size.html");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference/cart.toml");
    let o = cgtsim(&[
        "size",
        scenario.to_str().unwrap(),
        "--resource",
        "suite",
        "--target",
        "resources.suite.utilisation <= 0.8",
        "--report",
        page.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed = String::from_utf8_lossy(&o.stdout);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_offline("size", &html);
    // The answer model B's analytic load gives (24.5 / 0.8 = 30.6: 31 suites), and a row
    // and a dot per candidate the command printed, each with its printed verdict.
    assert!(printed.contains("answer: suite = 31"), "{printed}");
    assert!(html.contains("<td id=\"answer\">suite = 31</td>"));
    let tried = printed
        .lines()
        .filter(|l| l.ends_with(" met") || l.ends_with(" missed"))
        .count();
    assert!(tried >= 4, "{printed}");
    assert_eq!(html.matches("<circle").count(), tried);
    assert_eq!(
        html.matches("<td>met</td>").count() + html.matches("<td>missed</td>").count(),
        tried
    );
    assert!(html.contains("target &lt;= 0.800"));
}
