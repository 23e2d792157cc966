package probe

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/strata-dev/strata/network"
)

// NFDPrefix is the prefix Node Feature Discovery gives the features of local files.
const NFDPrefix = "feature.node.kubernetes.io/"

// NFD renders the report as Node Feature Discovery local feature lines (the features.d
// file format): strata-layer-L-n=true for every layer the host can serve and
// strata-runtime-HANDLER=true for every containerd runtime handler it has what it needs
// for, and strata-probed-at=UNIX-SECONDS. NFD publishes them as node labels with
// [NFDPrefix]. Layers and handlers the host
// cannot serve are left out: a label that is absent means false.
func NFD(r Report) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# strata probe on %s at %s: isolation layers and containerd runtime handlers this node offers.\n", r.Host.Hostname, r.Host.Time.Format(time.RFC3339))
	fmt.Fprintf(&b, "# Node Feature Discovery labels them %sstrata-…\n", NFDPrefix)
	for _, c := range r.Coordinates {
		if c.Offered {
			fmt.Fprintf(&b, "strata-layer-%s=true\n", c.Layer)
		}
	}
	for _, h := range r.Handlers {
		if h.Offered {
			fmt.Fprintf(&b, "strata-runtime-%s=true\n", h.Name)
		}
	}
	// When: strata fleet calls labels older than the probe interval stale.
	if !r.Host.Time.IsZero() {
		fmt.Fprintf(&b, "strata-probed-at=%d\n", r.Host.Time.Unix())
	}
	return b.Bytes()
}

// OffersRelation is the relation type of the facts [Facts] writes: a host offers an
// isolation layer or a technology.
const OffersRelation = "offers"

// HostEntityID is the id of the entity [Facts] declares for a probed host.
func HostEntityID(hostname string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(hostname) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "host"
	}
	return "host-" + b.String()
}

// techFacts maps checks to the network's technology entities they measure.
var techFacts = []struct{ check, entity string }{
	{"kvm-create-vm", "KVM"},
	{"runc", "runc"},
	{"crun", "crun"},
	{"containerd", "containerd"},
	{"docker", "Docker"},
	{"wasmedge", "WasmEdge"},
	{"containerd-shim-wasmedge-v1", "WasmEdge"},
	{"runsc", "gVisor"},
	{"gvisor-sandbox", "gVisor"},
	{"xen", "Xen-PV"},
	{"bpf-syscall", "eBPF"},
	{"gpu-nvidia", "GPU"},
	{"gpu-dri", "GPU"},
}

type document struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Metadata   documentHeader `yaml:"metadata"`
	Spec       yaml.MapSlice  `yaml:"spec"`
}

type documentHeader struct {
	Name  string        `yaml:"name"`
	Names *network.Text `yaml:"names,omitempty"`
}

type factDoc struct {
	Subject  string `yaml:"subject"`
	Relation string `yaml:"relation"`
	Object   string `yaml:"object"`
	Kind     string `yaml:"kind"`
	Note     string `yaml:"note"`
}

