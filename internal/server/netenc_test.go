package server

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/kb"
	"github.com/strata-dev/strata/network"
)

// kbEdit changes one document of a generated knowledge base: a chain added, a row
// renamed, every line moved down, the document removed, or nothing.
func kbEdit(rng *rand.Rand, files []network.File) []network.File {
	files = slices.Clone(files)
	i := rng.IntN(len(files))
	s := string(files[i].Data)
	switch rng.IntN(5) {
	case 0:
		s = strings.Replace(s, "```text\n", fmt.Sprintf("```text\nrank: N%d > N%d\n", rng.IntN(100), rng.IntN(100)), 1)
	case 1:
		s = strings.Replace(s, "| Entity ", fmt.Sprintf("| Thing%d ", rng.IntN(1000)), 1)
	case 2:
		s = "\n" + s
	case 3:
		if len(files) > 2 {
			return slices.Delete(files, i, i+1)
		}
	}
	files[i].Data = []byte(s)
	return files
}

// TestNetworkDocumentCache: over random edits of a generated knowledge base, reread by
// one kb.Reader as serve --watch rereads it, the network document built with the JSON of
// the last one's facts and chains is, byte for byte, the document encoded whole; and the
// runs of the files that did not change were reused.
func TestNetworkDocumentCache(t *testing.T) {
	bf := []network.File{{Name: "kb/relations.yaml", Data: []byte(netgen.KBRelations)}}
	base, err := network.Load(bf)
	if err != nil {
		t.Fatal(err)
	}
	steps := 30
	if testing.Short() {
		steps = 12
	}
	rng := rand.New(rand.NewPCG(1, 2))
	files := netgen.GenerateKB(30, 300, 1500, 2, 5).Files
	r := kb.NewReader(kb.Options{Base: base})
	var c listCache
	reused, runs := 0, 0
	for step := range steps {
		im, err := r.Read(context.Background(), files)
		if err != nil {
			t.Fatal(err)
		}
		n, err := im.Load(bf)
		if err != nil {
			t.Fatal(err)
		}
		doc := networkDoc{Network: n, Orders: []string{"rank"}}
		last := map[*byte]bool{}
		for _, r := range c.facts {
			last[unsafe.SliceData(r.json)] = true
		}
		got, err := c.networkJSON(doc)
		if err != nil {
			t.Fatal(err)
		}
		want := encodeJSON(http.StatusOK, doc)
		if got.status != want.status || got.media != want.media || !bytes.Equal(got.data, want.data) {
			at := 0
			for at < min(len(got.data), len(want.data)) && got.data[at] == want.data[at] {
				at++
			}
			t.Fatalf("step %d: the document with reused facts and chains differs from the one encoded whole at byte %d:\n got  …%s\n want …%s",
				step, at, got.data[max(0, at-80):min(len(got.data), at+80)], want.data[max(0, at-80):min(len(want.data), at+80)])
		}
		if step > 0 {
			for _, r := range c.facts {
				runs++
				if last[unsafe.SliceData(r.json)] {
					reused++
				}
			}
		}
		files = kbEdit(rng, files)
	}
	t.Logf("%d of %d runs of facts reused", reused, runs)
	if reused < runs/2 {
		t.Errorf("only %d of %d runs of facts reused", reused, runs)
	}
	// nothing cached: the same document
	n, err := network.Load(append(bf, network.File{Name: "x.yaml", Data: []byte("apiVersion: strata.dev/v1alpha1\nkind: Entities\nmetadata: {name: x}\nspec: {category: technology, items: [{id: a}]}\n")}))
	if err != nil {
		t.Fatal(err)
	}
	var none *listCache
	got, err := none.networkJSON(networkDoc{Network: n, Orders: []string{}})
	if want := encodeJSON(http.StatusOK, networkDoc{Network: n, Orders: []string{}}); err != nil || !bytes.Equal(got.data, want.data) {
		t.Errorf("an empty network's document: %v\n%s\nwant\n%s", err, got.data, want.data)
	}
}
