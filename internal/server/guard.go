package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/strata-dev/strata/network"
)

// What every answer carries, and what a request must carry, whatever its route: the
// browser-facing defences of a server that often listens on the browser's own machine.

// Content-Security-Policy of the answers that are not the UI: they load nothing, run
// nothing, and no page may frame them.
const cspNone = "default-src 'none'; frame-ancestors 'none'"

// guard wraps the whole server: security headers on every answer (JSON, errors, files,
// /metrics and the UI alike), then the Host check when hosts is not nil.
func (s *Server) guard(hosts *hostPolicy, h http.Handler) http.Handler {
	refused := s.instrument("(host not allowed)", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &apiError{Status: http.StatusMisdirectedRequest, Code: "host-not-allowed",
			Message: fmt.Sprintf("this server does not answer to the host name %q (it answers to %s); "+
				"a name it should answer to is added with strata serve --web.allowed-hosts NAME", r.Host, hosts)})
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Content-Security-Policy", cspNone) // the UI and the SVG charts set their own
		hd.Set("Referrer-Policy", "no-referrer")
		if hosts != nil && !hosts.allows(r.Host) {
			refused.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// hostPolicy is the host names a server answers to. A page served from a name the
// attacker controls can make that name resolve to 127.0.0.1 (DNS rebinding) and then read
// a loopback server as if it were its own origin; its requests still say the attacker's
// name in the Host header, so answering only to known names stops it. IP addresses are
// safe to allow wholesale: no rebinding page is served from one.
type hostPolicy struct {
	anyHost, anyIP bool
	names          map[string]bool // lower-case, IPs in canonical form
}

// newHostPolicy reads --web.allowed-hosts: host names or IP addresses without ports, or
// "*" for any.
func newHostPolicy(hosts []string) (*hostPolicy, error) {
	p := &hostPolicy{names: map[string]bool{}}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		switch {
		case h == "*":
			p.anyHost = true
		case h == "":
			return nil, fmt.Errorf("an empty host name")
		case strings.ContainsAny(h, "/ \t") || strings.Count(h, ":") == 1 || strings.HasPrefix(h, "["):
			return nil, fmt.Errorf("%q is not a host name: give names or addresses without a scheme or port, e.g. strata.example.com or 10.0.0.5", h)
		default:
			p.names[canonicalHost(h)] = true
		}
	}
	return p, nil
}

// listenerHosts is the policy of a server listening on addr with no --web.allowed-hosts:
// on loopback, localhost and the loopback addresses; on one address, that address, localhost
// and the machine's host name; on every address (":8080"), any IP address, localhost and
// the machine's host name. Nil (no check) for a listener that is not TCP: no browser
// reaches a unix socket.
func listenerHosts(addr net.Addr) *hostPolicy {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil
	}
	p := &hostPolicy{names: map[string]bool{"localhost": true}}
	switch {
	case tcp.IP.IsLoopback():
		p.names["127.0.0.1"], p.names["::1"], p.names[tcp.IP.String()] = true, true, true
		return p
	case tcp.IP == nil || tcp.IP.IsUnspecified():
		p.anyIP = true
	default:
		p.names[tcp.IP.String()] = true
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		p.names[canonicalHost(name)] = true
	}
	return p
}

// canonicalHost is a host name lower-cased without a trailing dot, or an IP address in
// its canonical form.
func canonicalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return h
}

