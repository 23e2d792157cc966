package kb

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// loaded is a network or the problems that stopped it, as canonical text: the network's
// JSON (every entity, dimension, relation type, fact, chain and formula with its source
// position), or every problem.
func loaded(n *network.Network, err error) string {
	if err != nil {
		if ps, ok := network.AsProblems(err); ok {
			ps = slices.Clone(ps)
			ps.Sort()
			var b strings.Builder
			for _, p := range ps {
				fmt.Fprintf(&b, "%s [%s] %s\n", p, p.Code, p.Hint)
			}
			return "problems:\n" + b.String()
		}
		return "error: " + err.Error()
	}
	b, err := json.MarshalIndent(n, "", " ")
	if err != nil {
		return "marshal: " + err.Error()
	}
	return string(b)
}

// imported is everything an import says, as canonical text: its documents (what was
// read and skipped, problems, warnings, decoding, and the YAML written for each), the
// network it loads with bf, and that network's contradictions.
func imported(t *testing.T, im *Import, bf []network.File) (string, *network.Network) {
	t.Helper()
	var b strings.Builder
	j, err := json.MarshalIndent(im, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	b.Write(j)
	for _, d := range im.Documents {
		fmt.Fprintf(&b, "\n--- %s\n%s", d.Source, d.YAML())
	}
	n, err := im.Load(bf)
	b.WriteString("\n--- network\n" + loaded(n, err))
	if err != nil {
		n = nil
	}
	if err == nil {
		rs, err := reason.New(n)
		if err != nil {
			b.WriteString("\n--- reasoner: " + err.Error())
		} else {
			for _, p := range rs.Contradictions() {
				fmt.Fprintf(&b, "\n%s", p)
			}
		}
	}
	return b.String(), n
}

// asked is what a reasoner answers to questions drawn with seed: its contradictions,
// every order's layers and closure size, and for a sample of entities and pairs the
// facts and derived facts about each, comparisons, paths and whys (under the relation
// and its inverse name). Two reasoners of networks with the same entities are asked the
// same questions.
func asked(t *testing.T, rs *reason.Reasoner, seed uint64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 5))
	es := rs.Network().Entities
	var b strings.Builder
	for _, p := range rs.Contradictions() {
		fmt.Fprintf(&b, "contradiction %s\n", p)
	}
	for _, rel := range rs.Orders() {
		fmt.Fprintf(&b, "order %s: closure %d, %d contradictions, rank %v\n", rel.Name(), rel.Order.ClosureSize(), rel.Order.ContradictionCount(), rs.Rank(rel))
	}
	if len(es) == 0 {
		return b.String()
	}
	var rels []*reason.Relation
	for _, name := range []string{"rank", "rank-below"} {
		if rel, err := rs.Relation(name); err == nil {
			rels = append(rels, rel)
		}
	}
	for range 30 {
		a, c := es[rng.IntN(len(es))], es[rng.IntN(len(es))]
		fmt.Fprintf(&b, "%s: facts %v derived %v\n", a.ID, rs.FactsAbout(a), rs.DerivedAbout(a))
		fs, ok := rs.Path(a, c, nil)
		fmt.Fprintf(&b, "%s ? %s: %v; path %v %v\n", a.ID, c.ID, rs.Compare(a, c), ok, fs)
		for _, rel := range rels {
			d, err := rs.Why(rel, a, ">", c)
			j, _ := json.Marshal(d)
			fmt.Fprintf(&b, " why %s: %s %v\n", rel.Name(), j, err)
		}
	}
	return b.String()
}

// reasons checks that the reasoner updated from the last one (reason.Update, as strata
// serve --watch makes it) for the network n of a reread answers as a reasoner built anew
// for the network fresh of a read from scratch, and returns it; it counts in reused the
// orders it took from the last one.
func reasons(t *testing.T, prev *reason.Reasoner, n, fresh *network.Network, seed uint64, reused *int) *reason.Reasoner {
	t.Helper()
	if n == nil || fresh == nil {
		return prev
	}
	got, err := reason.Update(prev, n)
	if err != nil {
		t.Fatal(err)
	}
	want, err := reason.New(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := asked(t, got, seed), asked(t, want, seed); g != w {
		t.Fatalf("the updated reasoner answers otherwise than a new one of a read from scratch: %s", firstDiff(g, w))
	}
	if prev != nil {
		for _, rel := range got.Orders() {
			if p, err := prev.Relation(rel.Name()); err == nil && p.Order == rel.Order {
				*reused++
			}
		}
	}
	return got
}

// firstDiff is the first line where a and b differ, with a little context.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(la), len(lb)) {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			ctx := strings.Join(la[max(0, i-12):i], "\n")
			return fmt.Sprintf("line %d, after\n%s\n  got  %q\n  want %q", i+1, ctx, x, y)
		}
	}
	return "no difference"
}

