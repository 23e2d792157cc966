#!/usr/bin/env bash
# Installs what the fleet tests need: Debian's etcd-server (the control plane's store),
# the Kubernetes control plane built from k8s.io/kubernetes (scripts/build-controlplane.sh:
# cached under ~/.cache/strata/kube; a cold build takes about 16 CPU-minutes), Gatekeeper's
# module (its ConstraintTemplate CRD file) and the Go modules of the chart's and the
# image's own modules. Idempotent; run by scripts/setup.sh (--check: only report).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh
need etcd-server etcd
scripts/build-controlplane.sh --check >/dev/null 2>&1 || missing "the Kubernetes control plane (scripts/build-controlplane.sh)"
install setup-fleet
checking && exit 0
scripts/build-controlplane.sh >/dev/null
(cd /tmp && go mod download github.com/open-policy-agent/gatekeeper/v3@v3.23.1)
(cd deploy/helm/charttest && go mod download)
(cd deploy/image && go mod download)
