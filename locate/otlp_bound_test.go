package locate

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// Hostile OTLP bodies, built by hand in the wire format: a few kilobytes of gzip that
// stand for millions of values. Before the receiver counted a body's values in the wire
// format, 2 MB of empty spans (2 kB of gzip) cost 900 MB and 4 s, and 16 MB (16 kB of
// gzip) 5 GB and a minute of CPU.

func field(num protowire.Number, payload []byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, payload)
}

// request wraps ScopeSpans bytes (its fields) in ResourceSpans and the export request.
func request(scopeSpans []byte) []byte { return field(1, field(2, scopeSpans)) }

// spanWith is one span holding the given fields, beside an id and a name.
func spanWith(fields []byte) []byte {
	sp := field(2, bytes.Repeat([]byte{1}, 8))
	sp = append(sp, field(5, []byte("op"))...)
	return field(2, append(sp, fields...))
}

// nestedAnyValue is an attribute whose value is a kvlist nested depth times.
func nestedAnyValue(depth int) []byte {
	v := field(1, []byte("leaf")) // AnyValue.string_value
	for range depth {
		kv := append(field(1, []byte("k")), field(2, v)...) // KeyValue{key, value}
		v = field(6, field(1, kv))                          // AnyValue.kvlist_value{values: [kv]}
	}
	return field(9, append(field(1, []byte("a")), field(2, v)...)) // Span.attributes
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

type hostileOTLP struct {
	name, ct string
	body     []byte
}

func hostileOTLPBodies(n int) []hostileOTLP {
	emptySpans := request(bytes.Repeat(field(2, nil), n))
	emptyAttrs := request(spanWith(bytes.Repeat(field(9, nil), n)))
	emptyEvents := request(spanWith(bytes.Repeat(field(11, nil), n)))
	emptyLinks := request(spanWith(bytes.Repeat(field(13, nil), n)))
	manyScopes := field(1, bytes.Repeat(field(2, nil), n))
	manyResources := bytes.Repeat(field(1, nil), n)
	arrayValues := request(spanWith(field(9, append(field(1, []byte("a")), field(2, field(5, bytes.Repeat(field(1, nil), n)))...))))
	return []hostileOTLP{
		{"protobuf/empty spans", "application/x-protobuf", emptySpans},
		{"protobuf/empty attributes", "application/x-protobuf", emptyAttrs},
		{"protobuf/empty events", "application/x-protobuf", emptyEvents},
		{"protobuf/empty links", "application/x-protobuf", emptyLinks},
		{"protobuf/empty scopes", "application/x-protobuf", manyScopes},
		{"protobuf/empty resources", "application/x-protobuf", manyResources},
		{"protobuf/array values", "application/x-protobuf", arrayValues},
		{"protobuf/nested kvlist", "application/x-protobuf", request(spanWith(nestedAnyValue(5000)))},
		{"json/empty spans", "application/json", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{}` + strings.Repeat(`,{}`, n-1) + `]}]}]}`)},
		{"json/empty attributes", "application/json", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a","attributes":[{}` + strings.Repeat(`,{}`, n-1) + `]}]}]}]}`)},
		{"json/numbers", "application/json", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a","x":[1` + strings.Repeat(`,1`, n-1) + `]}]}]}]}`)},
		{"json/nested", "application/json", []byte(strings.Repeat(`{"a":[`, 5000) + strings.Repeat(`]}`, 5000))},
	}
}

// TestReceiverBoundsHostileBodies: each hostile body is refused with a 4xx whose message
// says what to change, and the request allocates a bounded amount whatever the body
// stands for.
func TestReceiverBoundsHostileBodies(t *testing.T) {
	const n = 1_000_000 // 2 MB of protobuf, 3 MB of JSON; 2-3 kB of gzip each
	var r Receiver
	srv := httptest.NewServer(&r)
	defer srv.Close()
	for _, tc := range hostileOTLPBodies(n) {
		t.Run(tc.name, func(t *testing.T) {
			body := gz(t, tc.body)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/traces", bytes.NewReader(body))
			req.Header.Set("Content-Type", tc.ct)
			req.Header.Set("Content-Encoding", "gzip")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			out.ReadFrom(resp.Body)
			resp.Body.Close()
			runtime.ReadMemStats(&after)
			alloc := (after.TotalAlloc - before.TotalAlloc) >> 20
			t.Logf("%d bytes (%d gzip): %d in %v, %d MiB allocated", len(tc.body), len(body), resp.StatusCode, time.Since(start).Round(time.Millisecond), alloc)
			if resp.StatusCode != http.StatusRequestEntityTooLarge && resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 413 or 400; %q", resp.StatusCode, out.String())
			}
			if msg := statusMessage(out.Bytes(), tc.ct); !strings.Contains(msg, "at most") && !strings.Contains(msg, "nested") && !strings.Contains(msg, "JSON") {
				t.Errorf("the refusal does not say which bound: %q", msg)
			}
			// The body itself: the gzip reader's buffers and the decompressed bytes
			// (read in doubling steps), nothing in proportion to what they stand for.
			if limit := uint64(4*len(tc.body))>>20 + 16; alloc > limit {
				t.Errorf("the request allocated %d MiB, more than %d MiB", alloc, limit)
			}
		})
	}
	if len(r.Traces()) != 0 {
		t.Errorf("hostile bodies were kept: %d batches", len(r.Traces()))
	}
}

