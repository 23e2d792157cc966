#!/usr/bin/env bash
# Installs Gatekeeper's own policy tester, gator, from the Go module proxy: the emitted
# ConstraintTemplates, Constraints and workloads are judged by it (plan's TestGator). The
# plan tests also load emitted containerd files with containerd, which setup-bench.sh
# installs. Idempotent: it builds gator only when the pinned version is missing. The first
# build takes a few minutes on 2 cores (Gatekeeper pulls Kubernetes and OPA).
set -euo pipefail
cd "$(dirname "$0")/.."
GATOR_VERSION=v3.23.1
bin="$(go env GOPATH)/bin/gator"
if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -q "GitVersion: *${GATOR_VERSION}$"; then
  exit 0
fi
# gator is a tool, not a dependency of strata: build it outside this module.
(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go install "github.com/open-policy-agent/gatekeeper/v3/cmd/gator@${GATOR_VERSION}")
"$bin" version >/dev/null
