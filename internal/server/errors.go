package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/plan"
)

// apiError is the body of every error answer: {"error": {...}}. Handlers return it for
// what the server itself decides (a bad parameter, a limit); errors from the libraries
// keep their own types and asAPIError gives them a status.
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

func tooManyWorkloads(what string) *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too-many-workloads",
		Message: fmt.Sprintf("the request holds %s; send at most %d Workload documents per request", what, MaxWorkloads)}
}

// asAPIError is the one place an error becomes a status: unknown names are 404 with the
// nearest name, ambiguous names and problems are 400, a workload that cannot be planned
// 422, a body over the limit 413, a request whose context ended 503. Any other error is
// the server's own (writing an archive, say) and answers 500 "internal": handlers wrap
// the errors that come from the request with badRequest or asInput.
func asAPIError(err error) *apiError {
	var ae *apiError
	var ue *network.UnknownError
	var amb *network.AmbiguousError
	var u *plan.Unsatisfiable
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ue):
		return &apiError{Status: http.StatusNotFound, Code: "unknown-" + strings.ReplaceAll(ue.What, " ", "-"), Message: err.Error(), Suggestion: ue.Suggest}
	case errors.As(err, &amb):
		return &apiError{Status: http.StatusBadRequest, Code: "ambiguous", Message: err.Error(), Candidates: amb.IDs}
	case errors.As(err, &u):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "unsatisfiable", Message: u.Error(), Unsat: []*plan.Unsatisfiable{u}}
	case errors.As(err, &mbe):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too-large",
			Message: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusServiceUnavailable, Code: "canceled",
			Message: fmt.Sprintf("the request ended before strata finished it (%v); the work was stopped", err)}
	}
	if ps, ok := network.AsProblems(err); ok {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid-input",
			Message: fmt.Sprintf("%d problem(s) in the input; each has its file:line:col", len(ps)), Problems: ps}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
}

// asInput marks an error caused by what the request asked as a 400, unless it already has
// an answer of its own (unknown or ambiguous names, problems with positions, limits).
func asInput(err error) error {
	if err == nil {
		return nil
	}
	if asAPIError(err).Status != http.StatusInternalServerError {
		return err
	}
	return badRequest("%v", err)
}
