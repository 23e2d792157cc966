package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
