# strata's image for builders with Docker or BuildKit: the static binary, nothing else,
# user 65532. scripts/build-image.sh makes the same image without a daemon or registry
# (an OCI layout from go-containerregistry), which is what the tests import into containerd.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -buildid=" -o /strata ./cmd/strata

FROM scratch
COPY --from=build /strata /strata
USER 65532:65532
ENTRYPOINT ["/strata"]