// kbCase is a knowledge base read against a base network.
type kbCase struct {
	name  string
	base  *network.Network
	bf    []network.File
	files []network.File
}

func declCases(t *testing.T) []kbCase {
	def, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	rb, rbf := relationsOnly(t)
	kbb, kbf := kbBase(t)
	var cs []kbCase
	for _, lang := range []string{"zh", "en"} {
		seed := []network.File{{Name: "kb/seed." + lang + ".md", Data: readSeed(t, lang)}}
		cs = append(cs, kbCase{"seed overlay " + lang, def, network.DefaultFiles(), seed},
			kbCase{"seed standalone " + lang, rb, rbf, seed})
	}
	bad, _ := badKB()
	cs = append(cs, kbCase{"bad", rb, rbf, bad})
	cs = append(cs, kbCase{"generated", kbb, kbf, netgen.GenerateKB(40, 400, 2000, 3, 11).Files})
	cs = append(cs, kbCase{"generated and bad", rb, rbf, append(netgen.GenerateKB(10, 100, 300, 2, 12).Files, bad...)})
	return cs
}

// TestDeclsLoadAsYAML: the declarations handed to the loader as values give the network
// (or the problems) that the YAML written for them gives, positions included — the
// YAML, parsed by network.Load and mapped back to the Markdown, is the judge. Seed,
// bad input, generated knowledge bases, and random edits of them.
func TestDeclsLoadAsYAML(t *testing.T) {
	direct := 0
	check := func(t *testing.T, c kbCase) {
		t.Helper()
		im, err := NewReader(Options{Base: c.base}).Read(context.Background(), c.files)
		if err != nil {
			t.Fatal(err)
		}
		all := true
		for _, d := range im.Documents {
			all = all && d.direct
		}
		if !all {
			return
		}
		direct++
		got, want := loaded(im.loadDecls(c.bf)), loaded(im.loadYAML(c.bf))
		if got != want {
			t.Errorf("%s: loaded as values, the import differs from its YAML loaded: %s", c.name, firstDiff(got, want))
		}
	}
	cases := declCases(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { check(t, c) })
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 30 {
		c := cases[rng.IntN(len(cases))]
		files := slices.Clone(c.files)
		for range 1 + rng.IntN(4) {
			files = edit(rng, files)
		}
		check(t, kbCase{fmt.Sprintf("%s, edit %d", c.name, i), c.base, c.bf, files})
	}
	if direct < len(cases)/2 {
		t.Errorf("only %d knowledge bases were loaded as values: the test judges too little", direct)
	}
}

// TestReloadIsFromScratch: a Reader that read a knowledge base before reads it after
// random edits (chains added, removed and changed, unknown ids, glued labels, prose,
// rows renamed, lines shifted, documents added and removed) as a new Reader reads it from
// scratch: the same documents, problems, YAML, network and contradictions. Most edits
// change chains only, which the Reader resolves alone (see Reader.again); the test checks
// that it did so often enough to judge that path.
func TestReloadIsFromScratch(t *testing.T) {
	kbb, kbf := kbBase(t)
	def, err := network.Default()
	if err != nil {
		t.Fatal(err)
	}
	seeds := 6
	steps := 25
	if testing.Short() || raceOn {
		seeds, steps = 3, 15
	}
	fast, quick, total, reused := 0, 0, 0, 0
	var readers []*Reader
	for s := range seeds {
		rng := rand.New(rand.NewPCG(uint64(s), 99))
		base, bf := kbb, kbf
		files := netgen.GenerateKB(8+rng.IntN(20), 100+rng.IntN(200), 300+rng.IntN(800), rng.IntN(3), uint64(s)).Files
		if s%3 == 2 {
			// the seed beside the default network, with a generated part
			base, bf = def, append(network.DefaultFiles(), kbf...)
			files = append(files, network.File{Name: "kb/seed.zh.md", Data: readSeed(t, "zh")})
		}
		r := NewReader(Options{Base: base})
		readers = append(readers, r)
		im, err := r.Read(context.Background(), files)
		if err != nil {
			t.Fatal(err)
		}
		_, last := imported(t, im, bf)
		rs := reasons(t, nil, last, last, 0, new(int))
		for step := range steps {
			files = edit(rng, files)
			before := r.fastReads
			im, err := r.Read(context.Background(), files)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := NewReader(Options{Base: base}).Read(context.Background(), files)
			if err != nil {
				t.Fatal(err)
			}
			got, n := imported(t, im, bf)
			want, nf := imported(t, fresh, bf)
			if got != want {
				t.Fatalf("seed %d step %d (resolved alone: %v): the reread differs from a read from scratch: %s",
					s, step, r.fastReads > before, firstDiff(got, want))
			}
			rs = reasons(t, rs, n, nf, uint64(step), &reused)
			total++
			if r.fastReads > before {
				fast++
			}
			if n != nil && last != nil && len(n.Entities) > 0 && len(last.Entities) > 0 && n.Entities[0] == last.Entities[0] {
				quick++ // the network of the last read's entities
			}
			last = n
		}
	}
	renames := 0
	for _, r := range readers {
		renames += r.renameReads
	}
	t.Logf("%d of %d rereads resolved only the changed chains (%d of them renaming rows); %d loaded only their facts; %d reasoner orders reused",
		fast, total, renames, quick, reused)
	if reused < total/5 {
		t.Errorf("only %d of %d reasoner updates reused the last order: the test judges too little of it", reused, total)
	}
	if quick < total/5 {
		t.Errorf("only %d of %d rereads loaded only the changed facts: the test judges too little of it", quick, total)
	}
	if fast < total/4 {
		t.Errorf("only %d of %d rereads took the incremental path: the test judges too little of it", fast, total)
	}
}

