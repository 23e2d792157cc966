#!/usr/bin/env bash
# Regenerates the BPF object and its Go bindings (locate/ebpf) with bpf2go, into a
# temporary directory, and fails when they differ from what is committed: the C source and
# the objects must agree. The working tree is left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "check-bpf-generate: clang is missing (scripts/setup-locate.sh installs it)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The //go:generate line of locate/ebpf/gen.go, with the output sent to $tmp.
line=$(sed -n 's|^//go:generate ||p' locate/ebpf/gen.go)
[[ $line == "go run github.com/cilium/ebpf/cmd/bpf2go "* ]] || { echo "check-bpf-generate: unexpected //go:generate line: $line" >&2; exit 1; }
rest=${line#go run github.com/cilium/ebpf/cmd/bpf2go }
(cd locate/ebpf && eval "GOPACKAGE=ebpf go run github.com/cilium/ebpf/cmd/bpf2go -output-dir \"\$tmp\" $rest") >/dev/null
status=0
for f in locate_x86_bpfel.go locate_x86_bpfel.o; do
  if ! cmp -s "$tmp/$f" "locate/ebpf/$f"; then
    echo "check-bpf-generate: locate/ebpf/$f differs from a fresh bpf2go run; run 'go generate ./locate/ebpf' and commit" >&2
    status=1
  fi
done
exit $status
