#!/usr/bin/env bash
# The whole test suite, as CI runs it: vet, unit and integration tests with the race
# detector, the cleanup tests beside a CPU hog, a short run of every fuzz target, and every
# benchmark once so none can rot. It installs nothing: scripts/setup.sh (root) does, and
# .ci/run runs that first. What is missing here is listed first; the tests that need it
# skip, each saying why. The everyday loop is `go test -short ./...`.
# Usage: scripts/test.sh            (FUZZTIME=5s by default; FUZZTIME=0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-5s}
# setup-fleet.sh builds the Kubernetes control plane: here its absence fails the fleet
# tests instead of skipping them.
export STRATA_REQUIRE_CONTROLPLANE=1

echo "== prerequisites (scripts/setup.sh --check)"
if scripts/setup.sh --check; then
  echo "all there"
else
  echo "The tests that need the above skip; scripts/setup.sh, as root, installs them."
  [ "$(id -u)" = 0 ] || echo "Not root: the runtime drivers, namespaces, cgroups and eBPF tests skip too."
fi

echo "== go vet"
go vet ./...

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go test -race"
# The drivers of package bench boot real runtimes and QEMU guests: under the race detector
# they only get slower, and their logic is covered by their own unit tests, so the race run
# leaves them (and the CLI's real bench run) to the plain run below.
# The locate end-to-end test judges where a live service's time goes, so it runs alone in
# the plain run below rather than beside every other package's tests on 2 cores.
# The browser tests drive Chromium and Firefox; they run once, below, keeping their screenshots.
go test -race -count=1 -timeout 25m -skip 'TestBenchQuick|TestHelpExamples/(bench|verify)|TestLocateDemo$|TestE2E|TestAccuracy$' $(go list ./... | grep -v '/bench$\|/bench/')

echo "== go test (the Helm chart, its own module: helm lint, render, install on the control plane)"
(cd deploy/helm/charttest && go vet ./... && go test -count=1 -timeout 15m ./...)
echo "== go test (the image, its own module: reproducible OCI layout, ctr import, probe and serve from it)"
(cd deploy/image && go vet ./... && go test -count=1 -timeout 15m ./...)

echo "== go test (real runtimes: bench drivers, strata bench --quick, strata locate on the demo)"
go test -count=1 -timeout 20m ./bench/...
go test -count=1 -timeout 10m -run 'TestBenchQuick|TestHelpExamples|TestLocateDemo$|TestReadmeCommands' ./internal/cli/
# strata locate's accuracy benchmark, quick: the corpus in four languages, eBPF and sampled,
# idle and beside stress-ng (about 2 minutes; BENCHMARKS.md has the full run).
go test -count=1 -timeout 15m -run 'TestAccuracy$' ./locate/accuracy/

echo "== strata serve under a burst of hostile bodies (its peak RSS is measured, which the race detector's shadow memory would swamp)"
go test -count=1 -timeout 5m -run 'TestHostileBodies' ./internal/server/

echo "== cleanup beside a CPU hog (stress-ng --cpu 2): cancelled runs leave nothing, on a busy machine too"
# The tests that cancel runs of every runtime and check, the moment a run returns, that no
# process, container, cgroup, mount, socket or temp file is left; the cgroup removal they
# rely on; the probe's own leave-nothing test. Again while stress-ng keeps every core busy:
# cleanup must wait for what it cleans, not for a moment that is long enough on a quiet
# machine. One package at a time: the probe's test compares the host before and after.
cleanup() {
  go test -count=1 -timeout 20m -run 'TestCancelLeavesNothing|FailedRunRemovesContainer|TestContainerdCancelDuringCreate|TestOCICancelDuringCreate|TestRemove|TestDirs' ./bench/ ./bench/internal/cgroup/
  go test -count=1 -timeout 5m -run 'TestLocalLeavesNothing' ./probe/
}
if command -v stress-ng >/dev/null 2>&1; then
  stress-ng --cpu 2 --timeout 30m --quiet &
  hog=$!
  trap 'kill $hog 2>/dev/null || true' EXIT
  cleanup
  kill $hog; wait $hog 2>/dev/null || true
  trap - EXIT
else
  echo "stress-ng is not installed (scripts/setup.sh installs it): the cleanup tests run without a hog"
  cleanup
fi

echo "== browser tests (Chromium with axe-core, Firefox): screenshots at 390, 768, 1280, 1920 px in ${ARTIFACTS:=$PWD/test-artifacts}"
mkdir -p "$ARTIFACTS"
go test -count=1 -timeout 15m -run 'TestE2E' -artifacts -outputdir "$ARTIFACTS" ./internal/server/

if [ "$FUZZTIME" != "0" ]; then
  echo "== fuzz (each target for $FUZZTIME)"
  for pkg in $(go list ./...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
      echo "-- $pkg $target"
      # A crash the fuzzer finds is saved under testdata/fuzz, so a retry replays it first
      # and fails for real; the retries only absorb the fuzzer's own hiccup ("context
      # deadline exceeded" when the time ends while a worker is busy, no input saved),
      # seen about once per run across the ~25 targets on this 2-core machine.
      fuzz() { go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 1s "$pkg"; }
      fuzz || fuzz || fuzz
    done
  done
fi

echo "== benchmarks (once each, so they cannot rot)"
go test -run '^$' -bench . -benchtime 1x -timeout 15m ./...
