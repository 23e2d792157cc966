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
		if in, p, ok := listenLine(sc.Text()); ok && p == port {
			out = append(out, in)
		}
	}
	return out
}

// listenLine parses one line of /proc/net/tcp or tcp6: the inode and port of a listening
// socket.
func listenLine(line string) (inode string, port int, ok bool) {
	// sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
	// Most lines are connections, not listeners (a loaded server has tens of thousands in
	// TIME_WAIT): look at the state before splitting anything.
	if field(line, 3) != "0A" { // 0A: LISTEN
		return "", 0, false
	}
	_, hexPort, ok := strings.Cut(field(line, 1), ":")
	if !ok {
		return "", 0, false
	}
	p, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return "", 0, false
	}
	inode = field(line, 9)
	return inode, int(p), inode != ""
}

// field is the n-th space-separated field of line, without splitting the rest.
func field(line string, n int) string {
	for i := 0; ; i++ {
		line = strings.TrimLeft(line, " \t")
		if line == "" {
			return ""
		}
		end := strings.IndexAny(line, " \t")
		if end < 0 {
			end = len(line)
		}
		if i == n {
			return line[:end]
		}
		line = line[end:]
	}
}

// ListeningPorts returns the TCP ports that the candidate processes listen on, and which
// of them holds each (the first candidate that does). Read while the processes run, it lets
// spans that carry server.port but no process.pid be tied to a process after they exited.
func ListeningPorts(proc string, candidates []int32) map[int]int32 {
	if proc == "" {
		proc = "/proc"
	}
	ports := map[string]int{} // "socket:[inode]" -> port
	asked := false
	if proc == "/proc" {
		// The files below only where the kernel cannot be asked.
		if live, err := listeningSockets(); err == nil {
			ports, asked = live, true
		}
	}
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		if asked {
			break
		}
		b, err := os.ReadFile(filepath.Join(proc, f))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if in, p, ok := listenLine(sc.Text()); ok {
				ports["socket:["+in+"]"] = p
			}
		}
	}
	out := map[int]int32{}
	if len(ports) == 0 {
		return out
	}
	for _, pid := range candidates {
		dir := filepath.Join(proc, strconv.Itoa(int(pid)), "fd")
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			l, err := os.Readlink(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			if p, ok := ports[l]; ok {
				if _, seen := out[p]; !seen {
					out[p] = pid
				}
			}
		}
	}
	return out
}

// Descendants returns pids and all their descendant processes (from
// /proc/PID/task/TID/children).
func Descendants(proc string, pids []int32) []int32 {
	if proc == "" {
		proc = "/proc"
	}
	seen := map[int32]bool{}
	var out []int32
	queue := append([]int32(nil), pids...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		out = append(out, pid)
		tasks, _ := os.ReadDir(filepath.Join(proc, strconv.Itoa(int(pid)), "task"))
		for _, t := range tasks {
			b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(int(pid)), "task", t.Name(), "children"))
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					queue = append(queue, int32(c))
				}
			}
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
