package network

import (
	"errors"

	"github.com/strata-dev/strata/network/yamlpos"
)

// Pos is a position in a source file; see [yamlpos.Pos].
type Pos = yamlpos.Pos

// Problem is one thing wrong with the input: where, what, and what to do about it.
type Problem = yamlpos.Problem

// Problems is every problem found in an input, sorted by position. It is the error that
// [Load] returns when the input is not a valid network.
type Problems = yamlpos.Problems

// Problem codes. They are stable: tools may match on them.
const (
	CodeSyntax        = yamlpos.CodeSyntax
	CodeLimit         = yamlpos.CodeLimit // the input goes past a limit of [Options.Limits]
	CodeSchema        = yamlpos.CodeSchema
	CodeUnknownField  = yamlpos.CodeUnknownField
	CodeUnknownKind   = "unknown-kind"
	CodeUnknownEntity = "unknown-entity"
	CodeUnknownRel    = "unknown-relation"
	CodeDuplicate     = "duplicate-id"
	CodeChain         = "chain"
	CodeFormula       = "formula"
	CodeContradiction = "contradiction"
	CodeProperty      = "property"
)

// AsProblems reports whether err holds input problems and returns them.
func AsProblems(err error) (Problems, bool) {
	var ps Problems
	if errors.As(err, &ps) {
		return ps, true
	}
	return nil, false
}

func suggest(s string, candidates []string) string { return yamlpos.Suggest(s, candidates) }

func didYouMean(s string, candidates []string) string { return yamlpos.DidYouMean(s, candidates) }

func didYouMeanOr(s string, candidates []string) string { return yamlpos.DidYouMeanOr(s, candidates) }
