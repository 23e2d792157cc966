package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
)

// Handlers have one shape, as Prometheus's API does: an apiFunc reads the request and
// returns a result, data or an error, and never writes. serveRoute does the rest the same
// way for every route: it reads a body within the limits, takes a work slot for routes
// that do work, calls the handler, encodes its result (asAPIError gives an error its
// status), frees the slot, and only then writes, so that a client that reads slowly holds
// no slot.

// request is what a handler reads: the HTTP request and, for routes that take Workload
// documents, the body, already read within the limits (readBody).
type request struct {
	*http.Request
	doc network.File
	st  *state // the network this request is answered from, taken once when it starts
}

// result is a handler's answer: data, encoded as JSON with status 200 unless it is a
// [body], or err.
type result struct {
	data any
	err  error
}

type apiFunc func(r *request) result

// route is one API endpoint: what the mux serves and what the OpenAPI document says.
type route struct {
	method  string
	pattern string
	handler apiFunc
	op      operation
}

func (s *Server) apiRoutes() []route {
	return []route{
		{"GET", "/api/v1/openapi.json", s.openapi, opOpenAPI},
		{"GET", "/api/v1/network", s.network, opNetwork},
		{"GET", "/api/v1/network/status", s.networkStatus, opNetworkStatus},
		{"GET", "/api/v1/network/derived", s.networkDerived, opNetworkDerived},
		{"GET", "/api/v1/entities", s.entities, opEntities},
		{"GET", "/api/v1/entities/{name}", s.entity, opEntity},
		{"GET", "/api/v1/compare", s.compare, opCompare},
		{"GET", "/api/v1/why", s.why, opWhy},
		{"GET", "/api/v1/rank/{relation}", s.rank, opRank},
		{"GET", "/api/v1/path", s.path, opPath},
		{"GET", "/api/v1/pareto", s.pareto, opPareto},
		{"GET", "/api/v1/contradictions", s.contradictions, opContradictions},
		{"GET", "/api/v1/plan", s.planScenario, opPlanGet},
		{"POST", "/api/v1/plan", s.planWorkload, opPlanPost},
		{"GET", "/api/v1/manifests", s.manifestsScenario, opManifestsGet},
		{"POST", "/api/v1/manifests", s.manifestsWorkload, opManifestsPost},
		{"GET", "/api/v1/scenarios", s.scenarios, opScenarios},
		{"GET", "/api/v1/coordinates", s.coordinates, opCoordinates},
		{"GET", "/api/v1/results", s.resultList, opResults},
		{"GET", "/api/v1/results/{name}", s.result, opResult},
		{"GET", "/api/v1/results/{name}/chart.svg", s.resultChart, opResultChart},
	}
}

// serveRoute is the one way a route answers (see the comment at the top of this file).
func (s *Server) serveRoute(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkParams(r, rt.op); err != nil {
			encodeError(err).write(w, r)
			return
		}
		rq := &request{Request: r, st: s.state()}
		if rt.op.body {
			doc, err := readBody(w, r)
			if err != nil {
				encodeError(err).write(w, r)
				return
			}
			rq.doc = doc
		}
		release := func() {}
		if rt.op.work {
			var err error
			if release, err = s.acquire(r.Context()); err != nil {
				encodeError(err).write(w, r)
				return
			}
		}
		a := rq.st.encode(rt.handler(rq))
		release()
		a.write(w, r)
	})
}

// encode turns a handler's result into the response to write.
func (st *state) encode(res result) response {
	switch {
	case res.err != nil:
		return st.paths().rewritten(encodeError(res.err))
	case res.data == nil:
		return encodeError(fmt.Errorf("a handler answered nothing"))
	}
	if b, ok := res.data.(body); ok {
		if !b.final {
			b.data = st.paths().rewrite(b.media, b.data)
		}
		return response{http.StatusOK, b}
	}
	return st.paths().rewritten(encodeJSON(http.StatusOK, res.data))
}

// rewritten shows clients the file names they may see (pathNames) in a JSON answer.
func (p pathNames) rewritten(a response) response {
	a.data = p.rewrite(a.media, a.data)
	return a
}

// acquire waits for a work slot, as long as the request wants an answer. The caller runs
// release when its work is done.
func (s *Server) acquire(ctx context.Context) (release func(), err error) {
	select {
	case s.work <- struct{}{}:
		return s.releaseWork, nil
	default:
	}
	s.metrics.waiting.Inc()
	defer s.metrics.waiting.Dec()
	select {
	case s.work <- struct{}{}:
		return s.releaseWork, nil
	case <-ctx.Done():
		return nil, &apiError{Status: http.StatusServiceUnavailable, Code: "busy",
			Message: fmt.Sprintf("strata works on %d requests at a time and this one gave up waiting for its turn (%v); try again", cap(s.work), context.Cause(ctx))}
	}
}

func (s *Server) releaseWork() { <-s.work }

