// Package ociimage writes the one-layer OCI image the containerd bench driver imports:
// busybox and mount points, built from what the host has, no registry involved.
package ociimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go"
	imagespec "github.com/opencontainers/image-spec/specs-go/v1"
)

// imageFile is one entry of the image's single layer.
type imageFile struct {
	name   string
	mode   int64 // permission bits
	typ    byte  // tar.TypeReg, tar.TypeDir, tar.TypeSymlink
	host   string
	target string // symlink target
}

// Write writes an OCI image layout archive (oci-layout, index.json and the blobs, as
// one tar — the format `ctr image import` reads) of a one-layer image: the host's static
// busybox as /bin/busybox with /bin/true and /bin/sh linked to it, empty /strata as a
// mount point for the kernel executable, and the directories the runtime mounts onto.
// No registry is involved: the image is built here, from what the host has, each time.
// links are more symlinks, path → target (the host's merged-/usr links, for a dynamically
// linked executable whose libraries are bound in).
func Write(w io.Writer, name, busybox string, links map[string]string) error {
	files := []imageFile{
		{name: "bin/", mode: 0o755, typ: tar.TypeDir},
		{name: "bin/busybox", mode: 0o755, typ: tar.TypeReg, host: busybox},
		{name: "bin/true", typ: tar.TypeSymlink, target: "busybox"},
		{name: "bin/sh", typ: tar.TypeSymlink, target: "busybox"},
		{name: "dev/", mode: 0o755, typ: tar.TypeDir},
		{name: "proc/", mode: 0o555, typ: tar.TypeDir},
		{name: "sys/", mode: 0o555, typ: tar.TypeDir},
		{name: "tmp/", mode: 0o1777, typ: tar.TypeDir},
		{name: "work/", mode: 0o755, typ: tar.TypeDir},
		{name: "strata", mode: 0o755, typ: tar.TypeReg},
	}
	for _, p := range slices.Sorted(maps.Keys(links)) {
		files = append(files, imageFile{name: strings.TrimPrefix(p, "/"), typ: tar.TypeSymlink, target: links[p]})
	}
	layer, err := layerTar(files)
	if err != nil {
		return err
	}
	layerDesc := blobDesc(imagespec.MediaTypeImageLayer, layer)
	config, err := json.Marshal(imagespec.Image{
		Platform: imagespec.Platform{Architecture: runtime.GOARCH, OS: "linux"},
		Config:   imagespec.ImageConfig{Env: []string{"PATH=/bin"}, Cmd: []string{"/bin/true"}, WorkingDir: "/"},
		RootFS:   imagespec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layerDesc.Digest}},
	})
	if err != nil {
		return err
	}
	configDesc := blobDesc(imagespec.MediaTypeImageConfig, config)
	manifest, err := json.Marshal(imagespec.Manifest{
		Versioned: ocispec.Versioned{SchemaVersion: 2},
		MediaType: imagespec.MediaTypeImageManifest,
		Config:    configDesc,
		Layers:    []imagespec.Descriptor{layerDesc},
	})
	if err != nil {
		return err
	}
	manifestDesc := blobDesc(imagespec.MediaTypeImageManifest, manifest)
	manifestDesc.Platform = &imagespec.Platform{Architecture: runtime.GOARCH, OS: "linux"}
	manifestDesc.Annotations = map[string]string{
		// containerd names the imported image after this annotation; the OCI ref name is
		// the tag for other tools.
		"io.containerd.image.name":  name,
		imagespec.AnnotationRefName: "bench",
	}
	index, err := json.Marshal(imagespec.Index{
		Versioned: ocispec.Versioned{SchemaVersion: 2},
		MediaType: imagespec.MediaTypeImageIndex,
		Manifests: []imagespec.Descriptor{manifestDesc},
	})
	if err != nil {
		return err
	}
	layout, err := json.Marshal(imagespec.ImageLayout{Version: imagespec.ImageLayoutVersion})
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	put := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := put(imagespec.ImageLayoutFile, layout); err != nil {
		return err
	}
	if err := put("index.json", index); err != nil {
		return err
	}
	for _, b := range [][]byte{layer, config, manifest} {
		if err := put(fmt.Sprintf("blobs/sha256/%x", sha256.Sum256(b)), b); err != nil {
			return err
		}
	}
	return tw.Close()
}

// epoch is the modification time of everything in the image, so the same inputs give the
// same digests.
var epoch = time.Unix(0, 0)

func blobDesc(mediaType string, b []byte) imagespec.Descriptor {
	return imagespec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
}

// layerTar is the uncompressed layer tar of files.
func layerTar(files []imageFile) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Typeflag: f.typ, ModTime: epoch}
		var data []byte
		switch f.typ {
		case tar.TypeSymlink:
			h.Linkname, h.Mode = f.target, 0o777
		case tar.TypeReg:
			if f.host != "" {
				b, err := os.ReadFile(f.host)
				if err != nil {
					return nil, fmt.Errorf("image layer: %w", err)
				}
				data = b
			}
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
