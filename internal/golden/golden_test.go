package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what a check reports instead of failing the test.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.msgs = append(r.msgs, fmt.Sprint(args...)); runtime.Goexit() }

// run calls f with a recorder in a goroutine of its own (Fatal ends it) and returns what
// it reported.
func run(t *testing.T, f func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msgs
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	if msgs := run(t, func(tb testing.TB) { Check(tb, path, []byte("a\n"), false) }); len(msgs) != 1 || !strings.Contains(msgs[0], "-update creates it") {
		t.Errorf("a missing golden file: %q", msgs)
	}
	if msgs := run(t, func(tb testing.TB) { Check(tb, path, []byte("a\nb\n"), true) }); len(msgs) != 0 {
		t.Errorf("update: %q", msgs)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a\nb\n" {
		t.Errorf("update wrote %q, %v", b, err)
	}
	if msgs := run(t, func(tb testing.TB) { Check(tb, path, []byte("a\nb\n"), false) }); len(msgs) != 0 {
		t.Errorf("equal: %q", msgs)
	}
	msgs := run(t, func(tb testing.TB) { Check(tb, path, []byte("a\nc\n"), false) })
	if len(msgs) != 1 || !strings.Contains(msgs[0], "go test ./internal/golden -update rewrites it") ||
		!strings.HasSuffix(msgs[0], "@@ -1,2 +1,2 @@\n a\n-b\n+c\n") {
		t.Errorf("a different file: %q", msgs)
	}
}

func TestCheckDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "emit")
	files := []File{{"01-a.yaml", []byte("a\n")}, {"02-b.yaml", []byte("b\n")}}
	if msgs := run(t, func(tb testing.TB) { CheckDir(tb, dir, files, true) }); len(msgs) != 0 {
		t.Fatalf("update: %q", msgs)
	}
	if err := os.WriteFile(filepath.Join(dir, "stale.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	msgs := run(t, func(tb testing.TB) { CheckDir(tb, dir, files, false) })
	if len(msgs) != 1 || !strings.Contains(msgs[0], "[01-a.yaml 02-b.yaml stale.yaml]; made now: [01-a.yaml 02-b.yaml]") {
		t.Errorf("a file too many: %q", msgs)
	}
	if msgs := run(t, func(tb testing.TB) { CheckDir(tb, dir, files, true) }); len(msgs) != 0 {
		t.Fatalf("update: %q", msgs)
	}
	if msgs := run(t, func(tb testing.TB) { CheckDir(tb, dir, files, false) }); len(msgs) != 0 {
		t.Errorf("update removes what is no longer made: %q", msgs)
	}
	files[1].Data = []byte("B\n")
	msgs = run(t, func(tb testing.TB) { CheckDir(tb, dir, files, false) })
	if len(msgs) != 1 || !strings.Contains(msgs[0], "-b\n+B\n") {
		t.Errorf("a changed file: %q", msgs)
	}
}
