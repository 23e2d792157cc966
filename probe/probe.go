package probe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Result is the outcome of one check.
type Result string

// Results, from best to worst; SKIP says nothing was checked.
const (
	Pass Result = "PASS" // present and working
	Warn Result = "WARN" // present, with a caveat the hint explains
	Fail Result = "FAIL" // missing or refused; the hint says how to get it
	Skip Result = "SKIP" // nothing to check here, or not checked (NeedsRoot says why)
)

// counts reports whether a result means "the host has it" (a caveat is still having it).
func (r Result) counts() bool { return r == Pass || r == Warn }

// Layers are the groups checks belong to, in report order: the isolation layers of the
// network's isolation dimension, then observability and GPUs.
var Layers = []string{"L-0", "L-1", "L-2", "L-3", "L-4", "observability", "gpu"}

// ErrUnknownLayer is returned by [Run] for an Options.Layers entry that is not in [Layers].
var ErrUnknownLayer = errors.New("unknown layer")

// Check is one check's outcome with what it read. Field names are stable (see the package
// documentation).
type Check struct {
	Layer    string `json:"layer" yaml:"layer"`
	ID       string `json:"id" yaml:"id"`
	Result   Result `json:"result" yaml:"result"`
	Evidence string `json:"evidence" yaml:"evidence"`
	Hint     string `json:"hint,omitempty" yaml:"hint,omitempty"`
	// Path and Version are set by checks of binaries found on PATH.
	Path    string `json:"path,omitempty" yaml:"path,omitempty"`
	Version string `json:"version,omitempty" yaml:"version,omitempty"`
	// NeedsRoot marks a check skipped because the probe ran unprivileged.
	NeedsRoot bool `json:"needs_root,omitempty" yaml:"needs_root,omitempty"`
}

// Coordinate says whether the host can serve one value of the Y (isolation) axis, and why.
type Coordinate struct {
	Axis    string   `json:"axis" yaml:"axis"`
	Value   int      `json:"value" yaml:"value"`
	Layer   string   `json:"layer" yaml:"layer"`
	Offered bool     `json:"offered" yaml:"offered"`
	Because string   `json:"because" yaml:"because"`
	Hint    string   `json:"hint,omitempty" yaml:"hint,omitempty"`
	Checks  []string `json:"checks" yaml:"checks"`
}

// Handler says whether the host has what a containerd runtime handler needs.
type Handler struct {
	Name    string   `json:"name" yaml:"name"`
	Layer   string   `json:"layer" yaml:"layer"`
	Offered bool     `json:"offered" yaml:"offered"`
	Because string   `json:"because" yaml:"because"`
	Checks  []string `json:"checks" yaml:"checks"`
}

// HostInfo names the probed host.
type HostInfo struct {
	Hostname   string    `json:"hostname" yaml:"hostname"`
	Kernel     string    `json:"kernel" yaml:"kernel"`
	CPU        string    `json:"cpu" yaml:"cpu"`
	Privileged bool      `json:"privileged" yaml:"privileged"`
	Time       time.Time `json:"time" yaml:"time"`
	Layers     []string  `json:"layers,omitempty" yaml:"layers,omitempty"` // the --layer filter
}

// Report is what [Run] found.
type Report struct {
	Host        HostInfo     `json:"host" yaml:"host"`
	Checks      []Check      `json:"checks" yaml:"checks"`
	Coordinates []Coordinate `json:"coordinates" yaml:"coordinates"`
	Handlers    []Handler    `json:"handlers" yaml:"handlers"`
}

// Check returns the check with this id.
func (r *Report) Check(id string) (Check, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// Offered lists the layers the host can serve, in order.
func (r *Report) Offered() []string {
	var out []string
	for _, c := range r.Coordinates {
		if c.Offered {
			out = append(out, c.Layer)
		}
	}
	return out
}

// Options tune [Run].
type Options struct {
	// Layers keeps only these layers' checks, coordinates and handlers in the report
	// (every check still runs: coordinates rest on checks of other layers). Empty: all.
	Layers []string
	// EmbeddedWasm names the Wasm engine linked into this program with its version
	// ("wazero v1.9.0"); empty: the embedded-wasm check says there is none yet. See
	// [EmbeddedWasm].
	EmbeddedWasm string
	// Now stamps the report; nil: time.Now.
	Now func() time.Time
	// Logger receives one debug record per check; nil: silent.
	Logger *slog.Logger
}

// NormalizeLayer accepts a layer as written on a command line ("L-4", "l4", "L4", "4",
// "gpu") and returns its name in [Layers].
func NormalizeLayer(s string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimPrefix(strings.TrimPrefix(t, "l-"), "l")
	if len(t) == 1 && t[0] >= '0' && t[0] <= '4' {
		return "L-" + t, nil
	}
	for _, l := range Layers {
		if strings.EqualFold(l, s) {
			return l, nil
		}
	}
	return "", fmt.Errorf("%w %q: use one of %s", ErrUnknownLayer, s, strings.Join(Layers, ", "))
}

// Run makes every check against h and places the host on the Y axis. It changes nothing on
// the host: files are only read, and what the kernel checks create (a VM, namespaces, a
// BPF program, a perf event) is closed or reaped before Run returns. Checks run
// concurrently; the report lists them in a fixed order. Run is safe for concurrent use.
func Run(ctx context.Context, h Host, opts Options) (Report, error) {
	var keep []string
	for _, l := range opts.Layers {
		n, err := NormalizeLayer(l)
		if err != nil {
			return Report{}, err
		}
		if !slices.Contains(keep, n) {
			keep = append(keep, n)
		}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := newEnv(h, opts)
	results := make([]Check, len(registry))
	var wg sync.WaitGroup
	for i, s := range registry {
		wg.Go(func() {
			start := time.Now()
			c := s.run(ctx, e)
			c.Layer, c.ID = s.layer, s.id
			results[i] = c
			log.Debug("probe check", "check", s.id, "result", string(c.Result), "duration_ms", float64(time.Since(start).Microseconds())/1000)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	byID := make(map[string]Check, len(results))
	for _, c := range results {
		byID[c.ID] = c
	}
	cpu := e.cpu()
	r := Report{
		Host: HostInfo{
			Hostname:   e.line("proc/sys/kernel/hostname"),
			Kernel:     e.line("proc/sys/kernel/osrelease"),
			CPU:        strings.TrimSpace(cpu.Model),
			Privileged: h.Privileged,
			Time:       now().UTC().Truncate(time.Second),
			Layers:     keep,
		},
		Checks:      []Check{},
		Coordinates: []Coordinate{},
		Handlers:    []Handler{},
	}
	if r.Host.Hostname == "" {
		r.Host.Hostname = e.line("etc/hostname")
	}
	want := func(layer string) bool { return len(keep) == 0 || slices.Contains(keep, layer) }
	for _, c := range results {
		if want(c.Layer) {
			r.Checks = append(r.Checks, c)
		}
	}
	for _, c := range coordinates(byID) {
		if want(c.Layer) {
			r.Coordinates = append(r.Coordinates, c)
		}
	}
	for _, hd := range handlers(byID) {
		if want(hd.Layer) {
			r.Handlers = append(r.Handlers, hd)
		}
	}
	return r, nil
}

// env is one run's view of the host, with what several checks read computed once.
type env struct {
	h    Host
	fsys fs.FS
	opts Options
	dirs []string

	cpuOnce sync.Once
	cpuInfo cpuInfo

	kvmOnce     sync.Once
	kvmEvidence string
	kvmErr      error

	mu   sync.Mutex
	bins map[string]*program
}

func newEnv(h Host, opts Options) *env {
	e := &env{h: h, fsys: h.fsys(), opts: opts, bins: map[string]*program{}}
	for _, d := range filepath.SplitList(h.PATH) {
		if path.IsAbs(d) && !slices.Contains(e.dirs, path.Clean(d)) {
			e.dirs = append(e.dirs, path.Clean(d))
		}
	}
	return e
}

// rel turns a host path ("/proc/cpuinfo") into a name in the host's FS.
func rel(name string) string {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if name == "" {
		return "."
	}
	return name
}

func (e *env) read(name string) ([]byte, error) { return fs.ReadFile(e.fsys, rel(name)) }

// readHead reads at most n bytes of a file (sysfs files report sizes they do not have).
func (e *env) readHead(name string, n int) ([]byte, error) {
	f, err := e.fsys.Open(rel(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	m := 0
	for m < n {
		k, err := f.Read(b[m:])
		m += k
		if err != nil {
			break
		}
	}
	return b[:m], nil
}

// line is the trimmed first line of a file, "" when it cannot be read.
func (e *env) line(name string) string {
	b, err := e.read(name)
	if err != nil {
		return ""
	}
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(s)
}

func (e *env) stat(name string) (fs.FileInfo, error) { return fs.Stat(e.fsys, rel(name)) }

func (e *env) exists(name string) bool {
	_, err := e.stat(name)
	return err == nil
}

func (e *env) glob(pattern string) []string {
	ms, _ := fs.Glob(e.fsys, rel(pattern))
	return ms
}

func (e *env) cpu() cpuInfo {
	e.cpuOnce.Do(func() {
		b, _ := e.read("proc/cpuinfo")
		e.cpuInfo = parseCPUInfo(b)
	})
	return e.cpuInfo
}

// kvm makes the real KVM check once: kvm-create-vm and runsc's kvm platform both use it.
func (e *env) kvm(ctx context.Context) (string, error) {
	e.kvmOnce.Do(func() {
		e.kvmEvidence, e.kvmErr = e.h.Kernel.KVM(ctx, e.h.hostPath("dev/kvm"))
	})
	return e.kvmEvidence, e.kvmErr
}

// program is a binary looked up on PATH and asked its version, once per run.
type program struct {
	once    sync.Once
	name    string
	path    string // absolute path on the host; "" when not on PATH
	out     []byte
	err     error
	version string
}

// versionArgs are the arguments that make a program print its version (containerd shims
// take -v).
func versionArgs(name string) []string {
	if strings.HasPrefix(name, "containerd-shim-") && name != "containerd-shim-kata-v2" {
		return []string{"-v"}
	}
	return []string{"--version"}
}

func (e *env) binary(ctx context.Context, name string) *program {
	e.mu.Lock()
	b, ok := e.bins[name]
	if !ok {
		b = &program{name: name}
		e.bins[name] = b
	}
	e.mu.Unlock()
	b.once.Do(func() {
		b.path = e.lookPath(name)
		if b.path == "" || e.h.Runner == nil {
			return
		}
		b.out, b.err = e.h.Runner.Output(ctx, e.h.hostPath(b.path), versionArgs(name)...)
		b.version = parseVersion(b.out)
	})
	return b
}

// lookPath finds an executable regular file on PATH, read under the host root.
func (e *env) lookPath(name string) string {
	for _, d := range e.dirs {
		p := path.Join(d, name)
		fi, err := e.stat(p)
		if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// run asks a found binary something more (runsc help platforms).
func (e *env) run(ctx context.Context, b *program, args ...string) ([]byte, error) {
	if e.h.Runner == nil {
		return nil, errors.New("no runner")
	}
	return e.h.Runner.Output(ctx, e.h.hostPath(b.path), args...)
}
