package golden

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Check compares got with the golden file at path and fails tb with a unified diff from
// the file to got when they differ. With update it writes got to path instead, creating
// the directory.
func Check(tb testing.TB, path string, got []byte, update bool) {
	tb.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		tb.Fatalf("%v (%s creates it)", err, UpdateCommand())
	}
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("output differs from %s (if the change is meant, %s rewrites it; review the diff):\n%s",
			path, UpdateCommand(), Diff(path, want, "got", got))
	}
}

// File is one file of a directory [CheckDir] compares.
type File struct {
	Name string
	Data []byte
}

// CheckDir compares files with the golden directory dir: the same names, each with the
// same bytes. With update it replaces dir by files.
func CheckDir(tb testing.TB, dir string, files []File, update bool) {
	tb.Helper()
	if update {
		if err := os.RemoveAll(dir); err != nil {
			tb.Fatal(err)
		}
		for _, f := range files {
			Check(tb, filepath.Join(dir, f.Name), f.Data, true)
		}
		return
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		tb.Fatalf("%v (%s creates it)", err, UpdateCommand())
	}
	if err != nil {
		tb.Fatal(err)
	}
	var have, want []string
	for _, e := range entries {
		have = append(have, e.Name())
	}
	for _, f := range files {
		want = append(want, f.Name)
	}
	slices.Sort(want)
	if !slices.Equal(have, want) {
		tb.Errorf("golden files in %s: %v; made now: %v (if the change is meant, %s rewrites them)",
			dir, have, want, UpdateCommand())
	}
	for _, f := range files {
		if slices.Contains(have, f.Name) {
			Check(tb, filepath.Join(dir, f.Name), f.Data, false)
		}
	}
}

// UpdateCommand is the command that rewrites the current test package's golden files:
// go test ./<package> -update, the package named relative to its module's root.
func UpdateCommand() string {
	pkg := "."
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				if rel, err := filepath.Rel(dir, wd); err == nil && rel != "." {
					pkg = "./" + filepath.ToSlash(rel)
				}
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "go test " + pkg + " -update"
}
