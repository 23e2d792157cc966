// Package tsc finds the host's TSC frequency, which a QEMU microvm guest under TCG must be
// told (its TSC runs at the host's rate): from sysfs, the kernel log, or a calibration.
package tsc

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Rate is the host's TSC frequency and where it came from.
type Rate struct {
	KHz    int
	Source string // for the result's notes
}

// Host is the host's TSC frequency, found once: under TCG the guest's TSC runs at the
// host's TSC rate, so this is what a microvm guest must be told (tsc_early_khz). /proc/
// cpuinfo's "cpu MHz" is no substitute: with cpufreq it is the current clock of one core,
// which turbo and idle move away from the TSC's fixed rate.
var Host = sync.OnceValue(func() Rate {
	return findTSC(
		func() ([]byte, error) { return os.ReadFile(tscFreqSysfs) },
		readKernelLog,
		func() (int, error) { return calibrateTSC(50 * time.Millisecond) },
	)
})

const tscFreqSysfs = "/sys/devices/system/cpu/cpu0/tsc_freq_khz"

// tscFallbackKHz is used when no source answers.
const tscFallbackKHz = 2_000_000

// findTSC takes the first source that answers: the kernel's tsc_freq_khz in sysfs (a
// patch some distributions carry), the kernel log's calibration line, then a calibration
// here against CLOCK_MONOTONIC_RAW.
func findTSC(sysfs func() ([]byte, error), kernelLog func() (string, error), calibrate func() (int, error)) Rate {
	var why []string
	b, err := sysfs()
	if err == nil {
		khz, err := parseTSCFreqKHz(b)
		if err == nil {
			return Rate{khz, "the kernel's " + tscFreqSysfs}
		}
		why = append(why, err.Error())
	} else {
		why = append(why, "no "+tscFreqSysfs)
	}
	log, err := kernelLog()
	if err == nil {
		if khz, line, ok := parseKernelLogTSC(log); ok {
			return Rate{khz, fmt.Sprintf("the kernel log (%q)", line)}
		}
		why = append(why, "no TSC line in the kernel log")
	} else {
		why = append(why, "kernel log: "+err.Error())
	}
	khz, err := calibrate()
	if err == nil {
		return Rate{khz, "a 50 ms calibration against CLOCK_MONOTONIC_RAW"}
	}
	why = append(why, "calibration: "+err.Error())
	return Rate{tscFallbackKHz, "a guess (" + strings.Join(why, "; ") + ")"}
}

// parseTSCFreqKHz reads tsc_freq_khz: a decimal number of kHz.
func parseTSCFreqKHz(b []byte) (int, error) {
	s := strings.TrimSpace(string(b))
	khz, err := strconv.Atoi(s)
	if err != nil || khz <= 0 {
		return 0, fmt.Errorf("tsc_freq_khz %q is not a frequency", s)
	}
	return khz, nil
}

// parseKernelLogTSC finds the kernel's TSC frequency in its log (as dmesg prints it, as
// /dev/kmsg gives it, or as syslog(2) does): the last "tsc: Refined TSC clocksource
// calibration: N MHz" line, else "tsc: Detected N MHz TSC" (printed when the TSC's rate
// differs from the processor's), else "tsc: Detected N MHz processor". It returns kHz
// and the line's message.
func parseKernelLogTSC(log string) (khz int, line string, ok bool) {
	const (
		refined = iota
		detectedTSC
		detectedCPU
		none
	)
	best := none
	for l := range strings.Lines(log) {
		i := strings.Index(l, "tsc: ")
		if i < 0 {
			continue
		}
		msg, rest := strings.TrimSpace(l[i:]), strings.TrimSpace(l[i+len("tsc: "):])
		kind := none
		var num string
		if v, ok := strings.CutPrefix(rest, "Refined TSC clocksource calibration: "); ok {
			num, kind = v, refined
		} else if v, ok := strings.CutPrefix(rest, "Detected "); ok {
			num = v
			switch {
			case strings.HasSuffix(v, " MHz TSC"):
				kind = detectedTSC
			case strings.HasSuffix(v, " MHz processor"):
				kind = detectedCPU
			}
		}
		if kind == none || kind > best {
			continue
		}
		num, _, _ = strings.Cut(num, " MHz")
		mhz, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || !(mhz >= 1 && mhz < 1e6) { // NaN, absurd rates and ones that round to 0 kHz too
			continue
		}
		best, khz, line = kind, int(math.Round(mhz*1000)), msg
	}
	return khz, line, best != none
}

