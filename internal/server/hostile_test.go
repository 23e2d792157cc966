package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/internal/cli"
	"github.com/strata-dev/strata/internal/server"
)

// The hostile-body test runs strata serve in a process of its own, so that its peak memory
// (VmHWM) is the server's alone: the test binary runs itself again with
// STRATA_TEST_SERVE=1, and TestServeSubprocess then serves instead of testing.

const serveChildEnv = "STRATA_TEST_SERVE"

// TestServeSubprocess is the server side of TestHostileBodies; it does nothing in a test run.
func TestServeSubprocess(t *testing.T) {
	if os.Getenv(serveChildEnv) != "1" {
		t.Skip("the server process of TestHostileBodies")
	}
	os.Exit(cli.Run(context.Background(), []string{"serve", "--web.listen-address", "127.0.0.1:0", "--log.level", "error"}, os.Stdout, os.Stderr))
}

// serveProcess starts strata serve in a subprocess and returns its base URL and process.
// The process is stopped (SIGTERM, then waited for) when the test ends.
func serveProcess(t *testing.T) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeSubprocess$", "-test.count=1")
	cmd.Env = append(os.Environ(), serveChildEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	})
	br := bufio.NewReader(out)
	line, err := br.ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		go func() { cmd.Wait(); close(exited) }()
		t.Fatalf("strata serve did not start: %v", err)
	}
	go func() { io.Copy(io.Discard, br); cmd.Wait(); close(exited) }()
	base := strings.TrimSpace(strings.TrimPrefix(line, "strata serve: "))
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("strata serve said %q", line)
	}
	return base, cmd.Process
}

// procStatusKB is a "Vm…" line of /proc/PID/status in kB.
func procStatusKB(pid int, field string) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`(?m)^` + field + `:\s+(\d+) kB$`).FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
	}
	return strconv.Atoi(string(m[1]))
}

type hostileBody struct {
	name string
	data []byte
}

// hostileBodies are bodies that cost a naive reader far more than their size: deep
// nesting in every syntax, aliases that multiply, many documents, many values, huge
// scalars; each at 20 KB and 100 KB.
func hostileBodies() []hostileBody {
	var out []hostileBody
	add := func(name string, b []byte) { out = append(out, hostileBody{name, b}) }
	for _, n := range []int{20 << 10, 100 << 10} {
		k := strconv.Itoa(n>>10) + "KB"
		add("["+k, bytes.Repeat([]byte("["), n))
		add("{"+k, bytes.Repeat([]byte("{"), n))
		add("[{"+k, bytes.Repeat([]byte("[{"), n/2))
		add("spec: ["+k, append([]byte("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec: "), bytes.Repeat([]byte("["), n)...))
		add("json {\"a\":"+k, append(bytes.Repeat([]byte(`{"a":`), n/5), '1'))
		add("- - -"+k, append(bytes.Repeat([]byte("- "), n/2), 'x'))
		var ind bytes.Buffer // block sequences, each nested one line deeper
		for d := 0; ind.Len() < n; d++ {
			ind.WriteString(strings.Repeat(" ", d) + "-\n")
		}
		add("indented -"+k, ind.Bytes())
		var ki bytes.Buffer // block mappings, each nested one line deeper
		for d := 0; ki.Len() < n; d++ {
			ki.WriteString(strings.Repeat(" ", d) + "a:\n")
		}
		add("indented a:"+k, ki.Bytes())
		add("--- empty documents"+k, bytes.Repeat([]byte("---\n"), n/4))
		add("--- documents"+k, bytes.Repeat([]byte("---\na: 1\n"), n/9))
		add("scalar"+k, append([]byte("apiVersion: "), bytes.Repeat([]byte("x"), n)...))
		var keys bytes.Buffer
		for i := 0; keys.Len() < n; i++ {
			fmt.Fprintf(&keys, "k%d: %d\n", i, i)
		}
		add("keys"+k, keys.Bytes())
		add("flow items"+k, append(append([]byte("["), bytes.Repeat([]byte("1,"), n/2)...), ']'))
		var anchors bytes.Buffer // many anchors, each alias used many times
		for i := 0; anchors.Len() < n; i++ {
			fmt.Fprintf(&anchors, "a%d: &a%d [*a0, *a0, *a0, *a0]\n", i+1, i+1)
		}
		add("anchors"+k, append([]byte("a0: &a0 [x]\n"), anchors.Bytes()...))
	}
	// Billion laughs: nine levels of nine aliases, 9^9 values from a kilobyte.
	var bomb bytes.Buffer
	bomb.WriteString("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for c := 'b'; c <= 'i'; c++ {
		p := string(c - 1)
		fmt.Fprintf(&bomb, "%c: &%c [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", c, c, p, p, p, p, p, p, p, p, p)
	}
	add("billion laughs", bomb.Bytes())
	add("billion laughs in spec", append([]byte("apiVersion: strata.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec:\n  x: "), bytes.ReplaceAll(bomb.Bytes(), []byte("\n"), []byte("\n  "))...))
	add("over the body limit", bytes.Repeat([]byte("["), 2<<20))
	return out
}

