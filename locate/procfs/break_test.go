package procfs

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestParseIOHostile: an io file with a counter twice and the other missing is no
// reading (it was taken for both), and counters whose sum passes 2^64 stay at the most
// rather than wrapping to a small number (a growth read as a fall).
func TestParseIOHostile(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"read_bytes: 1\nread_bytes: 2\n", 0, false},
		{"write_bytes: 1\nwrite_bytes: 2\n", 0, false},
		{"read_bytes: 1\nwrite_bytes: 2\nread_bytes: 3\n", 0, false},
		{"read_bytes: 18446744073709551615\nwrite_bytes: 1\n", math.MaxUint64, true},
		{"read_bytes: 9223372036854775808\nwrite_bytes: 9223372036854775808\n", math.MaxUint64, true},
		{"read_bytes: 18446744073709551616\nwrite_bytes: 1\n", 0, false},
		{"read_bytes: -1\nwrite_bytes: 1\n", 0, false},
		{"read_bytes: 4\r\nwrite_bytes: 5\r\n", 9, true},
		{"write_bytes: 5\n", 0, false},
		{"", 0, false},
	} {
		n, err := ParseIO([]byte(c.in))
		if (err == nil) != c.ok || n != c.want {
			t.Errorf("%q: %d %v, want %d ok=%v", c.in, n, err, c.want, c.ok)
		}
	}
}

// FuzzParseIO compares ParseIO with a reading of its own: one read_bytes line and one
// write_bytes line, each a decimal uint64, summed without passing 2^64-1.
func FuzzParseIO(f *testing.F) {
	f.Add([]byte("rchar: 9\nread_bytes: 4096\nwrite_bytes: 1048576\ncancelled_write_bytes: 0\n"))
	f.Add([]byte("read_bytes: 1\nread_bytes: 2\n"))
	f.Add([]byte("read_bytes: 18446744073709551615\nwrite_bytes: 18446744073709551615\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vals := map[string][]string{}
		for _, line := range strings.Split(string(b), "\n") {
			if i := strings.IndexByte(line, ':'); i >= 0 {
				vals[line[:i]] = append(vals[line[:i]], strings.TrimSpace(line[i+1:]))
			}
		}
		want, ok := uint64(0), len(vals["read_bytes"]) == 1 && len(vals["write_bytes"]) == 1
		for _, k := range []string{"read_bytes", "write_bytes"} {
			if !ok {
				break
			}
			v, err := strconv.ParseUint(vals[k][0], 10, 64)
			if err != nil {
				ok = false
			} else if want += v; want < v {
				want = math.MaxUint64
			}
		}
		if !ok {
			want = 0
		}
		if n, err := ParseIO(b); (err == nil) != ok || n != want {
			t.Errorf("%q: %d %v, want %d ok=%v", b, n, err, want, ok)
		}
	})
}
