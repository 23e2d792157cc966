package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

const mediaJSON = "application/json; charset=utf-8"

// body is an answer that is not a JSON value to encode: a document encoded once at start
// (with an ETag), a file read from disk, an image, a download.
type body struct {
	media    string
	data     []byte
	etag     string // answers If-None-Match with 304
	cache    string // Cache-Control
	filename string // Content-Disposition: attachment; the browser saves it under this name
	csp      string // a Content-Security-Policy of its own (an SVG opened on its own, say)
	final    bool   // file names already rewritten for clients (pathNames), at start
}

// response is an answer encoded and ready to write: what encode makes of a handler's
// result, before the bytes go to a client that may read them slowly.
type response struct {
	status int
	body
}

// jsonOptions are encoding/json's (v1) semantics but for one: an empty slice or map is
// written [] or {}, never null, whether it is nil or not. The OpenAPI document says
// arrays and objects, and a client (the UI first) indexes them without a null check; no
// type the answers carry has to remember to make its empty lists non-nil. HTML characters
// stay as they are: the answers are read by programs and the UI, which never paste them
// into HTML.
var jsonOptions = json.JoinOptions(jsonv1.DefaultOptionsV1(),
	json.FormatNilSliceAsNull(false), json.FormatNilMapAsNull(false), jsontext.EscapeForHTML(false))

// encodeJSON encodes v as the body of a JSON answer.
func encodeJSON(status int, v any) response {
	var buf bytes.Buffer
	if err := json.MarshalWrite(&buf, v, jsonOptions); err != nil {
		return response{http.StatusInternalServerError, body{media: mediaJSON,
			data: []byte(`{"error":{"status":500,"code":"internal","message":"encode answer"}}` + "\n")}}
	}
	buf.WriteByte('\n')
	return response{status, body{media: mediaJSON, data: buf.Bytes()}}
}

// encodeError is the JSON error answer for err, with the status asAPIError gives it.
func encodeError(err error) response {
	ae := asAPIError(err)
	return encodeJSON(ae.Status, struct {
		Error *apiError `json:"error"`
	}{ae})
}

// write sends a response: the headers its body asks for, then the bytes, none for HEAD
// and for a 304 when If-None-Match matches its ETag.
func (a response) write(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if a.etag != "" {
		h.Set("ETag", a.etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, a.etag) {
			if a.cache != "" {
				h.Set("Cache-Control", a.cache)
			}
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h.Set("Content-Type", a.media)
	h.Set("Content-Length", strconv.Itoa(len(a.data)))
	if a.cache != "" {
		h.Set("Cache-Control", a.cache)
	}
	if a.filename != "" {
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", a.filename))
	}
	if a.csp != "" {
		h.Set("Content-Security-Policy", a.csp)
	}
	w.WriteHeader(a.status)
	if r.Method != http.MethodHead {
		w.Write(a.data)
	}
}

// writeError answers err as JSON, for the middleware's own answers (405, 404, a panic).
func writeError(w http.ResponseWriter, r *http.Request, err error) { encodeError(err).write(w, r) }

// newBlob encodes v once, with an ETag, for an answer that never changes while the
// server runs.
func (s *Server) newBlob(v any) (body, error) { return blob(v, s.state().paths()) }

// blob encodes v once, with an ETag, its file names shown as paths shows them.
func blob(v any, paths pathNames) (body, error) {
	a := encodeJSON(http.StatusOK, v)
	if a.status != http.StatusOK {
		return body{}, fmt.Errorf("encode %T", v)
	}
	return finalBlob(a, paths), nil
}

// finalBlob is an encoded answer with its file names rewritten and its ETag.
func finalBlob(a response, paths pathNames) body {
	a = paths.rewritten(a)
	a.final = true
	sum := sha256.Sum256(a.data)
	a.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	a.cache = "no-cache"
	return a.body
}

// etagMatch is the weak comparison of RFC 9110 §13.1.2 that If-None-Match uses (§13.1.2):
// "*" matches any current representation, and each entity-tag of the comma-separated
// list matches when its opaque tag equals etag's, W/ prefixes ignored.
func etagMatch(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	s := strings.TrimSpace(header)
	if s == "*" {
		return true
	}
	for s != "" {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			break
		}
		tag := strings.TrimPrefix(s, "W/")
		if !strings.HasPrefix(tag, `"`) {
			return false // not a list of entity-tags
		}
		end := strings.IndexByte(tag[1:], '"')
		if end < 0 {
			return false
		}
		if tag[:end+2] == want {
			return true
		}
		s = tag[end+2:]
	}
	return false
}
