// Command go is the Go program of strata locate's accuracy corpus: handlers that each
// spend their time in one known way, on the main thread ("single") and on a worker
// goroutine the main one waits for ("multi"), beside idle and busy helper threads. As
// strata's README asks of Go services, each handler pins its goroutine to its thread
// (runtime.LockOSThread) and records thread.id; spans go out through the OpenTelemetry Go
// SDK's OTLP/HTTP exporter.
package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sys/unix"
)

const d = 40 * time.Millisecond

func init() { runtime.LockOSThread() } // main runs on the main thread

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "corpus-go:", err)
		os.Exit(1)
	}
}

type corpus struct {
	tracer   trace.Tracer
	slow     string
	dir      string
	in       *os.File
	out      *bufio.Reader
	mu       sync.Mutex
	held     chan struct{}
	holdNext chan struct{}
}

func run() error {
	ctx := context.Background()
	reps, _ := strconv.Atoi(os.Getenv("CORPUS_REPS"))
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return err
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithProcessPID(),
		resource.WithAttributes(attribute.String("service.name", "corpus-go")))
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	defer tp.Shutdown(context.Background())
	c := &corpus{tracer: tp.Tracer("corpus"), slow: os.Getenv("CORPUS_SLOW"), dir: os.Getenv("CORPUS_DIR"),
		held: make(chan struct{}), holdNext: make(chan struct{})}
	if c.in, err = os.OpenFile(os.Getenv("CORPUS_FIFO_IN"), os.O_WRONLY, 0); err != nil {
		return err
	}
	out, err := os.Open(os.Getenv("CORPUS_FIFO_OUT"))
	if err != nil {
		return err
	}
	c.out = bufio.NewReader(out)
	go c.holder()
	helpers()
	jobs, done := make(chan string), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		for cause := range jobs {
			c.handle(cause, "multi")
			done <- struct{}{}
		}
	}()
	for range max(reps, 1) {
		for _, cause := range []string{"cpu", "disk", "sleep", "lock", "child", "network", "pipe"} {
			c.handle(cause, "single")
			time.Sleep(5 * time.Millisecond)
			jobs <- cause
			<-done
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

func (c *corpus) handle(cause, variant string) {
	if cause == "lock" { // outside the span: the holder takes the lock
		c.holdNext <- struct{}{}
		<-c.held
	}
	_, span := c.tracer.Start(context.Background(), cause+"/"+variant,
		trace.WithAttributes(attribute.Int("thread.id", unix.Gettid()), attribute.String("corpus.cause", cause)))
	switch cause {
	case "cpu":
		spin(d)
	case "disk":
		c.disk()
	case "sleep":
		time.Sleep(d)
	case "lock":
		c.mu.Lock()
		c.mu.Unlock()
	case "child":
		exec.Command("sleep", "0.04").Run()
	case "network":
		if conn, err := net.Dial("tcp", c.slow); err == nil {
			conn.Write([]byte("x\n"))
			buf := make([]byte, 64)
			for {
				if _, err := conn.Read(buf); err != nil {
					break
				}
			}
			conn.Close()
		}
	case "pipe":
		c.in.Write([]byte("x\n"))
		c.out.ReadString('\n')
	}
	span.End()
}

// spin runs on CPU until the thread has used t of it.
func spin(t time.Duration) {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	end := ts.Nano() + int64(t)
	x := 1.0
	for ts.Nano() < end {
		for range 100_000 { // ~100 µs between clock reads: each is a syscall
			x = x*1.0000001 + 1e-9
		}
		unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	}
	_ = x
}

var diskFiles sync.Map // thread id → file

func (c *corpus) disk() {
	tid := unix.Gettid()
	v, ok := diskFiles.Load(tid)
	if !ok {
		path := filepath.Join(c.dir, fmt.Sprintf("go-%d-%d", os.Getpid(), tid))
		f, err := os.Create(path)
		if err != nil {
			return
		}
		os.Remove(path)
		diskFiles.Store(tid, f)
		v = f
	}
	f := v.(*os.File)
	buf := make([]byte, 1<<20)
	// At least 4 times and until d has passed: on a fast disk four fsyncs are a few
	// milliseconds, shorter than a sampling period.
	end := time.Now().Add(d)
	for i := 0; i < 4 || time.Now().Before(end); i++ {
		f.WriteAt(buf, 0)
		f.Sync()
	}
}

// holder takes the lock when asked and holds it for d of CPU work. It is pinned: spin
// reads its thread's CPU clock, which a goroutine that moved to another thread would read
// another thread's of (and so end at once: a lock span of 0.1 ms, no wait).
func (c *corpus) holder() {
	runtime.LockOSThread()
	for range c.holdNext {
		c.mu.Lock()
		c.held <- struct{}{}
		spin(d)
		c.mu.Unlock()
	}
}

// helpers: threads idle in select on a pipe nobody writes and in a futex, a ticker whose
// poll times out every 25 ms, and a poller woken every 20 ms by a pinger.
func helpers() {
	var idle, ping [2]int
	unix.Pipe2(idle[:], 0)
	unix.Pipe2(ping[:], 0)
	pinned := func(f func()) {
		go func() {
			runtime.LockOSThread()
			f()
		}()
	}
	pinned(func() {
		var r unix.FdSet
		r.Set(idle[0])
		unix.Select(idle[0]+1, &r, nil, nil, nil)
	})
	pinned(func() { select {} })
	pinned(func() {
		for {
			unix.Poll(nil, 25)
		}
	})
	pinned(func() {
		for {
			ts := unix.NsecToTimespec(int64(20 * time.Millisecond))
			unix.Nanosleep(&ts, nil)
			unix.Write(ping[1], []byte{1})
		}
	})
	pinned(func() {
		buf := make([]byte, 16)
		for {
			unix.Poll([]unix.PollFd{{Fd: int32(ping[0]), Events: unix.POLLIN}}, -1)
			unix.Read(ping[0], buf)
		}
	})
}
