package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// edgeAPIServer answers what strata fleet, fleet plan and verify --fleet ask of a
// cluster — the server's version, and LISTs of nodes, RuntimeClasses and ConfigMaps —
// with one ready node that offers WasmEdge (where the edge scenario runs) and nothing
// else, and counts the requests it answers.
type edgeAPIServer struct{ requests atomic.Int64 }

func (s *edgeAPIServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	w.Header().Set("Content-Type", "application/json")
	switch p := r.URL.Path; {
	case p == "/version":
		fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.2"}`)
	case p == "/api/v1/nodes":
		fmt.Fprint(w, `{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"edge-1","labels":{
"feature.node.kubernetes.io/strata-layer-L-4":"true","feature.node.kubernetes.io/strata-runtime-wasmedge":"true"}},
"status":{"conditions":[{"type":"Ready","status":"True"}]}}]}`)
	case p == "/apis/node.k8s.io/v1/runtimeclasses":
		fmt.Fprint(w, `{"kind":"RuntimeClassList","apiVersion":"node.k8s.io/v1","metadata":{},"items":[]}`)
	case strings.HasPrefix(p, "/api/v1/namespaces/") && strings.HasSuffix(p, "/configmaps"):
		fmt.Fprint(w, `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":[]}`)
	default:
		http.NotFound(w, r)
	}
}

// TestFleetKubeconfigPipe: --kubeconfig <(command) is a pipe, and a pipe can be read only
// once. Every command that talks to the clusters — several --context, fleet plan
// --measured (nodes, then the bench ConfigMaps), verify --fleet — must read it once and
// connect every cluster from that: before, each context read the pipe again, and the
// second found it empty ("no context west (it has: )"). Both kinds of pipe are tried: an
// anonymous one as /dev/fd/N, which is what bash's <(…) gives (a second open finds it at
// its end), and a named FIFO written once (a second open waits for a writer that never
// comes). Each command runs in a process of its own, stopped if it hangs.
func TestFleetKubeconfigPipe(t *testing.T) {
	east, west := &edgeAPIServer{}, &edgeAPIServer{}
	eastSrv, westSrv := httptest.NewServer(east), httptest.NewServer(west)
	defer eastSrv.Close()
	defer westSrv.Close()
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: east
clusters:
- {name: east, cluster: {server: %q}}
- {name: west, cluster: {server: %q}}
users:
- {name: u, user: {token: t}}
contexts:
- {name: east, context: {cluster: east, user: u}}
- {name: west, context: {cluster: west, user: u}}
`, eastSrv.URL, westSrv.URL)
	for _, tc := range []struct {
		name string
		args []string // KC stands for the kubeconfig's path
		code int      // the exit code
		want string   // in stdout and stderr
	}{
		{"two contexts", []string{"fleet", "--kubeconfig", "KC", "--context", "east,west", "-o", "json"}, 0, westSrv.URL},
		// Two eligible nodes: one in each cluster.
		{"plan over two contexts", []string{"fleet", "plan", "--scenario", "edge", "--kubeconfig", "KC", "--context", "east,west"}, 0, "WasmEdge   wasmedge   L-4    2               chosen"},
		// The cluster has no bench results: said once its ConfigMaps were listed, after
		// its nodes.
		{"plan measured", []string{"fleet", "plan", "--scenario", "edge", "--kubeconfig", "KC", "--measured"}, 0, "not measured: no bench ConfigMap for this class"},
		{"verify", []string{"verify", "--fleet", "--kubeconfig", "KC"}, 1, "no node class has bench results in namespace strata"},
	} {
		for _, named := range []bool{false, true} {
			kind := "/dev/fd pipe"
			if named {
				kind = "named FIFO"
			}
			t.Run(tc.name+", "+kind, func(t *testing.T) {
				e0, w0 := east.requests.Load(), west.requests.Load()
				cmd := exec.Command(os.Args[0], "-test.run=^TestCLISubprocess$", "-test.count=1")
				var path string
				if named {
					path = filepath.Join(t.TempDir(), "kubeconfig")
					if err := syscall.Mkfifo(path, 0o600); err != nil {
						t.Fatal(err)
					}
					go func() {
						f, err := os.OpenFile(path, os.O_WRONLY, 0) // waits for the command to open it
						if err != nil {
							return
						}
						f.WriteString(cfg)
						f.Close()
					}()
					// A writer for any second open, so that the test ends; it writes nothing.
					t.Cleanup(func() {
						if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
							f.Close()
						}
					})
				} else {
					r, w, err := os.Pipe()
					if err != nil {
						t.Fatal(err)
					}
					if _, err := w.WriteString(cfg); err != nil { // within the pipe's 64 KiB
						t.Fatal(err)
					}
					w.Close()
					defer r.Close()
					cmd.ExtraFiles = []*os.File{r}
					path = "/dev/fd/3"
				}
				args := make([]string, len(tc.args))
				for i, a := range tc.args {
					args[i] = strings.ReplaceAll(a, "KC", path)
				}
				b, _ := json.Marshal(args)
				cmd.Env = append(os.Environ(), cliChildEnv+"="+string(b), "KUBECONFIG=")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
					if code := cmd.ProcessState.ExitCode(); code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.want) {
						t.Errorf("strata %s: exit %d, want %d with %q\n%s%s", strings.Join(args, " "), code, tc.code, tc.want, stdout.String(), stderr.String())
					}
				case <-time.After(60 * time.Second):
					cmd.Process.Kill()
					<-done
					t.Fatalf("strata %s: still running after 60 s (opened the kubeconfig again?)\n%s", strings.Join(args, " "), stderr.String())
				}
				if east.requests.Load() == e0 {
					t.Errorf("no request reached the current context's (east) server")
				}
				if strings.Contains(strings.Join(tc.args, " "), "east,west") && west.requests.Load() == w0 {
					t.Errorf("no request reached west's server")
				}
			})
		}
	}
}
