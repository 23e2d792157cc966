#!/usr/bin/env bash
# Installs what the web UI's end-to-end tests need: Debian's chromium (driven by chromedp
# from go test), Debian's firefox-esr (driven over WebDriver BiDi by puppeteer-core from
# web/node_modules), node and npm, and CJK fonts so that 容器 renders in the screenshots.
# Then installs the npm packages of web/ (esbuild, TypeScript, cytoscape, puppeteer-core)
# from package-lock.json. Idempotent; run by scripts/setup.sh (--check: only report).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh
need chromium; need firefox-esr; need nodejs node; need npm
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || want fonts-noto-cjk "CJK fonts"
modules=false
[ -d web/node_modules/puppeteer-core ] && [ -d web/node_modules/esbuild ] && modules=true
$modules || missing "web/node_modules (npm ci in web/)"
install setup-web
checking && exit 0
# --ignore-scripts: puppeteer-core downloads no browser; the tests use Debian's.
$modules || (cd web && npm ci --no-audit --no-fund --ignore-scripts)
