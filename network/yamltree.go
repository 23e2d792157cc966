package network

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// node is a YAML value with its position, the intermediate form between the YAML parser's
// syntax tree and the model. Keeping our own small tree lets the decoder report every
// problem with file:line:col and check fields strictly without reflection.
type node struct {
	kind   nodeKind
	pos    Pos
	str    string // scalars: the text; for strings the value
	tag    string // scalar type: "str", "int", "float", "bool", "null"
	quoted bool
	exact  bool    // scalars: the text is written verbatim on one line, so offsets are columns
	items  []*node // sequence items
	keys   []*node // mapping keys (scalars), parallel to items
}

type nodeKind int

const (
	scalarNode nodeKind = iota
	seqNode
	mapNode
)

func (n *node) kindName() string {
	switch n.kind {
	case seqNode:
		return "a list"
	case mapNode:
		return "a mapping"
	}
	switch n.tag {
	case "null":
		return "null"
	case "int":
		return "an int"
	}
	return "a " + n.tag
}

// get returns the value of a mapping key, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != mapNode {
		return nil
	}
	for i, k := range n.keys {
		if k.str == key {
			return n.items[i]
		}
	}
	return nil
}

// parseYAML parses a file into documents. A syntax error is returned as one Problem.
func parseYAML(name string, data []byte) ([]*node, *Problem) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlProblem(name, err)
	}
	var docs []*node
	anchors := map[string]*node{}
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		n, err := convert(name, d.Body, anchors, 0)
		if err != nil {
			var p *Problem
			if errors.As(err, &p) {
				return nil, p
			}
			return nil, &Problem{Pos: Pos{File: name}, Code: CodeSyntax, Message: err.Error()}
		}
		if n.kind == scalarNode && n.tag == "null" {
			continue // an empty document, e.g. a trailing ---
		}
		docs = append(docs, n)
	}
	return docs, nil
}

func (p *Problem) Error() string { return p.String() }

// yamlProblem turns the YAML parser's error into a positioned Problem.
func yamlProblem(name string, err error) *Problem {
	p := &Problem{Pos: Pos{File: name}, Code: CodeSyntax, Message: "malformed YAML", Hint: "fix the YAML syntax"}
	msg := err.Error()
	var se interface {
		error
		GetMessage() string
	}
	if errors.As(err, &se) {
		msg = se.GetMessage()
	}
	p.Message = "malformed YAML: " + firstLine(msg)
	// The parser reports "[line:col] message"; read the position from the text so we do
	// not depend on the error type's internals.
	if m := strings.TrimSpace(err.Error()); strings.HasPrefix(m, "[") {
		if end := strings.IndexByte(m, ']'); end > 0 {
			lc := strings.SplitN(m[1:end], ":", 2)
			if len(lc) == 2 {
				p.Pos.Line, _ = strconv.Atoi(lc[0])
				p.Pos.Col, _ = strconv.Atoi(lc[1])
			}
		}
	}
	return p
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if strings.HasPrefix(s, "[") {
		if end := strings.Index(s, "] "); end > 0 {
			s = s[end+2:]
		}
	}
	return s
}

const maxDepth = 64

func convert(file string, n ast.Node, anchors map[string]*node, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, &Problem{Pos: astPos(file, n), Code: CodeSyntax, Message: "YAML nested too deeply", Hint: fmt.Sprintf("strata reads at most %d levels", maxDepth)}
	}
	pos := astPos(file, n)
	switch v := n.(type) {
	case *ast.DocumentNode:
		return convert(file, v.Body, anchors, depth+1)
	case *ast.TagNode:
		return convert(file, v.Value, anchors, depth+1)
	case *ast.AnchorNode:
		out, err := convert(file, v.Value, anchors, depth+1)
		if err != nil {
			return nil, err
		}
		if v.Name != nil {
			anchors[v.Name.String()] = out
		}
		return out, nil
	case *ast.AliasNode:
		name := ""
		if v.Value != nil {
			name = v.Value.String()
		}
		if a, ok := anchors[name]; ok {
			return a, nil
		}
		return nil, &Problem{Pos: pos, Code: CodeSyntax, Message: fmt.Sprintf("unknown YAML alias *%s", name), Hint: "define the anchor &" + name + " before using it"}
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 {
			// A block mapping's token is its first ':'; people expect its first key.
			if kp := astPos(file, v.Values[0].Key); kp.Line > 0 {
				pos = kp
			}
		}
		return convertMapping(file, pos, v.Values, anchors, depth)
	case *ast.MappingValueNode:
		return convertMapping(file, astPos(file, v.Key), []*ast.MappingValueNode{v}, anchors, depth)
	case *ast.SequenceNode:
		out := &node{kind: seqNode, pos: pos}
		for i, it := range v.Values {
			c, err := convert(file, it, anchors, depth+1)
			if err != nil {
				return nil, err
			}
			if isImplicitNull(it) && len(v.Entries) == len(v.Values) && v.Entries[i].Start != nil {
				c.pos = astPos(file, v.Entries[i]) // "- " with nothing after it: cite the "-"
			}
			out.items = append(out.items, c)
		}
		return out, nil
	case *ast.StringNode:
		return &node{kind: scalarNode, pos: pos, str: v.Value, tag: "str", quoted: isQuoted(v), exact: isVerbatim(v)}, nil
	case *ast.LiteralNode:
		s := ""
		if v.Value != nil {
			s = v.Value.Value
		}
		return &node{kind: scalarNode, pos: pos, str: s, tag: "str"}, nil
	case *ast.IntegerNode:
		return &node{kind: scalarNode, pos: pos, str: v.GetToken().Value, tag: "int"}, nil
	case *ast.FloatNode:
		return &node{kind: scalarNode, pos: pos, str: v.GetToken().Value, tag: "float"}, nil
	case *ast.BoolNode:
		return &node{kind: scalarNode, pos: pos, str: strconv.FormatBool(v.Value), tag: "bool"}, nil
	case *ast.NullNode:
		return &node{kind: scalarNode, pos: pos, tag: "null"}, nil
	case *ast.InfinityNode, *ast.NanNode:
		return &node{kind: scalarNode, pos: pos, str: n.GetToken().Value, tag: "float"}, nil
	case nil:
		return &node{kind: scalarNode, tag: "null", pos: Pos{File: file}}, nil
	}
	return nil, &Problem{Pos: pos, Code: CodeSyntax, Message: fmt.Sprintf("unsupported YAML construct %s", n.Type()), Hint: "use plain mappings, lists and scalars"}
}

