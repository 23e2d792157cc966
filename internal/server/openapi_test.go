package server_test

import (
	"encoding/json"
	"flag"
	"testing"

	"github.com/strata-dev/strata/internal/golden"
	"github.com/strata-dev/strata/internal/server"
)

var update = flag.Bool("update", false, "rewrite testdata/openapi.json from the server's OpenAPI document")

// openAPIGolden is the API's visible surface, pinned: a change to a route, a parameter, a
// bound or an answer's shape shows in review as a diff of this file. The UI's TypeScript
// types are generated from the same document (TestUIAPITypes).
const openAPIGolden = "testdata/openapi.json"

// TestOpenAPIGolden compares the document the server serves with testdata/openapi.json
// (go test ./internal/server -run TestOpenAPIGolden -update rewrites it).
func TestOpenAPIGolden(t *testing.T) {
	s := newServer(t, server.Config{})
	a := do(t, s, "GET", "/api/v1/openapi.json", "", nil)
	var doc any
	if err := json.Unmarshal(a.body, &doc); err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, openAPIGolden, got, *update)
}

// TestOpenAPIValid lints the document with kin-openapi's loader and validator: every
// reference resolves, every schema, parameter and response is well formed. The tests'
// judge of every answer (server.CheckedHandler) uses the same loaded document.
func TestOpenAPIValid(t *testing.T) {
	s := newServer(t, server.Config{})
	doc, err := server.LoadOpenAPI(s.Server)
	if err != nil {
		t.Fatal(err)
	}
	ops := 0
	for _, item := range doc.Paths.Map() {
		ops += len(item.Operations())
	}
	if want := len(s.Routes()); ops != want {
		t.Errorf("%d operations in the document, want the %d routes", ops, want)
	}
}
