package network

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Document is one YAML document of a kind that another package reads (a Workload, a saved
// probe), with its apiVersion, kind and metadata already checked and its spec kept as a
// positioned tree for that package to decode with a [Reader].
type Document struct {
	Kind  string
	Name  string
	Names Text
	Pos   Pos // of metadata.name
	Spec  *Node
}

// Node is a YAML value with its position.
type Node struct{ n *node }

func wrap(n *node) *Node {
	if n == nil {
		return nil
	}
	return &Node{n}
}

// Pos is where the value starts.
func (x *Node) Pos() Pos { return x.n.pos }

// IsMap, IsList and IsNull report the value's shape.
func (x *Node) IsMap() bool  { return x.n.kind == mapNode }
func (x *Node) IsList() bool { return x.n.kind == seqNode }
func (x *Node) IsNull() bool { return x.n.kind == scalarNode && x.n.tag == "null" }

// Get returns a mapping's value for key, or nil.
func (x *Node) Get(key string) *Node { return wrap(x.n.get(key)) }

// Items returns a list's items.
func (x *Node) Items() []*Node {
	out := make([]*Node, len(x.n.items))
	for i, it := range x.n.items {
		out[i] = wrap(it)
	}
	return out
}

// Keys returns a mapping's keys in order.
func (x *Node) Keys() []string {
	out := make([]string, len(x.n.keys))
	for i, k := range x.n.keys {
		out[i] = k.str
	}
	return out
}

// ReadDocuments parses files and returns their documents of the given kinds, in order.
// Documents of the network's own kinds are skipped: they belong to [Load]. Every problem
// in every file is returned at once.
func ReadDocuments(files []File, kinds ...string) ([]Document, Problems) {
	var d decoder
	var out []Document
	for _, f := range files {
		docs, p := parseYAML(f.Name, f.Data)
		if p != nil {
			d.ps = append(d.ps, *p)
			continue
		}
		for _, n := range docs {
			h, ok := d.header(n, kinds)
			if !ok || contains(Kinds, h.kind) {
				continue
			}
			out = append(out, Document{Kind: h.kind, Name: h.name, Names: h.names, Pos: h.pos, Spec: wrap(h.spec)})
		}
	}
	d.ps.Sort()
	return out, d.ps
}

// Reader decodes Nodes strictly and collects every problem, so a package that reads its
// own document kind reports errors the way the network loader does.
type Reader struct{ d decoder }

// Problems returns what the reader found, sorted by position.
func (r *Reader) Problems() Problems {
	r.d.ps.Sort()
	return r.d.ps
}

// Addf records a problem.
func (r *Reader) Addf(pos Pos, code, hint, format string, args ...any) {
	r.d.add(pos, code, hint, format, args...)
}

// Fields checks a mapping's keys against the allowed ones, suggesting the nearest for a
// misspelt key, and reports whether x is a mapping.
func (r *Reader) Fields(x *Node, where string, allowed ...string) bool {
	if x == nil {
		return false
	}
	return r.d.fields(x.n, where, allowed...)
}

// String reads a scalar as a string.
func (r *Reader) String(x *Node, where string) (string, bool) {
	if x == nil {
		return "", false
	}
	s, _, ok := r.d.str(x.n, where)
	return s, ok
}

// Strings reads a list of strings (a single string counts as a list of one).
func (r *Reader) Strings(x *Node, where string) []string {
	if x == nil {
		return nil
	}
	return r.d.strList(x.n, where)
}

// Bool reads true or false.
func (r *Reader) Bool(x *Node, where string) bool {
	if x == nil {
		return false
	}
	return r.d.boolean(x.n, where)
}

// Int reads an integer within [lo, hi].
func (r *Reader) Int(x *Node, where string, lo, hi int64) (int64, bool) {
	if x == nil {
		return 0, false
	}
	if x.n.kind != scalarNode || x.n.tag != "int" {
		r.d.add(x.n.pos, CodeSchema, fmt.Sprintf("write a whole number from %d to %d", lo, hi), "%s must be a whole number, not %s", where, x.n.kindName())
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(x.n.str, "_", ""), 0, 64)
	if err != nil || v < lo || v > hi {
		r.d.add(x.n.pos, CodeSchema, fmt.Sprintf("write a whole number from %d to %d", lo, hi), "%s is out of range: %s", where, x.n.str)
		return 0, false
	}
	return v, true
}

// Duration reads a Go duration such as "10ms" or "2s".
func (r *Reader) Duration(x *Node, where string) (time.Duration, bool) {
	s, ok := r.String(x, where)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		r.d.add(x.n.pos, CodeSchema, `write a positive duration such as "10ms" or "2s"`, "%s: %q is not a duration", where, s)
		return 0, false
	}
	return d, true
}

// OneOf reads a string that must be one of the allowed values.
func (r *Reader) OneOf(x *Node, where string, allowed ...string) (string, bool) {
	s, ok := r.String(x, where)
	if !ok {
		return "", false
	}
	if !contains(allowed, s) {
		r.d.add(x.n.pos, CodeSchema, didYouMeanOr(s, allowed), "%s: unknown value %q", where, s)
		return "", false
	}
	return s, true
}
