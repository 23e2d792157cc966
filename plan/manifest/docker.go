package manifest

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// Kinds of the files Build writes for a single Docker host (X=0).
const (
	// KindComposeFile is a Compose file (compose.yaml) for docker compose up.
	KindComposeFile = "ComposeFile"
	// KindDockerRun is a shell script with the equivalent docker run line.
	KindDockerRun = "DockerRun"
	// KindDockerDaemonConfig is a daemon.json fragment registering the runtime with Docker.
	KindDockerDaemonConfig = "DockerDaemonConfig"
	// KindOPAPolicy is a Rego policy file for a host's OPA (Docker's authorization plugin).
	KindOPAPolicy = "OPAPolicy"
)

// DockerAuthzPolicyPath is where opa-docker-authz reads its policy, as its documentation
// installs it.
const DockerAuthzPolicyPath = "/etc/docker/policies/authz.rego"

// dockerFiles are the files of a single Docker host: the daemon's runtime registration, the
// OPA authorization policy when the plan chose one, the Compose file and the docker run
// line, each running the workload under the chosen runtime (--runtime).
func dockerFiles(s *spec) ([]Object, error) {
	var objs []Object
	if !s.configuredByOrchestrator() {
		data, err := json.MarshalIndent(map[string]any{"runtimes": map[string]any{s.Runtime.Handler: s.dockerRuntime()}}, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("manifest: daemon.json: %w", err)
		}
		objs = append(objs, Object{File: "00-docker-daemon-" + s.Runtime.Handler + ".json", Kind: KindDockerDaemonConfig, Name: s.Runtime.Handler,
			Target: s.runtimeConfigTarget(), YAML: append(data, '\n')})
	}
	if s.hasPolicy(PolicyOPADockerAuthz) {
		objs = append(objs, Object{File: "25-opa-docker-authz-" + s.Workload + ".rego", Kind: KindOPAPolicy, Name: s.Workload,
			Target: DockerAuthzPolicyPath, YAML: []byte(opaDockerAuthzRego(s))})
	}
	if s.hasPolicy(PolicyOPAWasm) {
		objs = append(objs, Object{File: "26-opa-wasm-policy-" + s.Workload + ".rego", Kind: KindOPAPolicy, Name: s.Workload,
			YAML: []byte(opaWasmRego(s))})
	}
	compose := s.composeFile()
	data, err := yaml.Marshal(compose)
	if err != nil {
		return nil, fmt.Errorf("manifest: compose file: %w", err)
	}
	header := fmt.Sprintf("# strata: workload %s at %s under runtime %s (handler %s, %s); docker compose -f THIS up -d\n",
		s.Workload, s.Coordinates, s.Runtime.name(), s.Runtime.Handler, s.Runtime.Layer)
	objs = append(objs, Object{File: "60-compose-" + s.Workload + ".yaml", Kind: KindComposeFile, Name: s.Workload, Obj: compose,
		YAML: append([]byte(header), data...)})
	objs = append(objs, Object{File: "61-docker-run-" + s.Workload + ".sh", Kind: KindDockerRun, Name: s.Workload, YAML: []byte(s.dockerRun())})
	return objs, nil
}

// dockerRuntime is the daemon.json runtimes entry: the containerd shim and its options,
// which Docker 23 and later accept for any shim.
func (s *spec) dockerRuntime() map[string]any {
	r := map[string]any{"runtimeType": s.Runtime.RuntimeType}
	if opts := s.runtimeOptions(); len(opts) > 0 {
		o := map[string]any{}
		for k, v := range opts {
			o[k], _ = OptionValue(v) // validated: typed as in the containerd table
		}
		r["options"] = o
	}
	return r
}

// dockerLabels are the container's labels: the pod labels of a cluster workload.
func (s *spec) dockerLabels() map[string]string {
	l := s.podLabels()
	delete(l, LabelRuntimeClass)
	l[LabelRuntime] = s.Runtime.Handler
	return l
}

// LabelRuntime is the label of a Docker container naming its runtime.
const LabelRuntime = "strata.dev/runtime"

// composeFile is the Compose file: one service for the workload, under the chosen runtime.
func (s *spec) composeFile() map[string]any {
	svc := map[string]any{
		"image":        s.Image,
		"runtime":      s.Runtime.Handler,
		"labels":       toAny(s.dockerLabels()),
		"security_opt": []any{"no-new-privileges:true"},
	}
	if s.Kind == KindJob {
		svc["restart"] = "no"
	} else {
		svc["restart"] = "unless-stopped"
	}
	deploy := map[string]any{}
	if s.Replicas > 1 {
		deploy["replicas"] = s.Replicas
	}
	limits := map[string]any{}
	if cpus := s.dockerCPUs(); cpus != "" {
		limits["cpus"] = cpus
	}
	if mem := s.dockerMemory(); mem != 0 {
		limits["memory"] = strconv.FormatInt(mem, 10)
	}
	res := map[string]any{}
	if len(limits) > 0 {
		res["limits"] = limits
	}
	if s.GPU > 0 {
		res["reservations"] = map[string]any{"devices": []any{map[string]any{"driver": "nvidia", "count": s.GPU, "capabilities": []any{"gpu"}}}}
	}
	if len(res) > 0 {
		deploy["resources"] = res
	}
	if len(deploy) > 0 {
		svc["deploy"] = deploy
	}
	if s.Port > 0 && s.Replicas <= 1 {
		svc["ports"] = []any{fmt.Sprintf("%d:%d", s.Port, s.Port)}
	}
	if env := s.dockerEnv(); len(env) > 0 {
		svc["environment"] = toAny(env)
	}
	return map[string]any{"name": s.Workload, "services": map[string]any{s.Workload: svc}}
}

// dockerEnv is the OpenTelemetry environment when OTLP is chosen and an endpoint given (a
// single host has no Collector Service to default to).
func (s *spec) dockerEnv() map[string]string {
	if !s.otlp || s.OTLPEndpoint == "" {
		return nil
	}
	return map[string]string{
		"OTEL_SERVICE_NAME":           s.Workload,
		"OTEL_EXPORTER_OTLP_ENDPOINT": s.OTLPEndpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		"OTEL_RESOURCE_ATTRIBUTES": strings.Join([]string{
			"strata.coordinates=" + s.Coordinates.String(),
			"strata.isolation.layer=" + s.Runtime.Layer,
			"strata.runtime=" + s.Runtime.Handler,
		}, ","),
	}
}

func (s *spec) dockerCPUs() string {
	if s.CPU == "" {
		return ""
	}
	q := resource.MustParse(s.CPU)
	return strconv.FormatFloat(float64(q.MilliValue())/1000, 'f', -1, 64)
}

func (s *spec) dockerMemory() int64 {
	if s.Memory == "" {
		return 0
	}
	q := resource.MustParse(s.Memory)
	return q.Value()
}

// dockerRun is the docker run line equivalent to the Compose file, as a script.
func (s *spec) dockerRun() string {
	args := []string{"docker", "run", "--detach", "--name", s.Workload, "--runtime", s.Runtime.Handler,
		"--security-opt", "no-new-privileges:true"}
	if s.Kind == KindJob {
		args[2] = "--rm"
	} else {
		args = append(args, "--restart", "unless-stopped")
	}
	labels := s.dockerLabels()
	for _, k := range sortedKeys(labels) {
		args = append(args, "--label", k+"="+labels[k])
	}
	if cpus := s.dockerCPUs(); cpus != "" {
		args = append(args, "--cpus", cpus)
	}
	if mem := s.dockerMemory(); mem != 0 {
		args = append(args, "--memory", strconv.FormatInt(mem, 10))
	}
	if s.GPU > 0 {
		args = append(args, "--gpus", strconv.Itoa(s.GPU))
	}
	if s.Port > 0 {
		args = append(args, "--publish", fmt.Sprintf("%d:%d", s.Port, s.Port))
	}
	env := s.dockerEnv()
	for _, k := range sortedKeys(env) {
		args = append(args, "--env", k+"="+env[k])
	}
	args = append(args, s.Image)
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	note := ""
	if s.Replicas > 1 {
		note = fmt.Sprintf("# One container; the Compose file runs %d replicas.\n", s.Replicas)
	}
	return fmt.Sprintf("#!/bin/sh\n# strata: workload %s at %s under runtime %s (handler %s, %s).\n%sset -e\nexec %s\n",
		s.Workload, s.Coordinates, s.Runtime.name(), s.Runtime.Handler, s.Runtime.Layer, note, strings.Join(quoted, " "))
}

// shellQuote quotes a word for sh when it needs it.
func shellQuote(w string) string {
	if w != "" && strings.IndexFunc(w, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r))
	}) < 0 {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range maps.All(m) {
		out[k] = v
	}
	return out
}
