package yamlpos

// Two judges this package did not write: goccy/go-yaml (the parser strata used before,
// through the converter it used, kept here) and go.yaml.in/yaml/v3 (libyaml's Go port).
// For an input both read, the trees must agree with ours.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	gparser "github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
	yaml3 "go.yaml.in/yaml/v3"
)

// goccyDocs parses with goccy/go-yaml and converts the way strata's loader did.
func goccyDocs(data []byte) (docs []*Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("goccy panicked: %v", r)
		}
	}()
	f, err := gparser.ParseBytes(data, 0)
	if err != nil {
		return nil, err
	}
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		anchors := map[string]*Node{}
		n, err := gconvert(d.Body, anchors, 0)
		if err != nil {
			return nil, err
		}
		docs = append(docs, n)
	}
	return docs, nil
}

func gpos(n ast.Node) (int32, int32) {
	if n == nil {
		return 0, 0
	}
	t := n.GetToken()
	if t == nil || t.Position == nil {
		return 0, 0
	}
	return int32(t.Position.Line), int32(t.Position.Column)
}

func gnode(kind Kind, tag Tag, n ast.Node) *Node {
	l, c := gpos(n)
	return &Node{kind: kind, tag: tag, line: l, col: c}
}

func gconvert(n ast.Node, anchors map[string]*Node, depth int) (*Node, error) {
	if depth > 200 {
		return nil, errors.New("too deep")
	}
	switch v := n.(type) {
	case *ast.DocumentNode:
		return gconvert(v.Body, anchors, depth+1)
	case *ast.TagNode:
		return nil, errors.New("tags are not compared")
	case *ast.AnchorNode:
		out, err := gconvert(v.Value, anchors, depth+1)
		if err != nil {
			return nil, err
		}
		// goccy places "&a" with nothing after it, anchored scalars followed by a blank and
		// anchored values after a tab a column off; yaml.v3 places anchored values at the
		// anchor: no judge of where an anchored value is.
		out.line, out.col = 0, 0
		out.flags &^= flagImplicit
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
		return nil, fmt.Errorf("unknown alias %s", name)
	case *ast.MappingNode:
		out := gnode(Map, Str, n)
		if !v.IsFlowStyle && len(v.Values) > 0 {
			out.line, out.col = gpos(v.Values[0].Key)
		}
		return gmapping(out, v.Values, anchors, depth, v.IsFlowStyle)
	case *ast.MappingValueNode:
		out := gnode(Map, Str, v.Key)
		return gmapping(out, []*ast.MappingValueNode{v}, anchors, depth, false)
	case *ast.SequenceNode:
		out := gnode(List, Str, n)
		for i, it := range v.Values {
			c, err := gconvert(it, anchors, depth+1)
			if err != nil {
				return nil, err
			}
			if gimplicit(it) && len(v.Entries) == len(v.Values) && v.Entries[i].Start != nil {
				c.line, c.col = gpos(v.Entries[i])
				c.flags |= flagImplicit
			}
			out.kids = append(out.kids, c)
		}
		return out, nil
	case *ast.StringNode:
		out := gnode(Scalar, Str, n)
		out.str = v.Value
		if o := v.Token.Origin; !strings.HasPrefix(strings.TrimSpace(o), "'") && !strings.HasPrefix(strings.TrimSpace(o), `"`) && strings.ContainsAny(strings.TrimSpace(o), "\r\n") {
			out.line, out.col = 0, 0 // goccy places a plain scalar over several lines at its last line; not compared
		}
		if o := strings.TrimSpace(v.Token.Origin); strings.HasPrefix(o, "'") || strings.HasPrefix(o, `"`) {
			out.flags |= flagQuoted
		}
		if o := strings.Trim(v.Token.Origin, " \t\r\n"); !strings.ContainsAny(v.Value, "\n\r") && (o == v.Value || o == "'"+v.Value+"'" || o == `"`+v.Value+`"`) {
			out.flags |= flagVerbatim
		}
		return out, nil
	case *ast.LiteralNode:
		out := gnode(Scalar, Str, n)
		if v.Value != nil {
			out.str = v.Value.Value
		}
		return out, nil
	case *ast.IntegerNode:
		out := gnode(Scalar, Int, n)
		out.str = v.GetToken().Value
		return out, nil
	case *ast.FloatNode:
		out := gnode(Scalar, Float, n)
		out.str = v.GetToken().Value
		return out, nil
	case *ast.BoolNode:
		out := gnode(Scalar, Bool, n)
		out.str = strconv.FormatBool(v.Value)
		return out, nil
	case *ast.NullNode:
		out := gnode(Scalar, Null, n)
		if gimplicit(n) {
			out.flags |= flagImplicit
		}
		return out, nil
	case *ast.InfinityNode, *ast.NanNode:
		out := gnode(Scalar, Float, n)
		out.str = n.GetToken().Value
		return out, nil
	case nil:
		return &Node{kind: Scalar, tag: Null, flags: flagImplicit}, nil
	}
	return nil, fmt.Errorf("unsupported %s", n.Type())
}

