package procfs

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/locate"
)

// TestSampleGoWaitsToolchains is TestSampleGoWaits with testdata/gowaits built by each Go
// toolchain other than the go command's own that the module cache holds (a toolchain that
// GOTOOLCHAIN=goX.Y.Z once fetched): their runtimes' layouts and tagged pointers differ,
// and what the sampler reads of them must not. It fetches none.
func TestSampleGoWaitsToolchains(t *testing.T) {
	out, err := exec.Command("go", "env", "GOMODCACHE", "GOVERSION").Output()
	if err != nil {
		t.Skipf("go env: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		t.Skipf("go env: %q", out)
	}
	dirs, _ := filepath.Glob(filepath.Join(f[0], "golang.org", "toolchain@v0.0.1-go*."+runtime.GOOS+"-"+runtime.GOARCH))
	var tcs []string
	for _, d := range dirs {
		v := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(d), "toolchain@v0.0.1-"), "."+runtime.GOOS+"-"+runtime.GOARCH)
		if _, err := os.Stat(filepath.Join(d, "bin", "go")); err == nil && v != f[1] {
			tcs = append(tcs, v)
		}
	}
	if len(tcs) == 0 {
		t.Skipf("no Go toolchain but %s in the module cache %s (GOTOOLCHAIN=go1.27.3 go version fetches one)", f[1], f[0])
	}
	for _, tc := range tcs {
		t.Run(tc, func(t *testing.T) { sampleGoWaits(t, tc) })
	}
}

