#!/usr/bin/env bash
# A sweep at scale (issue 12): 100,000 variants of a small model (an M/M/c queue,
# 2 replications each: 100 arrival rates x 10 server counts x 100 horizons), run
# through once; run again into another directory, killed (SIGKILL) part-way and resumed
# to the end; resumed once more with nothing to run; merged alone; reported (HTML); and
# run as 4 shards and merged. Prints each phase's wall time and peak memory, the files and the disk use
# (du: blocks on disk; --apparent-size: bytes), and checks that all three results.csv
# are identical.
#
#   scripts/sweep-at-scale.sh [THREADS] [KILL_AFTER_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
cgtsim=$PWD/target/release/cgtsim
threads=${1:-2}
kill_after=${2:-3}
work=$(mktemp -d /tmp/cgtsim-sweep-at-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/base.toml" <<'BASE'
[simulation]
horizon = "30d"
replications = 1
seed = 5

[resources]
server = { capacity = 1 }

[[products]]
name = "p"
type = "autologous"
arrivals = { rate = 0.8, per = "day" }

  [[products.steps]]
  name = "serve"
  uses = ["server"]
  duration = { exponential = { mean = "1d" } }
BASE
{
  echo 'base = "base.toml"'
  echo 'replications = 2'
  echo '[grid]'
  echo "\"products.p.arrivals.rate\" = [$(awk 'BEGIN { for (i = 0; i < 100; i++) printf "%s%.2f", (i ? ", " : ""), 0.10 + 0.01 * i }')]"
  echo "\"resources.server.capacity\" = [$(seq -s ', ' 1 10)]"
  echo "\"simulation.horizon\" = [$(awk 'BEGIN { for (i = 20; i < 120; i++) printf "%s\"%dd\"", (i > 20 ? ", " : ""), i }')]"
} > "$work/sweep.toml"

seconds() { date +%s.%N; }
# Wall time and peak memory of a command, on stderr.
timed() { /usr/bin/time -f "  wall %e s, peak memory %M KB" "$@"; }
since() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.1f s", b - a }'; }
indexed() { cat "$1"/variants/*.idx 2>/dev/null | wc -l; }
disk() {
  echo "  files in variants/: $(ls "$1/variants" | wc -l) ($(ls "$1/variants" | tr '\n' ' '))"
  echo "  variants/: $(du -sh "$1/variants" | cut -f1) on disk, $(du -sh --apparent-size "$1/variants" | cut -f1) apparent"
  [ -f "$1/results.csv" ] && echo "  results.csv: $(du -h --apparent-size "$1/results.csv" | cut -f1), $(wc -l < "$1/results.csv") lines"
  return 0
}

echo "== 100,000 variants, $threads threads, straight through (runs, then merges)"
timed "$cgtsim" sweep "$work/sweep.toml" --out "$work/whole" --threads "$threads" | head -1
disk "$work/whole"

echo "== again, killed after ${kill_after} s"
t=$(seconds)
"$cgtsim" sweep "$work/sweep.toml" --out "$work/out" --threads "$threads" > "$work/first.log" 2>&1 &
pid=$!
sleep "$kill_after"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
echo "killed after $(since "$t") with $(indexed "$work/out") variants indexed"
disk "$work/out"

echo "== resumed to the end (runs the rest, then merges)"
timed "$cgtsim" sweep "$work/sweep.toml" --out "$work/out" --threads "$threads" | head -1
disk "$work/out"

echo "== resumed again with every variant done (checks every block, merges)"
timed "$cgtsim" sweep "$work/sweep.toml" --out "$work/out" --threads "$threads" | head -1

echo "== merge alone"
timed "$cgtsim" merge "$work/out"

echo "== the HTML report of the 100,000 variants"
timed "$cgtsim" report "$work/out" --out "$work/report.html"
echo "  report.html: $(du -h --apparent-size "$work/report.html" | cut -f1)"

echo "== 4 shards, one after the other, then merge"
t=$(seconds)
for k in 1 2 3 4; do
  "$cgtsim" sweep "$work/sweep.toml" --out "$work/sharded" --threads "$threads" --shard "$k/4" | head -1
done
echo "4 shards: $(since "$t")"
timed "$cgtsim" merge "$work/sharded"
disk "$work/sharded"
if cmp -s "$work/whole/results.csv" "$work/out/results.csv" &&
   cmp -s "$work/whole/results.csv" "$work/sharded/results.csv"; then
  echo "the straight, the killed-and-resumed and the sharded results.csv are identical"
else
  echo "FAILED: the results.csv of the three ways differ"
  exit 1
fi
