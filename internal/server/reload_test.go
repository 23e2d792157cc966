package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// TestUpdateSwaps: Update serves a new network to new requests while a request that
// started before keeps the one it took; Update without a reasoner keeps the network and
// serves the problems, stale; the status answers 304 to its ETag until it changes.
func TestUpdateSwaps(t *testing.T) {
	s := testServer(t, Config{NoUI: true})
	get := func(path, etag string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		if etag != "" {
			r.Header.Set("If-None-Match", etag)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	status := func() NetworkStatus {
		var st NetworkStatus
		if err := json.Unmarshal(get("/api/v1/network/status", "").Body.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	before := s.state() // what a request in flight holds
	st0 := status()
	tag := get("/api/v1/network/status", "").Header().Get("ETag")
	if w := get("/api/v1/network/status", tag); w.Code != http.StatusNotModified {
		t.Errorf("status with its own ETag: %d, want 304", w.Code)
	}

	// a smaller network: the default without one document
	var files []network.File
	for _, f := range network.DefaultFiles() {
		if f.Name != "default/85-measured.yaml" {
			files = append(files, f)
		}
	}
	n, err := network.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	rsn, err := reason.New(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(rsn, nil, nil); err != nil {
		t.Fatal(err)
	}
	st1 := status()
	if st1.Generation != st0.Generation+1 || st1.Entities != len(n.Entities) || st1.Entities == st0.Entities || st1.Stale {
		t.Errorf("after Update: %+v (before %+v)", st1, st0)
	}
	if w := get("/api/v1/network/status", tag); w.Code != http.StatusOK {
		t.Errorf("status with the old ETag: %d, want 200", w.Code)
	}
	if before.net == n || len(before.net.Entities) != st0.Entities {
		t.Error("the state a request took changed under it")
	}

	ps := network.Problems{{Pos: network.Pos{File: "kb/a.md", Line: 7}, Code: "table", Message: "bad row"}}
	if err := s.Update(nil, nil, ps); err != nil {
		t.Fatal(err)
	}
	st2 := status()
	if !st2.Stale || st2.Generation != st1.Generation || st2.Entities != st1.Entities || len(st2.Problems) != 1 || st2.Problems[0].Pos.Line != 7 {
		t.Errorf("after a failed reload: %+v", st2)
	}
	if s.state().net != n {
		t.Error("a failed reload replaced the network served")
	}
}
