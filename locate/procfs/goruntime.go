package procfs

import (
	"bufio"
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/strata-dev/strata/locate"
)

// A Go program parks a goroutine's thread in a futex whatever the goroutine waits for:
// sampled, every such wait looks the same. But the runtime says what each goroutine waits
// for (its g.waitreason, as a goroutine dump prints it), and which descriptor a goroutine
// parked for IO waits on (its pollDesc's rg or wg holds the goroutine): read from the
// process's memory, where the program's DWARF says the runtime keeps them, that is the
// cause of the wait of a thread that a goroutine is locked to (runtime.LockOSThread, as
// strata's README asks of Go services that record thread.id). Nothing of the runtime's
// layout is assumed: offsets, addresses and the wait reasons' values are the binary's own
// (a binary built with -ldflags=-s or -w has no DWARF, and then nothing is read).

// goRuntime is where one Go binary's runtime keeps what the sampler reads.
type goRuntime struct {
	allm, epfd                  uint64 // addresses of runtime.allm and runtime.epfd
	mProcid, mAlllink, mLockedg int64  // offsets in runtime.m
	gStatus, gWaitreason        int64  // in runtime.g
	pdFD, pdRG, pdWG            int64  // in runtime.pollDesc
	// runtime._Gwaiting, _Grunnable, _Gpreempted and _Gscan
	gWaiting, gRunnable, gPreempted, gScan uint32
	// pdSelf is the offset of pollDesc.self, a pollDesc's pointer to itself, where the
	// version has it (Go 1.21 on); -1 otherwise.
	pdSelf int64
	// pdFDSeq is the offset of pollDesc.fdseq, which the runtime counts up each time it
	// takes a pollDesc for a descriptor (Go 1.21 on); -1 otherwise.
	pdFDSeq int64
	// tagBits and tagAlignBits are how the runtime packs a tagged pointer (runtime.tagBits,
	// runtime.tagAlignBits), where its DWARF says: a pointer p tagged is
	// p<<(tagBits-tagAlignBits) | tag. tagBits is 0 where the DWARF does not say.
	tagBits, tagAlignBits int64
	// reasons names the wait reasons by value: the runtime's constant's name less
	// "runtime.waitReason" ("Sleep", "IOWait", "SyncMutexLock"…).
	reasons map[uint8]string
}

// goWait is what the sampler read of the goroutine locked to a thread.
type goWait struct {
	// Reason is the wait reason's constant name less "runtime.waitReason"; empty: the
	// thread has no locked goroutine, or it was not waiting.
	Reason string
	// FD is, for an IO wait, the kind of the descriptor the goroutine waits on.
	FD locate.FDKind
	// Runnable says the goroutine waits for nothing but the scheduler: it is runnable
	// (or preempted) and its thread is parked until a P takes it — Go's run queue.
	Runnable bool
}

// maxGoMs bounds the runtime's M list walked to find a thread's M.
const maxGoMs = 4096

// maxDWARF bounds the DWARF entries read from a binary looking for the runtime's, and
// maxDWARFBytes the size of the debug sections it will load.
const (
	maxDWARF      = 50_000_000
	maxDWARFBytes = 512 << 20
)

// errNotGo says a binary has no Go runtime the sampler can read.
var errNotGo = errors.New("no Go runtime DWARF")

