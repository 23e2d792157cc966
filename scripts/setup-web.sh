#!/usr/bin/env bash
# Installs what the web UI's end-to-end test needs: Debian's chromium (driven by chromedp
# from go test) and CJK fonts so that 容器 renders in the screenshots. Idempotent. The npm
# packages (for scripts/build-web.sh) are installed only where npm exists.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "setup-web: please install: ${need[*]}" >&2; exit 1
  fi
fi
if command -v npm >/dev/null 2>&1 && [ ! -d web/node_modules ]; then
  (cd web && npm ci --no-audit --no-fund --ignore-scripts)
fi
