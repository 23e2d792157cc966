#!/usr/bin/env bash
# Measures strata's reasoner beside its peers on the same generated networks, in one run on
# one machine, so the ratios mean something even where absolute times are noisy.
#
# Usage: scripts/peers-bench.sh [small|medium|large ...]      (default: medium large)
#
# Peers (shared/peers/reason): SQLite recursive CTE (sqlite_bench.py) and networkx
# (nx_bench.py, installed from Debian's python3-networkx when missing and we are root).
# For every size: point queries (pairs.csv) on each engine; for small and medium also the
# full closure on SQLite and strata. networkx closure on medium takes minutes: NX_CLOSURE=1.
#
# Environment:
#   PEERS_DATA     data folder (default /tmp/strata-peers-data); go run ./internal/netgen/peerdata
#                  fills it if absent
#   PEERS_DIR      the peers' scripts (default ../shared/peers/reason beside the repo)
#   OUT            results folder (default /tmp/strata-peers-results): *.json, go.txt, summary
#   SQLITE_BUDGET  seconds for one SQLite query loop (default 120)
#   NX_BUDGET      seconds for one networkx query loop (default 60)
#   NX_CLOSURE=1   also time networkx's closure on small/medium
#   NO_NX=1        skip networkx
#   GO_BENCHTIME   -benchtime for the Go benchmarks (default 5x)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

export PEERS_DATA=${PEERS_DATA:-/tmp/strata-peers-data}
PEERS_DIR=${PEERS_DIR:-$repo/../shared/peers/reason}
OUT=${OUT:-/tmp/strata-peers-results}
SQLITE_BUDGET=${SQLITE_BUDGET:-120}
NX_BUDGET=${NX_BUDGET:-60}
GO_BENCHTIME=${GO_BENCHTIME:-5x}
PY=/usr/bin/python3 # Debian's python: the one python3-networkx installs into

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(medium large)
for s in "${sizes[@]}"; do
  case $s in small | medium | large) ;; *)
    echo "peers-bench: unknown size $s: want small, medium or large" >&2
    exit 2
    ;;
  esac
done
if [ ! -f "$PEERS_DIR/sqlite_bench.py" ]; then
  echo "peers-bench: no sqlite_bench.py in $PEERS_DIR: set PEERS_DIR to shared/peers/reason" >&2
  exit 1
fi
mkdir -p "$OUT" "$PEERS_DATA"
rm -f "$OUT"/*.json "$OUT"/go.txt "$OUT"/summary.txt

echo "== machine"
{
  echo "nproc: $(nproc)"
  lscpu | grep 'Model name' | sed 's/  */ /g'
  echo "go: $(go version)"
  echo "sqlite: $($PY -c 'import sqlite3; print(sqlite3.sqlite_version)')"
} | tee "$OUT/machine.txt"

echo "== data in $PEERS_DATA"
missing=()
for s in "${sizes[@]}"; do
  [ -f "$PEERS_DATA/$s/pairs.csv" ] || missing+=("$s")