// TestGoProcWaitExited: the memory of a Go process that has exited, open before it did,
// reads as nothing (the kernel's answer, not a fake's).
func TestGoProcWaitExited(t *testing.T) {
	cmd, in, out := startGoWaits(t)
	var name string
	var tid int32
	for name != "sleep" {
		if _, err := fmt.Fscan(out, &name, &tid); err != nil {
			t.Fatal(err)
		}
	}
	g, err := openGoProc("/proc", int32(cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem := &memReader{f: f}
	// The goroutine may still be on its way to its sleep when it has printed.
	var w goWait
	for deadline := time.Now().Add(20 * time.Second); w.Reason != "Sleep" && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		w = g.wait(mem, tid, nil)
	}
	if w.Reason != "Sleep" {
		t.Fatalf("alive: read %+v, want a sleep", w)
	}
	in.Close()
	cmd.Wait()
	if w := g.wait(mem, tid, nil); w != (goWait{}) {
		t.Errorf("exited: read %+v", w)
	}
	g.ms = map[int32]uint64{} // and walking the M list anew
	if w := g.wait(mem, tid, nil); w != (goWait{}) {
		t.Errorf("exited, walking allm: read %+v", w)
	}
}

// fakeMem is a process's memory for goProc.wait: bytes by address, unmapped where absent.
// After reads reads it fails each read, as a process gone does (left < 0: never).
type fakeMem struct {
	b     map[uint64]byte
	left  int
	reads int
}

func (m *fakeMem) ReadAt(p []byte, off int64) (int, error) {
	m.reads++
	if m.left == 0 {
		return 0, syscall.ESRCH
	}
	m.left--
	for i := range p {
		c, ok := m.b[uint64(off)+uint64(i)]
		if !ok {
			return i, syscall.EIO
		}
		p[i] = c
	}
	return len(p), nil
}

func (m *fakeMem) put(addr uint64, v uint64, n int) {
	for i := 0; i < n; i++ {
		m.b[addr+uint64(i)] = byte(v >> (8 * i))
	}
}

// fakeRuntime is the layout goProc.wait reads in a fakeMem.
func fakeRuntime() *goRuntime {
	return &goRuntime{
		allm: 0x1000, epfd: 0x1008,
		mProcid: 8, mAlllink: 16, mLockedg: 24,
		gStatus: 8, gWaitreason: 12,
		pdFD: 8, pdRG: 16, pdWG: 24, pdSelf: 32, pdFDSeq: -1,
		gWaiting: 4, gRunnable: 1, gPreempted: 9, gScan: 0x1000,
		reasons: map[uint8]string{1: "Sleep", 2: "IOWait", 3: "SyncMutexLock"},
	}
}

// fakeProc lays out Ms (thread id, and the address of the goroutine locked to it or 0)
// linked from allm in that order, each goroutine waiting with reason 1 (Sleep) unless
// set otherwise; next says where the last M links to (0: nowhere).
type fakeProc struct {
	rt  *goRuntime
	mem *fakeMem
}

const fakeEpfd = 9

func newFakeProc(ms [][2]uint64, next uint64) *fakeProc {
	p := &fakeProc{rt: fakeRuntime(), mem: &fakeMem{b: map[uint64]byte{}, left: -1}}
	p.mem.put(p.rt.epfd, fakeEpfd, 4)
	addr := uint64(0x10000)
	first := uint64(0)
	var prev uint64
	for _, m := range ms {
		p.mem.put(addr, 0, 64)
		p.mem.put(addr+8, m[0], 8)
		p.mem.put(addr+24, m[1], 8)
		if m[1] != 0 {
			p.setG(m[1], 4, 1)
		}
		if prev != 0 {
			p.mem.put(prev+16, addr, 8)
		} else {
			first = addr
		}
		prev = addr
		addr += 0x100
	}
	if prev != 0 {
		p.mem.put(prev+16, next, 8)
	}
	p.mem.put(p.rt.allm, first, 8)
	return p
}

func (p *fakeProc) setG(g uint64, status uint32, reason uint8) {
	p.mem.put(g, 0, 16)
	p.mem.put(g+8, uint64(status), 4)
	p.mem.put(g+12, uint64(reason), 1)
}

func (p *fakeProc) wait(tid int32, reg map[uint64]watched) goWait {
	gp := &goProc{rt: p.rt, ms: map[int32]uint64{}, pds: map[uint64]uint64{}, ios: map[uint64]goIO{}}
	return gp.wait(&memReader{f: p.mem}, tid, func(epfd int64) map[uint64]watched {
		if epfd != fakeEpfd {
			return nil
		}
		return reg
	})
}

// TestGoProcWaitMs: what goProc.wait reads where the runtime's M list or the thread's M is
// not what a well-behaved program has — nothing, never another thread's wait.
func TestGoProcWaitMs(t *testing.T) {
	const g1, g2 = 0x20000, 0x21000
	for _, c := range []struct {
		name string
		p    *fakeProc
		tid  int32
		want goWait
	}{
		{"locked, sleeping", newFakeProc([][2]uint64{{100, 0}, {101, g1}}, 0), 101, goWait{Reason: "Sleep"}},
		{"an idle M", newFakeProc([][2]uint64{{100, 0}, {101, g1}}, 0), 100, goWait{}},
		{"not an M", newFakeProc([][2]uint64{{100, 0}, {101, g1}}, 0), 102, goWait{}},
		// The walk gives up at maxGoMs: what it stopped at is not tid's M.
		{"a cycle without it", newFakeProc([][2]uint64{{100, g1}, {101, g2}}, 0x10000), 102, goWait{}},
		{"a cycle with it", newFakeProc([][2]uint64{{100, g1}, {101, g2}}, 0x10000), 101, goWait{Reason: "Sleep"}},
		{"a self loop", newFakeProc([][2]uint64{{100, g1}}, 0x10000), 102, goWait{}},
		{"a link to nowhere", newFakeProc([][2]uint64{{100, g1}}, 0xdead0000), 102, goWait{}},
		{"a link past the address space", newFakeProc([][2]uint64{{100, g1}}, 1<<63), 102, goWait{}},
		{"no Ms", newFakeProc(nil, 0), 100, goWait{}},
		{"a locked goroutine unmapped", newFakeProc([][2]uint64{{100, 0xbad000}}, 0), 100, goWait{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "a locked goroutine unmapped" {
				for a := uint64(0xbad000); a < 0xbad000+16; a++ {
					delete(c.p.mem.b, a)
				}
			}
			if got := c.p.wait(c.tid, nil); got != c.want {
				t.Errorf("read %+v, want %+v", got, c.want)
			}
			if c.p.mem.reads > 4*maxGoMs+16 {
				t.Errorf("%d reads: the walk is not bounded", c.p.mem.reads)
			}
		})
	}
	// A goroutine whose status is not waiting (running, runnable, in a syscall) or
	// whose reason is not a known one has no reason.
	for _, c := range []struct {
		status uint32
		reason uint8
		want   string
	}{{4, 3, "SyncMutexLock"}, {0x1004, 3, "SyncMutexLock"}, {2, 3, ""}, {1, 3, ""}, {3, 3, ""}, {0x1002, 3, ""}, {4, 200, ""}} {
		p := newFakeProc([][2]uint64{{100, g1}}, 0)
		p.setG(g1, c.status, c.reason)
		if got := p.wait(100, nil); got.Reason != c.want {
			t.Errorf("status %#x reason %d: read %q, want %q", c.status, c.reason, got.Reason, c.want)
		}
	}
}

// TestGoProcWaitCachedM: an M the sampler found for a thread that has since exited and
// whose memory another thread's M took is not that thread's.
func TestGoProcWaitCachedM(t *testing.T) {
	const g1 = 0x20000
	p := newFakeProc([][2]uint64{{100, 0}, {101, g1}}, 0)
	gp := &goProc{rt: p.rt, ms: map[int32]uint64{}, pds: map[uint64]uint64{}, ios: map[uint64]goIO{}}
	mem := &memReader{f: p.mem}
	if got := gp.wait(mem, 101, nil); got.Reason != "Sleep" {
		t.Fatalf("read %+v", got)
	}
	p.mem.put(0x10100+8, 102, 8) // M 101's memory is now thread 102's
	if got := gp.wait(mem, 101, nil); got != (goWait{}) {
		t.Errorf("thread 101 gone: read %+v", got)
	}
	if got := gp.wait(mem, 102, nil); got.Reason != "Sleep" {
		t.Errorf("thread 102: read %+v", got)
	}
}

// TestGoProcWaitGone: a process that exits at any read of a wait gives what was read
// before (nothing, or the reason without its descriptor), never a wrong answer.
func TestGoProcWaitGone(t *testing.T) {
	const g1, pd = 0x20000, 0x40000
	p := newFakeProc([][2]uint64{{100, 0}, {101, g1}}, 0)
	p.setG(g1, 4, 2)
	p.mem.put(pd, 0, 64)
	p.mem.put(pd+8, 7, 8)
	p.mem.put(pd+16, g1, 8)
	p.mem.put(pd+32, pd, 8)
	reg := map[uint64]watched{pd: {fd: 7, kind: locate.FDPipe}}
	full := p.wait(101, reg)
	if full != (goWait{Reason: "IOWait", FD: locate.FDPipe}) {
		t.Fatalf("read %+v", full)
	}
	for n := 0; n <= p.mem.reads; n++ {
		p.mem.left, p.mem.reads = n, 0
		got := p.wait(101, reg)
		if got != full && got != (goWait{Reason: full.Reason}) && got != (goWait{}) {
			t.Errorf("gone after %d reads: read %+v", n, got)
		}
	}
}

// TestGoProcWaitPollDesc: the descriptor an IO wait waits on, from epoll event data
// packed as Go has packed it (the runtime's netpoll_epoll.go and tagptr_64bit.go: an
// untagged pointer before tagged pointers; then the pointer shifted left by 64 - addrBits,
// addrBits 48 or 49, with tagAlignBits 3 or 9 of its low bits, zero, taken by the tag
// too), with or without the binary's tagBits and tagAlignBits read, beside decoys whose fd
// is the same but which are no pollDesc.
func TestGoProcWaitPollDesc(t *testing.T) {
	const g1 = 0x20000
	const pd = 0x7f12_3456_0000 // 512-byte aligned, as Go 1.25 on allocates them
	for _, c := range []struct {
		name                  string
		data                  uint64
		tagBits, tagAlignBits int64 // as the DWARF says; 0: not there
		self                  bool
	}{
		{"untagged", pd, 0, 0, false},
		{"48-bit, 3 aligned", pd<<16 | 0x5_4321, 19, 0, true},
		{"48-bit, 3 aligned, not in DWARF", pd<<16 | 0x5_4321, 0, 0, true},
		{"49-bit, 3 aligned", pd<<15 | 0x2_4321, 18, 0, true},
		{"48-bit, 9 aligned", pd<<16 | 0x1ab_4321, 25, 9, true},
		{"48-bit, 9 aligned, not in DWARF", pd<<16 | 0x1ab_4321, 0, 0, true},
		{"49-bit, 9 aligned (Go 1.26, 1.27)", pd<<15 | 0xab_4321, 24, 9, true},
		{"49-bit, 9 aligned, not in DWARF", pd<<15 | 0xab_4321, 0, 0, true},
		{"49-bit, 9 aligned, without self", pd<<15 | 0xab_4321, 24, 9, false},
		{"a packing of the binary's own", pd<<10 | 0x3ff, 10, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newFakeProc([][2]uint64{{101, g1}}, 0)
			p.setG(g1, 4, 2)
			p.rt.tagBits, p.rt.tagAlignBits = c.tagBits, c.tagAlignBits
			if !c.self {
				p.rt.pdSelf = -1
			}
			p.mem.put(pd, 0, 64)
			p.mem.put(pd+8, 7, 8)
			p.mem.put(pd+24, g1, 8) // wg: waiting to write
			p.mem.put(pd+32, pd, 8)
			// Where the other packings would have the pollDesc, a decoy with the same fd,
			// not pointing to itself: taken for the pollDesc, the goroutine is not seen.
			for _, shift := range []uint{0, 15, 16} {
				for _, align := range []uint64{8, 512} {
					if d := (c.data >> shift) &^ (align - 1); d != pd && d < 1<<62 && c.self {
						p.mem.put(d, 0, 64)
						p.mem.put(d+8, 7, 8)
					}
				}
			}
			reg := map[uint64]watched{c.data: {fd: 7, kind: locate.FDSocket}, 0x1234: {fd: 3, kind: locate.FDEvent}}
			if got := p.wait(101, reg); got != (goWait{Reason: "IOWait", FD: locate.FDSocket}) {
				t.Errorf("read %+v, want an IO wait on a socket", got)
			}
			// A pollDesc that holds another descriptor is not that one's.
			reg = map[uint64]watched{c.data: {fd: 8, kind: locate.FDPipe}}
			if got := p.wait(101, reg); got != (goWait{Reason: "IOWait"}) {
				t.Errorf("fd 8: read %+v, want an IO wait on no known descriptor", got)
			}
		})
	}
}