// allows reports whether a request's Host header (with or without a port) is allowed. A
// request without one (HTTP/1.0) is: browsers always send it.
func (p *hostPolicy) allows(hostport string) bool {
	if p.anyHost || hostport == "" {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if p.anyIP && net.ParseIP(host) != nil {
		return true
	}
	return p.names[canonicalHost(host)]
}

func (p *hostPolicy) String() string {
	if p.anyHost {
		return "any host name"
	}
	names := make([]string, 0, len(p.names))
	for n := range p.names {
		names = append(names, n)
	}
	slices.Sort(names)
	s := strings.Join(names, ", ")
	if p.anyIP {
		s = "any IP address, " + s
	}
	return s
}

// pathNames rewrites, in what the server sends, the absolute paths of the files it read
// (network files, results files) to the names clients see: relative to the working
// directory for a file under it, else the file's name (with as many parent directories as
// tell it from another of the same name). Where the machine keeps its files is not the
// clients' business, and every answer passes through one writer, so no path can slip out
// by a route that forgot to shorten it.
type pathNames struct {
	json, text *strings.Replacer // nil: nothing to rewrite
}

// newPathNames collects the absolute paths of every position in the network (entities,
// facts, chains, problems: whatever carries a network.Pos) and of the results files.
func newPathNames(n *network.Network, results []string) pathNames {
	seen := map[string]bool{}
	var abs []string
	add := func(p string) {
		if filepath.IsAbs(p) && !seen[p] {
			seen[p] = true
			abs = append(abs, p)
		}
	}
	networkFiles(n, add)
	for _, r := range results {
		if a, err := filepath.Abs(r); err == nil {
			add(a)
		}
		add(r)
	}
	if len(abs) == 0 {
		return pathNames{}
	}
	// Longest first: a path that is a prefix of another must not be rewritten inside it.
	slices.SortFunc(abs, func(a, b string) int { return len(b) - len(a) })
	shown := displayNames(abs)
	var js, txt []string
	for _, p := range abs {
		txt = append(txt, p, shown[p])
		jp, _ := json.Marshal(p)
		jn, _ := json.Marshal(shown[p])
		js = append(js, string(jp[1:len(jp)-1]), string(jn[1:len(jn)-1]))
	}
	return pathNames{json: strings.NewReplacer(js...), text: strings.NewReplacer(txt...)}
}

// displayNames names each absolute path for clients.
func displayNames(paths []string) map[string]string {
	out := map[string]string{}
	wd, _ := os.Getwd()
	var outside []string
	for _, p := range paths {
		if rel, err := filepath.Rel(wd, p); wd != "" && err == nil && !strings.HasPrefix(rel, "..") {
			out[p] = rel
		} else {
			outside = append(outside, p)
		}
	}
	// The shortest tail of path elements that no other file outside shares.
	for _, p := range outside {
		parts := strings.Split(filepath.Clean(p), string(filepath.Separator))
		for k := 1; k <= len(parts); k++ {
			tail := filepath.Join(parts[len(parts)-k:]...)
			unique := true
			for _, q := range outside {
				if q != p && (q == tail || strings.HasSuffix(q, string(filepath.Separator)+tail)) {
					unique = false
					break
				}
			}
			if unique || k == len(parts)-1 {
				out[p] = tail
				break
			}
		}
	}
	return out
}

// networkFiles calls add with the file of every position of the network (its entities
// and their attributes, dimensions, relation types, facts, chains and formulas), once per
// run of positions in the same file: what walkPositions finds, written out
// (TestNetworkFiles judges it by walkPositions), without reflection — a reload of a
// large network would otherwise spend ~200 ms here.
func networkFiles(n *network.Network, add func(string)) {
	last := "\x00"
	file := func(p network.Pos) {
		if p.File != last {
			last = p.File
			add(p.File)
		}
	}
	for _, e := range n.Entities {
		file(e.Source)
		for i := range e.Attributes {
			file(e.Attributes[i].Source)
		}
	}
	for _, d := range n.Dimensions {
		file(d.Source)
	}
	for _, r := range n.Relations {
		file(r.Source)
	}
	for i := range n.Facts {
		file(n.Facts[i].Source)
	}
	for i := range n.Chains {
		file(n.Chains[i].Source)
	}
	for i := range n.Formulas {
		file(n.Formulas[i].Source)
	}
}

// rewrite applies the names to a body of the given media type; bodies that are not text
// (archives) are left alone (their files are rewritten before they are packed).
func (pn pathNames) rewrite(media string, b []byte) []byte {
	if pn.json == nil {
		return b
	}
	switch {
	case strings.HasPrefix(media, "application/json"):
		return []byte(pn.json.Replace(string(b)))
	case strings.HasPrefix(media, "application/yaml"), strings.HasPrefix(media, "text/"), media == mediaSVG:
		return []byte(pn.text.Replace(string(b)))
	}
	return b
}
