#!/usr/bin/env bash
# Rebuilds the web UI (web/) into internal/server/ui/dist, which go:embed serves and which
# is committed, so that go build needs no npm. Needs node and npm; installs web/'s npm
# packages first when they are not the ones package-lock.json names.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! sha256sum --status -c web/node_modules/.strata-lock.sha256 2>/dev/null; then
  (cd web && npm ci --no-audit --no-fund --ignore-scripts)
  sha256sum web/package-lock.json > web/node_modules/.strata-lock.sha256
fi
cd web
npm run build
