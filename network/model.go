package network

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// APIVersion is the apiVersion every strata document carries.
const APIVersion = "strata.dev/v1alpha1"

// Text is a name or description in English and Chinese, as the seed gives them.
type Text struct {
	En string `json:"en,omitempty" yaml:"en,omitempty"`
	Zh string `json:"zh,omitempty" yaml:"zh,omitempty"`
}

// String prefers English and falls back to Chinese.
func (t Text) String() string {
	if t.En != "" {
		return t.En
	}
	return t.Zh
}

// Categories of entities.
const (
	CategoryValue       = "value"       // a value of a dimension (D1…D5, A1…A7, T1…T5, O1…O5)
	CategoryAxisPoint   = "axis-point"  // a point on a coordinate axis (X0…X4, Y0…Y4, Z0…Z4)
	CategoryTechnology  = "technology"  // KVM, runc, WasmEdge, K3s, OPA, …
	CategoryScenario    = "scenario"    // edge, ai-inference, serverless, microservices
	CategoryRequirement = "requirement" // resource-constrained, fast-startup, gpu, …
	CategoryConcept     = "concept"     // a named idea such as complete-observability
	CategoryExample     = "example"     // a stack placed in the X/Y/Z space by the seed
)

// Categories returns the entity categories a document may use.
func Categories() []string {
	return []string{CategoryValue, CategoryAxisPoint, CategoryTechnology, CategoryScenario, CategoryRequirement, CategoryConcept, CategoryExample}
}

func isCategory(s string) bool {
	switch s {
	case CategoryValue, CategoryAxisPoint, CategoryTechnology, CategoryScenario, CategoryRequirement, CategoryConcept, CategoryExample:
		return true
	}
	return false
}

// Entity is a node of the network.
type Entity struct {
	ID         string      `json:"id" yaml:"id"`
	Category   string      `json:"category" yaml:"category"`
	Names      Text        `json:"names" yaml:"names"`
	Aliases    []string    `json:"aliases,omitempty" yaml:"aliases,omitempty"`
	Dimension  string      `json:"dimension,omitempty" yaml:"dimension,omitempty"`
	Attributes []Attribute `json:"attributes,omitempty" yaml:"attributes,omitempty"`
	Source     Pos         `json:"source" yaml:"source"`
}

