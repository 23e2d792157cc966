package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/internal/server"
)

// TestServeWatch: strata serve --watch on a directory of Markdown follows a real
// filesystem: an editor's atomic save (a temporary file renamed over the document), a
// burst of saves (one or two reloads, not ten), a document deleted, a bad edit (the last
// good network stays served, the problems at their Markdown lines are in
// /api/v1/network/status), then the fix.
func TestServeWatch(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	table := func(title string, ids ...string) string {
		s := "# " + title + "\n\n| id | name |\n|---|---|\n"
		for _, id := range ids {
			s += "| **" + id + "** | item " + id + " |\n"
		}
		return s
	}
	write("relations.yaml", netgen.KBRelations)
	write("a.md", table("a", "P1", "P2")+"\n```text\nrank: P1 > P2\n```\n")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- Run(ctx, []string{"serve", "--network", dir, "--watch", "--watch.debounce", "300ms",
			"--web.listen-address", "127.0.0.1:0", "--log.level", "error"}, pw, io.Discard)
		pw.Close()
	}()
	defer func() {
		cancel()
		select {
		case <-code:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop after cancel")
		}
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(strings.TrimPrefix(line, "strata serve: "))

	status := func() server.NetworkStatus {
		t.Helper()
		resp, err := http.Get(base + "/api/v1/network/status")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st server.NetworkStatus
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	// until waits for the server to reach a state; the watcher reloads in its own time.
	until := func(what string, ok func(server.NetworkStatus) bool) server.NetworkStatus {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			st := status()
			if ok(st) {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30 s; status %+v", what, st)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	get := func(path string) int {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	st := status()
	if st.Generation != 1 || st.Stale {
		t.Fatalf("at start: %+v", st)
	}
	n0 := st.Entities - 2 // the embedded network's
	etag := func() string {
		resp, err := http.Get(base + "/api/v1/network")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("ETag")
	}
	tag0 := etag()

	// an atomic save: write a temporary file, rename it over the document
	write(".a.md.swp", table("a", "P1", "P2", "P3")+"\n```text\nrank: P1 > P2 > P3\n```\n")
	if err := os.Rename(filepath.Join(dir, ".a.md.swp"), filepath.Join(dir, "a.md")); err != nil {
		t.Fatal(err)
	}
	st = until("the atomic save", func(st server.NetworkStatus) bool { return st.Entities == n0+3 })
	if get("/api/v1/entities/P3") != 200 {
		t.Error("P3 is not served after the save")
	}
	if etag() == tag0 {
		t.Error("the network document kept its ETag after a reload")
	}

	// a burst of ten saves of a new document
	gen := st.Generation
	for i := range 10 {
		ids := []string{"Q0"}
		for j := 1; j <= i; j++ {
			ids = append(ids, fmt.Sprintf("Q%d", j))
		}
		write("b.md", table("b", ids...))
	}
	st = until("the burst", func(st server.NetworkStatus) bool { return st.Entities == n0+13 })
	if n := st.Generation - gen; n > 2 {
		t.Errorf("a burst of 10 saves made %d reloads", n)
	}

	// a document deleted
	if err := os.Remove(filepath.Join(dir, "b.md")); err != nil {
		t.Fatal(err)
	}
	st = until("the delete", func(st server.NetworkStatus) bool { return st.Entities == n0+3 })

	// a bad edit: the last good network stays, the problems are served
	gen = st.Generation
	write("a.md", table("a", "P1", "P2", "P3")+"\n```text\nrank: P1 > P2 > P9\n```\n")
	st = until("the bad edit", func(st server.NetworkStatus) bool { return st.Stale })
	if st.Generation != gen || st.Entities != n0+3 {
		t.Errorf("after a bad edit the network served changed: %+v", st)
	}
	found := false
	for _, p := range st.Problems {
		found = found || strings.HasSuffix(p.Pos.File, "a.md") && p.Pos.Line == 10 && strings.Contains(p.Message, "P9")
	}
	if !found {
		t.Errorf("the problem of the bad edit is not served at a.md:10: %+v", st.Problems)
	}
	if get("/api/v1/entities/P3") != 200 || get("/api/v1/compare?a=P1&b=P3") != 200 {
		t.Error("the last good network is not served while the files have problems")
	}

	// the fix
	write("a.md", table("a", "P1", "P2", "P3", "P4")+"\n```text\nrank: P1 > P2 > P3 > P4\n```\n")
	st = until("the fix", func(st server.NetworkStatus) bool { return !st.Stale && st.Entities == n0+4 })
	if st.Generation <= gen || len(st.Problems) != 0 {
		t.Errorf("after the fix: %+v", st)
	}
}
