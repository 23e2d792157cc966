package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServe starts strata serve on a free port, asks it for /readyz and the API, and stops
// it by cancelling the context, as SIGTERM does.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- Run(ctx, []string{"serve", "--web.listen-address", "127.0.0.1:0", "--log.level", "error"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(strings.TrimPrefix(line, "strata serve: "))
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	for _, p := range []string{"/readyz", "/api/v1/compare?a=L-4&b=L-2", "/metrics"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("exit code %d after shutdown, want 0", c)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--results", "testdata/no-such-file.json"},
		{"serve", "--log.level", "loud"},
		{"serve", "extra"},
		{"serve", "--web.shutdown-delay", "-1s"},
		{"serve", "--web.shutdown-delay", "soon"},
		{"serve", "--web.allowed-hosts", "strata.example.com:8080"},
		{"serve", "--web.allowed-hosts", "http://strata.example.com"},
	} {
		var stderr strings.Builder
		if c := Run(context.Background(), args, io.Discard, &stderr); c != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, c, exitUsage, stderr.String())
		}
	}
}

// TestServeAllowedHosts: --web.allowed-hosts replaces the names the server answers to;
// without it, a loopback server answers to localhost and refuses other names (421).
func TestServeAllowedHosts(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		hosts map[string]int
	}{
		{nil, map[string]int{"localhost": 200, "127.0.0.1": 200, "rebound.example": 421}},
		{[]string{"--web.allowed-hosts", "strata.test,10.0.0.5"}, map[string]int{"strata.test": 200, "10.0.0.5": 200, "localhost": 421}},
		{[]string{"--web.allowed-hosts", "*"}, map[string]int{"anything.example": 200}},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		code := make(chan int, 1)
		go func() {
			code <- Run(ctx, append([]string{"serve", "--web.listen-address", "127.0.0.1:0", "--log.level", "error"}, tc.args...), pw, io.Discard)
			pw.Close()
		}()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil {
			cancel()
			t.Fatalf("%v: no address line: %v", tc.args, err)
		}
		go io.Copy(io.Discard, pr)
		base := strings.TrimSpace(strings.TrimPrefix(line, "strata serve: "))
		for host, want := range tc.hosts {
			req, _ := http.NewRequest("GET", base+"/healthz", nil)
			req.Host = host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%v: Host %s: %d, want %d", tc.args, host, resp.StatusCode, want)
			}
		}
		cancel()
		<-code
	}
}
