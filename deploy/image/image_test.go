package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildImage runs scripts/build-image.sh into dir and returns the digest it printed.
func buildImage(t *testing.T, dir, ref string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "bash", "../../scripts/build-image.sh", dir, ref)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("build-image.sh: %v\n%s", err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}

// TestImage builds the image twice (the same digest both times: the build is
// reproducible), imports it into a containerd daemon of the test's own with ctr, and runs
// strata probe and strata serve from it.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds strata twice and starts containerd")
	}
	for _, bin := range []string{"containerd", "ctr", "runc", "containerd-shim-runc-v2"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (scripts/setup-bench.sh installs containerd and runc)", bin)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("containerd needs root")
	}
	const ref = "ghcr.io/strata-dev/strata:test"
	a, b := t.TempDir(), t.TempDir()
	da, db := buildImage(t, a, ref), buildImage(t, b, ref)
	if !strings.HasPrefix(da, "sha256:") || da != db {
		t.Fatalf("two builds gave digests %q and %q; want one and the same", da, db)
	}
	index, err := os.ReadFile(filepath.Join(a, "oci", "index.json"))
	if err != nil || !strings.Contains(string(index), da) || !strings.Contains(string(index), ref) {
		t.Fatalf("index.json %s (%v) does not name %s as %s", index, err, da, ref)
	}

	// A containerd of our own: its own root, state and socket (short: containerd refuses
	// socket paths over 104 bytes), only what ctr run needs.
	dir, err := os.MkdirTemp("", "strata-img-")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "c.sock")
	cfg := filepath.Join(dir, "config.toml")
	conf := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = %q\n", filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	daemon := exec.Command("containerd", "--config", cfg, "--log-level", "warn")
	daemon.Stdout, daemon.Stderr = logf, logf
	daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { daemon.Wait(); logf.Close(); close(done) }()
	ns := fmt.Sprintf("strata-image-test-%d", os.Getpid())
	// Not t.Context(): the cleanup below runs after it is cancelled.
	ctr := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "ctr", append([]string{"--address", sock, "--namespace", ns}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	t.Cleanup(func() {
		for _, id := range []string{"strata-serve", "strata-probe"} {
			ctr("task", "delete", "-f", id) // kills a running task; "not found" for one that ended
			ctr("container", "delete", id)
		}
		if out, err := ctr("task", "ls", "-q"); err != nil || out != "" {
			t.Errorf("tasks left: %q %v", out, err)
		}
		syscall.Kill(-daemon.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-daemon.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := ctr("version"); err == nil {
			break
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "containerd.log"))
			t.Fatalf("containerd exited:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("containerd did not answer within 30s")
		}
	}
	if out, err := ctr("images", "import", "--snapshotter", "native", filepath.Join(a, "strata-image.tar")); err != nil {
		t.Fatalf("ctr images import: %v\n%s", err, out)
	}
	if out, err := ctr("images", "ls", "-q"); err != nil || !strings.Contains(out, ref) {
		t.Fatalf("ctr images ls: %v\n%s", err, out)
	}

	// strata probe, as the image's user 65532.
	out, err := ctr("run", "--rm", "--snapshotter", "native", ref, "strata-probe", "/strata", "probe", "--unprivileged", "-o", "json")
	if err != nil {
		t.Fatalf("strata probe in the image: %v\n%s", err, out)
	}
	var report struct {
		Checks []struct{ ID, Result string } `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || len(report.Checks) == 0 {
		t.Fatalf("probe output (%v):\n%.2000s", err, out)
	}

	// strata serve on the host's network, answering /readyz.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if out, err := ctr("run", "-d", "--net-host", "--snapshotter", "native", ref, "strata-serve", "/strata", "serve", "--web.listen-address", addr); err != nil {
		t.Fatalf("strata serve in the image: %v\n%s", err, out)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		time.Sleep(100 * time.Millisecond) // polling a server that is starting up
	}
	tasks, _ := ctr("task", "ls")
	t.Fatalf("serve never became ready on %s: %v\n%s", addr, last, tasks)
}
