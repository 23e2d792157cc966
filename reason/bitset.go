package reason

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// closure is the full transitive closure of the condensed DAG: one row of
// bits per class, bit d of row c set when c reaches d in one or more steps.
type closure struct {
	words int // words per row
	bits  []uint64
}

// newClosure fills the rows in reverse topological order: a row is the union
// of its successors' rows plus the successors themselves. Successors are
// visited in ascending order and one that is already set is skipped, because
// the smaller successor that set it already contributed its whole row; on
// random DAGs this skips most of the work.
func newClosure(nc int, succOff, succ []int32) *closure {
	w := (nc + 63) / 64
	cl := &closure{words: w, bits: make([]uint64, nc*w)}
	for c := nc - 1; c >= 0; c-- {
		row := cl.bits[c*w : (c+1)*w]
		for _, d := range succ[succOff[c]:succOff[c+1]] {
			i, m := d>>6, uint64(1)<<(d&63)
			if row[i]&m != 0 {
				continue
			}
			row[i] |= m
			// Row d only has bits above d, so start at d's word.
			src := cl.bits[int(d)*w+int(i) : (int(d)+1)*w]
			dst := row[i:]
			for j, x := range src {
				dst[j] |= x
			}
		}
	}
	return cl
}

func (cl *closure) has(u, v int32) bool {
	return cl.bits[int(u)*cl.words+int(v>>6)]&(1<<(v&63)) != 0
}

// each calls fn for every class reachable from c, in ascending order.
func (cl *closure) each(c int32, fn func(int32)) {
	row := cl.bits[int(c)*cl.words : (int(c)+1)*cl.words]
	for i, x := range row {
		for x != 0 {
			fn(int32(i*64 + bits.TrailingZeros64(x)))
			x &= x - 1
		}
	}
}

// weightedPairs counts node pairs: Σ over rows of size(c) × Σ size(d) for d
// in the row.
func (cl *closure) weightedPairs(sizes []int64) int64 {
	extra := multiMembers(sizes)
	var total int64
	for c := range sizes {
		row := cl.bits[c*cl.words : (c+1)*cl.words]
		total += sizes[c] * rowWeight(row, extra, sizes, 0)
	}
	return total
}

// multiMembers returns a bitset of the classes with more than one node; most
// classes have one, so weighting a row is a popcount plus a few corrections.
func multiMembers(sizes []int64) []uint64 {
	m := make([]uint64, (len(sizes)+63)/64)
	for c, s := range sizes {
		if s > 1 {
			m[c>>6] |= 1 << (c & 63)
		}
	}
	return m
}

// rowWeight returns Σ size(d) over the bits of row, where bit j stands for
// class base+j and extra marks classes (absolute ids) of size > 1.
func rowWeight(row, extra []uint64, sizes []int64, base int) int64 {
	var n int64
	for j, x := range row {
		if x == 0 {
			continue
		}
		n += int64(bits.OnesCount64(x))
		// base is a multiple of 64, so word j of row lines up with one word of extra.
		if e := x & extra[base/64+j]; e != 0 {
			for e != 0 {
				d := base + j*64 + bits.TrailingZeros64(e)
				n += sizes[d] - 1
				e &= e - 1
			}
		}
	}
	return n
}

// blockedRowBytes bounds the scratch rows of blockedPairs across all workers.
const blockedRowBytes = 64 << 20

// blockedPairs counts the weighted closure without holding it: target
// classes are taken in blocks of B, and one reverse-topological pass per
// block computes each class's reach inside the block. Blocks run in
// parallel, each worker with its own rows.
func blockedPairs(nc int, succOff, succ []int32, sizes []int64) int64 {
	if nc == 0 {
		return 0
	}
	extra := multiMembers(sizes)
	workers := max(1, runtime.GOMAXPROCS(0))
	words := max(1, blockedRowBytes/8/workers/nc)
	words = min(words, (nc+63)/64)
	blockBits := words * 64
	nBlocks := (nc + blockBits - 1) / blockBits
	workers = min(workers, nBlocks)
	var next atomic.Int64
	var total atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := make([]uint64, nc*words)
			for {
				b := int(next.Add(1) - 1)
				if b >= nBlocks {
					return
				}
				lo := b * blockBits
				hi := min(nc, lo+blockBits)
				var sum int64
				// Only classes below hi can reach the block.
				for c := hi - 1; c >= 0; c-- {
					row := rows[c*words : (c+1)*words]
					clear(row)
					for _, d := range succ[succOff[c]:succOff[c+1]] {
						if int(d) >= hi {
							break // sorted: the rest are past the block
						}
						if int(d) >= lo {
							k := int(d) - lo
							if row[k>>6]&(1<<(k&63)) != 0 {
								continue // d's row is already in
							}
							row[k>>6] |= 1 << (k & 63)
						}
						for j, x := range rows[int(d)*words : (int(d)+1)*words] {
							row[j] |= x
						}
					}
					sum += sizes[c] * rowWeight(row, extra, sizes, lo)
				}
				total.Add(sum)
			}
		}()
	}
	wg.Wait()
	return total.Load()
}
