package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Cluster is a connection to one cluster, as one kubeconfig context (or the pod's
// in-cluster credentials) describes it.
type Cluster struct {
	// Context is the kubeconfig context used; "in-cluster" for a pod's own credentials.
	Context string
	// Server is the API server's URL.
	Server string
	// Kubeconfig says where the credentials came from: the file(s), or "in-cluster".
	Kubeconfig string

	Config  *rest.Config
	Client  kubernetes.Interface
	Dynamic dynamic.Interface

	mu     sync.Mutex
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// ErrNoConfig is returned by [Connect] when there is no kubeconfig and strata does not run
// in a pod.
var ErrNoConfig = errors.New("no kubeconfig: none given with --kubeconfig, none in $KUBECONFIG or ~/.kube/config, and not running in a pod; point --kubeconfig at one (scripts/cluster-up.sh prints one for a local control plane)")

// Connect finds the cluster the way kubectl does: the kubeconfig file given (or the files
// in $KUBECONFIG, or ~/.kube/config), its current context or the one named, and, when
// there is no kubeconfig at all, the credentials of the pod strata runs in. It makes no
// request; the first one says whether the server is reachable. It reads the kubeconfig
// each time: to connect several contexts, [LoadKubeconfig] once and call its Connect.
func Connect(kubeconfig, context string, timeout time.Duration) (*Cluster, error) {
	k, err := LoadKubeconfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	return k.Connect(context, timeout)
}

// Kubeconfig is a kubeconfig as kubectl finds it (the file given, or the files in
// $KUBECONFIG, or ~/.kube/config; none at all means the credentials of the pod strata
// runs in), read once. Every context is connected from what was read then: a pipe
// (--kubeconfig <(command)) can be read only once, and a second open of it finds it
// empty.
type Kubeconfig struct {
	config *clientcmdapi.Config
	access clientcmd.ConfigAccess // where refreshed credentials are written; nil for a pipe
	source string
}

// LoadKubeconfig reads the kubeconfig: the file at path, or where kubectl looks when path
// is empty. A file that is not one (a device, a directory) or larger than
// MaxKubeconfigBytes is refused before it is read; a pipe is read within that bound.
func LoadKubeconfig(path string) (*Kubeconfig, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--kubeconfig %s: %w", path, err)
		}
	}
	if err := checkKubeconfigs(rules); err != nil {
		return nil, err
	}
	k := &Kubeconfig{source: describeFiles(rules)}
	if pipe, ok := onlyPipe(rules); ok {
		cfg, err := loadPipe(pipe)
		if err != nil {
			return nil, err
		}
		k.config = cfg
		return k, nil
	}
	cfg, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", k.source, err)
	}
	k.config, k.access = cfg, rules
	return k, nil
}

// Connect connects the context named (the kubeconfig's current context when empty). It
// makes no request; the first one says whether the server is reachable.
func (k *Kubeconfig) Connect(context string, timeout time.Duration) (*Cluster, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	cc := clientcmd.NewNonInteractiveClientConfig(*k.config, context, overrides, k.access)
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", k.source, err)
	}
	c := &Cluster{Context: context, Kubeconfig: k.source}
	if c.Context == "" {
		c.Context = raw.CurrentContext
	}
	if len(raw.Contexts) == 0 && context == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, ErrNoConfig
		}
		c.Config, c.Context, c.Kubeconfig = cfg, "in-cluster", "in-cluster"
	} else {
		if _, ok := raw.Contexts[c.Context]; !ok {
			names := make([]string, 0, len(raw.Contexts))
			for n := range raw.Contexts {
				names = append(names, n)
			}
			slices.Sort(names)
			return nil, fmt.Errorf("kubeconfig %s has no context %q (it has: %s)", c.Kubeconfig, c.Context, strings.Join(names, ", "))
		}
		if c.Config, err = cc.ClientConfig(); err != nil {
			return nil, fmt.Errorf("kubeconfig %s, context %s: %w", c.Kubeconfig, c.Context, err)
		}
	}
	c.Server = c.Config.Host
	c.Config.Timeout = timeout
	c.Config.UserAgent = "strata"
	// Protocol buffers: a LIST of thousands of nodes decodes several times faster.
	c.Config.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	c.Config.ContentType = "application/vnd.kubernetes.protobuf"
	c.Config.QPS, c.Config.Burst = 100, 200
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return nil, err
	}
	dc := rest.CopyConfig(c.Config)
	dc.AcceptContentTypes, dc.ContentType = "application/json", "application/json" // custom resources speak JSON only
	// Apply, its only user, bounds the requests in flight itself (ApplyOptions.Concurrency);
	// a token bucket of 100 requests/s on top would cap it at 50 objects/s (two requests each).
	dc.QPS, dc.Burst = -1, 0
	if c.Dynamic, err = dynamic.NewForConfig(dc); err != nil {
		return nil, err
	}
	return c, nil
}

// MaxKubeconfigBytes bounds each kubeconfig file Connect reads (one with its
// certificates inline is a few tens of kilobytes).
const MaxKubeconfigBytes = 16 << 20

// checkKubeconfigs refuses, before client-go reads them whole, kubeconfig files that are
// devices, sockets or directories (client-go read /dev/zero without end: 560 MB in 20 s)
// or are larger than MaxKubeconfigBytes. A pipe is let through when it is the only
// kubeconfig, for --kubeconfig <(command): Connect reads it itself, within the same bound
// (loadPipe); among several $KUBECONFIG files, client-go would read it without one.
// Files that do not exist are client-go's to judge.
func checkKubeconfigs(rules *clientcmd.ClientConfigLoadingRules) error {
	paths := kubeconfigPaths(rules)
	for _, p := range paths {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			continue
		case fi.Mode().Type() == os.ModeNamedPipe && len(paths) > 1:
			return fmt.Errorf("kubeconfig %s is a pipe among %d $KUBECONFIG files; strata reads a pipe only as the one kubeconfig (--kubeconfig <(command))", p, len(paths))
		case !fi.Mode().IsRegular() && fi.Mode().Type() != os.ModeNamedPipe:
			return fmt.Errorf("kubeconfig %s is not a regular file (%s); give the file kubectl reads (--kubeconfig or $KUBECONFIG)", p, fi.Mode().Type())
		case fi.Size() > MaxKubeconfigBytes:
			return fmt.Errorf("kubeconfig %s is %d bytes, more than the %d MiB strata reads; give the file kubectl reads (--kubeconfig or $KUBECONFIG)", p, fi.Size(), MaxKubeconfigBytes>>20)
		}
	}
	return nil
}

// kubeconfigPaths are the files client-go would read: the explicit one, else the loading
// precedence ($KUBECONFIG's list, or ~/.kube/config).
func kubeconfigPaths(rules *clientcmd.ClientConfigLoadingRules) []string {
	if rules.ExplicitPath != "" {
		return []string{rules.ExplicitPath}
	}
	return rules.GetLoadingPrecedence()
}

// onlyPipe returns the kubeconfig when it is a single named pipe (--kubeconfig
// <(command), or a $KUBECONFIG of one).
func onlyPipe(rules *clientcmd.ClientConfigLoadingRules) (string, bool) {
	paths := kubeconfigPaths(rules)
	if len(paths) != 1 {
		return "", false
	}
	fi, err := os.Stat(paths[0])
	return paths[0], err == nil && fi.Mode().Type() == os.ModeNamedPipe
}