func gimplicit(n ast.Node) bool {
	v, ok := n.(*ast.NullNode)
	return ok && v.Token != nil && v.Token.Type == token.ImplicitNullType
}

func gmapping(out *Node, pairs []*ast.MappingValueNode, anchors map[string]*Node, depth int, flow bool) (*Node, error) {
	var merged []*Node
	for _, mv := range pairs {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			src, err := gconvert(mv.Value, anchors, depth+1)
			if err != nil {
				return nil, err
			}
			srcs := []*Node{src}
			if src.kind == List {
				srcs = src.kids
			}
			for _, m := range srcs {
				if m.kind != Map {
					return nil, errors.New("merge of a non-mapping")
				}
			}
			merged = append(merged, srcs...)
			continue
		}
		k, err := gconvert(mv.Key, anchors, depth+1)
		if err != nil {
			return nil, err
		}
		if k.kind != Scalar {
			return nil, errors.New("non-scalar key")
		}
		if out.Get(k.Value()) != nil {
			return nil, errors.New("duplicate key")
		}
		val, err := gconvert(mv.Value, anchors, depth+1)
		if err != nil {
			return nil, err
		}
		if gimplicit(mv.Value) {
			val.line, val.col = k.line, k.col
		} else if val.kind == Scalar && val.tag == Null && flow {
			val.line, val.col = 0, 0 // "{a}": goccy places the missing value oddly; not compared
		}
		out.kids = append(out.kids, k, val)
	}
	for _, m := range merged {
		for i := 0; i < len(m.kids); i += 2 {
			if out.Get(m.kids[i].Value()) == nil {
				out.kids = append(out.kids, m.kids[i], m.kids[i+1])
			}
		}
	}
	return out, nil
}

// yaml3Docs parses with go.yaml.in/yaml/v3 into the same shape: tags as yaml.v3 resolves
// them (YAML 1.1's booleans and numbers differ from the core schema's, so tags are only
// compared where both say "str" or both say something else), positions as it reports them.
func yaml3Docs(data []byte) (docs []*Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml.v3 panicked: %v", r)
		}
	}()
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	for {
		var d yaml3.Node
		if err := dec.Decode(&d); err == io.EOF {
			return docs, nil
		} else if err != nil {
			return nil, err
		}
		if len(d.Content) == 0 {
			continue
		}
		body := d.Content[0]
		if body.Kind == yaml3.ScalarNode && body.Tag == "!!null" && body.Value == "" && body.Style == 0 {
			continue // an empty document
		}
		n, err := y3convert(body, 0)
		if err != nil {
			return nil, err
		}
		docs = append(docs, n)
	}
}

