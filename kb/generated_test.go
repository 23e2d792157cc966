package kb

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// kbBase is the network a generated knowledge base is read against: its relation type.
func kbBase(t testing.TB) (*network.Network, []network.File) {
	bf := []network.File{{Name: "kb/relations.yaml", Data: []byte(netgen.KBRelations)}}
	n, err := network.Load(bf)
	if err != nil {
		t.Fatal(err)
	}
	return n, bf
}

// checkKB reads, loads and checks a knowledge base as strata check does.
func checkKB(t testing.TB, r *Reader, bf []network.File, files []network.File) (*network.Network, network.Problems) {
	n, ps, _ := recheckKB(t, r, bf, files, nil)
	return n, ps
}

// recheckKB is checkKB with the reasoner updated from the last one (reason.Update), as
// strata serve --watch does after an edit; prev nil builds it anew.
func recheckKB(t testing.TB, r *Reader, bf []network.File, files []network.File, prev *reason.Reasoner) (*network.Network, network.Problems, *reason.Reasoner) {
	im, err := r.Read(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	n, err := im.Load(bf)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	rs, err := reason.Update(prev, n)
	if err != nil {
		t.Fatal(err)
	}
	return n, append(append(network.Problems{}, im.Problems...), rs.Contradictions()...), rs
}

// TestGeneratedKBContradictions: in a knowledge base of many documents (1,000 stating
// 50,000 facts; 100 under -short and -race), every planted
// contradiction is found, citing the Markdown line of each of its two sides, and nothing
// else is a problem.
func TestGeneratedKBContradictions(t *testing.T) {
	files, entities, facts := netgen.KBFiles, netgen.KBEntities, netgen.KBFacts
	if testing.Short() || raceOn {
		files, entities, facts = 100, 1000, 5000
	}
	g := netgen.GenerateKB(files, entities, facts, netgen.KBPlanted, 7)
	base, bf := kbBase(t)
	n, ps := checkKB(t, NewReader(Options{Base: base}), bf, g.Files)
	if got := len(n.Facts); got != g.Facts {
		t.Errorf("%d facts, the generator wrote %d", got, g.Facts)
	}
	if want := entities + 2*netgen.KBPlanted; len(n.Entities) != want {
		t.Errorf("%d entities, want %d", len(n.Entities), want)
	}
	found := make([]bool, len(g.Planted))
	for _, p := range ps {
		hit := -1
		for i, pl := range g.Planted {
			s := p.String()
			if p.Code == network.CodeContradiction && strings.Contains(s, pl.Sides[0].String()) && strings.Contains(s, pl.Sides[1].String()) {
				hit = i
			}
		}
		if hit < 0 {
			t.Errorf("a problem not planted: %s", p)
			continue
		}
		found[hit] = true
	}
	for i, ok := range found {
		if !ok {
			t.Errorf("planted contradiction %s > %s (%s) and %s > %s (%s) not found with both lines",
				g.Planted[i].A, g.Planted[i].B, g.Planted[i].Sides[0], g.Planted[i].B, g.Planted[i].A, g.Planted[i].Sides[1])
		}
	}
}

// TestGeneratedKBReload: after one document changes, a second read of the same Reader
// gives what a fresh Reader gives.
func TestGeneratedKBReload(t *testing.T) {
	g := netgen.GenerateKB(50, 500, 2500, 3, 9)
	base, bf := kbBase(t)
	r := NewReader(Options{Base: base})
	checkKB(t, r, bf, g.Files)
	files := append([]network.File{}, g.Files...)
	files[10].Data = []byte(strings.Replace(string(files[10].Data), "```text\n", "```text\nrank: N1 > N2 > N3\n", 1))
	_, again := checkKB(t, r, bf, files)
	_, fresh := checkKB(t, NewReader(Options{Base: base}), bf, files)
	if fmt.Sprint(again) != fmt.Sprint(fresh) {
		t.Errorf("a reread after a change differs from a fresh read:\n%v\n%v", again, fresh)
	}
}

// BenchmarkImportCheckKB: a knowledge base of 1,000 documents and 50,000 facts read,
// loaded and checked from scratch (the target is ≤ 1 s).
func BenchmarkImportCheckKB(b *testing.B) {
	g := netgen.GenerateKB(netgen.KBFiles, netgen.KBEntities, netgen.KBFacts, netgen.KBPlanted, 7)
	base, bf := kbBase(b)
	b.ReportAllocs()
	c := startCPU()
	for b.Loop() {
		checkKB(b, NewReader(Options{Base: base}), bf, g.Files)
	}
	c.report(b)
}

// cpuClock measures the process's CPU time (the garbage collector's included), which
// does not grow when other processes compete for the CPU, as wall time does.
type cpuClock struct {
	start time.Duration
	n     int
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() *cpuClock { return &cpuClock{start: cpuNow()} }

func (c *cpuClock) report(b *testing.B) {
	b.ReportMetric((cpuNow()-c.start).Seconds()*1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkReloadKB: the same knowledge base read again after a chain was added to one
// document, by a Reader that read it before (the target is ≤ 100 ms): only the changed
// document is parsed again and only its chains resolved (Reader.again), the network is
// the last one's entities with the changed facts (network.Loader), and the reasoner is
// updated from the last one (reason.Update: the changed relation's order built again, its
// full closure left to the first question that needs it,
// the index lookups of the unchanged facts kept).
func BenchmarkReloadKB(b *testing.B) {
	g := netgen.GenerateKB(netgen.KBFiles, netgen.KBEntities, netgen.KBFacts, netgen.KBPlanted, 7)
	base, bf := kbBase(b)
	r := NewReader(Options{Base: base})
	_, _, rs := recheckKB(b, r, bf, g.Files, nil)
	files := append([]network.File{}, g.Files...)
	orig := files[500].Data
	b.ReportAllocs()
	c := startCPU()
	i := 0
	for b.Loop() {
		files[500].Data = []byte(strings.Replace(string(orig), "```text\n", fmt.Sprintf("```text\nrank: N1 > N%d\n", 2+i%1000), 1))
		_, _, rs = recheckKB(b, r, bf, files, rs)
		i++
	}
	c.report(b)
}

// BenchmarkReloadKBRow: as BenchmarkReloadKB, but the edit renames an entity in a
// table row, which can change how any document's names resolve: every document is
// resolved again and the network built from every document's declarations (only the
// Markdown parse of the unchanged documents is kept); the reasoner keeps the last one's
// order (reason.Update), since no fact changed.
func BenchmarkReloadKBRow(b *testing.B) {
	g := netgen.GenerateKB(netgen.KBFiles, netgen.KBEntities, netgen.KBFacts, netgen.KBPlanted, 7)
	base, bf := kbBase(b)
	r := NewReader(Options{Base: base})
	_, _, rs := recheckKB(b, r, bf, g.Files, nil)
	files := append([]network.File{}, g.Files...)
	orig := string(files[500].Data)
	b.ReportAllocs()
	c := startCPU()
	i := 0
	for b.Loop() {
		files[500].Data = []byte(strings.Replace(orig, "| Entity ", fmt.Sprintf("| Thing%d ", i), 1))
		_, _, rs = recheckKB(b, r, bf, files, rs)
		i++
	}
	c.report(b)
}
