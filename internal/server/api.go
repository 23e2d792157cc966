package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/strata-dev/strata/bench"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/probe"
	"github.com/strata-dev/strata/reason"
)

// route is one API endpoint: what the mux serves and what the OpenAPI document says.
type route struct {
	method  string
	pattern string
	handler http.HandlerFunc
	op      operation
}

func (s *Server) apiRoutes() []route {
	return []route{
		{"GET", "/api/v1/openapi.json", s.openapi, opOpenAPI},
		{"GET", "/api/v1/network", s.network, opNetwork},
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

// apiError is the body of every error answer: {"error": {...}}.
type apiError struct {
	Status     int                   `json:"status"`
	Code       string                `json:"code"`
	Message    string                `json:"message"`
	Suggestion string                `json:"suggestion,omitempty"` // "did you mean"
	Candidates []string              `json:"candidates,omitempty"` // an ambiguous name's entities
	Problems   []network.Problem     `json:"problems,omitempty"`   // file:line:col problems in the input
	Unsat      []*plan.Unsatisfiable `json:"unsatisfiable,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "bad-request", Message: fmt.Sprintf(format, args...)}
}

// asAPIError maps library errors to answers: unknown names are 404 with the nearest name,
// ambiguous names and problems are 400, a body over the limit 413. Any other error is the
// server's own (writing an archive, say) and answers 500 "internal": handlers wrap the
// errors that come from the request with badRequest or asInput.
func asAPIError(err error) *apiError {
	var ae *apiError
	var ue *network.UnknownError
	var amb *network.AmbiguousError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ue):
		return &apiError{Status: http.StatusNotFound, Code: "unknown-" + strings.ReplaceAll(ue.What, " ", "-"), Message: err.Error(), Suggestion: ue.Suggest}
	case errors.As(err, &amb):
		return &apiError{Status: http.StatusBadRequest, Code: "ambiguous", Message: err.Error(), Candidates: amb.IDs}
	}
	if ps, ok := network.AsProblems(err); ok {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid-input",
			Message: fmt.Sprintf("%d problem(s) in the input; each has its file:line:col", len(ps)), Problems: ps}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too-large",
			Message: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
}

// asInput marks an error caused by what the request asked as a 400, unless it already has
// an answer of its own (unknown or ambiguous names, problems with positions, limits).
func asInput(err error) error {
	if err == nil {
		return nil
	}
	var ae *apiError
	var ue *network.UnknownError
	var amb *network.AmbiguousError
	var mbe *http.MaxBytesError
	if errors.As(err, &ae) || errors.As(err, &ue) || errors.As(err, &amb) || errors.As(err, &mbe) {
		return err
	}
	if _, ok := network.AsProblems(err); ok {
		return err
	}
	return badRequest("%v", err)
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := asAPIError(err)
	writeJSON(w, r, ae.Status, struct {
		Error *apiError `json:"error"`
	}{ae})
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":{"status":500,"code":"internal","message":"encode answer"}}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// staticJSON holds the answers that never change while the server runs.
type staticJSON struct {
	network, openapi blob
	derived          map[string][]network.Fact // entity id → derived facts about it
}

type blob struct {
	body []byte
	etag string
}

func newBlob(v any) (blob, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return blob{}, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return blob{body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}, nil
}

func (b blob) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("ETag", b.etag)
	h.Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, b.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b.body)))
	if r.Method != http.MethodHead {
		w.Write(b.body)
	}
}

// etagMatch is the weak comparison of RFC 9110 §13.1.2 that If-None-Match uses (§13.1.2):
// "*" matches any current representation, and each entity-tag of the comma-separated
// list matches when its opaque tag equals etag's, W/ prefixes ignored.
func etagMatch(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	s := strings.TrimSpace(header)
	if s == "*" {
		return true
	}
	for s != "" {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			break
		}
		tag := strings.TrimPrefix(s, "W/")
		if !strings.HasPrefix(tag, `"`) {
			return false // not a list of entity-tags
		}
		end := strings.IndexByte(tag[1:], '"')
		if end < 0 {
			return false
		}
		if tag[:end+2] == want {
			return true
		}
		s = tag[end+2:]
	}
	return false
}

