package bench

import (
	"context"
	"os/exec"
	"testing"
)

// TestBusyboxMaxRSS checks the memory workload's unit against a process whose peak is
// known: busybox dd with a 64 MiB block allocates and fills a 64 MiB buffer, so its peak
// resident memory is a little above 64 MiB — not four times that, as busybox time prints.
func TestBusyboxMaxRSS(t *testing.T) {
	if !isStatic(busybox) {
		t.Skip("no static " + busybox)
	}
	cmd := exec.CommandContext(context.Background(), busybox, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	s, err := runWorkload(context.Background(), cmd, Workload{Name: Memory})
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxRSSKiB < 64<<10 || s.MaxRSSKiB > 80<<10 {
		t.Errorf("peak RSS of a 64 MiB dd: %d KiB, want 65,536–81,920", s.MaxRSSKiB)
	}
	t.Logf("dd bs=64M: %d KiB", s.MaxRSSKiB)
}