// TestGoProcWaitPollDescReused: a goroutine that closed the descriptor it waited on and
// waits on a new one of another kind, whose pollDesc the runtime took back from its free
// list (the one just freed, first) and whose number is the one just closed (the lowest
// free), waits on the new one's kind, not what was read of the old.
func TestGoProcWaitPollDescReused(t *testing.T) {
	const g1, pd = 0x20000, 0x7f12_3456_0000
	p := newFakeProc([][2]uint64{{101, g1}}, 0)
	p.rt.pdFDSeq, p.rt.tagBits, p.rt.tagAlignBits = 40, 24, 9
	p.setG(g1, 4, 2)
	gp := &goProc{rt: p.rt, ms: map[int32]uint64{}, pds: map[uint64]uint64{}, ios: map[uint64]goIO{}}
	mem := &memReader{f: p.mem}
	p.mem.put(pd, 0, 64)
	p.mem.put(pd+8, 7, 8)
	p.mem.put(pd+16, g1, 8)
	p.mem.put(pd+32, pd, 8)
	for seq, kind := range []locate.FDKind{locate.FDPipe, locate.FDSocket, locate.FDPipe} {
		p.mem.put(pd+40, uint64(seq+1), 8)
		data := pd<<15 | uint64(seq+1)
		reg := func(epfd int64) map[uint64]watched { return map[uint64]watched{data: {fd: 7, kind: kind}} }
		for range 2 {
			if got := gp.wait(mem, 101, reg); got != (goWait{Reason: "IOWait", FD: kind}) {
				t.Errorf("descriptor %d, a %v: read %+v", seq, kind, got)
			}
		}
	}
}

