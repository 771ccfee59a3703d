"""cgtsim as a model in SALib: which inputs drive tenant B's vein-to-vein time at CCRM Nordic?

A Morris screening (elementary effects) over four inputs of scenarios/ccrm-nordic.toml
at twice today's demand: closed devices, QC analysts, QPs and both tenants' demand.
Each SALib sample becomes a scenario by `with_values` (the paths sweeps use) and runs 10
replications with the same seed (common random numbers); the output is tenant B's mean
vein-to-vein time. mu* ranks the inputs by their effect, sigma says how much the effect
depends on the other inputs. Run from the repository (after `pip install . SALib`):

    python examples/python/salib_sensitivity.py [trajectories]

Takes about 2 s on 2 cores with the default 10 trajectories (50 runs). Measured
2026-11-24: demand (mu* 21.5 days) and devices (18.1) drive it; QC analysts (0.5) and
QPs (0.01) hardly matter in these ranges.
"""

import sys

import numpy as np
from SALib.analyze import morris as analyze
from SALib.sample import morris as sample

import cgtsim

TRAJECTORIES = int(sys.argv[1]) if len(sys.argv) > 1 else 10
METRIC = "products.car-t-cryo.v2v.mean"

hub = cgtsim.load("scenarios/ccrm-nordic.toml")
base = hub.to_dict()
rates = {p["name"]: p["arrivals"]["rate"] for p in base["products"]}

problem = {
    "num_vars": 4,
    "names": ["devices", "qc_analysts", "qps", "demand"],
    "bounds": [[2, 8], [1, 4], [1, 3], [1.5, 3.0]],
}


def model(x):
    """One SALib sample through cgtsim: the metric's mean over the replications."""
    devices, analysts, qps, demand = x
    scenario = hub.with_values(
        {
            "resources.device.capacity": int(round(devices)),
            "resources.qc_analyst.capacity": int(round(analysts)),
            "resources.qp.capacity": int(round(qps)),
            **{f"products.{p}.arrivals.rate": r * demand for p, r in rates.items()},
        }
    )
    summary = cgtsim.run(scenario, replications=10, seed=1).summary()
    return summary.set_index("metric").loc[METRIC, "mean"]


X = sample.sample(problem, TRAJECTORIES, num_levels=4, seed=1)
Y = np.array([model(x) for x in X])
result = analyze.analyze(problem, X, Y, num_levels=4, seed=1)
print(f"Morris screening of {METRIC} ({len(X)} runs of 10 replications):")
print(result.to_df().sort_values("mu_star", ascending=False).round(2))
