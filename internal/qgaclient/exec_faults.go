package qgaclient

import (
	"errors"
	"strings"
	"time"
)

// ErrOutcomeUnknown: a command was started but its result was lost (the
// agent restarted or the guest rebooted before it was read). The command
// may or may not have run to completion.
var ErrOutcomeUnknown = errors.New("the command's outcome is unknown")

// transientPollPause is the pause between status polls while the agent or
// libvirtd is away.
const transientPollPause = 500 * time.Millisecond

// pollFailureIsTransient: failures after which polling a running command's
// status may still succeed. A poll that timed out is one: the answer was
// slow, which says nothing about the command.
func pollFailureIsTransient(err error) bool {
	return errors.Is(err, ErrConnection) || errors.Is(err, ErrAgentUnavailable) || errors.Is(err, ErrTimeout)
}

// execLost marks a status failure that means the agent no longer knows the
// process: qemu-ga answers "Invalid parameter 'pid'" after it restarted (its
// table of started processes is gone) or after another client took the exit
// status.
func execLost(pid int, err error) error {
	var e *Error
	var ae *AgentError
	if !errors.As(err, &e) || !errors.As(err, &ae) || !strings.Contains(ae.Desc, "pid") {
		return err
	}
	e.Kind = ErrOutcomeUnknown
	e.Hint = "the guest agent no longer knows this process: it restarted, the guest rebooted, or another client read the exit status; the command may or may not have completed"
	return err
}
