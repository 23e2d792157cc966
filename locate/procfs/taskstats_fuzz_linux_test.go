package procfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// within says whether sub is empty or lies inside b (the same memory, not a copy), and
// at which offset.
func within(sub, b []byte) (int, bool) {
	if len(sub) == 0 {
		return 0, true
	}
	if len(b) == 0 {
		return 0, false
	}
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(sub))) - uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	return off, off >= 0 && off+len(sub) <= len(b) && &b[off] == &sub[0]
}

// FuzzNLAttr: nlAttr never panics, and an attribute it finds lies within its input, at
// a 4-byte boundary reached by walking the attributes before it, and is as long as its
// header says. Where the standard library's route attribute parser (syscall, a judge we
// did not write) reads the whole input, nlAttr finds what it finds: the first attribute
// of that type, flags aside. Seeded with replies the kernel gave (testdata/fuzz).
func FuzzNLAttr(f *testing.F) {
	f.Add([]byte{8, 0, 1, 0, 1, 2, 3, 4}, uint16(1))
	f.Add([]byte{5, 0, 1, 0, 9}, uint16(1))
	f.Add([]byte{5, 0, 2, 0, 9, 8, 0, 1, 0, 1, 2, 3, 4}, uint16(1))
	f.Add([]byte{3, 0, 1, 0}, uint16(1))
	f.Fuzz(func(t *testing.T, b []byte, typ uint16) {
		v, ok := nlAttr(b, typ)
		if !ok {
			if v != nil {
				t.Fatalf("not found, yet %x", v)
			}
		} else {
			off, in := within(v, b)
			if !in {
				t.Fatalf("found %x, not within the input", v)
			}
			if len(v) == 0 {
				// An empty value: where does it lie? Found by the walk below.
				off = -1
			}
			// Walk to it: the attribute whose value begins at off.
			at, hit := 0, false
			for at+4 <= len(b) {
				l := int(binary.NativeEndian.Uint16(b[at:]))
				if l < 4 || at+l > len(b) {
					break
				}
				if binary.NativeEndian.Uint16(b[at+2:])&^(unix.NLA_F_NESTED|unix.NLA_F_NET_BYTEORDER) == typ {
					if (off == -1 || at+4 == off) && l-4 == len(v) {
						hit = true
					}
					break
				}
				at += (l + 3) &^ 3
			}
			if !hit {
				t.Fatalf("found %x (offset %d), not the first attribute of type %d", v, off, typ)
			}
		}
		// The standard library's parser, where the input is a whole number of 4-byte
		// words (it slices the aligned length of each attribute: past the end of an
		// input whose last one is not; padding the input would make a cut one whole).
		if len(b)%4 != 0 {
			return
		}
		m := syscall.NetlinkMessage{Header: syscall.NlMsghdr{Type: syscall.RTM_NEWADDR}, Data: append(make([]byte, syscall.SizeofIfAddrmsg), b...)}
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			return
		}
		var want []byte
		found := false
		for _, a := range attrs {
			if a.Attr.Type&^(unix.NLA_F_NESTED|unix.NLA_F_NET_BYTEORDER) == typ {
				want, found = a.Value, true
				break
			}
		}
		if found != ok || !bytes.Equal(want, v) {
			t.Fatalf("type %d: nlAttr %x (%v), the standard library %x (%v)", typ, v, ok, want, found)
		}
	})
}

// FuzzParseReply: parseReply never panics; the attributes of a reply lie within the
// message its header bounds (not the rest of the datagram), after the 4-byte generic
// header, and agree with the standard library's netlink message parser (syscall); a
// reply to another request is skipped; an error is the kernel's errno. Seeded with
// replies the kernel gave (testdata/fuzz).
func FuzzParseReply(f *testing.F) {
	f.Add([]byte{20, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint32(1))
	f.Add([]byte{24, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 8, 0, 1, 0}, uint32(1))
	// Two messages in one datagram: the second is not the first's attributes.
	f.Add([]byte{24, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 4, 0, 1, 0, 16, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, uint32(1))
	f.Fuzz(func(t *testing.T, b []byte, seq uint32) {
		attrs, skip, err := parseReply(b, seq)
		if len(b) < 16 {
			if err == nil || skip {
				t.Fatalf("%d bytes: not an error", len(b))
			}
			return
		}
		l := int(binary.NativeEndian.Uint32(b))
		if skip {
			if attrs != nil || err != nil || binary.NativeEndian.Uint32(b[8:]) == seq || l < 16 || l > len(b) {
				t.Fatalf("skipped (%x, %v) a reply to %d, asked %d, %d bytes of %d", attrs, err, binary.NativeEndian.Uint32(b[8:]), seq, l, len(b))
			}
			return
		}
		if err != nil {
			if attrs != nil {
				t.Fatalf("error %v and attributes %x", err, attrs)
			}
			var e unix.Errno
			if errors.As(err, &e) {
				if l < 20 || binary.NativeEndian.Uint16(b[4:]) != unix.NLMSG_ERROR || int32(binary.NativeEndian.Uint32(b[16:])) != -int32(e) {
					t.Fatalf("errno %d (%v), not the kernel's", uintptr(e), e)
				}
			}
			return
		}
		off, in := within(attrs, b)
		if !in || len(attrs) > 0 && (off != 20 || off+len(attrs) != l) {
			t.Fatalf("attributes at %d, %d bytes, not the message's 20 to %d of %d", off, len(attrs), l, len(b))
		}
		if binary.NativeEndian.Uint16(b[4:]) == unix.NLMSG_ERROR || l < 20 {
			t.Fatalf("attributes of an error or a %d-byte message", l)
		}
		// The standard library's parser reads every message of the datagram and wants
		// each padded to 4 bytes: where b is the one message, padded, it must read it.
		msgs, err := syscall.ParseNetlinkMessage(b)
		if err != nil || len(msgs) == 0 {
			if len(b) == (l+3)&^3 {
				t.Fatalf("the standard library rejects the one message (%v) parseReply read", err)
			}
			return
		}
		if d := msgs[0].Data; !bytes.Equal(d[4:], attrs) {
			t.Fatalf("attributes %x, the standard library's message %x", attrs, d)
		}
	})
}
