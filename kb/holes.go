package kb

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
)

// lexicon is what the reader knows when it chooses a character that lost bytes: the
// names the network already knows (entity ids, names and aliases, attribute texts,
// dimension and relation names, the reader's own vocabulary), then how often characters
// and pairs of characters occur in the undamaged text of every document.
type lexicon struct {
	names  [][]rune
	byRune map[rune][]nameRef
	uni    map[rune]int
	bi     map[[2]rune]int
}

type nameRef struct{ name, at int }

func newLexicon() *lexicon {
	return &lexicon{byRune: map[rune][]nameRef{}, uni: map[rune]int{}, bi: map[[2]rune]int{}}
}

// addName adds a name of two characters or more that has something beyond ASCII (only
// those can hold a damaged character).
func (l *lexicon) addName(s string) {
	rs := []rune(strings.TrimSpace(s))
	if len(rs) < 2 || len(rs) > 200 {
		return
	}
	wide := false
	for _, r := range rs {
		if r >= 0x80 {
			wide = true
		}
		if r == holeRune {
			return
		}
	}
	if !wide {
		return
	}
	i := len(l.names)
	l.names = append(l.names, rs)
	for k, r := range rs {
		if r >= 0x80 {
			l.byRune[r] = append(l.byRune[r], nameRef{i, k})
		}
	}
}

// addText counts the characters and pairs of a document's undamaged text.
func (l *lexicon) addText(s string) {
	prev := rune(-1)
	for _, r := range s {
		if r == holeRune {
			prev = -1
			continue
		}
		if r >= 0x80 {
			l.uni[r]++
		}
		if prev >= 0 && (prev >= 0x80 || r >= 0x80) {
			l.bi[[2]rune{prev, r}]++
		}
		prev = r
	}
}

// score is what is known for one candidate character of one hole.
type score struct {
	r     rune
	name  int    // length of the longest known name it completes
	which string // that name
	same  int    // holes with the same surviving bytes decided as this character by a name
	bi    int    // pairs with its neighbours seen in the documents
	uni   int    // times the character appears in the documents
	prior int    // how common it is in Chinese text, and whether it fits its neighbours
}

func (s score) better(t score) bool {
	switch {
	case s.name != t.name:
		return s.name > t.name
	case s.same != t.same:
		return s.same > t.same
	case s.bi != t.bi:
		return s.bi > t.bi
	case s.uni != t.uni:
		return s.uni > t.uni
	case s.prior != t.prior:
		return s.prior > t.prior
	}
	return s.r < t.r
}

func (s score) value() float64 {
	return float64(s.name)*100 + float64(s.same)*20 + math.Log1p(float64(s.bi))*10 + math.Log1p(float64(s.uni)) + float64(s.prior)
}

// fillHoles chooses a character for every hole of text and returns the text with them
// in place. Holes are decided most certain first, so a choice can help its neighbour.
func (l *lexicon) fillHoles(text string, holes []hole) string {
	if len(holes) == 0 {
		return text
	}
	rs := []rune(text)
	at := map[int]int{} // rune index → hole
	{
		ri, hi := 0, 0
		for off := range text {
			if hi < len(holes) && holes[hi].off == off {
				at[ri] = hi
				hi++
			}
			ri++
		}
	}
	idx := make([]int, len(holes)) // hole → rune index
	for ri, h := range at {
		idx[h] = ri
	}
	// decided counts, per set of candidates (the bytes that survived), the characters
	// known names chose: the same damaged bytes elsewhere in the text are likely the same
	// character.
	decided := map[string]map[rune]int{}
	open := len(holes)
	for open > 0 {
		type ranked struct {
			h      int
			scores []score
			conf   float64
			reason string
		}
		var all []ranked
		for h := range holes {
			if holes[h].chosen != 0 {
				continue
			}
			sc := l.scoreHole(rs, at, holes, idx[h], decided)
			conf, reason := confidence(sc)
			all = append(all, ranked{h, sc, conf, reason})
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].conf > all[j].conf })
		// Fix every hole a known name decides, or else the single most certain one; with
		// very many holes, all of them at once (the work stays linear).
		n := 1
		for n < len(all) && all[n].conf >= 0.9 {
			n++
		}
		if len(holes) > 2000 {
			n = len(all)
		}
		for _, rk := range all[:n] {
			h := &holes[rk.h]
			best := rk.scores[0]
			h.chosen = best.r
			rs[idx[rk.h]] = best.r
			alts := make([]Alternative, 0, len(rk.scores)-1)
			for _, s := range rk.scores[1:] {
				alts = append(alts, Alternative{Char: string(s.r), Score: round2(s.value())})
			}
			h.choice = Choice{Chosen: string(best.r), Alternatives: alts, Confidence: round2(rk.conf), Reason: rk.reason}
			open--
			if rk.conf >= 0.9 {
				sig := string(h.cands)
				if decided[sig] == nil {
					decided[sig] = map[rune]int{}
				}
				decided[sig][best.r]++
			}
		}
	}
	// positions and context in the final text
	line, col := 1, 1
	hi := 0
	for ri, r := range rs {
		if h, ok := at[ri]; ok && hi < len(holes) {
			c := &holes[h].choice
			c.Line, c.Col = line, col
			lo, up := max(0, ri-6), min(len(rs), ri+7)
			c.Context = strings.ReplaceAll(string(rs[lo:up]), "\n", " ")
			hi++
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return string(rs)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// scoreHole scores each candidate of the hole at rune index p, best first.
func (l *lexicon) scoreHole(rs []rune, at map[int]int, holes []hole, p int, decided map[string]map[rune]int) []score {
	h := holes[at[p]]
	out := make([]score, 0, len(h.cands))
	for _, c := range h.cands {
		s := score{r: c}
		s.name, s.which = l.nameMatch(rs, at, holes, p, c)
		s.same = decided[string(h.cands)][c]
		if p > 0 && rs[p-1] != holeRune {
			s.bi += l.bi[[2]rune{rs[p-1], c}]
		}
		if p+1 < len(rs) && rs[p+1] != holeRune {
			s.bi += l.bi[[2]rune{c, rs[p+1]}]
		}
		s.uni = l.uni[c]
		s.prior = prior(rs, p, c)
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].better(out[j]) })
	return out
}