// loadGoRuntime reads where the runtime of the Go binary exe keeps what the sampler reads,
// from its DWARF; load is the address the binary's first segment was loaded at (for a
// position-independent binary; 0 otherwise).
func loadGoRuntime(exe *elf.File, load uint64) (*goRuntime, error) {
	if exe.Section(".go.buildinfo") == nil && exe.Section(".gopclntab") == nil {
		return nil, errNotGo
	}
	var size uint64
	for _, sec := range exe.Sections {
		switch {
		case strings.HasPrefix(sec.Name, ".debug_"):
			size += min(sec.Size, maxDWARFBytes+1) // SHF_COMPRESSED: the size uncompressed
		case strings.HasPrefix(sec.Name, ".zdebug_"):
			// An old-style compressed section says the size it inflates to in its
			// header, which debug/elf reads only when it opens the section: read here,
			// not its size in the file, it is what the bound is about.
			var h [12]byte
			if n, _ := sec.ReadAt(h[:], 0); n == len(h) && string(h[:4]) == "ZLIB" {
				size += min(binary.BigEndian.Uint64(h[4:]), maxDWARFBytes+1)
			} else {
				size += min(sec.Size, maxDWARFBytes+1)
			}
		}
		if size > maxDWARFBytes {
			break
		}
	}
	if size > maxDWARFBytes {
		return nil, fmt.Errorf("%w: %d bytes of DWARF, more than the %d read", errNotGo, size, maxDWARFBytes)
	}
	// The runtime's units come early in a Go binary's .debug_info (the 45th to 57th of
	// 363 in the accuracy corpus's, of 836 in strata's): a prefix of it is decompressed
	// and searched first, then a longer one, then all of it.
	for limit := 2 << 20; ; limit *= 4 {
		d, whole, err := runtimeDWARF(exe, limit)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errNotGo, err)
		}
		rt, err := runtimeIn(d, exe, load, size)
		if err == nil || whole {
			return rt, err
		}
	}
}

// runtimeIn reads where the runtime keeps what the sampler reads from d, the DWARF of exe
// (or a prefix of its units; size bytes of DWARF in all), loaded at load.
func runtimeIn(d *dwarf.Data, exe *elf.File, load, size uint64) (*goRuntime, error) {
	var bias uint64
	if exe.Type == elf.ET_DYN {
		for _, p := range exe.Progs {
			if p.Type == elf.PT_LOAD {
				bias = load - p.Vaddr&^(uint64(os.Getpagesize())-1)
				break
			}
		}
	}
	rt := &goRuntime{pdSelf: -1, pdFDSeq: -1, reasons: map[uint8]string{}}
	fields := map[string]map[string]*int64{
		"runtime.m":        {"procid": &rt.mProcid, "alllink": &rt.mAlllink, "lockedg": &rt.mLockedg},
		"runtime.g":        {"atomicstatus": &rt.gStatus, "waitreason": &rt.gWaitreason},
		"runtime.pollDesc": {"fd": &rt.pdFD, "rg": &rt.pdRG, "wg": &rt.pdWG},
	}
	vars := map[string]*uint64{"runtime.allm": &rt.allm, "runtime.epfd": &rt.epfd}
	consts := map[string]*uint32{"runtime._Gwaiting": &rt.gWaiting, "runtime._Grunnable": &rt.gRunnable,
		"runtime._Gpreempted": &rt.gPreempted, "runtime._Gscan": &rt.gScan}
	// Read where the binary has them, not required.
	optional := map[string]*int64{"runtime.pollDesc.self": &rt.pdSelf, "runtime.pollDesc.fdseq": &rt.pdFDSeq, "runtime.tagBits": &rt.tagBits, "runtime.tagAlignBits": &rt.tagAlignBits}
	found, want := 0, len(vars)+len(consts)
	for _, fs := range fields {
		want += len(fs)
	}
	// An entry takes a byte of DWARF at least, but debug/dwarf's Reader gives an end of
	// children (Tag 0) without moving on where a unit ends in an unterminated LEB128
	// number: however many its entries, they are read at most once each byte.
	limit := min(maxDWARF, int(size))
	r := d.Reader()
	for n := 0; n < limit; n++ {
		e, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errNotGo, err)
		}
		if e == nil {
			break
		}
		if e.Tag == dwarf.TagCompileUnit {
			if found == want && len(rt.reasons) > 0 {
				break // past the runtime's unit, with all of it
			}
			if name, _ := e.Val(dwarf.AttrName).(string); name != "runtime" {
				r.SkipChildren()
			}
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch e.Tag {
		case dwarf.TagStructType:
			fs, ok := fields[name]
			if !ok || !e.Children {
				if e.Children {
					r.SkipChildren()
				}
				continue
			}
			for ; n < limit; n++ {
				c, err := r.Next()
				if err != nil || c == nil || c.Tag == 0 {
					break
				}
				n, _ := c.Val(dwarf.AttrName).(string)
				off, ok := c.Val(dwarf.AttrDataMemberLoc).(int64)
				if p, known := fs[n]; known && ok {
					*p = off
					found++
					delete(fs, n)
				} else if p, known := optional[name+"."+n]; known && ok {
					*p = off
				}
				if c.Children {
					r.SkipChildren()
				}
			}
			delete(fields, name)
		case dwarf.TagVariable:
			if p, ok := vars[name]; ok {
				// DW_OP_addr and the address: where a package-level variable lives.
				if loc, ok := e.Val(dwarf.AttrLocation).([]byte); ok && len(loc) == 9 && loc[0] == 0x03 {
					*p = binary.LittleEndian.Uint64(loc[1:]) + bias
					found++
					delete(vars, name)
				}
			}
			if e.Children {
				r.SkipChildren()
			}
		case dwarf.TagConstant:
			v, ok := e.Val(dwarf.AttrConstValue).(int64)
			if !ok {
				continue
			}
			if p, ok := consts[name]; ok {
				*p = uint32(v)
				found++
				delete(consts, name)
			} else if p, ok := optional[name]; ok {
				*p = v
			} else if reason, ok := strings.CutPrefix(name, "runtime.waitReason"); ok && v >= 0 && v < 256 && reason != "" && reason[0] >= 'A' && reason[0] <= 'Z' {
				rt.reasons[uint8(v)] = reason
			}
		default:
			if e.Children {
				r.SkipChildren()
			}
		}
	}
	if found != want || len(rt.reasons) == 0 {
		return nil, fmt.Errorf("%w: the runtime's g, m, pollDesc, allm, epfd or wait reasons not all found", errNotGo)
	}
	if rt.tagBits != 0 && rt.tagAlignBits == 0 {
		// Before runtime.tagAlignBits (Go 1.25), a tagged pointer's low 3 bits, zero
		// in an 8-byte aligned pointer, were what the tag took besides the top ones.
		rt.tagAlignBits = 3
	}
	if rt.tagBits <= rt.tagAlignBits || rt.tagBits >= 64 || rt.tagAlignBits < 0 || rt.tagAlignBits > 16 {
		rt.tagBits, rt.tagAlignBits = 0, 0 // not a packing: the usual ones are tried
	}
	return rt, nil
}