// networkDoc is the network with the facts the reasoner derives, for the explorer.
type networkDoc struct {
	*network.Network
	Derived []network.Fact `json:"derived"`
	Orders  []string       `json:"orders"` // transitive relations: what rank, compare and pareto use
}

func (st *staticJSON) build(s *Server) error {
	doc := networkDoc{Network: s.net, Derived: []network.Fact{}, Orders: []string{}}
	st.derived = map[string][]network.Fact{}
	for _, rel := range s.rsn.Orders() {
		doc.Orders = append(doc.Orders, rel.Type.ID)
		for _, f := range s.rsn.Derived(rel) {
			doc.Derived = append(doc.Derived, f)
			st.derived[f.Subject] = append(st.derived[f.Subject], f)
			st.derived[f.Object] = append(st.derived[f.Object], f)
		}
	}
	var err error
	if st.network, err = newBlob(doc); err != nil {
		return err
	}
	st.openapi, err = newBlob(openAPIDocument(s))
	return err
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) { s.static.openapi.serve(w, r) }
func (s *Server) network(w http.ResponseWriter, r *http.Request) { s.static.network.serve(w, r) }

// EntitySummary is an entity in a search answer.
type EntitySummary struct {
	ID        string       `json:"id"`
	Category  string       `json:"category"`
	Names     network.Text `json:"names"`
	Aliases   []string     `json:"aliases,omitempty"`
	Dimension string       `json:"dimension,omitempty"`
	Match     string       `json:"match,omitempty"` // what the query matched: id, en, zh or alias
}

// entities lists the entities, or searches them: exact matches of id, English or Chinese
// name or alias first, then prefixes, then substrings, each in declaration order.
func (s *Server) entities(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := strings.ToLower(strings.TrimSpace(q.Get("q")))
	category, dimension := q.Get("category"), q.Get("dimension")
	if category != "" && !contains(network.Categories, category) {
		writeError(w, r, badRequest("unknown category %q: use one of %s", category, strings.Join(network.Categories, ", ")))
		return
	}
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, r, badRequest("limit must be a number from 1 to 10000, not %q", v))
			return
		}
		limit = n
	}
	type hit struct {
		e     EntitySummary
		score int
		i     int
	}
	var hits []hit
	for i, e := range s.net.Entities {
		if (category != "" && e.Category != category) || (dimension != "" && !strings.EqualFold(e.Dimension, dimension)) {
			continue
		}
		score, match := 0, ""
		if query != "" {
			score, match = matchEntity(e, query)
			if score < 0 {
				continue
			}
		}
		hits = append(hits, hit{EntitySummary{e.ID, e.Category, e.Names, e.Aliases, e.Dimension, match}, score, i})
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].score < hits[b].score })
	out := struct {
		Total    int             `json:"total"`
		Entities []EntitySummary `json:"entities"`
	}{Total: len(hits), Entities: []EntitySummary{}}
	for i, h := range hits {
		if i == limit {
			break
		}
		out.Entities = append(out.Entities, h.e)
	}
	writeJSON(w, r, http.StatusOK, out)
}

// matchEntity scores a lower-cased query against an entity: 0 exact, 1 prefix,
// 2 substring, -1 no match.
func matchEntity(e *network.Entity, q string) (int, string) {
	best, what := -1, ""
	try := func(s, kind string) {
		s = strings.ToLower(s)
		score := -1
		switch {
		case s == "":
		case s == q:
			score = 0
		case strings.HasPrefix(s, q):
			score = 1
		case strings.Contains(s, q):
			score = 2
		}
		if score >= 0 && (best < 0 || score < best) {
			best, what = score, kind
		}
	}
	try(e.ID, "id")
	try(e.Names.En, "en")
	try(e.Names.Zh, "zh")
	for _, a := range e.Aliases {
		try(a, "alias")
	}
	return best, what
}

