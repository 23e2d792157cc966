package kb

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Mojibake is UTF-8 whose bytes were read one by one as Windows-1252 (or Latin-1) and
// written out again as UTF-8: 中 (E4 B8 AD) becomes "ä¸\u00ad". Reading each character
// back as the byte it came from and decoding those bytes as UTF-8 undoes it.
//
// Windows-1252 has no characters for 0x81, 0x8D, 0x8F, 0x90 and 0x9D. Converters keep
// them as the C1 controls U+0081… (lossless), write U+FFFD for them, or drop them. A
// dropped byte leaves a UTF-8 sequence one byte short: its lead byte says how long it
// should be, so the reader knows a continuation byte is missing, and that it was one of
// those five; it does not know which, nor (when the sequence has two continuation slots)
// where. Each such character is a hole with a few candidates, chosen later with the
// context of every document (resolveHoles).

// holeRune stands in the text for a character still to be chosen.
const holeRune = utf8.RuneError

// lostBytes are the bytes Windows-1252 leaves undefined.
var lostBytes = [...]byte{0x81, 0x8D, 0x8F, 0x90, 0x9D}

// cp1252Byte maps the 27 characters Windows-1252 puts at 0x80–0x9F back to their bytes.
var cp1252Byte = func() map[rune]byte {
	m := map[rune]byte{}
	for b := 0x80; b <= 0x9F; b++ {
		if r := charmap.Windows1252.DecodeByte(byte(b)); r != utf8.RuneError && r >= 0x100 {
			m[r] = byte(b)
			cp1252Lo, cp1252Hi = min(cp1252Lo, r), max(cp1252Hi, r)
		}
	}
	return m
}()

// cp1252Lo and cp1252Hi bound cp1252Byte's characters (Œ U+0152 to ™ U+2122), so that
// the text of a document, most of it outside, is looked up in the map rarely.
var cp1252Lo, cp1252Hi rune = utf8.MaxRune, 0

// isCP1252Extra reports whether r is one of the characters of cp1252Byte.
func isCP1252Extra(r rune) bool {
	if r < cp1252Lo || r > cp1252Hi {
		return false
	}
	_, ok := cp1252Byte[r]
	return ok
}

// byteOf is the byte a character stands for when UTF-8 was read as Windows-1252 or
// Latin-1: Latin-1 characters are their code point, the Windows-1252 extras their slot.
func byteOf(r rune) (byte, bool) {
	if r < 0x100 {
		return byte(r), true
	}
	if r < cp1252Lo || r > cp1252Hi {
		return 0, false
	}
	b, ok := cp1252Byte[r]
	return b, ok
}

// hole is a character whose bytes were partly lost.
type hole struct {
	off   int    // byte offset of its holeRune in the text
	cands []rune // what it can be, in code-point order
	lost  int    // bytes lost
	known bool   // the lost bytes' places were marked (U+FFFD), not guessed
	// filled after the choice
	chosen rune
	choice Choice
}

// mojiStats counts what the UTF-8 structure of the mapped-back bytes says.
type mojiStats struct {
	complete   int // multi-byte sequences that decode
	incomplete int // sequences short of bytes, or with marked lost bytes
	invalid    int // bytes that fit no sequence
	specials   bool
	c1         bool
}

// undoMojibake detects and undoes mojibake, up to three layers. It returns s unchanged
// and nil when s does not look like mojibake.
func undoMojibake(s string) (string, *Mojibake, []hole) {
	var m *Mojibake
	var holes []hole
	for layer := 0; layer < 3; layer++ {
		st := scanMojibake(s)
		if !st.looksLikeMojibake() {
			break
		}
		out, hs, restored := repairMojibake(s)
		if m == nil {
			m = &Mojibake{}
		}
		m.Layers++
		m.Restored += restored
		switch {
		case st.specials:
			m.ReadAs = "windows-1252"
		case m.ReadAs == "" && st.c1:
			m.ReadAs = "latin-1"
		case m.ReadAs == "":
			m.ReadAs = "windows-1252 or latin-1"
		}
		conf := float64(st.complete) / float64(st.complete+st.incomplete+st.invalid)
		if layer == 0 || conf < m.confidence {
			m.confidence = conf
		}
		s, holes = out, hs
		if len(holes) > 0 {
			break // a second layer under lost bytes cannot be told apart
		}
	}
	return s, m, holes
}

