package manifest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// KindContainerdConfig is the [Object].Kind of a node file registering a runtime handler
// with containerd.
const KindContainerdConfig = "ContainerdConfig"

// ContainerdRuntime is the registration of one runtime handler with containerd's CRI
// plugin: the table runtimes.<Handler> and its options. [Build] renders it as a node file.
type ContainerdRuntime struct {
	Handler     string // the table name, equal to RuntimeClass.handler
	RuntimeType string // the shim, e.g. io.containerd.wasmedge.v1
	Version     int    // configuration schema: 2 (containerd 1.x) or 3 (containerd 2.x)
	K3s         bool   // rendered as a K3s template that extends K3s's own configuration
	Target      string // where the file goes on the node

	PrivilegedWithoutHostDevices bool              // privileged pods do not get host devices (VM runtimes)
	PodAnnotations               []string          // pod annotations passed to the shim
	Options                      map[string]string // the options table: BinaryName, ConfigPath, TypeUrl
	Notes                        []string          // what else the node needs, as comments in the file
}

// Table is the TOML table that registers the handler, e.g.
// plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmedge.
func (r *ContainerdRuntime) Table() string {
	if r.Version == 3 {
		return "plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes." + r.Handler
	}
	return `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.` + r.Handler
}

// configuredByOrchestrator reports whether the orchestrator's own configuration declares
// the chosen handler (runc under K3s or Docker): a second declaration of its table would stop
// containerd (a duplicate TOML table) or Docker (a reserved runtime name), so Build writes no
// node file for it.
func (s *spec) configuredByOrchestrator() bool {
	return slices.Contains(s.Orchestrator.ConfiguresRuntimes, s.Runtime.Handler)
}

// runtimeOptions are the handler's options, with the GPU ones when the workload has a GPU.
func (s *spec) runtimeOptions() map[string]string {
	opts := maps.Clone(s.Runtime.Options)
	if opts == nil {
		opts = map[string]string{}
	}
	if s.GPU > 0 {
		maps.Copy(opts, s.Runtime.GPUOptions)
	}
	return opts
}

// nodeNotes are the comments of a node file: what the runtime and the orchestrator need.
func (s *spec) nodeNotes() []string {
	notes := slices.Clone(s.Runtime.NodeNeeds)
	if s.GPU > 0 {
		notes = append(notes, s.Runtime.GPUNodeNeeds...)
	}
	return append(notes, s.Orchestrator.NodeNeeds...)
}

// runtimeConfigTarget is where the node file goes.
func (s *spec) runtimeConfigTarget() string {
	path := s.Orchestrator.RuntimeConfigPath
	if s.ContainerdConfigVersion == 3 && s.Orchestrator.RuntimeConfigPathV3 != "" {
		path = s.Orchestrator.RuntimeConfigPathV3
	}
	return strings.ReplaceAll(path, "{handler}", s.Runtime.Handler)
}

// containerdConfig is the node configuration the chosen handler needs, or nil when the
// orchestrator configures the handler itself.
func containerdConfig(s *spec) *ContainerdRuntime {
	if s.configuredByOrchestrator() {
		return nil
	}
	return &ContainerdRuntime{
		Handler:                      s.Runtime.Handler,
		RuntimeType:                  s.Runtime.RuntimeType,
		Version:                      s.ContainerdConfigVersion,
		K3s:                          s.Orchestrator.RuntimeConfig == RuntimeConfigK3s,
		Target:                       s.runtimeConfigTarget(),
		Options:                      s.runtimeOptions(),
		PrivilegedWithoutHostDevices: s.Runtime.PrivilegedWithoutHostDevices,
		PodAnnotations:               slices.Clone(s.Runtime.PodAnnotations),
		Notes:                        s.nodeNotes(),
	}
}

// object renders r as a node file.
func (r *ContainerdRuntime) object() Object {
	ext := ".toml"
	if r.K3s {
		ext = ".toml.tmpl"
	}
	return Object{
		File:   "00-containerd-" + r.Handler + ext,
		Kind:   KindContainerdConfig,
		Name:   r.Handler,
		Target: r.Target,
		Obj:    r,
		YAML:   []byte(r.render()),
	}
}

