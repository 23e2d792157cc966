package locate

import (
	"fmt"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// What the receiver decodes is bounded before it is decoded: an OTLP body is counted in
// its wire format, value by value, and one whose decoding would allocate more than a
// bounded number of values is refused unread. A byte or two of protobuf or JSON stands
// for a whole span, attribute or event (an empty message), and gzip makes megabytes of
// those a few kilobytes, so the size of the body alone bounds nothing: 2 kB of gzip once
// stood for a million spans and cost 1.4 GB to decode.

const (
	// DefaultMaxValues is the default of [Receiver.MaxValues]: far above what an
	// OpenTelemetry SDK sends in one request (the batch span processor exports at most 512
	// spans by default; 2,048 spans with 32 attributes and 4 events each are 210,000
	// values), far below what would exhaust strata.
	DefaultMaxValues = 1 << 18
	// DefaultMaxDecoding is the default of [Receiver.MaxDecoding].
	DefaultMaxDecoding = 2
	// DefaultMaxReading is how many requests may have their body read and held at once.
	DefaultMaxReading = 8
	// maxNesting bounds how deeply messages (protobuf) or objects and arrays (JSON) nest
	// in one body. OTLP nests spans 4 deep and an attribute's value a few more.
	maxNesting = 32
)

// boundError is the error of a body over a bound; the receiver answers it 413.
type boundError struct{ msg string }

func (e *boundError) Error() string { return e.msg }

func tooManyValues(max int, what string) error {
	return &boundError{fmt.Sprintf("the request holds more than %d %s (spans, attributes, events, links, ...): strata locate reads at most %d in one request", max, what, max)}
}

func nestedTooDeep(what string) error {
	return &boundError{fmt.Sprintf("%s nested more than %d deep: strata locate reads at most %d levels", what, maxNesting, maxNesting)}
}

// wireCount is what counting a body found: spans and values (every message of a
// protobuf body; every object, array and item of a JSON one).
type wireCount struct {
	spans, values int
}

var (
	requestDescriptor = (&coltracepb.ExportTraceServiceRequest{}).ProtoReflect().Descriptor()
	spanName          = (&tracepb.Span{}).ProtoReflect().Descriptor().FullName()
)

// countProtobuf counts the messages and spans of an ExportTraceServiceRequest in the
// wire format without decoding it, and stops at the first bound it passes. Malformed
// wire data is left for proto.Unmarshal to report.
func countProtobuf(b []byte, maxValues int) (wireCount, error) {
	var c wireCount
	err := c.protobuf(b, requestDescriptor, 1, maxValues)
	return c, err
}

func (c *wireCount) protobuf(b []byte, md protoreflect.MessageDescriptor, depth, maxValues int) error {
	if depth > maxNesting {
		return nestedTooDeep("protobuf messages")
	}
	fields := md.Fields()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return nil
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		fd := fields.ByNumber(num)
		if fd == nil {
			continue // kept as unknown bytes: no value of its own
		}
		if fd.IsList() || fd.Kind() == protoreflect.MessageKind {
			c.values++ // a message, or an item of a list of strings or bytes
			if c.values > maxValues {
				return tooManyValues(maxValues, "values")
			}
		}
		if fd.Kind() != protoreflect.MessageKind {
			continue
		}
		if fd.Message().FullName() == spanName {
			c.spans++
		}
		if err := c.protobuf(v, fd.Message(), depth+1, maxValues); err != nil {
			return err
		}
	}
	return nil
}

// countJSON counts the objects, arrays and items of a JSON body in one pass: a bound on
// the values that decoding it allocates. Malformed JSON is left for the decoder to report.
func countJSON(b []byte, maxValues int) (wireCount, error) {
	var c wireCount
	depth, inString, escaped := 0, false, false
	for _, ch := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
			continue
		}
		switch ch {
		case '"':
			inString = true
		case '{', '[':
			if depth++; depth > maxNesting {
				return c, nestedTooDeep("JSON objects and arrays")
			}
			c.values++
		case '}', ']':
			depth--
		case ',':
			c.values++
		default:
			continue
		}
		if c.values > maxValues {
			return c, tooManyValues(maxValues, "JSON values")
		}
	}
	return c, nil
}
