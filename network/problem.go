package network

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Pos is a position in a source file. Line and Col are 1-based; a zero Line means the
// position is unknown (for example a fact that was measured rather than written).
type Pos struct {
	File string `json:"file,omitempty" yaml:"file,omitempty"`
	Line int    `json:"line,omitempty" yaml:"line,omitempty"`
	Col  int    `json:"col,omitempty" yaml:"col,omitempty"`
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Short is the position without the column, the way derivations cite their sources.
func (p Pos) Short() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Problem is one thing wrong with the input: where, what, and what to do about it.
type Problem struct {
	Pos     Pos    `json:"pos" yaml:"pos"`
	Code    string `json:"code" yaml:"code"`
	Message string `json:"message" yaml:"message"`
	Hint    string `json:"hint,omitempty" yaml:"hint,omitempty"`
}

func (p Problem) String() string {
	s := p.Pos.String() + ": " + p.Message
	if p.Hint != "" {
		s += " (" + p.Hint + ")"
	}
	return s
}

// Problem codes. They are stable: tools may match on them.
const (
	CodeSyntax        = "syntax"
	CodeSchema        = "schema"
	CodeUnknownField  = "unknown-field"
	CodeUnknownKind   = "unknown-kind"
	CodeUnknownEntity = "unknown-entity"
	CodeUnknownRel    = "unknown-relation"
	CodeDuplicate     = "duplicate-id"
	CodeChain         = "chain"
	CodeFormula       = "formula"
	CodeContradiction = "contradiction"
	CodeProperty      = "property"
)

// Problems is every problem found in an input, sorted by position. It is the error that
// [Load] returns when the input is not a valid network.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders problems by file, line and column, keeping the order of equal positions.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// AsProblems reports whether err holds input problems and returns them.
func AsProblems(err error) (Problems, bool) {
	var ps Problems
	if errors.As(err, &ps) {
		return ps, true
	}
	return nil, false
}

// problemList collects problems while loading.
type problemList struct{ ps Problems }

func (l *problemList) add(pos Pos, code, hint, format string, args ...any) {
	l.ps = append(l.ps, Problem{Pos: pos, Code: code, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// suggest returns the candidate nearest to s by edit distance, or "" when none is close.
// Distance counts first without case and separators (so "L3" finds "L-3" before "D3"),
// then without case only.
func suggest(s string, candidates []string) string {
	best, bestLoose, bestStrict := "", 1<<30, 1<<30
	ls, ks := strings.ToLower(s), looseKey(s)
	for _, c := range candidates {
		loose := editDistance(ks, looseKey(c))
		if loose > bestLoose {
			continue
		}
		strict := editDistance(ls, strings.ToLower(c))
		if loose < bestLoose || strict < bestStrict || (strict == bestStrict && c < best) {
			best, bestLoose, bestStrict = c, loose, strict
		}
	}
	limit := len([]rune(s))/3 + 1
	if limit > 3 {
		limit = 3
	}
	if bestLoose <= limit {
		return best
	}
	return ""
}

// looseKey is s lower-cased without the separators people drop or swap: "L-3" is "l3".
func looseKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ', '.', '/':
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func didYouMean(s string, candidates []string) string {
	if c := suggest(s, candidates); c != "" {
		return "did you mean " + c + "?"
	}
	return ""
}
