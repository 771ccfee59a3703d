#!/usr/bin/env bash
# cgtsim beside the peer simulators of ../shared/peers (issue 13): SimPy, nexosim, a
# bare single-purpose loop and Cimba, on the same models, on this machine.
#
# 1. Paired whole-process runs: cgtsim's `run` of the scenario file and the peer's run of
#    the same model, alternately, ROUNDS times; prints the median wall time of each and
#    the median of the per-round ratios (peer / cgtsim: above 1, cgtsim is faster).
#    Machines of this kind drift by 10-30 % between runs; the pairs cancel most of that.
#      model A: M/M/5 at rho 0.9 (scenarios/reference/mmc.toml), one replication of
#               100,000 days after 1,000 days of warm-up, one thread;
#      model B: the CAR-T chain (scenarios/reference/cart.toml), 200 replications x 730
#               days, one thread (SimPy: 40 replications on both sides, to keep it short);
#      M/M/1:   Cimba's MM1_single (1,000,000 customers, rho 0.9) against
#               scenarios/reference/mm1-cimba.toml.
# 2. Instructions per model event under callgrind (if valgrind is installed): two run
#    lengths of one replication, the difference of instructions over the difference of
#    events, so start-up cancels out. Noise-free: the figure to compare between commits.
#
#   scripts/bench-peers.sh [ROUNDS]      (default 5; peers are built in $WORK)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
peers=${PEERS:-$root/../shared/peers}
work=${WORK:-/tmp/cgtsim-peers}
rounds=${1:-5}
mkdir -p "$work"

echo "== building cgtsim and the peers (in $work)"
cargo build --release --quiet --bin cgtsim --example yardsticks
cgtsim=$root/target/release/cgtsim
CARGO_TARGET_DIR=$work/lean cargo build --release --quiet --manifest-path "$peers/lean-loop/Cargo.toml"
lean=$work/lean/release/limit
CARGO_TARGET_DIR=$work/nexosim cargo build --release --quiet --manifest-path "$peers/nexosim/Cargo.toml"
nexosim=$work/nexosim/release/nexosim-peers
if [ ! -x "$work/simpy/bin/python" ]; then
  python3 -m venv "$work/simpy"
  "$work/simpy/bin/pip" install --quiet -r "$peers/requirements.txt"
fi
simpy=$work/simpy/bin/python
cimba=$(bash "$peers/cimba/build.sh" "$work/cimba")

sed -e 's/^horizon = .*/horizon = "100000d"/' -e 's/^replications = .*/replications = 1/' \
  scenarios/reference/mmc.toml > "$work/a.toml"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%d)"

# Wall seconds of one command (its output discarded).
wall() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# pair NAME -- CGTSIM COMMAND... -- PEER COMMAND...
pair() {
  local name=$1; shift; shift
  local ours=() theirs=()
  while [ "$1" != "--" ]; do ours+=("$1"); shift; done; shift
  theirs=("$@")
  local a b ta=() tb=() ratios=()
  for _ in $(seq 1 "$rounds"); do
    a=$(wall "${ours[@]}"); b=$(wall "${theirs[@]}")
    ta+=("$a"); tb+=("$b")
    ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')")
  done
  printf "%-34s cgtsim %7.3f s   peer %8.3f s   peer/cgtsim %7.2f (ratios %s)\n" "$name" \
    "$(printf '%s\n' "${ta[@]}" | median)" "$(printf '%s\n' "${tb[@]}" | median)" \
    "$(printf '%s\n' "${ratios[@]}" | median)" "$(echo "${ratios[*]}" | tr ' ' ',')"
}

echo "== paired whole-process runs, $rounds rounds, medians"
run=("$cgtsim" run --threads 1)
pair "A: lean loop" -- "${run[@]}" "$work/a.toml" -- "$lean" 100000
pair "A: nexosim" -- "${run[@]}" "$work/a.toml" -- "$nexosim" mmc 100000 1 1 --warmup 1000
pair "A: SimPy" -- "${run[@]}" "$work/a.toml" -- "$simpy" "$peers/simpy_mmc.py" 100000 1 1 --warmup 1000
pair "B: nexosim (200 x 730 d)" -- "${run[@]}" scenarios/reference/cart.toml --replications 200 -- \
  "$nexosim" cart 730 200 1 --suites 28 --jobs 1
pair "B: SimPy (40 x 730 d)" -- "${run[@]}" scenarios/reference/cart.toml --replications 40 -- \
  "$simpy" "$peers/simpy_cart.py" 730 40 1 --suites 28
pair "M/M/1: Cimba MM1_single" -- "${run[@]}" scenarios/reference/mm1-cimba.toml -- "$cimba"

if ! command -v valgrind >/dev/null; then
  echo "== instructions per event: skipped (no valgrind; apt-get install valgrind)"
  exit 0
fi
echo "== instructions per model event (callgrind; difference of two run lengths)"
# ipe SCENARIO H1 H2: one replication on one thread at horizons H1 and H2 days.
ipe() {
  local s=$1 e1 e2 i1 i2 h
  for h in "$2" "$3"; do
    sed "s/^horizon = .*/horizon = \"${h}d\"/" "$s" > "$work/ipe-$h.toml"
  done
  events() { "$cgtsim" run "$work/ipe-$1.toml" --replications 1 --threads 1 --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["events"])'; }
  instr() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$cgtsim" run "$work/ipe-$1.toml" \
    --replications 1 --threads 1 2>&1 >/dev/null | grep -o 'Collected : [0-9]*' | grep -o '[0-9]*'; }
  e1=$(events "$2"); e2=$(events "$3"); i1=$(instr "$2"); i2=$(instr "$3")
  awk -v e1="$e1" -v e2="$e2" -v i1="$i1" -v i2="$i2" -v s="$s" \
    'BEGIN { printf "%-44s %9.1f instructions/event (%d -> %d events)\n", s, (i2 - i1) / (e2 - e1), e1, e2 }'
}
ipe scenarios/reference/mmc.toml 2000 4000
ipe scenarios/reference/cart.toml 2000 4000
ipe scenarios/ccrm-nordic.toml 2000 4000
# Single-purpose loops, measured the same way (each prints its own event count):
# loop_ipe LABEL D1 D2 COMMAND...: COMMAND D1 and COMMAND D2.
loop_ipe() {
  local label=$1 d1=$2 d2=$3 e1 e2 i1 i2
  shift 3
  count() { "$@" | python3 -c 'import json, sys; print(json.load(sys.stdin)["events"])'; }
  instr() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    grep -o 'Collected : [0-9]*' | grep -o '[0-9]*'; }
  e1=$(count "$@" "$d1"); e2=$(count "$@" "$d2"); i1=$(instr "$@" "$d1"); i2=$(instr "$@" "$d2")
  awk -v e1="$e1" -v e2="$e2" -v i1="$i1" -v i2="$i2" -v s="$label" \
    'BEGIN { printf "%-44s %9.1f instructions/event (%d -> %d events)\n", s, (i2 - i1) / (e2 - e1), e1, e2 }'
}
loop_ipe "lean loop, model A (peer)" 20000 40000 "$lean"
# The yardsticks of examples/yardsticks.rs: model A on cgtsim's own event list, streams
# and distributions, bare and with the statistics the facility keeps; model B's lean loop.
yard=$root/target/release/examples/yardsticks
loop_ipe "yardstick: model A, bare" 20000 40000 "$yard" a-bare
loop_ipe "yardstick: model A, the model's statistics" 20000 40000 "$yard" a-stats
loop_ipe "yardstick: model B, lean loop" 2000 4000 "$yard" b
