package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ListeningInodes parses /proc/net/tcp or tcp6 and returns the socket inodes listening on
// port.
func ListeningInodes(b []byte, port int) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
		if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
			out = append(out, f[9])
		}
	}
	return out
}

// ListeningPID finds which of the candidate processes listens on the TCP port, so spans
// that carry server.port but no process.pid can be tied to a process.
func ListeningPID(proc string, port int, candidates []int32) (int32, error) {
	if proc == "" {
		proc = "/proc"
	}
	inodes := map[string]bool{}
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		if b, err := os.ReadFile(filepath.Join(proc, f)); err == nil {
			for _, in := range ListeningInodes(b, port) {
				inodes["socket:["+in+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d", port)
	}
	for _, pid := range candidates {
		dir := filepath.Join(proc, strconv.Itoa(int(pid)), "fd")
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && inodes[l] {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("port %d is not held by an observed process", port)
}
