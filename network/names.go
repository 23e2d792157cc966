package network

import (
	"strings"
	"unicode"
)

// Suggest returns the candidate nearest to s by edit distance, or "" when none is close
// enough to be a likely typo. Commands use it for "did you mean …?" hints.
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }

// ResolveRelation finds a relation type by id, English or Chinese name, or inverse name,
// and suggests the nearest id when there is none.
func (n *Network) ResolveRelation(name string) (*RelationType, error) {
	if r, ok := n.Relation(name); ok {
		return r, nil
	}
	return nil, &UnknownError{What: "relation type", Name: name, Suggest: suggest(name, n.RelationIDs())}
}

// ResolveList resolves a list of entity names written the way people write stacks:
// separated by '+', ',' or spaces ("K3s + WasmEdge", "K3s,WasmEdge", and "K3s WasmEdge",
// which is also what a query string makes of an unescaped "K3s+WasmEdge"). A name of
// several words ("Kata Containers (QEMU)") is matched first, the longest run of words that
// resolves; an unknown word gets the error of [Network.Resolve], with its suggestion.
func (n *Network) ResolveList(text string) ([]*Entity, error) {
	words := strings.FieldsFunc(text, func(r rune) bool { return r == '+' || r == ',' || unicode.IsSpace(r) })
	n.nameIndex()
	most := max(n.nameWords, 1)
	var out []*Entity
	for i := 0; i < len(words); {
		// Runs of several words are looked up without an error: a did-you-mean for each
		// run that is not a name would cost a pass over every name, per word.
		j := min(len(words), i+most)
		for ; j > i+1; j-- {
			if e, ok := n.find(strings.Join(words[i:j], " ")); ok {
				out = append(out, e)
				break
			}
		}
		if j == i+1 {
			e, err := n.Resolve(words[i])
			if err != nil {
				return nil, err // the error for the single word, with its suggestion
			}
			out = append(out, e)
		}
		i = j
	}
	return out, nil
}
