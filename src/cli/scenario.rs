//! Scenario files: reading TOML into a checked [`Spec`], with errors that name the file,
//! the line and the column, say what is wrong and how to fix it.
//!
//! `format` is the syntax (serde types), `units` the values with units, `compile` the
//! meaning (references, ranges, capacities). Nothing here runs a simulation.
mod compile;
mod costs;
pub use compile::period;
mod demand;
pub mod format;
mod network;
mod outcomes;
mod resources;
pub mod schema;
mod slots;
pub mod spanned;
pub mod units;

use crate::model::Spec;
use std::fmt;
use std::ops::Range;
use std::path::Path;

/// A scenario ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The compiled model.
    pub spec: Spec,
    /// Replications asked for in the file.
    pub replications: u64,
    /// Seed given in the file.
    pub seed: u64,
    /// The other files the scenario read (arrival logs), each as its path and the SHA-256
    /// of its contents: what a result depends on besides the scenario's own text.
    pub inputs: Vec<(String, String)>,
}

/// A mistake in a scenario, located in its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file, as the user named it.
    pub path: String,
    /// 1-based line (0 when the problem is not in the text, e.g. an unreadable file).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong and how to fix it.
    pub message: String,
    /// The offending line of the file, for display.
    pub excerpt: String,
}

impl ScenarioError {
    /// An error at byte range `span` of `src`.
    pub fn at(
        path: &str,
        src: &str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> ScenarioError {
        let start = span.start.min(src.len());
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let column = src[line_start..start].chars().count() + 1;
        ScenarioError {
            path: path.to_string(),
            line: src[..start].matches('\n').count() + 1,
            column,
            message: message.into(),
            excerpt: excerpt(src[line_start..line_end].trim_end_matches('\r'), column),
        }
    }

    /// An error about the file as a whole.
    pub fn file(path: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            path: path.to_string(),
            line: 0,
            column: 0,
            message: message.into(),
            excerpt: String::new(),
        }
    }
}

/// Longest excerpt of a line shown under a message.
const EXCERPT: usize = 100;

/// The line to show under a message: whole if short, else cut to `EXCERPT` characters
/// from the start of the line (so the caret still points at `column`), or around
/// `column` with `...` where text is left out, so that a huge value is never echoed.
fn excerpt(line: &str, column: usize) -> String {
    let n = line.chars().count();
    if n <= EXCERPT {
        return line.to_string();
    }
    let end = (column + EXCERPT / 2).max(EXCERPT).min(n);
    let start = end.saturating_sub(EXCERPT).min(column.saturating_sub(1));
    let kept: String = line.chars().skip(start).take(end - start).collect();
    let head = if start > 0 { "..." } else { "" };
    // Keep the caret's column right: the text before `start` is replaced by spaces.
    format!(
        "{}{head}{kept}...",
        " ".repeat(start.saturating_sub(head.len()))
    )
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.path, self.message);
        }
        writeln!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.column, self.message
        )?;
        let n = self.line.to_string();
        let pad = " ".repeat(n.len());
        writeln!(f, "{pad} |")?;
        writeln!(f, "{n} | {}", self.excerpt)?;
        write!(f, "{pad} | {}^", " ".repeat(self.column.saturating_sub(1)))
    }
}

impl std::error::Error for ScenarioError {}

/// Parses and checks scenario text; `path` is only used in messages.
pub fn parse(path: &str, src: &str) -> Result<Scenario, ScenarioError> {
    let file: format::ScenarioFile = toml::from_str(src).map_err(|e| toml_error(path, src, &e))?;
    let cx = compile::Ctx {
        path,
        src,
        inputs: Default::default(),
    };
    compile::compile(file, &cx)
}

/// Reads, parses and checks a scenario file.
pub fn load(path: &Path) -> Result<(Scenario, String), ScenarioError> {
    let shown = path.display().to_string();
    let src = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::file(&shown, format!("cannot read the scenario: {e}")))?;
    tracing::info!("read {shown} ({} bytes)", src.len());
    let sc = parse(&shown, &src)?;
    for (file, sha) in &sc.inputs {
        tracing::info!("read arrival log {file} (SHA-256 {sha})");
    }
    tracing::debug!(
        "{shown}: {} products, {} resources, {} sites",
        sc.spec.products.len(),
        sc.spec.resources.len(),
        sc.spec.network.sites.len()
    );
    Ok((sc, src))
}

/// A TOML error located in `src`, in the scenario's terms.
pub(crate) fn toml_error(path: &str, src: &str, e: &toml::de::Error) -> ScenarioError {
    let span = e.span().unwrap_or(0..0);
    let mut message = toml_message(e.message());
    if e.message().trim().starts_with("duplicate key") {
        // Name the key: the text at the error's place, up to `=` or the line's end.
        let key: String = src[span.start.min(src.len())..]
            .chars()
            .take_while(|&c| c != '=' && c != '\n')
            .collect();
        message = format!(
            "`{}` is given twice in this table; keep one",
            units::shown(key.trim())
        );
    }
    ScenarioError::at(path, src, span, message)
}

/// toml's messages, in the scenario's terms and with a fix where it is not obvious.
pub(crate) fn toml_message(m: &str) -> String {
    let m = m.trim();
    if let Some(rest) = m.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        let wanted = match expected {
            "i64" | "u64" | "u32" | "i32" => "a whole number",
            "f64" => "a number",
            "a boolean" => "true or false",
            other => other,
        };
        return format!("expected {wanted}, found {}", units::shown(found));
    }
    if m.starts_with("duplicate key") {
        return "this key is given twice in its table; keep one".into();
    }
    if m.starts_with("unknown field") {
        format!("{m}; check the spelling, or remove the key")
    } else if m.starts_with("missing field") {
        format!("{m}; add it to this table")
    } else if m.starts_with("unknown variant") {
        format!("{m} (the distribution families)")
    } else {
        m.to_string()
    }
}