// editRow changes a cell of a generated table row (| **N1** | Entity 1 | 实体1 | 1991 |
// note |): a name made new, or another row's, or one a chain names, or one with an
// operator in it; the Chinese name, the year or the note; now and then the id, when ids
// is set (a chain naming the old id then has an unknown id).
func editRow(rng *rand.Rand, l string, ids bool) string {
	cells := strings.Split(l, "|")
	if len(cells) < 7 {
		return strings.Replace(l, "| Entity", "| Thing", 1)
	}
	switch rng.IntN(10) {
	case 0, 1:
		cells[2] = fmt.Sprintf(" Thing %d ", rng.IntN(1000))
	case 2:
		cells[2] = fmt.Sprintf(" Entity %d ", rng.IntN(120)) // maybe another row's name
	case 3:
		cells[2] = fmt.Sprintf(" Zq%d ", rng.IntN(50)) // a name a chain may use (edit's unknown ids)
	case 4:
		cells[2] = " a > b "
	case 5:
		cells[3] = fmt.Sprintf(" 物%d ", rng.IntN(100))
	case 6:
		cells[4] = fmt.Sprintf(" %d ", 1950+rng.IntN(60))
	case 7:
		cells[5] = fmt.Sprintf(" note %d ", rng.IntN(9))
	case 8:
		if ids {
			cells[1] = fmt.Sprintf(" **N%d** ", rng.IntN(130))
		}
	default:
		cells[2] = strings.Replace(cells[2], "Entity", "Thing", 1)
	}
	return strings.Join(cells, "|")
}

// edit changes a random document of a knowledge base in a random way.
func edit(rng *rand.Rand, files []network.File) []network.File {
	files = slices.Clone(files)
	i := rng.IntN(len(files))
	lines := strings.Split(string(files[i].Data), "\n")
	// a line inside a chain block, or -1
	block := -1
	for j, l := range lines {
		if strings.HasPrefix(l, "```text") {
			block = j
			break
		}
	}
	id := func() string {
		switch rng.IntN(12) {
		case 0:
			return fmt.Sprintf("Zq%d", rng.IntN(50)) // unknown
		case 1:
			return fmt.Sprintf("N%d Entity %d", 3, 3) // an id, then its name
		case 2:
			return fmt.Sprintf("N%d odd label", rng.IntN(30)) // an id, then a new label
		}
		return fmt.Sprintf("N%d", rng.IntN(120))
	}
	chain := func() string {
		label := []string{"rank", "等级", "rank-below", "ranking", "rank"}[rng.IntN(5)]
		op := []string{" > ", " = ", " < ", " -> "}[rng.IntN(4)]
		if rng.IntN(3) > 0 {
			op = " > "
		}
		return label + ": " + id() + op + id()
	}
	switch k := rng.IntN(20); {
	case k < 7 && block >= 0: // add a chain
		at := block + 1 + rng.IntN(3)
		lines = slices.Insert(lines, min(at, len(lines)), chain())
	case k < 10 && block >= 0: // remove or change a chain
		at := block + 1
		if at < len(lines) && !strings.HasPrefix(lines[at], "```") {
			if k < 9 {
				lines = slices.Delete(lines, at, at+1)
			} else {
				lines[at] = chain()
			}
		}
	case k < 11: // prose that may hold a chain
		lines = append(lines, "", "Note: "+id()+" > "+id())
	case k < 13: // a row renamed or given a new attribute value
		for j, l := range lines {
			if strings.HasPrefix(l, "| **N") && rng.IntN(4) == 0 {
				lines[j] = editRow(rng, l, true)
				break
			}
		}
	case k < 14: // every line moves down
		lines = slices.Insert(lines, 0, "")
	case k < 15 && len(files) > 2: // a document goes
		return slices.Delete(files, i, i+1)
	case k < 16: // a document comes
		name := fmt.Sprintf("kb/new-%d.md", rng.IntN(1000))
		for _, f := range files {
			if f.Name == name {
				return files
			}
		}
		doc := fmt.Sprintf("# New\n\n## 99.1 Extra\n\n| id | name |\n|----|------|\n| **M%d** | Extra %d |\n\n```text\n%s\n```\n", rng.IntN(9), rng.IntN(9), chain())
		return append(files, network.File{Name: name, Data: []byte(doc)})
	case k < 17: // the same bytes again
	default: // a formula (its operator names no relation type of the generated base)
		if block >= 0 {
			lines = slices.Insert(lines, block+1, "Sum = "+id()+" + "+id())
		}
	}
	files[i].Data = []byte(strings.Join(lines, "\n"))
	return files
}

