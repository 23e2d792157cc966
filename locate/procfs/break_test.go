package procfs

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-dev/strata/locate"
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

// TestTimelineLongRunKernelSplit: the kernel share of a long on-CPU period (the sampler
// kept off the CPU for seconds: stopped with ^Z, a suspended VM, or a --sample-period of
// seconds) is the run times the system ticks' share. The product of the two in
// nanoseconds passes 2^63 once both pass about 3 s: it wrapped to a negative kernel time
// (-1.8 s of a 4 s run; the judge: the run is 4 s, its ticks all system time, so all of
// it is kernel time).
func TestTimelineLongRunKernelSplit(t *testing.T) {
	for _, run := range []time.Duration{4 * time.Second, time.Hour} {
		ss := []Sample{
			{Time: 0, PID: 1, TID: 2, Stat: Stat{State: 'R'}, Syscall: Syscall{Nr: -1}, CPU: CPUTime{Raw: true}},
			{Time: int64(run), PID: 1, TID: 2, Stat: Stat{State: 'R'}, Syscall: Syscall{Nr: -1},
				Sched: Schedstat{RunNS: uint64(run)}, CPU: CPUTime{System: uint64(run), User: 0, Raw: true}},
		}
		tl := Timeline(map[int32][]Sample{2: ss}, 100, time.Hour)
		ivs := tl.Threads[2].Intervals
		if len(ivs) != 1 || ivs[0].State != locate.OnCPU {
			t.Fatalf("%v: %+v, want one on-CPU interval", run, ivs)
		}
		var kernel int64
		for _, k := range ivs[0].Short {
			kernel += k
		}
		if kernel != int64(run) {
			t.Errorf("a %v run all of whose ticks were system time: kernel time %v (%v)", run, time.Duration(kernel), ivs[0].Short)
		}
	}
}

// TestTimelineLongestPeriod: at a period as long as a Duration can be (--sample-period
// 2562047h), two samples 2 ms apart are not a late period: twice the period wrapped to
// -2 ns, so every period was late and all laid out as unsure.
func TestTimelineLongestPeriod(t *testing.T) {
	ms := uint64(time.Millisecond)
	now := int64(1_780_000_000) * int64(time.Second) // wall clock, 2026
	ss := []Sample{
		{Time: now, PID: 1, TID: 2, Stat: Stat{State: 'R'}, Syscall: Syscall{Nr: -1}, CPU: CPUTime{Raw: true}},
		{Time: now + int64(2*ms), PID: 1, TID: 2, Stat: Stat{State: 'R'}, Syscall: Syscall{Nr: -1},
			Sched: Schedstat{RunNS: 2 * ms}, CPU: CPUTime{User: 4 * ms, Raw: true}},
	}
	for _, period := range []time.Duration{2 * time.Millisecond, time.Hour, math.MaxInt64} {
		ivs := Timeline(map[int32][]Sample{2: ss}, 100, period).Threads[2].Intervals
		if len(ivs) != 1 || ivs[0].State != locate.OnCPU || ivs[0].Unsure {
			t.Errorf("period %v: %+v, want one sure on-CPU interval", period, ivs)
		}
	}
}