// Attr returns the named attribute.
func (e *Entity) Attr(name string) (Attribute, bool) {
	for _, a := range e.Attributes {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}

// Label is the entity's id followed by its English name, for people.
func (e *Entity) Label() string {
	if n := e.Names.String(); n != "" && n != e.ID {
		return e.ID + " " + n
	}
	return e.ID
}

// Attribute types.
const (
	TypeString = "string"
	TypeInt    = "int"
	TypeFloat  = "float"
	TypeBool   = "bool"
	TypeText   = "text" // English and Chinese
	TypeList   = "list" // a list of strings
)

// Attribute is a typed property of an entity. Exactly one of the value fields is set,
// as Type says.
type Attribute struct {
	Name   string   `json:"name" yaml:"name"`
	Type   string   `json:"type" yaml:"type"`
	String string   `json:"string,omitempty" yaml:"string,omitempty"`
	Int    int64    `json:"int,omitempty" yaml:"int,omitempty"`
	Float  float64  `json:"float,omitempty" yaml:"float,omitempty"`
	Bool   bool     `json:"bool,omitempty" yaml:"bool,omitempty"`
	Text   Text     `json:"text,omitempty" yaml:"text,omitempty"`
	List   []string `json:"list,omitempty" yaml:"list,omitempty"`
	Source Pos      `json:"source" yaml:"source"`
}

// Value returns the attribute's value as a plain Go value.
func (a Attribute) Value() any {
	switch a.Type {
	case TypeInt:
		return a.Int
	case TypeFloat:
		return a.Float
	case TypeBool:
		return a.Bool
	case TypeText:
		return a.Text
	case TypeList:
		return a.List
	}
	return a.String
}

// Dimension is an ordered set of values; an axis dimension is one of the X/Y/Z coordinates.
type Dimension struct {
	ID         string   `json:"id" yaml:"id"`
	Names      Text     `json:"names" yaml:"names"`
	Aliases    []string `json:"aliases,omitempty" yaml:"aliases,omitempty"`
	Definition Text     `json:"definition,omitempty" yaml:"definition,omitempty"`
	Axis       string   `json:"axis,omitempty" yaml:"axis,omitempty"`
	Values     []string `json:"values" yaml:"values"`
	Columns    []string `json:"columns,omitempty" yaml:"columns,omitempty"`
	Source     Pos      `json:"source" yaml:"source"`
}

// RelationType declares a relation and its algebraic properties. An order has a strict
// Symbol (">" read left to right, "<" its mirror; or "→") and, if it has one, a paired
// Equivalence symbol "="; chains of that relation use those symbols.
type RelationType struct {
	ID            string `json:"id" yaml:"id"`
	Names         Text   `json:"names" yaml:"names"`
	Description   Text   `json:"description,omitempty" yaml:"description,omitempty"`
	Symbol        string `json:"symbol,omitempty" yaml:"symbol,omitempty"`
	Equivalence   string `json:"equivalence,omitempty" yaml:"equivalence,omitempty"`
	Operator      string `json:"operator,omitempty" yaml:"operator,omitempty"`
	Transitive    bool   `json:"transitive" yaml:"transitive"`
	Symmetric     bool   `json:"symmetric" yaml:"symmetric"`
	Reflexive     bool   `json:"reflexive" yaml:"reflexive"`
	Irreflexive   bool   `json:"irreflexive" yaml:"irreflexive"`
	Antisymmetric bool   `json:"antisymmetric" yaml:"antisymmetric"`
	Inverse       string `json:"inverse,omitempty" yaml:"inverse,omitempty"`
	Greater       string `json:"greater,omitempty" yaml:"greater,omitempty"` // word for a > b, e.g. "stronger"
	Less          string `json:"less,omitempty" yaml:"less,omitempty"`       // word for a < b, e.g. "weaker"
	Source        Pos    `json:"source" yaml:"source"`
}

// IsOrder reports whether the relation is a strict order the reasoner closes and ranks.
func (r *RelationType) IsOrder() bool { return r.Transitive && !r.Symmetric }

// Properties are the names of the properties the relation type declares, in the order a
// document lists them.
func (r *RelationType) Properties() []string {
	var props []string
	for _, p := range []struct {
		on   bool
		name string
	}{{r.Transitive, "transitive"}, {r.Symmetric, "symmetric"}, {r.Reflexive, "reflexive"}, {r.Irreflexive, "irreflexive"}, {r.Antisymmetric, "antisymmetric"}} {
		if p.on {
			props = append(props, p.name)
		}
	}
	return props
}

// Fact kinds.
const (
	Declared = "declared"
	Derived  = "derived"
	Measured = "measured"
)

// Fact is subject – relation – object. For an order with an equivalence, Equal marks the
// fact "subject = object" rather than "subject > object".
type Fact struct {
	Subject  string `json:"subject" yaml:"subject"`
	Relation string `json:"relation" yaml:"relation"`
	Object   string `json:"object" yaml:"object"`
	Equal    bool   `json:"equal,omitempty" yaml:"equal,omitempty"`
	Kind     string `json:"kind" yaml:"kind"`
	Source   Pos    `json:"source" yaml:"source"`
	Note     string `json:"note,omitempty" yaml:"note,omitempty"` // e.g. "measured on host h at t"
}

// ChainDecl is a chain as written, kept so the network can be shown the way the seed shows it.
type ChainDecl struct {
	Relation string `json:"relation" yaml:"relation"`
	Text     string `json:"text" yaml:"text"`
	Source   Pos    `json:"source" yaml:"source"`
}

// FormulaDecl is a formula as written, with its parsed parts.
type FormulaDecl struct {
	Text     string   `json:"text" yaml:"text"`
	Result   string   `json:"result" yaml:"result"`
	Op       string   `json:"op" yaml:"op"`
	Relation string   `json:"relation" yaml:"relation"`
	Operands []string `json:"operands" yaml:"operands"`
	Source   Pos      `json:"source" yaml:"source"`
}

// Network is a loaded, validated relation network. It is immutable after Load.
type Network struct {
	Entities   []*Entity       `json:"entities" yaml:"entities"`
	Dimensions []*Dimension    `json:"dimensions" yaml:"dimensions"`
	Relations  []*RelationType `json:"relations" yaml:"relations"`
	Facts      []Fact          `json:"facts" yaml:"facts"`
	Chains     []ChainDecl     `json:"chains" yaml:"chains"`
	Formulas   []FormulaDecl   `json:"formulas" yaml:"formulas"`

	byID map[string]*Entity
	// The index of names is built on the first lookup by name: loading resolves facts by
	// id, and a check of a large network never needs it.
	nameOnce  sync.Once
	byName    map[string][]*Entity // lower-cased ids, names and aliases
	nameWords int                  // the most space-separated words of any key (ResolveList)
	dims      map[string]*Dimension
	rels      map[string]*RelationType
	relAlias  map[string]*RelationType
}

// nameIndex returns the index of lower-cased ids, names and aliases, building it once.
func (n *Network) nameIndex() map[string][]*Entity {
	n.nameOnce.Do(func() {
		n.byName = make(map[string][]*Entity, 4*len(n.Entities))
		ones := make([]*Entity, 0, 4*len(n.Entities)) // most names name one entity
		for _, e := range n.Entities {
			for _, k := range append([]string{e.ID, e.Names.En, e.Names.Zh}, e.Aliases...) {
				k = strings.ToLower(strings.TrimSpace(k))
				if k == "" {
					continue
				}
				es := n.byName[k]
				switch {
				case slices.Contains(es, e):
				case len(es) > 0:
					n.byName[k] = append(es, e)
				default:
					ones = append(ones, e)
					n.byName[k] = ones[len(ones)-1 : len(ones) : len(ones)]
				}
				n.nameWords = max(n.nameWords, countWords(k))
			}
		}
	})
	return n.byName
}

// countWords is len(strings.Fields(s)) without making the slice.
func countWords(s string) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in, n = true, n+1
		}
	}
	return n
}