done
if [ ${#missing[@]} -gt 0 ]; then
  go run ./internal/netgen/peerdata "${missing[@]}"
fi

have_nx=0
if [ "${NO_NX:-}" != 1 ]; then
  if ! $PY -c 'import networkx' 2>/dev/null && [ "$(id -u)" = 0 ]; then
    echo "== installing python3-networkx"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-networkx >/dev/null || true
  fi
  if $PY -c 'import networkx' 2>/dev/null; then have_nx=1; else echo "networkx not importable: skipped"; fi
fi

# peer ENGINE MODE SIZE [BUDGET]: one peer run, its JSON line kept in $OUT.
peer() {
  local engine=$1 mode=$2 size=$3 budget=${4:-}
  local script=$PEERS_DIR/sqlite_bench.py
  [ "$engine" = sqlite ] || script=$PEERS_DIR/nx_bench.py
  echo "-- $engine $mode $size ${budget:+(budget ${budget}s)}"
  if $PY "$script" "$PEERS_DATA/$size" "$mode" $budget >"$OUT/$engine-$mode-$size.json"; then
    cat "$OUT/$engine-$mode-$size.json"
  else
    echo "   $engine $mode $size failed" >&2
    rm -f "$OUT/$engine-$mode-$size.json"
  fi
}

for s in "${sizes[@]}"; do
  echo "== peers: $s"
  peer sqlite query "$s" "$SQLITE_BUDGET"
  [ "$s" = large ] || peer sqlite closure "$s"
  if [ $have_nx = 1 ]; then
    peer networkx query "$s" "$NX_BUDGET"
    if [ "${NX_CLOSURE:-}" = 1 ] && [ "$s" != large ]; then peer networkx closure "$s"; fi
  fi
done

echo "== strata (go test -bench, PEERS_DATA=$PEERS_DATA)"
for s in "${sizes[@]}"; do
  benches='Build|Greater|Derive|Closure'
  [ "$s" = large ] && benches='Build|Greater|Derive' # closure on large: no peer to compare
  go test -run '^$' -bench "^Benchmark($benches)\$/^$s\$" -benchtime "$GO_BENCHTIME" ./reason/ | tee -a "$OUT/go.txt"
done

echo "== summary (ratios: peer time / strata time, same run)"
$PY - "$OUT" <<'EOF' | tee "$OUT/summary.txt"
import json, os, re, sys
out = sys.argv[1]
go = {}
for line in open(os.path.join(out, "go.txt")):
    m = re.match(r"Benchmark(\w+)/(\w+)-\d+\s+\d+\s+(.*)", line)
    if m:
        vals = re.findall(r"([\d.e+-]+) (\S+)", m.group(3))
        go[(m.group(1), m.group(2))] = {u: float(v) for v, u in vals}
peers = {}
for fn in os.listdir(out):
    if fn.endswith(".json"):
        engine, mode, size = fn[:-5].split("-")
        peers[(engine, mode, size)] = json.load(open(os.path.join(out, fn)))
sizes = sorted({k[1] for k in go}, key=["small", "medium", "large"].index)
def ratio(a, b):
    return f"{a / b:,.0f}x" if a and b else "-"
def num(x):
    return "-" if not x else f"{x:.3g}" if x < 1000 else f"{x:,.0f}"
print(f"{'size':7} {'what':28} {'strata':>14} {'sqlite':>14} {'networkx':>14} {'sqlite/strata':>14} {'nx/strata':>10}")
for s in sizes:
    g = go.get(("Greater", s), {})
    for stat, unit in (("median_us", "median-ns/query"), ("p99_us", "p99-ns/query"), ("mean_us", "ns/query")):
        st = g.get(unit, 0) / 1000
        row = [peers.get((e, "query", s), {}).get("query", {}).get(stat, 0) for e in ("sqlite", "networkx")]
        print(f"{s:7} {'query ' + stat[:-3] + ' (us)':28} {num(st):>14} {num(row[0]):>14} {num(row[1]):>14} {ratio(row[0], st):>14} {ratio(row[1], st):>10}")
    answers = [str(int(g.get("peer-yes", -1)))] + [str(peers.get((e, "query", s), {}).get("yes", "-")) for e in ("sqlite", "networkx")]
    capped = [peers.get((e, "query", s), {}).get("capped", "") for e in ("sqlite", "networkx")]
    print(f"{s:7} {'query yes (of pairs run)':28} {answers[0]:>14} {answers[1]:>14} {answers[2]:>14}   {' '.join(c for c in capped if c)}")
    c = go.get(("Closure", s))
    if c:
        st = c.get("ms/build+closure", 0)
        row = [peers.get((e, "closure", s), {}) for e in ("sqlite", "networkx")]
        ms = [r.get("closure_ms", 0) for r in row]
        print(f"{s:7} {'closure (ms)':28} {num(st):>14} {num(ms[0]):>14} {num(ms[1]):>14} {ratio(ms[0], st):>14} {ratio(ms[1], st):>10}")
        print(f"{s:7} {'closure pairs (peer count)':28} {int(c.get('peer-pairs', 0)):>14} {str(row[0].get('closure_size', '-')):>14} {str(row[1].get('closure_size', '-')):>14}")
    b = go.get(("Build", s), {})
    d = go.get(("Derive", s), {})
    print(f"{s:7} {'strata build ms, index MB':28} {num(b.get('ms/build', 0)):>14} {num(b.get('MB', 0)):>14}")
    print(f"{s:7} {'strata derive median, p99 us':28} {num(d.get('median-ns/query', 0) / 1000):>14} {num(d.get('p99-ns/query', 0) / 1000):>14}")
EOF
echo "results in $OUT"