// EntityAnswer is an entity with every fact about it, declared and derived.
type EntityAnswer struct {
	Entity  *network.Entity `json:"entity"`
	Facts   []network.Fact  `json:"facts"`
	Derived []network.Fact  `json:"derived"`
}

func (s *Server) entity(w http.ResponseWriter, r *http.Request) {
	e, err := s.net.Resolve(r.PathValue("name"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	a := EntityAnswer{Entity: e, Facts: s.net.FactsAbout(e.ID), Derived: s.static.derived[e.ID]}
	if a.Facts == nil {
		a.Facts = []network.Fact{}
	}
	if a.Derived == nil {
		a.Derived = []network.Fact{}
	}
	writeJSON(w, r, http.StatusOK, a)
}

// need returns the named query parameters, or an error naming the missing ones.
func need(r *http.Request, names ...string) ([]string, error) {
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

func (s *Server) resolve(names ...string) ([]*network.Entity, error) {
	out := make([]*network.Entity, len(names))
	for i, n := range names {
		e, err := s.net.Resolve(n)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// entityParams reads the named query parameters and resolves each to an entity, writing
// the error response itself when one is missing or unknown.
func (s *Server) entityParams(w http.ResponseWriter, r *http.Request, names ...string) ([]*network.Entity, bool) {
	args, err := need(r, names...)
	if err != nil {
		writeError(w, r, err)
		return nil, false
	}
	es, err := s.resolve(args...)
	if err != nil {
		writeError(w, r, err)
		return nil, false
	}
	return es, true
}

// CompareAnswer is A compared with B under every order that relates them.
type CompareAnswer struct {
	A           string              `json:"a"`
	B           string              `json:"b"`
	Comparisons []reason.Comparison `json:"comparisons"`
}

func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	es, ok := s.entityParams(w, r, "a", "b")
	if !ok {
		return
	}
	a := CompareAnswer{A: es[0].ID, B: es[1].ID}
	s.reasonStep(r.Context(), "compare", func() { a.Comparisons = s.rsn.Compare(es[0], es[1]) })
	if a.Comparisons == nil {
		a.Comparisons = []reason.Comparison{}
	}
	writeJSON(w, r, http.StatusOK, a)
}

// WhyAnswer explains "A op B" under one relation or every order relating A and B.
type WhyAnswer struct {
	Holds       bool                `json:"holds"`
	Derivations []reason.Derivation `json:"derivations"`
}

func (s *Server) why(w http.ResponseWriter, r *http.Request) {
	args, err := need(r, "a", "op", "b")
	if err != nil {
		writeError(w, r, err)
		return
	}
	op := args[1]
	switch op {
	case ">", "<", "=", "→", "->", "==":
	default:
		writeError(w, r, badRequest("unknown operator %q: use >, <, = or → (URL-encode > as %%3E and < as %%3C)", op))
		return
	}
	es, err := s.resolve(args[0], args[2])
	if err != nil {
		writeError(w, r, err)
		return
	}
	relation := r.URL.Query().Get("relation")
	var rels []*reason.Relation
	if relation != "" {
		rel, err := s.rsn.Relation(relation)
		if err != nil {
			writeError(w, r, asInput(err))
			return
		}
		rels = append(rels, rel)
	} else {
		rels = s.rsn.Orders()
	}
	a := WhyAnswer{Derivations: []reason.Derivation{}}
	s.reasonStep(r.Context(), "why", func() {
		for _, rel := range rels {
			if relation == "" && (!s.rsn.Involves(rel, es[0]) || !s.rsn.Involves(rel, es[1])) {
				continue
			}
			d, e := s.rsn.Why(rel, es[0], op, es[1])
			if e != nil {
				err = e
				return
			}
			if relation != "" || d.Holds {
				a.Derivations = append(a.Derivations, d)
			}
			a.Holds = a.Holds || d.Holds
		}
	})
	if err != nil {
		writeError(w, r, badRequest("%v", err))
		return
	}
	writeJSON(w, r, http.StatusOK, a)
}

// RankAnswer is an order's values in layers, greatest first.
type RankAnswer struct {
	Relation string         `json:"relation"`
	Greatest string         `json:"greatest"`
	Layers   []reason.Layer `json:"layers"`
}

func (s *Server) rank(w http.ResponseWriter, r *http.Request) {
	rel, err := s.rsn.Relation(r.PathValue("relation"))
	if err != nil {
		writeError(w, r, asInput(err))
		return
	}
	a := RankAnswer{Relation: rel.Type.ID, Greatest: rel.Type.Greater}
	if a.Greatest == "" {
		a.Greatest = "greatest"
	}
	s.reasonStep(r.Context(), "rank", func() { a.Layers = s.rsn.Rank(rel) })
	if a.Layers == nil {
		a.Layers = []reason.Layer{}
	}
	writeJSON(w, r, http.StatusOK, a)
}

// PathAnswer is the shortest chain of declared facts from one entity to another.
type PathAnswer struct {
	From  string         `json:"from"`
	To    string         `json:"to"`
	Found bool           `json:"found"`
	Facts []network.Fact `json:"facts"`
}

func (s *Server) path(w http.ResponseWriter, r *http.Request) {
	es, ok := s.entityParams(w, r, "from", "to")
	if !ok {
		return
	}
	relation := ""
	if v := r.URL.Query().Get("relation"); v != "" {
		rel, err := s.rsn.Relation(v)
		if err != nil {
			writeError(w, r, asInput(err))
			return
		}
		relation = rel.Type.ID
	}
	a := PathAnswer{From: es[0].ID, To: es[1].ID}
	s.reasonStep(r.Context(), "path", func() { a.Facts, a.Found = s.rsn.Path(es[0], es[1], relation) })
	if a.Facts == nil {
		a.Facts = []network.Fact{}
	}
	writeJSON(w, r, http.StatusOK, a)
}

// list reads a parameter given repeatedly or comma-separated.
func list(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (s *Server) pareto(w http.ResponseWriter, r *http.Request) {
	crit := list(r, "criteria")
	if len(crit) == 0 {
		writeError(w, r, badRequest("missing query parameter criteria, e.g. criteria=isolation-strength:max,overhead:min"))
		return
	}
	cs, err := s.rsn.ParseCriteria(crit)
	if err != nil {
		writeError(w, r, asInput(err))
		return
	}
	among, err := s.resolve(list(r, "among")...)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var f reason.Front
	s.reasonStep(r.Context(), "pareto", func() { f = s.rsn.Pareto(cs, among) })
	writeJSON(w, r, http.StatusOK, f)
}

func (s *Server) contradictions(w http.ResponseWriter, r *http.Request) {
	var ps network.Problems
	s.reasonStep(r.Context(), "contradictions", func() { ps = s.rsn.Contradictions() })
	if ps == nil {
		ps = network.Problems{}
	}
	writeJSON(w, r, http.StatusOK, struct {
		Contradictions network.Problems `json:"contradictions"`
	}{ps})
}

// PlanAnswer is the plans of the workloads asked for and the workloads that could not be
// planned, each with the requirements that conflict.
type PlanAnswer struct {
	Plans         []*plan.Plan          `json:"plans"`
	Unsatisfiable []*plan.Unsatisfiable `json:"unsatisfiable"`
}

// planAll plans the workloads: 200 when at least one is planned, 422 when none can be.
func (s *Server) planAll(w http.ResponseWriter, r *http.Request, ws []plan.Workload, asOf int, setAsOf bool) {
	a := PlanAnswer{Plans: []*plan.Plan{}, Unsatisfiable: []*plan.Unsatisfiable{}}
	for _, wl := range ws {
		if setAsOf {
			wl.AsOf = asOf
		}
		var err error
		s.planStep(r.Context(), wl.Name, func() string {
			var pl *plan.Plan
			pl, err = s.planner.Plan(wl)
			var u *plan.Unsatisfiable
			switch {
			case err == nil:
				a.Plans = append(a.Plans, pl)
				return "planned"
			case errors.As(err, &u):
				a.Unsatisfiable = append(a.Unsatisfiable, u)
				err = nil
				return "unsatisfiable"
			}
			return "error"
		})
		if err != nil {
			writeError(w, r, asInput(err)) // the workload's requirements name a non-requirement, say
			return
		}
	}
	if len(a.Plans) == 0 && len(a.Unsatisfiable) > 0 {
		writeError(w, r, &apiError{Status: http.StatusUnprocessableEntity, Code: "unsatisfiable",
			Message: a.Unsatisfiable[0].Error(), Unsat: a.Unsatisfiable})
		return
	}
	writeJSON(w, r, http.StatusOK, a)
}

func asOfParam(r *http.Request) (int, bool, error) {
	v := r.URL.Query().Get("asOf")
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1900 || n > 2200 {
		return 0, false, badRequest("asOf must be a year such as 2019, not %q", v)
	}
	return n, true, nil
}

func (s *Server) planScenario(w http.ResponseWriter, r *http.Request) {
	asOf, set, err := asOfParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	wl, release, err := s.scenarioWorkload(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	s.planAll(w, r, []plan.Workload{wl}, asOf, set)
}

// scenarioWorkload is the workload of the query's scenario, with a slot of the plan and
// emit work taken for it: the caller runs release when done.
func (s *Server) scenarioWorkload(r *http.Request) (plan.Workload, func(), error) {
	args, err := need(r, "scenario")
	if err != nil {
		return plan.Workload{}, nil, err
	}
	wl, err := s.planner.ScenarioWorkload(args[0])
	if err != nil {
		var ue *network.UnknownError
		if !errors.As(err, &ue) {
			err = badRequest("%v", err) // a known entity that is not a scenario
		}
		return plan.Workload{}, nil, err
	}
	release, err := s.acquire(r.Context())
	if err != nil {
		return plan.Workload{}, nil, err
	}
	return wl, release, nil
}

// planWorkload plans the Workload documents of the body.
func (s *Server) planWorkload(w http.ResponseWriter, r *http.Request) {
	asOf, set, err := asOfParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ws, release, err := s.readWorkloads(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	s.planAll(w, r, ws, asOf, set)
}

// acquire waits for a slot of the plan and emit work, as long as the request wants an
// answer. The caller runs release when its work is done.
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
			Message: fmt.Sprintf("strata plans %d requests at a time and this one gave up waiting for its turn (%v); try again", cap(s.work), context.Cause(ctx))}
	}
}

func (s *Server) releaseWork() { <-s.work }

// readWorkloads reads the Workload documents of a request body, JSON or YAML (JSON is read
// as YAML, so both give the same file:line:col problems), at most MaxWorkloads of them.
// Parsing is work like planning: it happens holding a slot (see acquire), which the caller
// releases when it has answered.
func (s *Server) readWorkloads(w http.ResponseWriter, r *http.Request) (ws []plan.Workload, release func(), err error) {
	name := "request.yaml"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			return nil, nil, badRequest("Content-Type %q: %v", ct, err)
		case mt == "application/json":
			name = "request.json"
		case mt == "application/yaml", mt == "application/x-yaml", mt == "text/yaml", mt == "text/x-yaml", mt == "text/plain":
		default:
			return nil, nil, &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported-media-type",
				Message: fmt.Sprintf("Content-Type %s is not a workload: send application/json or application/yaml", mt)}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, err
		}
		return nil, nil, badRequest("read the request body: %v", err)
	}
	// Count before parsing: parsing ten thousand tiny documents costs as much as planning
	// them.
	if n := countDocuments(body); n > MaxWorkloads {
		return nil, nil, tooManyWorkloads(fmt.Sprintf("%d YAML documents", n))
	}
	if release, err = s.acquire(r.Context()); err != nil {
		return nil, nil, err
	}
	s.span(r, "plan.ReadWorkloads", func() { ws, err = plan.ReadWorkloads([]network.File{{Name: name, Data: body}}) })
	if err == nil && len(ws) > MaxWorkloads {
		err = tooManyWorkloads(fmt.Sprintf("%d Workload documents", len(ws)))
	}
	if err != nil {
		release()
		return nil, nil, asInput(err)
	}
	return ws, release, nil
}

func tooManyWorkloads(what string) *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too-many-workloads",
		Message: fmt.Sprintf("the request holds %s; send at most %d Workload documents per request", what, MaxWorkloads)}
}

