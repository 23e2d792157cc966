#!/usr/bin/env bash
# The whole test suite, as CI runs it: vet, unit and integration tests with the race
# detector, a short run of every fuzz target, and every benchmark once so none can rot.
# Usage: scripts/test.sh            (FUZZTIME=10s by default; FUZZTIME=0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}

echo "== setup"
scripts/setup.sh

echo "== go vet"
go vet ./...

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go test -race"
go test -race -count=1 ./...

if [ "$FUZZTIME" != "0" ]; then
  echo "== fuzz (each target for $FUZZTIME)"
  for pkg in $(go list ./...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
      echo "-- $pkg $target"
      go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"
    done
  done
fi

echo "== benchmarks (once each, so they cannot rot)"
go test -run '^$' -bench . -benchtime 1x ./...
