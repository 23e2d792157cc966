package fleet

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/strata-dev/strata/probe"
)

// Node label keys. Node Feature Discovery prefixes the names of features.d lines with
// [probe.NFDPrefix]; direct mode writes the same keys.
const (
	LabelPrefix   = probe.NFDPrefix + "strata-"
	LayerPrefix   = LabelPrefix + "layer-"
	RuntimePrefix = LabelPrefix + "runtime-"
	// ProbedAtLabel holds the Unix time (seconds) the labels were probed at.
	ProbedAtLabel = LabelPrefix + "probed-at"
)

// Layers are the isolation layers a layer label may name.
var Layers = []string{"L-0", "L-1", "L-2", "L-3", "L-4"}

// Node is what strata knows of one node: what its labels say it offers and whether the
// scheduler may place pods there.
type Node struct {
	Name string `json:"name" yaml:"name"`
	// Layers and Runtimes are the isolation layers and containerd handlers its labels say
	// it offers, sorted.
	Layers   []string `json:"layers" yaml:"layers"`
	Runtimes []string `json:"runtimes" yaml:"runtimes"`
	// ProbedAt is when the labels were probed; zero when the node has no (valid)
	// strata-probed-at label.
	ProbedAt time.Time `json:"probedAt,omitzero" yaml:"probedAt,omitempty"`
	// Probed says the node carries strata labels at all.
	Probed bool `json:"probed" yaml:"probed"`
	// Ready is the node's Ready condition; Schedulable adds: not cordoned and no NoSchedule
	// or NoExecute taint.
	Ready       bool `json:"ready" yaml:"ready"`
	Schedulable bool `json:"schedulable" yaml:"schedulable"`
	Cordoned    bool `json:"cordoned,omitempty" yaml:"cordoned,omitempty"`
	// Problems are the node's malformed strata labels, each with what is wrong.
	Problems       []string `json:"problems,omitempty" yaml:"problems,omitempty"`
	KubeletVersion string   `json:"kubeletVersion,omitempty" yaml:"kubeletVersion,omitempty"`
	// KernelVersion is the kernel the node reports running (status.nodeInfo).
	KernelVersion string            `json:"kernelVersion,omitempty" yaml:"kernelVersion,omitempty"`
	Labels        map[string]string `json:"-" yaml:"-"`
	Taints        []corev1.Taint    `json:"-" yaml:"-"`
}

// Offers says whether the node's labels offer the runtime handler.
func (n *Node) Offers(handler string) bool {
	_, ok := slices.BinarySearch(n.Runtimes, handler)
	return ok
}

// ParseNode reads a node's strata labels. A malformed label — a value other than "true",
// a layer other than L-0 … L-4, a handler that is no DNS label, an unknown strata- key, a
// probed-at that is no Unix time — is left out and reported in Problems; it never fails.
func ParseNode(n *corev1.Node) Node {
	out := Node{Name: n.Name, Labels: n.Labels, Taints: n.Spec.Taints, Layers: []string{}, Runtimes: []string{},
		KubeletVersion: n.Status.NodeInfo.KubeletVersion, KernelVersion: n.Status.NodeInfo.KernelVersion}
	keys := make([]string, 0, len(n.Labels))
	for k := range n.Labels {
		if strings.HasPrefix(k, LabelPrefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := n.Labels[k]
		out.Probed = true
		switch {
		case k == ProbedAtLabel:
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil || sec <= 0 {
				out.Problems = append(out.Problems, fmt.Sprintf("label %s=%q: not a Unix time in seconds (strata probe writes one)", k, v))
				continue
			}
			out.ProbedAt = time.Unix(sec, 0).UTC()
		case strings.HasPrefix(k, LayerPrefix):
			layer := strings.TrimPrefix(k, LayerPrefix)
			if !slices.Contains(Layers, layer) {
				out.Problems = append(out.Problems, fmt.Sprintf("label %s: %q is no isolation layer (L-0 … L-4)", k, layer))
				continue
			}
			if v != "true" {
				out.Problems = append(out.Problems, fmt.Sprintf("label %s=%q: the value must be \"true\"", k, v))
				continue
			}
			out.Layers = append(out.Layers, layer)
		case strings.HasPrefix(k, RuntimePrefix):
			h := strings.TrimPrefix(k, RuntimePrefix)
			if errs := validation.IsDNS1123Label(h); len(errs) > 0 {
				out.Problems = append(out.Problems, fmt.Sprintf("label %s: %q is no runtime handler name: %s", k, h, strings.Join(errs, "; ")))
				continue
			}
			if v != "true" {
				out.Problems = append(out.Problems, fmt.Sprintf("label %s=%q: the value must be \"true\"", k, v))
				continue
			}
			out.Runtimes = append(out.Runtimes, h)
		default:
			out.Problems = append(out.Problems, fmt.Sprintf("label %s: unknown strata label (strata probe writes %s<layer>, %s<handler> and %s)", k, LayerPrefix, RuntimePrefix, ProbedAtLabel))
		}
	}
	slices.Sort(out.Runtimes)
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Ready = c.Status == corev1.ConditionTrue
		}
	}
	out.Cordoned = n.Spec.Unschedulable
	out.Schedulable = out.Ready && !out.Cordoned
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			out.Schedulable = false
		}
	}
	return out
}

// MaxNFDSize bounds what [LabelsFromNFD] reads: a probe's file is a few hundred bytes.
const MaxNFDSize = 64 << 10

// LabelsFromNFD turns Node Feature Discovery features.d lines (what `strata probe -o nfd`
// writes) into the node labels NFD would set: "name=value" becomes
// feature.node.kubernetes.io/name: value, a name without a value gets "true". Comments
// and blank lines are skipped. Only strata- features are taken; anything else, an invalid
// label, a repeated name or more than [MaxNFDSize] bytes is an error naming the line.
func LabelsFromNFD(data []byte) (map[string]string, error) {
	if len(data) > MaxNFDSize {
		return nil, fmt.Errorf("features.d file is %d bytes; at most %d expected", len(data), MaxNFDSize)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxNFDSize)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, value, ok := strings.Cut(text, "=")
		if !ok {
			value = "true"
		}
		if !strings.HasPrefix(name, "strata-") {
			return nil, fmt.Errorf("line %d: %q is not a strata feature", line, name)
		}
		key := probe.NFDPrefix + name
		if errs := validation.IsQualifiedName(key); len(errs) > 0 {
			return nil, fmt.Errorf("line %d: label %s: %s", line, key, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(value); len(errs) > 0 {
			return nil, fmt.Errorf("line %d: label %s value %q: %s", line, key, value, strings.Join(errs, "; "))
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: %s repeated", line, name)
		}
		out[key] = value
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
