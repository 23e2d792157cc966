package procfs

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// procFiles keeps the /proc files a sampler reads open from one sample to the next: a
// read is then one pread at offset 0 (the kernel writes such a file afresh for each read
// from its start), not an open, a read and a close — a third of the system calls, where
// system calls are most of a sample's cost. An open file stays bound to the task it was
// opened for: once that task has exited its reads fail, where a path could name a new
// task that reused the id (TestKeptFileOfReusedTID).
//
// Files not on a proc file system (Options.Proc a tree of regular files, as tests make)
// are read by path every time: a regular file open stays bound to its inode, so one
// replaced by rename would read as it was for ever (TestFakeProcRewritten). Memory (get)
// is kept open there too.
type procFiles struct {
	mu     sync.Mutex
	open   map[string]*procFile
	pass   uint64 // sweeps so far
	byPath bool   // not /proc: read does not keep files
	closed bool   // close was called: nothing is opened any more
}

type procFile struct {
	f    *os.File
	used uint64 // the pass it was last used in
}

// maxProcFiles bounds the files kept open; past it, all are closed.
const maxProcFiles = 8192

// procFileSize is the most read from a kept file at once. The files kept are seq_files
// that the kernel fills a page-sized buffer from with whole records: one read that
// returns less than half of it (the longest record read here is far shorter) is the
// whole file; past that, it is read on from the same file (a thread's children, by the
// hundred) until a read returns nothing, at most maxProcRead.
const procFileSize = 4096

// maxProcRead bounds what read reads of one file.
const maxProcRead = 16 << 20

// get is the open file at path, opened now if it is not yet.
func (p *procFiles) get(path string) (*os.File, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, os.ErrClosed // stopped: a file opened now would never be closed
	}
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
	p.dropLocked(path, nil)
}

// dropFile closes the file kept at path if it is f (not one opened since).
func (p *procFiles) dropFile(path string, f *os.File) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropLocked(path, f)
}

// dropLocked closes the file kept at path, if it is f (or f is nil).
func (p *procFiles) dropLocked(path string, f *os.File) {
	if pf, ok := p.open[path]; ok && (f == nil || pf.f == f) {
		pf.f.Close()
		delete(p.open, path)
	}
}

// read reads the file at path whole.
func (p *procFiles) read(path string) ([]byte, error) {
	p.mu.Lock()
	byPath := p.byPath
	p.mu.Unlock()
	if byPath {
		return os.ReadFile(path)
	}
	for try := 0; ; try++ {
		f, err := p.get(path)
		if err != nil {
			return nil, err
		}
		b, err := readAll(f)
		if err == nil {
			return b, nil
		}
		p.mu.Lock()
		p.dropLocked(path, f)
		closed := p.closed
		p.mu.Unlock()
		if !errors.Is(err, os.ErrClosed) || closed || try >= maxReopen {
			return nil, err
		}
		// Closed by another caller between get and the read (past maxProcFiles): again,
		// opened afresh (a caller kept off the CPU meanwhile may see that happen more
		// than once: TestProcFilesBound did, beside other tests).
	}
}

// maxReopen bounds how often read opens a file afresh that another caller closed.
const maxReopen = 8

// readAll reads f whole from its start (see procFileSize).
func readAll(f *os.File) ([]byte, error) {
	buf := make([]byte, procFileSize)
	n, err := pread(f, buf, 0)
	if err != nil || n < procFileSize/2 {
		return buf[:n], err
	}
	for {
		if n == len(buf) {
			if len(buf) >= maxProcRead {
				return nil, fmt.Errorf("%s: longer than %d bytes", f.Name(), maxProcRead)
			}
			buf = append(buf, make([]byte, len(buf))...)
		}
		m, err := pread(f, buf[n:], int64(n))
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
	}
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

// close closes every kept file; none is opened after.
func (p *procFiles) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
	p.closed = true
}

func (p *procFiles) closeLocked() {
	for _, pf := range p.open {
		pf.f.Close()
	}
	clear(p.open)
}
