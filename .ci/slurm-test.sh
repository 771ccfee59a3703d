#!/usr/bin/env bash
# The Slurm integration test: a sweep submitted as a job array of shards plus a dependent
# merge job (scripts/slurm/*.sbatch) on a real single-node Slurm, waited for by polling
# squeue, must give exactly the results.csv of the unsharded run. Skipped, saying so,
# only where Slurm cannot be installed or started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cgtsim=$root/target/release/cgtsim
[ -x "$cgtsim" ] || cargo build --release --quiet

# A directory and ports of this run's own, so that two runs on one host (two CI jobs, a
# developer's cluster) never stop each other's daemons or jobs.
SLURM_LOCAL_DIR=$(mktemp -d /tmp/cgtsim-slurm.XXXXXX)
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 50); do
  SLURM_LOCAL_PORT=$(( 20000 + RANDOM % 20000 ))
  port_free "$SLURM_LOCAL_PORT" && port_free $(( SLURM_LOCAL_PORT + 1 )) && break
done
export SLURM_LOCAL_DIR SLURM_LOCAL_PORT
echo "slurm test: cluster in $SLURM_LOCAL_DIR, ports $SLURM_LOCAL_PORT-$(( SLURM_LOCAL_PORT + 1 ))"

if ! bash .ci/slurm-local.sh start; then
  echo "slurm test: SKIPPED: Slurm could not be installed or started on this machine"
  bash .ci/slurm-local.sh stop || true
  exit 0
fi
trap 'bash .ci/slurm-local.sh stop' EXIT
eval "$(bash .ci/slurm-local.sh env)"

work=$(mktemp -d /tmp/cgtsim-slurm-test.XXXXXX)
chmod 0755 "$work"
sed 's/horizon = "730d"/horizon = "400d"/' scenarios/reference/cart.toml > "$work/cart.toml"
cat > "$work/sweep.toml" <<SWEEP
base = "cart.toml"
replications = 4
[grid]
"resources.suite.capacity" = [24, 26, 28, 30, 32]
"products.car-t.arrivals.rate" = [1.8, 2.0]
SWEEP

"$cgtsim" sweep "$work/sweep.toml" --out "$work/whole" --threads 2 >/dev/null

t0=$(date +%s)
jid=$(CGTSIM=$cgtsim sbatch --parsable --array=1-4 --cpus-per-task=1 -o "$work/shard-%a.log" \
      scripts/slurm/sweep.sbatch "$work/sweep.toml" "$work/sharded")
mid=$(CGTSIM=$cgtsim sbatch --parsable --dependency=afterok:"$jid" --kill-on-invalid-dep=yes \
      -o "$work/merge.log" scripts/slurm/merge.sbatch "$work/sharded")
# Poll squeue: 'sbatch --wait' sleeps up to 32 s between its checks.
deadline=$(( $(date +%s) + 300 ))
while [ -n "$(squeue -h -j "$jid,$mid" 2>/dev/null)" ]; do
  if [ "$(date +%s)" -gt "$deadline" ]; then
    echo "slurm test: FAILED: jobs still queued after 300 s"; squeue || true; cat "$work"/*.log || true
    exit 1
  fi
  sleep 0.25
done
if cmp -s "$work/whole/results.csv" "$work/sharded/results.csv"; then
  echo "slurm test: passed: array $jid (4 shards) + merge $mid reproduce the unsharded results.csv in $(( $(date +%s) - t0 )) s"
  rm -rf "$work"
else
  echo "slurm test: FAILED: the merged results differ from the unsharded run"
  cat "$work"/*.log || true
  exit 1
fi
