package kmod

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/strata-dev/strata/bench/internal/guest"
)

// TestKmodOrder resolves the guest's disk and filesystem modules from the real module tree:
// each module after its dependencies, the soft crc32c dependency of ext4 included.
func TestKmodOrder(t *testing.T) {
	idx, err := Load(guest.Modules())
	if err != nil {
		t.Skipf("no guest modules: %v", err)
	}
	got, err := idx.Order("virtio_blk", "ext4")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, Name(p))
	}
	pos := func(n string) int { return slices.Index(names, n) }
	for _, pair := range [][2]string{{"virtio", "virtio_blk"}, {"virtio_ring", "virtio_blk"}, {"jbd2", "ext4"}, {"mbcache", "ext4"}, {"crc32c_generic", "ext4"}} {
		if pos(pair[0]) < 0 || pos(pair[1]) < 0 || pos(pair[0]) > pos(pair[1]) {
			t.Errorf("%s must load before %s: %v", pair[0], pair[1], names)
		}
	}
	if _, err := idx.Order("no_such_module"); err == nil {
		t.Error("unknown module resolved")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("missing tree accepted")
	}
}
