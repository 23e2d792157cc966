package network

import (
	"context"
	"errors"
	"slices"

	"github.com/strata-dev/strata/network/yamlpos"
)

// Decls is what one document declares, given as values instead of YAML, each thing with
// its position: an importer that knows where everything it read came from (package kb,
// reading Markdown) hands its documents to [LoadDecls] this way rather than writing YAML
// for [Load] to parse again. Decls are read as the YAML documents declaring the same
// would be, in this order: a Dimension document per dimension, one Entities document,
// one Facts document. LoadDecls does not modify them, so they can be loaded again.
type Decls struct {
	Dimensions []DeclDimension
	Entities   []DeclEntity
	Chains     []DeclChain
	Facts      []DeclFact
	Formulas   []DeclFormula
}

// DeclDimension is a Dimension document: the dimension (its Values are those of Values
// that are new entities) and the category of its values.
type DeclDimension struct {
	Dimension Dimension
	Category  string
	Values    []DeclEntity
}

// DeclEntity is an entity as an item of a Dimension or Entities document.
type DeclEntity struct {
	Entity    Entity // its Category is ignored for a dimension's value
	Merge     bool
	Relations []DeclRelation
}

// DeclRelation is one object of an entity's relations: relation: [object].
type DeclRelation struct {
	Relation    string
	RelationPos Pos
	Object      string
	ObjectPos   Pos
}

// DeclChain is a chain of a Facts document. Text is read as a chain value is; TermPos,
// when it has one position per term of Text, places the terms (and so the facts),
// otherwise every term is at Source.
type DeclChain struct {
	Relation    string
	RelationPos Pos
	Text        string
	Source      Pos
	TermPos     []Pos
}

// DeclFact is a fact of a Facts document (kind declared).
type DeclFact struct {
	Subject, Relation, Object          string
	SubjectPos, RelationPos, ObjectPos Pos
	Equal                              bool
}

// DeclFormula is a formula of a Facts document. ResultPos and OperandPos place its
// result and operands (OperandPos only when it has one position per operand); otherwise
// they are at Source.
type DeclFormula struct {
	Text       string
	Source     Pos
	ResultPos  Pos
	OperandPos []Pos
}

// LoadDecls is [LoadContext] of the files, then of decls, each as the documents it
// stands for.
func LoadDecls(ctx context.Context, files []File, decls []*Decls, opts ...Options) (*Network, error) {
	var o Options
	for _, x := range opts {
		o.ExtraKinds = append(o.ExtraKinds, x.ExtraKinds...)
		if x.Limits != (yamlpos.Limits{}) {
			o.Limits = x.Limits
		}
	}
	b := newBuilder()
	for _, f := range files {
		err := yamlpos.Scan(ctx, f.Name, f.Data, o.Limits, func(n *yamlpos.Node) error {
			b.document(n, o.ExtraKinds)
			return nil
		})
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				return nil, err
			}
			b.r.Add(*p)
		}
	}
	for i, d := range decls {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		b.decls(d)
	}
	return b.finish(ctx)
}

func (b *builder) decls(d *Decls) {
	for _, dd := range d.Dimensions {
		dim := dd.Dimension // a copy: the builder fills its values
		dim.Values = nil
		dim.Aliases = slices.Clone(dim.Aliases)
		if b.duplicateDimension(&dim) {
			continue
		}
		for _, v := range dd.Values {
			ed := v.decl()
			ed.e.Category = dd.Category
			b.addValue(&dim, ed)
		}
		b.addDimension(&dim)
	}
	for _, e := range d.Entities {
		b.addEntity(e.decl())
	}
	if len(d.Chains) == 0 && len(d.Facts) == 0 && len(d.Formulas) == 0 {
		return
	}
	var fd factsDecl
	fd.chains = make([]chainDecl, len(d.Chains))
	for i, c := range d.Chains {
		fd.chains[i] = chainDecl{relation: c.Relation, relPos: c.RelationPos, chain: scalar{text: c.Text, pos: c.Source}, termPos: c.TermPos}
	}
	fd.facts = make([]factDecl, len(d.Facts))
	for i, f := range d.Facts {
		fd.facts[i] = factDecl{subject: f.Subject, relation: f.Relation, object: f.Object, sp: f.SubjectPos, rp: f.RelationPos, op: f.ObjectPos, equal: f.Equal, kind: Declared}
	}
	for _, f := range d.Formulas {
		rp := f.ResultPos
		fd.formulas = append(fd.formulas, formulaDecl{scalar: scalar{text: f.Text, pos: f.Source}, resPos: &rp, opPos: f.OperandPos})
	}
	b.pendingFacts = append(b.pendingFacts, fd)
}

// decl is the builder's entity declaration of e, sharing nothing that the builder may
// change (a merge changes the earlier entity's attributes and aliases in place).
func (e DeclEntity) decl() entityDecl {
	ed := entityDecl{e: e.Entity, merge: e.Merge}
	ed.e.Aliases = slices.Clip(slices.Clone(ed.e.Aliases))
	ed.e.Attributes = slices.Clip(slices.Clone(ed.e.Attributes))
	for i := range ed.e.Attributes {
		ed.e.Attributes[i].List = slices.Clone(ed.e.Attributes[i].List)
	}
	if len(e.Relations) > 0 {
		ed.relations = make([]relDecl, len(e.Relations))
		for i, r := range e.Relations {
			ed.relations[i] = relDecl{relation: r.Relation, relPos: r.RelationPos, object: r.Object, objPos: r.ObjectPos}
		}
	}
	return ed
}
