#!/usr/bin/env bash
# Installs what strata's whole test suite needs on a fresh Debian machine with Go (as
# root), and downloads the Go modules. Idempotent: it installs only what is missing.
# .ci/run runs it before scripts/test.sh; scripts/test.sh never runs it.
#
#   scripts/setup.sh           install (root)
#   scripts/setup.sh --check   install nothing: list what is missing and exit 1 if anything
#                              is (any user; scripts/test.sh starts with it)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --check ]; then export STRATA_SETUP_CHECK=1; fi
. scripts/lib/need.sh

# graphviz: the tests render `strata export -o dot` with the real dot.
need git; need gcc; need graphviz dot
# runc, crun, QEMU: the probe's real-host test (probe/local_test.go) asserts it finds them.
need runc; need crun; need qemu-system-x86 qemu-system-x86_64
# stress-ng: the CPU hog scripts/test.sh runs the cleanup tests beside.
need stress-ng
rc=0
install setup || rc=1
checking || go mod download

# What the host-level parts need (runtimes, guest kernel, browser): each part keeps its own
# installer beside this one and sources scripts/lib/need.sh, so --check reaches it too.
for part in scripts/setup-*.sh; do
  [ -x "$part" ] || continue
  if checking && ! grep -q 'lib/need.sh' "$part"; then
    # It would install rather than report: its tests say for themselves what they miss.
    echo "$(basename "$part" .sh): not checked (it does not use scripts/lib/need.sh)"
    continue
  fi
  "$part" || rc=1
done
exit $rc