// runtimeDWARF is the part of exe's DWARF the runtime's types, variables and constants
// are read from: its entries, without the line tables, frames and location lists that
// make most of a Go binary's DWARF (exe.DWARF decompresses them all: 0.7 s for a 90 MB
// binary, against 0.1 s).
func runtimeDWARF(exe *elf.File, limit int) (d *dwarf.Data, whole bool, err error) {
	read := func(name string) ([]byte, error) {
		if sec := exe.Section(name); sec != nil {
			return sec.Data() // decompressed (SHF_COMPRESSED)
		}
		return nil, nil
	}
	if exe.Section(".zdebug_info") != nil {
		d, err := exe.DWARF() // compressed the old way (Go before 1.20)
		return d, true, err
	}
	abbrev, err := read(".debug_abbrev")
	if err != nil {
		return nil, false, err
	}
	info, whole, err := unitsPrefix(exe.Section(".debug_info"), limit)
	if err != nil {
		return nil, false, err
	}
	str, err := read(".debug_str")
	if err != nil {
		return nil, false, err
	}
	d, err = dwarf.New(abbrev, nil, nil, info, nil, nil, nil, str)
	if err != nil {
		return nil, false, err
	}
	for _, name := range []string{".debug_addr", ".debug_str_offsets", ".debug_line_str"} {
		b, err := read(name)
		if err != nil {
			return nil, false, err
		}
		if b != nil {
			if err := d.AddSection(name, b); err != nil {
				return nil, false, err
			}
		}
	}
	return d, whole, nil
}

