#!/usr/bin/env bash
# Regenerates the committed BPF object and its Go bindings (locate/ebpf) with bpf2go and
# fails when they differ from what is committed: the C source and the objects must agree.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "check-bpf-generate: clang is missing (scripts/setup-locate.sh installs it)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp locate/ebpf/locate_x86_bpfel.go locate/ebpf/locate_x86_bpfel.o "$tmp/"
(cd locate/ebpf && go generate ./)
status=0
for f in locate_x86_bpfel.go locate_x86_bpfel.o; do
  if ! cmp -s "$tmp/$f" "locate/ebpf/$f"; then
    echo "check-bpf-generate: locate/ebpf/$f differs from a fresh bpf2go run; run 'go generate ./locate/ebpf' and commit" >&2
    status=1
  fi
done
exit $status
