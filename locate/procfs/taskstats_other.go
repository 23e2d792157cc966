//go:build !linux

package procfs

import "errors"

// taskstats is Linux's; elsewhere there is none (see taskstats_linux.go).
type taskstats struct{}

func newTaskstats() (*taskstats, error) {
	return nil, errors.New("taskstats: Linux only")
}

func (t *taskstats) cpu(int32) (user, sys uint64, err error) {
	return 0, 0, errors.New("taskstats: Linux only")
}

func (t *taskstats) close() {}
