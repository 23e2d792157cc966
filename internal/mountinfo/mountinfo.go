// Package mountinfo parses /proc/PID/mountinfo: the one reader of it that the probe (which
// cgroups are mounted), bench (what to unmount, where a container's cgroups are) and their
// tests share.
package mountinfo

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// Mount is one line of a mountinfo file.
type Mount struct {
	Root      string // the directory of the filesystem mounted here, unescaped
	Point     string // mount point, unescaped
	FSType    string
	Source    string
	SuperOpts []string // per-superblock options: the controllers of a cgroup v1 mount
}

// Parse reads the lines of a mountinfo file in order; lines that are not mountinfo lines
// are left out.
func Parse(b []byte) []Mount {
	var out []Mount
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f := strings.Fields(pre)
		g := strings.Fields(post)
		if len(f) < 5 || len(g) < 2 {
			continue
		}
		m := Mount{Root: Unescape(f[3]), Point: Unescape(f[4]), FSType: g[0], Source: g[1]}
		if len(g) > 2 {
			m.SuperOpts = strings.Split(g[2], ",")
		}
		out = append(out, m)
	}
	return out
}

// Points lists the mount points of a mountinfo file, unescaped, in its order.
func Points(b []byte) []string {
	var out []string
	for _, m := range Parse(b) {
		out = append(out, m.Point)
	}
	return out
}

// Unescape undoes the \040-style octal escapes of mountinfo.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
