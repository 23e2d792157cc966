package locate

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Traces is a batch of OTLP spans as an exporter sends them.
type Traces = coltracepb.ExportTraceServiceRequest

// SpansOf flattens OTLP resource spans into [Span]s: ids in hex, the service from the
// resource's service.name, the process from process.pid (resource or span attribute), the
// thread from the span attribute thread.id, and for server spans the listening port from
// server.port (or the older net.host.port).
func SpansOf(t *Traces) []Span {
	var out []Span
	for _, rs := range t.GetResourceSpans() {
		res := attrMap(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				attrs := attrMap(sp.GetAttributes())
				s := Span{
					TraceID:  hex.EncodeToString(sp.GetTraceId()),
					SpanID:   hex.EncodeToString(sp.GetSpanId()),
					ParentID: hex.EncodeToString(sp.GetParentSpanId()),
					Name:     sp.GetName(),
					Service:  res["service.name"],
					Start:    time.Unix(0, int64(sp.GetStartTimeUnixNano())).UTC(),
					End:      time.Unix(0, int64(sp.GetEndTimeUnixNano())).UTC(),
					PID:      int32(atoi(cmpOr(attrs["process.pid"], res["process.pid"]))),
					TID:      int32(atoi(attrs["thread.id"])),
					Runtime:  res["telemetry.sdk.language"],
					Attrs:    attrs,
				}
				if sp.GetKind() == tracepb.Span_SPAN_KIND_SERVER || sp.GetKind() == tracepb.Span_SPAN_KIND_UNSPECIFIED {
					s.Port = atoi(cmpOr(attrs["server.port"], attrs["net.host.port"]))
				}
				if s.End.Before(s.Start) {
					s.End = s.Start
				}
				out = append(out, s)
			}
		}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<31-1 {
		return 0
	}
	return n
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = anyString(kv.GetValue())
	}
	return m
}

func anyString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	case *commonpb.AnyValue_BytesValue:
		return hex.EncodeToString(x.BytesValue)
	}
	return ""
}

// ErrFormat is wrapped by every error about malformed span input.
var ErrFormat = errors.New("malformed OTLP data")

// DecodeTraces decodes an OTLP/HTTP request body: binary protobuf
// (application/x-protobuf) or JSON (application/json, with trace and span ids in hex as
// the OTLP specification has them).
func DecodeTraces(body []byte, contentType string) (*Traces, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	t := &Traces{}
	switch mt {
	case "application/x-protobuf", "application/protobuf":
		if err := proto.Unmarshal(body, t); err != nil {
			return nil, fmt.Errorf("%w: protobuf: %v", ErrFormat, err)
		}
	case "application/json":
		return decodeJSON(body)
	default:
		return nil, fmt.Errorf("%w: content type %q: send application/x-protobuf or application/json", ErrFormat, contentType)
	}
	return t, nil
}

// idKeys are the OTLP JSON fields that hold ids in hex (protojson wants base64).
var idKeys = map[string]bool{"traceId": true, "spanId": true, "parentSpanId": true, "trace_id": true, "span_id": true, "parent_span_id": true}

func decodeJSON(b []byte) (*Traces, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: JSON: %v", ErrFormat, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: JSON: data after the document", ErrFormat)
	}
	recodeIDs(v, hexToBase64)
	nb, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: JSON: %v", ErrFormat, err)
	}
	t := &Traces{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(nb, t); err != nil {
		return nil, fmt.Errorf("%w: OTLP JSON: %v", ErrFormat, err)
	}
	return t, nil
}

func hexToBase64(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil {
		return s // not hex: let protojson judge it as base64
	}
	return base64.StdEncoding.EncodeToString(b)
}

func base64ToHex(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return s
	}
	return hex.EncodeToString(b)
}

func recodeIDs(v any, f func(string) string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && idKeys[k] {
				x[k] = f(s)
			} else {
				recodeIDs(e, f)
			}
		}
	case []any:
		for _, e := range x {
			recodeIDs(e, f)
		}
	}
}

// EncodeJSON writes t as OTLP JSON (ids in hex, enums as integers, as the OTLP
// specification has them), one line.
func EncodeJSON(t *Traces) ([]byte, error) {
	b, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(t)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	recodeIDs(v, base64ToHex)
	return json.Marshal(v)
}

// MaxSpanFileBytes bounds what [ReadSpanFile] reads, once decompressed: a few kilobytes of
// gzip can stand for gigabytes, and a device (/dev/zero) for no end at all.
const MaxSpanFileBytes = 256 << 20

