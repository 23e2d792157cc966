package server_test

import (
	"io"
	"os"
	"regexp"
	"sort"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/strata-dev/strata/internal/server"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func regexpAll(expr string, b []byte) []string {
	var out []string
	for _, m := range regexp.MustCompile(expr).FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

func keys(m map[string]trace.SpanContext) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func newRegistryConfig() server.Config { return server.Config{} }