// dwarfBuf writes DWARF 4 as fakeGoELF lays it out.
type dwarfBuf struct{ bytes.Buffer }

func (b *dwarfBuf) uleb(v uint64) {
	for {
		c := byte(v & 0x7f)
		if v >>= 7; v != 0 {
			c |= 0x80
		}
		b.WriteByte(c)
		if c&0x80 == 0 {
			return
		}
	}
}

func (b *dwarfBuf) sleb(v int64) {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			b.WriteByte(c)
			return
		}
		b.WriteByte(c | 0x80)
	}
}

func (b *dwarfBuf) str(s string) { b.WriteString(s); b.WriteByte(0) }

// Abbreviation codes of fakeDWARFAbbrev.
const (
	abCU = 1 + iota
	abStruct
	abMember
	abVariable
	abConstant
)

// fakeDWARFAbbrev: a compile unit (name; children), a struct (name; children), a member
// (name, offset), a variable (name, location) and a constant (name, value).
func fakeDWARFAbbrev() []byte {
	var b dwarfBuf
	for _, a := range []struct {
		code, tag uint64
		children  byte
		attrs     [][2]uint64
	}{
		{abCU, 0x11, 1, [][2]uint64{{0x03, 0x08}}},
		{abStruct, 0x13, 1, [][2]uint64{{0x03, 0x08}}},
		{abMember, 0x0d, 0, [][2]uint64{{0x03, 0x08}, {0x38, 0x0f}}},   // data_member_location udata
		{abVariable, 0x34, 0, [][2]uint64{{0x03, 0x08}, {0x02, 0x18}}}, // location exprloc
		{abConstant, 0x27, 0, [][2]uint64{{0x03, 0x08}, {0x1c, 0x0d}}}, // const_value sdata
	} {
		b.uleb(a.code)
		b.uleb(a.tag)
		b.WriteByte(a.children)
		for _, at := range a.attrs {
			b.uleb(at[0])
			b.uleb(at[1])
		}
		b.WriteString("\x00\x00")
	}
	b.WriteByte(0)
	return b.Bytes()
}

