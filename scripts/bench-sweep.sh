#!/usr/bin/env bash
# End-to-end sweep benchmark (issue 5): 1,000 variants x 100 replications of reference
# model B (730-day horizon after a 365-day warm-up): 20 suite counts x 50 arrival rates.
# Prints cgtsim's own summary (events, wall time, events/s) and the peak memory.
#
#   scripts/bench-sweep.sh [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d /tmp/cgtsim-bench-sweep.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp scenarios/reference/cart.toml "$work/cart.toml"
{
  echo 'base = "cart.toml"'
  echo 'replications = 100'
  echo '[grid]'
  echo "\"resources.suite.capacity\" = [$(seq -s ', ' 25 44)]"
  echo "\"products.car-t.arrivals.rate\" = [$(awk 'BEGIN { for (i = 0; i < 50; i++) printf "%s%.2f", (i ? ", " : ""), 1.5 + 0.02 * i }')]"
} > "$work/sweep.toml"
threads=${1:-2}
if command -v /usr/bin/time >/dev/null; then
  /usr/bin/time -f "wall %e s, peak memory %M KB" target/release/cgtsim sweep "$work/sweep.toml" --out "$work/out" --threads "$threads"
else
  time target/release/cgtsim sweep "$work/sweep.toml" --out "$work/out" --threads "$threads"
fi
