package probe

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The parsers below read kernel files and program output. Each takes bytes and never
// fails on odd input: it returns what it could make sense of (and is fuzzed to prove it).

// cpuInfo is the first processor of /proc/cpuinfo.
type cpuInfo struct {
	Vendor string   // vendor_id: GenuineIntel, AuthenticAMD
	Model  string   // model name
	Flags  []string // flags (x86) or Features (arm64), sorted
}

func (c cpuInfo) has(flag string) bool {
	_, ok := slices.BinarySearch(c.Flags, flag)
	return ok
}

// arch is "x86" or "arm" as far as /proc/cpuinfo tells (a probe may read another
// machine's root, so not runtime.GOARCH), "" when it does not.
func (c cpuInfo) arch() string {
	switch {
	case strings.HasPrefix(c.Vendor, "0x"): // CPU implementer, e.g. 0x41 (Arm), 0xc0 (Ampere)
		return "arm"
	case c.Vendor != "" || c.has("fpu"): // vendor_id: GenuineIntel, AuthenticAMD, …
		return "x86"
	case c.has("asimd") || c.has("evtstrm"):
		return "arm"
	}
	return ""
}

func parseCPUInfo(b []byte) cpuInfo {
	var c cpuInfo
	sawFlags := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" && (c.Vendor != "" || sawFlags) {
			break // the first processor is enough: flags are the same on every core
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "vendor_id", "CPU implementer":
			if c.Vendor == "" {
				c.Vendor = v
			}
		case "model name", "Hardware":
			if c.Model == "" {
				c.Model = v
			}
		case "flags", "Features":
			if !sawFlags {
				sawFlags = true
				c.Flags = strings.Fields(v)
			}
		}
	}
	slices.Sort(c.Flags)
	c.Flags = slices.Compact(c.Flags)
	return c
}

// parseKeyValues reads "Key:\tvalue" lines such as /proc/self/status.
func parseKeyValues(b []byte) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if _, dup := out[k]; !dup && k != "" {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

var versionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\bv?(\d+(?:\.\d+)+(?:[-+~][0-9A-Za-z][0-9A-Za-z.+~-]*)?)`)
}) // compiled on first use, not by every strata command

// parseVersion finds the version a program printed: the first dotted number, without a
// leading v and trailing punctuation ("Docker version 28.2.2, build e6534b4" → 28.2.2).
func parseVersion(out []byte) string {
	if len(out) > 4096 {
		out = out[:4096]
	}
	m := versionRE().FindSubmatch(out)
	if m == nil {
		return ""
	}
	return strings.TrimRight(string(m[1]), ".-+~")
}

// versionLine is the line of out that carries the version parseVersion finds (the first
// non-empty line when there is none), trimmed, for evidence.
func versionLine(out []byte) string {
	if len(out) > 4096 {
		out = out[:4096]
	}
	if loc := versionRE().FindIndex(out); loc != nil {
		start := bytes.LastIndexByte(out[:loc[0]], '\n') + 1
		end := bytes.IndexByte(out[loc[0]:], '\n')
		if end < 0 {
			end = len(out) - loc[0]
		}
		if s := firstLine(out[start : loc[0]+end]); s != "" {
			return s
		}
	}
	return firstLine(out)
}

// firstLine is the first non-empty line of out, trimmed, for evidence.
func firstLine(out []byte) string {
	for line := range strings.Lines(string(out)) {
		if s := strings.TrimSpace(line); s != "" {
			if len(s) > 120 {
				s = s[:120] + "…"
			}
			return s
		}
	}
	return ""
}

// parseFeatureFlags returns the +FEATURE tokens of crun --version ("+WASM:wasmedge").
func parseFeatureFlags(out []byte) []string {
	var fs []string
	for _, tok := range strings.Fields(string(out)) {
		if len(tok) > 1 && tok[0] == '+' {
			fs = append(fs, tok[1:])
		}
	}
	return fs
}

// parseWords returns the lines of out that are single words (runsc help platforms).
func parseWords(out []byte) []string {
	var ws []string
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) == 1 {
			ws = append(ws, f[0])
		}
	}
	return ws
}

// containerdRuntime is a runtime configured in containerd's config.toml.
type containerdRuntime struct {
	Name string
	Type string // runtime_type, e.g. io.containerd.runc.v2
}

var runtimeHeaderRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\[\s*plugins\s*\.\s*("io\.containerd\.[a-z0-9.]+"|'io\.containerd\.[a-z0-9.]+')\s*\.\s*containerd\s*\.\s*runtimes\s*\.\s*("[^"]+"|'[^']+'|[A-Za-z0-9_-]+)\s*\]$`)
})