// looksLikeMojibake: many complete sequences, few broken ones. Real Latin text (café)
// has no complete sequences at all; real lossy mojibake has a few short ones among many.
func (st mojiStats) looksLikeMojibake() bool {
	return st.complete > 0 && st.complete >= 4*(st.incomplete+st.invalid)
}

// runs calls f for each maximal run of characters that map back to bytes (U+FFFD
// included, as a lost byte) and contains a byte ≥ 0x80.
func runs(s string, f func(start, end int, bs []byte, lost []bool)) {
	var bs []byte
	var lost []bool
	start, high := -1, false
	flush := func(end int) {
		if start >= 0 && high {
			f(start, end, bs, lost)
		}
		bs, lost, start, high = bs[:0], lost[:0], -1, false
	}
	for i, r := range s {
		b, ok := byteOf(r)
		isLost := r == holeRune && !ok
		if !ok && !isLost {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
		}
		if isLost || b >= 0x80 {
			high = true
		}
		bs = append(bs, b)
		lost = append(lost, isLost)
	}
	flush(len(s))
}

// seqLen is the length of the UTF-8 sequence a lead byte starts, 0 for a byte that
// cannot lead one.
func seqLen(b byte) int {
	switch {
	case b < 0x80:
		return 1
	case b >= 0xC2 && b <= 0xDF:
		return 2
	case b >= 0xE0 && b <= 0xEF:
		return 3
	case b >= 0xF0 && b <= 0xF4:
		return 4
	}
	return 0
}

func isCont(b byte) bool { return b >= 0x80 && b <= 0xBF }

// seq is one UTF-8 sequence found in mapped-back bytes: bytes [i, j) of the run.
type seq struct {
	i, j   int
	r      rune   // a complete sequence's character
	holes  []int  // marked lost bytes' places (indexes into the sequence)
	short  int    // bytes missing at unknown places
	lead   byte   // the lead byte
	conts  []byte // continuation bytes present (0 at marked places)
	broken bool   // fits no sequence
}

// parseRun splits a run's bytes into sequences.
func parseRun(bs []byte, lost []bool, f func(sq seq)) {
	for i := 0; i < len(bs); {
		if lost[i] {
			// a marked lost byte with no lead before it: it belonged to a sequence whose
			// lead was not a mapped character; nothing to rebuild
			f(seq{i: i, j: i + 1, broken: true})
			i++
			continue
		}
		b := bs[i]
		n := seqLen(b)
		if n == 1 {
			f(seq{i: i, j: i + 1, r: rune(b)})
			i++
			continue
		}
		if n == 0 {
			f(seq{i: i, j: i + 1, broken: true})
			i++
			continue
		}
		sq := seq{i: i, lead: b}
		j := i + 1
		for j < len(bs) && j-i < n && (lost[j] || isCont(bs[j])) {
			if lost[j] {
				sq.holes = append(sq.holes, j-i)
				sq.conts = append(sq.conts, 0)
			} else {
				sq.conts = append(sq.conts, bs[j])
			}
			j++
		}
		sq.j = j
		sq.short = n - (j - i)
		if sq.short == 0 && len(sq.holes) == 0 {
			r, size := utf8.DecodeRune(bs[i:j])
			if r == utf8.RuneError || size != n {
				// overlong or surrogate: keep the bytes' own characters
				for k := i; k < j; k++ {
					f(seq{i: k, j: k + 1, broken: true})
				}
				i = j
				continue
			}
			sq.r = r
		}
		f(sq)
		i = j
	}
}

