package server_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/strata-dev/strata/internal/server"
	"github.com/strata-dev/strata/internal/telemetry"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/reason"
)

var (
	setupOnce sync.Once
	rsn       *reason.Reasoner
	planner   *plan.Planner
	setupErr  error
)

func deps(t testing.TB) (*reason.Reasoner, *plan.Planner) {
	t.Helper()
	setupOnce.Do(func() {
		var n *network.Network
		if n, setupErr = network.Load(network.DefaultFiles()); setupErr != nil {
			return
		}
		if rsn, setupErr = reason.New(n); setupErr != nil {
			return
		}
		planner, setupErr = plan.New(rsn)
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	return rsn, planner
}

// checkedServer is a server whose every answer is checked against its OpenAPI document
// by kin-openapi (server.CheckedHandler), in every test that serves through it.
type checkedServer struct {
	*server.Server
	checked http.Handler
}

func (c *checkedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.checked.ServeHTTP(w, r) }

func newServer(t testing.TB, cfg server.Config) *checkedServer {
	t.Helper()
	cfg.Reasoner, cfg.Planner = deps(t)
	s, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &checkedServer{s, server.CheckedHandler(t, s)}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, a.body)
	}
	return m
}

func do(t testing.TB, h http.Handler, method, target, contentType string, body io.Reader) answer {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return answer{w.Code, w.Header(), w.Body.Bytes()}
}

const edgeWorkload = `apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: {name: thumbnailer}
spec:
  trust: untrusted
  artifact: wasm
  footprint: constrained
  startupBudget: 20ms
  sites: [edge]
`

// workloads is a body of n small Workload documents, w0 … w(n-1).
func workloads(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w%d}\nspec: {artifact: wasm}\n", i)
	}
	return b.String()
}

