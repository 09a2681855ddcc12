package qgaclient

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
)

// connectTimeout bounds dialing libvirt and its handshake.
const connectTimeout = 20 * time.Second

// libvirtConn is one connection to a libvirt daemon, shared by the clients
// of a Pool that use the same URI (libvirt multiplexes concurrent calls on
// it) and reopened when it drops, e.g. when libvirtd restarts.
type libvirtConn struct {
	uri string
	mu  sync.Mutex
	l   *libvirt.Libvirt
}

// get returns a live connection, connecting or reconnecting as needed. The
// dial is bounded by connectTimeout and by ctx.
func (c *libvirtConn) get(ctx context.Context) (*libvirt.Libvirt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.l != nil && c.l.IsConnected() {
		return c.l, nil
	}
	c.l = nil
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	l, err := dialLibvirt(ctx, c.uri)
	if err != nil {
		e := newError("libvirt connection "+RedactURI(c.uri), "", ErrConnection, scrubError(err, c.uri))
		e.Hint = connFailureOf(err).hint()
		return nil, e
	}
	c.l = l
	return l, nil
}

// dialLibvirt opens a connection for a libvirt URI, giving up when ctx
// ends. go-libvirt's handshake takes no context: a dial given up goes on in
// the background, and its connection is closed when it ends (ssh is killed
// at once). The error is a *connError.
func dialLibvirt(ctx context.Context, rawURI string) (*libvirt.Libvirt, error) {
	u, dialer, err := libvirtDialer(rawURI)
	if err != nil {
		return nil, &connError{failure: connFailureConfig, err: err}
	}
	type result struct {
		l   *libvirt.Libvirt
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		l, err := connectLibvirt(u, dialer)
		done <- result{l, err}
	}()
	select {
	case r := <-done:
		var ce *connError
		switch {
		case r.err == nil:
			return r.l, nil
		case errors.As(r.err, &ce):
			return nil, r.err
		}
		if strings.HasSuffix(u.Scheme, "+tls") {
			if ce, ok := tlsFailure(r.err); ok {
				return nil, ce
			}
		}
		return nil, &connError{failure: classifyConnError(r.err), err: r.err}
	case <-ctx.Done():
		if dialer != nil {
			dialer.abort()
		}
		go func() {
			if r := <-done; r.l != nil {
				_ = r.l.Disconnect()
			}
		}()
		err := fmt.Errorf("libvirt did not answer within %s: %w", time.Since(start).Round(100*time.Millisecond), ctx.Err())
		return nil, &connError{failure: connFailureOther, err: err}
	}
}

// libvirtDialer checks a libvirt URI and returns it parsed, with the dialer
// of this package that reaches it, or nil when go-libvirt's own does.
// go-libvirt knows the unix, tcp, tls and libssh transports; plain "+ssh"
// (libvirt's C client runs the ssh program) and qemu:///session's per-user
// socket are handled here.
func libvirtDialer(rawURI string) (*url.URL, *sshCommandDialer, error) {
	u, err := url.Parse(rawURI)
	if err != nil {
		// url.Parse's error quotes the URI, or the part of it that is
		// wrong, which may be in the password: name the problem only when
		// the URI holds no secret.
		var ue *url.Error
		if errors.As(err, &ue) && len(uriSecrets(rawURI)) == 0 {
			return nil, nil, fmt.Errorf("invalid libvirt URI %s: %w: fix the URI, e.g. qemu:///system or qemu+ssh://user@host/system", rawURI, ue.Err)
		}
		return nil, nil, fmt.Errorf("invalid libvirt URI %s: it does not parse as a URI (in the password, a character such as %% / ? # @ must be percent-encoded): "+
			"fix the URI, e.g. qemu:///system or qemu+ssh://user@host/system", RedactURI(rawURI))
	}
	transport := ""
	if scheme := strings.SplitN(u.Scheme, "+", 2); len(scheme) == 2 {
		transport = scheme[1]
	}
	switch {
	case transport == "ext":
		return nil, nil, fmt.Errorf("libvirt URI %s: the ext transport is not supported; use qemu+ssh://, qemu+libssh://, qemu+tcp:// or qemu+tls://", RedactURI(rawURI))
	case transport == "ssh":
		d, err := newSSHCommandDialer(u)
		return u, d, err
	case (transport == "" || transport == "unix") && u.Host == "" && u.Path == "/session" && u.Query().Get("socket") == "":
		q := u.Query()
		q.Set("socket", sessionSocket())
		u.RawQuery = q.Encode()
	}
	return u, nil, nil
}

// goLibvirtDialFailure starts the errors of libvirt.ConnectToURI that come
// from dialing or the handshake; its other errors are about the URI.
const goLibvirtDialFailure = "failed to connect to libvirt"

// connectLibvirt dials and runs libvirt's handshake. A failed handshake
// closes what it opened, the ssh process included.
func connectLibvirt(u *url.URL, d *sshCommandDialer) (*libvirt.Libvirt, error) {
	if d == nil {
		l, err := libvirt.ConnectToURI(u) // its errors do not quote the URI
		if err != nil && !strings.HasPrefix(err.Error(), goLibvirtDialFailure) {
			// go-libvirt refused the URI's parameters before dialing.
			return nil, &connError{failure: connFailureConfig, err: fmt.Errorf("invalid URI parameters: %w", err)}
		}
		return l, err
	}
	l := libvirt.NewWithDialer(d)
	if err := l.ConnectToURI(libvirt.RemoteURI(u)); err != nil {
		return nil, d.failed(err)
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