// TestHostileBodies sends a burst of hostile bodies, 16 at once, at every route that takes
// a body, in every content type, some from clients that hang up once the body is sent, to a
// strata serve process. Every answer must be a clear 4xx (a JSON error with a code and a
// message), the server's peak RSS (VmHWM) must stay under 200 MB, and once the burst is
// over no request may still be at work.
func TestHostileBodies(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory would be measured with the server's; scripts/test.sh runs this test without -race")
	}
	const limitKB = 200 << 10
	base, proc := serveProcess(t)
	addr := strings.TrimPrefix(base, "http://")
	startKB, err := procStatusKB(proc.Pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}

	// A watchdog: a server past the limit is stopped before it takes the machine's memory.
	stopWatch, watchDone := make(chan struct{}), make(chan struct{})
	var killed atomic.Int64 // the RSS in kB at which the watchdog stopped the server
	go func() {
		defer close(watchDone)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopWatch:
				return
			case <-tick.C:
			}
			if kb, err := procStatusKB(proc.Pid, "VmRSS"); err == nil && kb > 2*limitKB {
				proc.Kill()
				killed.Store(int64(kb))
				return
			}
		}
	}()
	defer func() { close(stopWatch); <-watchDone }()

	type job struct {
		route, ctype string
		body         hostileBody
		hangUp       bool
	}
	var jobs []job
	routes := []string{"/api/v1/plan", "/api/v1/manifests?image=x"}
	ctypes := []string{"application/yaml", "application/json", "text/yaml", "application/x-yaml",
		"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""}
	for _, b := range hostileBodies() {
		for _, rt := range routes {
			for _, ct := range ctypes {
				jobs = append(jobs, job{rt, ct, b, false})
			}
			jobs = append(jobs, job{rt, "application/yaml", b, true})
		}
	}

	type outcome struct {
		job
		status int
		answer []byte
		took   time.Duration
		err    error
	}
	outcomes := make([]outcome, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	for range 16 {
		wg.Go(func() {
			for i := range next {
				j := jobs[i]
				o := outcome{job: j}
				start := time.Now()
				if j.hangUp {
					o.err = sendAndHangUp(addr, j.route, j.ctype, j.body.data)
				} else {
					req, _ := http.NewRequest("POST", base+j.route, bytes.NewReader(j.body.data))
					if j.ctype != "" {
						req.Header.Set("Content-Type", j.ctype)
					}
					resp, err := client.Do(req)
					if err == nil {
						o.status = resp.StatusCode
						o.answer, err = io.ReadAll(resp.Body)
						resp.Body.Close()
					}
					o.err = err
				}
				o.took = time.Since(start)
				outcomes[i] = o
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()

	if kb := killed.Load(); kb > 0 {
		t.Fatalf("strata serve grew to %d MB of RSS under the burst and was stopped (limit %d MB)", kb>>10, limitKB>>10)
	}

	// Nothing may still be at work for the clients that hung up: the only request in
	// flight is the scrape that asks.
	var inFlight string
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatalf("/metrics after the burst: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`(?m)^strata_http_requests_in_flight (\S+)$`).FindSubmatch(b)
		if m != nil {
			inFlight = string(m[1])
		}
		if inFlight == "1" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if inFlight != "1" {
		t.Errorf("30 s after the burst %s requests are in flight; want only the scrape (work goes on for clients that hung up)", inFlight)
	}
	peakKB, err := procStatusKB(proc.Pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests, peak RSS %d MB (%d MB at start)", len(jobs), peakKB>>10, startKB>>10)
	if peakKB > limitKB {
		t.Errorf("peak RSS %d MB under the burst, want under %d MB", peakKB>>10, limitKB>>10)
	}

	var slowest outcome
	for _, o := range outcomes {
		name := fmt.Sprintf("%s %q %s", o.route, o.ctype, o.body.name)
		if o.hangUp {
			if o.err != nil {
				t.Errorf("%s (hanging up): %v", name, o.err)
			}
			continue
		}
		if o.took > slowest.took {
			slowest = o
		}
		if o.err != nil {
			t.Errorf("%s: %v", name, o.err)
			continue
		}
		var e struct {
			Error struct {
				Status  int    `json:"status"`
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if o.status < 400 || o.status >= 500 || json.Unmarshal(o.answer, &e) != nil || e.Error.Status != o.status || e.Error.Code == "" || e.Error.Message == "" {
			t.Errorf("%s: %d, want a 4xx JSON error with a code and a message: %.300s", name, o.status, o.answer)
		}
	}
	t.Logf("slowest answer %v: %s %q %s", slowest.took, slowest.route, slowest.ctype, slowest.body.name)
}

// sendAndHangUp sends a whole request and closes the connection without reading the answer.
func sendAndHangUp(addr, target, ctype string, body []byte) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", target, addr, ctype, len(body))
	_, err = conn.Write(body)
	if err != nil && len(body) > 1<<20 {
		err = nil // the server may refuse a body over the limit before it has all been sent
	}
	return err
}

// TestSlowHeadersBounded: a client that opens thousands of connections and sends each a
// request line and most of a 64 KiB header, never finishing it (slowloris with big
// headers), holds each connection until ReadHeaderTimeout. Without a bound on open
// connections the server kept every one with its header buffer: 1,500 cost 160 MB, 3,000
// passed 300 MB. The server's peak memory is watched for as long as the connections are
// held (ReadHeaderTimeout, then they are cut) and must stay under the hostile-body bound;
// once the client lets go, the server answers at once.
func TestSlowHeadersBounded(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory would be measured with the server's; scripts/test.sh runs this test without -race")
	}
	if testing.Short() {
		t.Skip("opens 3,000 connections for 5 s")
	}
	const conns = 3000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < conns+200 {
		t.Skipf("needs %d open files; the limit is %d (%v)", conns+200, lim.Cur, err)
	}
	const limitKB = 200 << 10
	base, proc := serveProcess(t)
	addr := strings.TrimPrefix(base, "http://")
	startKB, err := procStatusKB(proc.Pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	head := []byte("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + strings.Repeat("a", 60<<10))
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	held := time.Now()
	peak := startKB
	watch := func() {
		if kb, err := procStatusKB(proc.Pid, "VmHWM"); err == nil && kb > peak {
			peak = kb
		}
		if peak > limitKB {
			t.Fatalf("peak RSS %d MB with %d slow connections open (from %d MB); the bound is %d MB", peak>>10, len(open), startKB>>10, limitKB>>10)
		}
	}
	for range conns {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", len(open)+1, err)
		}
		open = append(open, c)
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(head); err != nil {
			t.Fatalf("connection %d: %v", len(open), err)
		}
		if len(open)%100 == 0 {
			watch()
		}
	}
	// The connections are held until the server cuts them (ReadHeaderTimeout after each
	// was accepted); watch its memory over that time.
	for time.Since(held) < server.ReadHeaderTimeout {
		watch()
		time.Sleep(20 * time.Millisecond) // the sampling period of the watch, not a synchronisation
	}
	watch()
	t.Logf("peak RSS %d MB with %d slow connections (from %d MB)", peak>>10, conns, startKB>>10)
	for _, c := range open {
		c.Close()
	}
	open = nil
	resp, err := (&http.Client{Timeout: 2 * server.ReadHeaderTimeout}).Get(base + "/healthz")
	if err != nil {
		t.Fatalf("after the slow connections closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after the slow connections closed: %s", resp.Status)
	}
}
