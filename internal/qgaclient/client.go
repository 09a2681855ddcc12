package qgaclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Target says which guest to talk to: a libvirt domain (URI + name or UUID)
// or the host end of a QEMU agent chardev socket. Exactly one of Domain and
// AgentSocket is set.
type Target struct {
	URI         string // libvirt URI; empty means LIBVIRT_DEFAULT_URI, else qemu:///system
	Domain      string // libvirt domain name or UUID
	AgentSocket string // path of a QEMU guest agent chardev socket (server=on)
}

// Options tune a Client. The zero value gives the defaults.
type Options struct {
	// CallTimeout bounds one agent command when the caller's context has no
	// earlier deadline. Default DefaultCallTimeout.
	CallTimeout time.Duration
	// ExecPoll is the polling policy for guest-exec-status. Default DefaultExecPoll.
	ExecPoll PollPolicy
}

// DefaultCallTimeout bounds one agent command unless Options say otherwise:
// an answering agent replies within milliseconds, a file chunk's transfer
// within seconds.
const DefaultCallTimeout = 30 * time.Second

// Client speaks to one guest's agent through a Transport. It is safe for
// concurrent use.
type Client struct {
	t    Transport
	opts Options

	infoMu sync.Mutex
	info   *AgentInfo // cached guest-info, for checking commands before use

	spools sync.Map // PID → *spoolJob: commands whose output is in files (exec_spool.go)

	guest   *guestState // what the pool learned about the guest
	ownPool *Pool       // closed by Close: the pool Open made for this client alone
}

// DefaultURI is the libvirt URI used when none is given.
func DefaultURI() string {
	if u := os.Getenv("LIBVIRT_DEFAULT_URI"); u != "" {
		return u
	}
	return "qemu:///system"
}

// NewClient wraps any Transport (tests use an in-process fake agent). What
// it learns about the guest is its own, shared with no other client.
func NewClient(t Transport, opts Options) *Client {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.ExecPoll == (PollPolicy{}) {
		opts.ExecPoll = DefaultExecPoll
	}
	return &Client{t: t, opts: opts, guest: &guestState{}}
}

// Target names the guest, for messages.
func (c *Client) Target() string { return c.t.Target() }

// Close releases the client's transport, and the connections of its pool
// when Open made the pool for it alone.
func (c *Client) Close() error {
	err := c.t.Close()
	if c.ownPool != nil {
		err = errors.Join(err, c.ownPool.Close())
	}
	return err
}

// bounded gives ctx the client's call timeout unless it already ends sooner.
func (c *Client) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= c.opts.CallTimeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.opts.CallTimeout)
}

// call runs one agent command and decodes its return value into out (which
// may be nil).
func (c *Client) call(ctx context.Context, command string, args, out any) error {
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	raw, err := c.t.Run(ctx, command, args)
	if err != nil {
		c.forgetInfoOn(err)
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return newError(c.t.Target(), command, ErrAgentFailed, fmt.Errorf("decoding the reply: %w", err))
	}
	return nil
}

// forgetInfoOn drops the cached guest-info when the agent's set of commands
// may have changed (it was restarted with another configuration).
func (c *Client) forgetInfoOn(err error) {
	if errors.Is(err, ErrCommandDisabled) || errors.Is(err, ErrCommandUnsupported) || errors.Is(err, ErrAgentUnavailable) {
		c.infoMu.Lock()
		c.info = nil
		c.infoMu.Unlock()
	}
}

// Require checks with guest-info (cached) that the agent has the commands and
// that they are enabled, so a caller can fail before changing anything. The
// error names the first missing command.
func (c *Client) Require(ctx context.Context, commands ...string) error {
	info, err := c.cachedInfo(ctx)
	if err != nil {
		return err
	}
	for _, name := range commands {
		cmd, ok := info.Command(name)
		switch {
		case !ok:
			return newError(c.t.Target(), name, ErrCommandUnsupported, fmt.Errorf("qemu-ga %s does not list it", info.Version))
		case !cmd.Enabled:
			return newError(c.t.Target(), name, ErrCommandDisabled, nil)
		}
	}
	return nil
}

// cachedInfo returns the cached guest-info, asking the agent when there is
// none. The lock is not held while asking: a failed call takes it again to
// forget the cache (forgetInfoOn), and two callers asking at once only cost
// one extra guest-info.
func (c *Client) cachedInfo(ctx context.Context) (*AgentInfo, error) {
	c.infoMu.Lock()
	info := c.info
	c.infoMu.Unlock()
	if info != nil {
		return info, nil
	}
	info, err := c.Info(ctx)
	if err != nil {
		return nil, err
	}
	c.infoMu.Lock()
	c.info = info
	c.infoMu.Unlock()
	return info, nil
}
