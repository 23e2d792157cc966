package server

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// The web UI, built from web/ by scripts/build-web.sh; committed so that go build needs
// no npm.
//
//go:embed all:ui/dist
var uiFS embed.FS

// uiHandler serves the built UI. Unknown paths without an extension get index.html, so
// the UI's own routes survive a reload.
func uiHandler() http.Handler {
	dist, _ := fs.Sub(uiFS, "ui/dist")
	files := http.FileServer(http.FS(dist))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, r, &apiError{Status: http.StatusMethodNotAllowed, Code: "method-not-allowed", Message: r.Method + " is not allowed on " + r.URL.Path + "; use GET"})
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'")
		p := strings.TrimPrefix(r.URL.Path, "/")
		if p != "" {
			if _, err := fs.Stat(dist, p); err != nil {
				if strings.Contains(p[strings.LastIndex(p, "/")+1:], ".") {
					writeError(w, r, &apiError{Status: http.StatusNotFound, Code: "not-found", Message: "no file " + r.URL.Path})
					return
				}
				r2 := r.Clone(r.Context())
				r2.URL.Path = "/"
				r = r2
			}
		}
		if strings.HasPrefix(p, "assets/") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
