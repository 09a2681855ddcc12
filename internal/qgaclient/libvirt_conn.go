package qgaclient

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket"
)

// connectTimeout bounds dialing libvirt and its handshake.
const connectTimeout = 20 * time.Second

// libvirtConn is one connection to a libvirt daemon, shared by every client
// of the same URI in this process (libvirt multiplexes concurrent calls on
// it) and reopened when it drops, e.g. when libvirtd restarts.
type libvirtConn struct {
	uri string
	mu  sync.Mutex
	l   *libvirt.Libvirt
}

var (
	libvirtConnsMu sync.Mutex
	libvirtConns   = map[string]*libvirtConn{}
)

func sharedLibvirtConn(uri string) *libvirtConn {
	libvirtConnsMu.Lock()
	defer libvirtConnsMu.Unlock()
	c := libvirtConns[uri]
	if c == nil {
		c = &libvirtConn{uri: uri}
		libvirtConns[uri] = c
	}
	return c
}

// get returns a live connection, connecting or reconnecting as needed.
func (c *libvirtConn) get(ctx context.Context) (*libvirt.Libvirt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.l != nil && c.l.IsConnected() {
		return c.l, nil
	}
	c.l = nil
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	l, err := runBounded(ctx, func() (*libvirt.Libvirt, error) { return dialLibvirt(c.uri) })
	if err != nil {
		return nil, newError("libvirt "+c.uri, "", ErrConnection, err)
	}
	c.l = l
	return l, nil
}

// dialLibvirt opens a connection for a libvirt URI. go-libvirt knows the
// unix, tcp, tls and libssh transports; plain "+ssh" (libvirt's C client runs
// the ssh program) and qemu:///session's per-user socket are handled here.
func dialLibvirt(rawURI string) (*libvirt.Libvirt, error) {
	u, err := url.Parse(rawURI)
	if err != nil {
		return nil, fmt.Errorf("invalid libvirt URI %q: %w", rawURI, err)
	}
	scheme := strings.SplitN(u.Scheme, "+", 2)
	transport := ""
	if len(scheme) == 2 {
		transport = scheme[1]
	}
	switch {
	case transport == "ssh" || transport == "ext":
		if transport == "ext" {
			return nil, fmt.Errorf("libvirt URI %q: the ext transport is not supported; use qemu+ssh://, qemu+libssh://, qemu+tcp:// or qemu+tls://", rawURI)
		}
		d := newSSHCommandDialer(u)
		l, err := connectWith(u, d)
		return l, d.explain(err)
	case (transport == "" || transport == "unix") && u.Host == "" && u.Path == "/session" && u.Query().Get("socket") == "":
		q := u.Query()
		q.Set("socket", sessionSocket())
		u.RawQuery = q.Encode()
	}
	l, err := libvirt.ConnectToURI(u)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", rawURI, err)
	}
	return l, nil
}

func connectWith(u *url.URL, d socket.Dialer) (*libvirt.Libvirt, error) {
	l := libvirt.NewWithDialer(d)
	if err := l.ConnectToURI(libvirt.RemoteURI(u)); err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", u.Redacted(), err)
	}
	return l, nil
}

// sessionSocket is where a per-user libvirtd listens (qemu:///session).
func sessionSocket() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "libvirt", "libvirt-sock")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "libvirt", "libvirt-sock")
}

// runBounded runs f and gives up waiting when ctx ends. go-libvirt's calls
// take no context, so this is what bounds them; f itself finishes (or not)
// in the background, and its result is dropped.
func runBounded[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
