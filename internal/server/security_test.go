package server_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/server"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/reason"
)

// TestMethods: every path answers the methods it serves and 405 with an Allow header for
// every other, /metrics included; unknown API paths are 404 whatever the method.
func TestMethods(t *testing.T) {
	s := newServer(t, server.Config{})
	served := map[string][]string{"/healthz": {"GET"}, "/readyz": {"GET"}, "/metrics": {"GET"}, "/": {"GET"}}
	fill := strings.NewReplacer("{name}", "L-3", "{relation}", "overhead")
	for _, rt := range s.Routes() {
		method, pattern, _ := strings.Cut(rt, " ")
		served[fill.Replace(pattern)] = append(served[fill.Replace(pattern)], method)
	}
	for path, methods := range served {
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"} {
			ok := false
			for _, sm := range methods {
				ok = ok || m == sm || (m == "HEAD" && sm == "GET")
			}
			if ok {
				continue
			}
			a := do(t, s, m, path, "", nil)
			if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") == "" || !bytes.Contains(a.body, []byte(`"code":"method-not-allowed"`)) {
				t.Errorf("%s %s: %d Allow=%q, want 405 with an Allow header\n%.200s", m, path, a.status, a.header.Get("Allow"), a.body)
			}
		}
	}
	for _, m := range []string{"GET", "DELETE", "PUT"} {
		if a := do(t, s, m, "/api/v1/nope", "", nil); a.status != 404 {
			t.Errorf("%s /api/v1/nope: %d", m, a.status)
		}
	}
}

// TestSecurityHeaders: every answer (JSON, errors, files, images, /metrics, the UI) tells
// the browser not to sniff its type and not to let any page frame it.
func TestSecurityHeaders(t *testing.T) {
	s, _ := resultsServer(t, map[string]string{})
	for _, tc := range []struct{ method, target, ctype, body string }{
		{"GET", "/api/v1/compare?a=L-4&b=L-2", "", ""},
		{"GET", "/api/v1/compare?a=L-4", "", ""},
		{"GET", "/api/v1/entities/L-33", "", ""},
		{"DELETE", "/api/v1/compare", "", ""},
		{"GET", "/api/v1/nope", "", ""},
		{"POST", "/api/v1/plan", "text/plain", edgeWorkload},
		{"POST", "/api/v1/plan", "application/yaml", edgeWorkload},
		{"GET", "/api/v1/network", "", ""},
		{"GET", "/api/v1/openapi.json", "", ""},
		{"GET", "/api/v1/manifests?scenario=edge&image=x", "", ""},
		{"GET", "/api/v1/results/bench.json", "", ""},
		{"GET", "/api/v1/results/bench.json/chart.svg", "", ""},
		{"GET", "/metrics", "", ""},
		{"DELETE", "/metrics", "", ""},
		{"GET", "/healthz", "", ""},
		{"GET", "/", "", ""},
		{"GET", "/nope.js", "", ""},
		{"POST", "/", "", ""},
	} {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		a := do(t, s, tc.method, tc.target, tc.ctype, body)
		h := a.header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s %s (%d): X-Content-Type-Options=%q X-Frame-Options=%q Content-Security-Policy=%q", tc.method, tc.target, a.status,
				h.Get("X-Content-Type-Options"), h.Get("X-Frame-Options"), h.Get("Content-Security-Policy"))
		}
	}
}

