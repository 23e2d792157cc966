package probe

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// seedFiles adds every fake host's copy of a file to the corpus: the test trees are the
// seeds.
func seedFiles(f *testing.F, rel string) {
	ms, _ := filepath.Glob(filepath.Join("testdata", "*", rel))
	for _, m := range ms {
		if b, err := os.ReadFile(m); err == nil {
			f.Add(b)
		}
	}
}

func FuzzCPUInfo(f *testing.F) {
	seedFiles(f, "proc/cpuinfo")
	f.Add([]byte("processor\t: 0\nCPU implementer\t: 0x41\nFeatures\t: fp asimd evtstrm aes\n\n"))
	f.Add([]byte("flags: vmx vmx  svm\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := parseCPUInfo(b)
		if !slices.IsSorted(c.Flags) {
			t.Errorf("flags not sorted: %q", c.Flags)
		}
		for i, fl := range c.Flags {
			if fl == "" || strings.ContainsAny(fl, " \t\n") || (i > 0 && c.Flags[i-1] == fl) {
				t.Errorf("bad flag %q in %q", fl, c.Flags)
			}
			if !c.has(fl) {
				t.Errorf("has(%q) is false", fl)
			}
		}
		if strings.Contains(c.Vendor, "\n") || strings.Contains(c.Model, "\n") {
			t.Errorf("newline in %q / %q", c.Vendor, c.Model)
		}
	})
}

var versionShape = regexp.MustCompile(`^\d+(\.\d+)+([-+~][0-9A-Za-z.+~-]*)?$`)

// FuzzProgramOutput covers the parsers of what programs print: versions, crun's feature
// flags, runsc's platforms and the evidence lines.
func FuzzProgramOutput(f *testing.F) {
	for _, s := range []string{
		"Docker version 28.2.2, build e6534b4\n", "runsc version 0.0~20221219.0\nspec: 1.0.2-dev\n",
		"containerd github.com/containerd/containerd/v2 v2.0.0 207ad711\n", "v20.20.2\n",
		"crun version 1.8.1\n+SYSTEMD +WASM:wasmedge +YAJL\n", "kvm\nptrace\nsystrap\n",
		"containerd-shim-spin-v2:\n  Version: 0.15.1\n", "1.2.3.", "v1.2-+", "",
		strings.Repeat("x", 5000) + " 1.2.3",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v := parseVersion(b)
		if v != "" {
			if !versionShape.MatchString(v) {
				t.Errorf("version %q has the wrong shape", v)
			}
			if !strings.Contains(string(b), v) {
				t.Errorf("version %q is not in the output", v)
			}
		}
		for _, s := range []string{versionLine(b), firstLine(b)} {
			if strings.ContainsAny(s, "\n") {
				t.Errorf("evidence line %q has a newline", s)
			}
		}
		if v != "" && !strings.Contains(versionLine(b), v) && len(versionLine(b)) < 120 {
			t.Errorf("versionLine %q lacks version %q", versionLine(b), v)
		}
		for _, fl := range parseFeatureFlags(b) {
			if fl == "" || strings.ContainsAny(fl, " \t\n") {
				t.Errorf("bad feature %q", fl)
			}
		}
		for _, w := range parseWords(b) {
			if w == "" || strings.ContainsAny(w, " \t\n") {
				t.Errorf("bad word %q", w)
			}
		}
	})
}

func FuzzContainerdConfig(f *testing.F) {
	seedFiles(f, "etc/containerd/config.toml")
	f.Add([]byte("version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.\"kata-fc\"] # fc\nruntime_type = \"io.containerd.kata-fc.v2\" # x\n"))
	f.Add([]byte("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.a]\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.a]\nruntime_type='x'\n"))
	f.Add([]byte("imports = [\n  \"conf.d/*.toml\", # x\n  '/a.toml',\n]\nimports = ['\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, imp := range parseContainerdImports(b) {
			if imp == "" {
				t.Errorf("empty import in %q", parseContainerdImports(b))
			}
		}
		rs := parseContainerdRuntimes(b)
		seen := map[string]bool{}
		for _, r := range rs {
			if r.Name == "" || seen[r.Name] {
				t.Errorf("runtime name %q empty or repeated in %+v", r.Name, rs)
			}
			seen[r.Name] = true
		}
	})
}

func FuzzBTFHeader(f *testing.F) {
	seedFiles(f, "sys/kernel/btf/vmlinux")
	be := make([]byte, 24)
	binary.BigEndian.PutUint16(be, btfMagic)
	binary.BigEndian.PutUint32(be[4:], 24)
	f.Add(be)
	f.Add([]byte{0x9f, 0xeb, 1, 0, 8, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseBTFHeader(b)
		if err != nil {
			return
		}
		if h.Magic != btfMagic || h.HdrLen < 24 || len(b) < 24 {
			t.Errorf("accepted a bad header %+v from %d bytes", h, len(b))
		}
		if h.size() < uint64(h.HdrLen) {
			t.Errorf("size %d below header length %d", h.size(), h.HdrLen)
		}
	})
}

// FuzzFields covers the small parsers of kernel files: "Key: value" lines
// (/proc/self/status) and sysfs hex numbers (internal/mountinfo fuzzes mountinfo).
func FuzzFields(f *testing.F) {
	seedFiles(f, "proc/self/status")
	for _, s := range []string{"Seccomp:\t2\nSeccomp:\t0\n:x\nno colon\n", "0x10de\n", "0X1AF4", "0x", "zz",
		"10000000000000000", `/mnt/my\040disk`, `\`, `\04`, `\0400`, `a\134b`, `\999`, `\377\400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for k, v := range parseKeyValues(b) {
			if k == "" || k != strings.TrimSpace(k) || v != strings.TrimSpace(v) || strings.Contains(k, "\n") {
				t.Errorf("bad pair %q: %q", k, v)
			}
		}
		if n, ok := parseHex(b); !ok && n != 0 {
			t.Errorf("parseHex(%q) = %d but not ok", b, n)
		}
	})
}
