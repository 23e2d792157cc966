package locate

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// statusMessage is the message of a google.rpc.Status error body (protobuf or JSON), or
// the body itself, shortened, when it is not one.
func statusMessage(body []byte, contentType string) string {
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/json" {
		var st struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &st) == nil && st.Message != "" {
			return st.Message
		}
	} else if mt == "application/x-protobuf" || mt == "application/protobuf" {
		for b := body; len(b) > 0; {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				break
			}
			b = b[n:]
			if num == 2 && typ == protowire.BytesType {
				if s, m := protowire.ConsumeString(b); m >= 0 {
					return s
				}
				break
			}
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				break
			}
			b = b[n:]
		}
	}
	s := string(bytes.TrimSpace(body))
	if len(s) > 512 {
		s = s[:512] + "…"
	}
	return s
}

// AttrPrefix starts the names of the attributes [Annotate] adds.
const AttrPrefix = "strata.locate."

// Annotate returns copies of the batches in which every span that has a breakdown in r
// carries it as attributes: strata.locate.dominant, .confidence, .match, .source,
// .sampled, and one integer attribute per part in nanoseconds, named after its label
// ("strata.locate.blocked.disk_ns", "strata.locate.cpu-user_ns").
func Annotate(batches []*Traces, r Report) []*Traces {
	type key struct{ trace, span string }
	byID := map[key]*Breakdown{}
	for i := range r.Breakdowns {
		b := &r.Breakdowns[i]
		byID[key{b.Span.TraceID, b.Span.SpanID}] = b
	}
	out := make([]*Traces, len(batches))
	for n, t := range batches {
		c := proto.Clone(t).(*Traces)
		for _, rs := range c.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					b := byID[key{hex.EncodeToString(sp.GetTraceId()), hex.EncodeToString(sp.GetSpanId())}]
					if b == nil {
						continue
					}
					sp.Attributes = append(sp.Attributes, breakdownAttrs(b, r)...)
				}
			}
		}
		out[n] = c
	}
	return out
}

func strAttr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: AttrPrefix + k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func intAttr(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: AttrPrefix + k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

func breakdownAttrs(b *Breakdown, r Report) []*commonpb.KeyValue {
	d := b.Dominant()
	kv := []*commonpb.KeyValue{
		strAttr("dominant", d.Label()), strAttr("confidence", string(d.Confidence)),
		strAttr("match", b.Match), strAttr("source", r.Source),
		{Key: AttrPrefix + "sampled", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: r.Sampled}}},
	}
	sums := map[string]int64{}
	var order []string
	for _, p := range b.Parts {
		l := strings.ReplaceAll(p.Label(), "/", ".")
		if _, ok := sums[l]; !ok {
			order = append(order, l)
		}
		sums[l] += int64(p.Time)
	}
	for _, l := range order {
		kv = append(kv, intAttr(l+"_ns", sums[l]))
	}
	return kv
}

// Export posts the batches to an OTLP/HTTP traces endpoint (a URL ending in /v1/traces),
// as gzip-compressed protobuf. A refusal, and spans the endpoint rejected in a partial
// success, are errors.
func Export(ctx context.Context, client *http.Client, url string, batches []*Traces) error {
	if client == nil {
		client = http.DefaultClient
	}
	for _, t := range batches {
		raw, err := proto.Marshal(t)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &buf)
		if err != nil {
			return fmt.Errorf("export to %s: %w", url, err)
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("export to %s: %w", url, err)
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("export to %s: %s: %s", url, resp.Status, statusMessage(msg, resp.Header.Get("Content-Type")))
		}
		var res coltracepb.ExportTraceServiceResponse
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" {
			err = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(msg, &res)
		} else {
			err = proto.Unmarshal(msg, &res)
		}
		if err == nil && res.GetPartialSuccess().GetRejectedSpans() > 0 {
			return fmt.Errorf("export to %s: %d spans rejected: %s", url, res.GetPartialSuccess().GetRejectedSpans(), res.GetPartialSuccess().GetErrorMessage())
		}
	}
	return nil
}
