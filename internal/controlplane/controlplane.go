// Package controlplane runs a real Kubernetes control plane on loopback for strata's
// tests, benchmarks and scripts/cluster-up.sh: etcd, kube-apiserver,
// kube-controller-manager (the deployment, replicaset, daemonset, job and serviceaccount
// controllers: the chart's bench runs as Jobs) and kube-scheduler, built from k8s.io/kubernetes by
// scripts/build-controlplane.sh. Every port is chosen at start, every certificate is made
// at start, and everything lives in one temporary directory that [ControlPlane.Stop]
// removes after the processes have exited.
//
// There is no kubelet: [ControlPlane.AddNode] creates Node objects and does what a kubelet
// and the node lifecycle controller would (Ready condition and allocatable through the
// status subresource, the not-ready taint cleared), so the scheduler binds pods to them.
// Pods are bound and never run.
//
// A ControlPlane is safe for concurrent use once started.
package controlplane

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Binaries are the programs a control plane runs.
type Binaries struct {
	Etcd, APIServer, ControllerManager, Scheduler string
}

// ErrNotBuilt is returned by [FindBinaries] when the control plane has not been built
// and building was not asked for.
var ErrNotBuilt = errors.New("the Kubernetes control plane is not built (run scripts/build-controlplane.sh; a cold build takes about 16 CPU-minutes)")

// FindBinaries locates the control plane's programs: the directory in $STRATA_KUBE_BIN,
// else the cache scripts/build-controlplane.sh fills (found by walking up from the working
// directory), building it first when build is true. etcd is taken from $PATH (Debian's
// etcd-server) unless $STRATA_KUBE_BIN holds one.
func FindBinaries(ctx context.Context, build bool) (Binaries, error) {
	dir := os.Getenv("STRATA_KUBE_BIN")
	if dir == "" {
		script, err := findUp("scripts/build-controlplane.sh")
		if err != nil {
			return Binaries{}, err
		}
		args := []string{script}
		if !build {
			args = append(args, "--check")
		}
		cmd := exec.CommandContext(ctx, "bash", args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			if !build {
				return Binaries{}, ErrNotBuilt
			}
			return Binaries{}, fmt.Errorf("%s: %w\n%s", script, err, stderr.Bytes())
		}
		dir = strings.TrimSpace(string(out))
	}
	b := Binaries{
		APIServer:         filepath.Join(dir, "kube-apiserver"),
		ControllerManager: filepath.Join(dir, "kube-controller-manager"),
		Scheduler:         filepath.Join(dir, "kube-scheduler"),
		Etcd:              filepath.Join(dir, "etcd"),
	}
	if _, err := os.Stat(b.Etcd); err != nil {
		p, err := exec.LookPath("etcd")
		if err != nil {
			return Binaries{}, fmt.Errorf("etcd not found in $PATH (install Debian's etcd-server: scripts/setup-fleet.sh)")
		}
		b.Etcd = p
	}
	for _, p := range []string{b.APIServer, b.ControllerManager, b.Scheduler} {
		if _, err := os.Stat(p); err != nil {
			return Binaries{}, fmt.Errorf("%w: %v", ErrNotBuilt, err)
		}
	}
	return b, nil
}

// findUp finds name in the working directory or one of its parents.
func findUp(name string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found above the working directory; set STRATA_KUBE_BIN to the directory holding kube-apiserver", name)
		}
		dir = parent
	}
}

// Options tune a control plane.
type Options struct {
	// Dir is where the control plane keeps its files; empty for a new temporary directory
	// that Stop removes. A given directory is kept.
	Dir string
	// Log receives the processes' output; nil keeps it only in Dir/NAME.log.
	Log io.Writer
}

// ControlPlane is a running control plane.
type ControlPlane struct {
	// Kubeconfig is the path of a kubeconfig for the cluster administrator
	// (group system:masters), context "strata".
	Kubeconfig string
	// Config is the same credentials for client-go.
	Config *rest.Config
	// Client is a clientset made from Config.
	Client kubernetes.Interface
	// Dir holds the certificates, etcd's data and one log per process.
	Dir string

	ca       *authority
	server   string
	tempDir  bool
	mu       sync.Mutex
	procs    []*process
	stopOnce sync.Once
	stopErr  error
}

