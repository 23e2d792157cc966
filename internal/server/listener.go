package server

import (
	"net"
	"sync"
)

// DefaultMaxConnections is how many connections Serve keeps open at once unless
// Config.MaxConnections says otherwise (Prometheus's --web.max-connections has the same
// default). Each connection may hold a request's headers (up to 64 KiB) while they
// arrive, so the bound is what keeps a client that opens thousands of slow connections
// from growing the server without end: 1,500 of them cost 160 MB before.
const DefaultMaxConnections = 512

// limitListener accepts at most cap(slots) connections at once: Accept waits until one
// of them is closed. The others wait in the kernel's accept queue, unanswered but costing
// the server nothing.
type limitListener struct {
	net.Listener
	slots     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), closed: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &slotConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// slotConn gives its slot back when it is closed, once however often Close is called.
type slotConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
