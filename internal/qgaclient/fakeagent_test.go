package qgaclient

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// fakeAgent is qgatest's fake agent with the names this package's tests
// use: handlers answer with an *AgentError.
type fakeAgent struct {
	*qgatest.Agent
	path string
}

type fakeHandler func(args json.RawMessage) (any, *AgentError)

func newFakeAgent(t *testing.T) *fakeAgent {
	t.Helper()
	a := qgatest.New(t)
	return &fakeAgent{Agent: a, path: a.Socket()}
}

func (a *fakeAgent) handle(name string, h fakeHandler) {
	a.Handle(name, func(args json.RawMessage) (any, *qgatest.Error) {
		ret, err := h(args)
		if err != nil {
			return nil, &qgatest.Error{Class: err.Class, Desc: err.Desc}
		}
		return ret, nil
	})
}

// misbehave sets stale output for new clients and whether the agent answers.
func (a *fakeAgent) misbehave(onAccept []byte, silent bool) { a.Misbehave(onAccept, silent) }

func (a *fakeAgent) callCount(name string) int { return a.Calls(name) }

// sleepHandler answers after d, to provoke client-side timeouts.
func sleepHandler(d time.Duration, ret any) fakeHandler {
	return func(json.RawMessage) (any, *AgentError) {
		time.Sleep(d)
		return ret, nil
	}
}