func TestAPI(t *testing.T) {
	s := newServer(t, server.Config{})
	tests := []struct {
		name, method, target, ctype, body string
		status                            int
		want                              []string // substrings of the body
	}{
		{"network", "GET", "/api/v1/network", "", "", 200, []string{`"entities"`, `"orders"`, `"isolation-strength"`}},
		{"derived facts", "GET", "/api/v1/network/derived", "", "", 200, []string{`"derived":[{`, `"kind":"derived"`, `"truncated":false`}},
		{"entities", "GET", "/api/v1/entities?limit=3", "", "", 200, []string{`"total"`}},
		{"search chinese", "GET", "/api/v1/entities?q=" + url.QueryEscape("容器"), "", "", 200, []string{`"id":"L-3"`, `"match":"zh"`}},
		{"search alias", "GET", "/api/v1/entities?q=containers", "", "", 200, []string{`"id":"L-3"`, `"match":"alias"`}},
		{"search category", "GET", "/api/v1/entities?category=scenario", "", "", 200, []string{`"id":"edge"`}},
		{"bad category", "GET", "/api/v1/entities?category=nope", "", "", 400, []string{`"code":"bad-request"`}},
		{"entity", "GET", "/api/v1/entities/L-3", "", "", 200, []string{`"id":"L-3"`, `"facts"`, `"derived"`}},
		{"entity by name", "GET", "/api/v1/entities/" + url.PathEscape("容器"), "", "", 200, []string{`"id":"L-3"`}},
		{"unknown entity", "GET", "/api/v1/entities/L-33", "", "", 404, []string{`"code":"unknown-entity"`, `"suggestion":`, `did you mean`}},
		{"compare", "GET", "/api/v1/compare?a=L-4&b=L-2", "", "", 200, []string{`"verdict":"greater"`, `"derivation"`}},
		{"compare missing", "GET", "/api/v1/compare?a=L-4", "", "", 400, []string{`missing query parameter(s): b`}},
		{"compare unknown", "GET", "/api/v1/compare?a=L-4&b=Kuberntes", "", "", 404, []string{`"suggestion":"Kubernetes"`}},
		{"why", "GET", "/api/v1/why?a=L-4&op=%3E&b=L-2&relation=isolation-strength", "", "", 200, []string{`"holds":true`}},
		{"why bad op", "GET", "/api/v1/why?a=L-4&op=~&b=L-2", "", "", 400, []string{`unknown operator`}},
		{"why unknown relation", "GET", "/api/v1/why?a=L-4&op=%3E&b=L-2&relation=isolation-strenght", "", "", 404, []string{`"code":"unknown-relation-type"`, `isolation-strength`}},
		{"rank", "GET", "/api/v1/rank/isolation-strength", "", "", 200, []string{`"layers"`, `"rank":1`}},
		{"path", "GET", "/api/v1/path?from=A1&to=A7", "", "", 200, []string{`"found":true`}},
		{"pareto", "GET", "/api/v1/pareto?criteria=isolation-strength:max,overhead:min", "", "", 200, []string{`"front":["L-3","L-4"]`}},
		{"pareto repeated", "GET", "/api/v1/pareto?criteria=isolation-strength:max&criteria=overhead:min&among=L-0,L-1,L-2", "", "", 200, []string{`"front"`}},
		{"pareto no criteria", "GET", "/api/v1/pareto", "", "", 400, []string{`criteria`}},
		{"pareto bad direction", "GET", "/api/v1/pareto?criteria=overhead:up", "", "", 400, []string{`max or min`}},
		{"contradictions", "GET", "/api/v1/contradictions", "", "", 200, []string{`"contradictions":[]`}},
		{"plan scenario", "GET", "/api/v1/plan?scenario=edge", "", "", 200, []string{`"workload":"edge"`, `"coordinates"`, `"reasons"`}},
		{"plan scenario 2016", "GET", "/api/v1/plan?scenario=edge&asOf=2016", "", "", 422, []string{`"code":"unsatisfiable"`, `"unsatisfiable"`}},
		{"plan not a scenario", "GET", "/api/v1/plan?scenario=L-3", "", "", 400, []string{`not a scenario`}},
		{"plan unknown scenario", "GET", "/api/v1/plan?scenario=edg", "", "", 404, []string{`"suggestion"`}},
		{"plan bad asOf", "GET", "/api/v1/plan?scenario=edge&asOf=soon", "", "", 400, []string{`asOf`}},
		// The years asOf takes are the same in the query and in a Workload (plan.MinAsOf, plan.MaxAsOf).
		{"plan asOf first year", "GET", fmt.Sprintf("/api/v1/plan?scenario=edge&asOf=%d", plan.MinAsOf), "", "", 422, []string{`"code":"unsatisfiable"`}},
		{"plan asOf before", "GET", fmt.Sprintf("/api/v1/plan?scenario=edge&asOf=%d", plan.MinAsOf-1), "", "", 400, []string{fmt.Sprintf("from %d to %d", plan.MinAsOf, plan.MaxAsOf)}},
		{"plan asOf last year", "GET", fmt.Sprintf("/api/v1/plan?scenario=edge&asOf=%d", plan.MaxAsOf), "", "", 200, []string{`"workload":"edge"`}},
		{"plan asOf after", "GET", fmt.Sprintf("/api/v1/plan?scenario=edge&asOf=%d", plan.MaxAsOf+1), "", "", 400, []string{`asOf`}},
		{"workload asOf first year", "POST", "/api/v1/plan", "application/yaml", fmt.Sprintf("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: {asOf: %d}\n", plan.MinAsOf), 422, []string{`"code":"unsatisfiable"`}},
		{"workload asOf after", "POST", "/api/v1/plan", "application/yaml", fmt.Sprintf("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: {asOf: %d}\n", plan.MaxAsOf+1), 400, []string{`spec.asOf`}},
		{"plan yaml", "POST", "/api/v1/plan", "application/yaml", edgeWorkload, 200, []string{`"workload":"thumbnailer"`, `"layer":"L-4"`}},
		{"plan json", "POST", "/api/v1/plan", "application/json", `{"apiVersion":"strata.dev/v1alpha1","kind":"Workload","metadata":{"name":"fn"},"spec":{"trust":"untrusted","artifact":"wasm"}}`, 200, []string{`"workload":"fn"`}},
		{"plan bad yaml", "POST", "/api/v1/plan", "application/yaml", "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: fn}\nspec:\n  trust: sometimes\n  colour: blue\n", 400,
			[]string{`"code":"invalid-input"`, `"problems"`, `"file":"request.yaml","line":5`, `"line":6`}},
		{"plan bad json", "POST", "/api/v1/plan", "application/json", `{"apiVersion":"strata.dev/v1alpha1","kind":"Workload","metadata":{"name":"fn"},"spec":{"gpu":-1}}`, 400, []string{`"file":"request.json","line":1`}},
		{"plan no workload", "POST", "/api/v1/plan", "application/yaml", "a: b\n", 400, nil},
		{"plan media type", "POST", "/api/v1/plan", "text/html", "<p>", 415, []string{`"code":"unsupported-media-type"`}},
		// Bodies a web page can make a browser send cross-site without a CORS preflight.
		{"plan text/plain", "POST", "/api/v1/plan", "text/plain;charset=UTF-8", edgeWorkload, 415, []string{`"code":"unsupported-media-type"`, `text/plain is refused`, `application/yaml`}},
		{"plan form", "POST", "/api/v1/plan", "application/x-www-form-urlencoded", edgeWorkload, 415, []string{`x-www-form-urlencoded is refused`, `--data-binary`}},
		{"plan multipart", "POST", "/api/v1/plan", "multipart/form-data; boundary=x", "--x\r\n\r\n" + edgeWorkload + "\r\n--x--\r\n", 415, []string{`multipart/form-data is refused`}},
		{"plan no content type", "POST", "/api/v1/plan", "", edgeWorkload, 415, []string{`no Content-Type`}},
		// A charset says how to read the bytes: one strata does not read them as is refused,
		// not ignored (the YAML would be read as UTF-8 and fail, or worse, pass, elsewhere).
		{"plan charset utf-8", "POST", "/api/v1/plan", "application/yaml; charset=UTF-8", edgeWorkload, 200, []string{`"workload":"thumbnailer"`}},
		{"plan charset latin1", "POST", "/api/v1/plan", "application/yaml; charset=iso-8859-1", edgeWorkload, 415, []string{`"code":"unsupported-media-type"`, `charset iso-8859-1`, `UTF-8`}},
		{"plan json charset shift_jis", "POST", "/api/v1/plan", "application/json; charset=shift_jis", `{}`, 415, []string{`charset shift_jis`}},
		{"manifests text/plain", "POST", "/api/v1/manifests?image=x", "text/plain", edgeWorkload, 415, []string{`text/plain is refused`}},
		{"manifests no content type", "POST", "/api/v1/manifests?image=x", "", edgeWorkload, 415, []string{`no Content-Type`}},
		{"plan text/yaml", "POST", "/api/v1/plan", "text/yaml", edgeWorkload, 200, []string{`"workload":"thumbnailer"`}},
		{"plan unsatisfiable", "POST", "/api/v1/plan", "application/yaml", "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: edge-2016}\nspec: {footprint: constrained, asOf: 2016, requirements: [fast start-up]}\n", 422, []string{`requirements in conflict`}},
		{"plan too large", "POST", "/api/v1/plan", "application/yaml", strings.Repeat("#", server.MaxBodyBytes+1), 413, []string{`"code":"too-large"`}},
		{"plan too many workloads", "POST", "/api/v1/plan", "application/yaml", workloads(server.MaxWorkloads + 1), 413,
			[]string{`"code":"too-many-workloads"`, `101 YAML documents`, `at most 100 Workload documents`}},
		{"plan most workloads", "POST", "/api/v1/plan", "application/yaml", workloads(server.MaxWorkloads) + "---\n# the end\n---\n", 200, []string{`"workload":"w99"`}},
		{"manifests too many workloads", "POST", "/api/v1/manifests?image=x", "application/yaml", workloads(9000), 413, []string{`"code":"too-many-workloads"`}},
		{"manifests no image", "GET", "/api/v1/manifests?scenario=edge", "", "", 400, []string{`no image to run`, `image=REF`}},
		{"manifests bad image", "GET", "/api/v1/manifests?scenario=edge&image=" + url.QueryEscape("a b"), "", "", 400, []string{`not an image reference`}},
		{"manifests bad format", "GET", "/api/v1/manifests?scenario=edge&image=x&format=zip", "", "", 400, []string{`use tar`}},
		{"manifests unknown scenario", "GET", "/api/v1/manifests?scenario=edg&image=x", "", "", 404, []string{`"suggestion"`}},
		{"manifests 2016", "GET", "/api/v1/manifests?scenario=edge&image=x&asOf=2016", "", "", 422, []string{`"code":"unsatisfiable"`}},
		{"manifests bad workload", "POST", "/api/v1/manifests", "application/yaml", "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: fn}\nspec: {image: \"a b\"}\n", 400, []string{`"line":4`, `spec.image`}},
		{"scenarios", "GET", "/api/v1/scenarios", "", "", 200, []string{`"scenario":"edge"`, `"agrees":true`}},
		{"coordinates", "GET", "/api/v1/coordinates?stack=K3s,WasmEdge", "", "", 200, []string{`"coordinates":{"x":2,"y":4,"z":3}`}},
		{"coordinates plus", "GET", "/api/v1/coordinates?stack=" + url.QueryEscape("K3s+WasmEdge"), "", "", 200, []string{`"x":2`}},
		// An unescaped '+' decodes as a space.
		{"coordinates raw plus", "GET", "/api/v1/coordinates?stack=K3s+WasmEdge", "", "", 200, []string{`"stack":["K3s","WasmEdge"]`, `"coordinates":{"x":2,"y":4,"z":3}`}},
		{"coordinates spaces", "GET", "/api/v1/coordinates?stack=K3s+Open+Policy+Agent,WasmEdge", "", "", 200, []string{`"stack":["K3s","OPA","WasmEdge"]`}},
		{"coordinates unknown", "GET", "/api/v1/coordinates?stack=K3s+WasmEdgy", "", "", 404, []string{`"suggestion":"WasmEdge"`}},
		{"coordinates none", "GET", "/api/v1/coordinates", "", "", 400, nil},
		// Query parameters are held to what the operation declares, before any work.
		{"pareto among over the cap", "GET", "/api/v1/pareto?criteria=overhead:min&among=" + strings.Repeat("L-3,", server.MaxAmong+1), "", "", 400, []string{`"code":"too-many-items"`, `at most 256`}},
		{"pareto among near the cap", "GET", "/api/v1/pareto?criteria=overhead:min&among=" + strings.Repeat("L-3,L-4,", server.MaxAmong/2), "", "", 200, []string{`"front":["L-3"]`}},
		{"pareto duplicates count once", "GET", "/api/v1/pareto?criteria=isolation-strength:max,overhead:min,overhead:min&among=L-3,L-3," + url.QueryEscape("容器") + ",L-4&among=L-4", "", "", 200,
			[]string{`"criteria":["isolation-strength:max","overhead:min"]`, `"front":["L-3","L-4"]`}},
		{"pareto criteria over the cap", "GET", "/api/v1/pareto?criteria=" + strings.Repeat("overhead:min,", server.MaxCriteria+1), "", "", 400, []string{`"code":"too-many-items"`}},
		{"coordinates stack over the cap", "GET", "/api/v1/coordinates?stack=" + strings.Repeat("K3s,", server.MaxStack+1), "", "", 400, []string{`"code":"too-many-items"`, `stack`}},
		{"coordinates long name", "GET", "/api/v1/coordinates?stack=" + strings.Repeat("x", server.MaxParamBytes+1), "", "", 400, []string{`"code":"too-long"`}},
		{"entity long name", "GET", "/api/v1/entities/" + strings.Repeat("x", server.MaxParamBytes+1), "", "", 400, []string{`"code":"too-long"`, `name in the path`}},
		{"compare long name", "GET", "/api/v1/compare?a=L-4&b=" + strings.Repeat("x", 16<<10), "", "", 400, []string{`"code":"too-long"`}},
		{"search long text", "GET", "/api/v1/entities?q=" + strings.Repeat("x", server.MaxParamBytes+1), "", "", 400, []string{`"code":"too-long"`}},
		{"manifests long image", "GET", "/api/v1/manifests?scenario=edge&image=" + strings.Repeat("x", server.MaxImageBytes+1), "", "", 400, []string{`"code":"too-long"`}},
		{"unknown parameter", "GET", "/api/v1/why?a=L-4&op=%3E&b=L-2&relaton=overhead", "", "", 400, []string{`"code":"unknown-parameter"`, `"suggestion":"relation"`}},
		{"parameter on a route without any", "GET", "/api/v1/scenarios?x=1", "", "", 400, []string{`"code":"unknown-parameter"`, `takes none`}},
		{"long unknown parameter", "GET", "/api/v1/scenarios?" + strings.Repeat("k", 40<<10) + "=1", "", "", 400, []string{`"code":"unknown-parameter"`, `kkkk…`}},
		{"parameter given twice", "GET", "/api/v1/compare?a=L-4&a=L-3&b=L-2", "", "", 400, []string{`given 2 times`}},
		// A query Go's parser cannot read drops the pair without a word: the relation (or any
		// other parameter) would silently fall back to its default.
		{"semicolon in the query", "GET", "/api/v1/compare?a=L-4&b=L-2;relation=overhead", "", "", 400, []string{`"code":"bad-query"`, `b=L-2;relation=overhead`, `semicolon`, `%3B`}},
		{"bad escape in the query", "GET", "/api/v1/compare?a=L-4&b=L-2&relation=overhead%zz", "", "", 400, []string{`"code":"bad-query"`, `relation=overhead%zz`, `%25`}},
		{"bad escape in a name", "GET", "/api/v1/scenarios?x%zz=1", "", "", 400, []string{`"code":"bad-query"`}},
		{"value not UTF-8", "GET", "/api/v1/compare?a=L-4&b=L-%ff", "", "", 400, []string{`"code":"bad-query"`, `UTF-8`}},
		{"NUL in a value", "GET", "/api/v1/compare?a=L-4&b=L-2%00", "", "", 400, []string{`"code":"bad-query"`, `control character`}},
		{"escaped semicolon is a value", "GET", "/api/v1/entities?q=a%3Bb", "", "", 200, nil},
		{"results", "GET", "/api/v1/results", "", "", 200, []string{`"results":[]`}},
		{"result unknown", "GET", "/api/v1/results/x.json", "", "", 404, []string{`"code":"unknown-result"`}},
		{"method not allowed", "DELETE", "/api/v1/compare", "", "", 405, []string{`"code":"method-not-allowed"`}},
		{"no such endpoint", "GET", "/api/v1/nope", "", "", 404, []string{`"code":"not-found"`}},
		{"healthz", "GET", "/healthz", "", "", 200, []string{`"ok"`}},
		{"readyz", "GET", "/readyz", "", "", 200, []string{`"ready"`}},
		{"openapi", "GET", "/api/v1/openapi.json", "", "", 200, []string{`"openapi":"3.0.3"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			a := do(t, s, tt.method, tt.target, tt.ctype, body)
			if a.status != tt.status {
				t.Errorf("status %d, want %d\n%s", a.status, tt.status, a.body)
			}
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if tt.status >= 400 {
				m := a.json(t)
				e, _ := m["error"].(map[string]any)
				if e == nil || e["message"] == "" || e["code"] == "" || e["status"] != float64(tt.status) {
					t.Errorf("error body lacks status/code/message: %s", a.body)
				}
			}
			for _, w := range tt.want {
				if !bytes.Contains(a.body, []byte(w)) {
					t.Errorf("body lacks %s:\n%.2000s", w, a.body)
				}
			}
		})
	}
}

// TestContentEncodingRefused: a body whose Content-Encoding strata does not undo is
// refused (415, RFC 9110 §8.4.1), never read as if it were plain: gzip bytes came back as
// "control character U+001F at 1:1", and a plain body labelled br was planned.
func TestContentEncodingRefused(t *testing.T) {
	s := newServer(t, server.Config{})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(edgeWorkload))
	zw.Close()
	for _, tc := range []struct {
		encoding string
		body     []byte
		status   int
	}{
		{"gzip", gz.Bytes(), 415},
		{"br", []byte(edgeWorkload), 415},
		{"gzip, identity", gz.Bytes(), 415},
		{"identity", []byte(edgeWorkload), 200},
		{"", []byte(edgeWorkload), 200},
	} {
		for _, path := range []string{"/api/v1/plan", "/api/v1/manifests?image=x"} {
			r := httptest.NewRequest("POST", path, bytes.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/yaml")
			if tc.encoding != "" {
				r.Header.Set("Content-Encoding", tc.encoding)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Errorf("%s Content-Encoding %q: %d, want %d\n%.300s", path, tc.encoding, w.Code, tc.status, w.Body)
			}
			if tc.status == 415 && !strings.Contains(w.Body.String(), "send the body uncompressed") {
				t.Errorf("%s Content-Encoding %q: the answer does not say what to do:\n%.300s", path, tc.encoding, w.Body)
			}
		}
	}
}

// TestManifestsDownload: the archive holds exactly the files strata plan --emit writes
// (the plan package's goldens), and format=yaml the cluster objects as one stream.
func TestManifestsDownload(t *testing.T) {
	s := newServer(t, server.Config{})
	a := do(t, s, "GET", "/api/v1/manifests?scenario=edge&image=ghcr.io/example/edge:1.0&namespace=apps", "", nil)
	if a.status != 200 || a.header.Get("Content-Type") != "application/gzip" || a.header.Get("Content-Disposition") != `attachment; filename="edge-manifests.tar.gz"` {
		t.Fatalf("%d %v\n%.500s", a.status, a.header, a.body)
	}
	gz, err := gzip.NewReader(bytes.NewReader(a.body))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	golden := filepath.Join("..", "..", "plan", "testdata", "emit", "edge")
	want, err := os.ReadDir(golden)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		data, _ := io.ReadAll(tr)
		exp, err := os.ReadFile(filepath.Join(golden, strings.TrimPrefix(hdr.Name, "edge-manifests/")))
		if err != nil || !bytes.Equal(data, exp) {
			t.Errorf("%s differs from the golden emitted file (%v)", hdr.Name, err)
		}
	}
	if n != len(want) {
		t.Errorf("archive has %d files, strata plan --emit writes %d", n, len(want))
	}

	y := do(t, s, "POST", "/api/v1/manifests?format=yaml&image=ghcr.io/example/x:1", "application/yaml", strings.NewReader(edgeWorkload))
	if y.status != 200 || y.header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("yaml: %d %s", y.status, y.body)
	}
	docs := strings.Split(string(y.body), "---\n")[1:]
	kinds := map[string]bool{}
	for _, d := range docs {
		var m struct{ Kind string }
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatalf("document does not parse: %v\n%s", err, d)
		}
		kinds[m.Kind] = true
	}
	for _, k := range []string{"RuntimeClass", "ConstraintTemplate", "Deployment"} {
		if !kinds[k] {
			t.Errorf("yaml stream lacks a %s: %v", k, kinds)
		}
	}
	if kinds["ContainerdConfig"] || kinds[""] {
		t.Errorf("yaml stream has a node file or an empty document: %v", kinds)
	}

	// A single host (X=0) gets a Compose file and a docker run line, which are no cluster
	// objects: in the archive, not in the yaml stream.
	solo := "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: solo}\nspec: {sites: [single-host], image: busybox}\n"
	a = do(t, s, "POST", "/api/v1/manifests", "application/yaml", strings.NewReader(solo))
	if a.status != 200 || !bytes.Contains(gunzip(t, a.body), []byte("solo-manifests/60-compose-solo.yaml")) {
		t.Errorf("single host: %d, archive without the Compose file", a.status)
	}
	y = do(t, s, "POST", "/api/v1/manifests?format=yaml", "application/yaml", strings.NewReader(solo))
	if y.status != 200 || bytes.Contains(y.body, []byte("services:")) {
		t.Errorf("single host yaml stream: %d\n%s", y.status, y.body)
	}
}

// gunzip returns the decompressed body (a tar's headers and contents, for searching).
func gunzip(t *testing.T, body []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestMethodNotAllowedAllow(t *testing.T) {
	s := newServer(t, server.Config{})
	a := do(t, s, "PUT", "/api/v1/plan", "", nil)
	if a.status != 405 || a.header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("PUT /api/v1/plan: %d Allow=%q", a.status, a.header.Get("Allow"))
	}
	if a := do(t, s, "HEAD", "/api/v1/network", "", nil); a.status != 200 || len(a.body) != 0 {
		t.Errorf("HEAD /api/v1/network: %d with %d bytes", a.status, len(a.body))
	}
}

// TestNetworkETag: If-None-Match uses the weak comparison of RFC 9110 §13.1.2, so a
// weak validator (as proxies that compress write it), a list and "*" all match.
func TestNetworkETag(t *testing.T) {
	s := newServer(t, server.Config{})
	a := do(t, s, "GET", "/api/v1/network", "", nil)
	etag := a.header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) {
		t.Fatalf("ETag %q", etag)
	}
	for _, tc := range []struct {
		inm  string
		want int
	}{
		{etag, http.StatusNotModified},
		{"W/" + etag, http.StatusNotModified},
		{`"other", ` + etag, http.StatusNotModified},
		{`W/"other",W/` + etag + ` , "third"`, http.StatusNotModified},
		{"*", http.StatusNotModified},
		{`"other"`, http.StatusOK},
		{`W/"other", "x,y"`, http.StatusOK},
		{strings.Trim(etag, `"`), http.StatusOK}, // not an entity-tag
		{`"`, http.StatusOK},
	} {
		r := httptest.NewRequest("GET", "/api/v1/network", nil)
		r.Header.Set("If-None-Match", tc.inm)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("If-None-Match %s: %d, want %d", tc.inm, w.Code, tc.want)
		}
		if w.Code == http.StatusNotModified && w.Body.Len() != 0 {
			t.Errorf("If-None-Match %s: 304 with a body", tc.inm)
		}
	}
}

// TestOpenAPIMatchesRoutes checks the document against the handlers: the same set of
// method + path, every operation answers (not 404 or 405) and every schema reference
// resolves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newServer(t, server.Config{})
	a := do(t, s, "GET", "/api/v1/openapi.json", "", nil)
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(a.body, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(documented)
	if routes := s.Routes(); !slices.Equal(documented, routes) {
		t.Fatalf("OpenAPI paths differ from the routes:\ndocumented %v\nregistered %v", documented, routes)
	}
	fill := strings.NewReplacer("{name}", "L-3", "{relation}", "overhead")
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		if strings.HasPrefix(path, "/api/v1/results/{name}") {
			continue // no results files in this server (results_test.go serves some)
		}
		ans := do(t, s, method, fill.Replace(path), "application/yaml", strings.NewReader(edgeWorkload))
		if ans.status == 404 || ans.status == 405 {
			t.Errorf("%s: %d %s", op, ans.status, ans.body)
		}
	}
	for _, ref := range regexpAll(`"\$ref":"#/components/schemas/([^"]+)"`, a.body) {
		if _, ok := doc.Components.Schemas[ref]; !ok {
			t.Errorf("$ref to missing schema %s", ref)
		}
	}
}

