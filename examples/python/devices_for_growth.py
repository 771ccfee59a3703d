"""How many closed devices does CCRM Nordic need as CAR-T demand grows?

A planner's question, end to end from Python: the hub (scenarios/ccrm-nordic.toml) is
planned with 8 devices. For today's demand and for 2, 4 and 6 times today's (both
tenants' arrival rates scaled together), which device count keeps the 90th percentile
of vein-to-vein time of both products within 40 days, with 95 % confidence (the upper
end of the confidence interval)? One sweep of 20 variants with common random numbers,
then pandas. Run from the repository (after `pip install .`):

    python examples/python/devices_for_growth.py [replications]

Takes about 1 s on 2 cores with the default 20 replications. Measured 2026-11-24: 3
devices today, 4 at twice today's demand, 8 at four times, more than 8 at six times.
"""

import sys

import cgtsim

REPLICATIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
TARGET_DAYS = 40.0

hub = cgtsim.load("scenarios/ccrm-nordic.toml")
results = cgtsim.sweep(
    hub,
    grid={"resources.device.capacity": [2, 3, 4, 6, 8], "demand": [1.0, 2.0, 4.0, 6.0]},
    linked={
        "demand": {
            "scale": [
                "products.car-t-fresh.arrivals.rate",
                "products.car-t-cryo.arrivals.rate",
            ]
        }
    },
    replications=REPLICATIONS,
    seed=2027,
)

p90 = results[results["metric"].str.fullmatch(r"products\..*\.v2v\.p90")]
worst = (
    p90.groupby(["demand", "resources.device.capacity"])
    .agg(p90_days=("mean", "max"), ci95_high=("ci95_high", "max"))
    .reset_index()
)
print(f"Worse product's 90th percentile of vein-to-vein (days), {REPLICATIONS} replications:")
print(worst.pivot(index="resources.device.capacity", columns="demand", values="p90_days").round(1))
print()
for demand, rows in worst.groupby("demand"):
    # Decided on the upper end of the confidence interval: met with 95 % confidence.
    ok = rows[rows["ci95_high"] <= TARGET_DAYS]
    answer = (
        f"{int(ok['resources.device.capacity'].min())} devices"
        if len(ok)
        else f"more than {int(rows['resources.device.capacity'].max())} devices"
    )
    print(f"demand x{demand:g}: {answer} keep p90 within {TARGET_DAYS:g} days")
