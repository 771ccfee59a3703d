//! Milestones: named intervals between edges (a step's start or end) of a product's
//! chain. Each entity keeps, per milestone, the first time it reached the `from` edge and
//! the last time it reached the `to` edge; an entity finishing the chain in the window
//! records the interval, and whether it met the deadline.
//!
//! A chain without milestones costs one empty-slice check per step start and end.
//!
//! This module must not parse files or print.

use super::{Chain, Facility};
use crate::engine::{Duration, Tally, Time};
use crate::model::spec::Milestone;

/// Per product: which marks each edge sets, and the milestones' statistics.
pub(super) struct MilestonesRt {
    /// Marks set at each edge of the main chain: `edges[2 * step + end]` lists mark
    /// indices (`2 * milestone` for its start, `2 * milestone + 1` for its end).
    edges: Vec<Vec<u16>>,
    deadline: Vec<Option<Duration>>,
    /// Per milestone: its times in days, and how many met the deadline.
    pub(super) tally: Vec<Tally>,
    pub(super) on_time: Vec<u64>,
}

impl MilestonesRt {
    pub(super) fn new(milestones: &[Milestone], steps: usize) -> MilestonesRt {
        let mut edges = vec![Vec::new(); 2 * steps];
        for (m, ms) in milestones.iter().enumerate() {
            edges[2 * ms.from.step + usize::from(ms.from.end)].push(2 * m as u16);
            edges[2 * ms.to.step + usize::from(ms.to.end)].push(2 * m as u16 + 1);
        }
        MilestonesRt {
            edges,
            deadline: milestones.iter().map(|m| m.deadline).collect(),
            tally: milestones.iter().map(|_| Tally::new()).collect(),
            on_time: vec![0; milestones.len()],
        }
    }

    pub(super) fn reset(&mut self) {
        self.tally.iter_mut().for_each(Tally::reset);
        self.on_time.fill(0);
    }
}

impl Facility<'_> {
    /// Entity `c` reaches the start (`end` false) or the end of step `step` now.
    #[inline(always)]
    pub(super) fn mark(&mut self, c: u32, step: usize, end: bool, now: Time) {
        if self.max_marks == 0 {
            return;
        }
        let e = &self.entities[c as usize];
        if e.chain != Chain::Main {
            return;
        }
        let rt = &self.products[e.product as usize].milestones;
        let Some(marks) = rt.edges.get(2 * step + usize::from(end)) else {
            return;
        };
        let base = c as usize * self.max_marks;
        for &m in marks {
            let slot = &mut self.marks[base + m as usize];
            // Starts keep the first time, ends the last.
            if m % 2 == 1 || *slot == Time::NEVER {
                *slot = now;
            }
        }
    }

    /// Entity `c` finished its main chain in the window: record its milestones.
    pub(super) fn record_milestones(&mut self, c: u32) {
        let e = &self.entities[c as usize];
        let base = c as usize * self.max_marks;
        let rt = &mut self.products[e.product as usize].milestones;
        for m in 0..rt.tally.len() {
            let (from, to) = (self.marks[base + 2 * m], self.marks[base + 2 * m + 1]);
            if from == Time::NEVER || to == Time::NEVER || to < from {
                continue;
            }
            let d = to.since(from);
            let on_time = rt.deadline[m].is_some_and(|limit| d <= limit);
            rt.tally[m].record(d.as_days());
            rt.on_time[m] += u64::from(on_time);
            if let Some(site) = self.net.as_mut().and_then(|n| n.site_of_mut(c)) {
                site.milestones[m].record(d.as_days());
                site.milestones_on_time[m] += u64::from(on_time);
            }
        }
    }
}
