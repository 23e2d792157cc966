package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
)

// The routes over the planner: plans of scenarios and of Workload documents, the scenario
// table, and stacks placed in X/Y/Z; and the reading of Workload documents from a body,
// which /api/v1/manifests shares.

// PlanAnswer is the plans of the workloads asked for and the workloads that could not be
// planned, each with the requirements that conflict.
type PlanAnswer struct {
	Plans         []*plan.Plan          `json:"plans"`
	Unsatisfiable []*plan.Unsatisfiable `json:"unsatisfiable"`
}

// planAll plans the workloads: 200 when at least one is planned, 422 when none can be.
func (s *Server) planAll(r *request, ws []plan.Workload, asOf int, setAsOf bool) result {
	a := PlanAnswer{Plans: []*plan.Plan{}, Unsatisfiable: []*plan.Unsatisfiable{}}
	for _, wl := range ws {
		if err := r.Context().Err(); err != nil {
			return result{err: err} // the client hung up: stop planning for it
		}
		if setAsOf {
			wl.AsOf = asOf
		}
		var err error
		s.planStep(r.Context(), wl.Name, func() string {
			var pl *plan.Plan
			pl, err = r.st.planner.Plan(wl)
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
			return result{err: asInput(err)} // the workload's requirements name a non-requirement, say
		}
	}
	if len(a.Plans) == 0 && len(a.Unsatisfiable) > 0 {
		return result{err: &apiError{Status: http.StatusUnprocessableEntity, Code: "unsatisfiable",
			Message: a.Unsatisfiable[0].Error(), Unsat: a.Unsatisfiable}}
	}
	return result{data: a}
}

// planScenario plans the query's scenario.
func (s *Server) planScenario(r *request) result {
	asOf, set, err := asOfParam(r)
	if err != nil {
		return result{err: err}
	}
	wl, err := s.scenarioWorkload(r)
	if err != nil {
		return result{err: err}
	}
	return s.planAll(r, []plan.Workload{wl}, asOf, set)
}

// planWorkload plans the Workload documents of the body.
func (s *Server) planWorkload(r *request) result {
	asOf, set, err := asOfParam(r)
	if err != nil {
		return result{err: err}
	}
	ws, err := s.workloads(r)
	if err != nil {
		return result{err: err}
	}
	return s.planAll(r, ws, asOf, set)
}

// scenarioWorkload is the workload of the query's scenario.
func (s *Server) scenarioWorkload(r *request) (plan.Workload, error) {
	args, err := need(r, "scenario")
	if err != nil {
		return plan.Workload{}, err
	}
	wl, err := r.st.planner.ScenarioWorkload(args[0])
	if err != nil {
		var ue *network.UnknownError
		if !errors.As(err, &ue) {
			err = badRequest("%v", err) // a known entity that is not a scenario
		}
		return plan.Workload{}, err
	}
	return wl, nil
}

// readBody reads the body of a route that takes Workload documents, JSON or YAML, before
// the request takes a work slot: at most MaxBodyBytes (a larger Content-Length is refused
// before a byte is read), and at most MaxWorkloads documents by a count of the separators
// (parsing ten thousand tiny documents costs as much as planning them). JSON is read as
// YAML, so both give the same file:line:col problems; the file is named request.json or
// request.yaml in them.
//
// The Content-Type must name JSON or YAML. A web page can send a body to any address
// without asking first (without a CORS preflight) only as text/plain,
// application/x-www-form-urlencoded, multipart/form-data or with no Content-Type at all;
// refusing those keeps every other site's pages from making a browser post to a strata
// that listens on the browser's own machine.
func readBody(w http.ResponseWriter, r *http.Request) (network.File, error) {
	doc := network.File{Name: "request.yaml"}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return doc, unsupportedMedia("the request has no Content-Type")
	}
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case err != nil:
		return doc, badRequest("Content-Type %q: %v", ct, err)
	case !readableCharset(params["charset"]):
		return doc, unsupportedMedia("charset " + params["charset"] + " is not read here: YAML and JSON are read as UTF-8 (or UTF-16 with a byte-order mark); convert the body to UTF-8")
	case mt == "application/json":
		doc.Name = "request.json"
	case mt == "application/yaml", mt == "application/x-yaml", mt == "text/yaml", mt == "text/x-yaml":
	case mt == "text/plain", mt == "application/x-www-form-urlencoded", mt == "multipart/form-data":
		return doc, unsupportedMedia("Content-Type " + mt + " is refused: any web page can make a browser send it here unasked")
	default:
		return doc, unsupportedMedia("Content-Type " + mt + " is not a workload")
	}
	// A coding strata does not undo would be read as the text itself (RFC 9110 §8.4.1: refuse it).
	if ce := r.Header.Values("Content-Encoding"); len(ce) > 0 && !(len(ce) == 1 && strings.EqualFold(strings.TrimSpace(ce[0]), "identity")) {
		return doc, &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported-media-type",
			Message: fmt.Sprintf("Content-Encoding %q is not undone here; send the body uncompressed (without Content-Encoding)", strings.Join(ce, ", "))}
	}
	if r.ContentLength > MaxBodyBytes {
		return doc, &http.MaxBytesError{Limit: MaxBodyBytes}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return doc, err
		}
		return doc, badRequest("read the request body: %v", err)
	}
	if n := countDocuments(b); n > MaxWorkloads {
		return doc, tooManyWorkloads(fmt.Sprintf("%d YAML documents", n))
	}
	doc.Data = b
	return doc, nil
}

// readableCharset reports whether a body in charset is read as it was meant: the YAML
// parser reads UTF-8, and UTF-16 by its byte-order mark; no charset means UTF-8.
func readableCharset(cs string) bool {
	switch strings.ToLower(cs) {
	case "", "utf-8", "utf8", "us-ascii", "utf-16":
		return true
	}
	return false
}

// unsupportedMedia is the 415 of a body that is not JSON or YAML; why says what was sent.
func unsupportedMedia(why string) *apiError {
	return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported-media-type",
		Message: why + "; send the Workload documents with Content-Type: application/yaml (or application/json), " +
			"e.g. curl -H 'Content-Type: application/yaml' --data-binary @workload.yaml"}
}

// workloads parses the Workload documents of the body.
func (s *Server) workloads(r *request) (ws []plan.Workload, err error) {
	s.span(r, "plan.ReadWorkloads", func() { ws, err = plan.ReadWorkloadsContext(r.Context(), []network.File{r.doc}) })
	if err == nil && len(ws) > MaxWorkloads {
		err = tooManyWorkloads(fmt.Sprintf("%d Workload documents", len(ws)))
	}
	return ws, asInput(err)
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

func (s *Server) scenarios(r *request) result {
	var rows []plan.ScenarioRow
	// Its own outcome: the whole table is not one workload's plan.
	s.planStep(r.Context(), "scenarios", func() string { rows = r.st.planner.Scenarios(); return "scenarios" })
	if rows == nil {
		rows = []plan.ScenarioRow{}
	}
	return result{data: rows}
}

func (s *Server) coordinates(r *request) result {
	// A raw '+' in the query decodes as a space; plan.Coordinates splits on '+', ',' and
	// spaces and matches names of several words first (network.ResolveList).
	names := list(r, "stack")
	if len(names) == 0 {
		return result{err: badRequest("missing query parameter stack, e.g. stack=K3s,WasmEdge")}
	}
	pl, err := r.st.planner.Coordinates(names)
	if err != nil {
		var ue *network.UnknownError
		if !errors.As(err, &ue) {
			err = badRequest("%v", err)
		}
		return result{err: err}
	}
	return result{data: pl}
}
