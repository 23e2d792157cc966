// Package probetest describes fake hosts for the tests of package probe and of the
// strata probe command. A fake host is a directory: proc/, sys/, dev/, etc/, run/ and
// the PATH directories as plain files, and host.yaml for what a tree in git cannot hold —
// file types (devices, sockets), unreadable paths, what programs print, and what the
// kernel answers to the checks only a kernel can make. The result is a [probe.Host] whose
// checks run anywhere.
package probetest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/goccy/go-yaml"

	"github.com/strata-dev/strata/probe"
)

// spec is host.yaml.
type spec struct {
	// Privileged: the probe may make checks that need root.
	Privileged bool `yaml:"privileged"`
	// Path is the host's $PATH.
	Path string `yaml:"path"`
	// Modes gives files their type: "c" character device, "b" block device, "s" socket.
	Modes map[string]string `yaml:"modes"`
	// Denied paths answer "permission denied", as root-only files do for other users.
	Denied []string `yaml:"denied"`
	// Commands maps "NAME ARGS" to what the program prints; Failing to the error it exits with.
	Commands map[string]string `yaml:"commands"`
	Failing  map[string]string `yaml:"failing"`
	Kernel   struct {
		KVM        *answer            `yaml:"kvm"`
		Namespaces map[string]*answer `yaml:"namespaces"`
		BPF        *answer            `yaml:"bpf"`
		Perf       *answer            `yaml:"perf"`
	} `yaml:"kernel"`
}

// answer is one kernel check's outcome: evidence, or an error made of Op and an errno name.
type answer struct {
	Evidence string `yaml:"evidence"`
	Op       string `yaml:"op"`
	Error    string `yaml:"error"`
}

var errnos = map[string]syscall.Errno{
	"EPERM": syscall.EPERM, "EACCES": syscall.EACCES, "ENOENT": syscall.ENOENT, "ENOSYS": syscall.ENOSYS,
	"EINVAL": syscall.EINVAL, "ENODEV": syscall.ENODEV, "ENXIO": syscall.ENXIO, "EOPNOTSUPP": syscall.EOPNOTSUPP,
	"EBUSY": syscall.EBUSY,
}

// err builds the error a real kernel check would return, wrapping probe.ErrNotSupported
// for the errnos that mean "missing".
func (a *answer) result(what string) (string, error) {
	if a == nil {
		return "", fmt.Errorf("fake host: host.yaml gives no answer for %s", what)
	}
	if a.Error == "" {
		return a.Evidence, nil
	}
	e, ok := errnos[a.Error]
	if !ok {
		return "", fmt.Errorf("%s: %s", a.Op, a.Error)
	}
	switch e {
	case syscall.ENOENT, syscall.ENODEV, syscall.ENXIO, syscall.ENOSYS, syscall.EOPNOTSUPP, syscall.EINVAL:
		return "", fmt.Errorf("%s: %w: %w", a.Op, probe.ErrNotSupported, e)
	}
	return "", fmt.Errorf("%s: %w", a.Op, e)
}

// Host reads the fake host in dir.
func Host(dir string) (probe.Host, error) {
	b, err := os.ReadFile(filepath.Join(dir, "host.yaml"))
	if err != nil {
		return probe.Host{}, err
	}
	var s spec
	if err := yaml.UnmarshalWithOptions(b, &s, yaml.DisallowUnknownField()); err != nil {
		return probe.Host{}, fmt.Errorf("%s: %w", filepath.Join(dir, "host.yaml"), err)
	}
	m := modeFS{FS: os.DirFS(dir), modes: map[string]fs.FileMode{}, denied: s.Denied}
	for p, t := range s.Modes {
		switch t {
		case "c":
			m.modes[p] = fs.ModeDevice | fs.ModeCharDevice | 0o660
		case "b":
			m.modes[p] = fs.ModeDevice | 0o660
		case "s":
			m.modes[p] = fs.ModeSocket | 0o660
		default:
			return probe.Host{}, fmt.Errorf("%s: mode of %s: %q is not c, b or s", dir, p, t)
		}
	}
	return probe.Host{
		Root:       dir,
		FS:         m,
		PATH:       s.Path,
		Runner:     runner{s.Commands, s.Failing},
		Kernel:     kernel{&s},
		Privileged: s.Privileged,
	}, nil
}