func isQuoted(v *ast.StringNode) bool {
	if v.Token == nil {
		return false
	}
	o := v.Token.Origin
	o = strings.TrimSpace(o)
	return strings.HasPrefix(o, "'") || strings.HasPrefix(o, `"`)
}

// convertMapping converts a mapping's pairs in order (anchors must be defined before use)
// and applies merge keys last: a key written in the mapping overrides a merged one, and an
// earlier merged mapping overrides a later one, as YAML's merge key says.
func convertMapping(file string, pos Pos, pairs []*ast.MappingValueNode, anchors map[string]*node, depth int) (*node, error) {
	out := &node{kind: mapNode, pos: pos}
	var merged []*node
	for _, mv := range pairs {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			// "<<: *base" or "<<: [*a, *b]" merges the aliased mappings' pairs.
			src, err := convert(file, mv.Value, anchors, depth+1)
			if err != nil {
				return nil, err
			}
			srcs := []*node{src}
			if src.kind == seqNode {
				srcs = src.items
			}
			for _, m := range srcs {
				if m.kind != mapNode {
					return nil, &Problem{Pos: m.pos, Code: CodeSyntax, Message: "merge key << needs a mapping or a list of mappings", Hint: "write <<: *anchor where &anchor names a mapping"}
				}
			}
			merged = append(merged, srcs...)
			continue
		}
		if err := addPair(file, out, mv, anchors, depth); err != nil {
			return nil, err
		}
	}
	for _, m := range merged {
		for i, k := range m.keys {
			if out.get(k.str) == nil {
				out.keys = append(out.keys, k)
				out.items = append(out.items, m.items[i])
			}
		}
	}
	return out, nil
}

// isImplicitNull reports whether n is the null the parser inserts for a missing value.
func isImplicitNull(n ast.Node) bool {
	v, ok := n.(*ast.NullNode)
	return ok && v.Token != nil && v.Token.Type == token.ImplicitNullType
}

// isVerbatim reports whether a string scalar's value is its source text on one line (after
// the opening quote, if any). Escapes, doubled single quotes and folded lines make the value
// differ from the source, and then offsets into the value are not columns.
func isVerbatim(v *ast.StringNode) bool {
	if v.Token == nil || strings.ContainsAny(v.Value, "\n\r") {
		return false
	}
	o := strings.TrimSpace(v.Token.Origin)
	return o == v.Value || o == "'"+v.Value+"'" || o == `"`+v.Value+`"`
}

func addPair(file string, out *node, mv *ast.MappingValueNode, anchors map[string]*node, depth int) error {
	k, err := convert(file, mv.Key, anchors, depth+1)
	if err != nil {
		return err
	}
	if k.kind != scalarNode {
		return &Problem{Pos: k.pos, Code: CodeSyntax, Message: "mapping keys must be plain scalars"}
	}
	for _, prev := range out.keys {
		if prev.str == k.str {
			return &Problem{Pos: k.pos, Code: CodeSyntax, Message: fmt.Sprintf("key %q appears twice in one mapping (first at line %d)", k.str, prev.pos.Line), Hint: "remove or merge one of them"}
		}
	}
	val, err := convert(file, mv.Value, anchors, depth+1)
	if err != nil {
		return err
	}
	if isImplicitNull(mv.Value) {
		val.pos = k.pos // "key:" with nothing after it: cite the key, not the end of the line
	}
	out.keys = append(out.keys, k)
	out.items = append(out.items, val)
	return nil
}

func astPos(file string, n ast.Node) Pos {
	if n == nil {
		return Pos{File: file}
	}
	t := n.GetToken()
	if t == nil || t.Position == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: t.Position.Line, Col: t.Position.Column}
}