// ReadSpanFile reads exported spans: OTLP JSON, either one document or one per line (the
// OpenTelemetry Collector's file exporter writes that), or binary protobuf; gzip is
// detected and undone. More than [MaxSpanFileBytes] is refused.
func ReadSpanFile(r io.Reader) ([]*Traces, error) { return readSpanFile(r, MaxSpanFileBytes) }

func readSpanFile(r io.Reader, limit int64) ([]*Traces, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrFormat, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	data, err := io.ReadAll(io.LimitReader(br, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d MiB of spans (once decompressed); split the file", ErrFormat, limit>>20)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if trimmed[0] != '{' {
		t, err := DecodeTraces(data, "application/x-protobuf")
		if err != nil {
			return nil, err
		}
		return []*Traces{t}, nil
	}
	if t, err := decodeJSON(trimmed); err == nil {
		return []*Traces{t}, nil
	}
	var out []*Traces
	for n, line := range bytes.Split(trimmed, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		t, err := decodeJSON(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// Receiver is an OTLP/HTTP trace receiver: mount it on /v1/traces. It accepts protobuf and
// JSON bodies, gzip-compressed or not, and keeps what it received for [Receiver.Traces].
// It is safe for concurrent use.
type Receiver struct {
	// MaxBody limits a request body after decompression (default 16 MiB).
	MaxBody int64
	// MaxSpans limits how many spans are kept (default 1,000,000); later ones are counted
	// as dropped and answered with a partial success.
	MaxSpans int
	// MaxValues limits the values one request may hold (default [DefaultMaxValues]):
	// every message of a protobuf body, every object, array and item of a JSON one. They
	// are counted in the body before it is decoded; a body with more is refused (413).
	MaxValues int
	// MaxDecoding limits how many requests are decompressed and decoded at once (default
	// [DefaultMaxDecoding]); the rest wait for their turn with their body read.
	MaxDecoding int
	// MaxReading limits how many requests have their body read and held at once, from the
	// first byte of the body to the end of decoding (default [DefaultMaxReading]); the
	// rest wait before their body is read, and give up when their client leaves. With
	// MaxBody it bounds the receiver's memory whatever the number of clients.
	MaxReading int
	// Logger receives one line per rejected request (default: silent).
	Logger *slog.Logger
	// OnSpans, when set, is called with each accepted batch's spans.
	OnSpans func([]Span)
	// ShutdownTimeout is how long [Receiver.Listen] waits for requests in flight when its
	// context ends before it closes their connections (default 2s).
	ShutdownTimeout time.Duration

	stopped  chan struct{} // closed when the server Listen started has shut down
	decoding chan struct{} // a slot per request being decoded (MaxDecoding)
	reading  chan struct{} // a place per request whose body is read and held (MaxReading)
	mu       sync.Mutex
	batches  []*Traces
	spans    int
	dropped  int
	refused  map[refusalKey]*Refusal
}

// Refusal is a group of OTLP requests the receiver refused: how many, with which HTTP
// status and reason, from which client.
type Refusal struct {
	Status int `json:"status"`
	// Reason is a short code: method, content-encoding, gzip, too-large,
	// too-many-values, read, content-type, decode or busy (the client left while waiting
	// for its body to be read or decoded).
	Reason string `json:"reason"`
	// Client is the client's IP address.
	Client string `json:"client"`
	Count  int    `json:"count"`
	// Message is the first refusal's full answer, which says what to change.
	Message string    `json:"message"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
}

type refusalKey struct {
	status         int
	reason, client string
}

// maxRefusalGroups bounds the refusals kept apart; later clients are counted together
// as "other".
const maxRefusalGroups = 64

// Refused returns the refused requests so far, grouped, most frequent first.
func (r *Receiver) Refused() []Refusal {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Refusal, 0, len(r.refused))
	for _, g := range r.refused {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Refusal) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Status, b.Status), cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Client, b.Client))
	})
	return out
}

func (r *Receiver) refuse(status int, reason, msg, remote string) {
	client := remote
	if host, _, err := net.SplitHostPort(remote); err == nil {
		client = host
	}
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refused == nil {
		r.refused = map[refusalKey]*Refusal{}
	}
	k := refusalKey{status, reason, client}
	g := r.refused[k]
	if g == nil && len(r.refused) >= maxRefusalGroups {
		k.client = "other"
		g = r.refused[k]
	}
	if g == nil {
		g = &Refusal{Status: status, Reason: reason, Client: k.client, Message: msg, First: now}
		r.refused[k] = g
	}
	g.Count++
	g.Last = now
}

// RefusalNote says in one line what the receiver refused, for a report's notes.
func RefusalNote(rs []Refusal) string {
	if len(rs) == 0 {
		return ""
	}
	n := 0
	var parts []string
	for i, g := range rs {
		n += g.Count
		if i < 3 {
			parts = append(parts, fmt.Sprintf("%d× %d %s from %s (%s)", g.Count, g.Status, g.Reason, g.Client, g.Message))
		}
	}
	if len(rs) > 3 {
		parts = append(parts, fmt.Sprintf("and %d more groups", len(rs)-3))
	}
	return fmt.Sprintf("%d OTLP requests were refused: %s", n, strings.Join(parts, "; "))
}

// Traces returns the batches received so far.
func (r *Receiver) Traces() []*Traces {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Traces(nil), r.batches...)
}

// Dropped is how many spans were refused because MaxSpans was reached.
func (r *Receiver) Dropped() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

func (r *Receiver) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// rpcCode maps the HTTP status of a refused request to the google.rpc.Code its Status
// carries.
func rpcCode(httpStatus int) int32 {
	switch httpStatus {
	case http.StatusRequestEntityTooLarge:
		return 8 // RESOURCE_EXHAUSTED
	case http.StatusMethodNotAllowed:
		return 12 // UNIMPLEMENTED
	}
	return 3 // INVALID_ARGUMENT
}

// statusBody encodes a google.rpc.Status {code, message} as OTLP/HTTP wants for errors:
// protobuf (field 1: code, field 2: message), or its JSON form for JSON requests.
func statusBody(code int32, msg string, asJSON bool) []byte {
	if asJSON {
		b, _ := json.Marshal(struct {
			Code    int32  `json:"code"`
			Message string `json:"message"`
		}{code, msg})
		return b
	}
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(code))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendString(b, msg)
}

// ServeHTTP implements the OTLP/HTTP traces endpoint. Refusals carry a google.rpc.Status
// in the request's encoding (JSON for JSON requests, protobuf otherwise).
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	fail := func(code int, reason, msg string) {
		r.refuse(code, reason, msg, req.RemoteAddr)
		r.logger().Info("otlp request refused", "status", code, "reason", reason, "message", msg, "remote", req.RemoteAddr)
		asJSON := false
		if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt == "application/json" {
			asJSON = true
			w.Header().Set("Content-Type", "application/json")
		} else {
			w.Header().Set("Content-Type", "application/x-protobuf")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(code)
		_, _ = w.Write(statusBody(rpcCode(code), msg, asJSON))
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(http.StatusMethodNotAllowed, "method", "POST OTLP traces here")
		return
	}
	maxBody := r.MaxBody
	if maxBody <= 0 {
		maxBody = 16 << 20
	}
	enc := strings.ToLower(req.Header.Get("Content-Encoding"))
	if enc != "" && enc != "identity" && enc != "gzip" {
		fail(http.StatusUnsupportedMediaType, "content-encoding", "unsupported Content-Encoding "+enc+": use gzip or none")
		return
	}
	ct := req.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "application/json" && mt != "application/x-protobuf" && mt != "application/protobuf" {
		fail(http.StatusUnsupportedMediaType, "content-type", fmt.Sprintf("%v: content type %q: send application/x-protobuf or application/json", ErrFormat, ct))
		return
	}
	// A body is read only with one of the few places for bodies held in memory: without
	// them, 24 clients each sending 15 MiB and never finishing held 560 MB. The body as
	// sent is read before a decoding slot is taken, so a client that sends slowly holds
	// no decoding slot.
	held, err := r.admit(req.Context())
	if err != nil {
		fail(http.StatusServiceUnavailable, "busy", "the client left while waiting for its body to be read: "+err.Error())
		return
	}
	defer held()
	data, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		fail(http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("body larger than %d bytes", maxBody))
		return
	case err != nil: // a body cut short
		fail(http.StatusBadRequest, "read", "read body: "+err.Error())
		return
	}
	release, err := r.acquire(req.Context())
	if err != nil {
		fail(http.StatusServiceUnavailable, "busy", "the client left while waiting to be decoded: "+err.Error())
		return
	}
	defer release()
	if enc == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			fail(http.StatusBadRequest, "gzip", "bad gzip body: "+err.Error())
			return
		}
		data, err = io.ReadAll(io.LimitReader(zr, maxBody+1))
		switch {
		case err == nil && int64(len(data)) > maxBody:
			fail(http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("body larger than %d bytes once decompressed", maxBody))
			return
		case err != nil: // a truncated or corrupt gzip stream
			fail(http.StatusBadRequest, "read", "read body: "+err.Error())
			return
		}
	}
	var counted wireCount
	if mt == "application/json" {
		counted, err = countJSON(data, r.maxValues())
	} else {
		counted, err = countProtobuf(data, r.maxValues())
	}
	if err != nil {
		fail(http.StatusRequestEntityTooLarge, "too-many-values", err.Error()+"; export smaller batches (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, or the collector's send_batch_max_size)")
		return
	}
	maxSpans := r.MaxSpans
	if maxSpans <= 0 {
		maxSpans = 1_000_000
	}
	r.mu.Lock()
	full := r.spans+counted.spans > maxSpans
	if full {
		r.dropped += counted.spans
	}
	r.mu.Unlock()
	if full { // refused unread: the spans counted are the spans the body holds
		r.answer(w, mt, &coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{
			RejectedSpans: int64(counted.spans), ErrorMessage: "strata locate keeps at most " + strconv.Itoa(maxSpans) + " spans"}})
		return
	}
	t, err := DecodeTraces(data, ct)
	if err != nil {
		fail(http.StatusBadRequest, "decode", err.Error())
		return
	}
	spans := SpansOf(t)
	resp := &coltracepb.ExportTraceServiceResponse{}
	r.mu.Lock()
	if r.spans+len(spans) > maxSpans {
		r.dropped += len(spans)
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: int64(len(spans)), ErrorMessage: "strata locate keeps at most " + strconv.Itoa(maxSpans) + " spans"}
		spans = nil
	} else {
		r.batches = append(r.batches, t)
		r.spans += len(spans)
	}
	r.mu.Unlock()
	release()
	if r.OnSpans != nil && len(spans) > 0 {
		r.OnSpans(spans)
	}
	r.answer(w, mt, resp)
}

// answer writes an export response in the request's encoding.
func (r *Receiver) answer(w http.ResponseWriter, mt string, resp *coltracepb.ExportTraceServiceResponse) {
	var out []byte
	if mt == "application/json" {
		w.Header().Set("Content-Type", "application/json")
		out, _ = protojson.Marshal(resp)
	} else {
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ = proto.Marshal(resp)
	}
	_, _ = w.Write(out)
}

func (r *Receiver) maxValues() int {
	if r.MaxValues > 0 {
		return r.MaxValues
	}
	return DefaultMaxValues
}

// acquire waits for a decoding slot while ctx lasts; release frees it and may be called
// more than once.
func (r *Receiver) acquire(ctx context.Context) (release func(), err error) {
	return r.take(ctx, &r.decoding, r.MaxDecoding, DefaultMaxDecoding)
}

// admit waits for one of the MaxReading places of a request whose body is read and held.
func (r *Receiver) admit(ctx context.Context) (release func(), err error) {
	return r.take(ctx, &r.reading, r.MaxReading, DefaultMaxReading)
}

// take waits for a slot of *slots (made on first use with n, or def when n is not
// positive) as long as ctx lasts.
func (r *Receiver) take(ctx context.Context, slotsp *chan struct{}, n, def int) (release func(), err error) {
	r.mu.Lock()
	if *slotsp == nil {
		if n <= 0 {
			n = def
		}
		*slotsp = make(chan struct{}, n)
	}
	slots := *slotsp
	r.mu.Unlock()
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	var once sync.Once
	return func() { once.Do(func() { <-slots }) }, nil
}

// Listen serves the receiver on addr (host:port; port 0 picks one) at /v1/traces until ctx
// ends, and returns the address it listens on. When ctx ends it lets requests in flight
// finish for up to ShutdownTimeout, then closes what is left; [Receiver.Wait] waits for
// that. Call Listen once per Receiver.
func (r *Receiver) Listen(ctx context.Context, addr string) (string, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("otlp receiver: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/traces", r)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	timeout := r.ShutdownTimeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	stopped := make(chan struct{})
	r.mu.Lock()
	r.stopped = stopped
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close() // requests still in flight: cut them off
		}
	}()
	return ln.Addr().String(), nil
}

// Wait blocks until the server started by [Receiver.Listen] has shut down (at once when
// none was started).
func (r *Receiver) Wait() {
	r.mu.Lock()
	ch := r.stopped
	r.mu.Unlock()
	if ch != nil {
		<-ch
	}
}
