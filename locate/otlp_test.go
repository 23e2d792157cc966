package locate

import (
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
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// sendWithSDK exports two spans through the real OpenTelemetry OTLP/HTTP exporter.
func sendWithSDK(t *testing.T, endpoint string, opts ...otlptracehttp.Option) {
	t.Helper()
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx, append([]otlptracehttp.Option{otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "demo"), attribute.Int("process.pid", 4242))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
	tr := tp.Tracer("test")
	ctx, parent := tr.Start(ctx, "GET /work", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attribute.Int("server.port", 8080)))
	_, child := tr.Start(ctx, "fsync", trace.WithAttributes(attribute.Int("thread.id", 4243)))
	time.Sleep(time.Millisecond)
	child.End()
	parent.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestReceiverWithSDKExporter(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(map[bool]string{false: "protobuf", true: "protobuf+gzip"}[gz], func(t *testing.T) {
			var r Receiver
			srv := httptest.NewServer(http.StripPrefix("", &r))
			defer srv.Close()
			var opts []otlptracehttp.Option
			if gz {
				opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
			}
			sendWithSDK(t, strings.TrimPrefix(srv.URL, "http://"), opts...)
			var spans []Span
			for _, b := range r.Traces() {
				spans = append(spans, SpansOf(b)...)
			}
			if len(spans) != 2 {
				t.Fatalf("got %d spans", len(spans))
			}
			byName := map[string]Span{}
			for _, s := range spans {
				byName[s.Name] = s
			}
			p, c := byName["GET /work"], byName["fsync"]
			if p.PID != 4242 || p.Service != "demo" || p.Port != 8080 || p.ParentID != "" || len(p.TraceID) != 32 {
				t.Errorf("parent %+v", p)
			}
			if c.TID != 4243 || c.ParentID != p.SpanID || c.TraceID != p.TraceID || c.Wall() < time.Millisecond {
				t.Errorf("child %+v", c)
			}
		})
	}
}

const jsonBody = `{"resourceSpans":[{"resource":{"attributes":[{"key":"process.pid","value":{"intValue":"77"}}]},
"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"op",
"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","attributes":[{"key":"thread.id","value":{"intValue":"78"}}]}]}]}]}`

func TestReceiverJSONAndErrors(t *testing.T) {
	var r Receiver
	r.MaxBody = 4096
	srv := httptest.NewServer(&r)
	defer srv.Close()
	post := func(ct, enc string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/traces", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := post("application/json", "", []byte(jsonBody)); code != 200 || !strings.HasPrefix(body, "{") {
		t.Fatalf("json: %d %s", code, body)
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(jsonBody))
	zw.Close()
	if code, _ := post("application/json; charset=utf-8", "gzip", zb.Bytes()); code != 200 {
		t.Fatalf("json+gzip: %d", code)
	}
	spans := SpansOf(r.Traces()[0])
	if len(spans) != 1 || spans[0].TraceID != "5b8efff798038103d269b633813fc60c" || spans[0].PID != 77 || spans[0].TID != 78 || spans[0].Wall() != time.Second {
		t.Errorf("json span: %+v", spans)
	}
	for _, tc := range []struct {
		ct, enc string
		body    []byte
		code    int
	}{
		{"text/plain", "", []byte("x"), 415},
		{"application/json", "", []byte("{"), 400},
		{"application/x-protobuf", "", []byte{0xff, 0xff}, 400},
		{"application/json", "br", []byte("{}"), 415},
		{"application/json", "gzip", []byte("not gzip"), 400},
		{"application/json", "", bytes.Repeat([]byte(" "), 5000), 413},
	} {
		if code, body := post(tc.ct, tc.enc, tc.body); code != tc.code {
			t.Errorf("%s %s: %d %s, want %d", tc.ct, tc.enc, code, body, tc.code)
		}
	}
	resp, _ := http.Get(srv.URL + "/v1/traces")
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

func TestSpanFileRoundTrip(t *testing.T) {
	orig, err := DecodeTraces([]byte(jsonBody), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	line, err := EncodeJSON(orig)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(line, []byte(`"5b8efff798038103d269b633813fc60c"`)) {
		t.Errorf("ids not hex: %s", line)
	}
	// One document per line, twice, and gzip.
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(append(append(line, '\n'), line...))
	zw.Close()
	got, err := ReadSpanFile(&zb)
	if err != nil || len(got) != 2 {
		t.Fatalf("%d batches, %v", len(got), err)
	}
	if s := SpansOf(got[1]); len(s) != 1 || s[0].SpanID != "eee19b7ec3c1b174" {
		t.Errorf("%+v", s)
	}
	if _, err := ReadSpanFile(strings.NewReader("{\n}x")); err == nil {
		t.Error("garbage accepted")
	}
	f, err := os.Open("testdata/spans.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := ReadSpanFile(f); err != nil || len(got) == 0 {
		t.Errorf("testdata/spans.json: %v", err)
	}
}

// TestReadSpanFileBounded: a span file is read up to a bound, once decompressed. A gzip
// bomb (here 16 times the bound in an eighth of it) and a file without end (/dev/zero)
// are refused with what to do; the bound itself is read.
func TestReadSpanFileBounded(t *testing.T) {
	const limit = 1 << 20
	var zb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zb, gzip.HuffmanOnly) // fast also under -race
	zw.Write(bytes.Repeat([]byte(" "), 16*limit))
	zw.Close()
	t.Logf("gzip bomb: %d bytes standing for %d", zb.Len(), 16*limit)
	if _, err := readSpanFile(&zb, limit); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "once decompressed); split the file") {
		t.Errorf("gzip bomb: %v", err)
	}
	if dz, err := os.Open("/dev/zero"); err == nil {
		_, err := readSpanFile(dz, limit)
		dz.Close()
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "more than 1 MiB") {
			t.Errorf("/dev/zero: %v", err)
		}
	}
	line, _ := os.ReadFile("testdata/spans.json")
	exact := append(bytes.Repeat([]byte(" "), limit-len(line)), line...)
	if got, err := readSpanFile(bytes.NewReader(exact), limit); err != nil || len(got) == 0 {
		t.Errorf("a file of exactly the bound: %d batches, %v", len(got), err)
	}
}

