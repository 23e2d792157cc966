package ebpf

// The BPF object is generated from bpf/locate.bpf.c with clang and committed, so building
// strata needs no clang; scripts/check-bpf-generate.sh checks that regenerating it gives
// the same files.
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target amd64 -type event locate bpf/locate.bpf.c