func TestResults(t *testing.T) {
	dir := t.TempDir()
	good, bad := dir+"/probe.json", dir+"/broken.json"
	writeFile(t, good, `{"host":"h","layers":[]}`)
	writeFile(t, bad, `{`)
	s := newServer(t, server.Config{Results: []string{good, bad}})
	if a := do(t, s, "GET", "/api/v1/results", "", nil); !bytes.Contains(a.body, []byte(`"name":"probe.json"`)) {
		t.Errorf("list: %s", a.body)
	}
	if a := do(t, s, "GET", "/api/v1/results/probe.json", "", nil); a.status != 200 || string(a.body) != `{"host":"h","layers":[]}` {
		t.Errorf("probe.json: %d %s", a.status, a.body)
	}
	// Read on each request: a rewritten file is served as it is now.
	writeFile(t, good, `{"host":"h2"}`)
	if a := do(t, s, "GET", "/api/v1/results/probe.json", "", nil); string(a.body) != `{"host":"h2"}` {
		t.Errorf("after rewrite: %s", a.body)
	}
	if a := do(t, s, "GET", "/api/v1/results/broken.json", "", nil); a.status != 500 {
		t.Errorf("broken.json: %d %s", a.status, a.body)
	}
	// Any JSON value is served as it is, as the document says (not only objects).
	writeFile(t, good, `[1, "two"]`)
	if a := do(t, s, "GET", "/api/v1/results/probe.json", "", nil); a.status != 200 || string(a.body) != `[1, "two"]` {
		t.Errorf("an array: %d %s", a.status, a.body)
	}
	cfg := server.Config{Results: []string{dir + "/missing.json"}}
	cfg.Reasoner, cfg.Planner = deps(t)
	if _, err := server.New(cfg); err == nil {
		t.Error("a missing --results file is accepted")
	}
}

