#!/usr/bin/env bash
# A local Kubernetes control plane to try strata fleet on: etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler (built from k8s.io/kubernetes by
# scripts/build-controlplane.sh, cached; a cold build takes about 16 CPU-minutes) on
# loopback, with six simulated nodes labelled by strata probe on the probe's fake host
# trees. It runs in the background and prints the line that points kubectl and strata at it.
#
#   scripts/cluster-up.sh         start it (again): prints export KUBECONFIG=...
#   scripts/cluster-up.sh down    stop it and remove its files
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${STRATA_CLUSTER_DIR:-/tmp/strata-cluster}
stop() {
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$dir/pid"
  fi
}
if [ "${1:-}" = down ]; then
  stop; rm -rf "$dir"; exit 0
fi
stop
mkdir -p "$dir"
STRATA_KUBE_BIN=$(scripts/build-controlplane.sh)
export STRATA_KUBE_BIN
go build -o "$dir/strata-cluster" ./cmd/strata-cluster
rm -f "$dir/ready"
setsid "$dir/strata-cluster" -dir "$dir" -trees probe/testdata >"$dir/cluster.log" 2>&1 </dev/null &
echo $! >"$dir/pid"
for _ in $(seq 1 1200); do
  [ -f "$dir/ready" ] && break
  if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "cluster-up: the control plane exited; see $dir/cluster.log:" >&2; tail -20 "$dir/cluster.log" >&2; exit 1
  fi
  sleep 0.1
done
[ -f "$dir/ready" ] || { echo "cluster-up: not ready after 2 minutes; see $dir/cluster.log" >&2; exit 1; }
echo "export KUBECONFIG=$dir/kubeconfig"
