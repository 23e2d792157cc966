package procfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// taskstats asks the kernel (generic netlink, family TASKSTATS) for a thread's raw user
// and system CPU time: the clock ticks that fell while it ran in user mode and in the
// kernel, unscaled. /proc's utime and stime are not that: the kernel scales them so that
// they add up to the precise run time, by the ratio of the thread's whole life, so the
// growth of either over a few milliseconds says what the thread did over its life, not in
// those milliseconds (a thread that has mostly computed shows its fsync loop's kernel
// time as user time until a tick lands in it). Asking needs CAP_NET_ADMIN.
type taskstats struct {
	fd     int
	family uint16
	seq    uint32
	req    [64]byte
	buf    []byte
}

// Where struct taskstats holds the two times (microseconds), and the shortest reply
// that holds them: every kernel since 2.6.19 has them there.
var (
	tsUtime = int(unsafe.Offsetof(unix.Taskstats{}.Ac_utime))
	tsStime = int(unsafe.Offsetof(unix.Taskstats{}.Ac_stime))
)

// newTaskstats opens the socket, resolves the family and asks once for the calling
// thread, so that a caller without the capability learns it here.
func newTaskstats() (*taskstats, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return nil, fmt.Errorf("taskstats: %w", err)
	}
	t := &taskstats{fd: fd, buf: make([]byte, 4096)}
	// Replies come within the call; a reply that does not is not waited for.
	tv := unix.Timeval{Usec: 100_000}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.close()
		return nil, fmt.Errorf("taskstats: %w", err)
	}
	name := append([]byte("TASKSTATS"), 0)
	attrs, err := t.ask(unix.GENL_ID_CTRL, unix.CTRL_CMD_GETFAMILY, unix.CTRL_ATTR_FAMILY_NAME, name)
	if err != nil {
		t.close()
		return nil, fmt.Errorf("taskstats: find the family: %w", err)
	}
	id, ok := nlAttr(attrs, unix.CTRL_ATTR_FAMILY_ID)
	if !ok || len(id) < 2 {
		t.close()
		return nil, errors.New("taskstats: the kernel named no family id")
	}
	t.family = binary.NativeEndian.Uint16(id)
	if _, _, err := t.cpu(int32(unix.Gettid())); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// cpu is thread tid's raw user and system time, in nanoseconds at microsecond
// resolution (whole clock ticks).
func (t *taskstats) cpu(tid int32) (user, sys uint64, err error) {
	var pid [4]byte
	binary.NativeEndian.PutUint32(pid[:], uint32(tid))
	attrs, err := t.ask(t.family, unix.TASKSTATS_CMD_GET, unix.TASKSTATS_CMD_ATTR_PID, pid[:])
	if err != nil {
		return 0, 0, fmt.Errorf("taskstats of thread %d: %w", tid, err)
	}
	aggr, ok := nlAttr(attrs, unix.TASKSTATS_TYPE_AGGR_PID)
	if !ok {
		return 0, 0, fmt.Errorf("taskstats of thread %d: no per-task reply", tid)
	}
	st, ok := nlAttr(aggr, unix.TASKSTATS_TYPE_STATS)
	if !ok || len(st) < tsStime+8 {
		return 0, 0, fmt.Errorf("taskstats of thread %d: a %d-byte struct, too short", tid, len(st))
	}
	return binary.NativeEndian.Uint64(st[tsUtime:]) * 1000, binary.NativeEndian.Uint64(st[tsStime:]) * 1000, nil
}

// ask sends one generic netlink request with one attribute and returns the reply's
// attributes (after its generic header), or the kernel's error.
func (t *taskstats) ask(family uint16, cmd uint8, attr uint16, val []byte) ([]byte, error) {
	if t.fd < 0 {
		return nil, errors.New("closed")
	}
	if len(val) > len(t.req)-24 {
		return nil, errors.New("attribute too long")
	}
	t.seq++
	alen := 4 + len(val)
	n := 16 + 4 + (alen+3)&^3
	m := t.req[:n]
	clear(m)
	binary.NativeEndian.PutUint32(m[0:], uint32(n))
	binary.NativeEndian.PutUint16(m[4:], family)
	binary.NativeEndian.PutUint16(m[6:], unix.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(m[8:], t.seq)
	m[16], m[17] = cmd, 1 // command, version
	binary.NativeEndian.PutUint16(m[20:], uint16(alen))
	binary.NativeEndian.PutUint16(m[22:], attr)
	copy(m[24:], val)
	if err := unix.Sendto(t.fd, m, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	for {
		r, _, err := unix.Recvfrom(t.fd, t.buf, 0)
		if err != nil {
			return nil, err
		}
		attrs, skip, err := parseReply(t.buf[:r], t.seq)
		if skip {
			continue // an earlier request's reply, given up on
		}
		return attrs, err
	}
}

// parseReply reads one received netlink message b as the reply to request seq: its
// attributes (after the generic netlink header), the kernel's error, or skip where it
// answers another request.
func parseReply(b []byte, seq uint32) (attrs []byte, skip bool, err error) {
	if len(b) < 16 {
		return nil, false, errors.New("short netlink reply")
	}
	l := int(binary.NativeEndian.Uint32(b))
	typ := binary.NativeEndian.Uint16(b[4:])
	if l < 16 || l > len(b) {
		return nil, false, errors.New("malformed netlink reply")
	}
	if binary.NativeEndian.Uint32(b[8:]) != seq {
		return nil, true, nil
	}
	b = b[:l]
	if typ == unix.NLMSG_ERROR {
		if len(b) < 20 {
			return nil, false, errors.New("short netlink error")
		}
		if e := int32(binary.NativeEndian.Uint32(b[16:])); e != 0 {
			return nil, false, unix.Errno(-e)
		}
		return nil, false, errors.New("netlink acknowledged without a reply")
	}
	if len(b) < 20 {
		return nil, false, errors.New("short generic netlink reply")
	}
	return b[20:], false, nil
}

// nlAttr finds attribute typ among netlink attributes b.
func nlAttr(b []byte, typ uint16) ([]byte, bool) {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b))
		if l < 4 || l > len(b) {
			return nil, false
		}
		if binary.NativeEndian.Uint16(b[2:])&^(unix.NLA_F_NESTED|unix.NLA_F_NET_BYTEORDER) == typ {
			return b[4:l], true
		}
		b = b[min((l+3)&^3, len(b)):]
	}
	return nil, false
}

func (t *taskstats) close() {
	if t != nil && t.fd >= 0 {
		unix.Close(t.fd)
		t.fd = -1
	}
}
