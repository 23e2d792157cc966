// Module image builds strata's container image without a registry or a daemon: the
// static strata binary as the only layer, written as an OCI image layout (and a tar of
// it that `ctr images import` takes), byte for byte the same from the same sources. It is
// a module of its own so that go-containerregistry stays out of strata's go.mod.
module github.com/strata-dev/strata/deploy/image

go 1.26.8

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
	golang.org/x/sync v0.22.0 // indirect
)