// countDocuments counts the YAML documents of a body that hold something besides
// comments: the separators "---" start documents, and a document of blank and comment
// lines only is not counted. It is a bound for the parser's count, made in one pass.
func countDocuments(b []byte) int {
	n, content := 0, false
	for line := range bytes.Lines(b) {
		if bytes.HasPrefix(line, []byte("---")) && (len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\n' || line[3] == '\r') {
			if content {
				n++
			}
			content = false
			line = line[3:] // "--- {a: b}" starts a document with content
		}
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			content = true
		}
	}
	if content {
		n++
	}
	return n
}

// span runs f in a span of its own without a histogram.
func (s *Server) span(r *http.Request, name string, f func()) {
	_, span := s.tracer.Start(r.Context(), name)
	f()
	span.End()
}

func (s *Server) scenarios(w http.ResponseWriter, r *http.Request) {
	var rows []plan.ScenarioRow
	release, err := s.acquire(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	// Its own outcome: the whole table is not one workload's plan.
	s.planStep(r.Context(), "scenarios", func() string { rows = s.planner.Scenarios(); return "scenarios" })
	if rows == nil {
		rows = []plan.ScenarioRow{}
	}
	writeJSON(w, r, http.StatusOK, rows)
}

func (s *Server) coordinates(w http.ResponseWriter, r *http.Request) {
	// A raw '+' in the query decodes as a space; plan.Coordinates splits on '+', ',' and
	// spaces and matches names of several words first (network.ResolveList).
	names := list(r, "stack")
	if strings.TrimSpace(strings.Join(names, "")) == "" {
		writeError(w, r, badRequest("missing query parameter stack, e.g. stack=K3s,WasmEdge"))
		return
	}
	pl, err := s.planner.Coordinates(names)
	if err != nil {
		var ue *network.UnknownError
		if !errors.As(err, &ue) {
			err = badRequest("%v", err)
		}
		writeError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, pl)
}

// Result kinds: what a --results file holds, told by decoding it (see resultKind).
const (
	KindProbe   = "probe"   // strata probe -o json: a probe.Report
	KindBench   = "bench"   // strata bench -o json: a bench.Results
	KindUnknown = "unknown" // JSON of another shape, or a file that cannot be read
)

// MaxResultBytes bounds a --results file: it is read whole on every request. A full
// bench with --runs 1000 over every driver stays far below it.
const MaxResultBytes = 16 << 20

const mediaSVG = "image/svg+xml"

// ResultFile is one --results file.
type ResultFile struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	ModTime string `json:"modTime"`
	Kind    string `json:"kind"` // probe, bench or unknown
	Error   string `json:"error,omitempty"`
}