// Facts renders the report as strata network documents that load on top of base (the
// network the file will be read with, usually the embedded default): an Entities document
// declaring the host, and a Facts document of measured facts "host offers L-n" for every
// layer it can serve and "host offers T" for every technology of base a check found
// working. When base has no relation type "offers", a RelationType document declares it
// first. Facts about entities base lacks are left out.
func Facts(r Report, base *network.Network) ([]byte, error) {
	known := func(id string) bool {
		if base == nil {
			return false
		}
		_, ok := base.Entity(id)
		return ok
	}
	host := HostEntityID(r.Host.Hostname)
	at := r.Host.Time.Format(time.RFC3339)
	by := fmt.Sprintf("strata probe on %s at %s", r.Host.Hostname, at)

	var docs []document
	if base == nil || !hasRelation(base, OffersRelation) {
		docs = append(docs, document{
			APIVersion: network.APIVersion, Kind: "RelationType",
			Metadata: documentHeader{Name: OffersRelation, Names: &network.Text{En: "offers", Zh: "提供"}},
			Spec: yaml.MapSlice{
				{Key: "description", Value: network.Text{En: "a host offers an isolation layer or a technology, as strata probe measured it", Zh: "主机提供某隔离层或技术（strata probe 实测）"}},
				{Key: "properties", Value: []string{"irreflexive"}},
				{Key: "inverse", Value: "offered-by"},
			},
		})
	}
	var offered, handlers []string
	for _, c := range r.Coordinates {
		if c.Offered {
			offered = append(offered, c.Layer)
		}
	}
	for _, h := range r.Handlers {
		if h.Offered {
			handlers = append(handlers, h.Name)
		}
	}
	attrs := yaml.MapSlice{
		{Key: "hostname", Value: r.Host.Hostname},
		{Key: "kernel", Value: r.Host.Kernel},
		{Key: "cpu", Value: r.Host.CPU},
		{Key: "probed-at", Value: at},
		{Key: "privileged", Value: r.Host.Privileged},
		{Key: "layers", Value: nonNil(offered)},
		{Key: "runtime-handlers", Value: nonNil(handlers)},
	}
	docs = append(docs, document{
		APIVersion: network.APIVersion, Kind: "Entities",
		Metadata: documentHeader{Name: "probed-" + host},
		Spec: yaml.MapSlice{
			{Key: "category", Value: network.CategoryExample},
			{Key: "items", Value: []yaml.MapSlice{{
				{Key: "id", Value: host},
				{Key: "names", Value: network.Text{En: r.Host.Hostname + " (probed host)", Zh: r.Host.Hostname + "（实测主机）"}},
				{Key: "attributes", Value: attrs},
			}}},
		},
	})

	facts := []factDoc{}
	for _, c := range r.Coordinates {
		if c.Offered && known(c.Layer) {
			facts = append(facts, factDoc{host, OffersRelation, c.Layer, network.Measured, by + ": " + c.Because})
		}
	}
	checks := map[string]Check{}
	for _, c := range r.Checks {
		checks[c.ID] = c
	}
	seen := map[string]bool{}
	add := func(entity, why string) {
		if seen[entity] || !known(entity) {
			return
		}
		seen[entity] = true
		facts = append(facts, factDoc{host, OffersRelation, entity, network.Measured, by + ": " + why})
	}
	if c, ok := checks["cpu-virt-flags"]; ok && c.Result == Pass {
		if strings.Contains(c.Evidence, "vmx") {
			add("VT-x", "cpu-virt-flags PASS: "+c.Evidence)
		} else {
			add("AMD-V", "cpu-virt-flags PASS: "+c.Evidence)
		}
	}
	for _, tf := range techFacts {
		if c, ok := checks[tf.check]; ok && c.Result == Pass {
			add(tf.entity, tf.check+" PASS: "+c.Evidence)
		}
	}
	for _, c := range r.Coordinates {
		if c.Layer == "L-2" && c.Offered && checks["xen"].Result != Pass {
			add("virtio", "Y2 offered: "+c.Because)
		}
	}
	for _, h := range r.Handlers {
		if h.Offered {
			add(h.Name, "runtime handler "+h.Name+": "+h.Because) // kata-qemu, kata-fc, spin
		}
	}
	docs = append(docs, document{
		APIVersion: network.APIVersion, Kind: "Facts",
		Metadata: documentHeader{Name: "probed-" + host},
		Spec:     yaml.MapSlice{{Key: "facts", Value: facts}},
	})

	var b bytes.Buffer
	fmt.Fprintf(&b, "# Measured facts: %s. Load them with --network.\n", by)
	for i, d := range docs {
		if i > 0 {
			b.WriteString("---\n")
		}
		out, err := yaml.MarshalWithOptions(d, yaml.Indent(2), yaml.IndentSequence(true))
		if err != nil {
			return nil, fmt.Errorf("probe facts: %w", err)
		}
		b.Write(out)
	}
	return b.Bytes(), nil
}

func hasRelation(n *network.Network, id string) bool {
	_, ok := n.Relation(id)
	return ok
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