// TestObservability: with a recording tracer, every request has a span, the plan and
// reason steps have child spans, log lines carry trace_id and span_id, and the latency
// histogram carries the trace id as an exemplar.
func TestObservability(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	var logs bytes.Buffer
	var mu sync.Mutex
	log := telemetry.NewLogger(lockedWriter{&mu, &logs}, -4)
	s := newServer(t, server.Config{TracerProvider: tp, Logger: log, Registry: prometheus.NewRegistry()})

	a := do(t, s, "GET", "/api/v1/compare?a=L-4&b=L-2", "", nil)
	if a.status != 200 {
		t.Fatal(a.status)
	}
	// A trace context from the caller is continued.
	r := httptest.NewRequest("GET", "/api/v1/plan?scenario=edge", nil)
	r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	s.ServeHTTP(httptest.NewRecorder(), r)

	names := map[string]trace.SpanContext{}
	for _, sp := range rec.Ended() {
		names[sp.Name()] = sp.SpanContext()
	}
	for _, n := range []string{"GET /api/v1/compare", "reason.compare", "GET /api/v1/plan", "plan.Plan"} {
		if _, ok := names[n]; !ok {
			t.Errorf("no span %q (have %v)", n, keys(names))
		}
	}
	if got := names["GET /api/v1/plan"].TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("plan span trace id %s, want the caller's", got)
	}
	mu.Lock()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	mu.Unlock()
	if len(lines) < 2 {
		t.Fatalf("log lines: %q", lines)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		if m["trace_id"] == nil || m["span_id"] == nil || m["route"] == nil || m["status"] == nil {
			t.Errorf("log line lacks trace_id/span_id/route/status: %s", l)
		}
	}

	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	body := w.Body.String()
	want := `trace_id="` + names["GET /api/v1/compare"].TraceID().String() + `"`
	if !strings.Contains(body, want) {
		t.Errorf("metrics carry no exemplar %s:\n%.3000s", want, body)
	}
	for _, m := range []string{server.MetricRequests, server.MetricDuration, server.MetricPlanDuration, server.MetricReasonDuration, server.MetricEntities, server.MetricFacts} {
		if !strings.Contains(body, m) {
			t.Errorf("metrics lack %s", m)
		}
	}
	if !strings.Contains(body, `strata_http_requests_total{code="200",method="GET",route="/api/v1/compare"} 1`) {
		t.Errorf("no request count for compare:\n%.3000s", body)
	}
}