// fakeGoDWARF is the .debug_info of a Go binary whose runtime is rt, as loadGoRuntime
// reads it (less what leave names: a member "runtime.m.procid", a variable or a constant;
// a member named "twice:runtime.m.procid" is there twice), after a compile unit "main"
// with a decoy runtime.m.
func fakeGoDWARF(rt *goRuntime, leave string) []byte {
	left := func(name string) bool { return slices.Contains(strings.Fields(leave), name) }
	var info dwarfBuf
	unit := func(name string, body func(b *dwarfBuf)) {
		var b dwarfBuf
		b.uleb(abCU)
		b.str(name)
		body(&b)
		b.WriteByte(0)
		binary.Write(&info, binary.LittleEndian, uint32(2+4+1+b.Len()))
		binary.Write(&info, binary.LittleEndian, uint16(4))
		binary.Write(&info, binary.LittleEndian, uint32(0))
		info.WriteByte(8)
		info.Write(b.Bytes())
	}
	structs := []struct {
		name    string
		members map[string]int64
	}{
		{"runtime.m", map[string]int64{"procid": rt.mProcid, "alllink": rt.mAlllink, "lockedg": rt.mLockedg, "curg": 200}},
		{"runtime.g", map[string]int64{"atomicstatus": rt.gStatus, "waitreason": rt.gWaitreason}},
		{"runtime.pollDesc", map[string]int64{"fd": rt.pdFD, "fdseq": rt.pdFDSeq, "rg": rt.pdRG, "wg": rt.pdWG, "self": rt.pdSelf}},
	}
	unit("main", func(b *dwarfBuf) {
		b.uleb(abStruct)
		b.str("runtime.m")
		b.uleb(abMember)
		b.str("procid")
		b.uleb(4000)
		b.WriteByte(0)
	})
	unit("runtime", func(b *dwarfBuf) {
		for _, s := range structs {
			b.uleb(abStruct)
			b.str(s.name)
			for _, n := range []string{"link", "procid", "alllink", "lockedg", "curg", "atomicstatus", "waitreason", "fd", "fdseq", "rg", "wg", "self"} {
				off, ok := s.members[n]
				if !ok || off < 0 || left(s.name+"."+n) {
					continue
				}
				for range 1 + strings.Count(leave, "twice:"+s.name+"."+n) {
					b.uleb(abMember)
					b.str(n)
					b.uleb(uint64(off))
				}
			}
			b.WriteByte(0)
		}
		for _, v := range []struct {
			name string
			addr uint64
		}{{"runtime.allm", rt.allm}, {"runtime.epfd", rt.epfd}} {
			if left(v.name) {
				continue
			}
			b.uleb(abVariable)
			b.str(v.name)
			b.uleb(9)
			b.WriteByte(0x03) // DW_OP_addr
			binary.Write(b, binary.LittleEndian, v.addr)
		}
		consts := map[string]int64{"runtime._Gwaiting": int64(rt.gWaiting), "runtime._Grunnable": int64(rt.gRunnable), "runtime._Gpreempted": int64(rt.gPreempted),
			"runtime._Gscan": int64(rt.gScan), "runtime.tagBits": rt.tagBits, "runtime.tagAlignBits": rt.tagAlignBits}
		for v, r := range rt.reasons {
			consts["runtime.waitReason"+r] = int64(v)
		}
		consts["runtime.waitReasonStrings"] = 400
		for _, n := range []string{"runtime._Gwaiting", "runtime._Grunnable", "runtime._Gpreempted", "runtime._Gscan", "runtime.tagBits", "runtime.tagAlignBits"} {
			if v := consts[n]; v == 0 || left(n) {
				delete(consts, n)
			}
		}
		for n, v := range consts {
			b.uleb(abConstant)
			b.str(n)
			b.sleb(v)
		}
	})
	return info.Bytes()
}

