#!/usr/bin/env bash
# Installs Gatekeeper's own policy tester, gator, from the Go module proxy: the emitted
# ConstraintTemplates, Constraints and workloads are judged by it (plan's TestGator). The
# plan tests also load emitted containerd files with containerd, which setup-bench.sh
# installs. Idempotent: it builds gator only when the pinned version is missing. The first
# build takes a few minutes on 2 cores (Gatekeeper pulls Kubernetes and OPA). Run by
# scripts/setup.sh (--check: only report).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh
GATOR_VERSION=v3.23.1
bin="$(go env GOPATH)/bin/gator"
have_gator() { [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -q "GitVersion: *${GATOR_VERSION}$"; }
have_gator || missing "gator ${GATOR_VERSION} in $(dirname "$bin") (scripts/setup-gator.sh builds it; any user)"
install setup-gator
checking && exit 0
have_gator && exit 0
# gator is a tool, not a dependency of strata: build it outside this module.
(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go install "github.com/open-policy-agent/gatekeeper/v3/cmd/gator@${GATOR_VERSION}")
"$bin" version >/dev/null
