package server

import (
	"embed"
	"io"
	"io/fs"
	"net/http"
	"strings"
)

// The web UI, built from web/ by scripts/build-web.sh; committed so that go build needs
// no npm.
//
//go:embed all:ui/dist
var uiFS embed.FS

// uiHandler serves the built UI: index.html at / (and /index.html) and the files of
// ui/dist. The UI's views are hash routes (/#/planner), so no other path is a page of it:
// anything else is a 404 with the error body every answer has, not index.html with 200
// (which told a client, a crawler or a mistyped link that any path exists).
func uiHandler() http.Handler {
	dist, _ := fs.Sub(uiFS, "ui/dist")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, r, &apiError{Status: http.StatusMethodNotAllowed, Code: "method-not-allowed", Message: r.Method + " is not allowed on " + r.URL.Path + "; use GET"})
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'")
		p := strings.TrimPrefix(r.URL.Path, "/")
		if p == "" {
			p = "index.html"
		}
		f, err := dist.Open(p) // refuses what fs.ValidPath does (.., empty elements)
		if err != nil {
			writeError(w, r, uiNotFound(r))
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		rs, seekable := f.(io.ReadSeeker)
		if err != nil || !fi.Mode().IsRegular() || !seekable {
			writeError(w, r, uiNotFound(r)) // a directory (/assets/) is no page either
			return
		}
		if strings.HasPrefix(p, "assets/") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		http.ServeContent(w, r, fi.Name(), fi.ModTime(), rs)
	})
}

// uiNotFound is the answer to a path that is no file of the UI.
func uiNotFound(r *http.Request) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "not-found",
		Message: "no page " + r.URL.Path + ": the web UI is at / and its views at /#/… (for example /#/planner); the API is under /api/v1/"}
}