// unitsPrefix is the start of section sec (.debug_info), decompressed, at most limit
// bytes of it cut after its last whole unit, and whether that is all of it.
func unitsPrefix(sec *elf.Section, limit int) ([]byte, bool, error) {
	if sec == nil {
		return nil, true, nil
	}
	b, err := io.ReadAll(io.LimitReader(sec.Open(), int64(limit)+1))
	if err != nil {
		return nil, false, err
	}
	if len(b) <= limit {
		return b, true, nil
	}
	b = b[:limit]
	// Units: a 4-byte length (0xffffffff: 64-bit DWARF, an 8-byte length follows), then
	// that many bytes.
	end := 0
	for end+4 <= len(b) {
		n, hdr := uint64(binary.LittleEndian.Uint32(b[end:])), 4
		if n == 0xffffffff {
			if end+12 > len(b) {
				break
			}
			n, hdr = binary.LittleEndian.Uint64(b[end+4:]), 12
		}
		if n > uint64(len(b)-end-hdr) {
			break
		}
		end += hdr + int(n)
	}
	return b[:end], false, nil
}

// goProc is a Go process the sampler reads the runtime of.
type goProc struct {
	rt  *goRuntime
	exe os.FileInfo // the executable it was read from
	mu  sync.Mutex
	// calls counts waitsAll's calls; known are the Ms (by address) it has met since it
	// last walked the whole M list.
	calls uint64
	known map[uint64]bool
	// notM is when a thread was last looked for in the M list and not found (a thread
	// the runtime did not make, or a list read as it changed): looked for again a second
	// later, not at every sample.
	notM map[int32]time.Time
	// ms caches the runtime's M by thread; pds the pollDesc that event data stands for;
	// ios the pollDesc a goroutine (by address) was last found waiting on.
	ms  map[int32]uint64
	pds map[uint64]uint64
	ios map[uint64]goIO
}

// goIO is a pollDesc, the descriptor and fdseq it had, and the kind of that descriptor.
type goIO struct {
	pd, fd, seq uint64
	kind        locate.FDKind
}

// openGoProc reads the Go runtime of process pid (under proc), or says why it cannot.
func openGoProc(proc string, pid int32) (_ *goProc, err error) {
	defer func() {
		// debug/elf and debug/dwarf read a file the target's owner wrote; a parser's
		// panic on a malformed one is that file's error, not the sampler's end.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: reading the executable: %v", errNotGo, r)
		}
	}()
	base := filepath.Join(proc, strconv.Itoa(int(pid)))
	f, err := os.Open(filepath.Join(base, "exe"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	exe, err := elf.NewFile(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotGo, err)
	}
	defer exe.Close()
	var load uint64
	if exe.Type == elf.ET_DYN {
		if load, err = loadAddress(base, f); err != nil {
			return nil, err
		}
	}
	rt, err := loadGoRuntime(exe, load)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return &goProc{rt: rt, exe: fi, ms: map[int32]uint64{}, pds: map[uint64]uint64{}, ios: map[uint64]goIO{}, notM: map[int32]time.Time{}}, nil
}

// sameExe says whether the process whose /proc directory is base still runs the
// executable its runtime was read from: one that has exec'd another program has another
// layout, and nothing of the one read may be applied to it.
func (p *goProc) sameExe(base string) bool {
	fi, err := os.Stat(filepath.Join(base, "exe"))
	return err == nil && os.SameFile(fi, p.exe)
}

// loadAddress is where the process whose /proc directory is base mapped the start of its
// executable (open as exe): the lowest mapping of exe's inode at file offset 0.
func loadAddress(base string, exe *os.File) (uint64, error) {
	fi, err := exe.Stat()
	if err != nil {
		return 0, err
	}
	ino, ok := inode(fi)
	if !ok {
		return 0, errNotGo
	}
	m, err := os.Open(filepath.Join(base, "maps"))
	if err != nil {
		return 0, err
	}
	defer m.Close()
	sc := bufio.NewScanner(m)
	inoText := strconv.FormatUint(ino, 10)
	for sc.Scan() {
		// start-end perms offset dev inode path
		f := strings.Fields(sc.Text())
		if len(f) < 5 || f[4] != inoText || strings.Trim(f[2], "0") != "" {
			continue
		}
		start, _, _ := strings.Cut(f[0], "-")
		return strconv.ParseUint(start, 16, 64)
	}
	return 0, fmt.Errorf("%w: executable not found in maps", errNotGo)
}

// memReader reads a process's memory (its /proc/PID/mem, open as f).
type memReader struct {
	f   io.ReaderAt
	buf [16]byte
}

