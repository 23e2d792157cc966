// Package cpio writes newc ("070701") archives, the format the Linux kernel unpacks as
// an initramfs.
package cpio

import (
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// Entry is a file of an initramfs: content from a host file or literal bytes.
type Entry struct {
	Mode uint32 // with type bits: 0o100000 file, 0o040000 dir, 0o120000 symlink
	Host string // a host file whose content the entry gets
	Data []byte // the content, when Host is empty
}

// Write writes a newc ("070701") archive, the format the kernel unpacks as initramfs.
// Parent directories are added as needed.
func Write(w io.Writer, files map[string]Entry) error {
	all := map[string]Entry{}
	for name, e := range files {
		name = strings.TrimPrefix(path.Clean("/"+name), "/")
		all[name] = e
		for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
			if _, ok := all[d]; !ok {
				all[d] = Entry{Mode: 0o040755}
			}
		}
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names) // parents before children
	ino := 1
	for _, n := range names {
		e := all[n]
		data := e.Data
		if e.Host != "" {
			b, err := os.ReadFile(e.Host)
			if err != nil {
				return err
			}
			data = b
		}
		if err := cpioRecord(w, n, e.Mode, data, ino); err != nil {
			return err
		}
		ino++
	}
	return cpioRecord(w, "TRAILER!!!", 0, nil, 0)
}

func cpioRecord(w io.Writer, name string, mode uint32, data []byte, ino int) error {
	nlink := 1
	if mode&0o040000 != 0 {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	buf := []byte(hdr + name + "\x00")
	buf = append(buf, make([]byte, pad4(len(buf)))...)
	buf = append(buf, data...)
	buf = append(buf, make([]byte, pad4(len(data)))...)
	_, err := w.Write(buf)
	return err
}

func pad4(n int) int { return (4 - n%4) % 4 }
