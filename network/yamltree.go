package network

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
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
	if n.tag == "null" {
		return "null"
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
		out := &node{kind: mapNode, pos: pos}
		for _, mv := range v.Values {
			if err := addPair(file, out, mv, anchors, depth); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *ast.MappingValueNode:
		out := &node{kind: mapNode, pos: astPos(file, v.Key)}
		if err := addPair(file, out, v, anchors, depth); err != nil {
			return nil, err
		}
		return out, nil
	case *ast.SequenceNode:
		out := &node{kind: seqNode, pos: pos}
		for _, it := range v.Values {
			c, err := convert(file, it, anchors, depth+1)
			if err != nil {
				return nil, err
			}
			out.items = append(out.items, c)
		}
		return out, nil
	case *ast.StringNode:
		return &node{kind: scalarNode, pos: pos, str: v.Value, tag: "str", quoted: isQuoted(v)}, nil
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

func addPair(file string, out *node, mv *ast.MappingValueNode, anchors map[string]*node, depth int) error {
	if mv.Key != nil && mv.Key.IsMergeKey() {
		// "<<: *base" merges the aliased mapping's pairs.
		src, err := convert(file, mv.Value, anchors, depth+1)
		if err != nil {
			return err
		}
		if src.kind != mapNode {
			return &Problem{Pos: src.pos, Code: CodeSyntax, Message: "merge key << needs a mapping"}
		}
		out.keys = append(out.keys, src.keys...)
		out.items = append(out.items, src.items...)
		return nil
	}
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
