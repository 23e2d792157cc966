package server

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
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
func (s *Server) manifestsScenario(r *request) result {
	wl, err := s.scenarioWorkload(r)
	if err != nil {
		return result{err: err}
	}
	return s.manifests(r, []plan.Workload{wl})
}

// manifestsWorkload answers POST /api/v1/manifests: the files for the Workload documents of
// the body.
func (s *Server) manifestsWorkload(r *request) result {
	ws, err := s.workloads(r)
	if err != nil {
		return result{err: err}
	}
	return s.manifests(r, ws)
}

// manifests plans every workload and answers with the emitted files: a .tar.gz with one
// file per object (a directory per workload when there are several), or with format=yaml
// one multi-document YAML stream of the cluster objects, ready for kubectl apply -f -.
func (s *Server) manifests(r *request, ws []plan.Workload) result {
	q := r.URL.Query()
	format := q.Get("format")
	switch format {
	case "", "tar":
		format = "tar"
	case "yaml":
	default:
		return result{err: badRequest("format %q: use tar (a .tar.gz of the files, the default) or yaml (the cluster objects as one YAML stream)", format)}
	}
	opts := plan.EmitOptions{Image: strings.TrimSpace(q.Get("image")), Namespace: strings.TrimSpace(q.Get("namespace")), ContainerdConfigVersion: 2}
	if opts.Image != "" {
		if err := manifest.CheckImage(opts.Image); err != nil {
			return result{err: badRequest("image: %v", err)}
		}
	}
	if v := q.Get("containerdConfigVersion"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || (n != 2 && n != 3) {
			return result{err: badRequest("containerdConfigVersion %q: use 2 (containerd 1.x) or 3 (containerd 2.x)", v)}
		}
		opts.ContainerdConfigVersion = n
	}
	asOf, setAsOf, err := asOfParam(r)
	if err != nil {
		return result{err: err}
	}

	type set struct {
		dir  string
		objs []manifest.Object
	}
	var sets []set
	for _, wl := range ws {
		if err := r.Context().Err(); err != nil {
			return result{err: err} // the client hung up: stop planning for it
		}
		if setAsOf {
			wl.AsOf = asOf
		}
		var pl *plan.Plan
		s.planStep(r.Context(), wl.Name, func() string {
			pl, err = r.st.planner.Plan(wl)
			var u *plan.Unsatisfiable
			switch {
			case err == nil:
				return "planned"
			case errors.As(err, &u):
				return "unsatisfiable"
			}
			return "error"
		})
		if err != nil {
			return result{err: asInput(err)} // 422 for an unsatisfiable workload
		}
		var objs []manifest.Object
		s.span(r, "plan.Emit", func() { objs, err = r.st.planner.Emit(pl, wl, opts) })
		switch {
		case errors.Is(err, plan.ErrNoImage):
			return result{err: badRequest("%v or give the query parameter image=REF", err)}
		case err != nil:
			return result{err: &apiError{Status: http.StatusUnprocessableEntity, Code: "not-emittable", Message: err.Error()}}
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
				if !o.ClusterObject() {
					continue // a node file, not a cluster object: only in the tar
				}
				fmt.Fprintf(&buf, "---\n# %s\n", path.Join(st.dir, o.File))
				buf.Write(o.YAML)
			}
		}
		return result{data: body{media: mediaYAML, data: buf.Bytes(), filename: name + ".yaml"}}
	}
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	// A fixed time keeps the archive the same for the same plan (and cacheable).
	mtime := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, st := range sets {
		for _, o := range st.objs {
			data := r.st.paths().rewrite(mediaYAML, o.YAML) // the writer cannot see into the archive
			hdr := &tar.Header{Name: path.Join(name, st.dir, o.File), Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg}
			if err := tw.WriteHeader(hdr); err != nil {
				return result{err: err}
			}
			if _, err := tw.Write(data); err != nil {
				return result{err: err}
			}
		}
	}
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		return result{err: err}
	}
	return result{data: body{media: mediaTarGz, data: buf.Bytes(), filename: name + ".tar.gz"}}
}