// parseContainerdRuntimes reads the runtime handlers of a containerd config (version 2:
// plugins."io.containerd.grpc.v1.cri".containerd.runtimes.NAME; version 3:
// plugins."io.containerd.cri.v1.runtime".containerd.runtimes.NAME) and their
// runtime_type. It reads table headers and keys line by line, not all of TOML: enough for
// the files containerd writes and people edit.
func parseContainerdRuntimes(b []byte) []containerdRuntime {
	var out []containerdRuntime
	cur := -1
	for line := range strings.Lines(string(b)) {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			continue
		}
		if s[0] == '[' {
			cur = -1
			if m := runtimeHeaderRE().FindStringSubmatch(stripComment(s)); m != nil {
				name := strings.Trim(m[2], `"'`)
				cur = slices.IndexFunc(out, func(r containerdRuntime) bool { return r.Name == name })
				if cur < 0 {
					out = append(out, containerdRuntime{Name: name})
					cur = len(out) - 1
				}
			}
			continue
		}
		if cur < 0 {
			continue
		}
		k, v, ok := strings.Cut(stripComment(s), "=")
		if ok && strings.TrimSpace(k) == "runtime_type" {
			out[cur].Type = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return out
}

// parseContainerdImports reads the top-level imports array of a containerd config:
// imports = ["/etc/containerd/conf.d/*.toml", 'other.toml'], on one line or several. Like
// parseContainerdRuntimes it reads lines, not all of TOML.
func parseContainerdImports(b []byte) []string {
	var out []string
	in := false // inside the array
	for line := range strings.Lines(string(b)) {
		s := stripComment(strings.TrimSpace(line))
		if !in {
			if strings.HasPrefix(s, "[") {
				break // tables start: imports is a top-level key
			}
			k, v, ok := strings.Cut(s, "=")
			if !ok || strings.TrimSpace(k) != "imports" {
				continue
			}
			s, in = strings.TrimSpace(v), true
			if !strings.HasPrefix(s, "[") {
				return out
			}
			s = s[1:]
		}
		for s != "" {
			s = strings.TrimLeft(s, " \t,")
			if s == "" {
				break
			}
			if s[0] == ']' {
				return out
			}
			q := s[0]
			if q != '"' && q != '\'' {
				return out // not a string array
			}
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return out
			}
			if v := s[1 : end+1]; v != "" {
				out = append(out, v)
			}
			s = s[end+2:]
		}
	}
	return out
}

// stripComment drops a trailing # comment outside quotes.
func stripComment(s string) string {
	var q byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q == 0 && c == '#':
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

// btfHeader is struct btf_header (linux/btf.h).
type btfHeader struct {
	Magic   uint16
	Version uint8
	Flags   uint8
	HdrLen  uint32
	TypeOff uint32
	TypeLen uint32
	StrOff  uint32
	StrLen  uint32
}

const btfMagic = 0xeB9F

var errBTFHeader = errors.New("not a BTF header")

// parseBTFHeader reads the header of a raw BTF blob such as /sys/kernel/btf/vmlinux, in
// either byte order (the magic says which).
func parseBTFHeader(b []byte) (btfHeader, error) {
	var h btfHeader
	if len(b) < 24 {
		return h, fmt.Errorf("%w: %d bytes, want 24", errBTFHeader, len(b))
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch {
	case binary.LittleEndian.Uint16(b) == btfMagic:
	case binary.BigEndian.Uint16(b) == btfMagic:
		order = binary.BigEndian
	default:
		return h, fmt.Errorf("%w: magic %#04x, want %#04x", errBTFHeader, binary.LittleEndian.Uint16(b), btfMagic)
	}
	h = btfHeader{
		Magic:   btfMagic,
		Version: b[2],
		Flags:   b[3],
		HdrLen:  order.Uint32(b[4:]),
		TypeOff: order.Uint32(b[8:]),
		TypeLen: order.Uint32(b[12:]),
		StrOff:  order.Uint32(b[16:]),
		StrLen:  order.Uint32(b[20:]),
	}
	if h.HdrLen < 24 {
		return h, fmt.Errorf("%w: header length %d, want at least 24", errBTFHeader, h.HdrLen)
	}
	return h, nil
}

// size is the length of the blob the header describes.
func (h btfHeader) size() uint64 {
	return uint64(h.HdrLen) + max(uint64(h.TypeOff)+uint64(h.TypeLen), uint64(h.StrOff)+uint64(h.StrLen))
}

// virtioNames are the virtio device ids of the virtio specification (5 Device Types).
var virtioNames = map[uint64]string{
	1: "net", 2: "block", 3: "console", 4: "rng", 5: "balloon", 8: "scsi", 9: "9p",
	16: "gpu", 18: "input", 19: "vsock", 20: "crypto", 26: "fs", 27: "pmem", 41: "iommu",
}

// parseHex reads a sysfs hex number such as "0x10de\n".
func parseHex(b []byte) (uint64, bool) {
	s := strings.TrimSpace(string(b))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	n, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
