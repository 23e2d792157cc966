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
