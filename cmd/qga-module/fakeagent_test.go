package main

import (
	"encoding/json"
	"testing"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// fakeAgent is qgatest's fake agent, so that the modules can be tested end
// to end (arguments file in, JSON out) through qgaclient's direct-socket
// transport, without a VM; exec says how each command ends. The real agent
// is exercised by playbook_test.go against the test bed VM.
type fakeAgent struct {
	*qgatest.Agent
	socket string
	exec   func(path string, args []string, env []string, stdin []byte) fakeExit
}

// fakeExit is how a fake command ends; Running keeps it running until the
// test ends it (Agent.Exit).
type fakeExit struct {
	Code           int
	Signal         int // killed by this signal
	Stdout, Stderr string
	Running        bool
}

func (e fakeExit) result() qgatest.ExecResult {
	return qgatest.ExecResult{ExitCode: e.Code, Signal: e.Signal, Stdout: e.Stdout, Stderr: e.Stderr, Running: e.Running}
}

// newFakeAgent starts a fake guest with the user the tests work on, alice,
// and an /etc/shadow of no entries.
func newFakeAgent(t *testing.T) *fakeAgent {
	t.Helper()
	a := &fakeAgent{Agent: qgatest.New(t)}
	a.socket = a.Socket()
	a.exec = func(string, []string, []string, []byte) fakeExit { return fakeExit{} }
	a.AddUser("alice")
	a.SetFile(shadowPath, nil)
	a.SetExec(func(e qgatest.Exec) qgatest.ExecResult { return a.exec(e.Path, e.Args, e.Env, e.Input).result() })
	return a
}

func (a *fakeAgent) callCount(command string) int { return a.Calls(command) }

func (a *fakeAgent) userKeys(user string) []string { return a.AuthorizedKeys(user) }

// setKeys gives a user an authorized_keys with keys; nil: the user has none.
func (a *fakeAgent) setKeys(user string, keys []string) {
	if keys == nil {
		a.AddUser(user)
		return
	}
	a.SetAuthorizedKeys(user, keys...)
}

// setInterfaces sets guest-network-get-interfaces' answer, in the agent's
// JSON form.
func (a *fakeAgent) setInterfaces(t *testing.T, ifaces []map[string]any) {
	t.Helper()
	var typed []qgatest.Interface
	b, err := json.Marshal(ifaces)
	if err == nil {
		err = json.Unmarshal(b, &typed)
	}
	if err != nil {
		t.Fatal(err)
	}
	a.SetInterfaces(typed...)
}
