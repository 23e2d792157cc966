package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrExists is wrapped by the error [WriteDir] returns when a file of the same name with
// different content is already there and overwriting was not asked for.
var ErrExists = errors.New("a different file exists")

// WriteOptions controls [WriteDir].
type WriteOptions struct {
	// Overwrite replaces existing files whose content differs. Without it WriteDir writes
	// nothing and reports every such file.
	Overwrite bool
}

// WriteDir writes each object's YAML to dir/File, creating dir if needed. Each file is
// written to a temporary file in dir and renamed into place, so a reader never sees half a
// file. Files with the same content are left untouched. Unless opts.Overwrite is set, a
// different existing file is an error wrapping [ErrExists], checked for every object before
// anything is written.
func WriteDir(dir string, objs []Object, opts WriteOptions) error {
	seen := map[string]bool{}
	var conflicts []string
	var todo []Object
	for _, o := range objs {
		if o.File == "" || o.File != filepath.Base(o.File) || strings.HasPrefix(o.File, ".") {
			return fmt.Errorf("manifest: write %s: file name %q must be a plain name", dir, o.File)
		}
		if seen[o.File] {
			return fmt.Errorf("manifest: write %s: two objects share the file name %s", dir, o.File)
		}
		seen[o.File] = true
		same, err := sameFile(filepath.Join(dir, o.File), o.YAML)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			todo = append(todo, o)
		case err != nil:
			return fmt.Errorf("manifest: write %s: %w", dir, err)
		case same:
			// Already there.
		case opts.Overwrite:
			todo = append(todo, o)
		default:
			conflicts = append(conflicts, o.File)
		}
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("manifest: write %s: %w: %s",
			dir, ErrExists, strings.Join(conflicts, ", "))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("manifest: write %s: %w", dir, err)
	}
	for _, o := range todo {
		if err := writeAtomic(filepath.Join(dir, o.File), o.YAML); err != nil {
			return fmt.Errorf("manifest: write %s: %w", dir, err)
		}
	}
	return nil
}

// sameFile reports whether path is a regular file holding data. Anything else there is
// different and is never opened: a symbolic link (the rename that writes the file replaces
// the link, not what it points at), a named pipe (reading it waited forever), a device
// (reading /dev/zero grew without end), or a file of another size.
func sameFile(path string, data []byte) (bool, error) {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(data)) {
		return false, err
	}
	old, err := os.ReadFile(path)
	return err == nil && bytes.Equal(old, data), err
}

// writeAtomic writes data to a temporary file beside path, syncs it and renames it over
// path.
func writeAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
