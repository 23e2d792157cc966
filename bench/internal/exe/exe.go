// Package exe answers what running an executable elsewhere needs: whether it is static,
// and which shared libraries it loads.
package exe

import (
	"debug/elf"
	"fmt"
	"os/exec"
	"strings"
)

// IsStatic reports whether path is an ELF executable without a program interpreter.
func IsStatic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// SharedLibs lists the shared libraries (and the loader) path needs, as ldd says.
func SharedLibs(path string) ([]string, error) {
	out, err := exec.Command("ldd", path).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", path, err)
	}
	var libs []string
	for l := range strings.Lines(string(out)) {
		for _, f := range strings.Fields(l) {
			if strings.HasPrefix(f, "/") {
				libs = append(libs, f)
			}
		}
	}
	return libs, nil
}
