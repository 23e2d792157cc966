package plan

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/network/yamlpos"
	"github.com/strata-dev/strata/plan/manifest"
)

// KindWorkload is the document kind of a workload description.
const KindWorkload = "Workload"

// MinAsOf and MaxAsOf bound the year an asOf may name, wherever it is given: a Workload's
// spec.asOf, strata plan --as-of, and the API's asOf parameter (whose OpenAPI schema
// states them, and the web UI's "as of" fields read them from there).
const (
	MinAsOf = 1900
	MaxAsOf = 2200
)

// Workload is what a platform engineer knows about a workload: its requirements in the
// seed's vocabulary and a little more.
type Workload struct {
	Name          string        `json:"name" yaml:"name"`
	Kind          string        `json:"kind" yaml:"kind"` // Deployment | Pod | Job
	Image         string        `json:"image,omitempty" yaml:"image,omitempty"`
	Replicas      int32         `json:"replicas,omitempty" yaml:"replicas,omitempty"`
	Trust         string        `json:"trust" yaml:"trust"`       // trusted | untrusted
	Artifact      string        `json:"artifact" yaml:"artifact"` // any | oci | wasm
	StartupBudget time.Duration `json:"startupBudget,omitempty" yaml:"startupBudget,omitempty"`
	Footprint     string        `json:"footprint" yaml:"footprint"` // constrained | normal
	GPU           int           `json:"gpu,omitempty" yaml:"gpu,omitempty"`
	Availability  string        `json:"availability" yaml:"availability"` // standard | high
	ScaleOnDemand bool          `json:"scaleOnDemand,omitempty" yaml:"scaleOnDemand,omitempty"`
	Policy        string        `json:"policy,omitempty" yaml:"policy,omitempty"` // none … business
	Sites         []string      `json:"sites" yaml:"sites"`
	AsOf          int           `json:"asOf,omitempty" yaml:"asOf,omitempty"`
	Requirements  []string      `json:"requirements,omitempty" yaml:"requirements,omitempty"` // requirement entities by id or name
	CPU           string        `json:"cpu,omitempty" yaml:"cpu,omitempty"`
	Memory        string        `json:"memory,omitempty" yaml:"memory,omitempty"`
	Port          int32         `json:"port,omitempty" yaml:"port,omitempty"` // the container port it serves; 0 for none
	// Labels go on the workload and its pods; at Z=4 (business rules) the pods must carry them.
	Labels map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	Source network.Pos       `json:"source" yaml:"source"`
}

// Policy levels a workload may ask for, in Z order.
var PolicyLevels = []string{"none", "infrastructure", "runtime", "application", "business"}

// Sites a workload may name; each is the site attribute of an X axis point.
var Sites = []string{"single-host", "cluster", "edge", "multi-cluster", "cloud-edge"}

// maxWorkloadName leaves room for the longest suffix of an object named after the
// workload ("-runtime-classes") within Gatekeeper's 63 characters.
const maxWorkloadName = 47

