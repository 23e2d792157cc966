package procfs

import (
	"errors"
	"io"
	"os"
	"sync"
)

// procFiles keeps the /proc files a sampler reads open from one sample to the next: a
// read is then one pread at offset 0 (the kernel writes such a file afresh for each read
// from its start), not an open, a read and a close — a third of the system calls, where
// system calls are most of a sample's cost. An open file stays bound to the task it was
// opened for: once that task has exited its reads fail, where a path could name a new
// task that reused the id.
type procFiles struct {
	mu   sync.Mutex
	open map[string]*procFile
	pass uint64 // sweeps so far
}

type procFile struct {
	f    *os.File
	used uint64 // the pass it was last used in
}

// maxProcFiles bounds the files kept open; past it, all are closed.
const maxProcFiles = 8192

// procFileSize is the most read from a kept file at once; a file that fills it is read
// whole by path instead.
const procFileSize = 4096

// get is the open file at path, opened now if it is not yet.
func (p *procFiles) get(path string) (*os.File, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pf, ok := p.open[path]; ok {
		pf.used = p.pass
		return pf.f, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if p.open == nil || len(p.open) >= maxProcFiles {
		p.closeLocked()
		p.open = map[string]*procFile{}
	}
	p.open[path] = &procFile{f: f, used: p.pass}
	return f, nil
}

// drop closes the file at path, if it is kept: its task is gone.
func (p *procFiles) drop(path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pf, ok := p.open[path]; ok {
		pf.f.Close()
		delete(p.open, path)
	}
}

// read reads the file at path whole.
func (p *procFiles) read(path string) ([]byte, error) {
	f, err := p.get(path)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, procFileSize)
	n, err := f.ReadAt(buf, 0)
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		p.drop(path)
		return nil, err
	case n == len(buf):
		return os.ReadFile(path) // longer than a kept read
	}
	return buf[:n], nil
}

// sweep closes the files not used in this pass or the one before (threads that exited),
// and begins the next pass.
func (p *procFiles) sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for path, pf := range p.open {
		if pf.used+1 < p.pass {
			pf.f.Close()
			delete(p.open, path)
		}
	}
	p.pass++
}

// close closes every kept file.
func (p *procFiles) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
}

func (p *procFiles) closeLocked() {
	for _, pf := range p.open {
		pf.f.Close()
	}
	clear(p.open)
}
