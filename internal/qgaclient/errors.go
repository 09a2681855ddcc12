package qgaclient

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of failure. Every error returned by this package wraps one of these
// when the cause is known, so callers can write errors.Is(err, ErrCommandDisabled).
var (
	// ErrDomainNotFound: libvirt knows no domain with that name or UUID.
	ErrDomainNotFound = errors.New("domain not found")
	// ErrDomainNotRunning: the domain exists but is shut off or paused.
	ErrDomainNotRunning = errors.New("domain is not running")
	// ErrAgentNotConfigured: the domain has no guest agent channel at all.
	ErrAgentNotConfigured = errors.New("domain has no guest agent channel")
	// ErrAgentUnavailable: the channel exists but no agent answers on it (not
	// started yet, crashed, or busy with another client).
	ErrAgentUnavailable = errors.New("guest agent is not connected or not responding")
	// ErrCommandDisabled: the agent knows the command but the guest's
	// administrator disabled it (qemu-ga --block-rpcs / --allow-rpcs).
	ErrCommandDisabled = errors.New("command is disabled in the guest agent")
	// ErrCommandUnsupported: the agent in the guest does not have the command
	// (too old, or not implemented on that OS).
	ErrCommandUnsupported = errors.New("command is not supported by the guest agent")
	// ErrAgentFailed: the agent ran the command and answered with an error;
	// errors.As(err, new(*AgentError)) gives its class and description.
	ErrAgentFailed = errors.New("guest agent reported an error")
	// ErrTimeout: no answer within the deadline.
	ErrTimeout = errors.New("timed out")
	// ErrConnection: the host side (libvirt daemon, socket file) failed.
	ErrConnection = errors.New("connection failed")
)

// AgentError is an error the guest agent itself returned.
type AgentError struct {
	Class string `json:"class"` // e.g. "GenericError", "CommandNotFound"
	Desc  string `json:"desc"`
}

func (e *AgentError) Error() string {
	if e.Class == "" {
		return e.Desc
	}
	return e.Class + ": " + e.Desc
}

// Error is the error type of every failing call. Its message names the guest
// (domain or socket), the agent command, what went wrong and, where one is
// known, what to do about it.
type Error struct {
	Target  string // `domain "web1"` or `agent socket /run/qga.sock`
	Command string // agent command, e.g. "guest-exec"; empty for connection-level failures
	About   string // what the command was about, e.g. `user "alice"` or `file "/etc/hosts"`
	Kind    error  // one of the Err* sentinels above
	Hint    string // what the user can do about it
	Err     error  // the underlying cause (may be an *AgentError)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Target)
	if e.Command != "" {
		fmt.Fprintf(&b, ": %s", e.Command)
	}
	if e.About != "" {
		fmt.Fprintf(&b, " for %s", e.About)
	}
	if e.Kind != nil {
		fmt.Fprintf(&b, ": %v", e.Kind)
	}
	if e.Err != nil && (e.Kind == nil || e.Err.Error() != e.Kind.Error()) {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrX) true for the error's kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

// newError builds an *Error and fills in the standard hint for its kind.
func newError(target, command string, kind, cause error) *Error {
	e := &Error{Target: target, Command: command, Kind: kind, Err: cause}
	e.Hint = hintFor(kind, command)
	return e
}

func hintFor(kind error, command string) string {
	switch {
	case errors.Is(kind, ErrDomainNotFound):
		return "check the domain name or UUID with 'virsh list --all' and the connection URI"
	case errors.Is(kind, ErrDomainNotRunning):
		return "start the domain first, e.g. 'virsh start <domain>'"
	case errors.Is(kind, ErrAgentNotConfigured):
		return "add a <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel> to the domain XML and restart the domain"
	case errors.Is(kind, ErrAgentUnavailable):
		return "check that qemu-guest-agent is installed and running in the guest"
	case errors.Is(kind, ErrCommandDisabled):
		return fmt.Sprintf("enable %s in the guest agent's configuration and restart qemu-guest-agent: on RHEL, CentOS, AlmaLinux and Rocky "+
			"remove it from the block list (or add it to the --allow-rpcs list) in /etc/sysconfig/qemu-ga; elsewhere qemu-ga's "+
			"--block-rpcs/--allow-rpcs options or /etc/qemu/qemu-ga.conf (see docs/guides/preparing-guests.md)", command)
	case errors.Is(kind, ErrCommandUnsupported) && strings.HasPrefix(command, "guest-ssh-"):
		return "the guest's agent has no ssh-key commands: Windows guests never have them, Linux guests from qemu-guest-agent 5.2 on; manage this guest's keys another way"
	case errors.Is(kind, ErrCommandUnsupported):
		return "upgrade qemu-guest-agent in the guest, or check that the guest OS implements it"
	}
	return ""
}

// classifyAgentError turns an agent's {"error":{...}} answer into an *Error
// of the right kind: qemu-ga reports disabled and unknown commands with the
// same class and tells them apart only in the description.
func classifyAgentError(target, command string, ae *AgentError) *Error {
	kind := ErrAgentFailed
	if ae.Class == "CommandNotFound" || strings.Contains(ae.Desc, "has not been found") || strings.Contains(ae.Desc, "has been disabled") {
		kind = ErrCommandUnsupported
		if strings.Contains(ae.Desc, "disabled") {
			kind = ErrCommandDisabled
		}
	}
	return newError(target, command, kind, ae)
}

// withAbout records what a failed call was about, keeping the first one set.
func withAbout(err error, about string) error {
	var e *Error
	if errors.As(err, &e) && e.About == "" {
		e.About = about
	}
	return err
}