// checkParams holds a request's parameters to what its operation declares, before any
// work: every query parameter is one the operation takes, given once unless it is a list,
// a list has at most its maxItems items, and no value (no item) is longer than its
// maxLength. Nothing a client writes is silently ignored.
func checkParams(r *http.Request, op operation) error {
	if op.id == "" {
		return nil // /healthz and /readyz
	}
	var names []string
	declared := map[string]param{}
	for _, pr := range op.params {
		if pr.in == "path" {
			if v := r.PathValue(pr.name); len(v) > pr.maxLen() {
				return tooLong(pr, len(v))
			}
			continue
		}
		declared[pr.name] = pr
		names = append(names, pr.name)
	}
	if err := checkQuery(r.URL.RawQuery); err != nil {
		return err
	}
	for key, vals := range r.URL.Query() {
		pr, ok := declared[key]
		if !ok {
			shown, suggestion := key, ""
			if len(key) > MaxParamBytes {
				shown = key[:64] + "…"
			} else {
				suggestion = network.Suggest(key, names)
			}
			msg := fmt.Sprintf("%s takes no query parameter %q", r.URL.Path, shown)
			if len(names) == 0 {
				msg += "; it takes none"
			} else {
				msg += "; it takes " + strings.Join(names, ", ")
			}
			return &apiError{Status: http.StatusBadRequest, Code: "unknown-parameter", Message: msg, Suggestion: suggestion}
		}
		if !pr.array {
			if len(vals) > 1 {
				return badRequest("query parameter %s is given %d times; give it once", key, len(vals))
			}
			if len(vals[0]) > pr.maxLen() {
				return tooLong(pr, len(vals[0]))
			}
			continue
		}
		n := 0
		for _, v := range vals {
			for item := range strings.SplitSeq(v, ",") {
				if len(item) > pr.maxLen() {
					return tooLong(pr, len(item))
				}
				if strings.TrimSpace(item) != "" {
					n++
				}
			}
		}
		if n > pr.maxItems {
			return &apiError{Status: http.StatusBadRequest, Code: "too-many-items",
				Message: fmt.Sprintf("query parameter %s lists %d items; at most %d are allowed", key, n, pr.maxItems)}
		}
	}
	return nil
}

// checkQuery refuses a query string that url.ParseQuery would read only in part: it drops
// a pair with a semicolon or a bad %-escape without a word (and a handler would then use
// the parameter's default), so such a query is answered 400 naming the pair. A name or
// value that is not UTF-8 or holds a control character is refused too: no name of the
// network is one, and echoed in an answer it would come back changed.
func checkQuery(raw string) error {
	for pair := range strings.SplitSeq(raw, "&") {
		shown := pair
		if len(shown) > 80 {
			shown = shown[:64] + "…"
		}
		bad := func(format string, args ...any) error {
			return &apiError{Status: http.StatusBadRequest, Code: "bad-query",
				Message: fmt.Sprintf("query %q: ", shown) + fmt.Sprintf(format, args...)}
		}
		if strings.Contains(pair, ";") {
			return bad("a semicolon does not separate parameters; separate them with &, and write a semicolon inside a value as %%3B")
		}
		k, v, _ := strings.Cut(pair, "=")
		for _, part := range []string{k, v} {
			u, err := url.QueryUnescape(part)
			switch {
			case err != nil:
				return bad("%v; write a literal %% as %%25", err)
			case !utf8.ValidString(u):
				return bad("not UTF-8 once %%-decoded; encode the text as UTF-8 before escaping it")
			case strings.ContainsFunc(u, unicode.IsControl):
				return bad("holds a control character once %%-decoded; names and values are printable text")
			}
		}
	}
	return nil
}

func tooLong(pr param, n int) *apiError {
	what := "query parameter " + pr.name
	if pr.in == "path" {
		what = "the " + pr.name + " in the path"
	}
	return &apiError{Status: http.StatusBadRequest, Code: "too-long",
		Message: fmt.Sprintf("%s is %d bytes long; at most %d are allowed", what, n, pr.maxLen())}
}

// need returns the named query parameters, or an error naming the missing ones.
func need(r *request, names ...string) ([]string, error) {
	q := r.URL.Query()
	out := make([]string, len(names))
	var missing []string
	for i, n := range names {
		out[i] = strings.TrimSpace(q.Get(n))
		if out[i] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, badRequest("missing query parameter(s): %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// list reads a parameter given repeatedly or comma-separated; an item given twice counts
// once (checkParams has bounded the number of items).
func list(r *request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// asOfParam reads the asOf year: set is false when the query has none.
func asOfParam(r *request) (year int, set bool, err error) {
	v := r.URL.Query().Get("asOf")
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < plan.MinAsOf || n > plan.MaxAsOf {
		return 0, false, badRequest("asOf must be a year from %d to %d, such as 2019, not %q", plan.MinAsOf, plan.MaxAsOf, v)
	}
	return n, true, nil
}

// resolve finds the entity of each name.
func (st *state) resolve(names ...string) ([]*network.Entity, error) {
	out := make([]*network.Entity, len(names))
	for i, n := range names {
		e, err := st.net.Resolve(n)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// entityParams reads the named query parameters and resolves each to an entity.
func (s *Server) entityParams(r *request, names ...string) ([]*network.Entity, error) {
	args, err := need(r, names...)
	if err != nil {
		return nil, err
	}
	return r.st.resolve(args...)
}

// span runs f in a span of its own without a histogram.
func (s *Server) span(r *request, name string, f func()) {
	_, span := s.tracer.Start(r.Context(), name)
	f()
	span.End()
}
