//! What happens to a product's patients beyond its steps, from the file format to the
//! model: milestones (named intervals between step edges, with deadlines) and hazards
//! (competing risks over phases of the chain).

use super::ScenarioError;
use super::compile::Ctx;
use super::format;
use super::spanned::Spanned;
use super::units::shown;
use crate::engine::Duration;
use crate::model::{Edge, Hazard, Milestone};

type R<T> = Result<T, ScenarioError>;

/// The step named `name` of a chain of `steps`, located in the file if unknown.
pub(super) fn step_index(cx: &Ctx, name: &Spanned<String>, steps: &[&str]) -> R<usize> {
    steps.iter().position(|s| s == name.get_ref()).map_or_else(
        || {
            let list = steps
                .iter()
                .map(|s| format!("`{}`", shown(s)))
                .collect::<Vec<_>>()
                .join(", ");
            cx.err(
                name,
                format!(
                    "unknown step `{}`; the product's steps are {list}",
                    shown(name.get_ref())
                ),
            )
        },
        Ok,
    )
}

fn edge(
    cx: &Ctx,
    step: &Spanned<String>,
    at: Option<&Spanned<String>>,
    default_end: bool,
    steps: &[&str],
) -> R<Edge> {
    let end = match at.map(|a| a.get_ref().as_str()) {
        None => default_end,
        Some("start") => false,
        Some("end") => true,
        Some(other) => {
            return cx.err(
                at.expect("matched Some"),
                format!("must be \"start\" or \"end\", not \"{}\"", shown(other)),
            );
        }
    };
    Ok(Edge {
        step: step_index(cx, step, steps)?,
        end,
    })
}

/// A product's hazards; `steps` are its step names in order.
pub(super) fn hazards(
    cx: &Ctx,
    list: &[Spanned<format::HazardSpec>],
    steps: &[&str],
) -> R<Vec<Hazard>> {
    let mut out = Vec::new();
    for h in list {
        let f = h.get_ref();
        let from = f
            .from
            .as_ref()
            .map_or(Ok(0), |s| step_index(cx, s, steps))?;
        let to =
            f.to.as_ref()
                .map_or(Ok(steps.len().saturating_sub(1)), |s| {
                    step_index(cx, s, steps)
                })?;
        if to < from {
            return cx.err(
                f.to.as_ref().unwrap_or(&f.cause),
                format!(
                    "the hazard's phase ends before it starts: `{}` comes before `{}` in the chain; swap them",
                    steps[to], steps[from]
                ),
            );
        }
        out.push(Hazard {
            cause: f.cause.get_ref().clone(),
            time: cx.duration_dist(&f.time)?,
            from,
            to,
        });
    }
    Ok(out)
}

/// A product's milestones; `steps` are its step names in order.
pub(super) fn milestones(
    cx: &Ctx,
    list: &[Spanned<format::MilestoneSpec>],
    steps: &[&str],
) -> R<Vec<Milestone>> {
    let mut out = Vec::new();
    for m in list {
        let f = m.get_ref();
        let from = edge(cx, &f.from, f.from_at.as_ref(), false, steps)?;
        let to = edge(cx, &f.to, f.to_at.as_ref(), true, steps)?;
        if (to.step, to.end) <= (from.step, from.end) {
            return cx.err(
                &f.to,
                format!(
                    "the milestone must end after it starts: `{}` comes before `{}` in the chain; swap them",
                    shown(f.to.get_ref()),
                    shown(f.from.get_ref())
                ),
            );
        }
        out.push(Milestone {
            name: f.name.get_ref().clone(),
            from,
            to,
            deadline: f
                .deadline
                .as_ref()
                .map(|d| Duration::from_days_f64(d.get_ref().0)),
        });
    }
    Ok(out)
}
