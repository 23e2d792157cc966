package kb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/strata-dev/strata/network"
)

// Limits bound the work of a read before any parsing: how many documents, how large one
// may be, and how large all together.
type Limits struct {
	MaxFiles      int   // default 100,000
	MaxFileBytes  int64 // default 16 MiB
	MaxTotalBytes int64 // default 512 MiB
}

// DefaultLimits are the limits a zero Limits stands for.
var DefaultLimits = Limits{MaxFiles: 100_000, MaxFileBytes: 16 << 20, MaxTotalBytes: 512 << 20}

// ErrLimit is matched (errors.Is) by the error of a read past its Limits.
var ErrLimit = errors.New("knowledge base too large")

// Options tune a Reader.
type Options struct {
	// Base is the network the documents are read against: the names they use are looked
	// up there first (a row that names an entity of the base describes that entity), its
	// relation types are the ones chain labels can name, and its names help choose the
	// characters that lost bytes to mojibake. Nil reads the documents alone (then no
	// chain label names a relation unless NewRelations is set).
	Base *network.Network
	// NewRelations declares a relation type for each chain label that names none,
	// instead of reporting it.
	NewRelations bool
	Limits       Limits
}

// Reader reads Markdown knowledge bases. It keeps what it read of each document, so
// reading the same documents again after one of them changed only reads that one again
// (resolution across documents and the network documents are made anew). A Reader is
// safe for concurrent use; reads are serialised.
type Reader struct {
	opts Options
	base *baseIndex
	lex  *lexicon // names of the base network and the vocabulary, shared by every read

	mu    sync.Mutex
	cache map[string]*cachedDoc
	last  *lastRead
	// fastReads counts the reads that resolved only changed chains (for tests), and
	// renameReads those of them that also renamed rows
	fastReads, renameReads int
	// loader loads the imports of this Reader, reusing the last network's entities when
	// only chains changed
	loader network.Loader
}

type cachedDoc struct {
	raw      []byte
	text     string // decoded; holds holeRune where characters lost bytes
	decoding Decoding
	holes    []hole
	err      error
	// the parse of filled (the text with its holes chosen)
	filled string
	parsed *parsedDoc
}

// NewReader returns a Reader with the options.
func NewReader(opts Options) *Reader {
	if opts.Limits.MaxFiles <= 0 {
		opts.Limits.MaxFiles = DefaultLimits.MaxFiles
	}
	if opts.Limits.MaxFileBytes <= 0 {
		opts.Limits.MaxFileBytes = DefaultLimits.MaxFileBytes
	}
	if opts.Limits.MaxTotalBytes <= 0 {
		opts.Limits.MaxTotalBytes = DefaultLimits.MaxTotalBytes
	}
	r := &Reader{opts: opts, base: newBaseIndex(opts.Base), cache: map[string]*cachedDoc{}}
	r.lex = newLexicon()
	if opts.Base != nil {
		addNetworkNames(r.lex, opts.Base)
	}
	for _, w := range vocab().words() {
		r.lex.addName(w)
	}
	return r
}

// Document is what one Markdown document became.
type Document struct {
	// Source is the Markdown file's name, as positions cite it.
	Source string `json:"source" yaml:"source"`
	// Name is the network file written for it: Source with .yaml for .md.
	Name     string   `json:"name" yaml:"name"`
	Decoding Decoding `json:"decoding" yaml:"decoding"`
	// Read lists what was read (tables, chains, formulas, definitions, new entities),
	// Skipped what was not (links, metadata, prose, code in other languages), and
	// Problems what is wrong, each with its line.
	Read     []Note           `json:"read" yaml:"read"`
	Skipped  []Note           `json:"skipped" yaml:"skipped"`
	Problems network.Problems `json:"problems" yaml:"problems"`
	// Warnings are what the reader did without certainty: characters that lost bytes to
	// mojibake and were chosen with a confidence under 0.75. They do not stop the
	// network from loading.
	Warnings network.Problems `json:"warnings,omitempty" yaml:"warnings,omitempty"`

	out    *docOut
	decls  *network.Decls // the declarations as values, when direct
	direct bool
	once   sync.Once // emit, on first use
	yaml   []byte
	pm     *posMap
}