// fakeELF is a 64-bit little-endian ELF executable of the sections named, in that order,
// after the null section and the section names.
func fakeELF(secs ...struct {
	name string
	data []byte
}) []byte {
	var names dwarfBuf
	names.WriteByte(0)
	names.str(".shstrtab")
	nameAt := []uint32{1}
	for _, s := range secs {
		nameAt = append(nameAt, uint32(names.Len()))
		names.str(s.name)
	}
	var body bytes.Buffer
	const hdr = 64
	offs := []uint64{hdr}
	body.Write(names.Bytes())
	for _, s := range secs {
		offs = append(offs, uint64(hdr+body.Len()))
		body.Write(s.data)
	}
	for body.Len()%8 != 0 {
		body.WriteByte(0)
	}
	shoff := uint64(hdr + body.Len())
	var out bytes.Buffer
	h := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Shoff: shoff, Ehsize: hdr, Shentsize: 64, Shnum: uint16(2 + len(secs)), Shstrndx: 1,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	binary.Write(&out, binary.LittleEndian, h)
	out.Write(body.Bytes())
	binary.Write(&out, binary.LittleEndian, elf.Section64{})
	binary.Write(&out, binary.LittleEndian, elf.Section64{Name: 1, Type: uint32(elf.SHT_STRTAB), Off: offs[0], Size: uint64(names.Len()), Addralign: 1})
	for i, s := range secs {
		binary.Write(&out, binary.LittleEndian, elf.Section64{Name: nameAt[i+1], Type: uint32(elf.SHT_PROGBITS), Off: offs[i+1], Size: uint64(len(s.data)), Addralign: 1})
	}
	return out.Bytes()
}

type elfSection = struct {
	name string
	data []byte
}

// fakeGoELF is a Go binary's ELF file as loadGoRuntime reads it: a .gopclntab, and the
// DWARF of runtime rt (less leave).
func fakeGoELF(rt *goRuntime, leave string) []byte {
	return fakeELF(elfSection{".gopclntab", []byte("\xf1\xff\xff\xff\x00\x00\x01\x08")}, elfSection{".debug_abbrev", fakeDWARFAbbrev()}, elfSection{".debug_info", fakeGoDWARF(rt, leave)})
}

func loadFakeGoELF(b []byte) (*goRuntime, error) {
	exe, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return loadGoRuntime(exe, 0)
}

