package qgaclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// WaitPolicy is how WaitForAgent retries: pauses that start at Initial and
// grow by Factor up to Max, each ping bounded by PingTimeout (and by the
// client's CallTimeout when that is shorter).
type WaitPolicy struct {
	Initial, Max time.Duration
	Factor       float64
	PingTimeout  time.Duration
	// DaemonDownGrace is how long a libvirtd that is down (its socket is
	// missing or refuses) is waited for: long enough for a restart, short
	// enough not to hide a stopped daemon behind the whole wait.
	DaemonDownGrace time.Duration
}

// ErrAgentWaitExpired is wrapped by WaitForAgent's error when the time ran
// out before the agent answered: only then can a longer wait help, so
// only then should a front end say how to raise it.
var ErrAgentWaitExpired = errors.New("gave up waiting for the guest agent")

// DefaultWait suits a guest that is booting: its agent answers seconds after
// the domain starts (7 to 11 s on the software-emulated test bed). libvirtd
// restarted with `libvirtd -d` listens again 1 to 3 s after it was stopped.
var DefaultWait = WaitPolicy{Initial: 250 * time.Millisecond, Max: 5 * time.Second, Factor: 1.5, PingTimeout: 5 * time.Second, DaemonDownGrace: 15 * time.Second}

// connector is implemented by transports that connect to something before
// they reach the agent (libvirtd). WaitForAgent connects first, bounded by
// its whole wait rather than by one ping's deadline, so that a slow dial
// (ssh to a distant host) is not cut short, and a connection that fails is
// reported as such.
type connector interface {
	connect(ctx context.Context) error
}

// WaitForAgent pings until the agent answers or limit has passed. Failures
// that waiting cannot fix (no such domain, domain shut off, no agent
// channel, a connection refused or not authenticated) end it at once. The
// error names the guest, how long it waited and the last cause; a
// connection that never came up is reported as ErrConnection, not as the
// agent's failure. progress, if not nil, is called before each retry.
func (c *Client) WaitForAgent(ctx context.Context, limit time.Duration, progress func(waited time.Duration, cause error)) error {
	p := DefaultWait
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	pause := p.Initial
	attempts := 0
	var daemonDownSince time.Time
	var cause error // what the error reports
	for {
		attempts++
		err := c.connectAndPing(ctx, p.PingTimeout)
		if err == nil {
			return nil
		}
		if final(err) {
			return err
		}
		// An attempt cut short by the wait's own end tells less than the
		// one before it (the agent's "still booting", a refused socket).
		if cause == nil || ctx.Err() == nil {
			cause = err
		}
		if connFailureOf(err) == connFailureDaemonDown {
			if daemonDownSince.IsZero() {
				daemonDownSince = time.Now()
			}
			if time.Since(daemonDownSince)+pause > p.DaemonDownGrace {
				return gaveUp(c, err, fmt.Sprintf("libvirtd stayed unreachable for %s", time.Since(daemonDownSince).Round(100*time.Millisecond)), attempts)
			}
		} else {
			daemonDownSince = time.Time{}
		}
		if progress != nil {
			progress(time.Since(start), err)
		}
		select {
		case <-ctx.Done():
			return gaveUp(c, cause, fmt.Sprintf("no answer after waiting %s", time.Since(start).Round(100*time.Millisecond)), attempts)
		case <-time.After(pause):
		}
		pause = min(time.Duration(float64(pause)*p.Factor), p.Max)
	}
}

// connectAndPing is one attempt: the connection (when the transport makes
// one) under the caller's whole wait, then a ping under its own deadline.
func (c *Client) connectAndPing(ctx context.Context, pingTimeout time.Duration) error {
	if conn, ok := c.t.(connector); ok {
		if err := conn.connect(ctx); err != nil {
			return err
		}
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return c.Ping(pctx)
}

// final tells whether err is one that waiting cannot fix: the agent
// answered that it will not do it, or libvirt that there is no such guest
// or agent channel, or the host refused the connection for good (bad
// credentials, unknown host, untrusted certificate).
func final(err error) bool {
	switch {
	case errors.Is(err, ErrDomainNotFound), errors.Is(err, ErrDomainNotRunning),
		errors.Is(err, ErrAgentNotConfigured), errors.Is(err, ErrCommandDisabled), errors.Is(err, ErrCommandUnsupported):
		return true
	case errors.Is(err, ErrConnection):
		return connFailureOf(err).permanent()
	}
	return false
}

// gaveUp is the error of a wait that ran out: the connection's error when
// the connection to libvirt is what failed, else the agent's.
func gaveUp(c *Client, last error, why string, attempts int) error {
	var ce *connError
	if errors.As(last, &ce) {
		var e *Error
		if errors.As(last, &e) {
			return &Error{Target: e.Target, Command: e.Command, Kind: ErrConnection, Hint: e.Hint,
				Err: fmt.Errorf("%w: %s (%d attempts); last error: %w", ErrAgentWaitExpired, why, attempts, e.Err)}
		}
	}
	return newError(c.t.Target(), "guest-ping", ErrAgentUnavailable,
		fmt.Errorf("%w: %s (%d attempts); last error: %w", ErrAgentWaitExpired, why, attempts, lastSeen{last}))
}

// lastSeen is the last attempt's error inside the wait's own, which
// already names the guest and gives the hint: only the command, the kind
// and the cause are said again.
type lastSeen struct{ err error }

func (l lastSeen) Error() string {
	var e *Error
	if !errors.As(l.err, &e) {
		return l.err.Error()
	}
	short := *e
	short.Target, short.Hint = "", ""
	return strings.TrimPrefix(short.Error(), ": ")
}

func (l lastSeen) Unwrap() error { return l.err }
