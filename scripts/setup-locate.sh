#!/usr/bin/env bash
# What strata locate's tests and its BPF generation need: clang and llvm (bpf2go compiles
# locate/ebpf/bpf/locate.bpf.c; only scripts/check-bpf-generate.sh and go generate use
# them, the build does not), libbpf-dev (bpf_helpers.h), and tracefs mounted for
# anyone inspecting tracepoints (the collector itself attaches by BTF and needs none).
# The accuracy benchmark (locate/accuracy) needs stress-ng (its CPU hog), python3, gcc,
# and the OpenTelemetry JS SDK for its Node program, from npm into
# locate/accuracy/corpus/node/node_modules (gitignored; reinstalled when the lock changes).
# Idempotent; run by scripts/setup.sh (--check: only report).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh
need clang; need llvm llvm-strip; need stress-ng; need python3; need gcc; need npm
[ -f /usr/include/bpf/bpf_helpers.h ] || want libbpf-dev "bpf_helpers.h"
corpus=locate/accuracy/corpus/node
stamp=$corpus/node_modules/.strata-lock
cmp -s $corpus/package-lock.json "$stamp" 2>/dev/null || missing "$corpus/node_modules (npm ci)"
install setup-locate
checking && exit 0
if ! cmp -s $corpus/package-lock.json "$stamp" 2>/dev/null; then
  (cd $corpus && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp $corpus/package-lock.json "$stamp"
fi
if [ "$(id -u)" = 0 ] && [ -d /sys/kernel/tracing ] && ! mountpoint -q /sys/kernel/tracing; then
  mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi
