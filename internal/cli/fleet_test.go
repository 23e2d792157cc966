package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// TestFleetFaults covers what needs no cluster: an unreachable server, a missing or
// wrong kubeconfig, and misuse of the flags.
func TestFleetFaults(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	cfg := clientcmdapi.NewConfig()
	// Port 1 on loopback: nothing listens there, the connection is refused at once.
	cfg.Clusters["gone"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	cfg.Contexts["gone"] = &clientcmdapi.Context{Cluster: "gone", AuthInfo: "u"}
	cfg.CurrentContext = "gone"
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir) // no ~/.kube/config
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a pod
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unreachable", []string{"fleet", "--kubeconfig", kc, "--request-timeout", "5s"}, 1, []string{"cannot reach the Kubernetes API server https://127.0.0.1:1", "context gone", "kubeconfig " + kc}},
		{"unreachable plan", []string{"fleet", "plan", "--scenario", "edge", "--kubeconfig", kc}, 1, []string{"https://127.0.0.1:1", kc}},
		{"no such context", []string{"fleet", "--kubeconfig", kc, "--context", "east"}, 1, []string{`has no context "east"`, "gone"}},
		{"no kubeconfig", []string{"fleet"}, 1, []string{"no kubeconfig", "--kubeconfig"}},
		{"missing kubeconfig file", []string{"fleet", "--kubeconfig", filepath.Join(dir, "nope")}, 1, []string{"nope"}},
		{"dry run needs apply", []string{"fleet", "plan", "--scenario", "edge", "--dry-run=server", "--kubeconfig", kc}, 2, []string{"--dry-run applies to --apply only"}},
		{"dry run client", []string{"fleet", "plan", "--scenario", "edge", "--apply", "--dry-run=client", "--kubeconfig", kc}, 2, []string{"use none or server"}},
		{"workload and scenario", []string{"fleet", "plan", "w.yaml", "--scenario", "edge"}, 2, []string{"either a workload file or --scenario"}},
		{"bad interval", []string{"fleet", "--probe-interval", "0s", "--kubeconfig", kc}, 2, []string{"--probe-interval"}},
		{"output", []string{"fleet", "-o", "dot", "--kubeconfig", kc}, 2, []string{"not supported"}},
		{"kubeconfig without label-node", []string{"probe", "--kubeconfig", kc}, 2, []string{"--label-node only"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := strata(t, c.args...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, c.code, r.stdout, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}
