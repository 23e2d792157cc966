// Package kmod orders a guest kernel's modules for insmod: each after what it depends on,
// read from the modules' own .modinfo (the module tree has no modules.dep).
package kmod

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Index maps module names (with '-' read as '_') to their .ko files under a release
// directory of a lib/modules tree. The tree has no modules.dep (the package's depmod
// never ran), so dependencies are read from each module's own .modinfo.
type Index struct {
	path    map[string]string
	aliases map[string]string // crypto-crc32c → crc32c_generic, for soft dependencies
	builtin map[string]bool   // compiled into the kernel: nothing to load
}

func Name(s string) string {
	return strings.ReplaceAll(strings.TrimSuffix(filepath.Base(s), ".ko"), "-", "_")
}

// Load indexes the single release directory under root.
func Load(root string) (*Index, error) {
	releases, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var dir string
	for _, r := range releases {
		if r.IsDir() {
			if dir != "" {
				return nil, fmt.Errorf("%s: more than one kernel release (%s, %s)", root, filepath.Base(dir), r.Name())
			}
			dir = filepath.Join(root, r.Name())
		}
	}
	if dir == "" {
		return nil, fmt.Errorf("%s: no kernel release directory", root)
	}
	idx := &Index{path: map[string]string{}, aliases: map[string]string{}, builtin: map[string]bool{}}
	if b, err := os.ReadFile(filepath.Join(dir, "modules.builtin")); err == nil {
		for l := range strings.Lines(string(b)) {
			idx.builtin[Name(strings.TrimSpace(l))] = true
		}
	}
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.HasSuffix(p, ".ko") {
			idx.path[Name(p)] = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Soft dependencies name crypto algorithms; the generic C implementations are in
	// crypto/ (the CPU-specific ones in arch/ may need instructions TCG's CPU lacks).
	crypto, _ := filepath.Glob(filepath.Join(dir, "kernel/crypto/*.ko"))
	for _, p := range crypto {
		info, err := modinfo(p)
		if err != nil {
			continue
		}
		for _, a := range info["alias"] {
			if _, ok := idx.aliases[a]; !ok {
				idx.aliases[a] = Name(p)
			}
		}
	}
	return idx, nil
}

// modinfo reads a module's .modinfo section: key=value strings.
func modinfo(path string) (map[string][]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := f.Section(".modinfo")
	if s == nil {
		return nil, fmt.Errorf("%s: no .modinfo section", path)
	}
	b, err := s.Data()
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = append(out[k], v)
		}
	}
	return out, nil
}

// Order lists the .ko files to insmod for names, each after what it depends on (hard
// dependencies and soft "pre:" ones), each once.
func (idx *Index) Order(names ...string) ([]string, error) {
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string) error
	visit = func(name string) error {
		name = Name(name)
		switch state[name] {
		case 1:
			return fmt.Errorf("module dependency cycle at %s", name)
		case 2:
			return nil
		}
		p, ok := idx.path[name]
		if !ok && idx.builtin[name] {
			state[name] = 2
			return nil
		}
		if !ok {
			return fmt.Errorf("module %s: %w", name, os.ErrNotExist)
		}
		state[name] = 1
		info, err := modinfo(p)
		if err != nil {
			return err
		}
		var deps []string
		for _, d := range info["depends"] {
			for _, n := range strings.Split(d, ",") {
				if n != "" {
					deps = append(deps, n)
				}
			}
		}
		for _, sd := range info["softdep"] {
			_, pre, _ := strings.Cut(sd, "pre:")
			pre, _, _ = strings.Cut(pre, "post:")
			for _, a := range strings.Fields(pre) {
				if m, ok := idx.aliases[a]; ok {
					deps = append(deps, m)
				} else if _, ok := idx.path[Name(a)]; ok {
					deps = append(deps, a)
				}
			}
		}
		for _, d := range deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[name] = 2
		out = append(out, p)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%w (is it built in? scripts/setup-bench.sh copies the modules)", err)
			}
			return nil, err
		}
	}
	return out, nil
}
