package kb

import "github.com/strata-dev/strata/network"

// addNetworkNames adds everything a network names: entities' ids, names, aliases and
// text attributes, dimensions, relation types.
func addNetworkNames(l *lexicon, n *network.Network) {
	for _, e := range n.Entities {
		l.addName(e.ID)
		l.addName(e.Names.En)
		l.addName(e.Names.Zh)
		for _, a := range e.Aliases {
			l.addName(a)
		}
		for _, a := range e.Attributes {
			switch a.Type {
			case network.TypeText:
				l.addName(a.Text.En)
				l.addName(a.Text.Zh)
			case network.TypeString:
				l.addName(a.String)
			case network.TypeList:
				for _, s := range a.List {
					l.addName(s)
				}
			}
		}
	}
	for _, d := range n.Dimensions {
		l.addName(d.Names.En)
		l.addName(d.Names.Zh)
		l.addName(d.Definition.Zh)
		for _, a := range d.Aliases {
			l.addName(a)
		}
	}
	for _, r := range n.Relations {
		l.addName(r.Names.En)
		l.addName(r.Names.Zh)
	}
}
