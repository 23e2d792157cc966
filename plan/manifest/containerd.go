package manifest

import (
	"fmt"
	"strconv"
	"strings"
)

// KindContainerdConfig is the [Object].Kind of a node file registering a runtime handler
// with containerd.
const KindContainerdConfig = "ContainerdConfig"

// Where K3s reads containerd configuration templates.
const (
	K3sTemplateV2 = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl"
	K3sTemplateV3 = "/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl"
)

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

// containerdConfig is the node configuration the chosen handler needs, or nil when the
// node needs none (runc under K3s, which K3s always configures; validate refuses a
// BinaryName there, since K3s's runc table cannot be declared a second time).
func containerdConfig(s *spec) *ContainerdRuntime {
	h := s.handler
	k3s := s.Orchestrator == "K3s"
	if k3s && h.Name == "runc" {
		return nil
	}
	r := &ContainerdRuntime{
		Handler:     h.Name,
		RuntimeType: h.RuntimeType,
		Version:     s.ContainerdConfigVersion,
		K3s:         k3s,
		Options:     map[string]string{},
	}
	switch {
	case k3s && r.Version == 3:
		r.Target = K3sTemplateV3
	case k3s:
		r.Target = K3sTemplateV2
	case r.Version == 3:
		r.Target = "/etc/containerd/conf.d/strata-" + h.Name + ".toml"
	default:
		r.Target = "/etc/containerd/config.toml"
	}
	if h.RuncBinary {
		bin := s.Runtime.BinaryName
		if bin == "" {
			bin = h.Name // the runc shim looks a bare name up in PATH
		}
		r.Options["BinaryName"] = bin
	}
	if h.ConfigPath != "" {
		r.Options["ConfigPath"] = h.ConfigPath
		r.PrivilegedWithoutHostDevices = true
		r.PodAnnotations = []string{"io.katacontainers.*"}
		r.Notes = append(r.Notes, "Needs Kata Containers (containerd-shim-kata-v2 in PATH and "+h.ConfigPath+"), e.g. from kata-deploy.")
	}
	switch h.Name {
	case "runc":
		r.Notes = append(r.Notes, "runc is containerd's default runtime; keep the node's existing runc options (SystemdCgroup) when merging.")
	case "crun":
		r.Notes = append(r.Notes, "Needs crun in containerd's PATH.")
	case "runsc":
		r.Notes = append(r.Notes, "Needs runsc and containerd-shim-runsc-v1 (gVisor) in PATH.")
		if s.GPU > 0 {
			r.Options["TypeUrl"] = "io.containerd.runsc.v1.options"
			r.Options["ConfigPath"] = "/etc/containerd/runsc.toml"
			r.Notes = append(r.Notes, `GPU: gVisor reaches the GPU through nvproxy; /etc/containerd/runsc.toml must contain [runsc_config] nvproxy = "true".`)
		}
	case "kata-fc":
		r.Notes = append(r.Notes, "Firecracker needs a block-device snapshotter: set up containerd's devmapper snapshotter and add snapshotter = \"devmapper\" to this table.")
	case "wasmedge":
		r.Notes = append(r.Notes, "Needs containerd-shim-wasmedge-v1 (runwasi) in PATH.")
		if s.GPU > 0 {
			r.Notes = append(r.Notes, "GPU: install WasmEdge's WASI-NN plugin built with CUDA (GGML backend) on the node.")
		}
	case "spin":
		r.Notes = append(r.Notes, "Needs containerd-shim-spin-v2 (SpinKube) in PATH.")
	}
	return r
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
	case r.Version == 3:
		comment("Install as %s: containerd 2.x merges drop-ins from the directories in its", r.Target)
		comment(`root config's imports (imports = ["/etc/containerd/conf.d/*.toml"], the default since 2.2);`)
		comment("the root config must be version 3 too. Then restart containerd.")
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
			fmt.Fprintf(&table, "  %s = %s\n", k, tomlString(r.Options[k]))
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

// tomlString quotes s as a TOML basic string. Validation keeps the values printable ASCII,
// where Go's and TOML's escapes agree.
func tomlString(s string) string { return strconv.Quote(s) }
