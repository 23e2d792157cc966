package fleet

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// protobufMagic starts every body the API server sends in its protobuf encoding: "k8s"
// and a zero byte, then a runtime.Unknown message wrapping the object.
var protobufMagic = []byte{0x6b, 0x38, 0x73, 0x00}

// errNotNodeList is returned by [decodeNodeList] for a body that is no protobuf NodeList.
var errNotNodeList = errors.New("not a protobuf NodeList")

// nodeDecoder reads a NodeList page in the API server's protobuf encoding and keeps of
// each node only what [ParseNode] reads: its name and labels, spec.unschedulable and
// spec.taints, the type and status of status.conditions, and status.nodeInfo's kubelet
// and kernel versions. Everything else — managed fields, annotations, capacity, images,
// the conditions' times and messages — is skipped without being decoded, which is most of
// a node's bytes and most of the work of decoding it (BenchmarkDecodeNodes).
//
// The field numbers are those of k8s.io/api/core/v1/generated.proto and
// k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto, fixed by protobuf's
// compatibility rules; fields it does not know are skipped. TestDecodeNodeListMatchesCodec
// judges it against the generated decoder.
type nodeDecoder struct {
	// strings holds one copy of each label key and value and each other short string
	// seen: 5,000 nodes carry the same few dozen keys.
	strings map[string]string
}

// str is b as a string, one copy per distinct value.
func (d *nodeDecoder) str(b []byte) string {
	if s, ok := d.strings[string(b)]; ok {
		return s
	}
	if d.strings == nil {
		d.strings = map[string]string{}
	}
	s := string(b)
	d.strings[s] = s
	return s
}

// maxNodeBytes bounds one node of a NodeList (and any other field but the list itself):
// etcd stores objects of at most 1.5 MiB unless told otherwise; a length past this is
// damage, not a node, and is refused before anything that large is allocated.
const maxNodeBytes = 64 << 20

// decodeNodeList calls fn with each node of a protobuf NodeList body, in order, and
// returns the list's continue token.
func (d *nodeDecoder) decodeNodeList(body []byte, fn func(*corev1.Node)) (cont string, err error) {
	return d.decodeNodeStream(bufio.NewReader(bytes.NewReader(body)), fn)
}

// decodeNodeStream reads a protobuf NodeList from r node by node, as the API server
// sends it, and calls fn with each node once it has arrived: the list is never held
// whole, and the nodes are decoded while the rest is still on its way (the API server
// encodes and compresses a list item by item). It returns the list's continue token. A
// body that is cut short or damaged is an error, after fn has seen the nodes before the
// damage.
func (d *nodeDecoder) decodeNodeStream(r *bufio.Reader, fn func(*corev1.Node)) (cont string, err error) {
	if head, _ := r.Peek(len(protobufMagic)); !bytes.Equal(head, protobufMagic) {
		return "", errNotNodeList
	}
	r.Discard(len(protobufMagic))
	s := &protoStream{r: r}
	// runtime.Unknown: typeMeta = 1 (apiVersion = 1, kind = 2), raw = 2. The Kubernetes
	// serializer writes the fields in order: the kind is known before the list.
	var kind string
	for {
		num, typ, err := s.tag()
		if err == io.EOF {
			return cont, nil
		}
		if err != nil {
			return cont, err
		}
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, err := s.bytes(maxNodeBytes)
			if err != nil {
				return cont, err
			}
			if err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if num == 2 && typ == protowire.BytesType {
					kind = string(v)
				}
				return nil
			}); err != nil {
				return cont, err
			}
		case num == 2 && typ == protowire.BytesType:
			if kind != "NodeList" {
				return cont, fmt.Errorf("%w: the server sent a %q", errNotNodeList, kind)
			}
			if cont, err = d.nodeListStream(s, fn); err != nil {
				return cont, err
			}
		default:
			if err := s.skip(num, typ); err != nil {
				return cont, err
			}
		}
	}
}

// nodeListStream reads the length of a NodeList and its fields: metadata = 1 (ListMeta:
// continue = 3), items = 2.
func (d *nodeDecoder) nodeListStream(s *protoStream, fn func(*corev1.Node)) (cont string, err error) {
	size, err := s.varint()
	if err != nil {
		return "", err
	}
	end := s.read + int64(size)
	if end < s.read {
		return "", fmt.Errorf("protobuf: NodeList of %d bytes", size)
	}
	for s.read < end {
		num, typ, err := s.tag()
		if err != nil {
			return cont, unexpectedEOF(err)
		}
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, err := s.bytes(maxNodeBytes)
			if err != nil {
				return cont, err
			}
			if err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if num == 3 && typ == protowire.BytesType {
					cont = string(v)
				}
				return nil
			}); err != nil {
				return cont, err
			}
		case num == 2 && typ == protowire.BytesType:
			v, err := s.bytes(maxNodeBytes)
			if err != nil {
				return cont, err
			}
			n := &corev1.Node{}
			if err := d.node(v, n); err != nil {
				return cont, err
			}
			fn(n)
		default:
			if err := s.skip(num, typ); err != nil {
				return cont, err
			}
		}
	}
	if s.read != end {
		return cont, fmt.Errorf("protobuf: a field runs past the end of the NodeList")
	}
	return cont, nil
}

// protoStream reads protobuf fields from a reader: tags, varints and length-delimited
// values, counting the bytes read.
type protoStream struct {
	r    *bufio.Reader
	read int64
	buf  []byte // the last bytes value; reused
}

func (s *protoStream) varint() (uint64, error) {
	var x uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		b, err := s.r.ReadByte()
		if err != nil {
			if i > 0 {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, err
		}
		s.read++
		x |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return x, nil
		}
	}
	return 0, errors.New("protobuf: a varint of more than 64 bits")
}

// tag reads a field's tag; io.EOF when the stream ends before it.
func (s *protoStream) tag() (protowire.Number, protowire.Type, error) {
	v, err := s.varint()
	if err != nil {
		return 0, 0, err
	}
	num, typ := protowire.DecodeTag(v)
	if num < protowire.MinValidNumber {
		return 0, 0, fmt.Errorf("protobuf: field number %d", num)
	}
	return num, typ, nil
}

// bytes reads a length-delimited value of at most max bytes into s.buf; the slice is
// valid until the next call.
func (s *protoStream) bytes(max int) ([]byte, error) {
	n, err := s.varint()
	if err != nil {
		return nil, unexpectedEOF(err)
	}
	if n > uint64(max) {
		return nil, fmt.Errorf("protobuf: a field of %d bytes, more than %d", n, max)
	}
	if cap(s.buf) < int(n) {
		s.buf = make([]byte, n)
	}
	s.buf = s.buf[:n]
	if _, err := io.ReadFull(s.r, s.buf); err != nil {
		return nil, unexpectedEOF(err)
	}
	s.read += int64(n)
	return s.buf, nil
}

// skip reads past a field's value.
func (s *protoStream) skip(num protowire.Number, typ protowire.Type) error {
	var n uint64
	switch typ {
	case protowire.VarintType:
		_, err := s.varint()
		return unexpectedEOF(err)
	case protowire.Fixed32Type:
		n = 4
	case protowire.Fixed64Type:
		n = 8
	case protowire.BytesType:
		var err error
		if n, err = s.varint(); err != nil {
			return unexpectedEOF(err)
		}
	default:
		return fmt.Errorf("protobuf field %d: wire type %d not expected here", num, typ)
	}
	if n > math.MaxInt32 {
		return fmt.Errorf("protobuf field %d: %d bytes", num, n)
	}
	m, err := s.r.Discard(int(n))
	s.read += int64(m)
	return unexpectedEOF(err)
}

// unexpectedEOF is err, but io.ErrUnexpectedEOF for io.EOF: the stream ended inside a
// message.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// node reads one Node: metadata = 1, spec = 2, status = 3.
func (d *nodeDecoder) node(b []byte, n *corev1.Node) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			return d.objectMeta(v, &n.ObjectMeta)
		case 2:
			return d.nodeSpec(v, &n.Spec)
		case 3:
			return d.nodeStatus(v, &n.Status)
		}
		return nil
	})
}

// objectMeta reads name = 1 and labels = 11 (map entries: key = 1, value = 2).
func (d *nodeDecoder) objectMeta(b []byte, m *metav1.ObjectMeta) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			m.Name = string(v)
		case 11:
			var key, value string
			if err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if typ == protowire.BytesType {
					switch num {
					case 1:
						key = d.str(v)
					case 2:
						value = d.str(v)
					}
				}
				return nil
			}); err != nil {
				return err
			}
			if m.Labels == nil {
				m.Labels = map[string]string{}
			}
			m.Labels[key] = value
		}
		return nil
	})
}

// nodeSpec reads unschedulable = 4 and taints = 5 (key = 1, value = 2, effect = 3,
// timeAdded = 4).
func (d *nodeDecoder) nodeSpec(b []byte, s *corev1.NodeSpec) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == 4 && typ == protowire.VarintType:
			x, _ := protowire.ConsumeVarint(v)
			s.Unschedulable = x != 0
		case num == 5 && typ == protowire.BytesType:
			var t corev1.Taint
			if err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if typ != protowire.BytesType {
					return nil
				}
				switch num {
				case 1:
					t.Key = d.str(v)
				case 2:
					t.Value = d.str(v)
				case 3:
					t.Effect = corev1.TaintEffect(d.str(v))
				case 4:
					at, err := protoTime(v)
					if err != nil {
						return err
					}
					t.TimeAdded = &at
				}
				return nil
			}); err != nil {
				return err
			}
			s.Taints = append(s.Taints, t)
		}
		return nil
	})
}

// nodeStatus reads conditions = 4 (type = 1, status = 2) and nodeInfo = 7
// (kernelVersion = 4, kubeletVersion = 7).
func (d *nodeDecoder) nodeStatus(b []byte, s *corev1.NodeStatus) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 4:
			var c corev1.NodeCondition
			if err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if typ == protowire.BytesType {
					switch num {
					case 1:
						c.Type = corev1.NodeConditionType(d.str(v))
					case 2:
						c.Status = corev1.ConditionStatus(d.str(v))
					}
				}
				return nil
			}); err != nil {
				return err
			}
			s.Conditions = append(s.Conditions, c)
		case 7:
			return fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if typ == protowire.BytesType {
					switch num {
					case 4:
						s.NodeInfo.KernelVersion = d.str(v)
					case 7:
						s.NodeInfo.KubeletVersion = d.str(v)
					}
				}
				return nil
			})
		}
		return nil
	})
}

// protoTime reads a metav1.Time (seconds = 1, nanos = 2) as its generated decoder does:
// whole seconds, in the local time zone.
func protoTime(b []byte) (metav1.Time, error) {
	var sec int64
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num == 1 && typ == protowire.VarintType {
			x, _ := protowire.ConsumeVarint(v)
			sec = int64(x)
		}
		return nil
	})
	return metav1.Time{Time: time.Unix(sec, 0).Local()}, err
}

// fields calls fn for each field of the message b: its number, wire type and value (for
// BytesType the bytes, for VarintType the varint's bytes; other types are skipped).
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("protobuf: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var v []byte
		switch typ {
		case protowire.BytesType:
			x, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return fmt.Errorf("protobuf field %d: %w", num, protowire.ParseError(m))
			}
			v, n = x, m
		case protowire.VarintType:
			_, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return fmt.Errorf("protobuf field %d: %w", num, protowire.ParseError(m))
			}
			v, n = b[:m], m
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return fmt.Errorf("protobuf field %d: %w", num, protowire.ParseError(m))
			}
			n = m
		}
		b = b[n:]
		if v != nil || typ == protowire.BytesType {
			if err := fn(num, typ, v); err != nil {
				return err
			}
		}
	}
	return nil
}