// startServe runs Serve on a loopback port and returns its address, the cancel that
// stops it, and where its result arrives.
func startServe(t *testing.T, cfg server.Config) (addr string, stop context.CancelFunc, done <-chan error, client *http.Client) {
	t.Helper()
	s := newServer(t, cfg)
	// Each test's own connections, and every answer checked against the document.
	client = &http.Client{Transport: server.CheckingTransport{TB: t, Server: s.Server, Base: &http.Transport{DisableKeepAlives: true}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d := make(chan error, 1)
	go func() { d <- s.Serve(ctx, ln) }()
	return ln.Addr().String(), cancel, d, client
}

// startPlan sends the head of a POST /api/v1/plan on a connection of its own and returns
// once the handler is reading the body: it asks Expect: 100-continue, and net/http
// answers 100 Continue on the handler's first read. The handler then waits for the body.
func startPlan(t *testing.T, addr, body string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /api/v1/plan HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(body))
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("want 100 Continue, got %q (%v)", line, err)
	}
	if line, err := br.ReadString('\n'); err != nil || line != "\r\n" {
		t.Fatalf("after 100 Continue: %q (%v)", line, err)
	}
	return conn, br
}

// TestServeShutdown: with a request in flight when the context is cancelled, /readyz
// answers 503 while Serve keeps serving for the shutdown delay, the request in flight
// finishes with 200, and Serve returns nil and stops listening.
func TestServeShutdown(t *testing.T) {
	const delay = time.Second // only a bound: the test waits for events, not for this
	addr, stop, done, client := startServe(t, server.Config{ShutdownDelay: delay})
	base := "http://" + addr
	get := func(p string) (int, error) {
		resp, err := client.Get(base + p)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := get("/readyz"); err != nil || code != 200 {
		t.Fatalf("readyz before shutdown: %d %v", code, err)
	}

	conn, br := startPlan(t, addr, edgeWorkload)
	stop() // as SIGTERM does, with the plan request in flight

	// Not ready at once, while still answering: the drain delay has begun.
	start := time.Now()
	for {
		code, err := get("/readyz")
		if err != nil {
			t.Fatalf("/readyz failed (%v) before it answered 503: the listener closed without a drain", err)
		}
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Since(start) > delay {
			t.Fatalf("/readyz still %d after the shutdown began", code)
		}
	}
	if code, err := get("/healthz"); err != nil || code != 200 {
		t.Errorf("healthz while draining: %d %v", code, err)
	}

	// The request in flight completes.
	if _, err := io.WriteString(conn, edgeWorkload); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("request in flight: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"workload":"thumbnailer"`)) {
		t.Errorf("request in flight: %d %s", resp.StatusCode, b)
	}

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(delay + server.ShutdownTimeout + 5*time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := get("/healthz"); err == nil {
		t.Error("still answering after shutdown")
	}
}

// TestServeShutdownTimeout: a request that outlives the shutdown timeout has its
// connection closed, and Serve says the shutdown timed out.
func TestServeShutdownTimeout(t *testing.T) {
	addr, stop, done, _ := startServe(t, server.Config{ShutdownTimeout: 50 * time.Millisecond})
	conn, br := startPlan(t, addr, edgeWorkload) // the body never comes
	stop()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Serve: %v, want the shutdown's deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the shutdown timeout")
	}
	// Closed now, not when the read timeout ends the handler's wait.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := br.ReadString('\n')
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("connection still open after the shutdown timeout: read %q, %v", line, err)
	}
}

