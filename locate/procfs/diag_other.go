//go:build !linux

package procfs

import "errors"

// listeningSockets: sock_diag is Linux's; elsewhere the /proc files are read (and absent).
func listeningSockets() (map[string]int, error) {
	return nil, errors.New("sock_diag needs Linux")
}
