package network

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

//go:embed default/*.yaml
var defaultFS embed.FS

// DefaultFiles returns the files of the embedded default network, which holds every fact
// of the seed, in the seed's order (the files are numbered: relation types first, then the
// dimensions as the seed presents them).
func DefaultFiles() []File {
	names, _ := fs.Glob(defaultFS, "default/*.yaml")
	sort.Strings(names)
	out := make([]File, 0, len(names))
	for _, n := range names {
		b, _ := defaultFS.ReadFile(n)
		out = append(out, File{Name: n, Data: b})
	}
	return out
}

var (
	defaultOnce sync.Once
	defaultNet  *Network
	defaultErr  error
)

// Default returns the embedded default network, the same as loading [DefaultFiles]. It is
// compiled into the binary (default_gen.go, made by go generate from the YAML files), so
// it costs only its lookup maps, built once; callers share it and must not modify it.
func Default() (*Network, error) {
	defaultOnce.Do(func() {
		if compiledDefault == nil { // built with -tags strata_regen, to regenerate
			defaultNet, defaultErr = Load(DefaultFiles())
			return
		}
		compiledDefault.index()
		defaultNet = compiledDefault
	})
	return defaultNet, defaultErr
}

//go:generate go run -tags strata_regen ./internal/gendefault -o default_gen.go

// index builds the lookup maps of a network whose exported fields are set and valid, as
// [Load] builds them along the way.
func (n *Network) index() {
	n.byID = make(map[string]*Entity, len(n.Entities))
	for _, e := range n.Entities {
		n.byID[e.ID] = e
	}
	n.dims = map[string]*Dimension{}
	for _, d := range n.Dimensions {
		for _, k := range append([]string{d.ID, d.Names.En, d.Names.Zh, d.Axis}, d.Aliases...) {
			if k != "" {
				n.dims[strings.ToLower(k)] = d
			}
		}
	}
	n.rels = make(map[string]*RelationType, len(n.Relations))
	n.relAlias = map[string]*RelationType{}
	for _, r := range n.Relations {
		n.rels[r.ID] = r
		for _, alias := range []string{r.Names.En, r.Names.Zh, r.Inverse} {
			if alias != "" {
				n.relAlias[strings.ToLower(alias)] = r
			}
		}
	}
}
