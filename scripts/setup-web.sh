#!/usr/bin/env bash
# Installs what the web UI's end-to-end tests need: Debian's chromium (driven by chromedp
# from go test), Debian's firefox-esr (driven over WebDriver BiDi by puppeteer-core from
# web/node_modules), node and npm, and CJK fonts so that 容器 renders in the screenshots.
# Then installs the npm packages of web/ (esbuild, TypeScript, cytoscape, yaml, axe-core,
# puppeteer-core) and of web/tools/ (openapi-typescript with the TypeScript 5 it needs)
# from their package-lock.json files, again whenever a lock file changes. Idempotent; run
# by scripts/setup.sh (--check: only report).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh
need chromium; need firefox-esr; need nodejs node; need npm
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || want fonts-noto-cjk "CJK fonts"
# Each npm tree is current when its lock file is the one it was installed from.
stale=()
for dir in web web/tools; do
  sha256sum --status -c "$dir/node_modules/.strata-lock.sha256" 2>/dev/null || stale+=("$dir")
done
for dir in "${stale[@]}"; do missing "$dir/node_modules (npm ci in $dir/)"; done
install setup-web
checking && exit 0
# --ignore-scripts: puppeteer-core downloads no browser; the tests use Debian's.
for dir in "${stale[@]}"; do
  (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts)
  sha256sum "$dir/package-lock.json" > "$dir/node_modules/.strata-lock.sha256"
done