var dns1123 = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`) })

// ReadWorkloads reads every Workload document in the files. Unknown keys, bad values,
// impossible combinations and a name used twice (the workload's objects and output
// directory are named after it) are problems with file:line:col, all reported at once.
func ReadWorkloads(files []network.File) ([]Workload, error) {
	return ReadWorkloadsContext(context.Background(), files)
}

// workloadLimits bound reading a file of Workloads, each a few dozen values: far below
// the limits of a network file, so that a request body costs at most a few megabytes.
var workloadLimits = yamlpos.Limits{MaxDocuments: 1000, MaxNodes: 100_000, MaxAliasNodes: 10_000, MaxScalarBytes: 64 << 10}

// ReadWorkloadsContext is [ReadWorkloads] that stops when ctx is done and returns ctx's
// error (a server reading a request body whose client went away). Reading is bounded
// (1,000 documents, 100,000 values, 64 KiB a value).
func ReadWorkloadsContext(ctx context.Context, files []network.File) ([]Workload, error) {
	docs, err := network.ReadDocuments(ctx, files, workloadLimits, KindWorkload)
	ps, _ := network.AsProblems(err)
	if err != nil && ps == nil {
		return nil, err
	}
	var r yamlpos.Reader
	var out []Workload
	first := map[string]network.Pos{}
	for _, d := range docs {
		if d.Kind != KindWorkload {
			continue
		}
		if at, ok := first[d.Name]; ok && d.Name != "" {
			r.Addf(d.Pos, network.CodeDuplicate, "give each workload its own metadata.name",
				"workload name %q is already used at %s", d.Name, at)
		} else {
			first[d.Name] = d.Pos
		}
		out = append(out, readWorkload(&r, d))
	}
	ps = append(ps, r.Problems()...)
	if len(ps) > 0 {
		ps.Sort()
		return nil, ps
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Workload document found; start one with apiVersion: %s and kind: Workload", network.APIVersion)
	}
	return out, nil
}

func readWorkload(r *yamlpos.Reader, d network.Document) Workload {
	w := Workload{Name: d.Name, Kind: "Deployment", Trust: "trusted", Artifact: "any", Footprint: "normal", Availability: "standard", Source: d.Pos}
	// The Collector's Service is named after the workload, and Service names are DNS-1035
	// labels: they start with a letter and leave room for the "-otel-collector" suffix; the
	// Gatekeeper constraint <name>-runtime-classes holds 63 characters at most.
	if !dns1123().MatchString(w.Name) || len(w.Name) > maxWorkloadName || w.Name[0] < 'a' || w.Name[0] > 'z' {
		r.Addf(d.Pos, network.CodeSchema, "start with a lower-case letter; use lower-case letters, digits and '-', at most 47 characters (objects are named after the workload)", "workload name %q is not a valid Kubernetes name", w.Name)
	}
	s := d.Spec
	if !r.Fields(s, "Workload spec", "kind", "image", "replicas", "trust", "artifact", "startupBudget", "footprint", "gpu",
		"availability", "scaleOnDemand", "policy", "sites", "asOf", "requirements", "cpu", "memory", "port", "labels") {
		return w
	}
	if v := s.Get("kind"); v != nil {
		w.Kind, _ = r.OneOf(v, "spec.kind", "Deployment", "Pod", "Job")
	}
	if v := s.Get("image"); v != nil {
		w.Image, _ = r.String(v, "spec.image")
		// The check is the manifest package's; the words are the reader's own, with its hint
		// apart as every positioned problem has it.
		if w.Image != "" && manifest.CheckImage(w.Image) != nil {
			r.Addf(v.Pos(), network.CodeSchema, "write [registry/]repository[:tag][@digest], e.g. ghcr.io/example/app:1.0", "spec.image: %q is not an image reference", w.Image)
		}
	}
	if v := s.Get("replicas"); v != nil {
		n, _ := r.Int(v, "spec.replicas", 0, 10000)
		w.Replicas = int32(n)
	}
	if v := s.Get("trust"); v != nil {
		w.Trust, _ = r.OneOf(v, "spec.trust", "trusted", "untrusted")
	}
	if v := s.Get("artifact"); v != nil {
		w.Artifact, _ = r.OneOf(v, "spec.artifact", "any", "oci", "wasm")
	}
	if v := s.Get("startupBudget"); v != nil {
		w.StartupBudget, _ = r.Duration(v, "spec.startupBudget")
	}
	if v := s.Get("footprint"); v != nil {
		w.Footprint, _ = r.OneOf(v, "spec.footprint", "constrained", "normal")
	}
	if v := s.Get("gpu"); v != nil {
		n, _ := r.Int(v, "spec.gpu", 0, 64)
		w.GPU = int(n)
	}
	if v := s.Get("availability"); v != nil {
		w.Availability, _ = r.OneOf(v, "spec.availability", "standard", "high")
	}
	w.ScaleOnDemand = r.Bool(s.Get("scaleOnDemand"), "spec.scaleOnDemand")
	if v := s.Get("policy"); v != nil {
		w.Policy, _ = r.OneOf(v, "spec.policy", PolicyLevels...)
	}
	if v := s.Get("sites"); v != nil {
		for i, it := range siteNodes(v) {
			if site, ok := r.OneOf(it, fmt.Sprintf("spec.sites[%d]", i), Sites...); ok {
				w.Sites = append(w.Sites, site)
			}
		}
	}
	if v := s.Get("asOf"); v != nil {
		n, _ := r.Int(v, "spec.asOf", MinAsOf, MaxAsOf)
		w.AsOf = int(n)
	}
	w.Requirements = r.Strings(s.Get("requirements"), "spec.requirements")
	w.CPU = quantity(r, s.Get("cpu"), "spec.cpu", "500m", resource.Milli, "millicores")
	w.Memory = quantity(r, s.Get("memory"), "spec.memory", "256Mi", 0, "bytes")
	if v := s.Get("port"); v != nil {
		n, _ := r.Int(v, "spec.port", 1, 65535)
		w.Port = int32(n)
	}
	if v := s.Get("labels"); v != nil {
		w.Labels = labels(r, v)
	}
	// Combinations that cannot be met whatever the network says.
	if w.Kind == "Job" && w.Availability == "high" {
		r.Addf(s.Get("availability").Pos(), network.CodeSchema, "a Job runs to completion; use kind: Deployment for a highly available service", "availability: high cannot apply to kind: Job")
	}
	if w.Kind == "Pod" && w.Replicas > 1 {
		r.Addf(s.Get("replicas").Pos(), network.CodeSchema, "use kind: Deployment for several replicas", "a Pod has one replica, not %d", w.Replicas)
	}
	if w.Availability == "high" && w.Replicas == 1 {
		r.Addf(s.Get("replicas").Pos(), network.CodeSchema, "run at least 2 replicas, or drop availability: high", "availability: high with a single replica")
	}
	if len(w.Sites) == 1 && w.Sites[0] == "single-host" && w.Availability == "high" {
		r.Addf(s.Get("sites").Pos(), network.CodeSchema, "add cluster (or another multi-node site), or drop availability: high", "high availability needs more than a single host")
	}
	// Business rules (Z=4) are the labels the workload names, required on its pods: with
	// none there is nothing to enforce, and emitting refuses the plan.
	if w.Policy == "business" && len(w.Labels) == 0 {
		r.Addf(s.Get("policy").Pos(), network.CodeSchema, "give spec.labels, e.g. labels: {team: payments}, or ask for a lower policy level",
			"policy: business enforces the labels the workload names on its pods, and it names none")
	}
	return w
}

// quantity reads a Kubernetes resource quantity ("500m", "2", "256Mi"), written as a
// string or a number, that is a whole number of units at scale (millicores for CPU,
// bytes for memory) within int64: the emitted files (the docker run line's --cpus and
// --memory, the Kubernetes objects) carry it in those units, and a finer or larger one
// would be rounded or clamped there without a word ("1e308" CPUs became
// 9223372036854775.807, "9999999999999999999Ei" of memory 9223372036854775807 bytes).
func quantity(r *yamlpos.Reader, v *yamlpos.Node, where, example string, scale resource.Scale, units string) string {
	if v == nil {
		return ""
	}
	text, ok := r.String(v, where)
	if !ok {
		return ""
	}
	q, err := resource.ParseQuantity(text)
	if err != nil || q.Sign() <= 0 {
		r.Addf(v.Pos(), network.CodeSchema, fmt.Sprintf("write a positive Kubernetes quantity such as %q", example), "%s: %q is not a positive quantity", where, text)
		return ""
	}
	// ScaledValue rounds up and may overflow: either way it no longer equals q. A value
	// ParseQuantity found too large it has already clamped to MaxInt64.
	if n := q.ScaledValue(scale); n == math.MaxInt64 || resource.NewScaledQuantity(n, scale).Cmp(q) != 0 {
		r.Addf(v.Pos(), network.CodeSchema, fmt.Sprintf("write a whole number of %s below %d, such as %q", units, int64(math.MaxInt64), example),
			"%s: %q is not a whole number of %s within what the emitted files can carry", where, text, units)
		return ""
	}
	return text
}

// maxLabels bounds spec.labels.
const maxLabels = 32

// labels reads spec.labels: Kubernetes label keys and values, none under strata.dev/.
func labels(r *yamlpos.Reader, v *yamlpos.Node) map[string]string {
	if !v.IsMap() {
		r.Addf(v.Pos(), network.CodeSchema, "write a mapping such as {team: payments}", "spec.labels is not a mapping")
		return nil
	}
	keys := v.Keys()
	if len(keys) > maxLabels {
		r.Addf(v.Pos(), network.CodeSchema, fmt.Sprintf("keep at most %d labels", maxLabels), "spec.labels has %d labels", len(keys))
		return nil
	}
	out := map[string]string{}
	for _, k := range keys {
		item := v.Get(k)
		val, ok := r.String(item, "spec.labels."+k)
		if !ok {
			continue
		}
		var msgs []string
		if strings.HasPrefix(k, "strata.dev/") {
			msgs = append(msgs, "keys under strata.dev/ are set by strata")
		}
		msgs = append(msgs, validation.IsQualifiedName(k)...)
		msgs = append(msgs, validation.IsValidLabelValue(val)...)
		if len(msgs) > 0 {
			r.Addf(item.Pos(), network.CodeSchema, "use a Kubernetes label key and value, e.g. team: payments", "spec.labels.%s: %s", k, strings.Join(msgs, "; "))
			continue
		}
		out[k] = val
	}
	return out
}

func siteNodes(v *yamlpos.Node) []*yamlpos.Node {
	if v.IsList() {
		return v.Items()
	}
	return []*yamlpos.Node{v}
}

// Requirement ids the workload's fields stand for, before its own requirements list.
func (w Workload) implied() []string {
	var out []string
	if w.Trust == "untrusted" {
		out = append(out, "untrusted-code")
	}
	switch w.Artifact {
	case "wasm":
		out = append(out, "wasm-artifact")
	case "oci":
		out = append(out, "oci-artifact")
	}
	if w.Footprint == "constrained" {
		out = append(out, "resource-constrained")
	}
	if w.GPU > 0 {
		out = append(out, "gpu-acceleration")
	}
	if w.Availability == "high" {
		out = append(out, "high-availability")
	}
	if w.ScaleOnDemand {
		out = append(out, "scale-on-demand")
	}
	return out
}

// policyZ is the Z level the workload's policy field asks for, or -1.
func (w Workload) policyZ() int {
	for i, p := range PolicyLevels {
		if strings.EqualFold(p, w.Policy) {
			return i
		}
	}
	return -1
}
