package fleet_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/strata-dev/strata/fleet"
)

// BenchmarkReadNodesTLS is the client's whole part of strata fleet plan's LIST, without a
// cluster: ReadNodes(Cached) against a TLS server speaking HTTP/2 that answers the
// version and, in one response, the 5,000 nodes of BenchmarkDecodeNodes gzipped at level 1
// as the API server compresses a response over 128 KiB. The body is compressed once
// before the clock starts, so the server's part is only TLS and HTTP/2 framing; the rest
// of the processor time is the client's: TLS, HTTP/2, inflating, decoding, ParseNode.
func BenchmarkReadNodesTLS(b *testing.B) {
	body := benchNodeListBody(b)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, 1)
	zw.Write(body)
	zw.Close()
	b.Logf("%d bytes gzipped to %d", len(body), gz.Len())
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/version":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.2"}`)
		case "/api/v1/nodes":
			w.Header().Set("Content-Type", runtime.ContentTypeProtobuf)
			if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(gz.Bytes())
				return
			}
			w.Write(body)
		default:
			http.NotFound(w, r)
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	kc := filepath.Join(b.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: %q, certificate-authority-data: %s}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: test, context: {cluster: c, user: u}}]\ncurrent-context: test\n",
		srv.URL, base64.StdEncoding.EncodeToString(ca))
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	c, err := fleet.Connect(kc, "", time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := processCPU(b)
	for b.Loop() {
		s, err := c.ReadNodes(b.Context(), fleet.Cached)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Nodes) != benchNodes || !s.Nodes[0].Probed {
			b.Fatalf("%d nodes", len(s.Nodes))
		}
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/1e6/float64(b.N), "cpu-ms/op")
}
