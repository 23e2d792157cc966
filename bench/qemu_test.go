package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiskBuiltAside runs disk with a fake mkfs.ext4 first in PATH that fails, is killed,
// or succeeds: a failed or killed mkfs leaves nothing the next call would take for an
// image (it rebuilds), mkfs never works on the final name (so a strata killed meanwhile
// leaves no half-made image there either), and a finished image is reused.
func TestDiskBuiltAside(t *testing.T) {
	bin := t.TempDir()
	log := filepath.Join(t.TempDir(), "mkfs.log")
	fake := `#!/bin/sh
for a; do last=$a; done
echo "$last" >> "$STRATA_FAKE_MKFS_LOG"
printf partial > "$last"
case "$STRATA_FAKE_MKFS" in
fail) echo "no space left" >&2; exit 1 ;;
killed) kill -9 $$ ;;
esac
printf fake-ext4 > "$last"
`
	if err := os.WriteFile(filepath.Join(bin, "mkfs.ext4"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("STRATA_FAKE_MKFS_LOG", log)
	d := &qemuDriver{dir: t.TempDir()}
	const n = 1 << 20
	final := filepath.Join(d.dir, "disk-1048576.img")
	mkfsRuns := func() []string {
		b, _ := os.ReadFile(log)
		return strings.Fields(string(b))
	}

	for _, mode := range []string{"fail", "killed"} {
		t.Setenv("STRATA_FAKE_MKFS", mode)
		if p, err := d.disk(n); err == nil {
			t.Fatalf("%s mkfs: disk returned %s, want an error", mode, p)
		} else {
			t.Logf("%s mkfs: %v", mode, err)
		}
		if entries, _ := os.ReadDir(d.dir); len(entries) > 0 {
			t.Errorf("%s mkfs left %v in the driver's directory", mode, entries)
		}
	}
	t.Setenv("STRATA_FAKE_MKFS", "ok")
	p, err := d.disk(n)
	if err != nil {
		t.Fatal(err)
	}
	if p != final {
		t.Errorf("image at %s, want %s", p, final)
	}
	if b, _ := os.ReadFile(p); string(b) != "fake-ext4" {
		t.Errorf("image holds %q, want what the successful mkfs wrote", b)
	}
	runs := mkfsRuns()
	if len(runs) != 3 {
		t.Fatalf("mkfs ran %d times (%v), want 3: each call after a failure rebuilds", len(runs), runs)
	}
	for _, target := range runs {
		if target == final || filepath.Dir(target) != d.dir {
			t.Errorf("mkfs made %s, want a temporary name beside %s", target, final)
		}
	}
	t.Setenv("STRATA_FAKE_MKFS", "fail")
	if p2, err := d.disk(n); err != nil || p2 != final {
		t.Errorf("second call: %s, %v; want the finished image reused", p2, err)
	}
	if len(mkfsRuns()) != 3 {
		t.Errorf("mkfs ran again for an image already made")
	}
}