// TestLoadGoRuntime: loadGoRuntime reads back a runtime written as the Go linker writes
// its DWARF, and refuses one any part of which is missing.
func TestLoadGoRuntime(t *testing.T) {
	rt := fakeRuntime()
	rt.pdSelf, rt.pdFDSeq, rt.tagBits, rt.tagAlignBits = 288, 16, 24, 9
	got, err := loadFakeGoELF(fakeGoELF(rt, ""))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rt) {
		t.Errorf("read %+v\nwant %+v", got, rt)
	}
	for _, leave := range []string{"runtime.m.procid", "runtime.m.alllink", "runtime.m.lockedg", "runtime.g.atomicstatus", "runtime.g.waitreason", "runtime.pollDesc.fd", "runtime.pollDesc.rg", "runtime.pollDesc.wg", "runtime.allm", "runtime.epfd", "runtime._Gwaiting", "runtime._Grunnable", "runtime._Gpreempted", "runtime._Gscan"} {
		if got, err := loadFakeGoELF(fakeGoELF(rt, leave)); !errors.Is(err, errNotGo) {
			t.Errorf("without %s: read %+v, %v", leave, got, err)
		}
	}
	// A member twice is not another one.
	if got, err := loadFakeGoELF(fakeGoELF(rt, "runtime.m.alllink twice:runtime.m.procid")); !errors.Is(err, errNotGo) {
		t.Errorf("without runtime.m.alllink, procid twice: read %+v, %v", got, err)
	}
	// Optional: pollDesc.self, and the packing of a tagged pointer (tagAlignBits: 3
	// where only tagBits is said; neither where they make no packing).
	for _, c := range []struct {
		leave                 string
		tagBits, tagAlignBits int64
		self                  int64
	}{
		{"runtime.pollDesc.self", 24, 9, -1},
		{"runtime.tagAlignBits", 24, 3, 288},
		{"runtime.tagBits", 0, 0, 288},
	} {
		got, err := loadFakeGoELF(fakeGoELF(rt, c.leave))
		if err != nil {
			t.Errorf("without %s: %v", c.leave, err)
			continue
		}
		if got.tagBits != c.tagBits || got.tagAlignBits != c.tagAlignBits || got.pdSelf != c.self {
			t.Errorf("without %s: tagBits %d, tagAlignBits %d, self at %d; want %d, %d, %d", c.leave, got.tagBits, got.tagAlignBits, got.pdSelf, c.tagBits, c.tagAlignBits, c.self)
		}
	}
	for _, bits := range [][2]int64{{64, 9}, {9, 9}, {24, 40}, {-3, 0}} {
		bad := fakeRuntime()
		bad.tagBits, bad.tagAlignBits = bits[0], bits[1]
		if got, err := loadFakeGoELF(fakeGoELF(bad, "")); err != nil || got.tagBits != 0 || got.tagAlignBits != 0 {
			t.Errorf("tagBits %d, tagAlignBits %d: read %+v, %v; want no packing", bits[0], bits[1], got, err)
		}
	}
	if _, err := loadFakeGoELF(fakeELF(elfSection{".debug_abbrev", fakeDWARFAbbrev()}, elfSection{".debug_info", fakeGoDWARF(rt, "")})); !errors.Is(err, errNotGo) {
		t.Errorf("without .gopclntab or .go.buildinfo: %v", err)
	}
}

// TestLoadGoRuntimeZdebug: an old-style compressed DWARF section is bounded by the size it
// says it inflates to, not by its size in the file.
func TestLoadGoRuntimeZdebug(t *testing.T) {
	rt := fakeRuntime()
	zinfo := binary.BigEndian.AppendUint64([]byte("ZLIB"), maxDWARFBytes+1)
	_, err := loadFakeGoELF(fakeELF(elfSection{".gopclntab", []byte{0}}, elfSection{".debug_abbrev", fakeDWARFAbbrev()}, elfSection{".zdebug_info", append(zinfo, fakeGoDWARF(rt, "")...)}))
	if !errors.Is(err, errNotGo) || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a .zdebug_info of %d bytes inflated: %v, want refused for its size", maxDWARFBytes+1, err)
	}
}

// TestLoadGoRuntimeUnterminated: a unit that ends in an unterminated LEB128 number, which
// debug/dwarf's Reader reads as an end of children, again and again without moving on (it
// took FuzzLoadGoRuntime a few mutations of a seed; 50 million entries, 3 s, each time),
// is read in work bounded by its size.
func TestLoadGoRuntimeUnterminated(t *testing.T) {
	var u dwarfBuf
	u.uleb(abCU)
	u.str("runtime")
	u.WriteString("\x80\x80\x80")
	var info dwarfBuf
	binary.Write(&info, binary.LittleEndian, uint32(2+4+1+u.Len()))
	binary.Write(&info, binary.LittleEndian, uint16(4))
	binary.Write(&info, binary.LittleEndian, uint32(0))
	info.WriteByte(8)
	info.Write(u.Bytes())
	exe, err := elf.NewFile(bytes.NewReader(fakeELF(elfSection{".gopclntab", []byte{0}}, elfSection{".debug_abbrev", fakeDWARFAbbrev()}, elfSection{".debug_info", info.Bytes()})))
	if err != nil {
		t.Fatal(err)
	}
	// Each entry read allocates: allocations count the entries, whatever the machine's
	// speed.
	var lerr error
	allocs := testing.AllocsPerRun(1, func() { _, lerr = loadGoRuntime(exe, 0) })
	if !errors.Is(lerr, errNotGo) {
		t.Errorf("read: %v, want no runtime", lerr)
	}
	if allocs > 10_000 {
		t.Errorf("%v allocations reading %d bytes of DWARF: not bounded by its size", allocs, info.Len())
	}
}