// Entity returns the entity with exactly this id.
func (n *Network) Entity(id string) (*Entity, bool) {
	e, ok := n.byID[id]
	return e, ok
}

// Dimension returns the dimension with this id, name or alias (case-insensitive).
func (n *Network) Dimension(name string) (*Dimension, bool) {
	d, ok := n.dims[strings.ToLower(name)]
	return d, ok
}

// Relation returns the relation type with this id, name or inverse name.
func (n *Network) Relation(name string) (*RelationType, bool) {
	if r, ok := n.rels[name]; ok {
		return r, true
	}
	r, ok := n.relAlias[strings.ToLower(name)]
	return r, ok
}

// Resolve finds an entity by id, English or Chinese name, or alias, ignoring case. When
// the name is ambiguous or unknown the error says so and suggests the nearest names.
func (n *Network) Resolve(name string) (*Entity, error) {
	if e, ok := n.byID[name]; ok {
		return e, nil
	}
	es := n.nameIndex()[strings.ToLower(strings.TrimSpace(name))]
	switch len(es) {
	case 1:
		return es[0], nil
	case 0:
		return nil, &UnknownError{What: "entity", Name: name, Suggest: suggest(name, n.names())}
	}
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return nil, &AmbiguousError{Name: name, IDs: ids}
}

// find is Resolve without the error: the one entity a name denotes, if exactly one.
func (n *Network) find(name string) (*Entity, bool) {
	if e, ok := n.byID[name]; ok {
		return e, true
	}
	es := n.nameIndex()[strings.ToLower(strings.TrimSpace(name))]
	if len(es) == 1 {
		return es[0], true
	}
	return nil, false
}

func (n *Network) names() []string {
	out := make([]string, 0, 4*len(n.Entities))
	for _, e := range n.Entities {
		out = append(out, e.ID)
		out = append(out, e.Aliases...)
		if e.Names.En != "" {
			out = append(out, e.Names.En)
		}
		if e.Names.Zh != "" {
			out = append(out, e.Names.Zh)
		}
	}
	return out
}

// RelationIDs lists every relation type's id, sorted.
func (n *Network) RelationIDs() []string {
	out := make([]string, len(n.Relations))
	for i, r := range n.Relations {
		out[i] = r.ID
	}
	sort.Strings(out)
	return out
}

// DimensionIDs lists every dimension's id in declaration order.
func (n *Network) DimensionIDs() []string {
	out := make([]string, len(n.Dimensions))
	for i, d := range n.Dimensions {
		out[i] = d.ID
	}
	return out
}

// FactsOf returns the facts with this subject (and relation, if not empty).
func (n *Network) FactsOf(subject, relation string) []Fact {
	var out []Fact
	for _, f := range n.Facts {
		if f.Subject == subject && (relation == "" || f.Relation == relation) {
			out = append(out, f)
		}
	}
	return out
}

// FactsAbout returns the facts with this entity as subject or object.
func (n *Network) FactsAbout(id string) []Fact {
	var out []Fact
	for _, f := range n.Facts {
		if f.Subject == id || f.Object == id {
			out = append(out, f)
		}
	}
	return out
}

// UnknownError says a name is not in the network and suggests the nearest one.
type UnknownError struct {
	What, Name, Suggest string
}

func (e *UnknownError) Error() string {
	s := "unknown " + e.What + " " + e.Name
	if e.Suggest != "" {
		s += "; did you mean " + e.Suggest + "?"
	}
	return s
}

// AmbiguousError says a name matches several entities.
type AmbiguousError struct {
	Name string
	IDs  []string
}

func (e *AmbiguousError) Error() string {
	return "name " + e.Name + " is ambiguous: it could be " + strings.Join(e.IDs, ", ") + "; use an id"
}