// TestReceiverKeepsSDKBatches: the bounds refuse nothing an OpenTelemetry SDK sends: the
// Go SDK's batch span processor exports batches of 512 spans by default; here batches of
// 2,048 spans with 32 attributes and 4 events each go through.
func TestReceiverKeepsSDKBatches(t *testing.T) {
	var r Receiver
	srv := httptest.NewServer(&r)
	defer srv.Close()
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(strings.TrimPrefix(srv.URL, "http://")), otlptracehttp.WithInsecure(),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	if err != nil {
		t.Fatal(err)
	}
	const spans = 4096
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithMaxExportBatchSize(2048), sdktrace.WithMaxQueueSize(spans), sdktrace.WithBatchTimeout(time.Hour)),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "bulk"))))
	tr := tp.Tracer("bulk")
	attrs := make([]attribute.KeyValue, 32)
	for i := range attrs {
		attrs[i] = attribute.String(fmt.Sprintf("attr.%d", i), strings.Repeat("v", 40))
	}
	for i := range spans {
		_, sp := tr.Start(ctx, fmt.Sprintf("op-%d", i))
		sp.SetAttributes(attrs...)
		for j := range 4 {
			sp.AddEvent(fmt.Sprintf("event-%d", j), trace.WithAttributes(attribute.Int("n", j)))
		}
		sp.End()
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, b := range r.Traces() {
		got += len(SpansOf(b))
	}
	if got != spans || len(r.Refused()) != 0 {
		t.Errorf("received %d of %d spans; refused %+v", got, spans, r.Refused())
	}
}

// TestReceiverDecodesFewAtOnce: with every decoding slot taken, a request waits with its
// body read, and gives up when its client does; once a slot is free it is decoded.
func TestReceiverDecodesFewAtOnce(t *testing.T) {
	r := Receiver{MaxDecoding: 2}
	srv := httptest.NewServer(&r)
	defer srv.Close()
	var held []func()
	for range 2 {
		release, err := r.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}
	post := func(ctx context.Context) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/traces", strings.NewReader(jsonBody))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if code, err := post(ctx); err == nil {
		t.Fatalf("decoded with every slot taken: %d", code)
	}
	// The server sees the client leave; its refusal is counted when the handler returns.
	deadline := time.Now().Add(10 * time.Second)
	for !slicesContainsReason(r.Refused(), "busy") {
		if time.Now().After(deadline) {
			t.Fatalf("no busy refusal: %+v", r.Refused())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(r.Traces()) != 0 {
		t.Fatal("a batch was kept while every slot was taken")
	}
	held[0]()
	held[0]() // release twice frees one slot
	if code, err := post(context.Background()); err != nil || code != 200 {
		t.Fatalf("with a slot free: %d %v", code, err)
	}
	held[1]()
	if len(r.Traces()) != 1 {
		t.Fatalf("%d batches", len(r.Traces()))
	}
}

func slicesContainsReason(rs []Refusal, reason string) bool {
	for _, g := range rs {
		if g.Reason == reason {
			return true
		}
	}
	return false
}

// FuzzCountProtobuf: counting never panics, and on every body the protobuf library
// decodes, the spans counted are the spans decoded (the library is the judge), and the
// values counted are at least the spans.
func FuzzCountProtobuf(f *testing.F) {
	f.Add(request(spanWith(nil)))
	f.Add(request(bytes.Repeat(field(2, nil), 5)))
	f.Add(request(spanWith(nestedAnyValue(3))))
	f.Add(bytes.Repeat(field(1, field(2, nil)), 3))
	f.Add([]byte{0x0a, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := countProtobuf(b, 1<<20)
		tr, derr := DecodeTraces(b, "application/x-protobuf")
		if err != nil || derr != nil {
			return
		}
		if n := len(SpansOf(tr)); n != c.spans || c.values < c.spans {
			t.Fatalf("counted %d spans, %d values; decoded %d spans", c.spans, c.values, n)
		}
	})
}

// FuzzCountJSON: counting never panics, and a JSON body that decodes holds no more spans
// than values counted.
func FuzzCountJSON(f *testing.F) {
	f.Add([]byte(jsonBody))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{},{}]}]}]}`))
	f.Add([]byte(`{"a":"\"{[,"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := countJSON(b, 1<<20)
		if err != nil {
			return
		}
		tr, derr := DecodeTraces(b, "application/json")
		if derr != nil {
			return
		}
		if n := len(SpansOf(tr)); n > c.values {
			t.Fatalf("counted %d values; decoded %d spans", c.values, n)
		}
	})
}

// TestReceiverBoundsSlowBodies: clients that each send most of a body as large as MaxBody
// and never finish it are read only MaxReading at a time, so the memory the receiver holds
// does not grow with their number (24 clients of 15 MiB held 560 MB before). The heap is
// watched while 64 such clients of 1 MiB hold their connections; once they leave, a
// batch is received at once.
func TestReceiverBoundsSlowBodies(t *testing.T) {
	const clients, body = 64, 1 << 20
	r := &Receiver{MaxBody: body}
	srv := httptest.NewServer(r)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	start := heap()
	part := append([]byte("{"), bytes.Repeat([]byte(" "), body-2)...)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", body)
		go c.Write(part) // blocks once the receiver stops reading; ends when c is closed
	}
	// The bound: MaxReading bodies and their growth while read, and room for the rest of
	// the process; 64 bodies read at once pass it.
	const bound = 24 << 20
	var peak uint64
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) { // the sampling period, not a synchronisation
		if h := heap(); h > start && h-start > peak {
			peak = h - start
		}
		if peak > bound {
			t.Fatalf("heap grew by %d MiB with %d clients sending %d KiB bodies slowly; the bound is %d MiB", peak>>20, clients, body>>10, bound>>20)
		}
	}
	t.Logf("heap grew by at most %d MiB with %d slow clients", peak>>20, clients)
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	resp, err := http.Post(srv.URL+"/v1/traces", "application/json", strings.NewReader(`{"resourceSpans":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the slow clients left: %s", resp.Status)
	}
}