func (s *Server) resultList(w http.ResponseWriter, r *http.Request) {
	out := []ResultFile{}
	for name, p := range s.results {
		rf := ResultFile{Name: name, Kind: KindUnknown}
		if fi, err := os.Stat(p); err != nil {
			rf.Error = err.Error()
		} else {
			rf.Size, rf.ModTime = fi.Size(), fi.ModTime().UTC().Format("2006-01-02T15:04:05Z")
			if b, err := readResult(name, p); err != nil {
				rf.Error = err.Message
			} else {
				rf.Kind, _ = resultKind(b)
			}
		}
		out = append(out, rf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, r, http.StatusOK, struct {
		Results []ResultFile `json:"results"`
	}{out})
}

// resultFile reads the named results file as it is on disk now, checking it is JSON.
func (s *Server) resultFile(name string) ([]byte, *apiError) {
	p, ok := s.results[name]
	if !ok {
		var names []string
		for n := range s.results {
			names = append(names, n)
		}
		return nil, &apiError{Status: http.StatusNotFound, Code: "unknown-result",
			Message: fmt.Sprintf("no results file %s (strata serve --results FILE adds one)", name), Suggestion: network.Suggest(name, names)}
	}
	return readResult(name, p)
}

func readResult(name, path string) ([]byte, *apiError) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &apiError{Status: http.StatusInternalServerError, Code: "read-results", Message: err.Error()}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxResultBytes+1))
	if err != nil {
		return nil, &apiError{Status: http.StatusInternalServerError, Code: "read-results", Message: err.Error()}
	}
	if len(b) > MaxResultBytes {
		return nil, &apiError{Status: http.StatusInternalServerError, Code: "results-too-large",
			Message: fmt.Sprintf("%s is larger than %d MiB; serve a smaller results file (fewer --runs)", name, MaxResultBytes>>20)}
	}
	if !json.Valid(b) {
		return nil, &apiError{Status: http.StatusInternalServerError, Code: "invalid-results", Message: name + " is not valid JSON"}
	}
	return b, nil
}

