package server

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/strata-dev/strata/plan"
	"github.com/strata-dev/strata/plan/manifest"
)

// Media types of the manifests download.
const (
	mediaTarGz = "application/gzip"
	mediaYAML  = "application/yaml"
)

// manifestsScenario answers GET /api/v1/manifests?scenario=…&image=…: the files
// strata plan --emit writes, for one of the network's scenarios.
func (s *Server) manifestsScenario(w http.ResponseWriter, r *http.Request) {
	wl, release, err := s.scenarioWorkload(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	s.manifests(w, r, []plan.Workload{wl})
}

// manifestsWorkload answers POST /api/v1/manifests: the files for the Workload documents of
// the body.
func (s *Server) manifestsWorkload(w http.ResponseWriter, r *http.Request) {
	ws, release, err := s.readWorkloads(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	s.manifests(w, r, ws)
}

// manifests plans every workload and answers with the emitted files: a .tar.gz with one
// file per object (a directory per workload when there are several), or with format=yaml
// one multi-document YAML stream of the cluster objects, ready for kubectl apply -f -.
func (s *Server) manifests(w http.ResponseWriter, r *http.Request, ws []plan.Workload) {
	q := r.URL.Query()
	format := q.Get("format")
	switch format {
	case "", "tar":
		format = "tar"
	case "yaml":
	default:
		writeError(w, r, badRequest("format %q: use tar (a .tar.gz of the files, the default) or yaml (the cluster objects as one YAML stream)", format))
		return
	}
	opts := plan.EmitOptions{Image: strings.TrimSpace(q.Get("image")), Namespace: strings.TrimSpace(q.Get("namespace")), ContainerdConfigVersion: 2}
	if opts.Image != "" {
		if err := manifest.CheckImage(opts.Image); err != nil {
			writeError(w, r, badRequest("image: %v", err))
			return
		}
	}
	if v := q.Get("containerdConfigVersion"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || (n != 2 && n != 3) {
			writeError(w, r, badRequest("containerdConfigVersion %q: use 2 (containerd 1.x) or 3 (containerd 2.x)", v))
			return
		}
		opts.ContainerdConfigVersion = n
	}
	asOf, setAsOf, err := asOfParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}

	type set struct {
		dir  string
		objs []manifest.Object
	}
	var sets []set
	for _, wl := range ws {
		if setAsOf {
			wl.AsOf = asOf
		}
		var pl *plan.Plan
		var u *plan.Unsatisfiable
		s.planStep(r.Context(), wl.Name, func() string {
			pl, err = s.planner.Plan(wl)
			switch {
			case err == nil:
				return "planned"
			case errors.As(err, &u):
				return "unsatisfiable"
			}
			return "error"
		})
		if u != nil {
			writeError(w, r, &apiError{Status: http.StatusUnprocessableEntity, Code: "unsatisfiable", Message: u.Error(), Unsat: []*plan.Unsatisfiable{u}})
			return
		}
		if err != nil {
			writeError(w, r, asInput(err))
			return
		}
		var objs []manifest.Object
		s.span(r, "plan.Emit", func() { objs, err = s.planner.Emit(pl, wl, opts) })
		switch {
		case errors.Is(err, plan.ErrNoImage):
			writeError(w, r, badRequest("%s", strings.Replace(err.Error(), "pass an image (strata plan --image REF)", "give the query parameter image=REF", 1)))
			return
		case err != nil:
			writeError(w, r, &apiError{Status: http.StatusUnprocessableEntity, Code: "not-emittable", Message: err.Error()})
			return
		}
		dir := ""
		if len(ws) > 1 {
			dir = wl.Name
		}
		sets = append(sets, set{dir, objs})
	}

	var buf bytes.Buffer
	name := ws[0].Name + "-manifests"
	if len(ws) > 1 {
		name = "manifests"
	}
	if format == "yaml" {
		for _, st := range sets {
			for _, o := range st.objs {
				if o.Kind == manifest.KindContainerdConfig {
					continue // a node file, not a cluster object: only in the tar
				}
				fmt.Fprintf(&buf, "---\n# %s\n", path.Join(st.dir, o.File))
				buf.Write(o.YAML)
			}
		}
		download(w, r, mediaYAML, name+".yaml", buf.Bytes())
		return
	}
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	// A fixed time keeps the archive the same for the same plan (and cacheable).
	mtime := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, st := range sets {
		for _, o := range st.objs {
			hdr := &tar.Header{Name: path.Join(name, st.dir, o.File), Mode: 0o644, Size: int64(len(o.YAML)), ModTime: mtime, Typeflag: tar.TypeReg}
			if err := tw.WriteHeader(hdr); err != nil {
				writeError(w, r, err)
				return
			}
			if _, err := tw.Write(o.YAML); err != nil {
				writeError(w, r, err)
				return
			}
		}
	}
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		writeError(w, r, err)
		return
	}
	download(w, r, mediaTarGz, name+".tar.gz", buf.Bytes())
}

// download answers with a file the browser saves under name.
func download(w http.ResponseWriter, r *http.Request, media, name string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", media)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, bytes.NewReader(body))
	}
}