func y3convert(n *yaml3.Node, depth int) (*Node, error) {
	if depth > 200 {
		return nil, errors.New("too deep")
	}
	out := &Node{line: int32(n.Line), col: int32(n.Column)}
	if n.Anchor != "" || n.Kind == yaml3.ScalarNode && n.Tag == "!!null" && n.Value == "" {
		// yaml.v3 places an anchored value at its anchor and an empty value after its
		// key's ":"; strata places them at the value and the key, as goccy does.
		out.line, out.col = 0, 0
	}
	switch n.Kind {
	case yaml3.AliasNode:
		return y3convert(n.Alias, depth+1)
	case yaml3.ScalarNode:
		out.kind, out.str = Scalar, n.Value
		switch n.Tag {
		case "!!str", "!!binary", "!!timestamp":
			out.tag = Str
		case "!!null":
			out.tag = Null
		case "!!bool":
			out.tag = Bool
		case "!!int":
			out.tag = Int
		case "!!float":
			out.tag = Float
		default:
			return nil, errors.New("tag " + n.Tag)
		}
		if n.Style&(yaml3.DoubleQuotedStyle|yaml3.SingleQuotedStyle) != 0 {
			out.flags |= flagQuoted
		}
	case yaml3.SequenceNode:
		out.kind = List
		for _, c := range n.Content {
			k, err := y3convert(c, depth+1)
			if err != nil {
				return nil, err
			}
			out.kids = append(out.kids, k)
		}
	case yaml3.MappingNode:
		out.kind = Map
		var merged []*Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			v, err := y3convert(vn, depth+1)
			if err != nil {
				return nil, err
			}
			if kn.Tag == "!!merge" {
				srcs := []*Node{v}
				if v.kind == List {
					srcs = v.kids
				}
				merged = append(merged, srcs...)
				continue
			}
			k, err := y3convert(kn, depth+1)
			if err != nil {
				return nil, err
			}
			if k.kind != Scalar {
				return nil, errors.New("non-scalar key")
			}
			out.kids = append(out.kids, k, v)
		}
		for _, m := range merged {
			if m.kind != Map {
				return nil, errors.New("merge of a non-mapping")
			}
			for i := 0; i < len(m.kids); i += 2 {
				if out.Get(m.kids[i].Value()) == nil {
					out.kids = append(out.kids, m.kids[i], m.kids[i+1])
				}
			}
		}
	default:
		return nil, errors.New("unknown node kind")
	}
	return out, nil
}

// diffTrees says where two trees differ, or "". positions: compare line:col too;
// judgeTags: compare tags strictly (goccy) or only str against non-str (yaml.v3).
func diffTrees(path string, ours, judge *Node, positions, strictTags, flags bool) string {
	switch {
	case ours.kind != judge.kind:
		return fmt.Sprintf("%s: kind %d, judge %d", path, ours.kind, judge.kind)
	case positions && judge.line != 0 && (ours.line != judge.line || ours.col != judge.col):
		// A zero judge line is a position the judge does not say reliably.
		return fmt.Sprintf("%s: at %d:%d, judge %d:%d", path, ours.line, ours.col, judge.line, judge.col)
	case ours.kind == Scalar:
		if strictTags && ours.tag != judge.tag || !strictTags && (ours.tag == Str) != (judge.tag == Str) {
			return fmt.Sprintf("%s: tag %s %q, judge %s %q", path, ours.tag, ours.str, judge.tag, judge.str)
		}
		if ours.tag == Str && ours.Value() != judge.Value() || strictTags && ours.Value() != judge.Value() {
			return fmt.Sprintf("%s: value %q, judge %q", path, ours.Value(), judge.Value())
		}
		if ours.Quoted() != judge.Quoted() {
			return fmt.Sprintf("%s: quoted %v, judge %v", path, ours.Quoted(), judge.Quoted())
		}
		if flags && (ours.tag == Str && ours.Verbatim() != judge.Verbatim() || ours.Implicit() != judge.Implicit()) {
			return fmt.Sprintf("%s: verbatim/implicit %v/%v, judge %v/%v", path, ours.Verbatim(), ours.Implicit(), judge.Verbatim(), judge.Implicit())
		}
		return ""
	case len(ours.kids) != len(judge.kids):
		return fmt.Sprintf("%s: %d children, judge %d", path, len(ours.kids), len(judge.kids))
	}
	for i := range ours.kids {
		if d := diffTrees(path+"/"+strconv.Itoa(i), ours.kids[i], judge.kids[i], positions, strictTags, flags); d != "" {
			return d
		}
	}
	return ""
}
