package qgaclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ExecRequest is a command to run in the guest with guest-exec.
type ExecRequest struct {
	Path  string   // program; the agent searches PATH when it has no slash
	Args  []string // arguments, without argv[0]
	Env   []string // "NAME=value" entries; when set, the program gets only these
	Stdin []byte   // fed to the program's standard input; may be secret
	// NoCapture leaves stdout and stderr uncaptured (the agent then keeps no
	// copy of them, which saves guest memory for chatty commands).
	NoCapture bool
	// ownScript marks a script of this client's whose output is a few
	// lines by design (a stat, a rename, an rm): through libvirt it needs
	// no output spool, which on a TCG guest costs more than the script.
	ownScript bool
}

// ExecStatus is one answer of guest-exec-status.
type ExecStatus struct {
	Exited          bool
	ExitCode        int // valid when Exited and Signal == 0
	Signal          int // non-zero when the process was killed by a signal
	Stdout, Stderr  []byte
	StdoutTruncated bool // the agent's capture limit (16 MiB in qemu-ga 7.2) was hit
	StderrTruncated bool
}

// ExecResult is the outcome of a command run until it exited.
type ExecResult struct {
	PID int
	ExecStatus
	Duration time.Duration // from guest-exec to the status that saw the exit
}

// PollPolicy says how long to wait between guest-exec-status calls: a
// fraction of the time elapsed since the command started, clamped to
// [Min, Max]. Polling without pause starves a one-vCPU guest (the agent and
// the command compete), while a fixed long pause overshoots short commands.
//
// FirstFactor sets the pause before the first poll: that many times the time
// the guest took to spawn a process (guest-exec's round trip minus a plain
// round trip, learned per guest). A short command needs one to three spawn
// times more to run and exit; polling earlier only takes guest CPU time from
// the command (see docs/BENCHMARKS.md).
type PollPolicy struct {
	Fraction    float64
	Min, Max    time.Duration
	FirstFactor float64
}

// DefaultExecPoll polls at 5% of the elapsed time, between 0.2 ms and 1 s:
// a command that really ran for T is seen to exit by about 1.05*T. The first
// poll waits 2 spawn times (about 14 ms on the software-emulated test bed,
// a millisecond or two on KVM): /bin/true, which exits 1.5 to 2.5 spawn
// times after guest-exec answered there, is then seen to exit in 0.75-0.8x
// the time of polling at once, which keeps the one vCPU busy answering
// polls instead of running the command (measured in docs/BENCHMARKS.md).
var DefaultExecPoll = PollPolicy{Fraction: 0.05, Min: 200 * time.Microsecond, Max: time.Second, FirstFactor: 2}

// Next returns the pause before the next poll.
func (p PollPolicy) Next(elapsed time.Duration) time.Duration {
	d := time.Duration(float64(elapsed) * p.Fraction)
	return min(max(d, p.Min), p.Max)
}

// First returns the pause before the first poll, given how long the guest
// took to spawn its last process (0 when not known yet).
func (p PollPolicy) First(spawn time.Duration) time.Duration {
	if p.FirstFactor <= 0 || spawn <= 0 {
		return 0
	}
	return min(time.Duration(float64(spawn)*p.FirstFactor), p.Max)
}

// Exec runs a command in the guest and waits until it exits or ctx ends. On
// ctx's end the error wraps ErrTimeout and names the guest PID: the process
// keeps running in the guest (Run kills it instead).
func (c *Client) Exec(ctx context.Context, req ExecRequest) (*ExecResult, error) {
	pid, err := c.ExecStart(ctx, req)
	if err != nil {
		return nil, err
	}
	return c.ExecWait(ctx, pid)
}

// ExecStart starts a command and returns its PID in the guest. Through
// libvirt its output goes through files in the guest (exec_spool.go).
// Large input goes through a guest file there (exec_stdin.go).
func (c *Client) ExecStart(ctx context.Context, req ExecRequest) (int, error) {
	about := "command " + strconv.Quote(req.Path)
	req, cleanup, err := c.stageStdin(ctx, req, about)
	if err != nil {
		return 0, err
	}
	var pid int
	if wrapped, job := c.spoolWrap(ctx, req); job != nil {
		pid, err = c.startSpooled(ctx, req, wrapped, job, about)
	} else {
		pid, err = c.execStart(ctx, req, about)
	}
	if err != nil {
		cleanup() // the command did not start: its input file would stay
	}
	return pid, err
}

// execStart sends req as it is; about names the command for errors.
func (c *Client) execStart(ctx context.Context, req ExecRequest, about string) (int, error) {
	const command = "guest-exec"
	if req.Path == "" {
		return 0, newError(c.t.Target(), command, nil, errors.New("no program to run: the path is empty"))
	}
	if err := c.Require(ctx, command, "guest-exec-status"); err != nil {
		return 0, withAbout(err, about)
	}
	args := map[string]any{"path": req.Path, "capture-output": !req.NoCapture}
	if len(req.Args) > 0 {
		args["arg"] = req.Args
	}
	if len(req.Env) > 0 {
		args["env"] = req.Env
	}
	if len(req.Stdin) > 0 {
		args["input-data"] = base64.StdEncoding.EncodeToString(req.Stdin)
	}
	var out struct {
		PID int `json:"pid"`
	}
	sent := time.Now()
	if err := c.call(ctx, command, args, &out); err != nil {
		return 0, withAbout(err, about)
	}
	c.timing().spawned(time.Since(sent))
	return out.PID, nil
}

