package controlplane

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// Node describes a simulated node.
type Node struct {
	Name   string
	Labels map[string]string
	// CPU, Memory and Pods are its capacity and allocatable; zero for 16 CPUs, 64Gi, 110 pods.
	CPU, Memory string
	Pods        int
	// Extended are extended resources it has, e.g. nvidia.com/gpu: "4" (what a device
	// plugin would announce).
	Extended map[string]string
	// KubeletVersion is what status.nodeInfo says; empty for the control plane's version.
	KubeletVersion string
	// KernelVersion is what status.nodeInfo says; empty for none.
	KernelVersion string
}

// AddNode creates a Node and makes it schedulable the way a kubelet and the node lifecycle
// controller would: the Ready condition, capacity and allocatable set through the status
// subresource, then the node.kubernetes.io/not-ready taint (added at creation by the
// TaintNodesByCondition admission plugin) removed.
func (c *ControlPlane) AddNode(ctx context.Context, n Node) error {
	if n.CPU == "" {
		n.CPU = "16"
	}
	if n.Memory == "" {
		n.Memory = "64Gi"
	}
	if n.Pods == 0 {
		n.Pods = 110
	}
	if n.KubeletVersion == "" {
		n.KubeletVersion = "v1.37.2"
	}
	cpu, err := resource.ParseQuantity(n.CPU)
	if err != nil {
		return fmt.Errorf("node %s: cpu: %w", n.Name, err)
	}
	mem, err := resource.ParseQuantity(n.Memory)
	if err != nil {
		return fmt.Errorf("node %s: memory: %w", n.Name, err)
	}
	nodes := c.Client.CoreV1().Nodes()
	labels := map[string]string{
		"kubernetes.io/hostname": n.Name,
		"kubernetes.io/os":       "linux",
		"kubernetes.io/arch":     "amd64",
	}
	maps.Copy(labels, n.Labels)
	node, err := nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create node %s: %w", n.Name, err)
	}
	now := metav1.Now()
	res := corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem, corev1.ResourcePods: *resource.NewQuantity(int64(n.Pods), resource.DecimalSI)}
	for name, q := range n.Extended {
		v, err := resource.ParseQuantity(q)
		if err != nil {
			return fmt.Errorf("node %s: %s: %w", n.Name, name, err)
		}
		res[corev1.ResourceName(name)] = v
	}
	node.Status = corev1.NodeStatus{
		Capacity:    res,
		Allocatable: res,
		Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "simulated by strata's control plane harness", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", LastHeartbeatTime: now, LastTransitionTime: now},
		},
		NodeInfo:  corev1.NodeSystemInfo{KubeletVersion: n.KubeletVersion, OperatingSystem: "linux", Architecture: "amd64", ContainerRuntimeVersion: "containerd://1.7.13", KernelVersion: n.KernelVersion},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: n.Name}, {Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
	}
	if _, err := nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("node %s: set Ready: %w", n.Name, err)
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := nodes.Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		kept := slices.DeleteFunc(slices.Clone(cur.Spec.Taints), func(t corev1.Taint) bool {
			return t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable
		})
		if len(kept) == len(cur.Spec.Taints) {
			return nil
		}
		cur.Spec.Taints = kept
		_, err = nodes.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}
