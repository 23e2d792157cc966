#!/usr/bin/env bash
# Installs what strata's tests need on a fresh Debian machine with Go, and downloads the
# Go modules. Idempotent: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# graphviz: the tests render `strata export -o dot` with the real dot.
for pkg_cmd in "git:git" "gcc:gcc" "graphviz:dot"; do
  pkg=${pkg_cmd%%:*}; cmd=${pkg_cmd##*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    echo "setup: please install: ${need[*]}" >&2; exit 1
  fi
fi

# runc, crun, QEMU: the probe's real-host test (probe/local_test.go) asserts it finds them.
probe_need=()
for pkg_cmd in "runc:runc" "crun:crun" "qemu-system-x86:qemu-system-x86_64"; do
  pkg=${pkg_cmd%%:*}; cmd=${pkg_cmd##*:}
  PATH=$PATH:/usr/sbin:/sbin command -v "$cmd" >/dev/null 2>&1 || probe_need+=("$pkg")
done
if [ ${#probe_need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${probe_need[@]}" >/dev/null
  else
    echo "setup: the probe tests want: ${probe_need[*]} (they skip without them)" >&2
  fi
fi
go mod download

# What the host-level parts need (runtimes, guest kernel, browser): each part keeps its own
# installer beside this one.
for part in scripts/setup-*.sh; do
  if [ -x "$part" ]; then "$part"; fi
done