// hostAnswer sends GET path with the given Host header on a connection of its own.
func hostAnswer(t *testing.T, addr, path, host string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("Host %s: %v", host, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

// TestAllowedHosts: a server on loopback answers to localhost and the loopback addresses
// only, so a page whose DNS name rebinds to 127.0.0.1 cannot read it (421, on every route);
// --web.allowed-hosts replaces the list, and "*" turns the check off.
func TestAllowedHosts(t *testing.T) {
	addr, _, _, _ := startServe(t, server.Config{})
	_, port, _ := net.SplitHostPort(addr)
	for host, want := range map[string]int{
		"127.0.0.1:" + port: 200, "localhost:" + port: 200, "LOCALHOST.:" + port: 200, "[::1]:" + port: 200, "localhost": 200,
		"evil.example:" + port: 421, "127.0.0.1.nip.io:" + port: 421, "localhost.evil.example": 421, "10.0.0.1:" + port: 421,
	} {
		for _, p := range []string{"/api/v1/compare?a=L-4&b=L-2", "/metrics", "/", "/healthz"} {
			code, body := hostAnswer(t, addr, p, host)
			if code != want {
				t.Errorf("Host %s %s: %d, want %d", host, p, code, want)
			}
			if code == 421 && !strings.Contains(body, "--web.allowed-hosts") {
				t.Errorf("Host %s: the 421 does not say what to do: %s", host, body)
			}
		}
	}

	addr, _, _, _ = startServe(t, server.Config{AllowedHosts: []string{"strata.example.com", "10.0.0.5"}})
	for host, want := range map[string]int{"strata.example.com": 200, "Strata.Example.Com:8080": 200, "10.0.0.5:80": 200, "localhost": 421, "127.0.0.1": 421} {
		if code, _ := hostAnswer(t, addr, "/healthz", host); code != want {
			t.Errorf("allowed strata.example.com: Host %s: %d, want %d", host, code, want)
		}
	}
	addr, _, _, _ = startServe(t, server.Config{AllowedHosts: []string{"*"}})
	if code, _ := hostAnswer(t, addr, "/healthz", "anything.example"); code != 200 {
		t.Errorf(`allowed "*": %d`, code)
	}

	for _, bad := range [][]string{{"strata.example.com:8080"}, {"http://strata.example.com"}, {""}, {"[::1]:80"}} {
		cfg := server.Config{AllowedHosts: bad}
		cfg.Reasoner, cfg.Planner = deps(t)
		if _, err := server.New(cfg); err == nil {
			t.Errorf("allowed hosts %q accepted", bad)
		}
	}
}

// TestNoAbsolutePaths: the absolute paths of overlay and results files never reach a
// client: each is shown by its name, in facts' sources, reasons, problems, error messages
// and emitted files alike, on every route.
func TestNoAbsolutePaths(t *testing.T) {
	dir := t.TempDir() // outside the working directory: its files are shown by name
	overlay := filepath.Join(dir, "secret-overlay.yaml")
	writeFile(t, overlay, `apiVersion: strata.dev/v1alpha1
kind: Entities
metadata: {name: secret-runtimes}
spec:
  category: technology
  items:
    - id: secret-rt
      names: {en: Secret Runtime}
      relations: {represents: L-1}
---
apiVersion: strata.dev/v1alpha1
kind: Facts
metadata: {name: secret-claims}
spec:
  chains:
    - {relation: isolation-strength, chain: "L-3 > L-1"}
  facts:
    - {subject: secret-rt, relation: uses, object: KVM}
`)
	results := filepath.Join(dir, "gone.json")
	writeFile(t, results, `{}`)
	files, err := network.ReadFiles(overlay)
	if err != nil {
		t.Fatal(err)
	}
	n, err := network.Load(append(network.DefaultFiles(), files...))
	if err != nil {
		t.Fatal(err)
	}
	rsn, err := reason.New(n)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.New(rsn)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := server.New(server.Config{Reasoner: rsn, Planner: pl, Results: []string{results}})
	if err != nil {
		t.Fatal(err)
	}
	s := server.CheckedHandler(t, raw)
	os.Remove(results) // its errors name it too

	var all bytes.Buffer
	get := func(method, target, ctype, body string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		a := do(t, s, method, target, ctype, rd)
		for k, v := range a.header {
			fmt.Fprintf(&all, "%s: %s\n", k, v)
		}
		if strings.HasPrefix(a.header.Get("Content-Type"), "application/gzip") {
			gz, err := gzip.NewReader(bytes.NewReader(a.body))
			if err != nil {
				t.Fatal(err)
			}
			tr := tar.NewReader(gz)
			for {
				hdr, err := tr.Next()
				if err != nil {
					break
				}
				all.WriteString(hdr.Name + "\n")
				io.Copy(&all, tr)
			}
			return
		}
		all.Write(a.body)
	}
	fill := strings.NewReplacer("{name}", "secret-rt", "{relation}", "isolation-strength")
	for _, rt := range raw.Routes() {
		method, pattern, _ := strings.Cut(rt, " ")
		if method == "GET" {
			get("GET", fill.Replace(pattern), "", "")
		}
	}
	for _, target := range []string{
		"/api/v1/entities?q=secret", "/api/v1/entities/secret-rt", "/api/v1/entities/L-1", "/api/v1/compare?a=secret-rt&b=L-1",
		"/api/v1/compare?a=L-3&b=L-1", "/api/v1/why?a=L-3&op=%3E&b=L-1", "/api/v1/why?a=L-1&op=%3E&b=L-3",
		"/api/v1/path?from=secret-rt&to=KVM", "/api/v1/rank/isolation-strength", "/api/v1/contradictions",
		"/api/v1/pareto?criteria=isolation-strength:max,overhead:min", "/api/v1/plan?scenario=edge", "/api/v1/scenarios",
		"/api/v1/coordinates?stack=" + url.QueryEscape("K3s,Secret Runtime"), "/api/v1/results", "/api/v1/results/gone.json",
		"/api/v1/results/gone.json/chart.svg", "/api/v1/manifests?scenario=edge&image=x", "/api/v1/manifests?scenario=edge&image=x&format=yaml",
	} {
		get("GET", target, "", "")
	}
	wl := "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: {trust: untrusted, artifact: oci, image: x}\n"
	get("POST", "/api/v1/plan", "application/yaml", wl)
	get("POST", "/api/v1/manifests", "application/yaml", wl)

	got := all.String()
	if strings.Contains(got, dir) {
		i := strings.Index(got, dir)
		t.Errorf("an absolute path reached a client: …%s…", got[max(0, i-200):min(len(got), i+200)])
	}
	for _, want := range []string{"secret-overlay.yaml:", "gone.json"} {
		if !strings.Contains(got, want) {
			t.Errorf("the answers never name %s: the test saw none of the places a path could leak", want)
		}
	}
}
