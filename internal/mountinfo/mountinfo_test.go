package mountinfo

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	info := []byte("36 35 98:0 / /run/strata\\040bench rw - tmpfs tmpfs rw\n" +
		"37 36 0:5 /docker/x /sys/fs/cgroup/memory rw shared:2 - cgroup cgroup rw,memory\n" +
		"not a mountinfo line\n")
	got := Parse(info)
	want := []Mount{
		{Root: "/", Point: "/run/strata bench", FSType: "tmpfs", Source: "tmpfs", SuperOpts: []string{"rw"}},
		{Root: "/docker/x", Point: "/sys/fs/cgroup/memory", FSType: "cgroup", Source: "cgroup", SuperOpts: []string{"rw", "memory"}},
	}
	if len(got) != len(want) {
		t.Fatalf("Parse = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Root != w.Root || g.Point != w.Point || g.FSType != w.FSType || g.Source != w.Source || !slices.Equal(g.SuperOpts, w.SuperOpts) {
			t.Errorf("line %d: %+v, want %+v", i, g, w)
		}
	}
	if p := Points(info); !slices.Equal(p, []string{"/run/strata bench", "/sys/fs/cgroup/memory"}) {
		t.Errorf("Points = %q", p)
	}
}

func FuzzParse(f *testing.F) {
	// The probe's recorded hosts.
	ms, _ := filepath.Glob("../../probe/testdata/*/proc/self/mountinfo")
	for _, m := range ms {
		if b, err := os.ReadFile(m); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("1 0 0:1 / /a\\040b\\ rw - ext4 x rw\n1 0 0:1 / /c\\777 rw - - -\n"))
	for _, s := range []string{`/mnt/my\040disk`, `\`, `\04`, `\0400`, `a\134b`, `\999`, `\377\400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range Parse(b) {
			if m.FSType == "" || m.Source == "" || m.Point == "" || m.Root == "" {
				t.Errorf("incomplete mount %+v", m)
			}
		}
		s := string(b)
		u := Unescape(s)
		if len(u) > len(s) {
			t.Errorf("unescape grew %q to %q", s, u)
		}
		if !strings.Contains(s, `\`) && u != s {
			t.Errorf("%q without escapes changed to %q", s, u)
		}
	})
}
