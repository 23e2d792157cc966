package fleet_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/strata-dev/strata/fleet"
	"github.com/strata-dev/strata/internal/controlplane"
)

// BenchmarkDecodeNodes is the client's part of listing 5,000 nodes, without a cluster:
// one protobuf NodeList body of nodes shaped as the control plane's AddNode makes them
// (the probe's labels of the five fake host trees in turn, four conditions, capacity,
// addresses, node info, and managed fields like those the API server records for the
// create and the status update) read into fleet.Nodes, by client-go's generated decoder
// ("codec", what the typed client does) and by fleet's own ("lean", what ReadNodes does).
func BenchmarkDecodeNodes(b *testing.B) {
	body := benchNodeListBody(b)
	for _, v := range []struct {
		name   string
		decode func([]byte, func(*corev1.Node)) error
	}{
		{"codec", func(buf []byte, fn func(*corev1.Node)) error {
			obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(buf, nil, nil)
			if err != nil {
				return err
			}
			l := obj.(*corev1.NodeList)
			for i := range l.Items {
				fn(&l.Items[i])
			}
			return nil
		}},
		{"lean", func(buf []byte, fn func(*corev1.Node)) error {
			_, err := fleet.DecodeNodeList(buf, fn)
			return err
		}},
	} {
		b.Run(v.name, func(b *testing.B) {
			cpu0 := processCPU(b)
			for b.Loop() {
				nodes := make([]fleet.Node, 0, benchNodes)
				if err := v.decode(body, func(n *corev1.Node) { nodes = append(nodes, fleet.ParseNode(n)) }); err != nil {
					b.Fatal(err)
				}
				if len(nodes) != benchNodes || !nodes[0].Probed {
					b.Fatalf("%d nodes, the first %+v", len(nodes), nodes[0])
				}
			}
			b.ReportMetric(float64(processCPU(b)-cpu0)/1e6/float64(b.N), "cpu-ms/op")
		})
	}
}

// benchNodeListBody is one protobuf NodeList body of 5,000 nodes shaped as the control
// plane's AddNode makes them (see BenchmarkDecodeNodes).
func benchNodeListBody(b *testing.B) []byte {
	trees := []string{"kvm-host", "amd-no-kvm", "pvm-guest", "gvisor-sandbox", "empty-container"}
	var labels []map[string]string
	for _, tree := range trees {
		l, err := controlplane.ProbedLabels(b.Context(), filepath.Join("..", "probe", "testdata", tree), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		labels = append(labels, l)
	}
	now := metav1.Now()
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16"), corev1.ResourceMemory: resource.MustParse("64Gi"), corev1.ResourcePods: resource.MustParse("250")}
	conditionFields := func(types ...string) string {
		var parts []string
		for _, t := range types {
			parts = append(parts, fmt.Sprintf(`"k:{\"type\":\"%s\"}":{".":{},"f:lastHeartbeatTime":{},"f:lastTransitionTime":{},"f:message":{},"f:reason":{},"f:status":{},"f:type":{}}`, t))
		}
		return strings.Join(parts, ",")
	}
	statusFields := `{"f:status":{"f:addresses":{".":{},"k:{\"type\":\"Hostname\"}":{".":{},"f:address":{},"f:type":{}},"k:{\"type\":\"InternalIP\"}":{".":{},"f:address":{},"f:type":{}}},` +
		`"f:allocatable":{".":{},"f:cpu":{},"f:memory":{},"f:pods":{}},"f:capacity":{".":{},"f:cpu":{},"f:memory":{},"f:pods":{}},` +
		`"f:conditions":{".":{},` + conditionFields("DiskPressure", "MemoryPressure", "PIDPressure", "Ready") + `},` +
		`"f:nodeInfo":{"f:architecture":{},"f:containerRuntimeVersion":{},"f:kubeletVersion":{},"f:operatingSystem":{}}}}`
	list := &corev1.NodeList{}
	list.APIVersion, list.Kind = "v1", "NodeList"
	for i := range benchNodes {
		name := fmt.Sprintf("node-%05d", i)
		l := map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
		labelFields := `{"f:metadata":{"f:labels":{".":{}`
		for k, v := range labels[i%len(labels)] {
			l[k] = v
			labelFields += `,"f:` + k + `":{}`
		}
		labelFields += "}}}"
		list.Items = append(list.Items, corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l, UID: "0b7b8d43-5b42-4a4c-8a8e-9d6a2f1c0e11", ResourceVersion: "123456", CreationTimestamp: now,
				ManagedFields: []metav1.ManagedFieldsEntry{
					{Manager: "fleet.test", Operation: "Update", APIVersion: "v1", Time: &now, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(labelFields)}},
					{Manager: "fleet.test", Operation: "Update", APIVersion: "v1", Time: &now, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(statusFields)}, Subresource: "status"},
				}},
			Status: corev1.NodeStatus{Capacity: res, Allocatable: res,
				Conditions: []corev1.NodeCondition{
					{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "simulated by strata's control plane harness", LastHeartbeatTime: now, LastTransitionTime: now},
					{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", LastHeartbeatTime: now, LastTransitionTime: now},
					{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", LastHeartbeatTime: now, LastTransitionTime: now},
					{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", LastHeartbeatTime: now, LastTransitionTime: now},
				},
				NodeInfo:  corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", OperatingSystem: "linux", Architecture: "amd64", ContainerRuntimeVersion: "containerd://1.7.13"},
				Addresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
			}})
	}
	var body bytes.Buffer
	if err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Encode(list, &body); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d nodes in %d bytes of protobuf", benchNodes, body.Len())
	return body.Bytes()
}

// processCPU is the processor time this process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