// readKernelLog reads the kernel's log buffer: /dev/kmsg, else syslog(2) (what dmesg
// reads). Both are refused where dmesg_restrict or a container's seccomp say so.
func readKernelLog() (string, error) {
	s, kerr := readKmsg()
	if kerr == nil {
		return s, nil
	}
	s, serr := readSyslog()
	if serr == nil {
		return s, nil
	}
	return "", errors.Join(kerr, serr)
}

// readKmsg reads the records /dev/kmsg holds now. Raw, non-blocking reads: the device
// returns one record per read, EAGAIN at the end, and EPIPE for records overwritten while
// reading (the next read goes on). Not through os.File, whose poller would wait at the end.
func readKmsg() (string, error) {
	fd, err := syscall.Open("/dev/kmsg", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("/dev/kmsg: %w", err)
	}
	defer syscall.Close(fd)
	var b strings.Builder
	buf := make([]byte, 8192) // a record is at most 1 KiB of text plus its dictionary
	for range 1 << 20 {
		n, err := syscall.Read(fd, buf)
		switch {
		case err == syscall.EAGAIN:
			return b.String(), nil
		case err == syscall.EPIPE || err == syscall.EINTR:
			continue
		case err != nil:
			return "", fmt.Errorf("/dev/kmsg: %w", err)
		case n == 0:
			return b.String(), nil
		}
		rec, _, _ := strings.Cut(string(buf[:n]), "\n") // the message; continuation lines follow
		b.WriteString(rec)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// readSyslog reads the kernel log with syslog(2)'s SYSLOG_ACTION_READ_ALL.
func readSyslog() (string, error) {
	const readAll, sizeBuffer = 3, 10
	size, err := syscall.Klogctl(sizeBuffer, nil)
	if err != nil {
		return "", fmt.Errorf("syslog(2): %w", err)
	}
	if size <= 0 {
		size = 1 << 20
	}
	buf := make([]byte, size)
	n, err := syscall.Klogctl(readAll, buf)
	if err != nil {
		return "", fmt.Errorf("syslog(2): %w", err)
	}
	return string(buf[:n]), nil
}

// calibrateTSC counts TSC ticks against CLOCK_MONOTONIC_RAW (not slewed by NTP) over d.
// Each end reads the TSC between two clock reads and keeps the closest pair of a few.
func calibrateTSC(d time.Duration) (int, error) {
	if !haveTSC {
		return 0, fmt.Errorf("no TSC to read on %s", runtime.GOARCH)
	}
	// One thread for both ends (the TSCs of cores need not agree where the TSC is not
	// invariant); unlocked afterwards, so the thread goes back to Go's pool.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	sample := func() (ns int64, tsc uint64, err error) {
		best := int64(math.MaxInt64)
		for range 7 {
			var a, b unix.Timespec
			if err := unix.ClockGettime(unix.CLOCK_MONOTONIC_RAW, &a); err != nil {
				return 0, 0, fmt.Errorf("clock_gettime: %w", err)
			}
			t := readTSC()
			if err := unix.ClockGettime(unix.CLOCK_MONOTONIC_RAW, &b); err != nil {
				return 0, 0, fmt.Errorf("clock_gettime: %w", err)
			}
			if w := b.Nano() - a.Nano(); w < best {
				best, ns, tsc = w, a.Nano()+w/2, t
			}
		}
		return ns, tsc, nil
	}
	ns0, tsc0, err := sample()
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	ns1, tsc1, err := sample()
	if err != nil {
		return 0, err
	}
	if ns1 <= ns0 || tsc1 <= tsc0 {
		return 0, fmt.Errorf("TSC went from %d to %d over %d ns", tsc0, tsc1, ns1-ns0)
	}
	return int(math.Round(float64(tsc1-tsc0) / float64(ns1-ns0) * 1e6)), nil
}
