#!/usr/bin/env bash
# Installs what the fleet tests need: Debian's etcd-server (the control plane's store),
# the Kubernetes control plane built from k8s.io/kubernetes (scripts/build-controlplane.sh:
# cached; cold it takes about 22 CPU-minutes), Gatekeeper's module (its ConstraintTemplate
# CRD file) and the Go modules of the Helm chart's test module. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v etcd >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
  else
    echo "setup-fleet: please install etcd-server" >&2; exit 1
  fi
fi
# Debian starts etcd as a service on install where systemd runs; the tests start their own.
scripts/build-controlplane.sh >/dev/null
(cd /tmp && go mod download github.com/open-policy-agent/gatekeeper/v3@v3.23.1)
(cd deploy/helm/charttest && go mod download)
(cd deploy/image && go mod download)
