package network

import (
	"context"
	"errors"

	"github.com/strata-dev/strata/network/yamlpos"
)

// Document is one YAML document of a kind that another package reads (a Workload, a saved
// probe), with its apiVersion, kind and metadata already checked and its spec kept as a
// positioned tree for that package to decode with a [yamlpos.Reader].
type Document struct {
	Kind  string
	Name  string
	Names Text
	Pos   Pos // of metadata.name
	Spec  *yamlpos.Node
}

// ReadDocuments parses files and returns their documents of the given kinds, in order.
// Documents of the network's own kinds are skipped: they belong to [Load]. Every problem
// in every file is returned at once as [Problems]; when ctx is done reading stops and
// ctx's error is returned. Reading each file is bounded by lim (the zero value is
// [yamlpos.DefaultLimits]).
func ReadDocuments(ctx context.Context, files []File, lim yamlpos.Limits, kinds ...string) ([]Document, error) {
	var d decoder
	var out []Document
	for _, f := range files {
		err := yamlpos.Parse(ctx, f.Name, f.Data, lim, func(n *yamlpos.Node) error {
			h, ok := d.header(n, kinds)
			if ok && !isNetworkKind(h.kind) {
				out = append(out, Document{Kind: h.kind, Name: h.name, Names: h.names, Pos: h.pos, Spec: h.spec})
			}
			return nil
		})
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				return nil, err
			}
			d.r.Add(*p)
		}
	}
	if ps := d.problems(); len(ps) > 0 {
		return out, ps
	}
	return out, nil
}