// process is one running program and what its exit was.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// Start starts etcd, the API server, the controller manager and the scheduler, and
// returns once the API server is ready, the other two answer /healthz, and the default
// namespace's ServiceAccount exists. On an error everything started is stopped.
func Start(ctx context.Context, bins Binaries, opts Options) (_ *ControlPlane, err error) {
	c := &ControlPlane{Dir: opts.Dir}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "strata-controlplane-"); err != nil {
			return nil, err
		}
		c.tempDir = true
	} else if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
		}
	}()
	if c.ca, err = newAuthority(); err != nil {
		return nil, err
	}
	pki := filepath.Join(c.Dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		return nil, err
	}
	caFile := filepath.Join(pki, "ca.crt")
	if err := os.WriteFile(caFile, c.ca.pem, 0o600); err != nil {
		return nil, err
	}
	loopback := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.0.0.1")}
	serving, err := c.ca.issue("kube-apiserver", nil, loopback, []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"})
	if err != nil {
		return nil, err
	}
	servingCert, servingKey, err := serving.write(pki, "apiserver")
	if err != nil {
		return nil, err
	}
	saKey, err := serviceAccountKey(pki)
	if err != nil {
		return nil, err
	}

	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	if err := c.run(ctx, opts.Log, "etcd", bins.Etcd,
		"--name=strata", "--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls=http://127.0.0.1:"+strconv.Itoa(ports[1]),
		"--initial-advertise-peer-urls=http://127.0.0.1:"+strconv.Itoa(ports[1]),
		"--initial-cluster=strata=http://127.0.0.1:"+strconv.Itoa(ports[1]),
		"--quota-backend-bytes=8589934592", "--log-level=warn",
		// The data dies with the control plane: fsync buys nothing here.
		"--unsafe-no-fsync",
	); err != nil {
		return nil, err
	}

	c.server = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	if err := c.run(ctx, opts.Log, "kube-apiserver", bins.APIServer,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(ports[2]),
		"--tls-cert-file="+servingCert, "--tls-private-key-file="+servingKey,
		"--client-ca-file="+caFile,
		"--service-account-key-file="+saKey, "--service-account-signing-key-file="+saKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.0.0.0/16", // 500 workloads bring 500 Services in the benchmark
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		// Loopback cannot be the kubernetes Service's endpoint; nothing here needs one.
		"--endpoint-reconciler-type=none",
		"--cert-dir="+filepath.Join(c.Dir, "apiserver-certs"),
		// A thousand simulated nodes register at once in the scale benchmark.
		"--max-requests-inflight=2000", "--max-mutating-requests-inflight=1000",
		"--enable-priority-and-fairness=false",
		"--v=0",
	); err != nil {
		return nil, err
	}
	admin, err := c.ca.issue("strata-admin", []string{"system:masters"}, nil, nil)
	if err != nil {
		return nil, err
	}
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	if err := writeKubeconfig(c.Kubeconfig, c.server, c.ca.pem, admin, "strata-admin"); err != nil {
		return nil, err
	}
	if c.Config, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig); err != nil {
		return nil, err
	}
	c.Config.QPS, c.Config.Burst = 2000, 4000
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx, "kube-apiserver", func(ctx context.Context) error {
		return c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error()
	}); err != nil {
		return nil, err
	}

	// The controller manager and scheduler use their own certificates, so RBAC gives them
	// the bootstrap roles a real cluster gives them.
	for _, comp := range []struct {
		name, user string
		port       int
		args       []string
		bin        string
	}{
		{"kube-controller-manager", "system:kube-controller-manager", ports[3], []string{
			"--controllers=deployment,replicaset,daemonset,job,serviceaccount",
			// Each controller acts as its own service account with the RBAC role the
			// bootstrap policy gives it, as in a real cluster.
			"--use-service-account-credentials=true",
			"--root-ca-file=" + caFile,
			"--cluster-signing-duration=24h",
		}, bins.ControllerManager},
		{"kube-scheduler", "system:kube-scheduler", ports[4], nil, bins.Scheduler},
	} {
		kp, err := c.ca.issue(comp.user, nil, nil, nil)
		if err != nil {
			return nil, err
		}
		kc := filepath.Join(c.Dir, comp.name+".kubeconfig")
		if err := writeKubeconfig(kc, c.server, c.ca.pem, kp, comp.user); err != nil {
			return nil, err
		}
		args := append([]string{
			"--kubeconfig=" + kc, "--authentication-kubeconfig=" + kc, "--authorization-kubeconfig=" + kc,
			"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(comp.port),
			"--cert-dir=" + filepath.Join(c.Dir, comp.name+"-certs"),
			"--kube-api-qps=1000", "--kube-api-burst=2000",
		}, comp.args...)
		if err := c.run(ctx, opts.Log, comp.name, comp.bin, args...); err != nil {
			return nil, err
		}
	}
	insecure := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // their self-signed serving certificates
	for _, comp := range []struct {
		name string
		port int
	}{{"kube-controller-manager", ports[3]}, {"kube-scheduler", ports[4]}} {
		url := "https://127.0.0.1:" + strconv.Itoa(comp.port) + "/healthz"
		if err := c.waitReady(ctx, comp.name, func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err := insecure.Do(req)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s %s", url, resp.Status, body)
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if err := c.waitReady(ctx, "the default ServiceAccount", func(ctx context.Context) error {
		_, err := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// Server is the API server's URL.
func (c *ControlPlane) Server() string { return c.server }

// UserKubeconfig writes a kubeconfig for a user with a client certificate signed by the
// cluster's authority, in the groups given, and returns its path. Without RBAC bindings
// such a user may do nothing: tests use it to see "forbidden" answers.
func (c *ControlPlane) UserKubeconfig(user string, groups ...string) (string, error) {
	kp, err := c.ca.issue(user, groups, nil, nil)
	if err != nil {
		return "", err
	}
	path := filepath.Join(c.Dir, "user-"+user+".kubeconfig")
	return path, writeKubeconfig(path, c.server, c.ca.pem, kp, user)
}

func writeKubeconfig(path, server string, ca []byte, kp keyPair, user string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["strata"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: kp.cert, ClientKeyData: kp.key}
	cfg.Contexts["strata"] = &clientcmdapi.Context{Cluster: "strata", AuthInfo: user}
	cfg.CurrentContext = "strata"
	return clientcmd.WriteToFile(*cfg, path)
}

// freePorts asks the kernel for n free loopback ports. Another process could take one
// before the component binds it; the component then exits and Start says so.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// run starts a program with its output in Dir/NAME.log (and opts.Log).
func (c *ControlPlane) run(ctx context.Context, logw io.Writer, name, bin string, args ...string) error {
	logPath := filepath.Join(c.Dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	// Not CommandContext: the processes outlive Start's context and are ended by Stop.
	cmd := exec.Command(bin, args...)
	var w io.Writer = f
	if logw != nil {
		w = io.MultiWriter(f, &prefixWriter{w: logw, prefix: name + ": "})
	}
	cmd.Stdout, cmd.Stderr = w, w
	// Its own process group, so that Stop reaches anything it starts; and killed with the
	// test binary should that die without running Stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return nil
}

// waitReady polls ready until it succeeds, a process has exited, or two minutes pass.
func (c *ControlPlane) waitReady(ctx context.Context, what string, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		last = ready(rctx)
		rcancel()
		if last == nil {
			return nil
		}
		if p := c.exited(); p != nil {
			return fmt.Errorf("waiting for %s: %s exited (%v); the end of %s:\n%s", what, p.name, p.err, p.log, tail(p.log, 30))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last answer: %v)", what, ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// exited returns a process that has ended, or nil.
func (c *ControlPlane) exited() *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		select {
		case <-p.done:
			return p
		default:
		}
	}
	return nil
}

// Check says whether every process still runs; tests call it to tell a component's
// crash from their own failure.
func (c *ControlPlane) Check() error {
	if p := c.exited(); p != nil {
		return fmt.Errorf("%s exited (%v); the end of %s:\n%s", p.name, p.err, p.log, tail(p.log, 30))
	}
	return nil
}

// CPUTime is the processor time (user and system) the named process ("etcd",
// "kube-apiserver", ...) has used so far, read from /proc; benchmarks take the
// difference around what they measure, which another process's load does not inflate
// as it does wall time.
func (c *ControlPlane) CPUTime(name string) (time.Duration, error) {
	c.mu.Lock()
	var pid int
	for _, p := range c.procs {
		if p.name == name {
			pid = p.cmd.Process.Pid
		}
	}
	c.mu.Unlock()
	if pid == 0 {
		return 0, fmt.Errorf("no process %q", name)
	}
	return procCPU(pid)
}

// procCPU reads utime and stime of /proc/PID/stat, in clock ticks of 1/100 s (USER_HZ on
// Linux).
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may hold spaces; the fields follow the last ")".
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	// After the name: state (field 3) ... utime (14), stime (15).
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// Logs returns the end of every process's log, for a failed test to show.
func (c *ControlPlane) Logs(lines int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, p := range c.procs {
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", p.name, p.log, tail(p.log, lines))
	}
	return b.String()
}

// stopGrace is how long Stop waits after SIGTERM before it kills a process.
const stopGrace = 10 * time.Second

// Stop ends the processes, newest first (SIGTERM, then SIGKILL after stopGrace), waits
// for each to exit, and removes the directory if Start made it. It is safe to call more
// than once; later calls return the first call's answer.
func (c *ControlPlane) Stop() error {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		procs := c.procs
		c.mu.Unlock()
		var errs []error
		for i := len(procs) - 1; i >= 0; i-- {
			p := procs[i]
			pgid := p.cmd.Process.Pid
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(stopGrace):
				// The API server may hold a graceful shutdown for its watches; the data is
				// thrown away, so a kill loses nothing.
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				<-p.done
			}
		}
		if c.tempDir {
			if err := os.RemoveAll(c.Dir); err != nil {
				errs = append(errs, err)
			}
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// prefixWriter prefixes each line it writes.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	mid    bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, c := range b {
		if !p.mid {
			out = append(out, p.prefix...)
			p.mid = true
		}
		out = append(out, c)
		if c == '\n' {
			p.mid = false
		}
	}
	_, err := p.w.Write(out)
	return len(b), err
}

// ensureNamespace creates a namespace if it is missing.
func (c *ControlPlane) ensureNamespace(ctx context.Context, name string) error {
	_, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