// read reads n bytes at addr; false where they cannot all be read (unmapped, or the
// process gone).
func (m *memReader) read(addr uint64, n int) ([]byte, bool) {
	if addr > 1<<62 {
		return nil, false
	}
	if got, err := m.f.ReadAt(m.buf[:n], int64(addr)); got != n || (err != nil && err != io.EOF) {
		return nil, false
	}
	return m.buf[:n], true
}

func (m *memReader) u64(addr uint64) (uint64, bool) {
	b, ok := m.read(addr, 8)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

func (m *memReader) u32(addr uint64) (uint32, bool) {
	b, ok := m.read(addr, 4)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b), true
}

func (m *memReader) u8(addr uint64) (uint8, bool) {
	b, ok := m.read(addr, 1)
	if !ok {
		return 0, false
	}
	return b[0], true
}

// wait reads what the goroutine locked to thread tid waits for; reg is what the
// runtime's epoll set watches, read only for an IO wait (see [Sampler.parseEpoll]).
func (p *goProc) wait(mem *memReader, tid int32, reg func(epfd int64) map[uint64]watched) goWait {
	p.mu.Lock()
	defer p.mu.Unlock()
	rt := p.rt
	m, ok := p.ms[tid]
	if ok {
		if id, ok := mem.u64(m + uint64(rt.mProcid)); !ok || id != uint64(tid) {
			delete(p.ms, tid) // an M that exited and was freed
			m = 0
		}
	}
	if p.notM == nil {
		p.notM = map[int32]time.Time{}
	}
	if t, ok := p.notM[tid]; m == 0 && ok && time.Since(t) < time.Second {
		return goWait{}
	}
	if m == 0 {
		// The M list, walked to tid's M: at most maxGoMs of it, whatever it holds (a
		// list read while it changes, or not a list at all, may be a cycle).
		next, _ := mem.u64(rt.allm)
		for n := 0; next != 0 && n < maxGoMs; n++ {
			id, ok := mem.u64(next + uint64(rt.mProcid))
			if !ok {
				return goWait{}
			}
			if len(p.ms) < maxGoMs && id == uint64(int32(id)) {
				p.ms[int32(id)] = next
			}
			if id == uint64(tid) {
				m = next
				break
			}
			if next, ok = mem.u64(next + uint64(rt.mAlllink)); !ok {
				return goWait{}
			}
		}
		if m == 0 {
			if len(p.notM) >= maxGoMs {
				clear(p.notM)
			}
			p.notM[tid] = time.Now()
			return goWait{} // not an M of the list walked
		}
		delete(p.notM, tid)
	}
	g, ok := mem.u64(m + uint64(rt.mLockedg))
	if !ok || g == 0 {
		return goWait{} // no goroutine locked to the thread: an idle M
	}
	status, ok := mem.u32(g + uint64(rt.gStatus))
	switch status &^= rt.gScan; {
	case !ok:
		return goWait{}
	case status == rt.gRunnable || status == rt.gPreempted:
		return goWait{Runnable: true}
	case status != rt.gWaiting:
		return goWait{}
	}
	v, ok := mem.u8(g + uint64(rt.gWaitreason))
	if !ok {
		return goWait{}
	}
	return p.waitOf(mem, g, v, reg)
}

