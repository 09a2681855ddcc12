package guestrules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// DefaultGuestPath is given to commands run with environment variables but
// without PATH: the agent starts the program with only the variables
// given, and a program with no PATH finds few commands (glibc's execvp then
// searches /bin and /usr/bin only). The modules always did this; the
// provider gave no PATH, which its documentation did not warn about. The
// modules' rule won: it is what a user writing env = { FOO = "x" } expects,
// and a PATH the user gives is used as is.
const DefaultGuestPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Env turns environment variables into the agent's NAME=value list, sorted,
// with DefaultGuestPath added when vars set no PATH. No variables: nil,
// and the command gets the agent's own environment.
func Env(vars map[string]string) []string {
	if len(vars) == 0 {
		return nil
	}
	list := make([]string, 0, len(vars)+1)
	for k, v := range vars {
		list = append(list, k+"="+v)
	}
	if _, ok := vars["PATH"]; !ok {
		list = append(list, "PATH="+DefaultGuestPath)
	}
	sort.Strings(list)
	return list
}

// Command is one command to run in the guest and what counts as success.
type Command struct {
	qgaclient.ExecRequest
	Timeout     time.Duration // how long it may run before it is killed
	OKExitCodes []int         // exit statuses that count as success; nil: only 0
}

// Outcome is what happened to a command that ran to its end.
type Outcome struct {
	*qgaclient.ExecResult
	// Status is the exit code, or 128 + the signal number when a signal
	// killed it (the shell's convention).
	Status int
	// Failure says why the outcome is not a success, nil when it is.
	Failure error
}

// Run runs a command with a deadline: qgaclient's Client.Run, which kills
// the command and everything it started when the deadline passes and says
// what was killed, is the one rule for timeouts; both front ends come
// through here so that they use it the same way. An error means the
// command has no outcome: it did not start, did not finish in time (a
// *qgaclient.StoppedError), or its outcome was lost
// (qgaclient.ErrOutcomeUnknown). A command that ran to its end has an
// Outcome whose Failure is set when its status is not an accepted one.
func Run(ctx context.Context, c *qgaclient.Client, cmd Command) (*Outcome, error) {
	if cmd.Path == "" {
		return nil, errors.New("no command given: the program path is empty")
	}
	if cmd.Timeout <= 0 {
		return nil, fmt.Errorf("the command's timeout must be positive, got %s", cmd.Timeout)
	}
	res, err := c.Run(ctx, cmd.ExecRequest, cmd.Timeout)
	if err != nil {
		return nil, err
	}
	return Judge(res, cmd.OKExitCodes), nil
}

// Judge maps a finished command's result to its outcome.
func Judge(res *qgaclient.ExecResult, okExitCodes []int) *Outcome {
	if okExitCodes == nil {
		okExitCodes = []int{0}
	}
	o := &Outcome{ExecResult: res, Status: res.ExitCode}
	if res.Signal != 0 {
		o.Status = 128 + res.Signal
	}
	switch {
	case slices.Contains(okExitCodes, o.Status):
	case res.Signal != 0:
		o.Failure = fmt.Errorf("the command was killed by signal %d", res.Signal)
	default:
		o.Failure = fmt.Errorf("the command exited with code %d, not one of the accepted codes %v", o.Status, okExitCodes)
	}
	return o
}

// Stopped tells whether err means the command was stopped before it
// ended (its timeout passed, or the caller gave up) and killed.
func Stopped(err error) bool {
	var stopped *qgaclient.StoppedError
	return errors.As(err, &stopped)
}
