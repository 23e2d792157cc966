package controlplane

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// TestProcCPU checks the /proc reading against the kernel's own accounting of this
// process (getrusage), after spending some processor time.
func TestProcCPU(t *testing.T) {
	x := 0
	for start := time.Now(); time.Since(start) < 100*time.Millisecond; {
		x++
	}
	got, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	want := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	// /proc counts in ticks of 10 ms; the two reads are a moment apart.
	if got > want+20*time.Millisecond || got < want-30*time.Millisecond || got == 0 {
		t.Errorf("procCPU %v, getrusage %v (x=%d)", got, want, x)
	}
	if _, err := procCPU(-1); err == nil {
		t.Error("procCPU(-1) did not fail")
	}
}
