//! Cost rates of a scenario: what a unit of a resource costs per hour held, per hour
//! available and per use; what a site costs per day; the materials of a patient or a
//! batch; a transport leg per lane and mode. A replication is priced from what happened
//! in its window (units held, available, grants, arrivals, batches, legs), so costing
//! adds nothing per event.
//!
//! This module must not parse text or know file formats.

/// What a cost is counted as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CostCategory {
    /// Rooms, suites, sites' fixed costs.
    Facility,
    /// Staff.
    Labour,
    /// Devices and other equipment.
    Equipment,
    /// Materials of patients and batches, single-use kits.
    Materials,
    /// Quality control.
    Qc,
    /// Transport legs.
    Transport,
}

impl CostCategory {
    /// Every category, in output order.
    pub const ALL: [CostCategory; 6] = [
        CostCategory::Facility,
        CostCategory::Labour,
        CostCategory::Equipment,
        CostCategory::Materials,
        CostCategory::Qc,
        CostCategory::Transport,
    ];

    /// The category's name in metrics.
    pub fn name(self) -> &'static str {
        match self {
            CostCategory::Facility => "facility",
            CostCategory::Labour => "labour",
            CostCategory::Equipment => "equipment",
            CostCategory::Materials => "materials",
            CostCategory::Qc => "qc",
            CostCategory::Transport => "transport",
        }
    }
}

/// The rates of one resource, per unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResourceCost {
    /// Per hour a unit is held (working or in changeover).
    pub per_hour_held: f64,
    /// Per hour a unit is available (staff paid for a shift, busy or not).
    pub per_hour_available: f64,
    /// Per grant (a kit, a single-use bag).
    pub per_use: f64,
    /// What these costs count as.
    pub category: CostCategory,
}

impl Default for ResourceCost {
    fn default() -> Self {
        ResourceCost {
            per_hour_held: 0.0,
            per_hour_available: 0.0,
            per_use: 0.0,
            category: CostCategory::Facility,
        }
    }
}

/// How the costs no product owns (changeover, staff paid while idle, uses, sites'
/// days, transport legs) are shared among products.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Allocation {
    /// In proportion to each product's units x hours held (changeover excluded).
    #[default]
    Held,
    /// In proportion to each product's grants of resources (its uses).
    Uses,
}

impl Allocation {
    /// The rule's name in scenario files and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Allocation::Held => "held",
            Allocation::Uses => "uses",
        }
    }
}

/// The cost of one run of a QC assay (every assay of that name in the product's
/// chains, at every site), counted as QC when the run reports.
#[derive(Clone, Debug, PartialEq)]
pub struct AssayCost {
    /// The product (by index).
    pub product: usize,
    /// The assay's name.
    pub assay: String,
    /// Per run (retests are runs too).
    pub per_run: f64,
}

/// The cost rates of a scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Costs {
    /// The currency every rate is in (a name: "SEK", "GBP").
    pub currency: String,
    /// Per resource (by index).
    pub resources: Vec<ResourceCost>,
    /// Per site of the network (by index): the fixed cost per day (capital charge plus
    /// operating cost).
    pub site_per_day: Vec<f64>,
    /// Per product: materials per patient (autologous, on arrival) or per batch started
    /// (allogeneic).
    pub materials: Vec<f64>,
    /// Per product: quality control per patient (on arrival) or per batch started, for
    /// a release priced as a whole (a published cost per therapy).
    pub qc: Vec<f64>,
    /// Per product: storing one dose for a day (allogeneic: the cryo store).
    pub stored_per_day: Vec<f64>,
    /// Per lane and mode: the cost of one leg.
    pub legs: Vec<Vec<f64>>,
    /// Per assay run.
    pub assays: Vec<AssayCost>,
    /// How shared costs are split among products.
    pub allocation: Allocation,
    /// The annual discount rate, in [0, 1): a cost in year `y` of the window (the first
    /// is year 0) counts `(1 + rate)^-y` of its amount (net present cost). 0: none.
    pub discount: f64,
}
