#!/usr/bin/env bash
# Rebuilds the web UI (web/) into internal/server/ui/dist, which go:embed serves and which
# is committed, so that go build needs no npm. Needs node and npm.
set -euo pipefail
cd "$(dirname "$0")/../web"
npm ci --no-audit --no-fund --ignore-scripts
npm run build
