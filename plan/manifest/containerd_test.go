package manifest

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/BurntSushi/toml"
)

// k3sBase stands in for K3s's own containerd template ("base"), reduced to what matters
// here: the runc runtime K3s always declares, and the runtimes it detected in PATH
// (.ExtraRuntimes), rendered the way K3s renders them.
const k3sBase = `version = {{ .Version }}
[{{ .Prefix }}.runc]
  runtime_type = "io.containerd.runc.v2"
[{{ .Prefix }}.runc.options]
  SystemdCgroup = true
{{ range $k, $v := .ExtraRuntimes }}
[{{ $.Prefix }}."{{ $k }}"]
  runtime_type = "{{ $v.RuntimeType }}"
[{{ $.Prefix }}."{{ $k }}".options]
  BinaryName = "{{ $v.BinaryName }}"
{{ end }}`

// k3sData mirrors the fields of K3s's template data the files use.
type k3sData struct {
	Version       int
	Prefix        string
	ExtraRuntimes map[string]k3sRuntime
}

type k3sRuntime struct{ RuntimeType, BinaryName string }

// containerdDoc is the part of a containerd configuration the tests read.
type containerdDoc struct {
	Version int
	Plugins map[string]struct {
		Containerd struct {
			Runtimes map[string]struct {
				RuntimeType                  string         `toml:"runtime_type"`
				PrivilegedWithoutHostDevices bool           `toml:"privileged_without_host_devices"`
				PodAnnotations               []string       `toml:"pod_annotations"`
				Options                      map[string]any `toml:"options"`
			}
		}
	}
}

// pluginKey is the CRI plugin's key for a configuration version.
func pluginKey(version int) string {
	if version == 3 {
		return "io.containerd.cri.v1.runtime"
	}
	return "io.containerd.grpc.v1.cri"
}

// decodeContainerd parses a containerd configuration strictly enough: valid TOML, no table
// declared twice, and every key known to containerdDoc.
func decodeContainerd(t *testing.T, text string) containerdDoc {
	t.Helper()
	var doc containerdDoc
	md, err := toml.Decode(text, &doc)
	if err != nil {
		t.Fatalf("TOML: %v\n%s", err, text)
	}
	if un := md.Undecoded(); len(un) > 0 {
		t.Errorf("keys containerdDoc does not know: %v", un)
	}
	return doc
}

// TestContainerdConfig parses every node file and checks the runtime it registers.
func TestContainerdConfig(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var node *Object
			for _, o := range buildCase(t, tc.choice) {
				if o.Kind == KindContainerdConfig {
					node = &o
				}
			}
			h := tc.choice.Runtime
			if node == nil {
				if slices.Contains(tc.choice.Orchestrator.ConfiguresRuntimes, h.Handler) || tc.choice.Orchestrator.Manifests == ManifestsDocker {
					return // K3s always configures runc; Docker has no containerd file
				}
				t.Fatal("no containerd configuration")
			}
			r := node.Obj.(*ContainerdRuntime)
			text := string(node.YAML)
			version := r.Version

			if r.K3s {
				// Render the template as K3s would, once without the runtime detected and
				// once with it; both must parse, and the runtime must appear exactly once.
				prefix := "plugins." + tomlKey(pluginKey(version)) + ".containerd.runtimes"
				for _, detected := range []bool{false, true} {
					data := k3sData{Version: version, Prefix: prefix, ExtraRuntimes: map[string]k3sRuntime{}}
					if detected {
						data.ExtraRuntimes[h.Handler] = k3sRuntime{RuntimeType: h.RuntimeType, BinaryName: "/usr/bin/detected"}
					}
					tpl := template.Must(template.New("config.toml.tmpl").Parse(text))
					template.Must(tpl.New("base").Parse(k3sBase))
					var out strings.Builder
					if err := tpl.ExecuteTemplate(&out, "config.toml.tmpl", data); err != nil {
						t.Fatalf("render the K3s template: %v", err)
					}
					doc := decodeContainerd(t, out.String())
					rt := doc.Plugins[pluginKey(version)].Containerd.Runtimes[h.Handler]
					if rt.RuntimeType != h.RuntimeType {
						t.Errorf("detected=%v: runtime_type %q, want %q\n%s", detected, rt.RuntimeType, h.RuntimeType, out.String())
					}
					if detected && rt.Options["BinaryName"] != "/usr/bin/detected" {
						t.Errorf("the template replaced K3s's detected runtime:\n%s", out.String())
					}
				}
				return
			}

			doc := decodeContainerd(t, text)
			if doc.Version != version {
				t.Errorf("version %d, want %d", doc.Version, version)
			}
			rt := doc.Plugins[pluginKey(version)].Containerd.Runtimes[h.Handler]
			if rt.RuntimeType != h.RuntimeType {
				t.Errorf("runtime_type %q, want %q", rt.RuntimeType, h.RuntimeType)
			}
			for k, v := range h.Options {
				if want, _ := OptionValue(v); rt.Options[k] != want {
					t.Errorf("option %s = %#v, want %#v", k, rt.Options[k], want)
				}
			}
		})
	}
}

// TestOptionTypes: containerd decodes a handler's options into the shim's typed options, so
// true/false are TOML booleans, decimal numbers integers, and a quoted value a string; the
// Docker daemon.json entry keeps the same types.
func TestOptionTypes(t *testing.T) {
	for text, want := range map[string]any{
		"true": true, "false": false, "0": int64(0), "-12": int64(-12), "runc": "runc",
		`"123"`: "123", `"true"`: "true", `"a \"b\""`: `a "b"`, "/usr/bin/crun": "/usr/bin/crun", "1.5": "1.5", "True": "True",
	} {
		if got, err := OptionValue(text); err != nil || got != want {
			t.Errorf("OptionValue(%q) = %#v, %v; want %#v", text, got, err, want)
		}
	}
	c := valid()
	c.Orchestrator = kubernetes
	c.Coordinates.X = 1
	c.Runtime = runc
	c.Runtime.Options = map[string]string{"BinaryName": `"0"`, "SystemdCgroup": "true", "IoUid": "1000", "Root": "/run/x"}
	c.Coordinates.Y = 3
	c.Allowed = nil
	var node Object
	for _, o := range buildCase(t, c) {
		if o.Kind == KindContainerdConfig {
			node = o
		}
	}
	doc := decodeContainerd(t, string(node.YAML))
	opts := doc.Plugins[pluginKey(2)].Containerd.Runtimes["runc"].Options
	if opts["SystemdCgroup"] != true || opts["IoUid"] != int64(1000) || opts["BinaryName"] != "0" || opts["Root"] != "/run/x" {
		t.Errorf("options %#v from\n%s", opts, node.YAML)
	}

	c.Orchestrator, c.Coordinates.X, c.Policy = docker, 0, Policy{}
	c.Coordinates.Z = 0
	c.Orchestrator.ConfiguresRuntimes = nil
	for _, o := range buildCase(t, c) {
		if o.Kind != KindDockerDaemonConfig {
			continue
		}
		var daemon struct {
			Runtimes map[string]struct {
				Options map[string]any `json:"options"`
			} `json:"runtimes"`
		}
		if err := json.Unmarshal(o.YAML, &daemon); err != nil {
			t.Fatal(err)
		}
		if got := daemon.Runtimes["runc"].Options; got["SystemdCgroup"] != true || got["IoUid"] != float64(1000) || got["BinaryName"] != "0" {
			t.Errorf("daemon.json options %#v", got)
		}
		return
	}
	t.Error("no daemon.json")
}

// everyRuntime are the fixture runtimes, each at its layer.
var everyRuntime = []Runtime{runc, crun, runsc, kataQ, kataFC, wasmedge, spin}

// TestContainerdEveryHandler renders each runtime for plain containerd, both versions, and
// checks the table holds what the runtime's data says.
func TestContainerdEveryHandler(t *testing.T) {
	for _, h := range everyRuntime {
		for _, version := range []int{2, 3} {
			c := Choice{
				Workload: "w", Kind: KindPod, Image: "example/w:1", Orchestrator: kubernetes,
				Coordinates: Coordinates{1, int(h.Layer[2] - '0'), 0},
				Runtime:     h, ContainerdConfigVersion: version,
			}
			node := find(t, buildCase(t, c), KindContainerdConfig)
			doc := decodeContainerd(t, string(node.YAML))
			rt := doc.Plugins[pluginKey(version)].Containerd.Runtimes[h.Handler]
			if rt.RuntimeType != h.RuntimeType {
				t.Errorf("%s v%d: runtime_type %q, want %q", h.Handler, version, rt.RuntimeType, h.RuntimeType)
			}
			opts := map[string]string{}
			for k, v := range rt.Options {
				opts[k], _ = v.(string)
			}
			if !maps.Equal(opts, h.Options) && len(h.Options) > 0 || rt.PrivilegedWithoutHostDevices != h.PrivilegedWithoutHostDevices {
				t.Errorf("%s v%d: options %+v, want %+v", h.Handler, version, rt, h)
			}
		}
	}
}

// tomlKey quotes a dotted plugin name as one TOML key.
func tomlKey(s string) string { return `"` + s + `"` }

// k3sNodeFile builds the K3s node file of a handler at its layer.
func k3sNodeFile(t *testing.T, handler string) string {
	t.Helper()
	i := slices.IndexFunc(everyRuntime, func(r Runtime) bool { return r.Handler == handler })
	h := everyRuntime[i]
	c := Choice{
		Workload: "w", Kind: KindPod, Image: "example/w:1", Orchestrator: k3s,
		Coordinates: Coordinates{2, int(h.Layer[2] - '0'), 0}, Runtime: h,
	}
	return string(find(t, buildCase(t, c), KindContainerdConfig).YAML)
}

// renderK3s renders a node template as K3s would, nothing detected.
func renderK3s(text string) (string, error) {
	tpl, err := template.New("config.toml.tmpl").Parse(text)
	if err != nil {
		return "", err
	}
	template.Must(tpl.New("base").Parse(k3sBase))
	data := k3sData{Version: 2, Prefix: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes`, ExtraRuntimes: map[string]k3sRuntime{}}
	var out strings.Builder
	err = tpl.ExecuteTemplate(&out, "config.toml.tmpl", data)
	return out.String(), err
}

// TestK3sTemplatesCompose: K3s reads one template per node, so two K3s node files do not add
// up. The header says how to combine them, and following it gives a configuration with both
// runtimes, where putting the files one after the other declares K3s's tables twice.
func TestK3sTemplatesCompose(t *testing.T) {
	wasm, kata := k3sNodeFile(t, "wasmedge"), k3sNodeFile(t, "kata-qemu")
	for _, text := range []string{wasm, kata} {
		var header []string
		for line := range strings.Lines(text) {
			if !strings.HasPrefix(line, "#") {
				break
			}
			header = append(header, line)
		}
		h := strings.Join(header, "")
		prose := strings.Join(strings.Fields(strings.ReplaceAll(h, "#", "")), " ") // the comment as one line
		for _, part := range []string{"one template per node", "if the node needs several strata runtimes, keep one base line", "append each runtime table"} {
			if !strings.Contains(prose, part) {
				t.Errorf("header lacks %q:\n%s", part, h)
			}
		}
		if strings.Contains(h, "{{") {
			t.Errorf("header holds a template action, which K3s would execute:\n%s", h)
		}
	}

	// As the header says: the first file whole, then the second's runtime table, from its
	// "if not" line to its "end" line.
	var table []string
	in := false
	for line := range strings.Lines(kata) {
		in = in || strings.HasPrefix(line, "{{- if not")
		if in {
			table = append(table, line)
		}
		if strings.HasPrefix(line, "{{- end") {
			break
		}
	}
	if len(table) < 3 {
		t.Fatalf("no runtime table in\n%s", kata)
	}
	out, err := renderK3s(wasm + strings.Join(table, ""))
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeContainerd(t, out)
	rts := doc.Plugins[pluginKey(2)].Containerd.Runtimes
	for h, want := range map[string]string{"runc": runc.RuntimeType, "wasmedge": wasmedge.RuntimeType, "kata-qemu": kataQ.RuntimeType} {
		if rts[h].RuntimeType != want {
			t.Errorf("combined template: %s runtime_type %q\n%s", h, rts[h].RuntimeType, out)
		}
	}

	// Both files whole: K3s's base twice, so containerd would refuse the configuration.
	out, err = renderK3s(wasm + kata)
	if err != nil {
		t.Fatal(err)
	}
	var whole map[string]any
	if _, err := toml.Decode(out, &whole); err == nil {
		t.Errorf("two whole K3s files decoded; the header's advice would be needless:\n%s", out)
	}
}