// loadPipe reads a kubeconfig from a pipe, at most MaxKubeconfigBytes of it (a pipe has no
// size to check first, and may have no end), and loads it as client-go loads a file: its
// entries' origin is the pipe, relative paths in it are taken from the pipe's directory.
func loadPipe(path string) (*clientcmdapi.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig %s: %w", path, err)
	}
	defer f.Close()
	// One buffer of the bound, filled in place: io.ReadAll's doubling held about twice
	// the bound at its peak (300 MB of RSS under the race detector's shadow memory). Its
	// pages are the kernel's zero pages until the pipe's bytes land in them.
	buf := make([]byte, MaxKubeconfigBytes+1)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	data := buf[:n]
	if n > MaxKubeconfigBytes {
		return nil, fmt.Errorf("kubeconfig %s: a pipe of more than %d MiB, more than strata reads; give the file kubectl reads (--kubeconfig or $KUBECONFIG)", path, MaxKubeconfigBytes>>20)
	}
	if n == 0 {
		// Not "no kubeconfig" (and the pod's credentials instead): what was given is said.
		return nil, fmt.Errorf("kubeconfig %s: the pipe gave nothing; did the command that writes it fail (or was the pipe read already)?", path)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	for _, a := range cfg.AuthInfos {
		a.LocationOfOrigin = path
	}
	for _, c := range cfg.Clusters {
		c.LocationOfOrigin = path
	}
	for _, c := range cfg.Contexts {
		c.LocationOfOrigin = path
	}
	if err := clientcmd.ResolveLocalPaths(cfg); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return cfg, nil
}

func describeFiles(rules *clientcmd.ClientConfigLoadingRules) string {
	if rules.ExplicitPath != "" {
		return rules.ExplicitPath
	}
	var files []string
	for _, f := range rules.GetLoadingPrecedence() {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return strings.Join(rules.GetLoadingPrecedence(), string(filepath.ListSeparator))
	}
	return strings.Join(files, string(filepath.ListSeparator))
}

// Unreachable is the error for an API server strata cannot talk to.
type Unreachable struct {
	Server, Context, Kubeconfig string
	Err                         error
}

func (e *Unreachable) Error() string {
	return fmt.Sprintf("cannot reach the Kubernetes API server %s (context %s, kubeconfig %s): %v; is the cluster up and the kubeconfig current?", e.Server, e.Context, e.Kubeconfig, e.Err)
}

func (e *Unreachable) Unwrap() error { return e.Err }

// Forbidden is the error for a request RBAC denied: who may not do what to which resource.
type Forbidden struct {
	Verb, Resource, Namespace string
	Context                   string
	Err                       error
}

func (e *Forbidden) Error() string {
	where := "cluster-wide"
	if e.Namespace != "" {
		where = "in namespace " + e.Namespace
	}
	return fmt.Sprintf("forbidden: the credentials of context %s may not %s %s %s (%v); grant the verb %q on %q with a Role or ClusterRole and a binding", e.Context, e.Verb, e.Resource, where, apierrors.ReasonForError(e.Err), e.Verb, e.Resource)
}

func (e *Forbidden) Unwrap() error { return e.Err }

// wrap turns a request's error into [Forbidden], [Unreachable] or an error naming the
// request.
func (c *Cluster) wrap(err error, verb, resource, namespace string) error {
	if err == nil {
		return nil
	}
	var status apierrors.APIStatus
	switch {
	case apierrors.IsForbidden(err):
		return &Forbidden{Verb: verb, Resource: resource, Namespace: namespace, Context: c.Context, Err: err}
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the API server %s rejected the credentials of context %s (kubeconfig %s): %w", c.Server, c.Context, c.Kubeconfig, err)
	case errors.As(err, &status):
		return fmt.Errorf("%s %s: %w", verb, resource, err)
	case errors.Is(err, context.Canceled):
		return err
	}
	return &Unreachable{Server: c.Server, Context: c.Context, Kubeconfig: c.Kubeconfig, Err: err}
}

// discovery is a discovery client for the cluster.
func (c *Cluster) discovery() (discovery.DiscoveryInterface, error) {
	dc := rest.CopyConfig(c.Config)
	dc.AcceptContentTypes, dc.ContentType = "application/json", "application/json"
	return discovery.NewDiscoveryClientForConfig(dc)
}