// TestPlanOutcomes: the plan histogram's outcome says what happened to each workload,
// for /plan and /manifests alike, and the scenario table has an outcome of its own.
func TestPlanOutcomes(t *testing.T) {
	s := newServer(t, server.Config{Registry: prometheus.NewRegistry()})
	notARequirement := "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: odd}\nspec: {requirements: [L-3]}\n"
	unsat := "apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: edge-2016}\nspec: {footprint: constrained, asOf: 2016, requirements: [fast start-up]}\n"
	for _, tc := range []struct {
		method, target, body string
		status               int
	}{
		{"POST", "/api/v1/manifests?image=x", notARequirement, 400},
		{"POST", "/api/v1/manifests?image=x", unsat, 422},
		{"POST", "/api/v1/manifests?image=x", edgeWorkload, 200},
		{"POST", "/api/v1/plan", notARequirement, 400},
		{"GET", "/api/v1/scenarios", "", 200},
	} {
		a := do(t, s, tc.method, tc.target, "application/yaml", strings.NewReader(tc.body))
		if a.status != tc.status {
			t.Errorf("%s %s: %d, want %d\n%s", tc.method, tc.target, a.status, tc.status, a.body)
		}
	}
	scrape := string(do(t, s, "GET", "/metrics", "", nil).body)
	for _, want := range []string{
		`strata_plan_duration_seconds_count{outcome="error"} 2`,
		`strata_plan_duration_seconds_count{outcome="unsatisfiable"} 1`,
		`strata_plan_duration_seconds_count{outcome="planned"} 1`,
		`strata_plan_duration_seconds_count{outcome="scenarios"} 1`,
	} {
		if !strings.Contains(scrape, want) {
			t.Errorf("metrics lack %s:\n%s", want, regexpAll(`(?m)^(strata_plan_duration_seconds_count.*)$`, []byte(scrape)))
		}
	}
}

