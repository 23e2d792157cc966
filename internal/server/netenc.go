package server

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/strata-dev/strata/network"
)

// listCache keeps the JSON of a network document's facts and chains, in runs of
// consecutive items declared by one file, for the next generation's document: after a
// --watch reload in which one file changed, every other file's runs are the same values
// and their JSON is reused instead of encoded again (they are most of the document's
// bytes). The document is what encoding it whole gives, byte for byte
// (TestNetworkDocumentCache judges that).
type listCache struct {
	mu       sync.Mutex
	entities map[string]run[*network.Entity] // an entity is never changed once loaded: a Loader shares it between networks
	facts    map[string]run[network.Fact]
	chains   map[string]run[network.ChainDecl]
}

// run is a run of items and their JSON, without the list's brackets.
type run[T comparable] struct {
	items []T
	json  []byte
}

// encodeRuns writes the JSON list of items, reusing the JSON of every run (consecutive
// items of one file) that old holds with the same items; it returns the runs it wrote.
func encodeRuns[T comparable](buf *bytes.Buffer, items []T, file func(*T) string, old map[string]run[T]) (map[string]run[T], error) {
	now := make(map[string]run[T], len(old))
	seen := map[string]int{}
	buf.WriteByte('[')
	for i := 0; i < len(items); {
		f := file(&items[i])
		j := i + 1
		for j < len(items) && file(&items[j]) == f {
			j++
		}
		seen[f]++
		key := f + "\x00" + strconv.Itoa(seen[f])
		r, ok := old[key]
		if !ok || !slices.Equal(r.items, items[i:j]) {
			a := encodeJSON(http.StatusOK, items[i:j])
			if a.status != http.StatusOK {
				return nil, fmt.Errorf("encode %T", items)
			}
			// "[…]\n" without its brackets and newline
			// the items copied: nothing another network does to its lists can change them
			r = run[T]{items: slices.Clone(items[i:j]), json: a.data[1 : len(a.data)-2]}
		}
		now[key] = r
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(r.json)
		i = j
	}
	buf.WriteByte(']')
	return now, nil
}

// networkJSON is encodeJSON of doc, with its facts and chains taken from c where they
// are the same as the last document's (c nil: none), and c then holding this one's.
func (c *listCache) networkJSON(doc networkDoc) (response, error) {
	var oldEntities map[string]run[*network.Entity]
	var oldFacts map[string]run[network.Fact]
	var oldChains map[string]run[network.ChainDecl]
	if c != nil {
		c.mu.Lock()
		oldEntities, oldFacts, oldChains = c.entities, c.facts, c.chains
		c.mu.Unlock()
	}
	// the document without its facts and chains, which are then put where they go
	n := doc.Network
	rest := &network.Network{Dimensions: n.Dimensions, Relations: n.Relations, Formulas: n.Formulas}
	skel := encodeJSON(http.StatusOK, networkDoc{Network: rest, Orders: doc.Orders})
	if skel.status != http.StatusOK {
		return response{}, fmt.Errorf("encode %T", doc)
	}
	const entitiesKey, factsKey = `{"entities":[],`, `,"facts":[],"chains":[],`
	at := bytes.Index(skel.data, []byte(factsKey))
	if !bytes.HasPrefix(skel.data, []byte(entitiesKey)) || at < 0 || bytes.Count(skel.data, []byte(factsKey)) != 1 {
		return response{}, fmt.Errorf("encode %T: no single entities, facts and chains keys", doc)
	}
	var buf bytes.Buffer
	buf.Grow(len(skel.data) + 640*len(doc.Entities) + 128*(len(doc.Facts)+len(doc.Chains)))
	buf.WriteString(`{"entities":`)
	entities, err := encodeRuns(&buf, doc.Entities, func(e **network.Entity) string { return (*e).Source.File }, oldEntities)
	if err != nil {
		return response{}, err
	}
	buf.Write(skel.data[len(entitiesKey)-1 : at])
	buf.WriteString(`,"facts":`)
	facts, err := encodeRuns(&buf, doc.Facts, func(f *network.Fact) string { return f.Source.File }, oldFacts)
	if err != nil {
		return response{}, err
	}
	buf.WriteString(`,"chains":`)
	chains, err := encodeRuns(&buf, doc.Chains, func(f *network.ChainDecl) string { return f.Source.File }, oldChains)
	if err != nil {
		return response{}, err
	}
	buf.Write(skel.data[at+len(factsKey)-1:])
	if c != nil {
		c.mu.Lock()
		c.entities, c.facts, c.chains = entities, facts, chains
		c.mu.Unlock()
	}
	skel.data = buf.Bytes()
	return skel, nil
}
