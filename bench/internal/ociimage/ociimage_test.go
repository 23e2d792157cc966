package ociimage

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"testing"

	digest "github.com/opencontainers/go-digest"
	imagespec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/strata-dev/strata/bench/internal/exe"
)

const busybox = "/bin/busybox"

// TestWriteImage reads the image archive back as an OCI layout: every blob named by its
// digest, the index naming the image for containerd, the layer holding busybox.
func TestWriteImage(t *testing.T) {
	if !exe.IsStatic(busybox) {
		t.Skip("no static " + busybox)
	}
	var buf bytes.Buffer
	if err := Write(&buf, "strata.local/bench:test", busybox, map[string]string{"/lib64": "usr/lib64"}); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = b
	}
	var index imagespec.Index
	if err := json.Unmarshal(files["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json: %v %+v", err, index)
	}
	if _, ok := files[imagespec.ImageLayoutFile]; !ok {
		t.Error("no oci-layout file")
	}
	blob := func(d digest.Digest) []byte {
		b, ok := files["blobs/sha256/"+d.Encoded()]
		if !ok {
			t.Fatalf("blob %s missing", d)
		}
		if digest.FromBytes(b) != d {
			t.Fatalf("blob %s does not match its digest", d)
		}
		return b
	}
	md := index.Manifests[0]
	if md.Annotations["io.containerd.image.name"] != "strata.local/bench:test" {
		t.Errorf("image name annotation: %v", md.Annotations)
	}
	var m imagespec.Manifest
	if err := json.Unmarshal(blob(md.Digest), &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("manifest: %v %+v", err, m)
	}
	var cfg imagespec.Image
	if err := json.Unmarshal(blob(m.Config.Digest), &cfg); err != nil || cfg.RootFS.DiffIDs[0] != m.Layers[0].Digest {
		t.Fatalf("config: %v %+v", err, cfg)
	}
	lr := tar.NewReader(bytes.NewReader(blob(m.Layers[0].Digest)))
	names := map[string]bool{}
	for {
		h, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names[h.Name] = true
	}
	for _, n := range []string{"bin/busybox", "bin/true", "strata", "lib64"} {
		if !names[n] {
			t.Errorf("layer lacks %s", n)
		}
	}
}
