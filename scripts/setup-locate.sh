#!/usr/bin/env bash
# What strata locate's tests and its BPF generation need: clang and llvm (bpf2go compiles
# locate/ebpf/bpf/locate.bpf.c; only scripts/check-bpf-generate.sh and go generate use
# them, the build does not), libbpf-dev (bpf_helpers.h), and tracefs mounted for
# anyone inspecting tracepoints (the collector itself attaches by BTF and needs none).
# Idempotent; run by scripts/setup.sh (--check: only report).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh
need clang; need llvm llvm-strip
[ -f /usr/include/bpf/bpf_helpers.h ] || want libbpf-dev "bpf_helpers.h"
install setup-locate
checking && exit 0
if [ "$(id -u)" = 0 ] && [ -d /sys/kernel/tracing ] && ! mountpoint -q /sys/kernel/tracing; then
  mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi
