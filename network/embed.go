package network

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"sync"
)

//go:embed default/*.yaml
var defaultFS embed.FS

// DefaultFiles returns the files of the embedded default network, which holds every fact
// of the seed, in a stable order (relation types first).
func DefaultFiles() []File {
	names, _ := fs.Glob(defaultFS, "default/*.yaml")
	sort.Slice(names, func(i, j int) bool {
		// relation types first so a reader meets them before their use
		ri, rj := path.Base(names[i]) == "relations.yaml", path.Base(names[j]) == "relations.yaml"
		if ri != rj {
			return ri
		}
		return names[i] < names[j]
	})
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

// Default returns the embedded default network. It is loaded once and shared; callers
// must not modify it.
func Default() (*Network, error) {
	defaultOnce.Do(func() { defaultNet, defaultErr = Load(DefaultFiles()) })
	return defaultNet, defaultErr
}
