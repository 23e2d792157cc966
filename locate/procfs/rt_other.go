//go:build !linux

package procfs

import (
	"errors"
	"time"
)

// realtime is Linux's (see rt_linux.go).
func realtime() (undo func(), err error) {
	return nil, errors.New("real-time priority: Linux only")
}

func monotonic() int64 { return time.Now().UnixNano() }

func sleepUntil(at int64) { time.Sleep(time.Duration(at - monotonic())) }

func threadCPU() int64 { return 0 }

type waker struct{}

func newWaker() *waker                    { return &waker{} }
func (w *waker) fire()                    {}
func (w *waker) close()                   {}
func (w *waker) sleepUntil(at int64) bool { sleepUntil(at); return false }
