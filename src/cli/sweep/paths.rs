//! Sweep axes and their paths: values set at a dotted path of the base scenario's TOML,
//! linked axes that scale or set several paths at once, and Latin hypercube columns.
//!
//! This module must not run anything: it only edits documents.

use super::{ScenarioError, shown};
use crate::cli::scenario::spanned::Spanned;
use serde::Deserialize;
use std::ops::Range;
use toml::Value;

/// A linked axis: the paths it scales or sets together.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LinkSpec {
    pub(super) scale: Option<Vec<Spanned<String>>>,
    pub(super) set: Option<Vec<Spanned<String>>>,
}

/// What an axis value does to one path of the base scenario.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Edit {
    /// The path takes the axis value.
    Set,
    /// The path takes its base value times the axis value (whole: rounded).
    Scale { base: f64, whole: bool },
}

/// The paths an axis moves, each with how.
pub(super) type Edits = Vec<(String, Edit)>;

/// The (path, value) pairs an axis's `edits` make of axis value `x`.
pub(super) fn applied(edits: &Edits, x: &Value) -> Vec<(String, Value)> {
    edits
        .iter()
        .map(|(path, edit)| {
            let v = match edit {
                Edit::Set => x.clone(),
                Edit::Scale { base, whole } => {
                    let scaled = base * as_number(x).unwrap_or(f64::NAN);
                    match whole {
                        true => Value::Integer(scaled.round() as i64),
                        false => Value::Float(scaled),
                    }
                }
            };
            (path.clone(), v)
        })
        .collect()
}

/// The edits of a `[linked]` entry: its `scale` paths with their base values, or its
/// `set` paths.
pub(super) fn linked_edits(
    link: &Spanned<LinkSpec>,
    base: &toml::Table,
    err: &impl Fn(Range<usize>, String) -> ScenarioError,
) -> Result<Edits, ScenarioError> {
    let l = link.get_ref();
    let (paths, scale) = match (&l.scale, &l.set) {
        (Some(p), None) => (p, true),
        (None, Some(p)) => (p, false),
        _ => {
            return Err(err(
                link.span(),
                "a linked axis gives either `scale = [paths]` (each path's base value times the axis value) or `set = [paths]` (each path takes the axis value)".into(),
            ));
        }
    };
    if paths.is_empty() {
        return Err(err(
            link.span(),
            "a linked axis needs at least one path".into(),
        ));
    }
    let mut out = Vec::new();
    for p in paths {
        let path = p.get_ref();
        if out.iter().any(|(q, _)| q == path) {
            return Err(err(p.span(), format!("`{}` is listed twice", shown(path))));
        }
        let edit = match scale {
            false => Edit::Set,
            true => {
                let mut doc = base.clone();
                let value = path_mut(&mut doc, path).map_err(|m| err(p.span(), m))?;
                let whole = value.is_integer();
                match as_number(value) {
                    Some(base) => Edit::Scale { base, whole },
                    None => {
                        return Err(err(
                            p.span(),
                            format!(
                                "`{}` is `{}` in the base scenario, not a number, so it cannot be scaled; use `set`",
                                shown(path),
                                shown(&value.to_string())
                            ),
                        ));
                    }
                }
            }
        };
        out.push((path.clone(), edit));
    }
    Ok(out)
}

pub(super) fn as_number(v: &Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}
/// One axis of a Latin hypercube: `n` values, one in each of `n` equal strata of
/// [lo, hi], in a random order, each at a random point of its stratum (rounded for whole
/// numbers). Drawn from the sweep's seed and the axis path, so the design is reproducible.
pub(super) fn lhs_column(
    n: usize,
    lo: f64,
    hi: f64,
    whole: bool,
    seed: u64,
    path: &str,
) -> Vec<Value> {
    use crate::engine::dist::unit;
    let mut rng = crate::engine::Streams::new(seed, u64::MAX)
        .stream(crate::engine::source_id(&format!("lhs.{path}")));
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (unit(&mut rng) * (i + 1) as f64) as usize;
        order.swap(i, j.min(i));
    }
    order
        .into_iter()
        .map(|stratum| {
            let x = lo + (hi - lo) * (stratum as f64 + unit(&mut rng)) / n as f64;
            if whole {
                Value::Integer(x.round() as i64)
            } else {
                Value::Float(x)
            }
        })
        .collect()
}

