package server_test

import (
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/strata-dev/strata/internal/server"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// TestE2ELiveReload: in a real Chromium, the UI follows the served network without a
// manual refresh — after server.Update (what --watch calls) the open view fetches the new
// network and is drawn again; after a failed reload the status banner lists the problems
// at their file:line, and it goes away with the next good network.
func TestE2ELiveReload(t *testing.T) {
	bin := needBrowser(t)
	s := newServer(t, server.Config{})
	ts := httptest.NewServer(s)
	defer ts.Close()
	b := startBrowser(t, bin)
	b.load(ts.URL+"/#/explorer", "explorer")
	fetches := `performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname === "/api/v1/network").length`
	before := eval[int](b, "network fetches", fetches)

	n, err := network.Load(network.DefaultFiles())
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
	b.do("the view fetches the new network", poll(fetches+` > `+strconv.Itoa(before)))
	b.waitView("explorer")

	ps := network.Problems{{Pos: network.Pos{File: "kb/a.md", Line: 7}, Code: "table", Message: "table row has no cell under \"speed\""}}
	if err := s.Update(nil, nil, ps); err != nil {
		t.Fatal(err)
	}
	b.do("the banner shows the problem", poll(
		`(() => { const e = document.getElementById("network-status"); return !!e && !e.hidden && e.textContent.includes("kb/a.md:7") && e.textContent.includes("no cell under"); })()`))
	if err := s.Update(rsn, nil, nil); err != nil {
		t.Fatal(err)
	}
	b.do("the banner goes with the fix", poll(`document.getElementById("network-status").hidden`))
	b.verdict()
}
