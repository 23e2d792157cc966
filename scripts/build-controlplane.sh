#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kube-scheduler from the
# nested module internal/controlplane/k8s into a cache keyed by the Kubernetes
# version and the module's go.sum, and prints that directory. A second run
# with the same key only prints it. Cold, the build takes about 16 CPU-minutes
# (see README.md, "A local control plane"); set STRATA_CACHE to move the cache.
#
#   scripts/build-controlplane.sh          # build if needed, print the bin dir
#   scripts/build-controlplane.sh --check  # print the bin dir if built, else exit 1
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mod=$root/internal/controlplane/k8s
version=$(cd "$mod" && go list -m -f "{{.Version}}" k8s.io/kubernetes)
[ -n "$version" ] || { echo "build-controlplane: no k8s.io/kubernetes version in $mod/go.mod" >&2; exit 1; }
key=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-12)
cache=${STRATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strata}
bin=$cache/kube/$version-$key
if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-controller-manager" ] && [ -x "$bin/kube-scheduler" ]; then
  echo "$bin"; exit 0
fi
if [ "${1:-}" = --check ]; then
  echo "build-controlplane: not built yet: $bin" >&2; exit 1
fi
mkdir -p "$cache/kube"
tmp=$(mktemp -d "$cache/kube/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
minor=$(echo "$version" | cut -d. -f2)
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
start=$(date +%s)
echo "build-controlplane: building Kubernetes $version control plane into $bin (cold: ~16 CPU-minutes)" >&2
(cd "$mod" && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler)
# Publish all three at once so that a concurrent reader never sees a partial set.
mv -T "$tmp" "$bin" 2>/dev/null || { [ -x "$bin/kube-apiserver" ] || exit 1; }
trap - EXIT
echo "build-controlplane: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
