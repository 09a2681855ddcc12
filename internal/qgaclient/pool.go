package qgaclient

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Pool holds what the clients of one user of this package share: one
// connection per libvirt URI (libvirt multiplexes concurrent calls on it),
// one channel per agent socket (QEMU serves one client at a time), and what
// was learned about each guest (see guestState). The Terraform provider
// makes one when it is configured, qga-module one per run; Open makes one
// for its client alone. It is safe for concurrent use.
type Pool struct {
	mu      sync.Mutex
	libvirt map[string]*libvirtConn   // URI → connection
	sockets map[string]*socketChannel // socket path → channel
	guests  map[string]*guestState    // guest key → what was learned
}

// guestState is what the clients of a pool learn about one guest and keep
// for the next operation: the provider opens a Client per operation.
type guestState struct {
	timing     execTiming   // how long guest-exec takes to answer (exectiming.go)
	writeChunk atomic.Int64 // a write chunk that had to shrink, or set by SetFileChunk; 0: the transport's
	noShell    atomic.Bool  // the guest has no spoolShell (exec_spool.go)
	hasShell   atomic.Bool  // the guest started spoolShell once
}

// NewPool returns an empty pool. Connections are made on first use.
func NewPool() *Pool {
	return &Pool{libvirt: map[string]*libvirtConn{}, sockets: map[string]*socketChannel{}, guests: map[string]*guestState{}}
}

// Open returns a Client for the target that shares the pool's connections.
// Nothing is sent to the guest yet. Closing the client leaves them open;
// Pool.Close closes them.
func (p *Pool) Open(target Target, opts Options) (*Client, error) {
	t, err := p.transport(target)
	if err != nil {
		return nil, err
	}
	c := NewClient(t, opts)
	c.guest = p.guest(guestKey(t))
	return c, nil
}

func (p *Pool) transport(target Target) (Transport, error) {
	switch {
	case target.Domain != "" && target.AgentSocket != "":
		return nil, fmt.Errorf("both domain %q and agent_socket %q are set: name the guest by exactly one of them", target.Domain, target.AgentSocket)
	case target.Domain != "":
		uri := target.URI
		if uri == "" {
			uri = DefaultURI()
		}
		return p.libvirtTransport(uri, target.Domain)
	case target.AgentSocket != "":
		return &socketTransport{ch: p.socketChannel(target.AgentSocket)}, nil
	}
	return nil, errors.New("no guest named: set a libvirt domain or an agent socket path")
}

// libvirtTransport checks the URI (nothing is dialed yet), so that a URI
// that cannot work fails at once, naming the problem.
func (p *Pool) libvirtTransport(uri, domain string) (*libvirtTransport, error) {
	if err := checkLibvirtURI(uri); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	conn := p.libvirt[uri]
	if conn == nil {
		conn = &libvirtConn{uri: uri}
		p.libvirt[uri] = conn
	}
	return &libvirtTransport{conn: conn, domain: domain}, nil
}

func (p *Pool) socketChannel(path string) *socketChannel {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := p.sockets[path]
	if ch == nil {
		ch = &socketChannel{path: path, lock: make(chan struct{}, 1)}
		p.sockets[path] = ch
	}
	return ch
}

func (p *Pool) guest(key string) *guestState {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.guests[key]
	if g == nil {
		g = &guestState{}
		p.guests[key] = g
	}
	return g
}

// guestKey names a guest for what is learned about it: the transport's own
// key when it has one (libvirt adds the URI), else its target.
func guestKey(t Transport) string {
	if k, ok := t.(interface{ guestKey() string }); ok {
		return k.guestKey()
	}
	return t.Target()
}

// closeWait bounds how long Close waits for a socket channel that is busy
// with a command; a channel still busy then is closed by its idle timer
// once the command ends.
const closeWait = 2 * time.Second

// Close closes the pool's connections to libvirt and to agent sockets, and
// waits for none of the guests. What was learned about the guests is kept:
// a client used after Close connects again.
func (p *Pool) Close() error {
	p.mu.Lock()
	conns := make([]*libvirtConn, 0, len(p.libvirt))
	for _, c := range p.libvirt {
		conns = append(conns, c)
	}
	chans := make([]*socketChannel, 0, len(p.sockets))
	for _, ch := range p.sockets {
		chans = append(chans, ch)
	}
	p.mu.Unlock()
	var errs []error
	for _, c := range conns {
		errs = append(errs, c.close())
	}
	for _, ch := range chans {
		ch.close(closeWait)
	}
	return errors.Join(errs...)
}

// Open returns a Client for the target with a pool of its own, which the
// client's Close closes: for a program that talks to one guest. Nothing is
// sent to the guest yet.
func Open(target Target, opts Options) (*Client, error) {
	p := NewPool()
	c, err := p.Open(target, opts)
	if err != nil {
		return nil, err
	}
	c.ownPool = p
	return c, nil
}

// disconnectTimeout bounds closing a libvirt connection: a daemon that does
// not answer the close does not hold up the caller.
const disconnectTimeout = 5 * time.Second

// close disconnects from libvirt; the next get connects again.
func (c *libvirtConn) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.l == nil {
		return nil
	}
	l := c.l
	c.l = nil
	ctx, cancel := context.WithTimeout(context.Background(), disconnectTimeout)
	defer cancel()
	_, err := runBounded(ctx, func() (struct{}, error) { return struct{}{}, l.Disconnect() })
	if err != nil {
		return fmt.Errorf("closing the connection to libvirt %s: %w", RedactURI(c.uri), err)
	}
	return nil
}

// close drops the socket connection unless a command holds the channel for
// longer than wait.
func (ch *socketChannel) close(wait time.Duration) {
	select {
	case ch.lock <- struct{}{}:
	case <-time.After(wait):
		return // the command re-arms the idle timer when it ends
	}
	defer func() { <-ch.lock }()
	if ch.idle != nil {
		ch.idle.Stop()
	}
	ch.reset()
}