// TestRenameIsFromScratch: a Reader rereads a knowledge base after random edits of its
// table rows (names made new, taken from another row, or named by a chain; names with an
// operator; Chinese names, years, notes, ids) and of its chains, as a new Reader reads it
// from scratch — the same documents, problems, YAML, network and contradictions. Unlike
// TestReloadIsFromScratch its chains name no unknown id (whose did-you-mean hints are
// chosen among every name, and so stop a reread from renaming), so most row edits take
// the path that renames rows alone (Reader.renameRows, Loader.again); the test checks
// that they did.
func TestRenameIsFromScratch(t *testing.T) {
	kbb, kbf := kbBase(t)
	seeds, steps := 4, 40
	if testing.Short() || raceOn {
		seeds, steps = 2, 25
	}
	total, renames, reused := 0, 0, 0
	for s := range seeds {
		rng := rand.New(rand.NewPCG(uint64(s), 123))
		files := netgen.GenerateKB(10+rng.IntN(15), 100+rng.IntN(100), 300+rng.IntN(400), rng.IntN(3), uint64(s)+50).Files
		r := NewReader(Options{Base: kbb})
		im, err := r.Read(context.Background(), files)
		if err != nil {
			t.Fatal(err)
		}
		_, n0 := imported(t, im, kbf)
		rs := reasons(t, nil, n0, n0, 0, new(int))
		for step := range steps {
			files = slices.Clone(files)
			i := rng.IntN(len(files))
			lines := strings.Split(string(files[i].Data), "\n")
			var rows []int
			for j, l := range lines {
				if strings.HasPrefix(l, "| **") {
					rows = append(rows, j)
				}
			}
			for range 1 + rng.IntN(2) {
				if len(rows) > 0 {
					j := rows[rng.IntN(len(rows))]
					lines[j] = editRow(rng, lines[j], s == 0 && step > steps/2)
				}
			}
			if rng.IntN(3) == 0 {
				for j, l := range lines {
					if strings.HasPrefix(l, "```text") {
						chain := fmt.Sprintf("rank: N%d > N%d", rng.IntN(100), rng.IntN(100))
						lines = slices.Insert(lines, j+1, chain)
						break
					}
				}
			}
			files[i].Data = []byte(strings.Join(lines, "\n"))
			before := r.renameReads
			im, err := r.Read(context.Background(), files)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := NewReader(Options{Base: kbb}).Read(context.Background(), files)
			if err != nil {
				t.Fatal(err)
			}
			got, n := imported(t, im, kbf)
			want, nf := imported(t, fresh, kbf)
			if got != want {
				t.Fatalf("seed %d step %d (rows renamed alone: %v): the reread differs from a read from scratch: %s",
					s, step, r.renameReads > before, firstDiff(got, want))
			}
			rs = reasons(t, rs, n, nf, uint64(step), &reused)
			total++
			if r.renameReads > before {
				renames++
			}
		}
	}
	t.Logf("%d of %d rereads renamed rows alone; %d reasoner orders reused", renames, total, reused)
	if reused < total/4 {
		t.Errorf("only %d of %d reasoner updates reused the last order: the test judges too little of it", reused, total)
	}
	if renames < total/4 {
		t.Errorf("only %d of %d rereads renamed rows alone: the test judges too little of it", renames, total)
	}
}
