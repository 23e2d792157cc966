package network

import (
	"embed"
	"io/fs"
	"sort"
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

// Default returns the embedded default network. It is loaded once and shared; callers
// must not modify it.
func Default() (*Network, error) {
	defaultOnce.Do(func() { defaultNet, defaultErr = Load(DefaultFiles()) })
	return defaultNet, defaultErr
}
