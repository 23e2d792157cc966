#!/usr/bin/env bash
# Builds strata's container image without a registry or a daemon: a static strata binary
# (CGO off, -trimpath, no build id), then deploy/image writes it as an OCI image layout
# with every timestamp at the epoch, so the same sources give the same digest. Prints the
# image digest.
#
#   scripts/build-image.sh OUT [REF]   writes OUT/oci (layout) and OUT/strata-image.tar
#   ctr images import OUT/strata-image.tar
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/build-image.sh OUT [REF]}
ref=${2:-ghcr.io/strata-dev/strata:dev}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/oci" "$out/strata-image.tar"
CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -buildid=" -o "$out/strata" ./cmd/strata
(cd deploy/image && go run . -binary "$out/strata" -layout "$out/oci" -tar "$out/strata-image.tar" -ref "$ref")
