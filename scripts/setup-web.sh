#!/usr/bin/env bash
# Installs what the web UI's end-to-end tests need: Debian's chromium (driven by chromedp
# from go test), Debian's firefox-esr (driven over WebDriver BiDi by puppeteer-core from
# web/node_modules), node and npm, and CJK fonts so that 容器 renders in the screenshots.
# Then installs the npm packages of web/ (esbuild, TypeScript, cytoscape, puppeteer-core)
# from package-lock.json. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || need+=(firefox-esr)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "setup-web: please install: ${need[*]}" >&2; exit 1
  fi
fi
# --ignore-scripts: puppeteer-core downloads no browser; the tests use Debian's.
if [ ! -d web/node_modules/puppeteer-core ] || [ ! -d web/node_modules/esbuild ]; then
  (cd web && npm ci --no-audit --no-fund --ignore-scripts)
fi
