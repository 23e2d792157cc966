// Command gowaits is the Go program TestSampleGoWaits samples: goroutines, each locked to
// its thread, that wait in the ways a Go service's handlers do — a sleep, a read of a
// pipe, a read of a TCP connection, a mutex another goroutine holds, a channel. Each
// prints its name and thread id once it is about to wait; the program exits when its
// standard input closes. With the argument "runnable" it runs one locked goroutine that
// sleeps a millisecond at a time beside a goroutine that spins, on one P: each time it
// wakes it waits for the P, runnable, while its thread stays parked. With "exec" it says
// "ready" and, once a line comes on its standard input, execs sleep(1).
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "exec" {
		// Says it is ready, then becomes sleep(1) once a line comes.
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
		sleep, err := exec.LookPath("sleep")
		if err == nil {
			err = syscall.Exec(sleep, []string{"sleep", "30"}, os.Environ())
		}
		panic(err)
	}
	if len(os.Args) > 1 && os.Args[1] == "runnable" {
		runtime.GOMAXPROCS(1)
		go func() {
			for x := 0; ; x++ {
			}
		}()
		go func() {
			runtime.LockOSThread()
			fmt.Println("runnable", syscall.Gettid())
			for {
				time.Sleep(time.Millisecond)
			}
		}()
		io.Copy(io.Discard, os.Stdin)
		return
	}
	var mu sync.Mutex
	mu.Lock()
	r, w, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, os.Stdin) // keeps the connection open, silent
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	ch := make(chan int)
	var out sync.Mutex
	locked := func(name string, wait func()) {
		go func() {
			runtime.LockOSThread()
			out.Lock()
			fmt.Println(name, syscall.Gettid())
			out.Unlock()
			wait()
		}()
	}
	locked("sleep", func() { time.Sleep(time.Hour) })
	locked("pipe", func() { r.Read(make([]byte, 1)) })
	locked("network", func() { conn.Read(make([]byte, 1)) })
	locked("lock", func() { mu.Lock() })
	locked("chan", func() { <-ch })
	io.Copy(io.Discard, os.Stdin)
	w.Close()
}
