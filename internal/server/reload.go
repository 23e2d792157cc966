package server

import (
	"sync"
	"time"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/reason"
)

// state is one network as the server serves it: the network, its reasoner and planner,
// the network document encoded once, and the names its files are shown by. A state never
// changes; a reload builds a new one off to the side and swaps it in (Update).
type state struct {
	net     *network.Network
	rsn     *reason.Reasoner
	planner *plan.Planner
	// network, derived and status encode the network document, the derived facts and
	// the NetworkStatus answer (each with its ETag) on first use, once per state; paths
	// collects the network's file names on first use. A reload swaps in a state without
	// waiting for answers nobody asked for yet: its cost does not grow with the network
	// (BenchmarkUpdateKB).
	network func() (body, error)
	derived func() (body, error)
	status  func() (body, error)
	paths   func() pathNames
	gen     uint64
	loaded  time.Time
}

// NetworkStatus is the answer of /api/v1/network/status: which network is served and
// what the last load of the watched files found. While that load has problems, the
// network served is the last good one (stale) and the problems say what to fix.
type NetworkStatus struct {
	// Generation counts the networks served: 1 at start, one more at each reload that
	// loaded. A client that sees it change fetches /api/v1/network again.
	Generation uint64 `json:"generation"`
	// LoadedAt is when the network served was loaded; CheckedAt when the files were last
	// read (the same unless the last read had problems); both RFC 3339 in UTC.
	LoadedAt  string `json:"loadedAt"`
	CheckedAt string `json:"checkedAt"`
	Entities  int    `json:"entities"`
	Facts     int    `json:"facts"`
	// Stale is true while the files have problems: the network served is the last good one.
	Stale    bool             `json:"stale"`
	Problems network.Problems `json:"problems"`
}

// state returns the network served now.
func (s *Server) state() *state { return s.cur.Load() }

// newState builds what the server needs to serve a network: the network document and
// the status answer. problems are those of a newer load that failed (then this state
// keeps serving the last good network, stale).
func (s *Server) newState(rsn *reason.Reasoner, planner *plan.Planner, problems network.Problems) (*state, error) {
	st := &state{net: rsn.Network(), rsn: rsn, planner: planner, gen: s.gen.Add(1), loaded: time.Now()}
	n, results := st.net, s.resultFiles
	paths := sync.OnceValue(func() pathNames { return newPathNames(n, results) })
	st.paths = paths
	st.network = sync.OnceValues(func() (body, error) { return networkBlob(n, rsn, paths(), &s.lists) })
	st.derived = sync.OnceValues(func() (body, error) { return derivedBlob(rsn, paths()) })
	st.setStatus(st.loaded, problems)
	return st, nil
}

// setStatus sets the state's status answer, encoded on first use: checked is when the
// files were read, problems what that read found.
func (st *state) setStatus(checked time.Time, problems network.Problems) {
	if problems == nil {
		problems = network.Problems{}
	}
	a := NetworkStatus{Generation: st.gen, LoadedAt: st.loaded.UTC().Format(time.RFC3339Nano), CheckedAt: checked.UTC().Format(time.RFC3339Nano), Entities: len(st.net.Entities), Facts: len(st.net.Facts),
		Stale: len(problems) > 0, Problems: problems}
	paths := st.paths
	st.status = sync.OnceValues(func() (body, error) { return blob(a, paths()) })
}

// Update serves a newly loaded network: rsn and planner are built off to the side by
// the caller, and swapped in at once; requests in flight finish on the network they
// started with. With a nil rsn the files had problems: the last good network stays
// served, and /api/v1/network/status reports the problems (and that it is stale).
// Update is safe for concurrent use, though a watcher calls it from one goroutine.
func (s *Server) Update(rsn *reason.Reasoner, planner *plan.Planner, problems network.Problems) error {
	s.swap.Lock()
	defer s.swap.Unlock()
	if rsn == nil {
		st := *s.state() // the same network, with the problems of the files as they are now
		st.setStatus(time.Now(), problems)
		s.cur.Store(&st)
		s.log.Warn("network not reloaded: the files have problems; serving the last good network", "generation", st.gen, "problems", len(problems))
		return nil
	}
	if planner == nil {
		var err error
		if planner, err = plan.New(rsn); err != nil {
			return err
		}
	}
	st, err := s.newState(rsn, planner, nil)
	if err != nil {
		return err
	}
	s.cur.Store(st)
	s.log.Info("network reloaded", "generation", st.gen, "entities", len(st.net.Entities), "facts", len(st.net.Facts))
	return nil
}

func (s *Server) networkStatus(r *request) result { return lazy(r.st.status) }

// lazy answers a body encoded on first use.
func lazy(f func() (body, error)) result {
	b, err := f()
	if err != nil {
		return result{err: err}
	}
	return result{data: b}
}