// YAML returns the network documents (strata.dev/v1alpha1) the Markdown declares; each
// line ends with the Markdown line it came from.
func (d *Document) YAML() []byte {
	d.emit()
	return d.yaml
}

func (d *Document) emit() {
	d.once.Do(func() { d.yaml, d.pm = emit(d.out, d.Decoding) })
}

// Import is what a Reader made of a knowledge base.
type Import struct {
	Documents []*Document `json:"documents" yaml:"documents"`
	// Problems is every document's problems, sorted by position; Warnings every
	// document's warnings.
	Problems network.Problems `json:"problems" yaml:"problems"`
	Warnings network.Problems `json:"warnings,omitempty" yaml:"warnings,omitempty"`

	loader *network.Loader // the Reader's
}

// WarnBelow is the confidence under which a choice of a character is a warning.
const WarnBelow = 0.75

// Read reads the documents. Every problem of every document is in the Import; the error
// is for a read that could not be done at all (the context, a limit).
func (r *Reader) Read(ctx context.Context, files []network.File) (*Import, error) {
	lim := r.opts.Limits
	if len(files) > lim.MaxFiles {
		return nil, fmt.Errorf("%w: %d documents, more than the limit of %d", ErrLimit, len(files), lim.MaxFiles)
	}
	var total int64
	for _, f := range files {
		total += int64(len(f.Data))
	}
	if total > lim.MaxTotalBytes {
		return nil, fmt.Errorf("%w: %d bytes in all, more than the limit of %d", ErrLimit, total, lim.MaxTotalBytes)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	docs := make([]*cachedDoc, len(files))
	var decode []int // the documents read for the first time, or changed
	for i, f := range files {
		seen[f.Name] = true
		c := r.cache[f.Name]
		if c == nil || !bytes.Equal(c.raw, f.Data) {
			c = &cachedDoc{raw: bytes.Clone(f.Data)}
			if int64(len(f.Data)) > lim.MaxFileBytes {
				c.err = fmt.Errorf("%w: %d bytes, more than the limit of %d for one document", ErrLimit, len(f.Data), lim.MaxFileBytes)
			} else {
				decode = append(decode, i)
			}
		}
		docs[i] = c
	}
	// Documents are decoded and parsed each on its own, so on every processor.
	err := each(ctx, len(decode), func(k int) {
		c := docs[decode[k]]
		c.text, c.decoding, c.holes, c.err = decodeBytes(c.raw)
	})
	if err != nil {
		return nil, err
	}
	anyHoles := false
	for i, c := range docs {
		r.cache[files[i].Name] = c
		anyHoles = anyHoles || len(c.holes) > 0
	}
	for name := range r.cache {
		if !seen[name] {
			delete(r.cache, name)
		}
	}
	var lex *lexicon
	if anyHoles {
		lex = r.lex.withCounts()
		for _, c := range docs {
			if c.err == nil {
				lex.addText(c.text)
			}
		}
	}
	parsed := make([]*parsedDoc, len(files))
	texts := make([]string, len(files))
	var parse []int
	for i, c := range docs {
		name := files[i].Name
		if c.err != nil {
			d := &parsedDoc{name: name}
			code, hint := CodeEncoding, "convert it to UTF-8 text, or leave it out of the knowledge base"
			if errors.Is(c.err, ErrLimit) {
				code, hint = CodeLimit, "split it into several documents"
			}
			d.problem(network.Pos{File: name, Line: 1}, code, hint, "not read: %v", c.err)
			parsed[i] = d
			continue
		}
		text, dec := c.text, c.decoding
		if len(c.holes) > 0 {
			holes := append([]hole{}, c.holes...)
			text = lex.fillHoles(c.text, holes)
			m := *dec.Mojibake
			m.Choices = make([]Choice, len(holes))
			for j, h := range holes {
				m.Choices[j] = h.choice
			}
			dec.Mojibake = &m
		}
		if c.parsed == nil || c.filled != text || c.parsed.name != name {
			parsed[i], texts[i] = &parsedDoc{name: name, decoding: dec}, text
			parse = append(parse, i)
			continue
		}
		c.parsed.decoding = dec
		parsed[i] = c.parsed
	}
	err = each(ctx, len(parse), func(k int) {
		d := parsed[parse[k]]
		extract(d, normalise(d, texts[parse[k]]))
	})
	if err != nil {
		return nil, err
	}
	for _, i := range parse {
		docs[i].filled, docs[i].parsed = texts[i], parsed[i]
	}
	if !anyHoles {
		if im, ok := r.again(parsed); ok {
			r.fastReads++
			im.loader = &r.loader
			return im, nil
		}
	}
	r.last = nil
	rows := 0
	for _, d := range parsed {
		for _, dd := range d.dims {
			rows += len(dd.rows)
		}
	}
	res := newResolver(r.base, r.opts, rows)
	outs, err := res.run(ctx, parsed)
	if err != nil {
		return nil, err
	}
	docs2 := make([]*Document, len(outs))
	if err := each(ctx, len(outs), func(i int) { docs2[i] = document(outs[i]) }); err != nil {
		return nil, err
	}
	if !anyHoles && !res.chainsChanged {
		r.last = &lastRead{res: res, outs: outs, docs: docs2}
	}
	im := newImport(docs2)
	im.loader = &r.loader
	return im, nil
}

// lastRead is what the last read resolved, kept when resolving its chains and formulas
// changed nothing the resolver knows: then the chains of a document are resolved against
// the same names whichever documents come before it, and a read in which only chains
// and formulas changed needs to resolve only those again (see again).
type lastRead struct {
	res  *resolver
	outs []*docOut
	docs []*Document
}

// again is the read of parsed when, since the last read, the documents changed only in
// their chains and formulas: the changed documents' chains and formulas are resolved
// against the last read's names, every other document is the last read's. It is what a
// read from scratch gives (TestReloadIsFromScratch judges that); it is false when it
// cannot be sure of that, and then the documents are read from scratch.
func (r *Reader) again(parsed []*parsedDoc) (*Import, bool) {
	last := r.last
	if last == nil || len(last.outs) != len(parsed) {
		return nil, false
	}
	res := last.res
	var changed, renamed []int
	for i, d := range parsed {
		old := last.outs[i].src
		if d == old {
			continue
		}
		if d.name != old.name || !reflect.DeepEqual(d.embedded, old.embedded) {
			return nil, false
		}
		if !reflect.DeepEqual(d.dims, old.dims) {
			if !sameRows(d.dims, old.dims) {
				return nil, false
			}
			renamed = append(renamed, i)
		}
		changed = append(changed, i)
	}
	if len(changed) == 0 {
		return newImport(last.docs), true
	}
	// The hints for unknown names stop after a hundred: all must have been given, and
	// must still be.
	total := res.suggestionsAfterRows
	for _, a := range res.afterRows {
		total += a.suggestions
	}
	if total > maxSuggestions {
		return nil, false
	}
	var rowOuts map[int]*docOut
	if len(renamed) > 0 {
		if total > 0 {
			return nil, false // a did-you-mean hint was chosen among every name
		}
		var ok bool
		if rowOuts, ok = renameRows(res, last.outs, parsed, renamed); !ok {
			return nil, false
		}
	}
	defer func() {
		if len(rowOuts) > 0 && r.last != last {
			r.renameReads++
		}
	}()
	outs := slices.Clone(last.outs)
	docs := slices.Clone(last.docs)
	after := slices.Clone(res.afterRows)
	res.frozen, res.chainsChanged = true, false
	defer func() { res.frozen = false }()
	for _, i := range changed {
		old, a := last.outs[i], res.afterRows[i]
		o := *old
		if ro, ok := rowOuts[i]; ok {
			o = *ro
		}
		o.src = parsed[i]
		o.problems = slices.Clip(old.problems[:a.problems])
		o.skipped = slices.Clip(old.skipped[:a.skipped])
		o.read = slices.Clip(old.read[:a.read])
		o.entities = slices.Clip(old.entities[:a.entities])
		o.chains, o.formulas = nil, nil
		res.suggestions = res.suggestionsAfterRows
		for _, x := range after[:i] {
			res.suggestions += x.suggestions
		}
		before := res.suggestions
		res.chains(&o)
		if res.chainsChanged {
			return nil, false
		}
		after[i].suggestions = res.suggestions - before
		for _, do := range o.dims {
			for _, v := range do.values {
				if v.e.doc == rowOuts[i] {
					v.e.doc = &o
				}
			}
		}
		outs[i] = &o
		docs[i] = document(&o)
	}
	total = res.suggestionsAfterRows
	for _, a := range after {
		total += a.suggestions
	}
	if total > maxSuggestions {
		return nil, false
	}
	res.afterRows = after
	r.last = &lastRead{res: res, outs: outs, docs: docs}
	return newImport(docs), true
}

// sameRows reports whether two parses of a document's tables differ only in what their
// rows say of the entities they declare — names, aliases, attributes — and not in their
// dimensions, which rows there are, their ids, positions and cells naming other entities.
func sameRows(now, old []*dimDecl) bool {
	if len(now) != len(old) {
		return false
	}
	for k, a := range now {
		b := old[k]
		if a.id != b.id || a.axis != b.axis || a.names != b.names || a.definition != b.definition || a.pos != b.pos ||
			a.category != b.category || !slices.Equal(a.columns, b.columns) || len(a.rows) != len(b.rows) {
			return false
		}
		for j, x := range a.rows {
			y := b.rows[j]
			if !x.keyIsID || x.key != y.key || x.keyIsID != y.keyIsID || x.pos != y.pos || !reflect.DeepEqual(x.refs, y.refs) {
				return false
			}
		}
	}
	return true
}

// renameRows makes again, for each document in docs whose rows were renamed (sameRows),
// the entities its rows declare, as a read from scratch makes them (resolver.row), and
// puts them in the resolver's names in place of the last read's: the output of each
// such document before its chains (which again then resolves). It is false, and changes
// nothing, unless that is what a read from scratch gives: every row of the document
// declared its own entity, in a dimension the document declares, and nothing else
// changed it since (entity.touched); no name the rows add or drop was ever looked up
// (resolver.looked), and the names they add are nobody else's.
func renameRows(res *resolver, last []*docOut, parsed []*parsedDoc, docs []int) (map[int]*docOut, bool) {
	type swap struct {
		old, now *entity
		keys     []string // the lower-cased keys of now
	}
	var swaps []swap
	added := map[string]bool{}
	outs := map[int]*docOut{}
	for _, i := range docs {
		prev := last[i]
		src := parsed[i]
		if len(prev.dims) != len(src.dims) {
			return nil, false
		}
		o := *prev
		o.src = src
		o.dims = make([]*dimOut, len(src.dims))
		for k, nd := range src.dims {
			od := prev.dims[k]
			if od.d != prev.src.dims[k] || res.dims[nd.id] != od.d || len(od.values) != len(nd.rows) {
				return nil, false
			}
			do := &dimOut{d: nd, values: make([]*entityOut, len(nd.rows))}
			for j, row := range nd.rows {
				ov := od.values[j]
				e := ov.e
				if ov.merge || e.touched || e.base != nil || e.out != ov || e.row != od.d.rows[j] || e.dim != od.d ||
					e.doc != prev || e.id != row.key || res.byID[e.id] != e {
					return nil, false
				}
				// as resolver.row declares it
				now := &entity{id: row.key, category: nd.category, names: row.names, pos: row.pos, doc: &o, row: row, dim: nd}
				out := &entityOut{e: now, pos: row.pos, names: row.names, attrs: row.attrs, rels: ov.rels}
				now.out = out
				for _, a := range row.aliases {
					out.addAlias(a)
				}
				now.aliases = append(now.aliases, out.aliases...)
				do.values[j] = out
				oldKeys, newKeys := lowerKeys(e), lowerKeys(now)
				for _, k := range newKeys {
					if !slices.Contains(oldKeys, k) {
						if res.looked[k] || added[k] || len(res.byKey[k]) > 0 || len(res.base.byKey[k]) > 0 {
							return nil, false
						}
						added[k] = true
					}
				}
				for _, k := range oldKeys {
					if !slices.Contains(newKeys, k) && res.looked[k] {
						return nil, false
					}
				}
				swaps = append(swaps, swap{e, now, newKeys})
			}
			o.dims[k] = do
		}
		outs[i] = &o
	}
	for _, s := range swaps {
		for _, k := range lowerKeys(s.old) {
			es := res.byKey[k]
			at := slices.Index(es, s.old)
			switch {
			case at < 0:
			case slices.Contains(s.keys, k):
				es[at] = s.now
			case len(es) == 1:
				delete(res.byKey, k)
			default:
				res.byKey[k] = slices.Delete(slices.Clone(es), at, at+1)
			}
		}
		for _, k := range s.keys {
			if len(res.byKey[k]) == 0 {
				res.byKey[k] = []*entity{s.now}
			}
		}
		res.byID[s.now.id] = s.now
	}
	for _, o := range outs {
		for _, do := range o.dims {
			res.dims[do.d.id] = do.d
			for _, v := range do.values {
				v.e.doc = o
			}
		}
	}
	return outs, true
}

// lowerKeys is an entity's ids, names and aliases as the resolver indexes them.
func lowerKeys(e *entity) []string {
	var out []string
	for _, k := range e.keys() {
		if lk := strings.ToLower(strings.TrimSpace(k)); lk != "" && !slices.Contains(out, lk) {
			out = append(out, lk)
		}
	}
	return out
}

// maxSuggestions is how many did-you-mean hints a read gives (resolver.suggest).
const maxSuggestions = 100

// document is what one document became.
func document(o *docOut) *Document {
	d := &Document{Source: o.src.name, Name: yamlName(o.src.name), Decoding: o.src.decoding, out: o,
		Read: append(append([]Note{}, o.src.read...), o.read...), Skipped: append(append([]Note{}, o.src.skipped...), o.skipped...)}
	d.decls, d.direct = decls(o)
	d.Problems = append(append(network.Problems{}, o.src.problems...), o.problems...)
	if m := d.Decoding.Mojibake; m != nil {
		for _, c := range m.Choices {
			if c.Confidence < WarnBelow {
				d.Warnings = append(d.Warnings, network.Problem{Pos: network.Pos{File: o.src.name, Line: c.Line, Col: c.Col},
					Code: CodeEncoding, Message: "a character that lost bytes to mojibake was chosen without certainty: " + c.String(),
					Hint: "check the character and correct the file"})
			}
		}
	}
	sort.SliceStable(d.Read, func(a, b int) bool { return d.Read[a].Pos.Line < d.Read[b].Pos.Line })
	d.Problems.Sort()
	return d
}

func newImport(docs []*Document) *Import {
	im := &Import{Documents: docs}
	for _, d := range docs {
		im.Problems = append(im.Problems, d.Problems...)
		im.Warnings = append(im.Warnings, d.Warnings...)
	}
	im.Problems.Sort()
	im.Warnings.Sort()
	return im
}

// withCounts is a lexicon sharing l's names with empty counts.
func (l *lexicon) withCounts() *lexicon {
	return &lexicon{names: l.names, byRune: l.byRune, uni: map[rune]int{}, bi: map[[2]rune]int{}}
}

// normalise makes line ends "\n" and blanks a front matter block (keeping its lines, so
// line numbers stay those of the file), reporting it.
func normalise(d *parsedDoc, text string) []byte {
	if strings.ContainsRune(text, '\r') {
		text = strings.ReplaceAll(text, "\r\n", "\n")
		text = strings.ReplaceAll(text, "\r", "\n")
	}
	lines := strings.SplitAfter(text, "\n")
	if len(lines) > 1 {
		open := strings.TrimRight(lines[0], "\n")
		closeWith := ""
		switch open {
		case "---":
			closeWith = "---"
		case "+++":
			closeWith = "+++"
		}
		if closeWith != "" {
			for i := 1; i < len(lines); i++ {
				l := strings.TrimRight(lines[i], "\n")
				if l == closeWith || closeWith == "---" && l == "..." {
					var keys []string
					for j := 1; j < i; j++ {
						if k, _, ok := strings.Cut(lines[j], ":"); ok && !strings.HasPrefix(k, " ") {
							keys = append(keys, strings.TrimSpace(k))
						}
						lines[j] = "\n"
					}
					lines[0], lines[i] = "\n", "\n"
					d.skip(1, "front matter, lines 1–%d (%s): not read", i+1, strings.Join(keys, ", "))
					break
				}
			}
		}
	}
	return []byte(strings.Join(lines, ""))
}

func yamlName(src string) string {
	ext := path.Ext(src)
	switch strings.ToLower(ext) {
	case ".md", ".markdown", ".mdown", ".mkd":
		return strings.TrimSuffix(src, ext) + ".yaml"
	}
	return src + ".yaml"
}

// Files returns the network files of the import, named by their Markdown documents so
// that positions in them name the Markdown.
func (im *Import) Files() []network.File {
	out := make([]network.File, len(im.Documents))
	for i, d := range im.Documents {
		out[i] = network.File{Name: d.Source, Data: d.YAML()}
	}
	return out
}

// Load builds the network of the base files and the import's documents, with every
// position in the Markdown (file:line:col). The error holds the loader's problems, also
// at their Markdown positions; the import's own problems are in im.Problems.
func (im *Import) Load(base []network.File, opts ...network.Options) (*network.Network, error) {
	direct := true
	for _, d := range im.Documents {
		direct = direct && d.direct
	}
	if direct {
		return im.loadDecls(base, opts...)
	}
	return im.loadYAML(base, opts...)
}

// loadDecls loads the import's declarations as values, their positions in the Markdown.
func (im *Import) loadDecls(base []network.File, opts ...network.Options) (*network.Network, error) {
	ds := make([]*network.Decls, len(im.Documents))
	for i, d := range im.Documents {
		ds[i] = d.decls
	}
	loader := im.loader
	if loader == nil {
		loader = new(network.Loader)
	}
	n, err := loader.LoadDecls(context.Background(), base, ds, opts...)
	if err != nil {
		if ps, ok := network.AsProblems(err); ok {
			ps = slices.Clone(ps)
			ps.Sort()
			return nil, ps
		}
		return nil, err
	}
	return n, nil
}

// loadYAML loads the import's YAML documents and moves every position in them to the
// Markdown.
func (im *Import) loadYAML(base []network.File, opts ...network.Options) (*network.Network, error) {
	files := append(append([]network.File{}, base...), im.Files()...)
	n, err := network.Load(files, opts...)
	if err != nil {
		if ps, ok := network.AsProblems(err); ok {
			out := make(network.Problems, len(ps))
			for i, p := range ps {
				p.Pos = im.Pos(p.Pos)
				out[i] = p
			}
			out.Sort()
			return nil, out
		}
		return nil, err
	}
	im.remap(n)
	return n, nil
}

// Pos maps a position in one of the import's YAML documents to the Markdown; other
// positions are returned as they are.
func (im *Import) Pos(p network.Pos) network.Pos {
	for _, d := range im.Documents {
		if d.Source == p.File {
			d.emit()
			return d.pm.pos(p)
		}
	}
	return p
}

// remap moves every position of the network that is in a generated document to the
// Markdown.
func (im *Import) remap(n *network.Network) {
	maps := map[string]*posMap{}
	for _, d := range im.Documents {
		d.emit()
		maps[d.Source] = d.pm
	}
	fix := func(p *network.Pos) {
		if m, ok := maps[p.File]; ok {
			*p = m.pos(*p)
		}
	}
	for _, e := range n.Entities {
		fix(&e.Source)
		for i := range e.Attributes {
			fix(&e.Attributes[i].Source)
		}
	}
	for _, d := range n.Dimensions {
		fix(&d.Source)
	}
	for _, r := range n.Relations {
		fix(&r.Source)
	}
	for i := range n.Facts {
		fix(&n.Facts[i].Source)
	}
	for i := range n.Chains {
		fix(&n.Chains[i].Source)
	}
	for i := range n.Formulas {
		fix(&n.Formulas[i].Source)
	}
}

// IsMarkdown reports whether a file name is a Markdown document's.
func IsMarkdown(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".md", ".markdown", ".mdown", ".mkd":
		return true
	}
	return false
}

// each calls fn(0) … fn(n-1), on as many goroutines as there are processors; it stops
// early, with ctx's error, when ctx is done.
func each(ctx context.Context, n int, fn func(int)) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			if i%64 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			fn(i)
		}
		return ctx.Err()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}
