package cli

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/strata-dev/strata/kb"
	"github.com/strata-dev/strata/network"
)

// inputs are the files named on a command line (--network, check's arguments): network
// YAML documents, and the Markdown documents of a knowledge base. A directory stands for
// the .md, .yaml and .yml files under it.
type inputs struct {
	yaml []network.File
	md   []network.File
	// skipped are files in a directory that are neither Markdown nor YAML.
	skipped []string
}

func isYAML(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

// readInputs reads the paths. A file named directly is Markdown by its extension and
// YAML otherwise; in a directory, files and directories whose names start with "." are
// left out, as are symbolic links to directories.
func readInputs(paths []string) (inputs, error) {
	var in inputs
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			_, err = os.ReadFile(p) // the error says "open", as for any file
			return in, fmt.Errorf("read network file: %w", err)
		}
		if !st.IsDir() {
			b, err := readNamed(p)
			if err != nil {
				return in, err
			}
			if kb.IsMarkdown(p) {
				in.md = append(in.md, network.File{Name: p, Data: b})
			} else {
				in.yaml = append(in.yaml, network.File{Name: p, Data: b})
			}
			continue
		}
		var names []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				names = append(names, path)
			}
			return nil
		})
		if err != nil {
			return in, fmt.Errorf("read network directory: %w", err)
		}
		sort.Strings(names)
		for _, name := range names {
			md, y := kb.IsMarkdown(name), isYAML(name)
			if !md && !y {
				in.skipped = append(in.skipped, name)
				continue
			}
			b, err := readNamed(name)
			if err != nil {
				return in, err
			}
			if md {
				in.md = append(in.md, network.File{Name: name, Data: b})
			} else {
				in.yaml = append(in.yaml, network.File{Name: name, Data: b})
			}
		}
	}
	return in, nil
}

// readNamed reads a file named on the command line up to the limit of its kind (a
// Markdown document kb's, any other file a YAML file's), never more: a device or a pipe
// that does not end is refused at the limit.
func readNamed(path string) ([]byte, error) {
	limit := 0
	if kb.IsMarkdown(path) {
		limit = int(kb.DefaultLimits.MaxFileBytes)
	}
	return network.ReadFile(path, limit)
}

// readError is the error of a file that could not be read: one past a limit is an input
// error at its position (exit 1), one the file system refused a usage error (exit 2).
func readError(err error) error {
	if ps, ok := network.AsProblems(err); ok {
		return inputError{ps}
	}
	return usageError{err}
}

// loaded is a network loaded from the embedded default, YAML files and Markdown, with
// everything said about the inputs.
type loaded struct {
	net *network.Network
	imp *kb.Import // nil without Markdown
	in  inputs
	// problems are the import's and the loader's, at their Markdown or YAML positions.
	problems network.Problems
}

// loadPaths loads the embedded network (unless --no-default) and the files and
// directories. Markdown is read against the network of everything else, so its names
// resolve there. The error is for I/O and usage; problems in the input are in
// loaded.problems.
func (a *app) loadPaths(ctx context.Context, paths []string) (loaded, error) {
	var l loaded
	in, err := readInputs(paths)
	if err != nil {
		return l, readError(err)
	}
	l.in = in
	if !a.noDefault && len(in.yaml) == 0 && len(in.md) == 0 {
		l.net, err = network.Default() // compiled into the binary: no YAML to read
		return l, err
	}
	var base []network.File
	if !a.noDefault {
		base = network.DefaultFiles()
	}
	base = append(base, in.yaml...)
	kr := a.kbReaders.get(base)
	var n *network.Network
	if kr != nil && len(in.md) > 0 {
		n = kr.base // the same files as the last load's: its network
	} else {
		n, err = network.Load(base)
		if err != nil {
			ps, ok := network.AsProblems(err)
			if !ok {
				return l, err
			}
			l.problems = ps
			return l, nil
		}
	}
	if len(in.md) == 0 {
		l.net = n
		return l, nil
	}
	if kr == nil {
		kr = a.kbReaders.put(base, n, kb.NewReader(kb.Options{Base: n, NewRelations: a.newRelations}))
	}
	im, err := kr.reader.Read(ctx, in.md)
	if err != nil {
		return l, err
	}
	l.imp = im
	l.problems = append(l.problems, im.Problems...)
	full, err := im.Load(base)
	if err != nil {
		ps, ok := network.AsProblems(err)
		if !ok {
			return l, err
		}
		l.problems = append(l.problems, ps...)
	}
	l.problems.Sort()
	if len(l.problems) == 0 {
		l.net = full
	} else if full != nil && len(im.Problems) == len(l.problems) {
		l.net = full // the import's problems only: what it could read still loads
	}
	return l, nil
}

// kbReaders keeps the knowledge base reader of the last load, with the network of base
// files it reads against, so that serve --watch, loading the same paths again after an
// edit, reads again only the Markdown documents that changed (kb.Reader keeps what it
// read) and does not load unchanged base files again. It is safe for concurrent use.
type kbReaders struct {
	mu   sync.Mutex
	last *kbReader
}

type kbReader struct {
	files  []network.File // the base files, as read
	base   *network.Network
	reader *kb.Reader
}

// get is the last reader if it read against the same base files (names and bytes).
func (k *kbReaders) get(files []network.File) *kbReader {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.last == nil || len(k.last.files) != len(files) {
		return nil
	}
	for i, f := range files {
		if g := k.last.files[i]; g.Name != f.Name || !bytes.Equal(g.Data, f.Data) {
			return nil
		}
	}
	return k.last
}

func (k *kbReaders) put(files []network.File, base *network.Network, r *kb.Reader) *kbReader {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.last = &kbReader{files: slices.Clone(files), base: base, reader: r}
	return k.last
}
