//! Scenario files: reading TOML into a checked [`Spec`], with errors that name the file,
//! the line and the column, say what is wrong and how to fix it.
//!
//! `format` is the syntax (serde types), `units` the values with units, `compile` the
//! meaning (references, ranges, capacities). Nothing here runs a simulation.
mod compile;
pub mod format;
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
        ScenarioError {
            path: path.to_string(),
            line: src[..start].matches('\n').count() + 1,
            column: src[line_start..start].chars().count() + 1,
            message: message.into(),
            excerpt: src[line_start..line_end].trim_end_matches('\r').to_string(),
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
    let file: format::ScenarioFile = toml::from_str(src).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        ScenarioError::at(path, src, span, toml_message(e.message()))
    })?;
    compile::compile(file, &compile::Ctx { path, src })
}

/// Reads, parses and checks a scenario file.
pub fn load(path: &Path) -> Result<(Scenario, String), ScenarioError> {
    let shown = path.display().to_string();
    let src = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::file(&shown, format!("cannot read the scenario: {e}")))?;
    Ok((parse(&shown, &src)?, src))
}

/// toml's messages, with a hint where the fix is not obvious.
pub(crate) fn toml_message(m: &str) -> String {
    let m = m.trim();
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