func TestAnnotateExportMetrics(t *testing.T) {
	orig, _ := DecodeTraces([]byte(jsonBody), "application/json")
	spans := SpansOf(orig)
	tl := Build([]Event{{Kind: EvSwitchIn, Time: spans[0].Start.UnixNano(), PID: 77, TID: 78}}, 0, spans[0].End.UnixNano())
	r := Join(spans, tl, JoinOptions{})
	ann := Annotate([]*Traces{orig}, r)
	var sink Receiver
	srv := httptest.NewServer(&sink)
	defer srv.Close()
	if err := Export(context.Background(), srv.Client(), srv.URL+"/v1/traces", ann); err != nil {
		t.Fatal(err)
	}
	got := SpansOf(sink.Traces()[0])[0].Attrs
	if got["strata.locate.dominant"] != "cpu-user" || got["strata.locate.cpu-user_ns"] != "1000000000" || got["strata.locate.confidence"] != "exact" {
		t.Errorf("attributes: %v", got)
	}
	if len(orig.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes) != 1 {
		t.Error("Annotate changed its input")
	}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Observe(r)
	mfs, _ := reg.Gather()
	found := false
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			for _, b := range mt.GetHistogram().GetBucket() {
				if ex := b.GetExemplar(); ex != nil && ex.GetLabel()[0].GetValue() == "5b8efff798038103d269b633813fc60c" {
					found = true
				}
			}
		}
	}
	if !found {
		t.Error("no exemplar with the trace id")
	}
}

// TestReceiverErrorBodies: refusals carry a google.rpc.Status in the request's encoding;
// only a body over the limit is 413, a truncated gzip body is 400.
func TestReceiverErrorBodies(t *testing.T) {
	r := Receiver{MaxBody: 4096}
	srv := httptest.NewServer(&r)
	defer srv.Close()
	post := func(ct, enc string, body []byte) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/traces", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	// JSON request: JSON Status.
	resp, body := post("application/json", "", []byte("{"))
	var st struct {
		Code    int32  `json:"code"`
		Message string `json:"message"`
	}
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &st) != nil || st.Code != 3 || st.Message == "" {
		t.Errorf("json: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// Protobuf request: protobuf Status, fields 1 (code) and 2 (message).
	resp, body = post("application/x-protobuf", "", []byte{0xff, 0xff})
	code, msg := decodeStatus(t, body)
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/x-protobuf" || code != 3 || !strings.Contains(msg, "protobuf") {
		t.Errorf("protobuf: %d %s code %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), code, msg)
	}
	if got := statusMessage(body, "application/x-protobuf"); got != msg {
		t.Errorf("statusMessage = %q, want %q", got, msg)
	}
	// A gzip stream cut short: 400, not 413.
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(jsonBody))
	zw.Close()
	resp, body = post("application/json", "gzip", zb.Bytes()[:zb.Len()/2])
	if resp.StatusCode != 400 {
		t.Errorf("truncated gzip: %d %s", resp.StatusCode, body)
	}
	// Over the limit before decompression: 413 with RESOURCE_EXHAUSTED.
	resp, body = post("application/x-protobuf", "", bytes.Repeat([]byte{0}, 5000))
	if code, _ := decodeStatus(t, body); resp.StatusCode != 413 || code != 8 {
		t.Errorf("too large: %d code %d", resp.StatusCode, code)
	}
}

