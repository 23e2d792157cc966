package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWriteDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	objs := buildCase(t, cases[0].choice)
	if err := WriteDir(dir, objs, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		got, err := os.ReadFile(filepath.Join(dir, o.File))
		if err != nil || string(got) != string(o.YAML) {
			t.Errorf("%s: %v", o.File, err)
		}
	}
	// Same content again: nothing to do, no error.
	if err := WriteDir(dir, objs, WriteOptions{}); err != nil {
		t.Errorf("rewrite of identical files: %v", err)
	}

	// A different file of the same name is kept, and nothing else is written either.
	victim := filepath.Join(dir, objs[1].File)
	if err := os.WriteFile(victim, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, objs[0].File)); err != nil {
		t.Fatal(err)
	}
	err := WriteDir(dir, objs, WriteOptions{})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("want ErrExists, got %v", err)
	}
	if got, _ := os.ReadFile(victim); string(got) != "mine\n" {
		t.Error("a different file was overwritten")
	}
	if _, err := os.Stat(filepath.Join(dir, objs[0].File)); !os.IsNotExist(err) {
		t.Error("a refused write still wrote other files")
	}

	if err := WriteDir(dir, objs, WriteOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(victim); string(got) != string(objs[1].YAML) {
		t.Error("Overwrite did not replace the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(objs) {
		t.Errorf("%d entries, want %d (temporary files left behind?)", len(entries), len(objs))
	}
}

func TestWriteDirRejectsBadNames(t *testing.T) {
	for _, name := range []string{"", "../x.yaml", "a/b.yaml", ".hidden"} {
		err := WriteDir(t.TempDir(), []Object{{File: name, YAML: []byte("x")}}, WriteOptions{})
		if err == nil {
			t.Errorf("file name %q accepted", name)
		}
	}
	o := Object{File: "a.yaml", YAML: []byte("x")}
	if err := WriteDir(t.TempDir(), []Object{o, o}, WriteOptions{}); err == nil {
		t.Error("duplicate file names accepted")
	}
}

// TestWriteDirNonRegular: what stands in the output directory under a file's name and is
// no regular file is a conflict, never opened: a named pipe made WriteDir wait forever for
// a writer, a link to /dev/zero read without end. With Overwrite each is replaced by the
// file, and what a link pointed at is left as it was.
func TestWriteDirNonRegular(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	objs := buildCase(t, cases[0].choice)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, objs[0].File), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	target := filepath.Join(t.TempDir(), "target")
	os.WriteFile(target, []byte("mine\n"), 0o644)
	if err := os.Symlink(target, filepath.Join(dir, objs[1].File)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- WriteDir(dir, objs, WriteOptions{}) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), objs[0].File) || !strings.Contains(err.Error(), objs[1].File) {
			t.Errorf("a pipe and a link in the way: %v", err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the reader so the test can end: open the pipe for writing and close it.
		if f, err := os.OpenFile(filepath.Join(dir, objs[0].File), os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		<-done
		t.Fatal("WriteDir waited 10 s on a named pipe in the output directory")
	}
	if err := WriteDir(dir, objs, WriteOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs[:2] {
		fi, err := os.Lstat(filepath.Join(dir, o.File))
		if err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s after overwrite: %v %v", o.File, fi.Mode(), err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "mine\n" {
		t.Errorf("the link's target was changed")
	}
}
