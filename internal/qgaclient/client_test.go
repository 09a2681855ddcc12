package qgaclient

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// agentAway answers every command as an agent that is not connected.
type agentAway struct{}

func (agentAway) Run(context.Context, string, any) (json.RawMessage, error) {
	return nil, newError(`domain "away"`, "guest-info", ErrAgentUnavailable, nil)
}
func (agentAway) Target() string { return `domain "away"` }
func (agentAway) Close() error   { return nil }

// TestRequireWhenAgentAway: a failed guest-info used to deadlock Require,
// because the cache's lock was held while forgetting the cache.
func TestRequireWhenAgentAway(t *testing.T) {
	c := NewClient(agentAway{}, Options{CallTimeout: time.Second})
	done := make(chan error, 1)
	go func() { done <- c.Require(context.Background(), "guest-exec") }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrAgentUnavailable) {
			t.Fatalf("Require = %v, want ErrAgentUnavailable", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Require hung after a failed guest-info")
	}
}
