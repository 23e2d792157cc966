package yamlpos

import "unicode/utf8"

// Kind is a node's shape.
type Kind uint8

// Node kinds.
const (
	Scalar Kind = iota
	List        // a sequence
	Map         // a mapping
)

// Tag is a scalar's type, as YAML's core schema resolves it.
type Tag uint8

// Scalar tags.
const (
	Str Tag = iota
	Int
	Float
	Bool
	Null
)

var tagNames = [...]string{Str: "str", Int: "int", Float: "float", Bool: "bool", Null: "null"}

func (t Tag) String() string { return tagNames[t] }

const (
	flagQuoted   = 1 << iota // a single- or double-quoted scalar
	flagVerbatim             // the value is its source text on one line
	flagImplicit             // a null nobody wrote: "key:" or "- " with nothing after it
)

// Node is a YAML value with its position. A mapping holds its keys (scalars) and values in
// order; an alias is the very node its anchor names, so a tree may share subtrees.
type Node struct {
	file  *string // shared by the nodes of a file
	str   string  // scalars: the value
	kids  []*Node // lists: the items; mappings: key, value, key, value…
	line  int32
	col   int32
	kind  Kind
	tag   Tag
	flags uint8
}

// Pos is where the value starts: a scalar's first character (its quote, if quoted), a flow
// collection's bracket, a block list's first "-", a block mapping's first key. An implicit
// null ("key:" or "- " with nothing after it) is placed at its key or its "-".
func (n *Node) Pos() Pos {
	p := Pos{Line: int(n.line), Col: int(n.col)}
	if n.file != nil {
		p.File = *n.file
	}
	return p
}

// Kind is the node's shape.
func (n *Node) Kind() Kind { return n.kind }

// Tag is a scalar's type; collections are Str.
func (n *Node) Tag() Tag { return n.tag }

// Value is a scalar's value: "" for null and for collections, "true" or "false" for a
// bool however it was written, otherwise the text (a number as written).
func (n *Node) Value() string {
	switch n.tag {
	case Null:
		return ""
	case Bool:
		if n.str[0] == 't' || n.str[0] == 'T' {
			return "true"
		}
		return "false"
	}
	return n.str
}

// IsMap, IsList, IsScalar and IsNull report the node's shape.
func (n *Node) IsMap() bool    { return n.kind == Map }
func (n *Node) IsList() bool   { return n.kind == List }
func (n *Node) IsScalar() bool { return n.kind == Scalar }
func (n *Node) IsNull() bool   { return n.kind == Scalar && n.tag == Null }

// Quoted reports whether a scalar was written in quotes.
func (n *Node) Quoted() bool { return n.flags&flagQuoted != 0 }

// Implicit reports whether the node is a null nobody wrote: the value of "key:" or the
// item of "- " with nothing after either.
func (n *Node) Implicit() bool { return n.flags&flagImplicit != 0 }

// Verbatim reports whether a scalar's value is its source text on one line (after the
// opening quote, if any): no escapes, doubled quotes or folded lines. Only then are
// offsets into the value columns in the file.
func (n *Node) Verbatim() bool { return n.flags&flagVerbatim != 0 }

// Items returns a list's items. The slice is the node's own: do not modify it.
func (n *Node) Items() []*Node {
	if n.kind != List {
		return nil
	}
	return n.kids
}

// Len is the number of items of a list or pairs of a mapping (0 for a nil node).
func (n *Node) Len() int {
	if n == nil {
		return 0
	}
	switch n.kind {
	case List:
		return len(n.kids)
	case Map:
		return len(n.kids) / 2
	}
	return 0
}

// Key and Value return a mapping's i-th key and value.
func (n *Node) Key(i int) *Node     { return n.kids[2*i] }
func (n *Node) ValueAt(i int) *Node { return n.kids[2*i+1] }

// Keys returns a mapping's keys in order.
func (n *Node) Keys() []string {
	if n.kind != Map {
		return nil
	}
	out := make([]string, 0, len(n.kids)/2)
	for i := 0; i < len(n.kids); i += 2 {
		out = append(out, n.kids[i].Value())
	}
	return out
}

// Get returns a mapping's value for key, or nil (also when n is nil or not a mapping).
func (n *Node) Get(key string) *Node {
	if n == nil || n.kind != Map {
		return nil
	}
	for i := 0; i < len(n.kids); i += 2 {
		if n.kids[i].Value() == key {
			return n.kids[i+1]
		}
	}
	return nil
}

// KindName says what the node is, for messages: "a list", "a mapping", "null", "an int",
// "a str", "a float", "a bool".
func (n *Node) KindName() string {
	switch n.kind {
	case List:
		return "a list"
	case Map:
		return "a mapping"
	}
	switch n.tag {
	case Null:
		return "null"
	case Int:
		return "an int"
	}
	return "a " + n.tag.String()
}

// OffsetPos is the position of byte offset off inside a scalar's value. Offsets are
// columns only when the scalar is [Node.Verbatim]; otherwise (block scalars, escapes,
// folded lines) the scalar's start is the best there is.
func (n *Node) OffsetPos(off int) Pos {
	p := n.Pos()
	if !n.Verbatim() || n.tag != Str || off < 0 || off > len(n.str) || p.Line == 0 {
		return p
	}
	p.Col += utf8.RuneCountInString(n.str[:off])
	if n.Quoted() {
		p.Col++
	}
	return p
}