// nameMatch finds the longest known name that the text around p spells with c at p;
// other undecided holes in the window may stand for any of their candidates.
func (l *lexicon) nameMatch(rs []rune, at map[int]int, holes []hole, p int, c rune) (int, string) {
	best, which := 0, ""
	for _, ref := range l.byRune[c] {
		name := l.names[ref.name]
		if len(name) <= best {
			continue
		}
		start := p - ref.at
		if start < 0 || start+len(name) > len(rs) {
			continue
		}
		ok := true
		for i, want := range name {
			q := start + i
			if q == p {
				continue
			}
			got := rs[q]
			if got == want {
				continue
			}
			if got == holeRune {
				if hi, isHole := at[q]; isHole && holes[hi].chosen == 0 && containsRune(holes[hi].cands, want) {
					continue
				}
			}
			ok = false
			break
		}
		if ok {
			best, which = len(name), string(name)
		}
	}
	return best, which
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// brackets pairs opening and closing punctuation.
var brackets = map[rune]rune{'「': '」', '『': '』', '【': '】', '〔': '〕', '（': '）', '《': '》', '〈': '〉', '〖': '〗', '〘': '〙', '〚': '〛', '〝': '〞'}

var closers = func() map[rune]rune {
	m := map[rune]rune{}
	for o, c := range brackets {
		m[c] = o
	}
	return m
}()

// prior is what is known of c without the documents: how common GB2312 says it is, a
// bonus when it is of the same script as its neighbours, and a penalty for a bracket
// without its partner on the line.
func prior(rs []rune, p int, c rune) int {
	v := gbLevel(c) * 2
	same := func(q int) bool {
		if q < 0 || q >= len(rs) || rs[q] == holeRune {
			return false
		}
		return unicode.Is(unicode.Han, rs[q]) == unicode.Is(unicode.Han, c)
	}
	if same(p - 1) {
		v++
	}
	if same(p + 1) {
		v++
	}
	if unicode.Is(unicode.Han, c) && !(c >= 0x4E00 && c <= 0x9FFF) {
		v -= 2 // extension blocks hold rare characters
	}
	lineStart, lineEnd := p, p
	for lineStart > 0 && rs[lineStart-1] != '\n' {
		lineStart--
	}
	for lineEnd < len(rs) && rs[lineEnd] != '\n' {
		lineEnd++
	}
	if closer, ok := brackets[c]; ok && !containsRune(rs[p+1:lineEnd], closer) {
		v -= 6
	}
	if opener, ok := closers[c]; ok && !containsRune(rs[lineStart:p], opener) {
		v -= 6
	}
	return v
}

// confidence says how sure a choice is and why, from the scores best first.
func confidence(sc []score) (float64, string) {
	b := sc[0]
	if len(sc) == 1 {
		return 1, "the only character the bytes can be"
	}
	s := sc[1]
	switch {
	case b.name > s.name:
		if b.name >= 3 {
			return 0.95, fmt.Sprintf("completes the known name %q", b.which)
		}
		return 0.9, fmt.Sprintf("completes the known name %q", b.which)
	case b.name > 0:
		return 0.3, fmt.Sprintf("completes the known name %q, as another candidate does; chose by the documents' text", b.which)
	case b.same > s.same:
		return 0.85, fmt.Sprintf("the same damaged bytes are %s in %d place(s) a known name decided", string(b.r), b.same)
	case b.bi > s.bi:
		return 0.5 + 0.3*float64(b.bi-s.bi)/float64(b.bi), fmt.Sprintf("beside the same neighbours %d time(s) in the documents", b.bi)
	case b.uni > s.uni:
		return 0.4 + 0.2*float64(b.uni-s.uni)/float64(b.uni), fmt.Sprintf("appears %d time(s) elsewhere in the documents", b.uni)
	case b.prior > s.prior:
		return 0.3, "no name or text decides: the most common candidate that fits its neighbours"
	}
	ties := 1
	for _, x := range sc[1:] {
		if x.prior == b.prior {
			ties++
		}
	}
	return 1 / float64(ties+1), "no name, text or frequency decides: a guess among equals"
}