func TestUI(t *testing.T) {
	s := newServer(t, server.Config{})
	for _, p := range []string{"/", "/index.html"} {
		a := do(t, s, "GET", p, "", nil)
		if a.status != 200 || !bytes.Contains(a.body, []byte("<html")) {
			t.Errorf("%s: %d %.200s", p, a.status, a.body)
		}
	}
	// The UI's views are hash routes (/#/explorer): any other path is no page of the UI,
	// and says so as every error does, instead of answering index.html with 200.
	for _, p := range []string{"/nope", "/explorer", "/favicon.icox", "/etc", "/assets", "/assets/", "/index.html/x", "/assets/nope.js"} {
		for _, m := range []string{"GET", "HEAD"} {
			a := do(t, s, m, p, "", nil)
			if a.status != 404 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") ||
				m == "GET" && !bytes.Contains(a.body, []byte(`"code":"not-found"`)) {
				t.Errorf("%s %s: %d %s %.200s, want 404 with the error body", m, p, a.status, a.header.Get("Content-Type"), a.body)
			}
		}
	}
	if a := do(t, s, "GET", "/../etc", "", nil); a.status == 200 {
		t.Errorf("/../etc: %d %.100s", a.status, a.body)
	}
	// Every asset index.html names is embedded: the committed build is complete.
	index := do(t, s, "GET", "/", "", nil)
	assets := regexpAll(`(?:src|href)="(assets/[^"]+)"`, index.body)
	if len(assets) < 2 {
		t.Errorf("index.html names %d assets, want the JS and the CSS bundle (run scripts/build-web.sh)", len(assets))
	}
	for _, p := range assets {
		if a := do(t, s, "GET", "/"+p, "", nil); a.status != 200 || len(a.body) == 0 {
			t.Errorf("%s: %d", p, a.status)
		} else if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", p, cc)
		}
	}
	if a := do(t, s, "GET", "/nope.js", "", nil); a.status != 404 {
		t.Errorf("/nope.js: %d", a.status)
	}
	if a := do(t, s, "POST", "/", "", nil); a.status != 405 {
		t.Errorf("POST /: %d", a.status)
	}
}

// TestBodyTooLargeBeforeReading: a Content-Length over the limit is answered 413 at once,
// before a byte of the body is read (the body here never comes; without the check the
// server would wait for it until its read timeout).
func TestBodyTooLargeBeforeReading(t *testing.T) {
	addr, _, _, _ := startServe(t, server.Config{})
	for _, target := range []string{"/api/v1/plan", "/api/v1/manifests?image=x"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\nContent-Length: %d\r\n\r\n", target, server.MaxBodyBytes+1)
		conn.SetReadDeadline(time.Now().Add(server.ReadTimeout / 2))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: no answer before the body came: %v", target, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(b, []byte(`"code":"too-large"`)) {
			t.Errorf("%s: %d %s", target, resp.StatusCode, b)
		}
	}
}