// ExecStatus asks once whether the process has exited. Once it reports an
// exit, the agent forgets the process: a second call fails.
func (c *Client) ExecStatus(ctx context.Context, pid int) (*ExecStatus, error) {
	var out struct {
		Exited       bool          `json:"exited"`
		ExitCode     int           `json:"exitcode"`
		Signal       int           `json:"signal"`
		OutData      base64InPlace `json:"out-data"`
		ErrData      base64InPlace `json:"err-data"`
		OutTruncated bool          `json:"out-truncated"`
		ErrTruncated bool          `json:"err-truncated"`
	}
	if err := c.call(ctx, "guest-exec-status", map[string]any{"pid": pid}, &out); err != nil {
		return nil, withAbout(err, "PID "+strconv.Itoa(pid))
	}
	st := &ExecStatus{
		Exited: out.Exited, ExitCode: out.ExitCode, Signal: out.Signal,
		Stdout: out.OutData, Stderr: out.ErrData,
		StdoutTruncated: out.OutTruncated, StderrTruncated: out.ErrTruncated,
	}
	if !st.Exited {
		return st, nil
	}
	return c.finishSpool(ctx, pid, st)
}

// ExecWait polls a started process until it exits or ctx ends. The first
// poll waits as the policy's FirstFactor says (see PollPolicy). On ctx's end
// the error wraps ErrTimeout and the process keeps running in the guest; Run
// kills it instead.
func (c *Client) ExecWait(ctx context.Context, pid int) (*ExecResult, error) {
	res, w, err := c.pollUntilExit(ctx, pid)
	if res != nil || err != nil {
		return res, err
	}
	return nil, c.execTimeout(pid, w)
}

// pollState is what polling learned about a process it did not see exit.
type pollState struct {
	start        time.Time
	lastRunning  time.Time // when a status last said it was running; zero: never
	pollErr      error     // the last status failure since then, if any
	failingSince time.Time // start of the current run of failed polls; zero: none
}

// pollFailureLimit is how long status polls may fail in a row before
// polling gives up, for a ctx without an earlier end: an agent that does
// not answer for that long is not away for a moment.
func (c *Client) pollFailureLimit() time.Duration { return 2 * c.opts.CallTimeout }

// pollUntilExit polls a started process until it exits (a result), a status
// poll fails in a way that no retry mends (an error), or ctx ends (neither,
// and what polling saw). A poll that times out or finds the agent away for
// a moment is retried within ctx, for at most pollFailureLimit: one slow
// answer is not the command's timeout.
func (c *Client) pollUntilExit(ctx context.Context, pid int) (*ExecResult, pollState, error) {
	w := pollState{start: time.Now()}
	tm := c.timing()
	timer := time.NewTimer(c.opts.ExecPoll.First(tm.spawnTime()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, w, nil
		case <-timer.C:
		}
		sent := time.Now()
		st, err := c.ExecStatus(ctx, pid)
		if err != nil {
			if ctx.Err() != nil {
				return nil, w, nil // ctx's end cut the poll
			}
			// The agent or libvirtd is away for a moment, or one answer was
			// slow: the process may still be running, keep asking
			// (exec_faults.go). Not when libvirt dropped a reply that was
			// too large: the process had exited (only then does the agent
			// send its output), its status is gone, and libvirt stays away
			// until the agent restarts.
			if w.failingSince.IsZero() {
				w.failingSince = sent
			}
			if pollFailureIsTransient(err) && !replyTooLarge(err) {
				if failing := time.Since(w.failingSince); failing >= c.pollFailureLimit() {
					return nil, w, fmt.Errorf("no status poll answered for %s, the last: %w", failing.Round(time.Millisecond), err)
				}
				w.pollErr = err
				timer.Reset(transientPollPause)
				continue
			}
			return nil, w, execLost(pid, err)
		}
		if len(st.Stdout)+len(st.Stderr) < 4096 {
			tm.polled(time.Since(sent)) // a small reply: a plain round trip
		}
		if st.Exited {
			return &ExecResult{PID: pid, ExecStatus: *st, Duration: time.Since(w.start)}, w, nil
		}
		w.lastRunning, w.pollErr, w.failingSince = time.Now(), nil, time.Time{}
		timer.Reset(c.opts.ExecPoll.Next(time.Since(w.start)))
	}
}

// seen says, for messages, what polling last knew of the process.
func (w pollState) seen() string {
	ran := time.Since(w.start).Round(time.Millisecond)
	switch {
	case w.pollErr == nil && w.lastRunning.IsZero():
		return fmt.Sprintf("its status was not asked for yet after %s", ran)
	case w.pollErr == nil:
		return fmt.Sprintf("it was still running after %s", ran)
	case w.lastRunning.IsZero():
		return fmt.Sprintf("no status poll answered in %s; the last failed: %s", ran, briefly(w.pollErr))
	}
	return fmt.Sprintf("it was last seen running %s in; the status polls since failed, the last: %s",
		w.lastRunning.Sub(w.start).Round(time.Millisecond), briefly(w.pollErr))
}

// briefly is an error's message without the guest and command that the
// message it goes into names already.
func briefly(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	switch {
	case e.Kind == nil:
		return fmt.Sprint(e.Err)
	case e.Err == nil || e.Err.Error() == e.Kind.Error():
		return e.Kind.Error()
	}
	return fmt.Sprintf("%v: %v", e.Kind, e.Err)
}

// replyTooLarge: libvirt read 10 MiB of an agent reply without finding its
// end, gave up on the agent and dropped the reply (libvirt.go maps it to
// ErrAgentUnavailable).
func replyTooLarge(err error) bool {
	return strings.Contains(err.Error(), "No complete agent response")
}

func (c *Client) execTimeout(pid int, w pollState) error {
	e := newError(c.t.Target(), "guest-exec-status", ErrTimeout, context.DeadlineExceeded)
	e.About = "PID " + strconv.Itoa(pid)
	e.Hint = w.seen() + "; it was left running in the guest"
	return e
}