// modeFS is a tree whose listed files have the types host.yaml gives them.
type modeFS struct {
	fs.FS
	modes  map[string]fs.FileMode
	denied []string
}

func (m modeFS) deny(op, name string) error {
	for _, d := range m.denied {
		if name == d || strings.HasPrefix(name, d+"/") {
			return &fs.PathError{Op: op, Path: "/" + name, Err: fs.ErrPermission}
		}
	}
	return nil
}

// onDisk is the name a file has in the tree: ':' is stored as "%3A".
func onDisk(name string) string { return strings.ReplaceAll(name, ":", "%3A") }

func (m modeFS) Open(name string) (fs.File, error) {
	if err := m.deny("open", name); err != nil {
		return nil, err
	}
	f, err := m.FS.Open(onDisk(name))
	if err != nil {
		return nil, err
	}
	if mode, ok := m.modes[name]; ok {
		return modeFile{f, mode}, nil
	}
	if d, ok := f.(fs.ReadDirFile); ok {
		return dirFile{d}, nil
	}
	return f, nil
}

// dirFile lists a directory with the names the tree stands for ("%3A" read as ':').
type dirFile struct{ fs.ReadDirFile }

func (d dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	es, err := d.ReadDirFile.ReadDir(n)
	for i := range es {
		es[i] = entry{es[i]}
	}
	return es, err
}

type entry struct{ fs.DirEntry }

func (e entry) Name() string { return strings.ReplaceAll(e.DirEntry.Name(), "%3A", ":") }

func (m modeFS) Stat(name string) (fs.FileInfo, error) {
	if err := m.deny("stat", path.Dir(name)); err != nil && path.Dir(name) != "." {
		return nil, err
	}
	fi, err := fs.Stat(m.FS, onDisk(name))
	if err != nil {
		return nil, err
	}
	if mode, ok := m.modes[name]; ok {
		return modeInfo{fi, mode}, nil
	}
	return fi, nil
}

type modeFile struct {
	fs.File
	mode fs.FileMode
}

func (f modeFile) Stat() (fs.FileInfo, error) {
	fi, err := f.File.Stat()
	if err != nil {
		return nil, err
	}
	return modeInfo{fi, f.mode}, nil
}

// modeInfo has no Sys: a fake device has no numbers and no group.
type modeInfo struct {
	fs.FileInfo
	mode fs.FileMode
}

func (i modeInfo) Mode() fs.FileMode { return i.mode }
func (i modeInfo) Sys() any          { return nil }

// runner answers from host.yaml's commands.
type runner struct {
	out, failing map[string]string
}

func (r runner) Output(ctx context.Context, p string, args ...string) ([]byte, error) {
	key := strings.TrimSpace(path.Base(p) + " " + strings.Join(args, " "))
	if msg, ok := r.failing[key]; ok {
		return []byte(r.out[key]), errors.New(msg)
	}
	out, ok := r.out[key]
	if !ok {
		return nil, fmt.Errorf("fake host: host.yaml has no output for %q", key)
	}
	return []byte(out), nil
}

// kernel answers from host.yaml's kernel section.
type kernel struct{ s *spec }

func (k kernel) KVM(ctx context.Context, p string) (string, error) {
	return k.s.Kernel.KVM.result("kvm")
}
func (k kernel) BPF(ctx context.Context) (string, error)  { return k.s.Kernel.BPF.result("bpf") }
func (k kernel) Perf(ctx context.Context) (string, error) { return k.s.Kernel.Perf.result("perf") }

func (k kernel) Namespace(ctx context.Context, kind string, rootless bool) (string, error) {
	key := kind
	if rootless {
		key = "rootless-" + kind
	}
	return k.s.Kernel.Namespaces[key].result("namespace " + key)
}
