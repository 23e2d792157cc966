package cpio

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestWriteReadByBusybox writes an archive and has busybox's cpio, not this package,
// unpack it: every file with its content and mode, the parents made, nothing else.
func TestWriteReadByBusybox(t *testing.T) {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox is not installed (scripts/setup-bench.sh installs busybox-static)")
	}
	dir := t.TempDir()
	host := filepath.Join(dir, "host-file")
	if err := os.WriteFile(host, []byte("from the host\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	files := map[string]Entry{
		"init":            {Mode: 0o100755, Data: []byte("#!/bin/sh\necho hi\n")},
		"bin/tool":        {Mode: 0o100755, Host: host},
		"mod/a/b/c.ko":    {Mode: 0o100644, Data: bytes.Repeat([]byte{0, 1, 2}, 1001)}, // not a multiple of 4
		"empty":           {Mode: 0o100644},
		"dev":             {Mode: 0o040755},
		"/abs/../odd.txt": {Mode: 0o100600, Data: []byte("x")},
	}
	if err := Write(&buf, files); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	cmd := exec.Command(bb, "cpio", "-i", "-d")
	archive := bytes.Clone(buf.Bytes())
	cmd.Dir, cmd.Stdin = out, bytes.NewReader(archive)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("busybox cpio -i: %v: %s", err, b)
	}
	want := map[string]struct {
		mode os.FileMode
		data string
	}{
		"init":         {0o755, "#!/bin/sh\necho hi\n"},
		"bin/tool":     {0o755, "from the host\n"},
		"mod/a/b/c.ko": {0o644, string(bytes.Repeat([]byte{0, 1, 2}, 1001))},
		"empty":        {0o644, ""},
		"odd.txt":      {0o600, "x"},
	}
	var got []string
	filepath.WalkDir(out, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(out, p)
			got = append(got, rel)
		}
		return nil
	})
	slices.Sort(got)
	var names []string
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("unpacked %v, want %v", got, names)
	}
	for name, w := range want {
		p := filepath.Join(out, name)
		b, err := os.ReadFile(p)
		fi, _ := os.Stat(p)
		if err != nil || string(b) != w.data || fi.Mode().Perm() != w.mode {
			t.Errorf("%s: %v, %d bytes, mode %v; want %d bytes, mode %v", name, err, len(b), fi.Mode().Perm(), len(w.data), w.mode)
		}
	}
	for _, d := range []string{"dev", "bin", "mod/a/b"} {
		if fi, err := os.Stat(filepath.Join(out, d)); err != nil || !fi.IsDir() {
			t.Errorf("directory %s not unpacked: %v", d, err)
		}
	}
	if bytes.Contains(archive, []byte("..")) {
		t.Error("a name with .. left in the archive")
	}
}