func decodeStatus(t *testing.T, b []byte) (code int32, msg string) {
	t.Helper()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("not a Status: %x", b)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			code, n = int32(v), m
		case num == 2 && typ == protowire.BytesType:
			msg, n = protowire.ConsumeString(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			t.Fatalf("not a Status")
		}
		b = b[n:]
	}
	return code, msg
}

// TestEncodeJSONEnumsAsIntegers: OTLP JSON writes enums (span kind, status code) as
// integers.
func TestEncodeJSONEnumsAsIntegers(t *testing.T) {
	tr, err := DecodeTraces([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"op","kind":2,"status":{"code":2}}]}]}]}`), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodeJSON(tr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"kind":2`)) || !bytes.Contains(b, []byte(`"code":2`)) || bytes.Contains(b, []byte("SPAN_KIND")) {
		t.Errorf("enums not integers: %s", b)
	}
}

// TestExportReportsRejectedSpans: a 200 with a partial success that rejected spans is an
// error.
func TestExportReportsRejectedSpans(t *testing.T) {
	orig, _ := DecodeTraces([]byte(jsonBody), "application/json")
	sink := Receiver{MaxSpans: 1}
	srv := httptest.NewServer(&sink)
	defer srv.Close()
	err := Export(context.Background(), srv.Client(), srv.URL+"/v1/traces", []*Traces{orig, orig})
	if err == nil || !strings.Contains(err.Error(), "1 spans rejected") {
		t.Errorf("err = %v, want 1 spans rejected", err)
	}
	// A refusal's Status message is in the error.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(400)
		w.Write(statusBody(3, "no thanks", false))
	}))
	defer bad.Close()
	if err := Export(context.Background(), bad.Client(), bad.URL, []*Traces{orig}); err == nil || !strings.Contains(err.Error(), "no thanks") {
		t.Errorf("err = %v", err)
	}
}

// TestListenClosesHungRequests: when the context ends, a request that does not finish
// within ShutdownTimeout is cut off instead of holding the receiver open.
func TestListenClosesHungRequests(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := Receiver{ShutdownTimeout: 50 * time.Millisecond}
	addr, err := r.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers and part of the body: the handler waits for the rest.
	fmt.Fprintf(conn, "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	time.Sleep(50 * time.Millisecond)
	cancel()
	done := make(chan bool)
	go func() { r.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("the receiver did not shut down")
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadAll(conn); err != nil {
		t.Errorf("the hung connection was not closed: %v", err)
	}
}

// TestReceiverCountsRefusals: refused requests used to be answered and forgotten, so a
// client whose exporter was misconfigured saw only "no spans arrived". They are counted
// by status, reason and client.
func TestReceiverCountsRefusals(t *testing.T) {
	var r Receiver
	srv := httptest.NewServer(&r)
	defer srv.Close()
	post := func(ct, enc string, body string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/traces", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post("text/plain", "", "hello")
	post("text/plain", "", "hello")
	post("application/json", "gzip", "not gzip")
	post("application/json", "", jsonBody)
	got := r.Refused()
	if len(got) != 2 {
		t.Fatalf("refusals %+v, want two groups", got)
	}
	if g := got[0]; g.Status != 415 || g.Reason != "content-type" || g.Count != 2 || g.Client != "127.0.0.1" || !strings.Contains(g.Message, "application/x-protobuf") {
		t.Errorf("first group %+v", g)
	}
	if g := got[1]; g.Status != 400 || g.Reason != "gzip" || g.Count != 1 {
		t.Errorf("second group %+v", g)
	}
	if n := RefusalNote(got); !strings.Contains(n, "3 OTLP requests were refused") || !strings.Contains(n, "415 content-type from 127.0.0.1") {
		t.Errorf("note %q", n)
	}
	if len(r.Traces()) != 1 {
		t.Errorf("the good request was not kept")
	}
}

// TestRefusalsBounded: many clients do not grow the table beyond its bound; the rest are
// counted together.
func TestRefusalsBounded(t *testing.T) {
	var r Receiver
	for i := range 1000 {
		r.refuse(415, "content-type", "x", fmt.Sprintf("10.0.%d.%d:1234", i/250, i%250))
	}
	got := r.Refused()
	n := 0
	for _, g := range got {
		n += g.Count
	}
	if len(got) > maxRefusalGroups+1 || n != 1000 {
		t.Errorf("%d groups counting %d requests", len(got), n)
	}
}
