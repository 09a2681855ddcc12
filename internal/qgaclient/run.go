package qgaclient

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrCommandTimeout: a command run with Run did not finish within its
// timeout. The error is a *StoppedError, which also wraps ErrTimeout.
var ErrCommandTimeout = errors.New("the command did not finish within its timeout")

// Run runs a command in the guest and waits at most timeout for it to exit,
// measured from when the agent started it. When the timeout passes, or ctx
// ends first, it kills the command with every process the command started
// (KillTree) and returns a *StoppedError that says exactly what was killed.
// A command seen to exit by the last look at its deadline counts as
// finished: there is nothing to kill then, and its result is real.
//
// This is the one place that decides what a command's timeout means; the
// provider and the Ansible module both use it.
func (c *Client) Run(ctx context.Context, req ExecRequest, timeout time.Duration) (*ExecResult, error) {
	if timeout <= 0 {
		return nil, newError(c.t.Target(), "guest-exec", nil, fmt.Errorf("the timeout must be positive, got %s", timeout))
	}
	pid, err := c.ExecStart(ctx, req)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, w, err := c.pollUntilExit(runCtx, pid)
	if res != nil {
		return res, nil
	}
	if err != nil {
		// The status could not be read and retrying would not help (the
		// agent forgot the process, or answered with an error). Nothing is
		// killed: the process may have ended and its PID may be another's.
		return nil, fmt.Errorf("command %q (PID %d): its status could not be read: %w", req.Path, pid, err)
	}
	stopped := &StoppedError{Target: c.t.Target(), Path: req.Path, PID: pid, Timeout: timeout, Ran: time.Since(w.start)}
	if ctx.Err() != nil {
		stopped.Cause = ctx.Err()
	}
	// Clean up even when ctx ended (an interrupted apply must not leave
	// the command running), within twice the client's call timeout: the
	// last status, the kill script and the reap are three guest commands,
	// and on a loaded TCG guest the kill alone was seen to take 18 s.
	cleanup, cancelCleanup := context.WithTimeout(context.WithoutCancel(ctx), 2*c.opts.CallTimeout)
	defer cancelCleanup()
	// A last look: the command may have exited while the last poll was
	// under way, or the polls may have failed until now.
	st, err := c.ExecStatus(cleanup, pid)
	switch {
	case err == nil && st.Exited:
		return &ExecResult{PID: pid, ExecStatus: *st, Duration: time.Since(w.start)}, nil
	case err == nil:
		w.lastRunning, w.pollErr = time.Now(), nil
	default:
		w.pollErr = err
	}
	stopped.seen = w.seen()
	stopped.Kill = c.KillTree(cleanup, pid)
	return nil, stopped
}

// StoppedError is Run's error for a command it stopped waiting for: its
// timeout passed (Cause nil, errors.Is ErrCommandTimeout) or the caller's
// context ended (Cause is ctx.Err()). Kill says what was killed in the
// guest. errors.Is(err, ErrTimeout) is true for both.
type StoppedError struct {
	Target  string        // the guest, as in *Error
	Path    string        // the program that was run
	PID     int           // its PID in the guest
	Timeout time.Duration // the command's timeout
	Ran     time.Duration // from start until Run stopped waiting
	Cause   error         // nil: the timeout passed; else why ctx ended
	Kill    KillReport
	seen    string // what the status polls last saw, for the message
}

func (e *StoppedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: command %q (PID %d) ", e.Target, e.Path, e.PID)
	if e.Cause == nil {
		fmt.Fprintf(&b, "did not finish within its timeout of %s", e.Timeout)
	} else {
		fmt.Fprintf(&b, "was stopped after %s (%v) before its timeout of %s", e.Ran.Round(time.Millisecond), e.Cause, e.Timeout)
	}
	fmt.Fprintf(&b, " (%s): %s", e.seen, e.Kill)
	if fix := e.fix(); fix != "" {
		fmt.Fprintf(&b, " (%s)", fix)
	}
	return b.String()
}

// fix says what the user can do about what was left running.
func (e *StoppedError) fix() string {
	pid := strconv.Itoa(e.PID)
	switch {
	case errors.Is(e.Kill.Err, ErrCommandDisabled):
		return "kill PID " + pid + " and its children from inside the guest, or allow guest-exec in the agent (qemu-ga --block-rpcs/--allow-rpcs) so that timeouts can kill"
	case e.Kill.Err != nil && !errors.Is(e.Kill.Err, errNotAgentChild):
		return "check for PID " + pid + " and its children in the guest and kill them there; raise the timeout if the command needs longer"
	case e.Cause == nil:
		return "raise the timeout if the command needs longer"
	}
	return ""
}

// Is makes errors.Is(err, ErrCommandTimeout) true when the timeout passed,
// and errors.Is(err, ErrTimeout) true whenever Run stopped waiting.
func (e *StoppedError) Is(target error) bool {
	return target == ErrTimeout || target == ErrCommandTimeout && e.Cause == nil
}

func (e *StoppedError) Unwrap() error { return e.Cause }
