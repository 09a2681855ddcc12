package qgaclient

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// An agent that is not connected yet (a guest still booting) is waited
// for: WaitForAgent retries until it answers.
func TestWaitForAgentUntilConnected(t *testing.T) {
	a := newFakeAgent(t)
	a.NotConnectedFor(3)
	c := socketClient(t, a)
	var causes []error
	start := time.Now()
	if err := c.WaitForAgent(context.Background(), 10*time.Second, func(_ time.Duration, cause error) { causes = append(causes, cause) }); err != nil {
		t.Fatal(err)
	}
	if len(causes) != 3 {
		t.Fatalf("%d retries, want 3 (one per connection turned away): %v", len(causes), causes)
	}
	for _, cause := range causes {
		if !errors.Is(cause, ErrAgentUnavailable) {
			t.Fatalf("cause %v, want ErrAgentUnavailable", cause)
		}
	}
	// DefaultWait's pauses: 250ms, 375ms, 562ms.
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %s for three short pauses", d)
	}
}

// A wait that runs out says so (ErrAgentWaitExpired), names the guest and
// what was last seen, and ends within its limit.
func TestWaitForAgentExpiresNamingLastCause(t *testing.T) {
	a := newFakeAgent(t)
	a.NotConnectedFor(1 << 30)
	c := socketClient(t, a)
	start := time.Now()
	err := c.WaitForAgent(context.Background(), 800*time.Millisecond, nil)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("waited %s for an 800ms limit", d)
	}
	if !errors.Is(err, ErrAgentWaitExpired) || !errors.Is(err, ErrAgentUnavailable) {
		t.Fatalf("err = %v, want ErrAgentWaitExpired and ErrAgentUnavailable", err)
	}
	for _, want := range []string{a.path, "after waiting", "closed during the handshake"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
}

// Answers that waiting cannot change end the wait at once, without
// ErrAgentWaitExpired (a longer timeout would not help).
func TestWaitForAgentFailsAtOnceWhenWaitingCannotHelp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*fakeAgent)
		kind  error
	}{
		{"ping disabled", func(a *fakeAgent) { a.Disable("guest-ping") }, ErrCommandDisabled},
		{"ping unsupported", func(a *fakeAgent) { a.Remove("guest-ping") }, ErrCommandUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newFakeAgent(t)
			tc.setup(a)
			c := socketClient(t, a)
			start := time.Now()
			err := c.WaitForAgent(context.Background(), time.Minute, nil)
			if d := time.Since(start); d > time.Second {
				t.Fatalf("took %s: it waited", d)
			}
			if !errors.Is(err, tc.kind) || errors.Is(err, ErrAgentWaitExpired) {
				t.Fatalf("err = %v, want %v and no ErrAgentWaitExpired", err, tc.kind)
			}
			if n := a.callCount("guest-ping"); n != 1 {
				t.Fatalf("guest-ping called %d times, want 1", n)
			}
		})
	}
}

// Each ping of the wait is bounded by the client's call timeout when that
// is shorter than the policy's ping timeout: a hung agent costs one call
// timeout per attempt, not more.
func TestWaitForAgentPingBoundedByCallTimeout(t *testing.T) {
	a := newFakeAgent(t)
	a.misbehave(nil, true) // reads, never answers
	c, err := Open(Target{AgentSocket: a.path}, Options{CallTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var waits []time.Duration
	start := time.Now()
	err = c.WaitForAgent(context.Background(), 2*time.Second, func(w time.Duration, _ error) { waits = append(waits, w) })
	if !errors.Is(err, ErrAgentWaitExpired) {
		t.Fatalf("err = %v", err)
	}
	// Each attempt is cut by the 300ms call timeout, not DefaultWait's 5s
	// ping timeout: several attempts fit in 2s.
	if len(waits) < 2 || time.Since(start) > 3*time.Second {
		t.Fatalf("%d attempts in %s", len(waits), time.Since(start))
	}
}