/// Sets the value at a dotted `path` of a scenario document (tables by key, lists by
/// their elements' `name`, a hazard by its `cause`; see the docs of `sweep`).
pub fn set_path(doc: &mut toml::Table, path: &str, value: Value) -> Result<(), String> {
    *path_mut(doc, path)? = value;
    Ok(())
}

/// The value at a dotted `path` of a scenario document, which must exist.
fn path_mut<'a>(doc: &'a mut toml::Table, path: &str) -> Result<&'a mut Value, String> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut table = doc;
    let mut i = 0;
    while i + 1 < parts.len() {
        let key = parts[i];
        let here = parts[..=i].join(".");
        table = match table.get_mut(key) {
            Some(Value::Table(t)) => t,
            Some(Value::Array(items)) => {
                let Some(name) = parts.get(i + 1) else {
                    return Err(format!("`{here}` is a list: name an element of it"));
                };
                i += 1;
                let found = items.iter_mut().find_map(|item| match item {
                    // Elements are named by `name` (a hazard by its `cause`).
                    Value::Table(t)
                        if t.get("name")
                            .or_else(|| t.get("cause"))
                            .and_then(Value::as_str)
                            == Some(*name) =>
                    {
                        Some(t)
                    }
                    _ => None,
                });
                match found {
                    Some(t) => t,
                    None => {
                        return Err(format!(
                            "`{here}` has no element named `{name}` in the base scenario"
                        ));
                    }
                }
            }
            Some(_) => {
                return Err(format!(
                    "`{here}` is a value, not a table: the path goes too deep"
                ));
            }
            None => {
                return Err(format!(
                    "the path `{path}` names nothing in the base scenario: there is no `{here}`"
                ));
            }
        };
        i += 1;
    }
    let Some(last) = parts.get(i) else {
        return Err(format!(
            "the path `{path}` ends at a list element; name a key inside it"
        ));
    };
    match table.get_mut(*last) {
        Some(slot) => Ok(slot),
        None => Err(format!(
            "the path `{path}` names nothing in the base scenario: there is no `{last}` there; a sweep changes what the base states, so write `{last}` in the base (at its default if you like) and sweep it"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_walk_tables_and_named_list_elements() {
        let mut doc: toml::Table = toml::from_str(
            "[resources]\nsuite = { capacity = 2 }\n[[products]]\nname = \"a\"\narrivals = { rate = 1.0 }\n[[products.steps]]\nname = \"m\"\nduration = \"1d\"\n",
        )
        .unwrap();
        set_path(&mut doc, "resources.suite.capacity", Value::Integer(5)).unwrap();
        set_path(&mut doc, "products.a.arrivals.rate", Value::Float(2.0)).unwrap();
        set_path(
            &mut doc,
            "products.a.steps.m.duration",
            Value::String("2d".into()),
        )
        .unwrap();
        assert_eq!(doc["resources"]["suite"]["capacity"].as_integer(), Some(5));
        assert_eq!(
            doc["products"][0]["steps"][0]["duration"].as_str(),
            Some("2d")
        );
        assert!(
            set_path(&mut doc, "resources.suit.capacity", Value::Integer(1))
                .unwrap_err()
                .contains("there is no `resources.suit`")
        );
        assert!(
            set_path(&mut doc, "products.b.arrivals.rate", Value::Integer(1))
                .unwrap_err()
                .contains("no element named `b`")
        );
        assert!(
            set_path(&mut doc, "resources.suite.colour", Value::Integer(1))
                .unwrap_err()
                .contains("no `colour`")
        );
    }

    #[test]
    fn latin_hypercube_columns_use_every_stratum_once() {
        let col = lhs_column(20, 10.0, 30.0, false, 1, "a.b");
        let mut strata: Vec<usize> = col
            .iter()
            .map(|v| ((v.as_float().unwrap() - 10.0) / 1.0) as usize)
            .collect();
        strata.sort();
        assert_eq!(strata, (0..20).collect::<Vec<_>>());
        assert_eq!(
            col,
            lhs_column(20, 10.0, 30.0, false, 1, "a.b"),
            "reproducible"
        );
        assert_ne!(
            col,
            lhs_column(20, 10.0, 30.0, false, 2, "a.b"),
            "depends on the seed"
        );
        assert!(
            lhs_column(5, 4.0, 12.0, true, 1, "c")
                .iter()
                .all(|v| v.is_integer())
        );
    }
}
