package qgaclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCommand is the fake agent's view of one command (PID 99) and of the
// kill script run for it (PID 900).
type fakeCommand struct {
	mu        sync.Mutex
	status    func(polls int) (any, *AgentError) // guest-exec-status of PID 99
	polls     int
	killArgs  []string // arguments of the kill script's guest-exec, when run
	killOut   string   // what the kill script prints
	killError *AgentError
	killed    bool
}

func (f *fakeCommand) install(a *fakeAgent) {
	a.handle("guest-exec", func(raw json.RawMessage) (any, *AgentError) {
		var in struct {
			Path string   `json:"path"`
			Arg  []string `json:"arg"`
		}
		json.Unmarshal(raw, &in)
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(in.Arg) > 1 && in.Arg[1] == killTreeScript {
			if f.killError != nil {
				return nil, f.killError
			}
			f.killArgs, f.killed = append([]string{in.Path}, in.Arg...), true
			return map[string]int{"pid": 900}, nil
		}
		return map[string]int{"pid": 99}, nil
	})
	a.handle("guest-exec-status", func(raw json.RawMessage) (any, *AgentError) {
		var in struct {
			PID int `json:"pid"`
		}
		json.Unmarshal(raw, &in)
		f.mu.Lock()
		defer f.mu.Unlock()
		switch {
		case in.PID == 900:
			return map[string]any{"exited": true, "exitcode": 0, "out-data": base64.StdEncoding.EncodeToString([]byte(f.killOut))}, nil
		case f.killed:
			return map[string]any{"exited": true, "signal": 9}, nil
		}
		f.polls++
		f.mu.Unlock()
		defer f.mu.Lock()
		return f.status(f.polls)
	})
}

func running(int) (any, *AgentError) { return map[string]any{"exited": false}, nil }

func TestRunTimeoutKillsTreeWithPIDAsArgument(t *testing.T) {
	a := newFakeAgent(t)
	f := &fakeCommand{status: running, killOut: "killed 99 100 101\n"}
	f.install(a)
	c := socketClient(t, a)
	start := time.Now()
	_, err := c.Run(ctxT(t, 10*time.Second), ExecRequest{Path: "/bin/sh", Args: []string{"-c", "sleep 300 & sleep 300 & wait"}}, 300*time.Millisecond)
	var stopped *StoppedError
	if !errors.As(err, &stopped) || !errors.Is(err, ErrCommandTimeout) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want a *StoppedError for the timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s for a 300ms timeout", d)
	}
	// The PID is an argument of its own, never part of the script.
	if len(f.killArgs) != 5 || f.killArgs[0] != "/bin/sh" || f.killArgs[1] != "-c" || f.killArgs[4] != "99" || strings.Contains(killTreeScript, "99") {
		t.Errorf("kill script run as %q", f.killArgs)
	}
	for _, want := range []string{"agent socket " + a.path, `command "/bin/sh" (PID 99)`, "did not finish within its timeout of 300ms",
		"it was still running after", "killed 3 processes in the guest", "PIDs 100 101", "raise the timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if stopped.Kill.Scope != KilledTree || len(stopped.Kill.Killed) != 3 {
		t.Errorf("report %+v", stopped.Kill)
	}
}

// TestSlowStatusPollIsNotTheCommandsTimeout: one guest-exec-status that
// takes longer than the call timeout is retried within the command's own
// deadline, not reported as the command timing out.
func TestSlowStatusPollIsNotTheCommandsTimeout(t *testing.T) {
	slowFirst := func(polls int) (any, *AgentError) {
		if polls == 1 {
			time.Sleep(600 * time.Millisecond) // past the 300 ms call timeout
			return map[string]any{"exited": false}, nil
		}
		return map[string]any{"exited": true, "exitcode": 0, "out-data": base64.StdEncoding.EncodeToString([]byte("done"))}, nil
	}
	for name, run := range map[string]func(c *Client) (*ExecResult, error){
		"Exec": func(c *Client) (*ExecResult, error) {
			return c.Exec(ctxT(t, 10*time.Second), ExecRequest{Path: "/bin/true"})
		},
		"Run": func(c *Client) (*ExecResult, error) {
			return c.Run(ctxT(t, 10*time.Second), ExecRequest{Path: "/bin/true"}, 10*time.Second)
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := newFakeAgent(t)
			f := &fakeCommand{status: slowFirst}
			f.install(a)
			c, _ := Open(Target{AgentSocket: a.path}, Options{CallTimeout: 300 * time.Millisecond})
			res, err := run(c)
			if err != nil || string(res.Stdout) != "done" || f.killed {
				t.Fatalf("%+v, %v (killed %v): one slow poll must not end the command", res, err, f.killed)
			}
		})
	}
}

