package golden

import (
	"fmt"
	"strings"
)

// Op is what an [Edit] does with a line.
type Op int8

// The three edit operations.
const (
	Keep   Op = iota // the line is in both texts
	Delete           // the line is only in the first text
	Insert           // the line is only in the second text
)

// Edit is one step of an edit script from a to b. Keep and Delete name a line of a by A;
// Keep and Insert name a line of b by B; the other index is -1.
type Edit struct {
	Op   Op
	A, B int
}

// maxD bounds the search: past this many differing lines (after the common prefix and
// suffix are set aside) Edits stops looking for the shortest script and deletes the rest
// of a and inserts the rest of b. Myers' search keeps O(D²) state; 2,000 keeps it under
// 32 MB, and a golden file that differs in more lines than that is read by regenerating it,
// not from the diff.
const maxD = 2000

// Edits returns a shortest edit script turning a into b (Myers' O(ND) algorithm): the
// lines it keeps are a longest common subsequence of a and b. Applying it — the Keep and
// Insert lines, in order — gives b; the Keep and Delete lines give a.
func Edits(a, b []string) []Edit {
	// Common prefix and suffix first: a golden file that changed in one place costs
	// nothing beyond the place.
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	out := make([]Edit, 0, len(a)+len(b)-p-s)
	for i := 0; i < p; i++ {
		out = append(out, Edit{Keep, i, i})
	}
	out = append(out, myers(a[p:len(a)-s], b[p:len(b)-s], p, p)...)
	for i := 0; i < s; i++ {
		out = append(out, Edit{Keep, len(a) - s + i, len(b) - s + i})
	}
	return out
}

// myers finds a shortest edit script of a and b, whose lines stand at offsets ao and bo
// of the whole texts.
func myers(a, b []string, ao, bo int) []Edit {
	n, m := len(a), len(b)
	limit := min(n+m, maxD)
	off := limit + 1
	v := make([]int, 2*off+1) // v[off+k]: the furthest x reached on diagonal k = x-y
	// trace[d] is v before step d, for diagonals -d..d (index k+d).
	var trace [][]int
	for d := 0; d <= limit; d++ {
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: a line of b inserted
			} else {
				x = v[off+k-1] + 1 // right: a line of a deleted
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, d, n, m, ao, bo)
			}
		}
	}
	// More than maxD lines differ: a correct script, not a shortest one.
	out := make([]Edit, 0, n+m)
	for i := range n {
		out = append(out, Edit{Delete, ao + i, -1})
	}
	for j := range m {
		out = append(out, Edit{Insert, -1, bo + j})
	}
	return out
}

// backtrack walks the trace of a search that reached (n, m) at step d back to (0, 0).
func backtrack(trace [][]int, d, n, m, ao, bo int) []Edit {
	var rev []Edit
	x, y := n, m
	for ; d > 0; d-- {
		vv := trace[d] // diagonal k at vv[k+d]
		k := x - y
		pk := k - 1 // came right: deleted a[px]
		if k == -d || (k != d && vv[k-1+d] < vv[k+1+d]) {
			pk = k + 1 // came down: inserted b[py]
		}
		px := vv[pk+d]
		py := px - pk
		for x > px && y > py { // the snake after the move
			rev = append(rev, Edit{Keep, ao + x - 1, bo + y - 1})
			x, y = x-1, y-1
		}
		if pk == k+1 {
			rev = append(rev, Edit{Insert, -1, bo + py})
		} else {
			rev = append(rev, Edit{Delete, ao + px, -1})
		}
		x, y = px, py
	}
	for x > 0 && y > 0 {
		rev = append(rev, Edit{Keep, ao + x - 1, bo + y - 1})
		x, y = x-1, y-1
	}
	out := make([]Edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}

// context is how many unchanged lines a hunk shows around its changes, as diff -u does.
const context = 3

// Diff returns a unified diff (diff -u's format, which patch applies) turning text a,
// named aName, into text b, named bName; "" when they are equal. Lines are compared with
// their newline, so a missing newline at the end shows as GNU diff shows it.
func Diff(aName string, a []byte, bName string, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	al, bl := lines(string(a)), lines(string(b))
	edits := Edits(al, bl)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	// aAt[i], bAt[i]: how many lines of a and of b come before edits[i].
	aAt, bAt := make([]int, len(edits)+1), make([]int, len(edits)+1)
	for i, e := range edits {
		aAt[i+1], bAt[i+1] = aAt[i], bAt[i]
		if e.Op != Insert {
			aAt[i+1]++
		}
		if e.Op != Delete {
			bAt[i+1]++
		}
	}
	for i := 0; i < len(edits); {
		for i < len(edits) && edits[i].Op == Keep {
			i++
		}
		if i == len(edits) {
			break
		}
		// A hunk runs from context lines before this change to context lines after the
		// last change that follows the one before it by at most 2*context kept lines.
		start, last := max(0, i-context), i
		for j := i + 1; j < len(edits) && j-last <= 2*context+1; j++ {
			if edits[j].Op != Keep {
				last = j
			}
		}
		end := min(len(edits), last+1+context)
		fmt.Fprintf(&out, "@@ -%s +%s @@\n",
			hunkRange(aAt[start], aAt[end]-aAt[start]), hunkRange(bAt[start], bAt[end]-bAt[start]))
		for _, e := range edits[start:end] {
			var mark byte
			var line string
			switch e.Op {
			case Keep:
				mark, line = ' ', al[e.A]
			case Delete:
				mark, line = '-', al[e.A]
			case Insert:
				mark, line = '+', bl[e.B]
			}
			out.WriteByte(mark)
			out.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return out.String()
}

// hunkRange is a hunk header's range of count lines after the first before lines of a
// text: 1-based, and an empty range names the line before it, as diff -u writes it.
func hunkRange(before, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", before)
	}
	return fmt.Sprintf("%d,%d", before+1, count)
}

// lines splits s after each newline; the last line has none when s does not end in one.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	ls := strings.SplitAfter(s, "\n")
	if ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}