// resultKind tells a probe report from bench results by decoding b into each and checking
// the fields only that kind has: a probe report's checks, each with an id and one of the
// four results; bench results' format version, workloads and drivers, each with a name
// and layer. Unknown fields are allowed, so files from newer versions are still read.
// Bench results come back decoded, for the chart.
func resultKind(b []byte) (string, *bench.Results) {
	var res bench.Results
	if json.Unmarshal(b, &res) == nil && isBench(&res) {
		return KindBench, &res
	}
	var rep probe.Report
	if json.Unmarshal(b, &rep) == nil && isProbe(&rep) {
		return KindProbe, nil
	}
	return KindUnknown, nil
}

func isBench(r *bench.Results) bool {
	if r.Version < 1 || len(r.Workloads) == 0 || len(r.Drivers) == 0 {
		return false
	}
	for _, d := range r.Drivers {
		if d.Name == "" || d.Layer == "" {
			return false
		}
	}
	return true
}

func isProbe(r *probe.Report) bool {
	if len(r.Checks) == 0 {
		return false
	}
	for _, c := range r.Checks {
		switch c.Result {
		case probe.Pass, probe.Warn, probe.Fail, probe.Skip:
		default:
			return false
		}
		if c.ID == "" || c.Layer == "" {
			return false
		}
	}
	return true
}

// result serves a results file as it is on disk now, after checking it is JSON.
func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	b, ae := s.resultFile(r.PathValue("name"))
	if ae != nil {
		writeError(w, r, ae)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

// resultChart draws a bench results file as the SVG chart of strata bench --chart.
func (s *Server) resultChart(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, ae := s.resultFile(name)
	if ae != nil {
		writeError(w, r, ae)
		return
	}
	kind, res := resultKind(b)
	if res == nil {
		what := "JSON of another kind"
		if kind == KindProbe {
			what = "a probe report"
		}
		writeError(w, r, &apiError{Status: http.StatusBadRequest, Code: "not-bench-results",
			Message: fmt.Sprintf("%s holds %s, not bench results: charts are drawn from strata bench -o json files", name, what)})
		return
	}
	var buf bytes.Buffer
	if err := bench.Chart(&buf, res); err != nil {
		writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", mediaSVG)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	// Opened on its own, the image runs nothing and loads nothing.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