// waitOf is the wait of goroutine g, waiting with reason v: for an IO wait, with the kind
// of the descriptor it waits on. p.mu is held.
func (p *goProc) waitOf(mem *memReader, g uint64, v uint8, reg func(epfd int64) map[uint64]watched) goWait {
	rt := p.rt
	w := goWait{Reason: p.rt.reasons[v]}
	if w.Reason != "IOWait" || reg == nil {
		return w // not an IO wait, or its descriptor not asked for
	}
	waits := func(pd uint64) bool {
		rg, ok1 := mem.u64(pd + uint64(rt.pdRG))
		wg, ok2 := mem.u64(pd + uint64(rt.pdWG))
		return (ok1 && rg == g) || (ok2 && wg == g)
	}
	// The pollDesc the goroutine waited on at an earlier sample, if it is still the one
	// it had then: a freed pollDesc is the first the runtime takes again, and a freed
	// descriptor's number the first the kernel gives again, so neither says it; its
	// fdseq, which the runtime counts up each time it frees it, does (without it, as
	// before Go 1.21, nothing is remembered).
	held := func(pd uint64) (fd, seq uint64, ok bool) {
		if rt.pdFDSeq < 0 {
			return 0, 0, false
		}
		fd, ok1 := mem.u64(pd + uint64(rt.pdFD))
		seq, ok2 := mem.u64(pd + uint64(rt.pdFDSeq))
		return fd, seq, ok1 && ok2
	}
	if c, ok := p.ios[g]; ok {
		if fd, seq, ok := held(c.pd); ok && fd == c.fd && seq == c.seq && waits(c.pd) {
			w.FD = c.kind // the same wait as at an earlier sample
			return w
		}
	}
	epfd, ok := mem.u32(rt.epfd)
	if !ok {
		return w
	}
	for data, fd := range reg(int64(int32(epfd))) {
		if fd.kind == locate.FDEvent {
			continue
		}
		if pd := p.pollDesc(mem, data, fd.fd); pd != 0 && waits(pd) {
			w.FD = fd.kind
			if fdn, seq, ok := held(pd); ok {
				if len(p.ios) >= maxGoMs {
					clear(p.ios)
				}
				p.ios[g] = goIO{pd: pd, fd: fdn, seq: seq, kind: fd.kind}
			}
			break
		}
	}
	return w
}

// pollDesc is the address of the pollDesc that epoll event data stands for, for
// descriptor fd. The runtime keys a descriptor by a pointer to its pollDesc, tagged (a
// sequence number in the bits a pointer does not use): unpacked as the binary's own
// runtime.tagBits and runtime.tagAlignBits say where its DWARF has them, then as each
// packing Go has used — an untagged pointer (before Go 1.21), a pointer shifted left by
// 16 or 15 with the tag in the low bits, 8- or 512-byte aligned. The one read as a
// pollDesc that holds fd (and points to itself, where pollDesc has its self) is it.
func (p *goProc) pollDesc(mem *memReader, data uint64, fd int64) uint64 {
	if pd, ok := p.pds[data]; ok {
		return pd
	}
	rt := p.rt
	is := func(pd uint64) bool {
		if pd == 0 || pd&7 != 0 {
			return false
		}
		if v, ok := mem.u64(pd + uint64(rt.pdFD)); !ok || v != uint64(fd) {
			return false
		}
		if rt.pdSelf >= 0 {
			self, ok := mem.u64(pd + uint64(rt.pdSelf))
			return ok && self == pd
		}
		return true
	}
	var found uint64
	if rt.tagBits != 0 {
		// As runtime's taggedPointer.pointer does (on amd64, sign-extended).
		if pd := uint64(int64(data) >> rt.tagBits << rt.tagAlignBits); is(pd) {
			found = pd
		}
	}
	for _, shift := range []uint{0, 15, 16} {
		for _, align := range []uint64{8, 512} {
			if found != 0 {
				break
			}
			if pd := (data >> shift) &^ (align - 1); is(pd) {
				found = pd
			}
		}
	}
	if len(p.pds) >= maxFDKinds {
		clear(p.pds)
	}
	p.pds[data] = found
	return found
}

// goCause is the cause of a wait the goroutine locked to the thread is in, and what to
// call it; "" where the wait reason says nothing about a cause.
func goCause(w goWait) (locate.Cause, string) {
	switch w.Reason {
	case "Sleep":
		return locate.CauseSleep, "sleep"
	case "IOWait":
		switch w.FD {
		case locate.FDSocket:
			return locate.CauseNetwork, "IO wait on a socket"
		case locate.FDPipe:
			return locate.CausePipe, "IO wait on a pipe"
		}
		return locate.CauseIO, "IO wait"
	case "SyncMutexLock", "SyncRWMutexLock", "SyncRWMutexRLock", "SyncCondWait", "SyncWaitGroupWait", "Semacquire",
		"ChanReceive", "ChanSend", "Select", "ChanReceiveNilChan", "ChanSendNilChan", "SelectNoCases":
		return locate.CauseLock, reasonWords(w.Reason)
	}
	return "", ""
}

