// Command strata-cluster runs strata's local Kubernetes control plane (package
// internal/controlplane) until SIGTERM or SIGINT, with simulated nodes labelled by the
// probe's fake host trees, for scripts/cluster-up.sh. It writes DIR/kubeconfig and then
// DIR/ready.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/strata-dev/strata/internal/controlplane"
	"github.com/strata-dev/strata/plan/manifest"
)

func main() { os.Exit(run()) }

func run() int {
	dir := flag.String("dir", "/tmp/strata-cluster", "where the control plane keeps its files")
	trees := flag.String("trees", "probe/testdata", "the probe's fake host trees; each node is labelled from one")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := os.RemoveAll(filepath.Join(*dir, "etcd")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Remove(filepath.Join(*dir, "ready"))
	bins, err := controlplane.FindBinaries(ctx, true)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cp, err := controlplane.Start(ctx, bins, controlplane.Options{Dir: *dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cp.Stop()
	now := time.Now()
	for _, n := range []struct{ name, tree string }{
		{"kvm-1", "kvm-host"}, {"kvm-2", "kvm-host"}, {"kvm-3", "kvm-host"},
		{"amd-1", "amd-no-kvm"}, {"pvm-1", "pvm-guest"}, {"sandbox-1", "gvisor-sandbox"},
	} {
		labels, err := controlplane.ProbedLabels(ctx, filepath.Join(*trees, n.tree), now)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		node := controlplane.Node{Name: n.name, Labels: labels}
		if n.tree == "kvm-host" {
			labels[manifest.NFDNvidiaGPU] = "true" // the tree has /dev/nvidia0, as NFD's PCI source would say
			node.Extended = map[string]string{"nvidia.com/gpu": "4"}
		}
		if err := cp.AddNode(ctx, node); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := os.WriteFile(filepath.Join(*dir, "ready"), []byte(cp.Server()+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("control plane at %s; KUBECONFIG=%s\n", cp.Server(), cp.Kubeconfig)
	<-ctx.Done()
	if err := cp.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