// render writes the file: comments saying where it goes and what else the node needs, then
// the runtime's tables. A K3s template first renders K3s's own configuration ("base") and
// adds the runtime only when K3s has not detected it already (K3s registers crun, wasmedge,
// spin and others it finds in PATH), so the table is never declared twice. Every K3s file
// has the same Target and its own base line, so the header says how to combine several into
// the node's one template; the comments hold no template actions, which K3s would execute.
func (r *ContainerdRuntime) render() string {
	var b strings.Builder
	comment := func(format string, args ...any) {
		fmt.Fprintf(&b, "# "+format+"\n", args...)
	}
	containerd := "containerd 1.x"
	if r.Version == 3 {
		containerd = "containerd 2.x"
	}
	comment("strata: registers the %q runtime handler (RuntimeClass.handler) with %s,", r.Handler, containerd)
	comment("configuration version %d.", r.Version)
	switch {
	case r.K3s:
		comment("Install as %s on each K3s node and restart k3s (or k3s-agent).", r.Target)
		comment("K3s renders its own configuration first; the table below is added only when K3s has not")
		comment("detected the runtime itself. Needs a K3s release whose template data has .ExtraRuntimes (v1.27+).")
		comment("K3s reads one template per node, so files for several runtimes do not add up: if the node")
		comment("needs several strata runtimes, keep one base line (the one that renders \"base\") and append")
		comment("each runtime table, from its \"if not\" line to its \"end\" line, below it.")
	case r.Version == 3 && strings.HasPrefix(r.Target, "/etc/containerd/conf.d/"):
		comment("Install as %s: containerd 2.x merges drop-ins from the directories in its", r.Target)
		comment(`root config's imports (imports = ["/etc/containerd/conf.d/*.toml"], the default since 2.2);`)
		comment("the root config must be version 3 too. Then restart containerd.")
	case r.Version == 3:
		comment("Install as %s (a drop-in directory your containerd 2.x imports); the root config", r.Target)
		comment("must be version 3 too. Then restart containerd.")
	default:
		comment("Merge these tables into %s and restart containerd. Do not use this file as", r.Target)
		comment("an imports drop-in: containerd 1.x replaces the whole CRI plugin section with an imported one.")
	}
	for _, n := range r.Notes {
		comment("%s", n)
	}
	b.WriteString("\n")

	var table strings.Builder
	fmt.Fprintf(&table, "[%s]\n", r.Table())
	if len(r.PodAnnotations) > 0 {
		quoted := make([]string, len(r.PodAnnotations))
		for i, a := range r.PodAnnotations {
			quoted[i] = tomlString(a)
		}
		fmt.Fprintf(&table, "  pod_annotations = [%s]\n", strings.Join(quoted, ", "))
	}
	if r.PrivilegedWithoutHostDevices {
		table.WriteString("  privileged_without_host_devices = true\n")
	}
	fmt.Fprintf(&table, "  runtime_type = %s\n", tomlString(r.RuntimeType))
	if len(r.Options) > 0 {
		fmt.Fprintf(&table, "\n[%s.options]\n", r.Table())
		for _, k := range sortedKeys(r.Options) {
			fmt.Fprintf(&table, "  %s = %s\n", k, tomlValue(r.Options[k]))
		}
	}

	if r.K3s {
		b.WriteString(`{{ template "base" . }}` + "\n")
		fmt.Fprintf(&b, "{{- if not (index .ExtraRuntimes %s).RuntimeType }}\n\n", strconv.Quote(r.Handler))
		b.WriteString(table.String())
		b.WriteString("{{- end }}\n")
	} else {
		fmt.Fprintf(&b, "version = %d\n\n", r.Version)
		b.WriteString(table.String())
	}
	return b.String()
}

// tomlValue writes an option's text as the TOML value of its type (see [OptionValue]):
// containerd decodes the table into the shim's typed options, where SystemdCgroup = "true"
// is an error. Validation has refused values OptionValue cannot read.
func tomlValue(text string) string {
	switch v, _ := OptionValue(text); v := v.(type) {
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return tomlString(v)
	}
	return tomlString(text)
}

// tomlString quotes s as a TOML basic string. Validation keeps the values printable ASCII,
// where Go's and TOML's escapes agree.
func tomlString(s string) string { return strconv.Quote(s) }
