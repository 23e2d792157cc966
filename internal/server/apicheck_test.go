package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The tests' judge of every answer: kin-openapi, a validator we did not write, checks each
// response the server tests get against the OpenAPI document the server serves (its
// status documented for the operation, its body valid for that status's schema). The
// tests of both packages use it: CheckedHandler wraps a server for httptest and
// httptest.NewServer, CheckingTransport wraps a client of a listening server.

var (
	docOnce   sync.Once
	docErr    error
	apiDoc    *openapi3.T
	apiRouter routers.Router
)

func init() {
	// Files to save: kin-openapi checks that they are strings, as the document says.
	for _, m := range []string{mediaTarGz, mediaYAML, mediaSVG} {
		openapi3filter.RegisterBodyDecoder(m, openapi3filter.FileBodyDecoder)
	}
}

// LoadOpenAPI loads the document of a server with kin-openapi's loader and validates it
// (the loader's own lint: references resolve, schemas are well formed, parameters and
// responses are complete).
func LoadOpenAPI(s *Server) (*openapi3.T, error) {
	b, err := json.Marshal(openAPIDocument(s))
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is not valid: %w", err)
	}
	return doc, nil
}

func judge(s *Server) (*openapi3.T, routers.Router, error) {
	docOnce.Do(func() {
		if apiDoc, docErr = LoadOpenAPI(s); docErr != nil {
			return
		}
		// The document's server is "/": the router matches paths on any host.
		apiRouter, docErr = gorillamux.NewRouter(apiDoc)
	})
	return apiDoc, apiRouter, docErr
}

// CheckAnswer validates one answer against the OpenAPI document and reports what does not
// match as a test error. Routes outside the document (/healthz, /readyz, /metrics, the UI)
// are checked only for their JSON errors, which must have the document's Error shape.
func CheckAnswer(tb testing.TB, s *Server, r *http.Request, status int, header http.Header, body []byte) {
	tb.Helper()
	doc, router, err := judge(s)
	if err != nil {
		tb.Fatal(err)
	}
	if r.Method == http.MethodHead || status == http.StatusNotModified {
		return // no body to check
	}
	req := r.Clone(context.Background())
	req.Body = http.NoBody
	if req.URL.Host == "" {
		req.URL.Scheme, req.URL.Host = "http", "strata.test"
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		// Not an operation of the document (an unknown path, a method it lacks, or a
		// route it does not describe): an error answer must still be a documented Error.
		if status >= 400 && isJSON(header) {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				tb.Errorf("%s %s: %d answer is not JSON: %v", r.Method, r.URL, status, err)
				return
			}
			if err := doc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
				tb.Errorf("%s %s: %d answer does not match the OpenAPI Error schema: %v\n%.500s", r.Method, r.URL, status, err, body)
			}
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		tb.Errorf("%s %s: the %d answer does not match the OpenAPI document: %v\n%.500s", r.Method, r.URL, status, err, body)
	}
}

func isJSON(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/json"
}

// CheckedHandler serves s and checks every answer with CheckAnswer. Benchmarks get s
// itself: the judge's cost is not the server's.
func CheckedHandler(tb testing.TB, s *Server) http.Handler {
	if _, bench := tb.(*testing.B); bench {
		return s
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		CheckAnswer(tb, s, r, rec.Code, rec.Header(), rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// CheckingTransport is an http.RoundTripper that checks every answer a client of a
// listening s gets with CheckAnswer.
type CheckingTransport struct {
	TB     testing.TB
	Server *Server
	Base   http.RoundTripper // default http.DefaultTransport
}

func (t CheckingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err != nil || strings.HasPrefix(r.URL.Path, "/metrics") {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	CheckAnswer(t.TB, t.Server, r, resp.StatusCode, resp.Header, b)
	return resp, nil
}