// statusAway is a transport on which every guest-exec-status of PID 99
// fails as libvirt fails while the agent is away for a moment.
type statusAway struct{ Transport }

func (t statusAway) Run(ctx context.Context, command string, args any) (json.RawMessage, error) {
	if a, ok := args.(map[string]any); ok && command == "guest-exec-status" && a["pid"] == 99 {
		return nil, newError(t.Target(), command, ErrAgentUnavailable, errors.New("Guest agent not available for now"))
	}
	return t.Transport.Run(ctx, command, args)
}

// TestRunPollsFailingUntilTheDeadline: when no status answers, the error
// says so, instead of claiming the command was seen running.
func TestRunPollsFailingUntilTheDeadline(t *testing.T) {
	a := newFakeAgent(t)
	f := &fakeCommand{status: running, killOut: "killed 99\n"}
	f.install(a)
	c := NewClient(statusAway{newSocketTransport(a.path)}, Options{})
	_, err := c.Run(ctxT(t, 20*time.Second), ExecRequest{Path: "/bin/sleep", Args: []string{"300"}}, time.Second)
	if !errors.Is(err, ErrCommandTimeout) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"no status poll answered in 1", "the last failed: guest agent is not connected or not responding: Guest agent not available for now", "killed its process (PID 99)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "still running") {
		t.Errorf("error %q claims the command was seen running", err)
	}
}

// TestPollingGivesUpOnAnAgentAwayForLong: without an earlier end of ctx,
// polls that keep failing give up after pollFailureLimit, with the reason.
func TestPollingGivesUpOnAnAgentAwayForLong(t *testing.T) {
	a := newFakeAgent(t)
	f := &fakeCommand{status: running}
	f.install(a)
	c := NewClient(statusAway{newSocketTransport(a.path)}, Options{CallTimeout: 300 * time.Millisecond})
	start := time.Now()
	_, err := c.Exec(context.Background(), ExecRequest{Path: "/bin/sleep"})
	if err == nil || !strings.Contains(err.Error(), "no status poll answered for") || !errors.Is(err, ErrAgentUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("gave up after %s, limit %s", d, c.pollFailureLimit())
	}
}

// TestRunKillBlockedSaysNothingWasKilled: when the agent refuses the
// guest-exec of the kill, the error says the command keeps running.
func TestRunKillBlockedSaysNothingWasKilled(t *testing.T) {
	a := newFakeAgent(t)
	f := &fakeCommand{status: running, killError: &AgentError{Class: "CommandNotFound", Desc: "The command guest-exec has been disabled for this instance"}}
	f.install(a)
	c := socketClient(t, a)
	_, err := c.Run(ctxT(t, 10*time.Second), ExecRequest{Path: "/bin/sleep", Args: []string{"300"}}, 300*time.Millisecond)
	var stopped *StoppedError
	if !errors.As(err, &stopped) || !errors.Is(err, ErrCommandTimeout) || !errors.Is(stopped.Kill.Err, ErrCommandDisabled) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"nothing was killed: guest-exec is disabled in the guest agent, so it keeps running in the guest as PID 99", "kill PID 99 and its children from inside the guest"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if regexp.MustCompile(`killed (its|\d+ processes)`).MatchString(err.Error()) {
		t.Errorf("error %q claims a kill", err)
	}
}

// TestRunExitSeenAtDeadlineIsAResult: a command whose exit is seen by the
// last look at its deadline is not killed and its result is returned.
func TestRunExitSeenAtDeadlineIsAResult(t *testing.T) {
	a := newFakeAgent(t)
	var deadline time.Time
	f := &fakeCommand{status: func(int) (any, *AgentError) {
		if time.Now().Before(deadline) {
			return map[string]any{"exited": false}, nil
		}
		return map[string]any{"exited": true, "exitcode": 4}, nil
	}}
	f.install(a)
	c := socketClient(t, a)
	deadline = time.Now().Add(300 * time.Millisecond) // the run's own deadline, give or take the start
	res, err := c.Run(ctxT(t, 10*time.Second), ExecRequest{Path: "/bin/sleep"}, 300*time.Millisecond)
	if err != nil || res.ExitCode != 4 || f.killed {
		t.Fatalf("%+v, %v (killed %v)", res, err, f.killed)
	}
}

func TestRunRejectsNonPositiveTimeout(t *testing.T) {
	a := newFakeAgent(t)
	f := &fakeCommand{status: running}
	f.install(a)
	c := socketClient(t, a)
	for _, d := range []time.Duration{0, -time.Second} {
		if _, err := c.Run(ctxT(t, time.Second), ExecRequest{Path: "/bin/true"}, d); err == nil || !strings.Contains(err.Error(), "must be positive") {
			t.Errorf("timeout %s: %v", d, err)
		}
	}
	if a.callCount("guest-exec") != 0 {
		t.Error("a command was started with a bad timeout")
	}
}
