package network

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