func scanMojibake(s string) mojiStats {
	var st mojiStats
	for _, r := range s {
		if isCP1252Extra(r) {
			st.specials = true
		}
		if r >= 0x80 && r < 0xA0 {
			st.c1 = true
		}
	}
	runs(s, func(_, _ int, bs []byte, lost []bool) {
		parseRun(bs, lost, func(sq seq) {
			switch {
			case sq.broken:
				st.invalid++
			case sq.j-sq.i == 1 && sq.short == 0:
				// ASCII
			case sq.short > 0 || len(sq.holes) > 0:
				if len(candidates(sq)) > 0 {
					st.incomplete++
				} else {
					st.invalid++
				}
			default:
				if unicode.IsPrint(sq.r) || unicode.IsSpace(sq.r) {
					st.complete++
				} else {
					st.invalid++
				}
			}
		})
	})
	return st
}

// candidates lists the characters a short or marked sequence can be: its lost bytes put
// back (each one of the five Windows-1252 leaves undefined) at every place they may have
// been, keeping only printable characters.
func candidates(sq seq) []rune {
	n := seqLen(sq.lead)
	if n < 2 || sq.short < 0 || sq.short > n-1 {
		return nil
	}
	seen := map[rune]bool{}
	var out []rune
	buf := make([]byte, n)
	// Choose the places of the unmarked missing bytes among the n-1 continuation slots;
	// the present bytes keep their order.
	var place func(slot, present, missing int)
	var fill func(k int)
	slots := make([]int, n-1) // -1: a missing byte; otherwise index into conts
	fill = func(k int) {
		if k == n-1 {
			r, size := utf8.DecodeRune(buf)
			if r != utf8.RuneError && size == n && unicode.IsPrint(r) && !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
			return
		}
		if slots[k] >= 0 && sq.conts[slots[k]] != 0 {
			buf[k+1] = sq.conts[slots[k]]
			fill(k + 1)
			return
		}
		for _, b := range lostBytes {
			buf[k+1] = b
			fill(k + 1)
		}
	}
	place = func(slot, present, missing int) {
		if slot == n-1 {
			if present == len(sq.conts) && missing == sq.short {
				fill(0)
			}
			return
		}
		if present < len(sq.conts) {
			slots[slot] = present
			place(slot+1, present+1, missing)
		}
		if missing < sq.short {
			slots[slot] = -1
			place(slot+1, present, missing+1)
		}
	}
	buf[0] = sq.lead
	place(0, 0, 0)
	sortRunes(out)
	return out
}

func sortRunes(rs []rune) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j] < rs[j-1]; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// repairMojibake rebuilds the text from the mapped-back bytes. Complete sequences become
// their characters, short ones holes, and bytes that fit nothing keep the characters they
// were read as.
func repairMojibake(s string) (string, []hole, int) {
	var b strings.Builder
	b.Grow(len(s))
	var holes []hole
	restored, last := 0, 0
	runs(s, func(start, end int, bs []byte, lost []bool) {
		b.WriteString(s[last:start])
		last = end
		// the characters of the run, to give back bytes that fit nothing
		orig := make([]string, 0, len(bs))
		for _, r := range s[start:end] {
			orig = append(orig, string(r))
		}
		parseRun(bs, lost, func(sq seq) {
			switch {
			case sq.broken:
				for k := sq.i; k < sq.j; k++ {
					b.WriteString(orig[k])
				}
			case sq.short > 0 || len(sq.holes) > 0:
				cs := candidates(sq)
				if len(cs) == 0 {
					for k := sq.i; k < sq.j; k++ {
						b.WriteString(orig[k])
					}
					return
				}
				holes = append(holes, hole{off: b.Len(), cands: cs, lost: sq.short + len(sq.holes), known: sq.short == 0})
				b.WriteRune(holeRune)
			default:
				b.WriteRune(sq.r)
				if sq.j-sq.i > 1 {
					restored++
				}
			}
		})
	})
	b.WriteString(s[last:])
	return b.String(), holes, restored
}
