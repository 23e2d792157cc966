package yamlpos

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a source file. Line and Col are 1-based, Col counting characters
// (not bytes); a zero Line means the position is unknown (for example a fact that was
// measured rather than written).
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

// Before reports whether p comes before q: by file name, then line, then column.
func (p Pos) Before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
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

// Error makes a *Problem an error, as [Parse] returns it.
func (p *Problem) Error() string { return p.String() }

// Is matches [ErrLimit] for a problem of code [CodeLimit].
func (p *Problem) Is(target error) bool { return target == ErrLimit && p.Code == CodeLimit }

// Problem codes of the YAML layer. They are stable: tools may match on them.
const (
	CodeSyntax       = "syntax"        // not YAML, or YAML strata does not read
	CodeLimit        = "limit"         // past a limit of [Limits]
	CodeSchema       = "schema"        // a value of the wrong shape or type
	CodeUnknownField = "unknown-field" // a key the document kind does not have
)

// ErrLimit is matched (with errors.Is) by the error [Parse] returns when the input goes
// past one of its [Limits].
var ErrLimit = errors.New("input too large or too deeply nested")

// Problems is every problem found in an input, sorted by position.
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
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Pos.Before(ps[j].Pos) })
}
