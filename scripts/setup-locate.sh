#!/usr/bin/env bash
# What strata locate's tests and its BPF generation need: clang and llvm (bpf2go compiles
# locate/ebpf/bpf/locate.bpf.c; only scripts/check-bpf-generate.sh and go generate use
# them, the build does not), libbpf-dev (bpf_helpers.h), and tracefs mounted for
# anyone inspecting tracepoints (the collector itself attaches by BTF and needs none).
# Idempotent; run by scripts/setup.sh.
set -euo pipefail
need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v llvm-strip >/dev/null 2>&1 || need+=(llvm)
[ -f /usr/include/bpf/bpf_helpers.h ] || need+=(libbpf-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup-locate: please install: ${need[*]}" >&2
    exit 0
  fi
fi
if [ "$(id -u)" = 0 ] && [ -d /sys/kernel/tracing ] && ! mountpoint -q /sys/kernel/tracing; then
  mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi
