package fleet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/randfill"
)

// encodeNodeList is what the API server sends for a LIST of nodes in protobuf: Kubernetes'
// own serializer (the magic, runtime.Unknown, the generated NodeList marshaller).
func encodeNodeList(t testing.TB, list *corev1.NodeList) []byte {
	t.Helper()
	list.APIVersion, list.Kind = "v1", "NodeList"
	var b bytes.Buffer
	if err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Encode(list, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// randomNodes fills nodes at random with randfill, every field of a Node (managed fields,
// images, capacity, conditions with their times …), so that the decoder must skip what it
// does not read, whatever it is.
func randomNodes(seed uint64, n int) []corev1.Node {
	r := rand.New(rand.NewPCG(seed, 0))
	f := randfill.NewWithSeed(int64(seed)).NilChance(0.2).NumElements(0, 4).MaxDepth(12).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewQuantity(c.Int63n(1<<40), resource.DecimalSI)
		},
		func(t *metav1.Time, c randfill.Continue) {
			*t = metav1.NewTime(time.Unix(c.Int63n(4e9), c.Int63n(1e9)))
		},
		func(fv *metav1.FieldsV1, c randfill.Continue) {
			fv.Raw = fmt.Appendf(nil, `{"f:metadata":{"f:labels":{"f:k%d":{}}}}`, c.Intn(100))
		},
		func(e *corev1.TaintEffect, c randfill.Continue) {
			*e = []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute, ""}[c.Intn(4)]
		},
		func(ct *corev1.NodeConditionType, c randfill.Continue) {
			*ct = []corev1.NodeConditionType{corev1.NodeReady, corev1.NodeMemoryPressure, "Custom"}[c.Intn(3)]
		},
		func(s *corev1.ConditionStatus, c randfill.Continue) {
			*s = []corev1.ConditionStatus{corev1.ConditionTrue, corev1.ConditionFalse, corev1.ConditionUnknown}[c.Intn(3)]
		},
	)
	strataKeys := []string{LayerPrefix + "L-3", LayerPrefix + "L-9", RuntimePrefix + "runc", RuntimePrefix + "wasmedge", ProbedAtLabel, LabelPrefix + "colour"}
	nodes := make([]corev1.Node, n)
	for i := range nodes {
		f.Fill(&nodes[i])
		nodes[i].TypeMeta = metav1.TypeMeta{}
		// Strata labels besides the random ones, some malformed, as ParseNode sees them.
		for _, k := range strataKeys {
			if r.IntN(2) == 0 {
				if nodes[i].Labels == nil {
					nodes[i].Labels = map[string]string{}
				}
				nodes[i].Labels[k] = []string{"true", "yes", "1700000000", ""}[r.IntN(4)]
			}
		}
	}
	return nodes
}

// TestDecodeNodeListMatchesCodec judges nodeDecoder by Kubernetes' generated protobuf
// decoder: for random nodes, every field ParseNode reads is decoded alike, and ParseNode
// makes the same Node of both.
func TestDecodeNodeListMatchesCodec(t *testing.T) {
	for seed := range uint64(40) {
		nodes := randomNodes(seed, 25)
		list := &corev1.NodeList{Items: nodes}
		list.Continue = fmt.Sprintf("token-%d", seed)
		if seed%3 == 0 {
			list.Continue = ""
		}
		body := encodeNodeList(t, list)
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := obj.(*corev1.NodeList)
		var d nodeDecoder
		var got []*corev1.Node
		cont, err := d.decodeNodeList(body, func(n *corev1.Node) { got = append(got, n) })
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if cont != want.Continue {
			t.Errorf("seed %d: continue %q, want %q", seed, cont, want.Continue)
		}
		if len(got) != len(want.Items) {
			t.Fatalf("seed %d: %d nodes, want %d", seed, len(got), len(want.Items))
		}
		for i, g := range got {
			w := &want.Items[i]
			// What nodeDecoder promises to read, projected out of the generated decoder's node.
			proj := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: w.Name, Labels: w.Labels},
				Spec: corev1.NodeSpec{Unschedulable: w.Spec.Unschedulable, Taints: w.Spec.Taints}}
			proj.Status.NodeInfo.KernelVersion, proj.Status.NodeInfo.KubeletVersion = w.Status.NodeInfo.KernelVersion, w.Status.NodeInfo.KubeletVersion
			for _, c := range w.Status.Conditions {
				proj.Status.Conditions = append(proj.Status.Conditions, corev1.NodeCondition{Type: c.Type, Status: c.Status})
			}
			if len(proj.Labels) == 0 {
				proj.Labels = nil
			}
			if !reflect.DeepEqual(g, proj) {
				t.Errorf("seed %d node %d:\n got  %+v\n want %+v", seed, i, g, proj)
			}
			if pg, pw := ParseNode(g), ParseNode(w); !reflect.DeepEqual(pg, pw) {
				t.Errorf("seed %d node %d: ParseNode differs:\n got  %+v\n want %+v", seed, i, pg, pw)
			}
		}
	}
}

// TestDecodeNodeListRefusesDamage: every truncation of a NodeList body and bodies that
// are no NodeList give an error (or, cut at a field boundary, fewer nodes), never a
// panic and never a node the full body does not have.
func TestDecodeNodeListRefusesDamage(t *testing.T) {
	body := encodeNodeList(t, &corev1.NodeList{Items: randomNodes(7, 3)})
	for cut := range len(body) {
		var d nodeDecoder
		n := 0
		_, err := d.decodeNodeList(body[:cut], func(*corev1.Node) { n++ })
		if err == nil && n > 3 {
			t.Fatalf("cut at %d: %d nodes from 3", cut, n)
		}
	}
	var d nodeDecoder
	if _, err := d.decodeNodeList([]byte(`{"kind":"NodeList"}`), func(*corev1.Node) {}); !errors.Is(err, errNotNodeList) {
		t.Errorf("JSON body: %v, want errNotNodeList", err)
	}
	pods := &corev1.PodList{}
	pods.APIVersion, pods.Kind = "v1", "PodList"
	var b bytes.Buffer
	if err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Encode(pods, &b); err != nil {
		t.Fatal(err)
	}
	if _, err := d.decodeNodeList(b.Bytes(), func(*corev1.Node) {}); !errors.Is(err, errNotNodeList) {
		t.Errorf("PodList body: %v, want errNotNodeList", err)
	}
}

// TestDecodeNodeStreamInPieces: a NodeList that arrives a byte at a time decodes to the
// same nodes and continue token as the whole body, and lengths no node can have are
// refused before anything that large is allocated.
func TestDecodeNodeStreamInPieces(t *testing.T) {
	list := &corev1.NodeList{Items: randomNodes(11, 30)}
	list.Continue = "next"
	body := encodeNodeList(t, list)
	var d nodeDecoder
	var whole []*corev1.Node
	cont, err := d.decodeNodeList(body, func(n *corev1.Node) { whole = append(whole, n) })
	if err != nil || cont != "next" || len(whole) != 30 {
		t.Fatalf("whole body: %d nodes, continue %q, %v", len(whole), cont, err)
	}
	var pieces []*corev1.Node
	cont, err = d.decodeNodeStream(bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(body)), 16), func(n *corev1.Node) { pieces = append(pieces, n) })
	if err != nil || cont != "next" || !reflect.DeepEqual(pieces, whole) {
		t.Fatalf("a byte at a time: %d nodes, continue %q, %v; want the whole body's", len(pieces), cont, err)
	}

	// magic, Unknown{typeMeta{kind: NodeList}, raw: NodeList{items: a length of 2^40}}
	typeMeta := protowire.AppendString(nil, "NodeList")
	typeMeta = append(protowire.AppendTag(nil, 2, protowire.BytesType), typeMeta...)
	huge := protowire.AppendTag(nil, 2, protowire.BytesType)
	huge = protowire.AppendVarint(huge, 1<<40)
	raw := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), huge)
	hostile := append(append([]byte{}, protobufMagic...), protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), typeMeta)...)
	hostile = append(hostile, raw...)
	if _, err := d.decodeNodeList(hostile, func(*corev1.Node) { t.Error("a node from a hostile length") }); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a node of 2^40 bytes: %v, want refused", err)
	}
}