// FuzzLoadGoRuntime: loadGoRuntime reads an executable its owner wrote, whoever that is:
// whatever the bytes, it returns (a runtime or an error) without a panic, in bounded work.
func FuzzLoadGoRuntime(f *testing.F) {
	rt := fakeRuntime()
	rt.pdSelf, rt.tagBits, rt.tagAlignBits = 288, 24, 9
	f.Add(fakeGoELF(rt, ""))
	f.Add(fakeGoELF(rt, "runtime.allm"))
	f.Add(fakeELF(elfSection{".go.buildinfo", nil}, elfSection{".debug_abbrev", fakeDWARFAbbrev()}, elfSection{".zdebug_info", []byte("ZLIB\x00\x00\x00\x00\x00\x00\x00\x10x\x9c")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		exe, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			return
		}
		got, err := loadGoRuntime(exe, 0x5555_0000_0000)
		if (got == nil) == (err == nil) {
			t.Fatalf("read %+v and %v", got, err)
		}
		if got != nil && (got.tagBits < 0 || got.tagBits >= 64 || got.tagAlignBits < 0 || got.tagAlignBits > 16) {
			t.Fatalf("a packing of %d, %d", got.tagBits, got.tagAlignBits)
		}
	})
}

// FuzzLoadGoRuntimeDWARF is FuzzLoadGoRuntime with the bytes of the DWARF sections alone
// fuzzed, in a well-formed ELF file: mutations reach the DWARF reader, not ELF's refusal.
func FuzzLoadGoRuntimeDWARF(f *testing.F) {
	rt := fakeRuntime()
	rt.pdSelf, rt.pdFDSeq, rt.tagBits, rt.tagAlignBits = 288, 16, 24, 9
	f.Add(fakeDWARFAbbrev(), fakeGoDWARF(rt, ""))
	f.Add(fakeDWARFAbbrev(), fakeGoDWARF(rt, "runtime.m.alllink twice:runtime.m.procid"))
	f.Fuzz(func(t *testing.T, abbrev, info []byte) {
		exe, err := elf.NewFile(bytes.NewReader(fakeELF(elfSection{".gopclntab", []byte{0}}, elfSection{".debug_abbrev", abbrev}, elfSection{".debug_info", info})))
		if err != nil {
			t.Fatal(err) // the ELF is well-formed whatever its sections hold
		}
		got, err := loadGoRuntime(exe, 0)
		if (got == nil) == (err == nil) {
			t.Fatalf("read %+v and %v", got, err)
		}
	})
}

// TestGoProcWaitNotAnM: a thread that is not in the M list (a thread the runtime did not
// make, or a list that is not one) is walked for once, not at every sample: the next look
// within a second reads nothing.
func TestGoProcWaitNotAnM(t *testing.T) {
	p := newFakeProc([][2]uint64{{11, 0x20000}, {12, 0}}, 0x10000) // a cycle without 99
	gp := &goProc{rt: p.rt, ms: map[int32]uint64{}, pds: map[uint64]uint64{}, ios: map[uint64]goIO{}}
	mem := &memReader{f: p.mem}
	none := func(int64) map[uint64]watched { return nil }
	if w := gp.wait(mem, 99, none); w != (goWait{}) {
		t.Fatalf("thread 99: %+v, want nothing", w)
	}
	first := p.mem.reads
	if first < maxGoMs {
		t.Fatalf("the cycle was walked in %d reads, want at least %d", first, maxGoMs)
	}
	if w := gp.wait(mem, 99, none); w != (goWait{}) || p.mem.reads != first {
		t.Errorf("second look: %+v after %d more reads, want nothing after none", w, p.mem.reads-first)
	}
	if w := gp.wait(mem, 11, none); w.Reason == "" {
		t.Errorf("thread 11, an M: %+v, want its goroutine's wait", w)
	}
}
