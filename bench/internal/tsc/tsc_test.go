package tsc

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseKernelLogTSC(t *testing.T) {
	for _, tc := range []struct {
		name, log string
		khz       int
		line      string
	}{
		{"dmesg, detected only", "[    0.000000] [Firmware Bug]: TSC doesn't count with P0 frequency!\n" +
			"[    0.000056] tsc: Detected 2596.126 MHz processor\n" +
			"[    0.251622] clocksource: tsc-early: mask: 0xffffffffffffffff max_cycles: 0x256bf0a106d\n" +
			"[    0.393556] clocksource: Switched to clocksource tsc\n",
			2_596_126, "tsc: Detected 2596.126 MHz processor"},
		{"refined wins, whatever the order", "[    1.512003] tsc: Refined TSC clocksource calibration: 3599.998 MHz\n" +
			"[    0.000000] tsc: Detected 3600.000 MHz processor\n",
			3_599_998, "tsc: Refined TSC clocksource calibration: 3599.998 MHz"},
		{"the TSC's own rate before the processor's", "[    0.000000] tsc: Detected 3400.000 MHz processor\n" +
			"[    0.000000] tsc: Detected 2995.200 MHz TSC\n",
			2_995_200, "tsc: Detected 2995.200 MHz TSC"},
		{"last refined line", "tsc: Refined TSC clocksource calibration: 2000.100 MHz\ntsc: Refined TSC clocksource calibration: 2000.200 MHz\n",
			2_000_200, "tsc: Refined TSC clocksource calibration: 2000.200 MHz"},
		{"/dev/kmsg records", "6,40,56,-;tsc: Detected 2596.126 MHz processor\n6,41,60,-;tsc: Fast TSC calibration using PIT\n",
			2_596_126, "tsc: Detected 2596.126 MHz processor"},
		{"syslog(2) with priorities", "<6>[    0.000000] tsc: Detected 1999.999 MHz processor\n<6>[    2.000000] tsc: Refined TSC clocksource calibration: 1999.9991 MHz\n",
			1_999_999, "tsc: Refined TSC clocksource calibration: 1999.9991 MHz"},
		{"no frequency", "[    0.000000] tsc: Fast TSC calibration failed\n[    0.1] clocksource: tsc: mask: 0xffff\n", 0, ""},
		{"garbage number", "tsc: Detected lots MHz processor\n", 0, ""},
		{"below 1 MHz (rounds to 0 kHz; found by the fuzzer)", "tsc: Detected .0001 MHz processor\n", 0, ""},
		{"empty", "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			khz, line, ok := parseKernelLogTSC(tc.log)
			if ok != (tc.khz != 0) || khz != tc.khz || line != tc.line {
				t.Errorf("parseKernelLogTSC = %d, %q, %v; want %d, %q", khz, line, ok, tc.khz, tc.line)
			}
		})
	}
}

func FuzzParseKernelLogTSC(f *testing.F) {
	f.Add("[    0.000056] tsc: Detected 2596.126 MHz processor\n")
	f.Add("tsc: Refined TSC clocksource calibration: 3599.998 MHz\n")
	f.Add("6,40,56,-;tsc: Detected 1e300 MHz TSC\n")
	f.Fuzz(func(t *testing.T, log string) {
		khz, line, ok := parseKernelLogTSC(log)
		if ok && (khz <= 0 || !strings.HasPrefix(line, "tsc: ")) {
			t.Errorf("%q: %d kHz from %q", log, khz, line)
		}
	})
}

func TestParseTSCFreqKHz(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"2596126\n", 2_596_126}, {"3000000", 3_000_000}, {"", 0}, {"0\n", 0}, {"-5\n", 0}, {"2.5 GHz\n", 0}} {
		got, err := parseTSCFreqKHz([]byte(tc.in))
		if got != tc.want || (err == nil) != (tc.want != 0) {
			t.Errorf("parseTSCFreqKHz(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// TestFindTSC checks the order of the sources and that the result says which one answered.
func TestFindTSC(t *testing.T) {
	sysfs := func(b string) func() ([]byte, error) {
		return func() ([]byte, error) {
			if b == "" {
				return nil, errors.New("no such file")
			}
			return []byte(b), nil
		}
	}
	klog := func(s string) func() (string, error) {
		return func() (string, error) {
			if s == "" {
				return "", errors.New("operation not permitted")
			}
			return s, nil
		}
	}
	calibrate := func(khz int) func() (int, error) {
		return func() (int, error) {
			if khz == 0 {
				return 0, errors.New("no TSC")
			}
			return khz, nil
		}
	}
	const logLine = "[    0.000056] tsc: Detected 2596.126 MHz processor\n"
	for _, tc := range []struct {
		name      string
		sysfs     string
		log       string
		calibrate int
		khz       int
		source    string
	}{
		{"sysfs first", "2800000\n", logLine, 2_700_000, 2_800_000, "tsc_freq_khz"},
		{"kernel log next", "", logLine, 2_700_000, 2_596_126, "kernel log"},
		{"bad sysfs value", "n/a\n", logLine, 2_700_000, 2_596_126, "kernel log"},
		{"calibration when the log says nothing", "", "[ 0.0] Linux version 6.1\n", 2_700_000, 2_700_000, "calibration"},
		{"calibration when the log is closed", "", "", 2_700_000, 2_700_000, "calibration"},
		{"a guess, with the reasons", "", "", 0, tscFallbackKHz, "a guess (no /sys/devices/system/cpu/cpu0/tsc_freq_khz; kernel log: operation not permitted; calibration: no TSC)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := findTSC(sysfs(tc.sysfs), klog(tc.log), calibrate(tc.calibrate))
			if r.KHz != tc.khz || !strings.Contains(r.Source, tc.source) {
				t.Errorf("findTSC = %d kHz from %q; want %d from …%s…", r.KHz, r.Source, tc.khz, tc.source)
			}
		})
	}
}

// TestCalibrateTSC checks the calibration against the kernel's own figure where the log
// can be read.
func TestCalibrateTSC(t *testing.T) {
	if !haveTSC {
		t.Skip("no TSC on this architecture")
	}
	khz, err := calibrateTSC(50 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("calibrated: %d kHz; chosen for guests: %d kHz from %s", khz, Host().KHz, Host().Source)
	log, err := readKernelLog()
	if err != nil {
		t.Skipf("kernel log: %v", err)
	}
	kernel, line, ok := parseKernelLogTSC(log)
	if !ok {
		t.Skip("no TSC line in the kernel log")
	}
	if off := math.Abs(float64(khz)/float64(kernel) - 1); off > 0.01 {
		t.Errorf("calibrated %d kHz, the kernel %d kHz (%s): %.2f%% off", khz, kernel, line, off*100)
	}
}
