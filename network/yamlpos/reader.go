package yamlpos

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Reader decodes nodes strictly and collects every problem, so that each package reading
// its own document kind reports errors the same way. Each method takes where, the path
// of the value for messages ("spec.replicas"), and reports whether the value was good;
// a nil node is a value that is absent and is never a problem by itself.
//
// A Reader keeps the first [MaxProblems] problems; past them it counts, and
// [Reader.Problems] ends with one saying how many more there were, as compilers stop
// after their first errors. That bounds the report of a hostile input.
type Reader struct {
	ps      Problems
	more    int // problems past MaxProblems
	morePos Pos // where the first of them was
}

// MaxProblems is how many problems a [Reader] keeps.
const MaxProblems = 1000

// Problems returns what the reader found, sorted by position.
func (r *Reader) Problems() Problems {
	r.ps.Sort()
	if r.more > 0 {
		out := append(r.ps[:len(r.ps):len(r.ps)], Problem{Pos: r.morePos, Code: CodeLimit,
			Message: fmt.Sprintf("%d more problems not shown", r.more), Hint: "fix the problems above and run again"})
		return out
	}
	return r.ps
}

// Len is the number of problems found so far, those past [MaxProblems] included.
func (r *Reader) Len() int { return len(r.ps) + r.more }

// Addf records a problem.
func (r *Reader) Addf(pos Pos, code, hint, format string, args ...any) {
	if r.full(pos) {
		return
	}
	r.ps = append(r.ps, Problem{Pos: pos, Code: code, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// Add records problems found elsewhere.
func (r *Reader) Add(ps ...Problem) {
	for _, p := range ps {
		if !r.full(p.Pos) {
			r.ps = append(r.ps, p)
		}
	}
}

func (r *Reader) full(pos Pos) bool {
	if len(r.ps) < MaxProblems {
		return false
	}
	if r.more == 0 || pos.Before(r.morePos) {
		r.morePos = pos
	}
	r.more++
	return true
}

// Fields checks a mapping's keys against the allowed ones, suggesting the nearest for a
// misspelt key, and reports whether x is a mapping.
func (r *Reader) Fields(x *Node, where string, allowed ...string) bool {
	if x == nil {
		return false
	}
	if x.kind != Map {
		r.Addf(x.Pos(), CodeSchema, "", "%s must be a mapping, not %s", where, x.KindName())
		return false
	}
	var all string // the list of allowed keys, made once
	for i := 0; i < len(x.kids); i += 2 {
		k := x.kids[i]
		key := k.Value()
		ok := false
		for _, a := range allowed {
			if key == a {
				ok = true
				break
			}
		}
		if !ok {
			hint := DidYouMean(key, allowed)
			if hint == "" {
				if all == "" {
					all = "allowed: " + strings.Join(allowed, ", ")
				}
				hint = all
			}
			r.Addf(k.Pos(), CodeUnknownField, hint, "unknown field %q in %s", key, where)
		}
	}
	return true
}

// String reads a scalar as a string: any scalar but null.
func (r *Reader) String(x *Node, where string) (string, bool) {
	if x == nil {
		return "", false
	}
	if x.kind != Scalar || x.tag == Null {
		r.Addf(x.Pos(), CodeSchema, "", "%s must be a string, not %s", where, x.KindName())
		return "", false
	}
	return x.Value(), true
}

// Required reads the string under key in mapping parent, which must be there and not
// blank; its position is the value's, or the mapping's when it is missing.
func (r *Reader) Required(parent *Node, key, where string) (string, Pos, bool) {
	v := parent.Get(key)
	if v == nil {
		r.Addf(parent.Pos(), CodeSchema, "add "+key+": …", "%s needs %q", where, key)
		return "", parent.Pos(), false
	}
	s, ok := r.String(v, where+"."+key)
	if ok && strings.TrimSpace(s) == "" {
		r.Addf(v.Pos(), CodeSchema, "", "%s.%s must not be empty", where, key)
		return "", v.Pos(), false
	}
	return s, v.Pos(), ok
}

// Strings reads a list of strings (a single string counts as a list of one).
func (r *Reader) Strings(x *Node, where string) []string {
	if x == nil {
		return nil
	}
	if x.kind == Scalar && x.tag != Null {
		return []string{x.Value()}
	}
	if x.kind != List {
		r.Addf(x.Pos(), CodeSchema, "", "%s must be a list of strings, not %s", where, x.KindName())
		return nil
	}
	out := make([]string, 0, len(x.kids))
	for i, it := range x.kids {
		if s, ok := r.String(it, where+"["+strconv.Itoa(i)+"]"); ok {
			out = append(out, s)
		}
	}
	return out
}

// Bool reads true or false.
func (r *Reader) Bool(x *Node, where string) bool {
	if x == nil {
		return false
	}
	if x.kind != Scalar || x.tag != Bool {
		r.Addf(x.Pos(), CodeSchema, "write true or false", "%s must be true or false", where)
		return false
	}
	return x.Value() == "true"
}

// Int reads an integer within [lo, hi].
func (r *Reader) Int(x *Node, where string, lo, hi int64) (int64, bool) {
	if x == nil {
		return 0, false
	}
	if x.kind != Scalar || x.tag != Int {
		r.Addf(x.Pos(), CodeSchema, fmt.Sprintf("write a whole number from %d to %d", lo, hi), "%s must be a whole number, not %s", where, x.KindName())
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(x.str, "_", ""), 0, 64)
	if err != nil || v < lo || v > hi {
		r.Addf(x.Pos(), CodeSchema, fmt.Sprintf("write a whole number from %d to %d", lo, hi), "%s is out of range: %s", where, x.str)
		return 0, false
	}
	return v, true
}

// Duration reads a Go duration such as "10ms" or "2s".
func (r *Reader) Duration(x *Node, where string) (time.Duration, bool) {
	s, ok := r.String(x, where)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		r.Addf(x.Pos(), CodeSchema, `write a positive duration such as "10ms" or "2s"`, "%s: %q is not a duration", where, s)
		return 0, false
	}
	return d, true
}

// OneOf reads a string that must be one of the allowed values.
func (r *Reader) OneOf(x *Node, where string, allowed ...string) (string, bool) {
	s, ok := r.String(x, where)
	if !ok {
		return "", false
	}
	for _, a := range allowed {
		if s == a {
			return s, true
		}
	}
	r.Addf(x.Pos(), CodeSchema, DidYouMeanOr(s, allowed), "%s: unknown value %q", where, s)
	return "", false
}

// Suggest returns the candidate nearest to s by edit distance, or "" when none is close
// enough to be a likely typo. Distance counts first without case and separators (so "L3"
// finds "L-3" before "D3"), then without case only.
func Suggest(s string, candidates []string) string {
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
	limit := min(len([]rune(s))/3+1, 3)
	if bestLoose <= limit {
		return best
	}
	return ""
}

// DidYouMean is "did you mean X?" for the nearest candidate, or "".
func DidYouMean(s string, candidates []string) string {
	if c := Suggest(s, candidates); c != "" {
		return "did you mean " + c + "?"
	}
	return ""
}

// DidYouMeanOr is [DidYouMean], or "one of: …" listing the candidates sorted.
func DidYouMeanOr(s string, candidates []string) string {
	if h := DidYouMean(s, candidates); h != "" {
		return h
	}
	l := append([]string{}, candidates...)
	sort.Strings(l)
	return "one of: " + strings.Join(l, ", ")
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
	var abuf, bbuf [64]rune
	var pbuf, cbuf [65]int
	ra, rb := abuf[:0], bbuf[:0]
	for _, r := range a {
		ra = append(ra, r)
	}
	for _, r := range b {
		rb = append(rb, r)
	}
	prev, cur := pbuf[:0], cbuf[:0]
	if len(rb) >= len(pbuf) {
		prev, cur = make([]int, 0, len(rb)+1), make([]int, 0, len(rb)+1)
	}
	prev, cur = prev[:len(rb)+1], cur[:len(rb)+1]
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