// reasonWords writes a wait reason's constant name as words: "SyncMutexLock" is "sync
// mutex lock". Each is made once (a watcher keeps one per reading).
func reasonWords(r string) string {
	if w, ok := reasonWordsMade.Load(r); ok {
		return w.(string)
	}
	w := makeReasonWords(r)
	reasonWordsMade.Store(r, w)
	return w
}

// reasonWordsMade holds the words of the wait reasons met (a runtime has some fifty).
var reasonWordsMade sync.Map

func makeReasonWords(r string) string {
	var b bytes.Buffer
	for i, c := range r {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte(' ')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// vmReq is one read of another process's memory (see vmRead).
type vmReq struct {
	addr uint64
	buf  []byte
}

// waitsAll reads the waits of the goroutines locked to all the threads of process pid
// that are Ms of its runtime, in two process_vm_readv calls (the Ms' ids and locked
// goroutines, then those goroutines' status and wait reason), walking the runtime's M
// list again every walkEvery calls or when an M is no longer the thread it was: what a
// watcher reads every few milliseconds costs a few system calls, not a few per thread.
func (p *goProc) waitsAll(pid int, mem *memReader, reg func(epfd int64) map[uint64]watched) map[int32]goWait {
	p.mu.Lock()
	defer p.mu.Unlock()
	rt := p.rt
	if p.known == nil {
		p.known = map[uint64]bool{}
	}
	if p.calls++; p.calls%walkEvery == 0 {
		clear(p.ms) // walked whole again: Ms that exited go
		clear(p.known)
	}
	// The runtime pushes a new M on the front of allm: the list is walked until an M
	// already known (a service that locks a thread per request makes and ends threads
	// all the time).
	next, _ := mem.u64(rt.allm)
	for n := 0; next != 0 && !p.known[next] && n < maxGoMs; n++ {
		id, ok := mem.u64(next + uint64(rt.mProcid))
		if !ok {
			break
		}
		if len(p.known) < maxGoMs {
			p.known[next] = true
		}
		if id == uint64(int32(id)) && len(p.ms) < maxGoMs {
			p.ms[int32(id)] = next
		}
		if next, ok = mem.u64(next + uint64(rt.mAlllink)); !ok {
			break
		}
	}
	tids := make([]int32, 0, len(p.ms))
	reqs := make([]vmReq, 0, 2*len(p.ms))
	for tid, m := range p.ms {
		tids = append(tids, tid)
		reqs = append(reqs, vmReq{m + uint64(rt.mProcid), make([]byte, 8)}, vmReq{m + uint64(rt.mLockedg), make([]byte, 8)})
	}
	read := vmRead(pid, reqs)
	type locked struct {
		tid int32
		g   uint64
	}
	var gs []locked
	for i, tid := range tids {
		if 2*i+1 >= read {
			break
		}
		if binary.LittleEndian.Uint64(reqs[2*i].buf) != uint64(tid) {
			// An M that exited (freed, or reused for another thread: then it is met
			// again at the next whole walk).
			delete(p.ms, tid)
			continue
		}
		if g := binary.LittleEndian.Uint64(reqs[2*i+1].buf); g != 0 {
			gs = append(gs, locked{tid, g})
		}
	}
	reqs = reqs[:0]
	for _, l := range gs {
		reqs = append(reqs, vmReq{l.g + uint64(rt.gStatus), make([]byte, 4)}, vmReq{l.g + uint64(rt.gWaitreason), make([]byte, 1)})
	}
	read = vmRead(pid, reqs)
	out := map[int32]goWait{}
	for i, l := range gs {
		if 2*i+1 >= read {
			break
		}
		switch status := binary.LittleEndian.Uint32(reqs[2*i].buf) &^ rt.gScan; {
		case status == rt.gRunnable || status == rt.gPreempted:
			out[l.tid] = goWait{Runnable: true}
		case status == rt.gWaiting:
			out[l.tid] = p.waitOf(mem, l.g, reqs[2*i+1].buf[0], reg)
		}
	}
	return out
}

// walkEvery is how many calls of waitsAll walk only the new front of the M list before
// one walks all of it again (Ms freed or reused).
const walkEvery = 16
