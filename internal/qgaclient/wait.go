package qgaclient

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WaitPolicy is how WaitForAgent retries: pauses that start at Initial and
// grow by Factor up to Max, each ping bounded by PingTimeout.
type WaitPolicy struct {
	Initial, Max time.Duration
	Factor       float64
	PingTimeout  time.Duration
}

// DefaultWait suits a guest that is booting: its agent answers seconds after
// the domain starts (7 to 11 s on the software-emulated test bed).
var DefaultWait = WaitPolicy{Initial: 250 * time.Millisecond, Max: 5 * time.Second, Factor: 1.5, PingTimeout: 5 * time.Second}

// WaitForAgent pings until the agent answers or limit has passed. Failures
// that waiting cannot fix (no such domain, domain shut off, no agent channel)
// end it at once. The error names the guest, how long it waited and the last
// cause. progress, if not nil, is called before each retry.
func (c *Client) WaitForAgent(ctx context.Context, limit time.Duration, progress func(waited time.Duration, cause error)) error {
	p := DefaultWait
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	pause := p.Initial
	attempts := 0
	for {
		attempts++
		pctx, pcancel := context.WithTimeout(ctx, p.PingTimeout)
		err := c.Ping(pctx)
		pcancel()
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrDomainNotFound) || errors.Is(err, ErrDomainNotRunning) || errors.Is(err, ErrAgentNotConfigured) || errors.Is(err, ErrCommandDisabled) {
			return err
		}
		if progress != nil {
			progress(time.Since(start), err)
		}
		select {
		case <-ctx.Done():
			e := newError(c.t.Target(), "guest-ping", ErrAgentUnavailable,
				fmt.Errorf("no answer after waiting %s (%d attempts); last error: %w", time.Since(start).Round(100*time.Millisecond), attempts, err))
			return e
		case <-time.After(pause):
		}
		pause = min(time.Duration(float64(pause)*p.Factor), p.Max)
	}
}
